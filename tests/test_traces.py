"""Traces from real processes: one adjustStock sent to inventory with a W3C `traceparent`
becomes one trace across inventory and products, as an OTLP/HTTP collector receives it, and
the relays' publishes of the events a change staged join the trace of that change.

Both subgraphs run as `make up` runs them, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at the
receiver of otlp_receiver.py (protobuf decoded with opentelemetry-proto), and BROKER_URL at
the RabbitMQ server of the tests when one is reachable (exchanges of this module's own
prefix); without one the publish tests skip (and fail with REQUIRE_BROKER=1).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator

import aio_pika
import httpx
import pytest
import sqlalchemy as sa
from aio_pika.abc import AbstractIncomingMessage
from otlp_receiver import OtlpReceiver, ReceivedSpan
from stack import GraphQLClient, Stack, running_stack
from subgraph_kit.messaging.messages import routing_key
from subgraph_kit_testing.broker import BROKER_UNREACHABLE, broker_server_url, unique_prefix
from test_end_to_end import ADJUST, CREATE

UPDATE = """
mutation Rename($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) {
    product { id name }
    userErrors { field message code }
  }
}"""
EXCHANGES = {"products": "catalog.events", "inventory": "inventory.events"}


class QueueTap:
    """A queue of this module's own, bound to every key of the services' exchanges (declared
    as the relays declare them), from which `received` fetches what has arrived."""

    def __init__(self, url: str, exchanges: list[str]) -> None:
        self.url, self.exchanges = url, exchanges
        self.queue = f"{unique_prefix()}traces"
        self.messages: list[AbstractIncomingMessage] = []

    async def _on_channel(self, work: Callable[[aio_pika.abc.AbstractChannel], object]) -> None:
        connection = await aio_pika.connect(self.url, timeout=5)
        try:
            await work(await connection.channel())  # type: ignore[misc]
        finally:
            await connection.close()

    def __enter__(self) -> QueueTap:
        async def bind(channel: aio_pika.abc.AbstractChannel) -> None:
            queue = await channel.declare_queue(self.queue, auto_delete=False)
            for name in self.exchanges:
                exchange = await channel.declare_exchange(
                    name, aio_pika.ExchangeType.TOPIC, durable=True
                )
                await queue.bind(exchange, routing_key="#")

        asyncio.run(self._on_channel(bind))
        return self

    def received(self) -> list[AbstractIncomingMessage]:
        """Every message taken from the queue so far."""

        async def fetch(channel: aio_pika.abc.AbstractChannel) -> None:
            queue = await channel.get_queue(self.queue)
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                self.messages.append(message)

        asyncio.run(self._on_channel(fetch))
        return self.messages

    def __exit__(self, *_: object) -> None:
        async def delete(channel: aio_pika.abc.AbstractChannel) -> None:
            await channel.queue_delete(self.queue)
            for name in self.exchanges:
                await channel.exchange_delete(name)

        asyncio.run(self._on_channel(delete))


@pytest.fixture(scope="module")
def broker_url() -> str | None:
    """The tests' RabbitMQ server, or None (pytest.fail with REQUIRE_BROKER=1)."""
    return broker_server_url()


@pytest.fixture(scope="module")
def exchange_prefix() -> str:
    return unique_prefix()


@pytest.fixture(scope="module")
def tap(broker_url: str | None, exchange_prefix: str) -> Iterator[QueueTap | None]:
    if broker_url is None:
        yield None
        return
    with QueueTap(broker_url, [exchange_prefix + name for name in EXCHANGES.values()]) as tap:
        yield tap


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    api_key: str,
    receiver: OtlpReceiver,
    broker_url: str | None,
    exchange_prefix: str,
    tap: QueueTap | None,
) -> Iterator[Stack]:
    # Spans are exported in batches; a short delay keeps the test from waiting 5 s for them.
    # Production writes JSON log lines, whose trace ids the last test reads.
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "ENVIRONMENT": "production",
    }
    if broker_url is not None:
        env |= {"BROKER_URL": broker_url, "BROKER_EXCHANGE_PREFIX": exchange_prefix}
    with running_stack(tmp_path_factory.mktemp("traces"), api_key, env=env) as stack:
        yield stack


