"""Work done inside one service, with that service's own code: seeding and statement counts.

Run as `python -m bench.service_tasks <task>` with the service's folder as the working
directory (so `app` is that service's package) and the repository root on PYTHONPATH. The
database is `DATABASE_URL`, already migrated. Input, when a task needs one, is JSON on stdin;
the answer is one JSON document on stdout.

- `seed-products COUNT`: COUNT products built by the catalog's own rules
  (`CreateProduct` → `rules.create_product`) and written in bulk through the service's table
  mapping (`to_columns`), one second apart; answers their ids in catalog order (newest
  first) and the cursor of the product 90 % down that order, made by the service's own
  cursor code.
- `seed-inventory`: a tracked stock level for each id of `{"ids": [...]}` (every tenth one
  low on stock), each with the RECEIVED movement that brought it there (`record_movement`).
- `measure-requests SERVICE`: for each named request body of `{"requests": {...}}`, the SQL
  statements the service executes to answer it, counted on its engine while the request
  runs in-process (each is sent twice and the second count kept, so that first-use work
  does not count), and the CPU time it costs (`bench/inprocess.py`).
- `measure-floor ROLE`: the same CPU time for the floor app (`bench/floor.py`) of ROLE.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

SEED_START = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 2000
ADJECTIVES = ("Oak", "Steel", "Linen", "Copper", "Walnut", "Glass", "Stone", "Wool", "Cedar")
NOUNS = ("lamp", "chair", "table", "shelf", "mug", "rug", "vase", "clock", "desk", "stool")
API_KEY = "bench-counting-key"


def engine() -> sa.Engine:
    """The service's own engine (SQLite pragmas, pool, statement timeout) for its settings."""
    from subgraph_kit.sql import create_db_engine

    from app.settings import Settings

    return create_db_engine(Settings())


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def analyze(db: sa.Engine) -> None:
    """Give the query planner statistics, as a database in service would have."""
    with db.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def seed_products(count: int) -> dict[str, Any]:
    from subgraph_kit.graphql import encode_cursor

    from app.domain import use_cases as rules
    from app.domain.models import ProductSort
    from app.domain.schemas import CreateProduct
    from app.infrastructure.api.graphql.pagination import encode_position
    from app.infrastructure.db.repositories import products, to_columns, to_product

    rows = []
    for index in range(count):
        command = CreateProduct(
            sku=f"bench-{index:06d}",
            name=f"{ADJECTIVES[index % 9]} {NOUNS[index % 10]} {index}",
            description=None if index % 3 == 0 else f"Benchmark product number {index}.",
            price={"amount": Decimal(100 + index % 9900) / 100, "currency_code": "eur"},
        )
        product, _events = rules.create_product(command, now=SEED_START + timedelta(seconds=index))
        rows.append(to_columns(product))
    db = engine()
    with db.begin() as connection:
        for chunk in chunks(rows):
            connection.execute(sa.insert(products), chunk)
    analyze(db)
    newest_first = (products.c.created_at.desc(), products.c.id.desc())
    with db.connect() as connection:
        ids = [str(i) for i in connection.scalars(sa.select(products.c.id).order_by(*newest_first))]
        deep = connection.execute(
            sa.select(products).order_by(*newest_first).offset(count * 9 // 10).limit(1)
        ).one()
    sort = ProductSort.CREATED_AT_DESC
    cursor = encode_cursor(*encode_position(to_product(deep), sort))
    db.dispose()
    return {"count": count, "ids": ids, "deep_cursor": cursor, "deep_offset": count * 9 // 10}


def seed_inventory(ids: list[str]) -> dict[str, Any]:
    from uuid import UUID

    from app.domain import use_cases as rules
    from app.domain.models import StockChangeReason, StockLevel
    from app.infrastructure.db.repositories import levels, movements

    now = datetime.now(UTC)
    level_rows, movement_rows = [], []
    for index, product_id in enumerate(ids):
        low = index % 10 == 9
        level = StockLevel(UUID(product_id), 5 if low else 1000 + index % 500, 10, 1, now)
        movement = rules.record_movement(
            level, level.on_hand, StockChangeReason.RECEIVED, "bench-seed", now
        )
        level_rows.append(
            {
                "product_id": level.product_id,
                "on_hand": level.on_hand,
                "reorder_point": level.reorder_point,
                "version": level.version,
                "updated_at": level.updated_at,
            }
        )
        movement_rows.append(
            {
                "id": movement.id,
                "product_id": movement.product_id,
                "delta": movement.delta,
                "on_hand_after": movement.on_hand_after,
                "reason": movement.reason.value,
                "reference": movement.reference,
                "created_at": movement.created_at,
            }
        )
    db = engine()
    with db.begin() as connection:
        for chunk in chunks(level_rows):
            connection.execute(sa.insert(levels), chunk)
        for chunk in chunks(movement_rows):
            connection.execute(sa.insert(movements), chunk)
    analyze(db)
    db.dispose()
    return {"levels": len(level_rows), "low": sum(1 for i in range(len(ids)) if i % 10 == 9)}


def build_app(service: str) -> Any:
    """The service's app on its DATABASE_URL; inventory gets a catalog that knows every id."""
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(api_key=API_KEY, outbox_poll_seconds=3600)
    if service == "products":
        return create_app(settings)
    from app.domain.models import CatalogProduct
    from app.domain.repositories import ProductCatalog

    class EveryProduct(ProductCatalog):
        async def get(self, product_id: Any) -> CatalogProduct | None:
            return CatalogProduct(product_id, "BENCH", "Bench product", "ACTIVE")

        async def ping(self) -> bool:
            return True

    return create_app(settings, catalog=EveryProduct())


async def measure_requests(
    service: str, requests: dict[str, Any], timed: list[str]
) -> dict[str, Any]:
    """Per named request body: the SQL statements it costs, and for those in `timed` the CPU
    time it takes in-process."""
    from bench.inprocess import cpu_ms_per_request, post

    app = build_app(service)
    db: sa.Engine = app.state.runtime.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(db, "before_cursor_execute", record)
    measured: dict[str, Any] = {}
    for name, document in requests.items():
        body = json.dumps(document).encode()
        for _ in range(2):
            seen.clear()
            status, answer = await post(app, "/graphql", body, API_KEY)
            if status != 200 or json.loads(answer).get("errors"):
                raise SystemExit(f"{name}: {status} {answer[:500]!r}")
        measured[name] = {
            "statements": len(seen),
            "selects": sum(1 for s in seen if s.lstrip().upper().startswith("SELECT")),
            "sql": [" ".join(s.split())[:120] for s in seen],
        }
    sa.event.remove(db, "before_cursor_execute", record)
    for name in timed:
        body = json.dumps(requests[name]).encode()
        measured[name]["cpu_ms"] = await cpu_ms_per_request(app, "/graphql", body, API_KEY)
    db.dispose()
    return measured


async def measure_floor(role: str, requests: dict[str, Any]) -> dict[str, Any]:
    """The floor's CPU time in-process for `{name: {"path": ..., "body": ...}}`."""
    import os

    from bench.inprocess import cpu_ms_per_request

    os.environ["FLOOR_ROLE"] = role
    os.environ["API_KEY"] = API_KEY
    from bench.floor import create_app

    app = create_app()
    measured = {}
    for name, request in requests.items():
        body = json.dumps(request["body"]).encode()
        cpu_ms = await cpu_ms_per_request(app, request["path"], body, API_KEY)
        measured[name] = {"cpu_ms": cpu_ms}
    return measured


def main(argv: list[str]) -> int:
    task = argv[0]
    if task == "seed-products":
        result = seed_products(int(argv[1]))
    elif task == "seed-inventory":
        result = seed_inventory(json.load(sys.stdin)["ids"])
    elif task == "measure-requests":
        given = json.load(sys.stdin)
        result = asyncio.run(measure_requests(argv[1], given["requests"], given["timed"]))
    elif task == "measure-floor":
        result = asyncio.run(measure_floor(argv[1], json.load(sys.stdin)["requests"]))
    else:
        raise SystemExit(f"unknown task {task!r}")
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
