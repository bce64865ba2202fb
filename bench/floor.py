"""The floor: the same rows fetched with plain SQL and serialised to JSON in the same process.

A minimal Starlette app, run like a subgraph (`runner.serve`: one uvicorn worker), on the
engine the services use (`create_db_engine`: same driver, pool and SQLite pragmas), its
database work in worker threads bounded like theirs (`DB_POOL_SIZE`). It takes the
subgraphs' request bodies and answers their JSON (the harness checks that the answers
agree), leaving out what the ratio measures: GraphQL, the API key, the services' types, use
cases and middleware.

- `/products-page` (scenario 1): one SELECT of the newest `first` (+1) products;
- `/entities` (scenario 2): one SELECT of the representations' stock rows;
- `/adjust` (scenario 4): adjustStock as plain SQL, not as the service's rules: in one
  transaction the guarded `UPDATE stock_levels SET on_hand = on_hand + :delta, version =
  version + 1 … WHERE product_id = :id AND on_hand + :delta BETWEEN 0 AND 2^31-1 RETURNING …`
  and the movement's INSERT. No input checks, no existence check with products, no events,
  no idempotency: only what the SQL states. An UPDATE that matches no row answers an error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
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


def table(name: str, columns: str, **typed: Any) -> sa.TableClause:
    """Columns of a service's table: ids and times typed (SQLite stores them as text), the
    rest read as stored."""
    return sa.table(name, *map(sa.column, columns.split()), *map(sa.column, typed, typed.values()))


products = table(
    "products", "sku name description price_minor currency_code status", id=UUID, created_at=TIME
)
products.append_column(sa.column("updated_at", TIME))
levels = table("stock_levels", "on_hand version reorder_point", product_id=UUID, updated_at=TIME)
movements = table("stock_movements", "delta on_hand_after reason reference", id=UUID)
movements.append_column(sa.column("product_id", UUID))
movements.append_column(sa.column("created_at", TIME))
LOW = (levels.c.on_hand <= levels.c.reorder_point).label("low")


def iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def product_json(row: Any) -> dict[str, Any]:
    price = {"amount": str(Decimal(row.price_minor).scaleb(-2)), "currencyCode": row.currency_code}
    return {
        "id": str(row.id),
        "sku": row.sku,
        "name": row.name,
        "description": row.description,
        "price": price,
        "status": row.status,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def stock_json(row: Any | None) -> dict[str, Any]:
    on_hand, low = (row.on_hand, bool(row.low)) if row else (0, False)
    return {
        "stock": {"onHand": on_hand, "available": on_hand, "lowStock": low},
        "inStock": on_hand > 0,
    }


def products_page(engine: sa.Engine, variables: dict[str, Any]) -> dict[str, Any]:
    first = int(variables.get("first", 20))
    newest = sa.select(products).order_by(products.c.created_at.desc(), products.c.id.desc())
    with engine.connect() as connection:
        rows = connection.execute(newest.limit(first + 1)).all()[:first]
    return {"products": {"nodes": [product_json(row) for row in rows]}}


def entities(engine: sa.Engine, variables: dict[str, Any]) -> dict[str, Any]:
    wanted = [uuid.UUID(r["id"]) for r in variables["representations"]]
    statement = sa.select(levels.c.product_id, levels.c.on_hand, LOW)
    with engine.connect() as connection:
        rows = {
            r.product_id: r
            for r in connection.execute(statement.where(levels.c.product_id.in_(wanted)))
        }
    return {"_entities": [stock_json(rows.get(product_id)) for product_id in wanted]}


def adjust(engine: sa.Engine, variables: dict[str, Any]) -> dict[str, Any]:
    """The guarded UPDATE … RETURNING and the movement's INSERT, in one transaction."""
    change, now = variables["input"], datetime.now(UTC)
    product_id, after = uuid.UUID(change["productId"]), levels.c.on_hand + change["delta"]
    guarded = (
        sa.update(levels)
        .where(levels.c.product_id == product_id, after.between(0, 2**31 - 1))
        .values(on_hand=after, version=levels.c.version + 1, updated_at=now)
        .returning(levels.c.on_hand, levels.c.version, LOW)
    )
    with engine.begin() as connection:
        if (row := connection.execute(guarded).first()) is None:
            raise LookupError(f"no stock level of {product_id}, or on hand out of range")
        movement = {"id": uuid.uuid4(), "product_id": product_id, "on_hand_after": row.on_hand}
        movement |= {key: change.get(key) for key in ("delta", "reason", "reference")}
        connection.execute(sa.insert(movements).values(**movement, created_at=now))
    level = {"onHand": row.on_hand, "available": row.on_hand, "version": row.version}
    return {"adjustStock": {"stockLevel": level | {"lowStock": bool(row.low)}, "userErrors": []}}


def create_app() -> Starlette:
    """The floor on `DATABASE_URL` (read as the services read their settings)."""
    settings = ServiceSettings()
    engine, limiter = create_db_engine(settings), anyio.CapacityLimiter(settings.db_pool_size)

    async def endpoint(work: Any, request: Request) -> JSONResponse:
        variables = json.loads(await request.body()).get("variables") or {}
        try:
            return JSONResponse(
                {"data": await anyio.to_thread.run_sync(work, engine, variables, limiter=limiter)}
            )
        except LookupError as error:
            return JSONResponse({"errors": [{"message": str(error)}]})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        engine.dispose()

    paths = {"/products-page": products_page, "/entities": entities, "/adjust": adjust}
    routes = [
        Route(path, partial(endpoint, work), methods=["POST"]) for path, work in paths.items()
    ]
    health = Route("/health", lambda _: JSONResponse({"status": "ok"}))
    return Starlette(routes=[*routes, health], lifespan=lifespan)
