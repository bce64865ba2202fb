"""The six scenarios: what is sent where, how the answer is checked, beside which floor.

Scenarios 1, 2 and 4 run beside their floor, in alternating rounds, once both answer alike:
equal answers for reads, the same shape for the write (whose values move on).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import httpx

from bench import workloads as w
from bench.measure import Measurer, Target
from bench.seed import Seeded
from bench.stack import API_KEY
from runner import Process

# The scenarios beside a floor: name, operation, the request (`workloads.requests`), and the
# processes the load keeps busy (the first is measured; its floor is `floor-` that one).
PAIRED = {
    "1": (
        "products direct",
        "products(first: 100) { nodes { 8 fields } }",
        "products_page",
        ("products",),
    ),
    "2": (
        "inventory direct",
        "_entities(100 representations) { stock { 3 fields } inStock }",
        "stock_entities_100",
        ("inventory",),
    ),
    "4": (
        "adjustStock, one hot product",
        "adjustStock(delta: +1) on 1 product",
        "adjust",
        ("inventory", "products"),
    ),
}


class BenchError(Exception):
    """A check before a load failed: the numbers would not mean what they say."""


@dataclass
class Bench:
    args: argparse.Namespace  # duration, concurrency, warmup, rounds, only
    fleet: dict[str, Process]
    seeded: Seeded
    measurer: Measurer
    in_process: dict[str, dict[str, Any]]  # role -> request name -> statements, cpu_ms

    def run(self) -> list[dict[str, Any]]:
        """The scenarios of `--only`, in order."""
        self.asked = w.requests(self.seeded)  # role -> request name -> (path, body)
        steps = {"3": self.federated, "5": self.spread_products, "6": self.scale}
        return [
            self.paired(number) if number in PAIRED else steps[number]()
            for number in sorted(set(self.args.only.split(",")))
        ]

    def target(self, label: str, path: str, documents: list[Any], *busy: str, **kw: Any) -> Target:
        """POST `documents` to `path` of the first of `busy`, the processes the load keeps busy."""
        must = w.NO_USER_ERRORS if "watch_stock" in kw else None
        workload = w.Workload.of(self.fleet[busy[0]].url + path, documents, API_KEY, must)
        return Target(label, workload, [self.fleet[name] for name in busy], **kw)

    def request(self, role: str, name: str) -> tuple[str, list[Any]]:
        path, document = self.asked[role][name]
        return path, [document]

    def sample(self, target: Target) -> Any:
        """One request of the target's load, checked like the load checks it; the answer."""
        load, headers = target.workload, {"content-type": "application/json", "x-api-key": API_KEY}
        response = httpx.post(load.url, content=load.bodies[0], headers=headers, trust_env=False)
        if not load.is_good(response.status_code, response.content):
            raise BenchError(f"{load.url} answered badly: {response.text[:1000]}")
        return response.json()

    def measure(self, *targets: Target, alone: bool = False) -> list[dict[str, Any]]:
        """The default load on `targets`, or (`alone`) one connection for a fifth of the time."""
        a = self.args
        if alone:
            return self.measurer.run(list(targets), 1, max(1.0, round(a.duration / 5)), 1.0, 1)
        return self.measurer.run(list(targets), a.concurrency, a.duration, a.warmup, a.rounds)

    def sql(self, role: str, name: str) -> int:
        return int(self.in_process[role][name]["statements"])

    def cpu(self, role: str, name: str) -> float | None:
        return self.in_process[role][name].get("cpu_ms")

    def paired(self, number: str) -> dict[str, Any]:
        name, operation, request, busy = PAIRED[number]
        print(f"{number}  {name}")
        floors = (f"floor-{busy[0]}",)
        writes = {"watch_stock": self.seeded.ids[:1]} if request == "adjust" else {}
        service = self.target(
            busy[0], *self.request(busy[0], request), *busy, profile=True, **writes
        )
        path, documents = self.request(floors[0], request)
        floor = self.target("floor: plain SQL", path, documents, *floors, **writes)
        answers = self.sample(service), self.sample(floor)
        same_answers(*(map(shape, answers) if writes else answers), name)
        result = {"id": number, "name": name, "operation": operation}
        result["sql_per_request"] = self.sql(busy[0], request)
        if writes:
            result["sql_note"] = "inventory's statements; the existence check adds 1 in products"
        cpu = {"service": self.cpu(busy[0], request), "floor": self.cpu(floors[0], request)}
        on_service, on_floor = self.measure(service, floor)
        on_floor["floor_sql_per_request"] = float(self.sql(floors[0], request))
        rps = on_service["load"]["rps"], on_floor["load"]["rps"]
        ratio = round(rps[1] / rps[0], 2) if rps[0] else None
        return result | {
            "in_process_cpu_ms": cpu,
            "service": on_service,
            "floor": on_floor,
            "ratio": ratio,
        }

    def federated(self) -> dict[str, Any]:
        print("3  federated catalog page")
        service = self.target(
            "gateway", "/", [w.body(w.CATALOG_PAGE)], "gateway", "products", "inventory"
        )
        nodes = self.sample(service)["data"]["products"]["nodes"]
        if len(nodes) != 20 or any("stock" not in node for node in nodes):
            raise BenchError("the catalog page did not answer 20 products with stock")
        parts = {"products": "catalog_products", "inventory": "stock_entities_20"}
        sql = {role: self.sql(role, name) for role, name in parts.items()}
        return {
            "id": "3",
            "name": "federated catalog page",
            "operation": "products(first: 20) { price, stock, inStock } via the gateway",
            "sql_per_request": sum(sql.values()),
            "sql_detail": sql,
            "in_process_cpu_ms": {role: self.cpu(role, name) for role, name in parts.items()},
            "service": self.measure(service)[0],
        }

    def spread_products(self) -> dict[str, Any]:
        print("5  adjustStock, 1,000 products")
        spread = self.seeded.ids[:1000]
        writes = [w.adjustment(product_id) for product_id in spread]
        service = self.target(
            "inventory", "/graphql", writes, "inventory", "products", watch_stock=spread
        )
        self.sample(service)
        return {
            "id": "5",
            "name": "adjustStock, 1,000 products",
            "operation": "adjustStock(delta: +1) on a random one of 1,000 products",
            "sql_per_request": self.sql("inventory", "adjust"),
            "service": self.measure(service)[0],
        }

    def scale(self) -> dict[str, Any]:
        print("6  scale, one connection")
        seeded, cases = self.seeded, []
        runs = [
            (f"{role} _entities x{n}", f"{role}_entities", n, role, f"{role}_entities_{n}")
            for role in ("inventory", "products")
            for n in w.SCALE_SIZES
        ]
        for role, rows in (("products", len(seeded.ids)), ("products_large", seeded.large_count)):
            runs.append(
                (
                    f"products(first: 20, after: 90%) of {rows:,} rows",
                    "deep_page",
                    rows,
                    role,
                    "deep_page",
                )
            )
        for label, kind, size, role, request in runs:
            target = self.target(label, *self.request(role, request), role.replace("_", "-"))
            page = self.sample(target)["data"].get("products")
            if page and (len(page["nodes"]) != 20 or not page["pageInfo"]["hasNextPage"]):
                raise BenchError(f"the deep page of {size} rows is not a full middle page")
            [measured] = self.measure(target, alone=True)
            case = {
                "case": label,
                "kind": kind,
                "size": size,
                "sql_per_request": self.sql(role, request),
            }
            if kind != "deep_page":
                case["us_per_representation"] = round(measured["load"]["p50_ms"] * 1000 / size, 1)
            cases.append(case | measured)
        return {"id": "6", "name": "scale", "cases": cases}


def same_answers(service: Any, floor: Any, what: str) -> None:
    """The floor must answer exactly what the service answers, or it measures other work."""
    if service != floor:
        raise BenchError(
            f"{what}: the floor's answer differs from the service's:\n{service}\n{floor}"
        )


def shape(value: Any) -> Any:
    """Keys and value types all the way down: what a write answers alike, as its values move on."""
    if isinstance(value, dict | list):
        return {
            k: shape(v) for k, v in (value.items() if isinstance(value, dict) else enumerate(value))
        }
    return type(value).__name__
