"""The catalog adapter against a real products app, and against products misbehaving."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from app.domain.errors import ProductsUnavailable
from app.domain.models import ProductStatus
from tests.integration.misbehaving_products import ABSENT, PRODUCTS_KEY, catalog_for, url_of

pytestmark = pytest.mark.anyio

PRODUCTS_ROOT = Path(__file__).resolve().parents[3] / "products"
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


async def test_a_hundred_products_are_found_in_one_request(products_url):
    created = [uuid.UUID(create_product(products_url)) for _ in range(99)]
    wanted = [*created, uuid.uuid4()]  # one the catalog does not have
    catalog = await catalog_for(products_url)
    requests: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        requests.append(request)

    catalog.client.transport.client.event_hooks["request"].append(count)  # type: ignore[attr-defined]
    try:
        found = await catalog.fetch_many(wanted)
    finally:
        await catalog.close()
    assert set(found) == set(created)  # the unknown one is left out
    assert {product.status for product in found.values()} == {ProductStatus.ACTIVE}
    assert len(requests) == 1


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


async def test_a_connection_reset_by_products_is_retried(misbehaving):
    misbehaving.status, misbehaving.body, misbehaving.resets = 200, ABSENT, 1
    catalog = await catalog_for(url_of(misbehaving))
    try:
        assert await catalog.fetch(uuid.uuid4()) is None
    finally:
        await catalog.close()
    assert misbehaving.hits == 2
