"""The HTTP edge of a subgraph: runtime wiring, API key, health routes and the app factory."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from strawberry.federation import Schema

from subgraph_kit.explorer import GraphiQLRouter, mount_explorers
from subgraph_kit.http_middleware import BodySizeLimit, RequestId, current_request_id
from subgraph_kit.relay import LogEventSink, OutboxRelay
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql import create_db_engine, create_session_factory

T = TypeVar("T")
READY_TIMEOUT_SECONDS = 2


class Runtime:
    """The process-wide adapters of one subgraph, built once per app."""

    def __init__(
        self, settings: ServiceSettings, unit_of_work: Callable[[sessionmaker[Session]], Any]
    ) -> None:
        self.settings = settings
        self.engine: Engine = create_db_engine(settings)
        self.session_factory = create_session_factory(self.engine)
        self.unit_of_work = unit_of_work
        self._limiter: anyio.CapacityLimiter | None = None

    def uow(self) -> Any:
        """A fresh unit of work (one Session, opened when its `with` block starts)."""
        return self.unit_of_work(self.session_factory)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # As many worker threads as pooled connections, so no thread waits on the pool.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.db_pool_size)
        return self._limiter

    async def in_thread(self, call: Callable[[], T]) -> T:
        """Run blocking work (SQLAlchemy) in a worker thread, never on the event loop."""
        return await anyio.to_thread.run_sync(call, limiter=self.limiter)

    async def run(self, use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a synchronous use case in a worker thread with a fresh unit of work."""
        return await self.in_thread(partial(use_case, *args, uow=self.uow(), **kwargs))

    def ping_database(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


# The dependencies below do no I/O: as `async def` they run on the event loop instead of
# costing each request a hop through the thread pool.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class Unauthenticated(Exception):
    """The request lacks the right `X-API-Key`."""


async def require_api_key(request: Request, runtime: RuntimeDep) -> None:
    """Refuse a GraphQL POST without the right `X-API-Key` (constant-time compare).

    GET only serves GraphiQL (queries over GET are off), so it needs no key.
    """
    if request.method == "GET":
        return
    given = request.headers.get("x-api-key", "").encode()
    if not hmac.compare_digest(given, runtime.settings.api_key.encode()):
        raise Unauthenticated


async def unauthenticated(_: Request, __: Exception) -> JSONResponse:
    error = {"message": "Missing or wrong X-API-Key.", "extensions": {"code": "UNAUTHENTICATED"}}
    return JSONResponse(
        {"errors": [error]}, status_code=401, headers={"WWW-Authenticate": "ApiKey"}
    )


def health_router(readiness_details: Callable[[], Awaitable[dict[str, str]]] | None) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Liveness: the process answers (no I/O)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        summary="Readiness: the database answers",
        responses={503: {"description": "The database is unreachable"}},
    )
    async def ready(runtime: RuntimeDep) -> JSONResponse:
        details = await readiness_details() if readiness_details else {}
        try:
            with anyio.fail_after(READY_TIMEOUT_SECONDS):
                await anyio.to_thread.run_sync(runtime.ping_database, abandon_on_cancel=True)
        except Exception:
            body = {"status": "unavailable", "database": "down", **details}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "up", **details})

    return router


class RequestIdFilter(logging.Filter):
    """Stamp every record with the id of the request being served ('-' outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers in production."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def configure_logging(settings: ServiceSettings) -> None:
    """Plain lines in development, JSON lines in production, uvicorn's own loggers included."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if settings.environment == "production":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True


def create_subgraph_app(
    *,
    title: str,
    summary: str,
    runtime: Runtime,
    schema: Schema,
    context_getter: Callable[..., Any],
    readiness_details: Callable[[], Awaitable[dict[str, str]]] | None = None,
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
    example_query: str | None = None,
) -> FastAPI:
    """Build a subgraph app: GraphQL at /graphql behind the API key, health routes, the outbox
    relay in the background, request ids and the body limit. `lifespan` adds start-up and
    shutdown steps of the service's own."""
    settings = runtime.settings
    configure_logging(settings)
    relay = OutboxRelay(
        uow_factory=runtime.uow, sink=LogEventSink(), interval=settings.outbox_poll_seconds
    )

    @contextlib.asynccontextmanager
    async def run(_: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if lifespan is not None:
                await stack.enter_async_context(lifespan())
            task = asyncio.create_task(relay.run_forever())
            yield
            # Uvicorn has stopped accepting and let in-flight requests finish (up to its
            # --timeout-graceful-shutdown); deliver what they committed before going.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await relay.drain()
        runtime.engine.dispose()

    app = FastAPI(
        title=title, summary=summary, version="1.0.0", lifespan=run, docs_url=None, redoc_url=None
    )
    app.state.runtime = runtime
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.include_router(health_router(readiness_details))
    app.include_router(
        GraphiQLRouter(
            schema,
            title=title,
            example_query=example_query,
            context_getter=context_getter,
            # Production serves no GraphiQL unless ENABLE_GRAPHIQL=true (GET then answers 404).
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=False,
            subscription_protocols=(),
            dependencies=[Depends(require_api_key)],
        ),
        prefix="/graphql",
    )
    mount_explorers(app)  # GraphiQL's files and Swagger UI on /docs, offline
    return app


async def every(seconds: float, job: Callable[[], object]) -> None:
    """Run a blocking housekeeping job in a worker thread every `seconds` until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(job)
        except Exception:
            logging.getLogger("app").exception("housekeeping job failed")
