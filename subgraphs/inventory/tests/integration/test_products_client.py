"""The catalog adapter against a real products app, and against products misbehaving."""

from __future__ import annotations

import asyncio
import http.server
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from app.domain.errors import ProductsUnavailable
from app.domain.models import ProductStatus
from app.infrastructure.products_client import GqlProductCatalog
from app.settings import Settings

pytestmark = pytest.mark.anyio

PRODUCTS_ROOT = Path(__file__).resolve().parents[3] / "products"
PRODUCTS_KEY = "products-test-key"
DEADLINE_SECONDS = 3.5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def products_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real products subgraph in its own process, on SQLite, on a free port."""
    if not (PRODUCTS_ROOT / "app").is_dir():
        # An image holds one service only; the repository's suites run these tests.
        pytest.skip(f"needs the products service's code at {PRODUCTS_ROOT} (the repository)")
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('products') / 'products.db'}",
        "API_KEY": PRODUCTS_KEY,
    }
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PRODUCTS_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, cwd=PRODUCTS_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the products subgraph did not start")
        yield f"{url}/graphql"
    finally:
        server.terminate()
        server.wait(timeout=10)


def create_product(products_url: str) -> str:
    mutation = (
        'mutation { createProduct(input: {sku: "%s", name: "Lamp", '
        'price: {amount: "1", currencyCode: "EUR"}}) { product { id } } }'
    )
    body = httpx.post(
        products_url,
        json={"query": mutation % uuid.uuid4().hex[:10]},
        headers={"X-API-Key": PRODUCTS_KEY},
    ).json()
    return body["data"]["createProduct"]["product"]["id"]


async def catalog_for(url: str, key: str = PRODUCTS_KEY, **settings: float) -> GqlProductCatalog:
    catalog = GqlProductCatalog(Settings(products_url=url, products_api_key=key, **settings))
    await catalog.connect()
    return catalog


async def test_a_product_that_exists_is_found_with_its_details(products_url):
    product_id = create_product(products_url)
    catalog = await catalog_for(products_url)
    try:
        found = await catalog.fetch(uuid.UUID(product_id))
    finally:
        await catalog.close()
    assert found is not None
    assert (str(found.id), found.name, found.status) == (product_id, "Lamp", "ACTIVE")


async def test_use_cases_ask_through_the_port_from_a_worker_thread(products_url):
    product_id = create_product(products_url)
    catalog = await catalog_for(products_url)
    try:
        found = await anyio.to_thread.run_sync(catalog.get, uuid.UUID(product_id))
    finally:
        await catalog.close()
    assert found is not None
    assert (str(found.id), found.status) == (product_id, ProductStatus.ACTIVE)


async def test_a_product_that_does_not_exist_is_absent(products_url):
    catalog = await catalog_for(products_url)
    try:
        assert await catalog.fetch(uuid.uuid4()) is None
    finally:
        await catalog.close()


async def test_a_rejected_key_is_unavailable_not_absent(products_url):
    catalog = await catalog_for(products_url, key="wrong")
    try:
        with pytest.raises(ProductsUnavailable):
            await catalog.fetch(uuid.uuid4())
    finally:
        await catalog.close()


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the status (and delay) set on the server."""

    def do_POST(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        if self.server.resets > 0:  # type: ignore[attr-defined]
            self.server.resets -= 1  # type: ignore[attr-defined]
            # Close with a reset, as a server closing a kept-alive connection can race us.
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            return
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def misbehaving() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    server.daemon_threads = True
    server.hits, server.delay, server.status = 0, 0.0, 500  # type: ignore[attr-defined]
    server.body = b'{"errors":[{"message":"no"}]}'  # type: ignore[attr-defined]
    server.resets = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url_of(server: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/graphql"


async def assert_unavailable_quickly(url: str) -> float:
    catalog = await catalog_for(url)
    started = time.monotonic()
    try:
        with pytest.raises(ProductsUnavailable):
            await catalog.fetch(uuid.uuid4())
    finally:
        await catalog.close()
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE_SECONDS
    return elapsed


async def test_a_closed_port_is_unavailable_after_the_retries():
    await assert_unavailable_quickly(f"http://127.0.0.1:{free_port()}/graphql")


@pytest.mark.parametrize(("status", "hits"), [(401, 1), (500, 1), (503, 3), (502, 3)])
async def test_error_statuses_are_unavailable_and_only_gateway_errors_are_retried(
    misbehaving, status, hits
):
    misbehaving.status = status
    await assert_unavailable_quickly(url_of(misbehaving))
    assert misbehaving.hits == hits


async def test_a_slow_products_is_unavailable_within_the_deadline(misbehaving):
    misbehaving.delay, misbehaving.status = 10.0, 200
    elapsed = await assert_unavailable_quickly(url_of(misbehaving))
    assert elapsed >= 1.9  # the 2 s read timeout, not an early give-up


BREAKER = {"products_breaker_failures": 5, "products_breaker_reset_seconds": 0.5}
ABSENT = b'{"data":{"product":null}}'


async def fail_times(catalog: GqlProductCatalog, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ProductsUnavailable):
            await catalog.fetch(uuid.uuid4())


async def test_five_failures_open_the_circuit_and_calls_then_fail_at_once(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        assert misbehaving.hits == 5
        started = time.monotonic()
        await fail_times(catalog, 20)
        assert time.monotonic() - started < 0.2
        assert misbehaving.hits == 5  # products was not called while the circuit was open
    finally:
        await catalog.close()


async def test_fewer_failures_than_the_threshold_keep_the_circuit_closed(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 4)
        misbehaving.status, misbehaving.body = 200, ABSENT
        assert await catalog.fetch(uuid.uuid4()) is None  # a success resets the count
        misbehaving.status, misbehaving.body = 500, b'{"errors":[{"message":"no"}]}'
        await fail_times(catalog, 4)
        assert misbehaving.hits == 9
    finally:
        await catalog.close()


async def test_after_the_reset_time_one_successful_call_closes_the_circuit(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        misbehaving.status, misbehaving.body = 200, ABSENT
        await fail_times(catalog, 1)  # still open
        await asyncio.sleep(0.6)
        assert await catalog.fetch(uuid.uuid4()) is None  # half-open: this call goes through
        assert await catalog.fetch(uuid.uuid4()) is None  # closed again
        assert misbehaving.hits == 7
    finally:
        await catalog.close()


async def test_a_failed_call_while_half_open_reopens_the_circuit(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        await asyncio.sleep(0.6)
        await fail_times(catalog, 1)  # the half-open trial reaches products and fails
        assert misbehaving.hits == 6
        await fail_times(catalog, 3)
        assert misbehaving.hits == 6  # open again: no more calls
    finally:
        await catalog.close()


async def test_a_connection_reset_by_products_is_retried(misbehaving):
    misbehaving.status, misbehaving.body, misbehaving.resets = 200, ABSENT, 1
    catalog = await catalog_for(url_of(misbehaving))
    try:
        assert await catalog.fetch(uuid.uuid4()) is None
    finally:
        await catalog.close()
    assert misbehaving.hits == 2
