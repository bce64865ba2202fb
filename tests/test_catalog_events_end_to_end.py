"""Products and inventory as real processes with BROKER_URL set (RabbitMQ, exchanges and
queues of the test's own prefix), through the local gateway: a product deleted in the catalog
has its hold released and its levels retired in inventory by the product.deleted event alone,
and the router's queries never answer `data: null` because of it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import aio_pika
import pytest
from stack import GraphQLClient, Stack, running_stack
from subgraph_kit_testing.broker import broker_server_url
from test_end_to_end import ADJUST, CREATE

RESERVE = """mutation ($input: ReserveStockInput!) {
  reserveStock(input: $input) { reservations { status } userErrors { code } } }"""
DELETE = "mutation ($id: ID!) { deleteProduct(id: $id) { userErrors { code } } }"
HOLDS = """query ($reference: String!) {
  reservations(reference: $reference) { status product { id name } } }"""
LEVELS = "{ stockLevels(first: 100) { nodes { productId product { name } } } }"


@pytest.fixture(scope="module")
def prefix() -> Iterator[str]:
    """The test's BROKER_EXCHANGE_PREFIX; its queues and exchanges deleted afterwards."""
    url = broker_server_url()
    if url is None:
        pytest.skip("RabbitMQ unreachable (set TEST_BROKER_URL, or REQUIRE_BROKER=1 to fail)")
    prefix = f"e2e-{uuid.uuid4().hex[:12]}."
    yield prefix

    async def clean() -> None:
        connection = await aio_pika.connect(url, timeout=5)
        async with connection:
            channel = await connection.channel()
            for queue in ("inventory.catalog", "inventory.catalog.dlq"):
                await channel.queue_delete(prefix + queue)
            for exchange in ("catalog.events", "inventory.events", "inventory.catalog.dlx"):
                await channel.exchange_delete(prefix + exchange)

    asyncio.run(clean())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str, prefix: str) -> Iterator[Stack]:
    url = broker_server_url()
    assert url is not None
    env = {"BROKER_URL": url, "BROKER_EXCHANGE_PREFIX": prefix, "OUTBOX_POLL_SECONDS": "0.1"}
    with running_stack(tmp_path_factory.mktemp("catalog-events"), api_key, env=env) as stack:
        yield stack


def test_a_product_deleted_in_the_catalog_is_retired_in_inventory(stack: Stack, api_key: str):
    with GraphQLClient(stack.gateway_url, api_key) as gateway:
        price = {"amount": "9.50", "currencyCode": "EUR"}
        created = gateway.execute(CREATE, input={"sku": "LAMP-9", "name": "Lamp", "price": price})
        product = created["createProduct"]["product"]["id"]
        # Inventory's consumer declares and binds its queue in the background once the service
        # is up; a message published before that reaches no queue (the consumers' part).
        time.sleep(1.5)
        received = {"productId": product, "delta": 10, "reason": "RECEIVED"}
        assert gateway.execute(ADJUST, input=received)["adjustStock"]["userErrors"] == []
        lines = [{"productId": product, "quantity": 3}]
        held = gateway.execute(RESERVE, input={"reference": "cart-9", "lines": lines})
        assert held["reserveStock"]["userErrors"] == []

        assert gateway.execute(DELETE, id=product)["deleteProduct"]["userErrors"] == []
        started = time.monotonic()
        while gateway.execute(HOLDS, reference="cart-9")["reservations"][0]["status"] != "RELEASED":
            assert time.monotonic() - started < 2, stack.logs()
            time.sleep(0.05)
        print(
            f"deleted in products, released in inventory after {time.monotonic() - started:.3f} s"
        )
        assert gateway.execute(HOLDS, reference="cart-9")["reservations"] == [
            {"status": "RELEASED", "product": None}
        ]
        assert product not in [
            node["productId"] for node in gateway.execute(LEVELS)["stockLevels"]["nodes"]
        ]
