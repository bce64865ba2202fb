"""The locations migration moves a database's existing stock to DEFAULT, on every engine.

Each test makes an empty database, migrates it to the revision before locations, writes stock
there as that schema had it, then upgrades to head.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from subgraph_kit_testing.databases import postgres_server_url
from subgraph_kit_testing.http import API_KEY, graphql, in_process

from app.domain.models import DEFAULT_LOCATION_ID
from app.infrastructure.db.models import LocationRow, StockLevelRow
from app.main import create_app
from app.settings import Settings
from tests.unit.fakes import FakeCatalog

BEFORE_LOCATIONS = "1efe926836a6"
PRODUCT = uuid.UUID("7b0c4c1e-93a6-4d3e-9a57-0d4f3c2b1a10")
# What the service before locations stored for adjustStock(delta: 10, reason: RECEIVED): the
# SHA-256 of the command's name and its JSON without the key.
OLD_BODY = f'{{"product_id":"{PRODUCT}","delta":10,"reason":"RECEIVED","reference":null}}'
OLD_FINGERPRINT = hashlib.sha256(f"AdjustStock:{OLD_BODY}".encode()).hexdigest()


def alembic_config(service_root: Path, url: str) -> Config:
    config = Config(toml_file=str(service_root / "pyproject.toml"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request, tmp_path) -> Iterator[str]:
    """The URL of a database with no tables, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = postgres_server_url()
    if server is None:
        pytest.skip("Postgres unreachable (set TEST_POSTGRES_URL, or REQUIRE_POSTGRES=1 to fail)")
    name = f"inventory_migration_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _ints(*names: str) -> list[sa.ColumnClause[int]]:
    return [sa.column(name, sa.Integer()) for name in names]


def write_old_stock(engine: sa.Engine) -> None:
    """A level of 7 with two movements and a stored idempotency result, as the old tables had."""
    now = datetime(2026, 11, 30, tzinfo=UTC)
    # The old tables as that revision made them (typed, so UUIDs bind on SQLite too).
    stamp = sa.column("updated_at", sa.DateTime(timezone=True))
    levels = sa.table(
        "stock_levels",
        sa.column("product_id", sa.Uuid()),
        *_ints("on_hand", "reorder_point", "version"),
        stamp,
    )
    movements = sa.table(
        "stock_movements",
        sa.column("id", sa.Uuid()),
        sa.column("product_id", sa.Uuid()),
        *_ints("delta", "on_hand_after"),
        sa.column("reason", sa.String()),
        sa.column("reference", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    keys = sa.table(
        "idempotency_keys",
        sa.column("key", sa.String()),
        sa.column("fingerprint", sa.String()),
        sa.column("result", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    with engine.begin() as connection:
        level = {"on_hand": 7, "reorder_point": 2, "version": 2, "updated_at": now}
        connection.execute(sa.insert(levels).values(product_id=PRODUCT, **level))
        for delta, after in ((10, 10), (-3, 7)):
            connection.execute(
                sa.insert(movements).values(
                    id=uuid.uuid4(),
                    product_id=PRODUCT,
                    delta=delta,
                    on_hand_after=after,
                    reason="RECEIVED" if delta > 0 else "SOLD",
                    reference=None,
                    created_at=now,
                )
            )
        result = {"productId": str(PRODUCT), "onHand": 10, "reorderPoint": 2, "version": 1}
        connection.execute(
            sa.insert(keys).values(
                key="k-1", fingerprint=OLD_FINGERPRINT, result=result, created_at=now
            )
        )


@pytest.fixture
def upgraded(service_root, empty_url) -> Iterator[tuple[Config, sa.Engine]]:
    """The database with old stock written at the revision before locations, then upgraded
    to head; its Alembic config and an engine."""
    config = alembic_config(service_root, empty_url)
    command.upgrade(config, BEFORE_LOCATIONS)
    engine = sa.create_engine(empty_url)
    try:
        write_old_stock(engine)
        command.upgrade(config, "head")
        yield config, engine
    finally:
        engine.dispose()


def test_upgrading_moves_existing_levels_and_movements_to_default(upgraded):
    _, engine = upgraded
    with engine.connect() as connection:
        locations = connection.execute(sa.text("SELECT code, active FROM locations")).all()
        levels = connection.execute(
            sa.text("SELECT location_id, on_hand, version FROM stock_levels")
        ).all()
        movements = connection.execute(
            sa.text("SELECT location_id, delta FROM stock_movements ORDER BY position")
        ).all()
    assert [(code, bool(active)) for code, active in locations] == [("DEFAULT", True)]
    default = {DEFAULT_LOCATION_ID, DEFAULT_LOCATION_ID.hex}  # Postgres uuid, SQLite hex text
    assert [(row.location_id in default, row.on_hand, row.version) for row in levels] == [
        (True, 7, 2)
    ]
    assert [(row.location_id in default, row.delta) for row in movements] == [
        (True, 10),
        (True, -3),
    ]


@pytest.mark.anyio
async def test_the_app_serves_the_migrated_stock_and_replays_old_keys(upgraded, empty_url):
    app = create_app(
        Settings(database_url=empty_url, api_key=API_KEY, outbox_poll_seconds=3600),
        catalog=FakeCatalog(PRODUCT),
    )
    query = """query ($id: ID!) {
      stockLevel(productId: $id) { onHand location { code } movements { nodes { delta } } }
      _entities(representations: [{__typename: "Product", id: $id}]) {
        ... on Product { inventory { onHand levels { location { code } } } }
      }
    }"""
    replay = """mutation ($id: ID!) {
      adjustStock(input: {productId: $id, delta: 10, reason: RECEIVED, idempotencyKey: "k-1"}) {
        stockLevel { onHand version } userErrors { code }
      }
    }"""
    try:
        async with in_process(app, **{"X-API-Key": API_KEY}) as client:
            replayed = (await graphql(client, replay, id=str(PRODUCT)))["data"]["adjustStock"]
            data = (await graphql(client, query, id=str(PRODUCT)))["data"]
    finally:
        app.state.runtime.engine.dispose()
    # The key stored before the upgrade still answers its first result, and changes nothing.
    assert replayed == {"stockLevel": {"onHand": 10, "version": 1}, "userErrors": []}
    assert data["stockLevel"] == {
        "onHand": 7,
        "location": {"code": "DEFAULT"},
        "movements": {"nodes": [{"delta": -3}, {"delta": 10}]},
    }
    assert data["_entities"] == [
        {"inventory": {"onHand": 7, "levels": [{"location": {"code": "DEFAULT"}}]}}
    ]


def test_downgrading_restores_the_old_tables_while_all_stock_is_at_default(upgraded):
    config, engine = upgraded
    command.downgrade(config, BEFORE_LOCATIONS)
    with engine.connect() as connection:
        assert not sa.inspect(connection).has_table("locations")
        on_hand = connection.execute(sa.text("SELECT on_hand FROM stock_levels")).scalars()
        assert list(on_hand) == [7]


def test_downgrading_is_refused_while_stock_is_elsewhere_than_default(upgraded):
    config, engine = upgraded
    store = uuid.uuid4()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(LocationRow.__table__).values(
                id=store, code="STORE", name="Store", active=True, created_at=now
            )
        )
        connection.execute(
            sa.insert(StockLevelRow.__table__).values(
                product_id=PRODUCT,
                location_id=store,
                on_hand=1,
                reorder_point=0,
                version=1,
                updated_at=now,
            )
        )
    with pytest.raises(RuntimeError, match="other than DEFAULT"):
        command.downgrade(config, BEFORE_LOCATIONS)
