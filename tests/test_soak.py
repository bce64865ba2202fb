"""Soak: a mixed load through the local gateway against real processes, then the invariants.

A stack of its own (tests/stack.py: products, inventory, gateway, each on SQLite) gets 20
products seeded with stock, then SOAK_CONNECTIONS (default 32) concurrent loops of one
httpx.AsyncClient post a mix of catalog pages with stock, stockLevels pages, adjustStock
(small deltas either way), setStock (with and without expectedVersion) and createProduct to
the gateway: a warm-up of ten seconds, then SOAK_SECONDS (default 30; `make soak`: 300).

Expected business outcomes are INSUFFICIENT_STOCK for adjustStock and VERSION_CONFLICT for
setStock; anything else (a transport error, an HTTP status other than 200, top-level
`errors`, another userError) is unexpected and fails the suite. Afterwards, straight from
inventory's SQLite file and through the API: no level is negative, each level equals the sum
of its movements, the movements of adjustStock are exactly the adjustments that succeeded,
and every product created is there. Each service's resident memory at the end of the run
stays within 1.25x of what it was once settled: RSS is sampled every half second, "settled"
is the lowest sample of the run's second quarter and "at the end" the lowest of its last
quarter, because the gateway's V8 heap keeps sizing itself for a while after the warm-up and
then saws up and down by more than 25% between collections (see Memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from stack import Stack, running_stack

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "32"))
WARM_UP_SECONDS = 10.0
REQUEST_TIMEOUT = 15.0
SEEDED = 20
SEEDED_ON_HAND = 20
RSS_GROWTH_LIMIT = 1.25
RSS_SAMPLE_SECONDS = 0.5
SERVICES = ("products", "inventory", "gateway")
EXAMPLES_KEPT = 10

CATALOG = """
query Catalog {
  products(first: 20) {
    nodes { id sku name price { amount currencyCode } stock { onHand available lowStock } inStock }
  }
}"""
STOCK_LEVELS = """
query Levels {
  stockLevels(first: 50) {
    nodes { productId onHand version lowStock product { sku name } }
  }
}"""
ALL_LEVELS = "query { stockLevels(first: 100) { nodes { productId onHand } } }"
PRODUCT_COUNT = "query { products(first: 1) { totalCount } }"
LEVEL = "stockLevel { productId onHand version }"
ADJUST = f"""
mutation Adjust($input: AdjustStockInput!) {{
  adjustStock(input: $input) {{ {LEVEL} userErrors {{ field message code }} }}
}}"""
SET = f"""
mutation Set($input: SetStockInput!) {{
  setStock(input: $input) {{ {LEVEL} userErrors {{ field message code }} }}
}}"""
CREATE = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku } userErrors { field message code } }
}"""

# Kind of request: (weight in the mix, the userError codes that are an expected outcome).
MIX: dict[str, tuple[float, frozenset[str]]] = {
    "catalog": (3.0, frozenset()),
    "stockLevels": (2.0, frozenset()),
    "adjustStock": (3.0, frozenset({"INSUFFICIENT_STOCK"})),
    "setStock": (1.5, frozenset({"VERSION_CONFLICT"})),
    "createProduct": (0.5, frozenset()),
}
KINDS = list(MIX)
WEIGHTS = [weight for weight, _ in MIX.values()]


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB: VmRSS from /proc, or `ps` where there is none."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS in {status}")
    return int(subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True).stdout)


def rss_of(stack: Stack) -> dict[str, int]:
    """Each service's RSS in KiB (stack.py starts each as a single process, so by its PID)."""
    pids = {name: stack[name].popen.pid for name in SERVICES if stack[name].popen is not None}
    assert set(pids) == set(SERVICES), "a service has no process"
    return {name: rss_kib(pid) for name, pid in pids.items()}


def inventory_database(stack: Stack) -> Path:
    url = stack.subgraph_env("inventory")["DATABASE_URL"]
    assert url.startswith("sqlite:///"), url
    return Path(url.removeprefix("sqlite:///"))


