"""The floor: the benchmarked operations done without GraphQL, to compare the services with.

A minimal Starlette app, run by uvicorn exactly like a subgraph (one worker, same flags),
that takes the same request bodies as the subgraphs, runs the equivalent SQL with the same
engine (`subgraph_kit.sql.create_db_engine`: same driver, pool and SQLite pragmas) in a
worker thread bounded like the services' (`DB_POOL_SIZE`), and answers the same JSON the
subgraph would. What it leaves out is exactly what the ratio measures: GraphQL parsing,
validation and execution, Strawberry types, the use-case layers and the middleware.

`FLOOR_ROLE=products` serves
  POST /products-page  the catalog page (`variables.first`, newest first), scenario 1;
  POST /product        one product by `variables.id`, the existence check of scenario 4;
`FLOOR_ROLE=inventory` serves
  POST /entities       stock of `variables.representations`, in order, scenario 2;
  POST /adjust         `variables.input` of adjustStock: ask the products floor over HTTP
                       whether the product exists, then ensure the level, guarded UPDATE …
                       RETURNING, INSERT the movement and the StockChanged event, commit.
Its outbox rows are written already marked sent: the floor has no relay, and the services'
relay must not pick the floor's events up. Both roles serve GET /health, and
GET /_bench/stats (requests served and SQL statements run so far).
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import anyio
import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.sql import create_db_engine, utc

T = TypeVar("T")
MAX_ON_HAND = 2**31 - 1
MAX_DELTA = 1_000_000
REASONS = {"RECEIVED", "RETURNED", "SOLD", "CORRECTION", "CYCLE_COUNT", "DAMAGED", "SHRINKAGE"}
REASONS |= {"OTHER"}

metadata = sa.MetaData()
products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("sku", sa.String),
    sa.Column("name", sa.String),
    sa.Column("description", sa.Text),
    sa.Column("price_minor", sa.BigInteger),
    sa.Column("currency_code", sa.String),
    sa.Column("status", sa.String),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
levels = sa.Table(
    "stock_levels",
    metadata,
    sa.Column("product_id", sa.Uuid, primary_key=True),
    sa.Column("on_hand", sa.Integer),
    sa.Column("reorder_point", sa.Integer),
    sa.Column("version", sa.Integer),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("id", sa.Uuid),
    sa.Column("product_id", sa.Uuid),
    sa.Column("delta", sa.Integer),
    sa.Column("on_hand_after", sa.Integer),
    sa.Column("reason", sa.String),
    sa.Column("reference", sa.String),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)
outbox = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("event_id", sa.Uuid),
    sa.Column("name", sa.String),
    sa.Column("aggregate_id", sa.String),
    sa.Column("payload", sa.JSON),
    sa.Column("occurred_at", sa.DateTime(timezone=True)),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)


class Refused(Exception):
    """A request the subgraph would answer with a userError (nothing is written)."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.error = {"field": ["input", field], "message": message, "code": code}


