"""The floors: what the services do for scenarios 1, 2 and 4, without GraphQL.

Bare Starlette apps run like a subgraph (`runner.serve`), answering the subgraphs' request
bodies with their JSON. The reads run plain SQL on the engine the services use (same driver,
pool, pragmas), in worker threads bounded like theirs: `/products-page` (scenario 1) one
SELECT of the newest products, `/entities` (scenario 2) the SELECT inventory runs for it (the
levels with their holds' sum and their locations' state). The
write, `/adjust` (scenario 4), calls inventory's own use case as the service does: its wiring
(`build_runtime`, `runtime.run`), its products client asking the running products, its
outbox relay; it re-implements no rule. So a ratio measures what its floor leaves out:
GraphQL (Strawberry), FastAPI, the API key and middleware, and for reads the types and use cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import anyio
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql.engine import create_db_engine

UUID, TIME = sa.Uuid(), sa.DateTime(timezone=True)
PRODUCTS = sa.table(
    "products",
    *map(sa.column, ["sku", "name", "description", "price_minor", "currency_code", "status"]),
    *(sa.column("id", UUID), sa.column("created_at", TIME), sa.column("updated_at", TIME)),
)
LEVELS = sa.table(
    "stock_levels",
    *map(sa.column, ["on_hand", "reorder_point", "retired_at"]),
    *(sa.column("product_id", UUID), sa.column("location_id", UUID)),
)
HOLDS = sa.table(
    "reservations",
    *map(sa.column, ["quantity", "status"]),
    *(sa.column("product_id", UUID), sa.column("location_id", UUID), sa.column("expires_at", TIME)),
)
LOCATIONS = sa.table("locations", sa.column("id", UUID), sa.column("active"))
DEFAULT_LOCATION = uuid.UUID("00000000-0000-4000-8000-000000000001")
HEALTH = Route("/health", lambda _: JSONResponse({"status": "ok"}))


def iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def products_page(engine: sa.Engine, variables: dict[str, Any]) -> dict[str, Any]:
    first, p = int(variables.get("first", 20)), PRODUCTS.c
    newest = sa.select(PRODUCTS).order_by(p.created_at.desc(), p.id.desc()).limit(first + 1)
    with engine.connect() as connection:
        rows = connection.execute(newest).all()[:first]
    return {"products": {"nodes": [product(row) for row in rows]}}


def product(row: Any) -> dict[str, Any]:
    price = {"amount": str(Decimal(row.price_minor).scaleb(-2)), "currencyCode": row.currency_code}
    named = {"id": str(row.id), "sku": row.sku, "name": row.name, "description": row.description}
    times = {"createdAt": iso(row.created_at), "updatedAt": iso(row.updated_at)}
    return named | {"price": price, "status": row.status} | times


def entities(engine: sa.Engine, variables: dict[str, Any]) -> dict[str, Any]:
    """The service's SELECT (each level of the products, with its holds' sum and whether its
    location is active); `stock` is the level at DEFAULT, `inStock` counts active locations."""
    wanted = [uuid.UUID(r["id"]) for r in variables["representations"]]
    level, hold = LEVELS.c, HOLDS.c
    reserved = (
        sa.select(sa.func.coalesce(sa.func.sum(hold.quantity), 0))
        .where(hold.product_id == level.product_id, hold.location_id == level.location_id)
        .where(hold.status == "ACTIVE", hold.expires_at > datetime.now(UTC))
        .correlate(LEVELS)
        .scalar_subquery()
    )
    columns = (level.product_id, level.location_id, level.on_hand, level.reorder_point)
    statement = (
        sa.select(*columns, reserved.label("reserved"), LOCATIONS.c.active)
        .join(LOCATIONS, LOCATIONS.c.id == level.location_id)
        .where(level.product_id.in_(wanted), level.retired_at.is_(None))
    )
    at_default, available = {}, dict.fromkeys(wanted, 0)
    with engine.connect() as connection:
        for product_id, location_id, on_hand, reorder_point, held, active in connection.execute(
            statement
        ):
            free = max(on_hand - held, 0)
            if location_id == DEFAULT_LOCATION:
                at_default[product_id] = {
                    "onHand": on_hand,
                    "available": free,
                    "lowStock": free <= reorder_point,
                }
            if active:
                available[product_id] += free
    untracked = {"onHand": 0, "available": 0, "lowStock": False}
    return {
        "_entities": [
            {"stock": at_default.get(product_id, untracked), "inStock": available[product_id] > 0}
            for product_id in wanted
        ]
    }


def read(
    path: str, work: Callable[..., Any], engine: sa.Engine, limiter: anyio.CapacityLimiter
) -> Route:
    """POST `path`: `work(engine, variables)` in a worker thread, answered as `data`."""

    async def endpoint(request: Request) -> JSONResponse:
        variables = (await request.json()).get("variables") or {}
        data = await anyio.to_thread.run_sync(work, engine, variables, limiter=limiter)
        return JSONResponse({"data": data})

    return Route(path, endpoint, methods=["POST"])


def create_app() -> Starlette:
    """Products' floor, on `DATABASE_URL` (read as the services read their settings)."""
    settings = ServiceSettings()
    engine, limiter = create_db_engine(settings), anyio.CapacityLimiter(settings.db_pool_size)
    return Starlette(routes=[read("/products-page", products_page, engine, limiter), HEALTH])


def create_inventory_app() -> Starlette:
    """Inventory's floor, on the service's own settings and runtime (run from its folder)."""
    from pydantic import ValidationError
    from subgraph_kit.core.errors import DomainError
    from subgraph_kit.messaging.sinks import event_sink
    from subgraph_kit.web.log_format import configure_logging
    from subgraph_kit.web.tasks import relay_forever

    from app.application.event_publisher import EXCHANGE, RENAMED, outbox_relay
    from app.application.use_cases import adjust_stock
    from app.domain.schemas import AdjustStock
    from app.infrastructure.api.dependencies import build_runtime
    from app.settings import get_settings

    settings = get_settings()
    configure_logging(settings)  # the relay logs every event, as the service's does
    runtime = build_runtime(settings)

    async def adjust(request: Request) -> JSONResponse:
        asked = (await request.json())["variables"]["input"]  # productId → product_id, …
        try:
            command = AdjustStock.model_validate(
                {re.sub("([A-Z])", r"_\1", key).lower(): value for key, value in asked.items()}
            )
            level = await runtime.run(adjust_stock, command, catalog=runtime.catalog)
        except (DomainError, ValidationError) as error:
            return JSONResponse({"errors": [{"message": str(error)}]})
        stock = {"onHand": level.on_hand, "available": level.available, "version": level.version}
        payload = {"stockLevel": stock | {"lowStock": level.low_stock}, "userErrors": []}
        return JSONResponse({"data": {"adjustStock": payload}})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.catalog.connect()
        sink = event_sink(settings, exchange=EXCHANGE, renamed=RENAMED)
        relay = outbox_relay(runtime.uow, sink=sink, interval=settings.outbox_poll_seconds)
        relaying = asyncio.create_task(relay_forever(relay))
        yield
        relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relaying
        relay.close()
        await runtime.catalog.close()

    routes = [read("/entities", entities, runtime.engine, runtime.limiter), HEALTH]
    routes.append(Route("/adjust", adjust, methods=["POST"]))
    return Starlette(routes=routes, lifespan=lifespan)
