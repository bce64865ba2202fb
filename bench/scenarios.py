"""The scenarios: what is sent where, how the answer is checked, and beside which floor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench import workloads as w
from bench.databases import Seeded
from bench.measure import Measurer, Target
from bench.processes import Fleet
from bench.workloads import Workload

SCALE_SIZES = (1, 10, 100, 1000)


class BenchError(Exception):
    """A check before or after a load failed: the numbers would not mean what they say."""


@dataclass(frozen=True)
class Settings:
    duration: float
    concurrency: int
    warmup: float
    scale_duration: float
    rounds: int
    only: frozenset[str]


@dataclass
class Bench:
    """Everything the scenarios need: servers, seeded ids, the measurer, the SQL counts."""

    settings: Settings
    fleet: Fleet
    seeded: Seeded
    measurer: Measurer
    in_process: dict[str, dict[str, Any]]  # role -> request name -> statements, cpu_ms
    api_key: str
    log: Callable[[str], None] = print
    results: list[dict[str, Any]] = field(default_factory=list)

    def run(self) -> list[dict[str, Any]]:
        steps = {
            "1": self.products_direct,
            "2": self.inventory_direct,
            "3": self.federated,
            "4": self.hot_product,
            "5": self.spread_products,
            "6": self.scale,
        }
        for key, step in steps.items():
            if key in self.settings.only:
                step()
        return self.results

    # -- helpers -----------------------------------------------------------------------

    def workload(self, server: str, path: str | None, *docs: dict[str, Any], **kw: Any) -> Workload:
        target = self.fleet[server]
        url = target.graphql_url if path is None else target.url + path
        return Workload.of(url, list(docs), self.api_key, kw.get("must"))

    def target(self, label: str, workload: Workload, *servers: str, **kw: Any) -> Target:
        return Target(label, workload, [self.fleet[name] for name in servers], **kw)

    def sample(self, workload: Workload) -> dict[str, Any]:
        """One request of the workload, checked like the load checks it; the decoded answer."""
        response = httpx.post(
            workload.url,
            content=workload.bodies[0],
            headers={"content-type": "application/json", "x-api-key": self.api_key},
            timeout=30,
            trust_env=False,
        )
        if not workload.is_good(response.status_code, response.content):
            raise BenchError(f"{workload.url} answered badly: {response.text[:1000]}")
        return response.json()

    def measure(self, *targets: Target) -> list[dict[str, Any]]:
        """The default load (concurrency, duration, warm-up, rounds) on these targets."""
        s = self.settings
        return self.measurer.run(
            list(targets),
            connections=s.concurrency,
            seconds=s.duration,
            warmup=s.warmup,
            rounds=s.rounds,
        )

    def measure_alone(self, target: Target) -> dict[str, Any]:
        """One connection, the scale duration, a short warm-up: latency without queueing."""
        s = self.settings
        warmup = min(s.warmup, 1.0)
        return self.measurer.run(
            [target], connections=1, seconds=s.scale_duration, warmup=warmup, rounds=1
        )[0]

    def count(self, role: str, name: str) -> int:
        return int(self.in_process[role][name]["statements"])

    def cpu(self, **where: str) -> dict[str, float | None]:
        """In-process CPU ms of requests, e.g. cpu(service="products/products_page")."""
        found = {}
        for label, path in where.items():
            role, name = path.split("/")
            found[label] = self.in_process.get(role, {}).get(name, {}).get("cpu_ms")
        return found

    def add(self, result: dict[str, Any]) -> None:
        service, floor = result.get("service"), result.get("floor")
        if service and floor:
            result["ratio"] = ratio(floor["load"], service["load"])
        self.results.append(result)

    # -- scenarios ---------------------------------------------------------------------

    def products_direct(self) -> None:
        self.log("1  products(first: 100), 8 fields")
        document = w.body(w.PRODUCTS_PAGE, first=100)
        service = self.workload("products", None, document)
        floor = self.workload("floor-products", "/products-page", document)
        answer = self.sample(service)
        if len(answer["data"]["products"]["nodes"]) != 100:
            raise BenchError("products(first: 100) did not answer 100 nodes")
        same_answers(answer, self.sample(floor), "products page")
        measured = self.measure(
            self.target("products", service, "products", profile=True),
            self.target("floor: plain SQL", floor, "floor-products"),
        )
        self.add(
            {
                "id": "1",
                "name": "products direct",
                "operation": "products(first: 100) { nodes { 8 fields } }",
                "sql_per_request": self.count("products", "products_page"),
                "in_process_cpu_ms": self.cpu(
                    service="products/products_page", floor="floor-products/products_page"
                ),
                "service": measured[0],
                "floor": measured[1],
            }
        )

    def inventory_direct(self) -> None:
        self.log("2  inventory _entities x100 (stock, inStock)")
        reps = w.representations(self.seeded.ids[:100])
        document = w.body(w.STOCK_ENTITIES, representations=reps)
        service = self.workload("inventory", None, document)
        floor = self.workload("floor-inventory", "/entities", document)
        same_answers(self.sample(service), self.sample(floor), "_entities x100")
        measured = self.measure(
            self.target("inventory", service, "inventory", profile=True),
            self.target("floor: plain SQL", floor, "floor-inventory"),
        )
        self.add(
            {
                "id": "2",
                "name": "inventory direct",
                "operation": "_entities(100 representations) { stock { 3 fields } inStock }",
                "sql_per_request": self.count("inventory", "stock_entities_100"),
                "in_process_cpu_ms": self.cpu(
                    service="inventory/stock_entities_100",
                    floor="floor-inventory/stock_entities_100",
                ),
                "service": measured[0],
                "floor": measured[1],
            }
        )

    def federated(self) -> None:
        self.log("3  catalog page through the gateway")
        service = self.workload("gateway", None, w.body(w.CATALOG_PAGE))
        nodes = self.sample(service)["data"]["products"]["nodes"]
        if len(nodes) != 20 or any("stock" not in node for node in nodes):
            raise BenchError("the catalog page did not answer 20 products with stock")
        products = self.count("products", "catalog_products")
        inventory = self.count("inventory", "stock_entities_20")
        busy = ("gateway", "products", "inventory")
        self.add(
            {
                "id": "3",
                "name": "federated catalog page",
                "operation": "products(first: 20) { price, stock, inStock } via the gateway",
                "sql_per_request": products + inventory,
                "sql_detail": {"products": products, "inventory": inventory},
                "in_process_cpu_ms": self.cpu(
                    products="products/catalog_products", inventory="inventory/stock_entities_20"
                ),
                "service": self.measure(self.target("gateway", service, *busy))[0],
            }
        )

    def hot_product(self) -> None:
        self.log("4  adjustStock on one hot product")
        hot = self.seeded.ids[:1]
        document = w.adjustment(hot[0])
        service = self.workload("inventory", None, document, must=w.NO_USER_ERRORS)
        floor = self.workload("floor-inventory", "/adjust", document, must=w.NO_USER_ERRORS)
        same_shape(self.sample(service), self.sample(floor), "adjustStock")
        measured = self.measure(
            self.target(
                "inventory", service, "inventory", "products", watch_stock=hot, profile=True
            ),
            self.target(
                "floor: plain SQL", floor, "floor-inventory", "floor-products", watch_stock=hot
            ),
        )
        self.add(
            {
                "id": "4",
                "name": "adjustStock, one hot product",
                "operation": "adjustStock(delta: +1) on 1 product",
                "sql_per_request": self.count("inventory", "adjust"),
                "sql_note": "inventory's statements; the existence check adds 1 in products",
                "in_process_cpu_ms": self.cpu(service="inventory/adjust"),
                "service": measured[0],
                "floor": measured[1],
            }
        )

    def spread_products(self) -> None:
        self.log("5  adjustStock spread over 1,000 products")
        spread = self.seeded.ids[:1000]
        documents = [w.adjustment(product_id) for product_id in spread]
        service = self.workload("inventory", None, *documents, must=w.NO_USER_ERRORS)
        self.sample(service)
        busy = ("inventory", "products")
        self.add(
            {
                "id": "5",
                "name": "adjustStock, 1,000 products",
                "operation": "adjustStock(delta: +1) on a random one of 1,000 products",
                "sql_per_request": self.count("inventory", "adjust"),
                "service": self.measure(
                    self.target("inventory", service, *busy, watch_stock=spread)
                )[0],
            }
        )

    def scale(self) -> None:
        self.log("6  scale, one connection")
        cases = []
        for role, query in (("inventory", w.STOCK_ENTITIES), ("products", w.PRODUCT_ENTITIES)):
            for size in SCALE_SIZES:
                reps = w.representations(self.seeded.ids[:size])
                workload = self.workload(role, None, w.body(query, representations=reps))
                if len(self.sample(workload)["data"]["_entities"]) != size:
                    raise BenchError(f"{role} _entities did not answer {size} entities")
                label = f"{role} _entities x{size}"
                measured = self.measure_alone(self.target(label, workload, role))
                per_rep = round(measured["load"]["p50_ms"] * 1000 / size, 1)
                cases.append(
                    {
                        "case": label,
                        "kind": f"{role}_entities",
                        "size": size,
                        "sql_per_request": self.count(role, f"{role}_entities_{size}"),
                        "us_per_representation": per_rep,
                        **measured,
                    }
                )
        seeded = self.seeded
        for server, role, rows, cursor in (
            ("products", "products", len(seeded.ids), seeded.deep_cursor),
            ("products-large", "products_large", seeded.large_count, seeded.large_deep_cursor),
        ):
            workload = self.workload(server, None, w.body(w.DEEP_PAGE, after=cursor))
            page = self.sample(workload)["data"]["products"]
            if len(page["nodes"]) != 20 or not page["pageInfo"]["hasNextPage"]:
                raise BenchError(f"the deep page of {rows} rows is not a full middle page")
            label = f"products(first: 20, after: 90%) of {rows:,} rows"
            measured = self.measure_alone(self.target(label, workload, server))
            cases.append(
                {
                    "case": label,
                    "kind": "deep_page",
                    "size": rows,
                    "sql_per_request": self.count(role, "deep_page"),
                    **measured,
                }
            )
        self.add({"id": "6", "name": "scale", "cases": cases})


def ratio(floor: dict[str, Any], service: dict[str, Any]) -> float | None:
    return round(floor["rps"] / service["rps"], 2) if service["rps"] else None


def same_answers(service: dict[str, Any], floor: dict[str, Any], what: str) -> None:
    """The floor must answer exactly what the service answers, or it measures other work."""
    if service != floor:
        raise BenchError(
            f"{what}: the floor's answer differs from the service's:\n{service}\n{floor}"
        )


def same_shape(service: Any, floor: Any, what: str, path: str = "") -> None:
    """Same keys and value types all the way down (for writes, whose values move on)."""
    if type(service) is not type(floor):
        raise BenchError(f"{what}: {path or 'answer'} is {service!r} here, {floor!r} on the floor")
    if isinstance(service, dict):
        if service.keys() != floor.keys():
            raise BenchError(f"{what}: {path} has keys {list(service)} vs {list(floor)}")
        for key in service:
            same_shape(service[key], floor[key], what, f"{path}.{key}")
    elif isinstance(service, list):
        for index, (a, b) in enumerate(zip(service, floor, strict=False)):
            same_shape(a, b, what, f"{path}[{index}]")