class Floor:
    """The floor's database work and its counters."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.engine = create_db_engine(settings)
        self.limiter = anyio.CapacityLimiter(settings.db_pool_size)
        self.lock = threading.Lock()
        self.requests = 0
        self.statements = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._count_statement)

    def _count_statement(self, *_: Any) -> None:
        with self.lock:
            self.statements += 1

    async def in_thread(self, call: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(call, limiter=self.limiter)

    def products_page(self, first: int) -> list[dict[str, Any]]:
        order = (products.c.created_at.desc(), products.c.id.desc())
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(products).order_by(*order).limit(first + 1)).all()
        return [product_json(row) for row in rows[:first]]

    def product(self, product_id: uuid.UUID) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(products).where(products.c.id == product_id)).first()
        if row is None:
            return None
        return {"id": str(row.id), "sku": row.sku, "name": row.name, "status": row.status}

    def stock(self, wanted: list[uuid.UUID | None]) -> list[dict[str, Any] | None]:
        valid = [product_id for product_id in wanted if product_id is not None]
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(levels).where(levels.c.product_id.in_(valid)))
            found = {row.product_id: row for row in rows}
        return [None if pid is None else stock_json(found.get(pid)) for pid in wanted]

    def adjust(
        self, product_id: uuid.UUID, delta: int, reason: str, reference: str | None
    ) -> dict[str, Any]:
        """The write of adjustStock in one transaction; Refused rolls it back."""
        now = datetime.now(UTC)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        ensure = dialect.insert(levels).values(
            product_id=product_id, on_hand=0, reorder_point=0, version=0, updated_at=now
        )
        after = levels.c.on_hand + delta
        guarded = (
            sa.update(levels)
            .where(levels.c.product_id == product_id, after >= 0, after <= MAX_ON_HAND)
            .values(on_hand=after, version=levels.c.version + 1, updated_at=now)
            .returning(*levels.c)
        )
        with self.engine.connect() as connection:
            was_tracked = connection.execute(ensure.on_conflict_do_nothing()).rowcount == 0
            row = connection.execute(guarded).first()
            if row is None:
                raise Refused("INSUFFICIENT_STOCK", "delta", "Not enough stock on hand.")
            movement_id = uuid.uuid4()
            connection.execute(
                sa.insert(movements).values(
                    id=movement_id,
                    product_id=product_id,
                    delta=delta,
                    on_hand_after=row.on_hand,
                    reason=reason,
                    reference=reference,
                    created_at=now,
                )
            )
            events = stock_events(row, delta, was_tracked, reason, reference, movement_id)
            outbox_rows = [
                {
                    "event_id": uuid.uuid4(),
                    "name": name,
                    "aggregate_id": str(product_id),
                    "payload": payload,
                    "occurred_at": now,
                    "sent_at": now,
                }
                for name, payload in events
            ]
            connection.execute(sa.insert(outbox), outbox_rows)
            connection.commit()
        return level_json(row)


def product_json(row: Any) -> dict[str, Any]:
    """A product as the catalog page shows it (8 fields), serialised as Strawberry does."""
    return {
        "id": str(row.id),
        "sku": row.sku,
        "name": row.name,
        "description": row.description,
        "price": {
            "amount": str(Decimal(row.price_minor).scaleb(-2)),
            "currencyCode": row.currency_code,
        },
        "status": row.status,
        "createdAt": utc(row.created_at).isoformat(),
        "updatedAt": utc(row.updated_at).isoformat(),
    }


def stock_json(row: Any | None) -> dict[str, Any]:
    """`stock { onHand available lowStock } inStock` of one product; zeros if never stocked."""
    if row is None:
        return {"stock": {"onHand": 0, "available": 0, "lowStock": False}, "inStock": False}
    low = row.on_hand <= row.reorder_point
    stock = {"onHand": row.on_hand, "available": row.on_hand, "lowStock": low}
    return {"stock": stock, "inStock": row.on_hand > 0}


def level_json(row: Any) -> dict[str, Any]:
    """`stockLevel { onHand available version lowStock }` after a change."""
    low = row.on_hand <= row.reorder_point
    return {
        "onHand": row.on_hand,
        "available": row.on_hand,
        "version": row.version,
        "lowStock": low,
    }


def stock_events(
    row: Any, delta: int, was_tracked: bool, reason: str, reference: str | None, movement: uuid.UUID
) -> list[tuple[str, dict[str, Any]]]:
    """The events the inventory raises for one adjustment: StockChanged, and any crossing."""
    before, after = row.on_hand - delta, row.on_hand
    payload = {
        "productId": str(row.product_id),
        "available": after,
        "onHand": after,
        "reorderPoint": row.reorder_point,
        "version": row.version,
    }
    change = {
        "delta": delta,
        "onHandBefore": before,
        "reason": reason,
        "reference": reference,
        "movementId": str(movement),
    }
    events = [("StockChanged", payload | change)]
    if before > 0 and after == 0:
        events.append(("StockDepleted", payload))
    if before == 0 and after > 0:
        events.append(("StockReplenished", payload))
    was_low = was_tracked and before <= row.reorder_point
    if not was_low and after <= row.reorder_point:
        events.append(("LowStock", payload))
    return events


def answer(document: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json")


def parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def create_app() -> Starlette:
    """The floor app of `FLOOR_ROLE`, on `DATABASE_URL` (read like a service's settings)."""
    role = os.environ["FLOOR_ROLE"]
    floor = Floor(ServiceSettings())
    key = floor.settings.api_key.encode()
    catalog: dict[str, httpx.AsyncClient] = {}

    async def variables(request: Request) -> dict[str, Any] | None:
        """The request's GraphQL variables, or None when the API key is wrong."""
        if not hmac.compare_digest(request.headers.get("x-api-key", "").encode(), key):
            return None
        with floor.lock:
            floor.requests += 1
        return json.loads(await request.body()).get("variables") or {}

    unauthenticated = answer({"errors": [{"message": "Missing or wrong X-API-Key."}]}, 401)

    async def products_page(request: Request) -> Response:
        if (given := await variables(request)) is None:
            return unauthenticated
        nodes = await floor.in_thread(lambda: floor.products_page(int(given.get("first", 20))))
        return answer({"data": {"products": {"nodes": nodes}}})

    async def product(request: Request) -> Response:
        if (given := await variables(request)) is None:
            return unauthenticated
        product_id = parse_uuid(given.get("id"))
        found = await floor.in_thread(lambda: floor.product(product_id)) if product_id else None
        return answer({"data": {"product": found}})

    async def entities(request: Request) -> Response:
        if (given := await variables(request)) is None:
            return unauthenticated
        wanted = [parse_uuid(r.get("id")) for r in given["representations"]]
        return answer({"data": {"_entities": await floor.in_thread(lambda: floor.stock(wanted))}})

    async def adjust(request: Request) -> Response:
        if (given := await variables(request)) is None:
            return unauthenticated
        command = given["input"]
        try:
            product_id, delta, reason = check_adjustment(command)
            asked = {"variables": {"id": str(product_id)}}
            response = await catalog["client"].post("/product", json=asked)
            response.raise_for_status()
            if response.json()["data"]["product"] is None:
                raise Refused("PRODUCT_NOT_FOUND", "productId", "No product has this id.")
            reference = command.get("reference")
            level = await floor.in_thread(
                lambda: floor.adjust(product_id, delta, reason, reference)
            )
        except Refused as refused:
            return answer(
                {"data": {"adjustStock": {"stockLevel": None, "userErrors": [refused.error]}}}
            )
        return answer({"data": {"adjustStock": {"stockLevel": level, "userErrors": []}}})

    async def health(_: Request) -> Response:
        return answer({"status": "ok"})

    async def stats(_: Request) -> Response:
        return answer({"requests": floor.requests, "statements": floor.statements})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> Any:
        if role == "inventory":
            catalog["client"] = httpx.AsyncClient(
                base_url=os.environ["PRODUCTS_FLOOR_URL"],
                headers={"X-API-Key": floor.settings.api_key},
                timeout=httpx.Timeout(2.0, connect=1.0),
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
                trust_env=False,
            )
        yield
        if "client" in catalog:
            await catalog["client"].aclose()
        floor.engine.dispose()

    served = {
        "products": [
            Route("/products-page", products_page, methods=["POST"]),
            Route("/product", product, methods=["POST"]),
        ],
        "inventory": [
            Route("/entities", entities, methods=["POST"]),
            Route("/adjust", adjust, methods=["POST"]),
        ],
    }[role]
    common = [
        Route("/health", health),
        Route("/_bench/stats", stats),
    ]
    return Starlette(routes=served + common, lifespan=lifespan)


def check_adjustment(command: dict[str, Any]) -> tuple[uuid.UUID, int, str]:
    """The input rules of adjustStock that the floor's requests can break."""
    product_id = parse_uuid(command.get("productId"))
    if product_id is None:
        raise Refused("PRODUCT_NOT_FOUND", "productId", "No product has this id.")
    delta, reason = command.get("delta"), command.get("reason")
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_DELTA:
        raise Refused("INVALID_INPUT", "delta", "must be a non-zero integer up to 1,000,000")
    if reason not in REASONS:
        raise Refused("INVALID_INPUT", "reason", "unknown reason")
    return product_id, delta, reason
