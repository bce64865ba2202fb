"""The RabbitMQ event sink: each outbox event published to a durable topic exchange through
FastStream's RabbitBroker, and counted delivered only once the broker confirmed it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from opentelemetry.trace import Tracer, TracerProvider

from subgraph_kit.core.events import PendingEvent
from subgraph_kit.core.outbox import EventSink
from subgraph_kit.messaging.messages import message_body, routing_key
from subgraph_kit.observability.messaging import SCOPE, publishing

logger = logging.getLogger("app.events")
T = TypeVar("T")


class BrokerUnavailable(ConnectionError):
    """The broker cannot be reached now, or did not confirm the event; it stays pending."""


class Backoff:
    """Delays between connection attempts: doubling from `first` up to `most` seconds."""

    def __init__(self, *, first: float = 0.5, most: float = 30.0) -> None:
        self.first = first
        self.most = most
        self.failures = 0
        self.retry_at = 0.0

    def failed(self) -> float:
        """Record a failure; return the seconds until the next attempt."""
        self.failures += 1
        delay = min(self.most, self.first * 2 ** (self.failures - 1))
        self.retry_at = time.monotonic() + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = 0.0

    def waiting(self) -> bool:
        return time.monotonic() < self.retry_at


class RabbitEventSink(EventSink):
    """Publish events to `exchange` (durable, topic) on the RabbitMQ server at `url`.

    The relay is synchronous (a worker thread of the service, or the command line); FastStream
    is asyncio. The sink runs its own event loop on a thread of its own, connects there once
    (in `ready`, before the relay opens the outbox's transaction) and keeps that connection.
    A failed publish drops the connection; the next attempts wait out a doubling backoff, so a
    broker that is down costs the relay one refused connection per backoff period, no more.

    Each message carries the W3C trace context of the change that staged it (`traceparent`,
    `tracestate` headers); once `trace` gave it a tracer, each publish is a PRODUCER span in
    that change's trace, and the headers name that span.
    """

    def __init__(
        self,
        *,
        url: str,
        exchange: str,
        renamed: Mapping[str, str] | None = None,
        connect_timeout: float = 3.0,
        confirm_timeout: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = url
        self.exchange = RabbitExchange(exchange, type=ExchangeType.TOPIC, durable=True)
        self.renamed = dict(renamed or {})
        self.connect_timeout = connect_timeout
        self.confirm_timeout = confirm_timeout
        self.backoff = backoff or Backoff()
        self._broker: RabbitBroker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._tracer: Tracer | None = None
        self._address = urlsplit(url)

    def trace(self, provider: TracerProvider) -> None:
        """Record a publish span per event with `provider` (set before the relay starts)."""
        self._tracer = provider.get_tracer(SCOPE)

    def ready(self) -> bool:
        """Connect if need be (not during a backoff); whether publishing may be tried."""
        with self._lock:
            if self._broker is not None:
                return True
            if self.backoff.waiting():
                return False
            try:
                self._broker = self._run(self._connect(), timeout=self.connect_timeout + 1)
            except Exception as error:
                delay = self.backoff.failed()
                logger.warning(
                    "broker unreachable at %s (%s); events stay pending, next try in %.1f s",
                    self._safe_url(),
                    error,
                    delay,
                )
                return False
            logger.info("connected to the broker at %s", self._safe_url())
            return True

    def publish(self, event: PendingEvent) -> None:
        """Publish one event and wait for the broker's confirm; raise if it is not confirmed."""
        key = routing_key(event.name, self.renamed)
        if not self.ready():
            raise BrokerUnavailable(f"broker unreachable at {self._safe_url()}")
        with self._lock:
            broker = self._broker
            if broker is None:
                raise BrokerUnavailable("the broker connection was closed")
            try:
                with publishing(
                    self._tracer,
                    event,
                    exchange=self.exchange.name,
                    routing_key=key,
                    host=self._address.hostname,
                    port=self._address.port or (5671 if self._address.scheme == "amqps" else 5672),
                ) as headers:
                    self._run(
                        self._publish(broker, event, key, headers),
                        timeout=self.confirm_timeout + 1,
                    )
            except Exception as error:
                self.backoff.failed()
                self._drop()
                raise BrokerUnavailable(f"{event.event_id} was not confirmed: {error!r}") from error
            self.backoff.succeeded()

    def close(self) -> None:
        """Close the connection and stop the sink's event loop."""
        with self._lock:
            self._drop()
            if self._loop is not None and self._thread is not None:
                # aio-pika leaves close callbacks running: let them end before the loop does.
                ending = asyncio.run_coroutine_threadsafe(_finish_tasks(), self._loop)
                with contextlib.suppress(Exception):
                    ending.result(timeout=self.connect_timeout)
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=5)
                if not self._thread.is_alive():  # a loop stuck in a callback is left to exit
                    self._loop.close()
            self._loop = self._thread = None

    async def _connect(self) -> RabbitBroker:
        broker = RabbitBroker(self.url, timeout=self.connect_timeout, logger=None)
        try:
            await broker.connect()
            await broker.declare_exchange(self.exchange)
        except Exception as error:
            reason = str(error) or type(error).__name__
        else:
            return broker
        with contextlib.suppress(Exception):
            await broker.stop()
        # aio-pika closes a connection it failed to open from its `__del__`, on the event loop
        # of the thread that collects it: collect it here, on this loop, not on the service's.
        del broker
        gc.collect()
        raise BrokerUnavailable(reason)

    async def _publish(
        self, broker: RabbitBroker, event: PendingEvent, key: str, headers: dict[str, str]
    ) -> None:
        confirmation = await broker.publish(
            message_body(event),
            exchange=self.exchange,
            routing_key=key,
            headers=headers or None,
            message_id=str(event.event_id),
            message_type=event.name,
            content_type="application/json",
            persist=True,
            # Confirmed means the broker took the message; which queues it reaches is the
            # consumers' binding (a `mandatory` return would hold the outbox hostage to them).
            mandatory=False,
            timeout=self.confirm_timeout,
        )
        # aio-pika raises on a nack; None would mean a channel without publisher confirms.
        if confirmation is None:
            raise ConnectionError(f"the broker did not confirm {event.event_id}")

    def _drop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None and self._loop is not None:
            try:
                self._run(broker.stop(), timeout=self.connect_timeout)
            except Exception as error:  # a dead connection may fail to close; it is gone anyway
                logger.debug("closing the broker connection failed: %s", error)

    def _run(self, work: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run `work` on the sink's event loop (started on first use) and wait for its result."""
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="rabbit-sink", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(work, timeout), self._loop)
        return future.result()

    def _safe_url(self) -> str:
        """The broker's URL without its password, for logs."""
        scheme, sep, rest = self.url.partition("://")
        credentials, at, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}{sep}{user}{at}{host}" if at else self.url


async def _finish_tasks() -> None:
    """Wait briefly for the loop's other tasks, then cancel what is left."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    if not others:
        return
    _, pending = await asyncio.wait(others, timeout=1)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
