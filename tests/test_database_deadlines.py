"""Request deadlines with the database black-holed, on real processes over Postgres.

products and inventory are started by the runner, each on a Postgres database of its own
reached through a TCP proxy (`TcpProxy`). `cut("drop")` makes the network drop every packet:
open connections stay open and carry nothing, new ones are never answered, nothing is reset;
`restore()` delivers what was held back, as TCP retransmits it once the network is back, so a
transaction a timed-out request left open can still reach its COMMIT then.

The services run with a 2.5 s request deadline (REQUEST_TIMEOUT_SECONDS; the statement timeout
is 1.5 s, under it): shorter than the 3 s connect timeout, so that every request the drop holds
up meets the deadline (with the 10 s default, one that needs a new connection fails at 3 s
with INTERNAL_SERVER_ERROR instead, as `test_database_faults.py` shows), and the tests stay
short.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from subgraph_kit_testing.databases import postgres_server_url
from subgraph_kit_testing.tcp_proxy import TcpProxy

import runner

KEY = "deadline-test-key"
DEADLINE = 2.5
MARGIN = 1.5  # HTTP, JSON and a loaded 2-core machine
CLIENT_TIMEOUT = DEADLINE + 4  # a request that hangs is given up here
SECRETS = ("postgres", "127.0.0.1", "psycopg", "sqlalchemy", "operationalerror")

CREATE = """mutation ($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } userErrors { code } } }"""
PRODUCTS = "{ products(first: 5) { nodes { sku } } }"
ADJUST = """mutation ($id: ID!, $key: String!) {
  adjustStock(input: {productId: $id, delta: 1, reason: RECEIVED, idempotencyKey: $key}) {
    stockLevel { onHand } userErrors { code } } }"""
STOCK = "query ($id: ID!) { stockLevel(productId: $id) { onHand } }"


@dataclass
class Services:
    products: runner.Process
    inventory: runner.Process
    products_db: TcpProxy
    inventory_db: TcpProxy
    inventory_url: str  # the database itself, not through the proxy
    product_ids: list[str]


@dataclass
class Answer:
    body: dict[str, Any] | None  # None: no answer before CLIENT_TIMEOUT
    seconds: float
    status: int | None = None

    @property
    def code(self) -> str | None:
        errors = (self.body or {}).get("errors") or [{}]
        return errors[0].get("extensions", {}).get("code")

    @property
    def ok(self) -> bool:
        """Answered, without an error or a userError."""
        if self.body is None or self.body.get("errors"):
            return False
        payloads = (self.body.get("data") or {}).values()
        return not any(isinstance(p, dict) and p.get("userErrors") for p in payloads)


def create_databases(server: str, names: list[str]) -> dict[str, str]:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return {
        name: sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        for name in names
    }


def drop_databases(server: str, names: list[str]) -> None:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def through(proxy: TcpProxy, url: str) -> str:
    return sa.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """products and inventory on Postgres through proxies, four products created."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("Postgres unreachable (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1)")
    workdir: Path = tmp_path_factory.mktemp("deadlines")
    suffix = uuid.uuid4().hex[:10]
    names = [f"products_deadline_{suffix}", f"inventory_deadline_{suffix}"]
    urls = create_databases(server, names)
    products_url, inventory_url = urls[names[0]], urls[names[1]]
    target = (sa.make_url(server).host or "127.0.0.1", sa.make_url(server).port or 5432)
    proxies = [TcpProxy(target), TcpProxy(target)]
    processes: list[runner.Process] = []
    try:
        runner.migrate(
            {"products": ("products", products_url), "inventory": ("inventory", inventory_url)},
            workdir,
        )
        env = {
            "API_KEY": KEY,
            "REQUEST_TIMEOUT_SECONDS": str(DEADLINE),
            "STATEMENT_TIMEOUT_MS": "1500",
            "SHUTDOWN_GRACE_SECONDS": "2",
            "no_proxy": runner.no_proxy(),
        }

        def build() -> list[runner.Process]:
            products_port, inventory_port = runner.free_ports(2)
            products = runner.subgraph(
                "products",
                products_port,
                through(proxies[0], products_url),
                env=env,
                log=workdir / "products.log",
            )
            catalog = {"PRODUCTS_URL": products.graphql_url, "PRODUCTS_API_KEY": KEY}
            inventory = runner.subgraph(
                "inventory",
                inventory_port,
                through(proxies[1], inventory_url),
                env=env | catalog,
                log=workdir / "inventory.log",
            )
            processes[:] = [products, inventory]
            return list(processes)

        try:
            runner.start(build)
        except runner.StartupFailed as error:
            logs = "\n".join(runner.tail(p.log) for p in processes if p.log)
            pytest.fail(f"the services did not start: {error}\n{logs}", pytrace=False)
        products, inventory = processes
        ids = [asyncio.run(create_product(products, f"DL-{n}")) for n in range(4)]
        yield Services(products, inventory, *proxies, inventory_url, ids)
    finally:
        runner.stop(processes)
        for proxy in proxies:
            proxy.close()
        drop_databases(server, names)


async def create_product(products: runner.Process, sku: str) -> str:
    answer = await create(products, sku)
    assert answer.ok, answer
    return answer.body["data"]["createProduct"]["product"]["id"]  # type: ignore[index]


def create(products: runner.Process, sku: str) -> Any:
    price = {"amount": "1", "currencyCode": "EUR"}
    return post(products.graphql_url, CREATE, input={"sku": sku, "name": "Lamp", "price": price})