@dataclass
class Tally:
    """Requests by kind and outcome, the unexpected ones, and what the writes did."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)  # the first few, in full
    reasons: Counter[str] = field(default_factory=Counter)  # every unexpected one, in short
    adjustments: int = 0  # adjustStock calls that succeeded
    adjusted: int = 0  # the sum of their deltas
    sets: int = 0  # setStock calls that succeeded
    created: int = 0
    versions: dict[str, int] = field(default_factory=dict)  # the last version seen per product

    def count(self, kind: str, outcome: str) -> None:
        self.outcomes[kind, outcome] += 1

    def fail(self, kind: str, reason: str, short: str) -> None:
        self.count(kind, "unexpected")
        self.reasons[f"{kind}: {short}"] += 1
        if len(self.unexpected) < EXAMPLES_KEPT:
            self.unexpected.append(f"{kind}: {reason}")

    @property
    def requests(self) -> int:
        return sum(self.outcomes.values())

    @property
    def unexpected_count(self) -> int:
        return sum(n for (_, outcome), n in self.outcomes.items() if outcome == "unexpected")

    def by_kind(self) -> str:
        parts = []
        for kind in KINDS:
            counts = {o: n for (k, o), n in sorted(self.outcomes.items()) if k == kind}
            total = sum(counts.values())
            detail = " ".join(f"{outcome} {n}" for outcome, n in counts.items())
            parts.append(f"{kind} {total} ({detail})")
        return "; ".join(parts)


@dataclass
class Memory:
    """RSS samples (KiB) of each service taken during the run, after the warm-up.

    A garbage-collected runtime (the gateway's V8) rises by tens of MiB between collections
    and drops back after each, so one sample can land anywhere in that sawtooth; the low point
    of a window is where the retained memory shows. V8 also grows its heap for the first
    seconds of a load (in CI it went from 139 to 177 MiB between the 3rd and the 18th second,
    then stayed there), so the baseline is the low point of the run's second quarter, not the
    first sample: a leak shows as the last quarter's low point rising above it.
    """

    warm: dict[str, int]  # right after the warm-up, for the record
    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)  # (t, RSS)

    def low(self, name: str, start: float, stop: float) -> int:
        """The lowest RSS sampled between fractions `start` and `stop` of the run."""
        end = self.samples[-1][0]
        window = [rss[name] for t, rss in self.samples if start * end <= t <= stop * end]
        return min(window)

    def settled(self, name: str) -> int:
        return self.low(name, 0.25, 0.5)

    def floor(self, name: str) -> int:
        return self.low(name, 0.75, 1.0)

    def last(self, name: str) -> int:
        return self.samples[-1][1][name]

    def peak(self, name: str) -> int:
        return max(rss[name] for _, rss in self.samples)

    def growth(self, name: str) -> float:
        return self.floor(name) / self.settled(name)

    def describe(self, name: str) -> str:
        mib = {
            "warm": self.warm[name] / 1024,
            "settled": self.settled(name) / 1024,
            "floor": self.floor(name) / 1024,
            "last": self.last(name) / 1024,
            "peak": self.peak(name) / 1024,
        }
        return (
            f"{name} {mib['settled']:.1f}->{mib['floor']:.1f} MiB (x{self.growth(name):.2f}; "
            f"after the warm-up {mib['warm']:.1f}, last {mib['last']:.1f}, "
            f"peak {mib['peak']:.1f})"
        )


@dataclass
class Soak:
    """What the run measured."""

    seconds: float  # the load after the warm-up
    tally: Tally  # every request, the warm-up's included
    products: list[str]
    memory: Memory

    def summary(self) -> str:
        rate = self.tally.requests / (self.seconds + WARM_UP_SECONDS)
        memory = ", ".join(self.memory.describe(name) for name in SERVICES)
        return (
            f"soak {WARM_UP_SECONDS:.0f}+{self.seconds:.0f} s at {CONNECTIONS} connections: "
            f"{self.tally.requests} requests ({rate:.0f}/s), {self.tally.unexpected_count} "
            f"unexpected; {self.tally.by_kind()}; RSS low of the 2nd quarter->low of the last: "
            f"{memory}"
        )


class Load:
    """One AsyncClient, CONNECTIONS loops posting the mix to the gateway until a deadline."""

    def __init__(self, client: httpx.AsyncClient, url: str, products: list[str]) -> None:
        self.client = client
        self.url = url
        self.products = products
        self.tally = Tally()
        self.skus = 0

    async def post(self, kind: str, query: str, variables: dict[str, Any]) -> Any:
        """The `data` of a good answer, or None after counting it as unexpected."""
        try:
            response = await self.client.post(
                self.url, json={"query": query, "variables": variables}
            )
        except httpx.HTTPError as error:
            self.tally.fail(kind, f"transport error {error!r}", type(error).__name__)
            return None
        if response.status_code != 200:
            status = f"HTTP {response.status_code}"
            self.tally.fail(kind, f"{status}: {response.text[:300]}", status)
            return None
        try:
            body = response.json()
        except ValueError:
            self.tally.fail(kind, f"not JSON: {response.text[:300]}", "not JSON")
            return None
        if body.get("errors") or not body.get("data"):
            self.tally.fail(kind, f"errors: {str(body)[:500]}", "top-level errors")
            return None
        return body["data"]

    def settle(self, kind: str, payload: dict[str, Any]) -> bool:
        """Count a mutation's outcome; True when it succeeded."""
        codes = [error["code"] for error in payload["userErrors"]]
        if not codes:
            self.tally.count(kind, "ok")
            return True
        if len(codes) == 1 and codes[0] in MIX[kind][1]:
            self.tally.count(kind, codes[0])
        else:
            self.tally.fail(kind, f"userErrors {payload['userErrors']}", "+".join(codes))
        return False

    def seen(self, level: dict[str, Any]) -> None:
        if level["onHand"] < 0:
            self.tally.fail("invariant", f"negative on hand answered: {level}", "negative")
        self.tally.versions[level["productId"]] = level["version"]

    async def one(self, kind: str, rng: random.Random) -> None:
        product = rng.choice(self.products)
        if kind == "catalog":
            if await self.post(kind, CATALOG, {}) is not None:
                self.tally.count(kind, "ok")
        elif kind == "stockLevels":
            if (data := await self.post(kind, STOCK_LEVELS, {})) is not None:
                self.tally.count(kind, "ok")
                for level in data["stockLevels"]["nodes"]:
                    self.seen(level)
        elif kind == "adjustStock":
            delta = rng.choice([-3, -2, -1, 1, 2, 3])
            reason = "RECEIVED" if delta > 0 else "SOLD"
            given = {"productId": product, "delta": delta, "reason": reason}
            if (data := await self.post(kind, ADJUST, {"input": given})) is not None:
                payload = data["adjustStock"]
                if self.settle(kind, payload):
                    self.tally.adjustments += 1
                    self.tally.adjusted += delta
                    self.seen(payload["stockLevel"])
        elif kind == "setStock":
            given = {"productId": product, "onHand": rng.randint(0, 2 * SEEDED_ON_HAND)}
            if rng.random() < 0.5:
                given["expectedVersion"] = self.tally.versions.get(product, 0)
            if (data := await self.post(kind, SET, {"input": given})) is not None:
                payload = data["setStock"]
                if self.settle(kind, payload):
                    self.tally.sets += 1
                    self.seen(payload["stockLevel"])
        else:
            self.skus += 1
            price = {"amount": f"{rng.randint(1, 9999) / 100:.2f}", "currencyCode": "EUR"}
            sku = f"soak-{self.skus}-{uuid.uuid4().hex[:8]}"
            given = {"sku": sku, "name": "Soak", "price": price}
            data = await self.post(kind, CREATE, {"input": given})
            if data is not None and self.settle(kind, data["createProduct"]):
                self.tally.created += 1

    async def loop(self, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            await self.one(rng.choices(KINDS, WEIGHTS)[0], rng)

    async def run(self, seconds: float, seed: int) -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(self.loop(seed + n, deadline) for n in range(CONNECTIONS)))


async def seed(client: httpx.AsyncClient, url: str) -> list[str]:
    """SEEDED products, each set to SEEDED_ON_HAND through the API (which writes a movement)."""

    async def one(n: int) -> str:
        price = {"amount": "9.99", "currencyCode": "EUR"}
        given = {"sku": f"soak-seed-{n:02}", "name": f"Seeded {n}", "price": price}
        response = await client.post(url, json={"query": CREATE, "variables": {"input": given}})
        payload = response.json()["data"]["createProduct"]
        assert payload["userErrors"] == [], payload
        product = payload["product"]["id"]
        stock = {"productId": product, "onHand": SEEDED_ON_HAND, "reason": "CORRECTION"}
        response = await client.post(url, json={"query": SET, "variables": {"input": stock}})
        assert response.json()["data"]["setStock"]["userErrors"] == [], response.text
        return product

    return list(await asyncio.gather(*(one(n) for n in range(SEEDED))))


async def watch(stack: Stack, memory: Memory, until: float) -> None:
    """Sample every service's RSS until `until` (monotonic), and once more at the end."""
    started = time.monotonic()
    while time.monotonic() < until:
        memory.samples.append((time.monotonic() - started, rss_of(stack)))
        await asyncio.sleep(RSS_SAMPLE_SECONDS)
    memory.samples.append((time.monotonic() - started, rss_of(stack)))


async def soak(stack: Stack, api_key: str) -> Soak:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        headers={"X-API-Key": api_key}, timeout=REQUEST_TIMEOUT, limits=limits, trust_env=False
    ) as client:
        products = await seed(client, stack.gateway_url)
        load = Load(client, stack.gateway_url, products)
        await load.run(WARM_UP_SECONDS, seed=1000)
        memory = Memory(warm=rss_of(stack))
        started = time.monotonic()
        await asyncio.gather(
            load.run(SOAK_SECONDS, seed=0), watch(stack, memory, started + SOAK_SECONDS)
        )
        seconds = time.monotonic() - started
    return Soak(seconds, load.tally, products, memory)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("soak"), api_key) as stack:
        yield stack


