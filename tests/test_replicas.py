"""Two replicas of each subgraph on one Postgres and one RabbitMQ, behind the gateway.

Each service runs twice, on its own Postgres database shared by both replicas, with its relay
publishing to the real broker. The gateway (and inventory's catalog client) reach each pair
through a round-robin balancer. A 30 s mixed load (products created, renamed and deleted;
stock received and sold; holds placed, committed, released or left to expire) runs through
the gateway. Afterwards both outboxes drain, and:

- every event either service committed reached its exchange exactly once (a tap binds its own
  queue to both exchanges and counts message ids), none twice from the two relays;
- the two inventory consumers of `inventory.catalog` applied every catalog event (its id is
  in the inbox), no hold ended twice, and every deleted product has no active hold and no
  listed level left;
- no write was ended by Postgres as a deadlock (none had to be run again);
- inventory's audit command finds no broken invariant.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from stack import ROOT, CountingProxy
from subgraph_kit_testing.broker import ExchangeTap, broker_server_url, unique_prefix
from subgraph_kit_testing.databases import postgres_server_url

import runner
from runner import Process, StartupFailed, no_proxy

LOAD_SECONDS = float(os.environ.get("REPLICA_LOAD_SECONDS", "30"))
CONNECTIONS = 8
DRAIN_SECONDS = 30.0
SERVICES = ("products", "inventory")
# A client may write to a product another client is deleting: inventory answers
# PRODUCT_NOT_FOUND, and products NOT_FOUND to a rename.
EXPECTED_USER_ERRORS = {"INSUFFICIENT_STOCK", "PRODUCT_NOT_FOUND", "RESERVATION_EXPIRED"}
EXPECTED_USER_ERRORS |= {"NOT_FOUND"}

CREATE = """
mutation Create($sku: String!) {
  createProduct(input: {sku: $sku, name: $sku, price: {amount: "3", currencyCode: "EUR"}}) {
    product { id } userErrors { code }
  }
}"""
RENAME = """
mutation Rename($id: ID!, $name: String!) {
  updateProduct(id: $id, input: {name: $name}) { userErrors { code } }
}"""
DELETE = "mutation Delete($id: ID!) { deleteProduct(id: $id) { userErrors { code } } }"
ADJUST = """
mutation Adjust($id: ID!, $delta: Int!, $reason: StockChangeReason!) {
  adjustStock(input: {productId: $id, delta: $delta, reason: $reason}) { userErrors { code } }
}"""
RESERVE = """
mutation Reserve($reference: String!, $id: ID!, $quantity: Int!, $seconds: Int!) {
  reserveStock(input: {reference: $reference, lines: [{productId: $id, quantity: $quantity}],
                       expiresInSeconds: $seconds}) {
    reservations { id } userErrors { code }
  }
}"""
COMMIT = (
    "mutation Commit($r: String!) { commitReservations(reference: $r) { userErrors { code } } }"
)
RELEASE = (
    "mutation Free($r: String!) { releaseReservations(reference: $r) { userErrors { code } } }"
)


class Balancer(CountingProxy):
    """Hands each request to the next of `targets`, in turn."""

    def __init__(self, targets: list[str]) -> None:
        super().__init__()
        self.turns = itertools.cycle(targets)

    def pick(self) -> str:
        with self.lock:
            return next(self.turns)


@pytest.fixture(scope="module")
def broker_url() -> str:
    url = broker_server_url()
    if url is None:
        pytest.skip("RabbitMQ unreachable (set TEST_BROKER_URL, or REQUIRE_BROKER=1 to fail)")
    return url


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh Postgres database per service, migrated by the runner, dropped after."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("Postgres unreachable (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail)")
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    names = {service: f"{service}_replicas_{uuid.uuid4().hex[:8]}" for service in SERVICES}
    with admin.connect() as connection:
        for name in names.values():
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    urls = {
        service: sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        for service, name in names.items()
    }
    try:
        runner.migrate({s: (s, url) for s, url in urls.items()}, tmp_path_factory.mktemp("migrate"))
        yield urls
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


class Replicas:
    """Two replicas of products, two of inventory and the gateway; each pair behind a Balancer."""

    def __init__(
        self, workdir: Path, api_key: str, databases: dict[str, str], broker: dict
    ) -> None:
        self.workdir, self.api_key, self.databases, self.broker = (
            workdir,
            api_key,
            databases,
            broker,
        )
        self.processes: list[Process] = []
        self.balancers: list[Balancer] = []

    def subgraph(self, service: str, index: int, port: int, env: dict[str, str]) -> Process:
        name = f"{service}-{index}"
        common = {
            "API_KEY": self.api_key,
            "ENVIRONMENT": "development",
            "LOG_LEVEL": "INFO",
            "OUTBOX_POLL_SECONDS": "0.2",
            "RESERVATION_SWEEP_SECONDS": "1",
            "no_proxy": no_proxy(),
        }
        return runner.subgraph(
            service,
            port,
            self.databases[service],
            name=name,
            env=common | self.broker | env,
            log=self.workdir / f"{name}.log",
        )

    def balance(self, processes: list[Process]) -> Balancer:
        balancer = Balancer([process.url for process in processes])
        balancer.__enter__()
        self.balancers.append(balancer)
        return balancer

    def start(self) -> None:
        def build() -> list[Process]:
            for balancer in self.balancers:
                balancer.__exit__()
            self.balancers = []
            ports = runner.free_ports(5)
            products = [self.subgraph("products", i, ports[i], {}) for i in range(2)]
            catalog_url = self.balance(products).url + "/graphql"
            catalog = {"PRODUCTS_URL": catalog_url, "PRODUCTS_API_KEY": self.api_key}
            inventory = [self.subgraph("inventory", i, ports[2 + i], catalog) for i in range(2)]
            urls = {
                "PRODUCTS_URL": catalog_url,
                "INVENTORY_URL": self.balance(inventory).url + "/graphql",
                "ENVIRONMENT": "development",
            }
            gateway = runner.gateway(ports[4], urls, log=self.workdir / "gateway.log")
            self.processes = [*products, *inventory, gateway]
            return self.processes

        runner.start(build)

    @property
    def gateway_url(self) -> str:
        return self.processes[-1].graphql_url

    def stop(self) -> None:
        runner.stop(self.processes)
        for balancer in self.balancers:
            balancer.__exit__()

    def deadlocks(self) -> list[str]:
        """The lines of the services' logs that report a deadlock."""
        return [
            f"{p.name}: {line}"
            for p in self.processes
            if p.log is not None
            for line in p.log.read_text(errors="replace").splitlines()
            if "deadlock detected" in line
        ]

    def logs(self) -> str:
        return "\n\n".join(
            f"--- {p.name}:\n{runner.tail(p.log)}" for p in self.processes if p.log is not None
        )