async def post(url: str, query: str, **variables: Any) -> Answer:
    started = time.monotonic()
    headers = {"X-API-Key": KEY}
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, trust_env=False) as client:
        try:
            response = await client.post(
                url, json={"query": query, "variables": variables}, headers=headers
            )
        except httpx.TimeoutException:
            return Answer(None, time.monotonic() - started)
    return Answer(response.json(), time.monotonic() - started, response.status_code)


async def ready(process: runner.Process) -> tuple[int, float]:
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, trust_env=False) as client:
        response = await client.get(process.url + "/health/ready")
    return response.status_code, time.monotonic() - started


def adjust(services: Services, product: int, key: str) -> Any:
    return post(services.inventory.graphql_url, ADJUST, id=services.product_ids[product], key=key)


def assert_timed_out(answer: Answer) -> None:
    """The documented answer past the deadline: HTTP 200, a TIMEOUT error, nothing leaked."""
    assert answer.body is not None, f"no answer within {CLIENT_TIMEOUT} s"
    assert answer.seconds < DEADLINE + MARGIN, answer
    assert answer.status == 200
    assert answer.code == "TIMEOUT", answer
    assert not any(secret in str(answer.body).lower() for secret in SECRETS), answer


def movements(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM stock_movements")).scalar_one()
    engine.dispose()
    return count


def test_a_read_and_a_write_on_each_service_answer_timeout_within_the_deadline(services):
    async def products_during_drop() -> list[Any]:
        services.products_db.cut("drop")
        try:
            return await asyncio.gather(
                post(services.products.graphql_url, PRODUCTS),
                create(services.products, "DURING"),
                ready(services.products),
            )
        finally:
            services.products_db.restore()

    async def inventory_during_drop() -> list[Any]:
        services.inventory_db.cut("drop")
        try:
            return await asyncio.gather(
                post(services.inventory.graphql_url, STOCK, id=services.product_ids[0]),
                adjust(services, 0, f"drop-{uuid.uuid4()}"),
                ready(services.inventory),
            )
        finally:
            services.inventory_db.restore()

    products_read, products_write, products_ready = asyncio.run(products_during_drop())
    inventory_read, inventory_write, inventory_ready = asyncio.run(inventory_during_drop())

    for answer in (products_read, products_write, inventory_read, inventory_write):
        assert_timed_out(answer)
    for status, seconds in (products_ready, inventory_ready):
        assert status == 503
        assert seconds < 2.5


def test_writes_answered_with_an_error_never_commit_once_the_network_is_back(services):
    before = movements(services.inventory_url)

    async def writes() -> tuple[list[Answer], list[Answer]]:
        baseline = [await adjust(services, n % 4, f"before-{uuid.uuid4()}") for n in range(5)]
        services.inventory_db.cut("drop")
        try:
            during = await asyncio.gather(
                *(adjust(services, n % 4, f"during-{uuid.uuid4()}") for n in range(20))
            )
        finally:
            services.inventory_db.restore()  # only once every client has its answer
        return baseline, list(during)

    baseline, during = asyncio.run(writes())
    time.sleep(DEADLINE + 2)  # longer than every timeout: request, statement, pool, socket

    ok = sum(answer.ok for answer in baseline + during)
    assert movements(services.inventory_url) - before == ok
    assert all(answer.ok for answer in baseline)
    for answer in during:
        assert_timed_out(answer)


def test_once_the_network_is_back_both_services_answer_without_a_restart(services):
    """More requests than either pool has connections wait out the drop, then all is normal."""

    async def outage_then_recovery() -> tuple[list[Answer], list[Answer], list[int]]:
        for proxy in (services.products_db, services.inventory_db):
            proxy.cut("drop")
        try:
            during = await asyncio.gather(
                *(post(services.products.graphql_url, PRODUCTS) for _ in range(12)),
                *(
                    post(services.inventory.graphql_url, STOCK, id=services.product_ids[1])
                    for _ in range(12)
                ),
            )
        finally:
            for proxy in (services.products_db, services.inventory_db):
                proxy.restore()
        after = await asyncio.gather(
            post(services.products.graphql_url, PRODUCTS),
            create(services.products, "AFTER"),
            post(services.inventory.graphql_url, STOCK, id=services.product_ids[1]),
            adjust(services, 1, f"after-{uuid.uuid4()}"),
        )
        readiness = [(await ready(p))[0] for p in (services.products, services.inventory)]
        return list(during), list(after), readiness

    during, after, readiness = asyncio.run(outage_then_recovery())

    for answer in during:
        assert_timed_out(answer)
    for answer in after:
        assert answer.ok, answer
        assert answer.seconds < DEADLINE
    assert readiness == [200, 200]
    for process in (services.products, services.inventory):  # the same processes, still up
        assert process.popen is not None
        assert process.popen.poll() is None


def test_a_timed_out_write_retried_with_its_idempotency_key_applies_once(services):
    key = f"retry-{uuid.uuid4()}"

    async def timed_out_then_retried() -> tuple[Answer, Answer, Answer]:
        services.inventory_db.cut("drop")
        try:
            first = await adjust(services, 2, key)
        finally:
            services.inventory_db.restore()
        return first, await adjust(services, 2, key), await adjust(services, 2, key)

    before = movements(services.inventory_url)
    first, retry, replay = asyncio.run(timed_out_then_retried())
    time.sleep(DEADLINE + 2)

    assert_timed_out(first)
    assert retry.ok, retry
    assert replay.ok, replay
    assert retry.body == replay.body
    assert movements(services.inventory_url) - before == 1