def new_product(stack: Stack, api_key: str) -> str:
    with GraphQLClient(stack["products"].graphql_url, api_key) as products:
        created = products.execute(
            CREATE,
            input={
                "sku": f"trace-{uuid.uuid4().hex[:8]}",
                "name": "Lamp",
                "price": {"amount": "5", "currencyCode": "EUR"},
            },
        )
    return created["createProduct"]["product"]["id"]


def adjust_with_traceparent(stack: Stack, api_key: str, product_id: str, traceparent: str) -> dict:
    variables = {"input": {"productId": product_id, "delta": 3, "reason": "RECEIVED"}}
    response = httpx.post(
        stack["inventory"].graphql_url,
        json={"query": ADJUST, "variables": variables},
        headers={"X-API-Key": api_key, "traceparent": traceparent},
        timeout=10,
        trust_env=False,
    )
    response.raise_for_status()
    return response.json()


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[str]:
    """The names of the spans above `span`, nearest first, as far as the trace holds them."""
    by_id = {s.span_id: s for s in spans}
    names = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        names.append(f"{span.service}:{span.name}")
    return names


def is_sql(span: ReceivedSpan) -> bool:
    return any(key.startswith("db.") for key in span.attributes)


def complete(spans: list[ReceivedSpan]) -> bool:
    names = {(s.service, s.name) for s in spans}
    return {("inventory", "mutation Adjust"), ("products", "query ProductForStock")} <= names


def test_one_adjust_stock_is_one_trace_across_inventory_and_products(
    stack: Stack, api_key: str, receiver: OtlpReceiver
) -> None:
    product_id = new_product(stack, api_key)
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)

    answer = adjust_with_traceparent(stack, api_key, product_id, f"00-{trace_id}-{caller_span}-01")
    spans = receiver.wait_for(trace_id, complete)

    assert answer["data"]["adjustStock"]["userErrors"] == [], answer
    assert complete(spans), sorted((s.service, s.name) for s in spans)
    by_name = {(s.service, s.name): s for s in spans}
    # Inventory's server span continues the caller's span; the operation runs inside it.
    server = by_name["inventory", "POST /graphql"]
    assert (server.kind, server.parent_span_id) == ("SERVER", caller_span)
    operation = by_name["inventory", "mutation Adjust"]
    assert operation.parent_span_id == server.span_id
    assert operation.attributes["graphql.operation.type"] == "mutation"
    assert operation.attributes["graphql.operation.name"] == "Adjust"
    assert "adjustStock" in operation.attributes["graphql.document"]
    # Its SQL, from the worker thread the use case runs in.
    inventory_sql = [s for s in spans if s.service == "inventory" and is_sql(s)]
    # The guarded update (WITH … UPDATE … RETURNING), the movement and the outbox row.
    assert {s.name.split()[0] for s in inventory_sql} >= {"WITH", "INSERT"}, [
        s.name for s in inventory_sql
    ]
    for span in inventory_sql:
        assert span.kind == "CLIENT"
        assert "inventory:mutation Adjust" in ancestors(span, spans), span
    # The call to products, made on the event loop for the worker thread.
    calls = [s for s in spans if s.service == "inventory" and s.name == "POST"]
    assert len(calls) == 1, sorted((s.service, s.name) for s in spans)
    assert calls[0].kind == "CLIENT"
    assert "inventory:mutation Adjust" in ancestors(calls[0], spans)
    # Products continues inventory's call, and runs the product query and its SQL inside it.
    products_server = by_name["products", "POST /graphql"]
    assert products_server.parent_span_id == calls[0].span_id
    lookup = by_name["products", "query ProductForStock"]
    assert lookup.parent_span_id == products_server.span_id
    products_sql = [s for s in spans if s.service == "products" and is_sql(s)]
    assert products_sql
    for span in products_sql:
        assert "products:query ProductForStock" in ancestors(span, spans), span


def test_traces_start_at_requests_only_and_leave_out_health_and_metrics(
    stack: Stack, api_key: str, receiver: OtlpReceiver
) -> None:
    with GraphQLClient(stack["products"].graphql_url, api_key) as products:
        products.execute("query Count { products(first: 1) { totalCount } }")
    for path in ("/health", "/health/ready", "/metrics"):
        assert httpx.get(stack["products"].url + path, trust_env=False).status_code == 200

    counted = receiver.wait_for_name("query Count")
    # The outbox relay has polled (each second) meanwhile: its SQL starts no trace.
    time.sleep(1.5)

    assert counted is not None
    roots = [s for s in receiver.all() if s.parent_span_id == ""]
    assert {(s.kind, s.name) for s in roots} <= {("SERVER", "POST /graphql")}, roots
    trace = receiver.trace(counted.trace_id)
    assert [s.name for s in trace if s.parent_span_id == ""] == ["POST /graphql"]