@pytest.fixture(scope="module")
def exchanges(broker_url: str) -> dict[str, str]:
    prefix = unique_prefix()
    return {
        "prefix": prefix,
        "catalog": prefix + "catalog.events",
        "stock": prefix + "inventory.events",
    }


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory,
    api_key: str,
    databases: dict[str, str],
    broker_url: str,
    exchanges: dict[str, str],
) -> Iterator[Replicas]:
    broker = {"BROKER_URL": broker_url, "BROKER_EXCHANGE_PREFIX": exchanges["prefix"]}
    stack = Replicas(tmp_path_factory.mktemp("replicas"), api_key, databases, broker)
    try:
        try:
            stack.start()
        except StartupFailed as error:
            pytest.fail(f"the replicas did not start: {error}\n\n{stack.logs()}", pytrace=False)
        yield stack
    finally:
        stack.stop()


class Load:
    """The mixed load's clients and what they saw."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url, self.api_key = url, api_key
        self.products: list[str] = []
        self.deleted: set[str] = set()
        self.outcomes: Counter[str] = Counter()
        self.unexpected: list[str] = []

    async def call(self, client: httpx.AsyncClient, query: str, **variables: Any) -> dict:
        response = await client.post(self.url, json={"query": query, "variables": variables})
        body = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or body.get("errors"):
            self.unexpected.append(f"{response.status_code} {response.text[:300]}")
            return {}
        (payload,) = body["data"].values()
        codes = [error["code"] for error in payload.get("userErrors", [])]
        self.unexpected.extend(code for code in codes if code not in EXPECTED_USER_ERRORS)
        self.outcomes.update(codes or ["ok"])
        return payload

    async def new_product(self, client: httpx.AsyncClient) -> None:
        created = await self.call(client, CREATE, sku=f"R-{uuid.uuid4().hex[:10]}")
        if created.get("product"):
            product = created["product"]["id"]
            await self.call(client, ADJUST, id=product, delta=20, reason="RECEIVED")
            self.products.append(product)

    async def shop(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        product, reference = rng.choice(self.products), f"cart-{uuid.uuid4().hex}"
        quantity, seconds = rng.randint(1, 3), rng.choice([1, 60, 60, 60])
        held = await self.call(
            client, RESERVE, reference=reference, id=product, quantity=quantity, seconds=seconds
        )
        if held.get("reservations"):
            await self.call(client, rng.choice([COMMIT, COMMIT, RELEASE]), r=reference)

    async def step(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.1 or len(self.products) < 5:
            await self.new_product(client)
        elif roll < 0.55:
            await self.shop(client, rng)
        elif roll < 0.8:
            delta, reason = rng.choice([(-1, "SOLD"), (2, "RECEIVED")])
            await self.call(
                client, ADJUST, id=rng.choice(self.products), delta=delta, reason=reason
            )
        elif roll < 0.95:
            await self.call(client, RENAME, id=rng.choice(self.products), name=uuid.uuid4().hex)
        else:
            product = self.products.pop(rng.randrange(len(self.products)))
            await self.call(client, DELETE, id=product)
            self.deleted.add(product)

    async def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds

        async def loop(seed: int) -> None:
            rng = random.Random(seed)
            headers = {"X-API-Key": self.api_key}
            async with httpx.AsyncClient(headers=headers, timeout=15, trust_env=False) as client:
                while time.monotonic() < deadline:
                    await self.step(client, rng)

        await asyncio.gather(*(loop(seed) for seed in range(CONNECTIONS)))


def outbox(url: str) -> tuple[dict[str, str], int]:
    """Every event id in a service's outbox (with its name), and how many are still pending."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT event_id, name, sent_at FROM outbox_events"))
            events, pending = {}, 0
            for event_id, name, sent_at in rows:
                events[str(event_id)] = name
                pending += sent_at is None
            return events, pending
    finally:
        engine.dispose()