@pytest.fixture(scope="module")
def result(stack: Stack, api_key: str) -> Soak:
    """The load, run once for the module."""
    return asyncio.run(soak(stack, api_key))


def database_levels(stack: Stack) -> list[tuple[str, int, int, int]]:
    """(product id, on hand, sum of its movements' deltas, count of its movements) per level."""
    uri = f"file:{inventory_database(stack)}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
        rows = connection.execute(
            "SELECT l.product_id, l.on_hand, COALESCE(SUM(m.delta), 0), COUNT(m.position)"
            " FROM stock_levels l LEFT JOIN stock_movements m ON m.product_id = l.product_id"
            " GROUP BY l.product_id, l.on_hand"
        ).fetchall()
    return [(str(uuid.UUID(pid)), on_hand, total, count) for pid, on_hand, total, count in rows]


def database_adjustments(stack: Stack) -> tuple[int, int]:
    """How many movements adjustStock wrote (RECEIVED, SOLD), and the sum of their deltas."""
    uri = f"file:{inventory_database(stack)}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
        count, total = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(delta), 0) FROM stock_movements"
            " WHERE reason IN ('RECEIVED', 'SOLD')"
        ).fetchone()
    return count, total


def test_a_mixed_load_through_the_gateway_meets_no_unexpected_error(
    result: Soak,
    stack: Stack,  # so that a failure shows the tail of each process's log
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = result.summary()
    record_property("soak", summary)
    with capsys.disabled():
        print(f"\n{summary}")

    unexpected = result.tally.unexpected_count
    reasons = ", ".join(f"{reason} x{n}" for reason, n in result.tally.reasons.most_common())
    assert unexpected == 0, "\n".join([reasons, "first ones:", *result.tally.unexpected])
    for kind in KINDS:
        assert result.tally.outcomes[kind, "ok"] > 0, f"no {kind} succeeded: {summary}"


def test_after_the_load_stock_equals_its_movements_and_is_never_negative(
    result: Soak, stack: Stack
) -> None:
    levels = database_levels(stack)

    assert sorted(pid for pid, *_ in levels) == sorted(result.products)
    assert [level for level in levels if level[1] < 0] == []
    assert [level for level in levels if level[1] != level[2]] == []
    assert database_adjustments(stack) == (result.tally.adjustments, result.tally.adjusted)
    # Every successful setStock wrote at most one movement (none when the value was the same).
    movements = sum(count for *_, count in levels)
    assert SEEDED + result.tally.adjustments <= movements
    assert movements <= SEEDED + result.tally.adjustments + result.tally.sets


def test_after_the_load_the_api_answers_what_the_database_holds(
    result: Soak, stack: Stack, api_key: str
) -> None:
    headers = {"X-API-Key": api_key}
    with httpx.Client(headers=headers, timeout=REQUEST_TIMEOUT, trust_env=False) as client:
        levels = client.post(stack.gateway_url, json={"query": ALL_LEVELS}).json()
        count = client.post(stack.gateway_url, json={"query": PRODUCT_COUNT}).json()

    nodes = levels["data"]["stockLevels"]["nodes"]
    answered = {node["productId"]: node["onHand"] for node in nodes}
    assert answered == {pid: on_hand for pid, on_hand, *_ in database_levels(stack)}
    assert count["data"]["products"]["totalCount"] == SEEDED + result.tally.created


def test_no_service_grows_its_memory_by_more_than_a_quarter_during_the_load(
    result: Soak,
) -> None:
    grown = {
        name: result.memory.describe(name)
        for name in SERVICES
        if result.memory.growth(name) > RSS_GROWTH_LIMIT
    }

    assert grown == {}, result.summary()