def test_log_lines_of_a_traced_request_carry_its_trace_and_span_ids(
    stack: Stack, api_key: str, receiver: OtlpReceiver
) -> None:
    product_id = new_product(stack, api_key)
    trace_id = secrets.token_hex(16)

    adjust_with_traceparent(stack, api_key, product_id, f"00-{trace_id}-{secrets.token_hex(8)}-01")
    spans = receiver.wait_for(trace_id, complete)

    # httpx logs each call to products at INFO, in the span its client was called from.
    lines = [json.loads(line) for line in stack["inventory"].log.read_text().splitlines()[1:]]
    traced = [line for line in lines if line.get("trace_id") == trace_id]
    assert traced, lines[-5:]
    inventory_spans = {s.span_id for s in spans if s.service == "inventory"}
    assert {line["logger"] for line in traced} == {"httpx"}
    assert {line["span_id"] for line in traced} <= inventory_spans
    assert all(line["requestId"] not in ("", "-") for line in traced)
    untraced = [line for line in lines if "trace_id" not in line]
    assert untraced, "the start-up lines belong to no trace"


def test_a_caller_that_does_not_sample_its_trace_gets_no_spans_recorded(
    stack: Stack, api_key: str, receiver: OtlpReceiver
) -> None:
    product_id = new_product(stack, api_key)
    unsampled, sampled = secrets.token_hex(16), secrets.token_hex(16)

    adjust_with_traceparent(stack, api_key, product_id, f"00-{unsampled}-{secrets.token_hex(8)}-00")
    adjust_with_traceparent(stack, api_key, product_id, f"00-{sampled}-{secrets.token_hex(8)}-01")
    receiver.wait_for(sampled, complete)  # exported after the unsampled one would have been

    assert receiver.trace(unsampled) == []


def stored_events(stack: Stack, service: str) -> dict[str, tuple[str, str | None]]:
    """Each event of `service`'s outbox: its id, and its name and stored traceparent."""
    engine = sa.create_engine(stack.database_url(service))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT event_id, name, traceparent FROM outbox_events")
            )
            return {
                str(uuid.UUID(str(event_id))): (name, parent) for event_id, name, parent in rows
            }
    finally:
        engine.dispose()


def publishes_of(service: str, exchange: str) -> Callable[[list[ReceivedSpan]], bool]:
    """Whether a trace holds a publish span of `service`'s relay to `exchange`."""
    return lambda spans: any((s.service, s.name) == (service, f"publish {exchange}") for s in spans)


def assert_publishes_join_the_change(
    stack: Stack,
    tap: QueueTap,
    spans: list[ReceivedSpan],
    *,
    service: str,
    exchange: str,
    operation: str,
) -> None:
    """Each publish span of the trace is a PRODUCER child of the change's operation, names an
    event whose outbox row stored that operation's context, and the message that reached the
    broker carries the publish span's own context."""
    (change,) = [s for s in spans if (s.service, s.name) == (service, operation)]
    published = [s for s in spans if (s.service, s.name) == (service, f"publish {exchange}")]
    stored = stored_events(stack, service)
    assert published, sorted((s.service, s.name) for s in spans)
    messages = {m.message_id: m for m in tap.received()}
    for span in published:
        assert span.kind == "PRODUCER"
        assert span.parent_span_id == change.span_id
        message_id = span.attributes["messaging.message.id"]
        name, traceparent = stored[message_id]
        assert traceparent == f"00-{change.trace_id}-{change.span_id}-01"
        assert span.attributes["messaging.system"] == "rabbitmq"
        assert span.attributes["messaging.destination.name"] == exchange
        key = span.attributes["messaging.rabbitmq.destination.routing_key"]
        assert key == routing_key(name, {"LowStock": "stock.low"})
        headers = messages[message_id].headers
        assert headers["traceparent"] == f"00-{span.trace_id}-{span.span_id}-01"


@pytest.fixture
def messages(tap: QueueTap | None) -> QueueTap:
    """The module's tap on the exchanges; the test skips when no broker is reachable."""
    if tap is None:
        pytest.skip(BROKER_UNREACHABLE)
    return tap