def drained(databases: dict[str, str]) -> dict[str, dict[str, str]]:
    """Wait until neither outbox holds a pending event; return each one's events."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        found = {service: outbox(url) for service, url in databases.items()}
        if all(pending == 0 for _, pending in found.values()) or time.monotonic() > deadline:
            assert {service: pending for service, (_, pending) in found.items()} == {
                "products": 0,
                "inventory": 0,
            }
            return {service: events for service, (events, _) in found.items()}
        time.sleep(0.5)


def rows(url: str, query: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(query), params))
    finally:
        engine.dispose()


def inbox_holding(url: str, event_ids: set[str]) -> set[str]:
    """The ids in inventory's inbox once it holds all of `event_ids` (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        found = {str(row.event_id) for row in rows(url, "SELECT event_id FROM inbox_messages")}
        if event_ids <= found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_two_replicas_of_each_share_the_outbox_and_keep_every_invariant(
    replicas: Replicas, api_key: str, databases: dict[str, str], broker_url: str, exchanges
) -> None:
    load = Load(replicas.gateway_url, api_key)

    async def run() -> tuple[list, list]:
        async with (
            ExchangeTap(broker_url, exchanges["catalog"]) as catalog,
            ExchangeTap(broker_url, exchanges["stock"]) as stock,
        ):
            await load.run(LOAD_SECONDS)
            events = await asyncio.to_thread(drained, databases)
            await catalog.wait_for(len(events["products"]), within=10)
            await stock.wait_for(len(events["inventory"]), within=10)
            await asyncio.sleep(1)  # a message sent twice would arrive by now
            return list(catalog.messages), list(stock.messages)

    catalog_messages, stock_messages = asyncio.run(run())

    assert load.unexpected == [], f"{load.unexpected[:10]}\n\n{replicas.logs()}"
    assert load.outcomes["ok"] > 200, load.outcomes
    events = drained(databases)
    for service, messages in (("products", catalog_messages), ("inventory", stock_messages)):
        ids = Counter(message.message_id for message in messages)
        assert [i for i, seen in ids.items() if seen > 1] == [], f"{service}: published twice"
        assert set(ids) == set(events[service]), f"{service}: lost or foreign events"
    assert {"ProductDeleted", "ProductUpdated"} <= set(events["products"].values())
    assert {"ReservationCommitted", "ReservationReleased", "StockChanged"} <= set(
        events["inventory"].values()
    )
    # The consumers: every catalog event applied, once; each hold ended at most once; every
    # deleted product's holds freed and its levels retired.
    inventory = databases["inventory"]
    assert inbox_holding(inventory, set(events["products"])) == set(events["products"])
    ended = Counter(
        json.loads(message.body)["payload"]["reservationId"]
        for message in stock_messages
        if message.type in {"ReservationCommitted", "ReservationReleased", "ReservationExpired"}
    )
    assert [hold for hold, times in ended.items() if times > 1] == []
    assert load.deleted
    for product in load.deleted:
        left = rows(
            inventory,
            "SELECT (SELECT count(*) FROM stock_levels WHERE product_id = :p"
            "        AND retired_at IS NULL) AS levels,"
            "       (SELECT count(*) FROM reservations WHERE product_id = :p"
            "        AND status = 'ACTIVE') AS holds",
            p=uuid.UUID(product),
        )
        assert (left[0].levels, left[0].holds) == (0, 0), product
    # Writes take their locks in one order: Postgres never had to end one as a deadlock (each
    # service would have run it again, and logged it).
    assert replicas.deadlocks() == []
    audit = subprocess.run(
        [sys.executable, "-m", "app", "audit"],
        cwd=ROOT / "subgraphs" / "inventory",
        env=os.environ | {"DATABASE_URL": databases["inventory"], "API_KEY": api_key},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
