"""The ProductCatalog adapter: a gql client of the products subgraph over httpx.

The client is asynchronous and lives on the event loop; use cases, which run in worker
threads, call the port's synchronous `get`, which hands the request to the loop and waits.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import anyio
import anyio.from_thread
import httpx
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportConnectionFailed, TransportError
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import parse
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import Counter
from subgraph_kit.observability.metrics import live_gauge
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from app.domain.errors import ProductsUnavailable
from app.domain.models import CatalogProduct, ProductStatus
from app.domain.repositories import ProductCatalog
from app.infrastructure.circuit_breaker import CircuitBreaker, CircuitOpen
from app.settings import Settings

logger = logging.getLogger("app.products_client")

PRODUCT_QUERY = parse("query ProductForStock($id: ID!) { product(id: $id) { id sku name status } }")
PRODUCTS_QUERY = parse(
    "query ProductsForReservation($ids: [ID!]!, $first: Int!) {"
    " products(first: $first, filter: {ids: $ids}) { nodes { id sku name status } } }"
)
PING_QUERY = parse("query Ping { __typename }")
RETRIED_STATUSES = {502, 503, 504}
# The largest page products serves: a reservation's products fit in one.
MAX_PAGE = 100
# Requests in flight to products at once; writes get as many worker threads (see dependencies).
MAX_CONNECTIONS = 50


CALLS = Counter(
    "products_client_calls",
    "Lookups of a product in products, by outcome (found, not_found, unavailable: asked and "
    "failed, refused: not asked, circuit open) and the breaker state the lookup met.",
    ["outcome", "breaker_state"],
)
BREAKER_STATES = ("closed", "open", "half_open")
BREAKER_STATE = live_gauge(
    "products_client_breaker_state", "1 for the state the circuit breaker is in.", ["state"]
)


class CircuitRefusal(ProductsUnavailable):
    """Products was not asked: the breaker refused the call."""


# Connection failures: refused, timed out connecting, or a pooled connection the server closed
# just as we used it (the query is a read, so sending it again is safe).
CONNECTION_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


def is_transient(error: BaseException) -> bool:
    """Retry connection failures and 502/503/504; anything else will not get better."""
    cause = error.__cause__ if isinstance(error, TransportConnectionFailed) else None
    if isinstance(cause, httpx.HTTPStatusError):
        return cause.response.status_code in RETRIED_STATUSES
    return isinstance(cause, CONNECTION_ERRORS)


async def _raise_for_status(response: httpx.Response) -> None:
    # gql reads a JSON error body as GraphQL errors whatever the status; look at it first.
    response.raise_for_status()


class CatalogClient(ProductCatalog):
    """The catalog as the edge holds it: connected at start-up, closed at shutdown, pinged by
    readiness (on the event loop); use cases only `get`."""

    async def connect(self) -> None:
        """Open what the client needs (nothing, unless it keeps connections)."""

    async def close(self) -> None:
        """Release what `connect` opened."""

    def trace(self, tracer_provider: TracerProvider) -> None:
        """Trace the calls `connect` will open connections for (none unless it calls out)."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """Tell whether products answers at all (for readiness reports)."""


class GqlProductCatalog(CatalogClient):
    """One pooled client per process: `await connect()` at start-up, `await close()` at shutdown.

    A circuit breaker sits in front of every lookup: after `products_breaker_failures`
    failures in a row it opens, and lookups fail at once for `products_breaker_reset_seconds`;
    then one lookup is let through (half-open), and its outcome closes or reopens the circuit.
    Readiness pings go around it (see `ping`).
    """

    def __init__(self, settings: Settings) -> None:
        self.deadline = settings.products_deadline
        self.attempts = settings.products_retries + 1
        timeout = httpx.Timeout(
            settings.products_read_timeout, connect=settings.products_connect_timeout
        )
        transport = HTTPXAsyncTransport(
            url=settings.products_url,
            headers={"X-API-Key": settings.products_api_key},
            timeout=timeout,
            # Idle connections are dropped before uvicorn's 5 s keep-alive closes them, so a
            # request rarely meets a connection the server is closing.
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=20,
                keepalive_expiry=2.0,
            ),
            event_hooks={"response": [_raise_for_status]},
        )
        self.client = Client(transport=transport, fetch_schema_from_transport=False)
        self.session: AsyncClientSession | None = None
        self.breaker = CircuitBreaker(
            failures=settings.products_breaker_failures,
            reset_seconds=settings.products_breaker_reset_seconds,
        )
        self.tracer_provider: TracerProvider | None = None

    def trace(self, tracer_provider: TracerProvider) -> None:
        self.tracer_provider = tracer_provider

    async def connect(self) -> None:
        self.session = await self.client.connect_async()
        if self.tracer_provider is not None:
            # A client span per request, and the request carries the trace on (`traceparent`).
            HTTPXClientInstrumentor.instrument_client(
                self.client.transport.client,  # type: ignore[attr-defined]
                tracer_provider=self.tracer_provider,
            )
        self._show_breaker_state()

    async def close(self) -> None:
        if self.session is not None:
            await self.client.close_async()
            self.session = None

    def get(self, product_id: UUID) -> CatalogProduct | None:
        """Ask products from a use case's worker thread; the request runs on the event loop."""
        return anyio.from_thread.run(self.fetch, product_id)

    async def fetch(self, product_id: UUID) -> CatalogProduct | None:
        """Ask products for a product: within the deadline, retried and behind the breaker."""
        met = self.breaker.state
        outcome = "unavailable"
        try:
            found = await self._lookup(product_id)
            outcome = "not_found" if found is None else "found"
            return found
        except CircuitRefusal:
            outcome = "refused"
            raise
        finally:
            CALLS.labels(outcome, met).inc()
            self._show_breaker_state()

    def _show_breaker_state(self) -> None:
        state = self.breaker.state
        for each in BREAKER_STATES:
            BREAKER_STATE.labels(each).set(1 if each == state else 0)

    async def _lookup(self, product_id: UUID) -> CatalogProduct | None:
        request = GraphQLRequest(PRODUCT_QUERY, variable_values={"id": str(product_id)})
        found = (await self._execute(request)).get("product")
        if found is None:
            return None
        try:
            status = ProductStatus(found["status"])
            return CatalogProduct(UUID(found["id"]), found["sku"], found["name"], status)
        except (KeyError, TypeError, ValueError) as error:
            raise self._unavailable(error) from None

    def get_many(self, product_ids: Sequence[UUID]) -> dict[UUID, CatalogProduct]:
        """Ask products for several products from a worker thread, in one request."""
        return anyio.from_thread.run(self.fetch_many, list(product_ids))

    async def fetch_many(self, product_ids: list[UUID]) -> dict[UUID, CatalogProduct]:
        """Ask products for up to 100 products in one `products(filter: {ids})` request
        (whatever their status): within the deadline, retried and behind the breaker."""
        if not product_ids:
            return {}
        if len(product_ids) > MAX_PAGE:
            raise ValueError(f"at most {MAX_PAGE} products in one request")
        ids = [str(product_id) for product_id in product_ids]
        request = GraphQLRequest(PRODUCTS_QUERY, variable_values={"ids": ids, "first": MAX_PAGE})
        answer = await self._execute(request)
        try:
            found = [self._product(node) for node in answer["products"]["nodes"]]
        except (KeyError, TypeError, ValueError) as error:
            raise self._unavailable(error) from None
        return {product.id: product for product in found}

    @staticmethod
    def _product(found: dict[str, Any]) -> CatalogProduct:
        status = ProductStatus(found["status"])
        return CatalogProduct(UUID(found["id"]), found["sku"], found["name"], status)

    async def ping(self) -> bool:
        """Tell whether products answers a query with our key now: one try, around the breaker.

        Readiness must see products back as soon as it is, not when the circuit next lets a
        call through; and its pings are no lookups, so they must not open the circuit either.
        """
        try:
            await self._ask(self._connected(), GraphQLRequest(PING_QUERY), attempts=1)
        except ProductsUnavailable:
            return False
        return True

    async def _execute(self, request: GraphQLRequest) -> dict[str, Any]:
        session = self._connected()
        try:
            with self.breaker.call():
                return await self._ask(session, request, attempts=self.attempts)
        except CircuitOpen as refusal:
            # No call was made: say so, rather than that products did not answer.
            raise CircuitRefusal(f"{refusal}; nothing was written.", field=("productId",)) from None

    def _connected(self) -> AsyncClientSession:
        if self.session is None:
            raise ProductsUnavailable("The products client is not connected.")
        return self.session

    async def _ask(
        self, session: AsyncClientSession, request: GraphQLRequest, *, attempts: int
    ) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_random_exponential(multiplier=0.1, max=0.5),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        try:
            with anyio.fail_after(self.deadline):
                return await retrying(session.execute, request)
        except (TimeoutError, TransportError) as error:
            raise self._unavailable(error) from None

    @staticmethod
    def _unavailable(error: Exception) -> ProductsUnavailable:
        logger.warning("products subgraph unavailable: %r", error)
        return ProductsUnavailable(
            "The products subgraph did not answer; nothing was written.", field=("productId",)
        )
