"""A RabbitMQ server for tests: found (or the suite skipped, or failed with REQUIRE_BROKER=1),
and a tap on an exchange that keeps every message published to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import pytest
import sqlalchemy as sa
from aio_pika.abc import AbstractIncomingMessage

from subgraph_kit_testing.tcp_proxy import TcpProxy

DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672/"
BROKER_UNREACHABLE = "RabbitMQ unreachable (set TEST_BROKER_URL, or REQUIRE_BROKER=1 to fail)"


def broker_server_url() -> str | None:
    """Return a reachable RabbitMQ URL, or None; fail instead when REQUIRE_BROKER=1."""
    url = os.environ.get("TEST_BROKER_URL", DEFAULT_BROKER)

    async def probe() -> None:
        connection = await aio_pika.connect(url, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as error:
        if os.environ.get("REQUIRE_BROKER") == "1":
            pytest.fail(f"REQUIRE_BROKER=1 but RabbitMQ is unreachable at {url}: {error!r}")
        return None
    return url


def through(proxy: TcpProxy, url: str) -> str:
    """`url` with the proxy's address in place of the broker's (credentials and vhost kept)."""
    parts = urlsplit(url)
    credentials, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{credentials}{at}127.0.0.1:{proxy.port}"))


def proxy_to(url: str) -> TcpProxy:
    """A TcpProxy in front of the broker at `url` (close it after the test)."""
    parts = urlsplit(url)
    return TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5672))


def unique_prefix() -> str:
    """An exchange-name prefix no other test uses (BROKER_EXCHANGE_PREFIX)."""
    return f"test-{uuid.uuid4().hex[:12]}."


def outbox_events(engine: sa.Engine) -> dict[str, str]:
    """Every event a service's outbox holds, sent or not: its id (as the broker's message_id)
    and its name."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT event_id, name FROM outbox_events"))
        return {str(uuid.UUID(str(event_id))): name for event_id, name in rows}


class ExchangeTap:
    """`async with ExchangeTap(url, name)`: declare the durable topic exchange `name` (as the
    sink does), bind a private queue to every routing key, keep each message that arrives;
    on leaving, delete the exchange (the queue goes with the connection)."""

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange_name = exchange
        self.messages: list[AbstractIncomingMessage] = []
        self.arrived = asyncio.Event()

    async def __aenter__(self) -> ExchangeTap:
        self.connection = await aio_pika.connect(self.url, timeout=5)
        channel = await self.connection.channel()
        self.exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.exchange, routing_key="#")
        await queue.consume(self._keep)
        return self

    async def _keep(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        self.messages.append(message)
        self.arrived.set()

    async def wait_for(self, count: int, *, within: float = 15.0) -> list[AbstractIncomingMessage]:
        """Wait until `count` messages arrived (or `within` seconds passed); return them all."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while len(self.messages) < count:
                    self.arrived.clear()
                    await self.arrived.wait()
        return self.messages

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.exchange.delete()
        await self.connection.close()
