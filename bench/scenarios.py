"""The scenarios: what is sent where, how the answer is checked, beside which floor.

Scenarios 1, 2 and 4 run beside their floor once both answer alike: equal answers for the
reads, the same shape for the write (whose values move on).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx

from bench import workloads as w
from bench.measure import Target, measure
from bench.seed import Seeded
from bench.stack import API_KEY, BenchError, audit, on_hand_and_committed, stock_snapshot
from runner import Process

SCENARIOS = {  # name, operation
    "1": ("products direct", "products(first: 100) { nodes { 8 fields } }"),
    "2": ("inventory direct", "_entities(100 representations) { stock { 3 fields } inStock }"),
    "3": ("federated catalog page", "products(first: 20) { price stock inStock } via the gateway"),
    "4": ("adjustStock, one hot product", "adjustStock(delta: +1) on 1 product"),
    "5": ("adjustStock, 1,000 products", "adjustStock(delta: +1) on a random 1 of 1,000 products"),
    "6": ("scale", None),
    "7": ("reserve then commit", "reserveStock + commitReservations, a new reference each"),
    "8": ("products direct, 2 workers", "scenario 1 on WEB_CONCURRENCY=2, beside 1 worker"),
}
# Beside a floor: the process under test (its floor is `floor-` that one), its request
# (`workloads.requests`), and what the floor runs.
PAIRED = {
    "1": ("products", "products_page", "plain SQL"),
    "2": ("inventory", "stock_entities_100", "plain SQL"),
    "4": ("inventory", "adjust", "the use case"),
}


@dataclass
class Bench:
    args: argparse.Namespace  # duration, concurrency, warmup, only
    fleet: dict[str, Process]
    seeded: Seeded
    inventory_database: str  # for the stock checks
    in_process: dict[str, dict[str, Any]]  # role -> request name -> statements, cpu_ms

    def run(self) -> list[dict[str, Any]]:
        """The scenarios of `--only`, in order."""
        self.asked, done = w.requests(self.seeded), []  # role -> request name -> (path, body)
        steps = {"3": self.federated, "5": self.spread, "6": self.scale, "7": self.reserve}
        steps["8"] = self.workers
        for number in sorted(set(self.args.only.split(","))):
            name, operation = SCENARIOS[number]
            print(f"{number}  {name}")
            found = {"id": number, "name": name} | ({"operation": operation} if operation else {})
            done.append(found | (self.paired(number) if number in PAIRED else steps[number]()))
        return done

    def target(self, label: str, role: str, request: str) -> Target:
        """The load of one request of `role` (`workloads.requests`)."""
        path, body = self.asked[role][request]
        watch = self.seeded.ids[:1] if request == "adjust" else None
        return self.load(label, path, [body], role.replace("_", "-"), watch=watch)

    def load(
        self, label: str, path: str, bodies: list[Any], *busy: str, watch: Any, must: bytes = b""
    ) -> Target:
        """POST `bodies` to `path` of the first of `busy`, the processes the load keeps busy;
        for a write, `watch` holds the product ids whose updates must all be kept, and every
        answer `must` hold this (no userErrors unless said)."""
        busy += ("products",) if watch else ()  # a write asks products whether the product exists
        stock = partial(stock_snapshot, self.inventory_database, watch) if watch else None
        url, processes = self.fleet[busy[0]].url + path, [self.fleet[name] for name in busy]
        must = must or (w.NO_USER_ERRORS if watch else b"")
        return Target(label, url, bodies, processes, stock, must)

    def sample(self, target: Target) -> Any:
        """One request of the target's load, checked as `bench/wrk.lua` checks it; the answer."""
        body, headers = json.dumps(target.bodies[0]), {"x-api-key": API_KEY}
        body, headers["content-type"] = body.replace(w.UNIQUE, "sample"), "application/json"
        response = httpx.post(target.url, content=body, headers=headers, trust_env=False)
        answer = response.content
        if response.status_code != 200 or b'"errors":' in answer or target.must not in answer:
            raise BenchError(f"{target.url} answered badly: {response.text[:1000]}")
        return response.json()

    def measure(self, *targets: Target) -> list[dict[str, Any]]:
        return measure(list(targets), self.args.concurrency, self.args.duration, self.args.warmup)

    def sql(self, role: str, name: str) -> int:
        return int(self.in_process[role][name]["statements"])

    def cpu(self, role: str, name: str) -> float | None:
        return self.in_process[role][name].get("cpu_ms")

    def paired(self, number: str) -> dict[str, Any]:
        role, request, floor_runs = PAIRED[number]
        service = self.target(role, role, request)
        floor = self.target(f"floor: {floor_runs}", f"floor-{role}", request)
        answers, write = (self.sample(service), self.sample(floor)), request == "adjust"
        if (shape(answers[0]) != shape(answers[1])) if write else answers[0] != answers[1]:
            raise BenchError(f"the floor answers otherwise:\n{json.dumps(answers)}")
        result: dict[str, Any] = {"sql_per_request": self.sql(role, request)}
        if write:
            result["sql_note"] = "inventory's statements; the existence check adds 1 in products"
        cpu = {"service": self.cpu(role, request), "floor": self.cpu(f"floor-{role}", request)}
        peer = None if write or f"peer-{role}" not in self.fleet else self.peer(role, request)
        if peer and self.sample(peer) != answers[0]:
            raise BenchError(f"the peer answers otherwise:\n{json.dumps(self.sample(peer))}")
        on_service, on_floor, *on_peer = self.measure(service, floor, *([peer] if peer else []))
        on_floor["floor_sql_per_request"] = float(self.sql(f"floor-{role}", request))
        rps = on_service["load"]["rps"], on_floor["load"]["rps"]
        result |= {"in_process_cpu_ms": cpu, "service": on_service, "floor": on_floor}
        if on_peer:  # the project's throughput ÷ the peer's
            result |= {
                "peer": on_peer[0],
                "peer_ratio": round(rps[0] / on_peer[0]["load"]["rps"], 2),
            }
        return result | {"ratio": round(rps[1] / rps[0], 2) if rps[0] else None}

    def peer(self, role: str, request: str) -> Target:
        """The reference peer (bench/peer) asked what the service is asked."""
        path, body = self.asked[role][request]
        return self.load("peer: @apollo/subgraph", path, [body], f"peer-{role}", watch=None)

    def federated(self) -> dict[str, Any]:
        busy = ("gateway", "products", "inventory")
        service = self.load("gateway", "/", [w.body(w.CATALOG_PAGE)], *busy, watch=None)
        nodes = self.sample(service)["data"]["products"]["nodes"]
        if len(nodes) != 20 or any("stock" not in node for node in nodes):
            raise BenchError("the catalog page did not answer 20 products with stock")
        parts = {"products": "catalog_products", "inventory": "stock_entities_20"}
        sql = {role: self.sql(role, name) for role, name in parts.items()}
        cpu = {role: self.cpu(role, name) for role, name in parts.items()}
        found = {"sql_per_request": sum(sql.values()), "sql_detail": sql, "in_process_cpu_ms": cpu}
        return found | {"service": self.measure(service)[0]}

    def spread(self) -> dict[str, Any]:
        spread = self.seeded.ids[:1000]
        writes = [w.adjustment(product_id) for product_id in spread]
        service = self.load("inventory", "/graphql", writes, "inventory", watch=spread)
        self.sample(service)
        sql = self.sql("inventory", "adjust")
        return {"sql_per_request": sql, "service": self.measure(service)[0]}

    def scale(self) -> dict[str, Any]:
        """One connection for a fifth of the time: `_entities` of 1 to 1000, deep pages."""
        runs = [
            (f"{role} _entities x{n}", f"{role}_entities", n, role, f"{role}_entities_{n}")
            for role in ("inventory", "products")
            for n in w.SCALE_SIZES
        ]
        seeded, cases = self.seeded, []
        for role, rows in (("products", len(seeded.ids)), ("products_large", seeded.large_count)):
            label = f"products(first: 20, after: 90%) of {rows:,} rows"
            runs.append((label, "deep_page", rows, role, "deep_page"))
        for label, kind, size, role, request in runs:
            target = self.target(label, role, request)
            page = self.sample(target)["data"].get("products")
            if page and (len(page["nodes"]) != 20 or not page["pageInfo"]["hasNextPage"]):
                raise BenchError(f"the deep page of {size} rows is not a full middle page")
            [measured] = measure([target], 1, max(1.0, round(self.args.duration / 5)), 1.0)
            case = {"case": label, "kind": kind, "size": size}
            case["sql_per_request"] = self.sql(role, request)
            if kind != "deep_page":
                case["us_per_representation"] = round(measured["load"]["p50_ms"] * 1000 / size, 1)
            if (cpu := self.in_process[role][request].get("cpu_ms")) is not None:
                case["in_process_cpu_ms"] = cpu
            cases.append(case | measured)
        return {"cases": cases}

    def reserve(self) -> dict[str, Any]:
        """Hold and sell one unit of one of 27 well-stocked products per request; afterwards
        the units sold must be the units committed, and the audit must find nothing."""
        hot = [pid for i, pid in enumerate(self.seeded.ids[200:230]) if i % 10 != 9]
        bodies, must = [w.reserve_commit(product_id) for product_id in hot], w.COMMITTED
        target = self.load("inventory", "/graphql", bodies, "inventory", watch=hot, must=must)
        self.sample(target)
        on_hand, committed = on_hand_and_committed(self.inventory_database, hot)
        measured = self.measure(target)[0]
        after = on_hand_and_committed(self.inventory_database, hot)
        sold, oversold = on_hand - after[0], after[1] - committed - (on_hand - after[0])
        checks = {"units_sold": sold, "oversold_units": oversold}
        checks["audit"] = audit(self.fleet["inventory"].cwd, self.inventory_database)
        cpu = {"service": self.cpu("inventory", "reserve_commit")}
        found = {"sql_per_request": self.sql("inventory", "reserve_commit"), "checks": checks}
        return found | {"in_process_cpu_ms": cpu, "service": measured}

    def workers(self) -> dict[str, Any]:
        """Scenario 1's page on one products worker, then on two (WEB_CONCURRENCY=2)."""
        one = self.target("1 worker", "products", "products_page")
        path, body = self.asked["products"]["products_page"]
        two = self.load("2 workers", path, [body], "products-2w", watch=None)
        self.sample(two)
        on_one, on_two = self.measure(one, two)
        rps = on_one["load"]["rps"], on_two["load"]["rps"]
        scaling = round(rps[1] / rps[0], 2) if rps[0] else None
        found = {"sql_per_request": self.sql("products", "products_page"), "service": on_one}
        return found | {"two_workers": on_two, "scaling": scaling}


def shape(value: Any) -> Any:
    """Keys and value types all the way down: what a write answers alike, as its values move on."""
    if isinstance(value, dict | list):
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        return {key: shape(item) for key, item in pairs}
    return type(value).__name__