def test_inventorys_relay_publishes_an_adjustments_events_in_the_trace_of_the_change(
    stack: Stack, api_key: str, receiver: OtlpReceiver, messages: QueueTap, exchange_prefix: str
) -> None:
    product_id, trace_id = new_product(stack, api_key), secrets.token_hex(16)
    exchange = exchange_prefix + EXCHANGES["inventory"]

    answer = adjust_with_traceparent(
        stack, api_key, product_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"
    )
    spans = receiver.wait_for(trace_id, publishes_of("inventory", exchange))

    assert answer["data"]["adjustStock"]["userErrors"] == [], answer
    assert_publishes_join_the_change(
        stack, messages, spans, service="inventory", exchange=exchange, operation="mutation Adjust"
    )
    keys = {
        s.attributes["messaging.rabbitmq.destination.routing_key"]
        for s in spans
        if s.kind == "PRODUCER"
    }
    assert "stock.changed" in keys, keys


def test_products_relay_publishes_an_update_in_the_trace_of_the_change(
    stack: Stack, api_key: str, receiver: OtlpReceiver, messages: QueueTap, exchange_prefix: str
) -> None:
    product_id, trace_id = new_product(stack, api_key), secrets.token_hex(16)
    exchange = exchange_prefix + EXCHANGES["products"]

    response = httpx.post(
        stack["products"].graphql_url,
        json={"query": UPDATE, "variables": {"id": product_id, "input": {"name": "Desk lamp"}}},
        headers={"X-API-Key": api_key, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        timeout=10,
        trust_env=False,
    )
    spans = receiver.wait_for(trace_id, publishes_of("products", exchange))

    assert response.json()["data"]["updateProduct"]["userErrors"] == [], response.json()
    assert_publishes_join_the_change(
        stack, messages, spans, service="products", exchange=exchange, operation="mutation Rename"
    )
    (publish,) = [s for s in spans if s.kind == "PRODUCER"]
    assert publish.attributes["messaging.rabbitmq.destination.routing_key"] == "product.updated"


REMOVE = "mutation Remove($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }"


def test_inventorys_consumer_applies_a_deletion_in_the_trace_of_the_change(
    stack: Stack, api_key: str, receiver: OtlpReceiver, messages: QueueTap, exchange_prefix: str
) -> None:
    product_id, trace_id = new_product(stack, api_key), secrets.token_hex(16)
    assert (
        adjust_with_traceparent(
            stack, api_key, product_id, f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        )["data"]["adjustStock"]["userErrors"]
        == []
    )
    queue = exchange_prefix + "inventory.catalog"

    response = httpx.post(
        stack["products"].graphql_url,
        json={"query": REMOVE, "variables": {"id": product_id}},
        headers={"X-API-Key": api_key, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        timeout=10,
        trust_env=False,
    )
    consumed = f"process {queue}"
    # Each process exports its spans on its own schedule: wait for both services' share.
    spans = receiver.wait_for(
        trace_id,
        lambda spans: (
            any((s.service, s.name) == ("inventory", consumed) for s in spans)
            and any(is_sql(s) and s.service == "inventory" for s in spans)
            and any((s.service, s.kind) == ("products", "PRODUCER") for s in spans)
            and any((s.service, s.name) == ("products", "mutation Remove") for s in spans)
        ),
    )

    assert response.json()["data"]["deleteProduct"]["userErrors"] == [], response.json()
    (publish,) = [s for s in spans if (s.service, s.kind) == ("products", "PRODUCER")]
    (process,) = [s for s in spans if (s.service, s.name) == ("inventory", consumed)]
    assert process.kind == "CONSUMER"
    assert process.parent_span_id == publish.span_id
    assert process.attributes["messaging.destination.name"] == queue
    assert process.attributes["messaging.rabbitmq.destination.routing_key"] == "product.deleted"
    assert process.attributes["messaging.message.id"] == publish.attributes["messaging.message.id"]
    # What the consumer wrote (the inbox, the retired level) is SQL under its span.
    written = [s for s in spans if s.service == "inventory" and is_sql(s)]
    assert written
    assert all(f"inventory:{consumed}" in ancestors(s, spans) for s in written)
    assert ancestors(process, spans)[:2] == [
        "products:publish " + exchange_prefix + EXCHANGES["products"],
        "products:mutation Remove",
    ]
