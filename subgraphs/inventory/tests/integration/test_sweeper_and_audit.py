"""The sweeper marks expired holds once; the audit finds each invariant broken by raw SQL; both
run from the command line."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.application.reservations import sweep_expired_reservations
from app.infrastructure.db.audit import audit
from tests.integration.helpers import adjust
from tests.integration.reservation_helpers import holds_of, line, reserve
from tests.integration.test_locations_api import location_id

pytestmark = pytest.mark.anyio
SERVICE_ROOT = Path(__file__).resolve().parents[2]


def events_named(app, name: str) -> int:
    with app.state.runtime.engine.connect() as connection:
        query = sa.text("SELECT count(*) FROM outbox_events WHERE name = :name")
        return connection.execute(query, {"name": name}).scalar_one()


def execute(app, sql: str, **values) -> None:
    with app.state.runtime.engine.begin() as connection:
        connection.execute(sa.text(sql), values)


def violations(app) -> list[str]:
    return audit(app.state.runtime.engine, now=datetime.now(UTC))


async def test_the_sweeper_marks_an_expired_hold_expired_once(client, app, product):
    await adjust(client, product, 5)
    await reserve(client, "cart-1", line(product, 2), expiresInSeconds=1)
    await reserve(client, "cart-2", line(product, 1))
    assert sweep_expired_reservations(uow=app.state.runtime.uow()) == 0
    await asyncio.sleep(1.05)
    assert sweep_expired_reservations(uow=app.state.runtime.uow()) == 1
    assert sweep_expired_reservations(uow=app.state.runtime.uow()) == 0
    assert events_named(app, "ReservationExpired") == 1
    assert [hold["status"] for hold in await holds_of(client, "cart-2")] == ["ACTIVE"]


async def test_the_audit_of_a_consistent_database_finds_nothing(client, app, product):
    await adjust(client, product, 5)
    await reserve(client, "cart-1", line(product, 2))
    assert violations(app) == []


async def test_the_audit_reports_a_level_that_is_not_the_sum_of_its_movements(client, app, product):
    await adjust(client, product, 5)
    execute(app, "UPDATE stock_levels SET on_hand = 7")
    (found,) = violations(app)
    assert "on hand 7 != 5, the sum of its movements" in found


async def test_the_audit_reports_more_reserved_than_on_hand_without_a_count(client, app, product):
    await adjust(client, product, 5)
    await reserve(client, "cart-1", line(product, 5))
    execute(app, "UPDATE stock_levels SET on_hand = 3")
    found = violations(app)
    assert any("reserved 5 > on hand 3" in violation for violation in found), found


async def test_the_audit_reports_a_hold_at_an_inactive_location(client, app, product):
    store = await location_id(client, "STORE")
    await adjust(client, product, 2, locationId=store)
    await reserve(client, "cart-1", line(product, 1, store))
    execute(app, "UPDATE locations SET active = :no WHERE code = 'STORE'", no=False)
    found = violations(app)
    assert any("ACTIVE at inactive location STORE" in violation for violation in found), found


async def test_the_audit_reports_negative_on_hand(client, app, product, is_postgres):
    await adjust(client, product, 1)
    if is_postgres:
        execute(
            app, "ALTER TABLE stock_levels DROP CONSTRAINT ck_stock_levels_on_hand_not_negative"
        )
        try:
            execute(app, "UPDATE stock_levels SET on_hand = -1")
            found = violations(app)
            execute(app, "UPDATE stock_levels SET on_hand = 1")
        finally:
            execute(
                app,
                "ALTER TABLE stock_levels ADD CONSTRAINT ck_stock_levels_on_hand_not_negative "
                "CHECK (on_hand >= 0)",
            )
    else:
        with app.state.runtime.engine.begin() as connection:
            connection.execute(sa.text("PRAGMA ignore_check_constraints = ON"))
            connection.execute(sa.text("UPDATE stock_levels SET on_hand = -1"))
            connection.execute(sa.text("PRAGMA ignore_check_constraints = OFF"))
        found = violations(app)
    assert any("on hand -1 < 0" in violation for violation in found), found


def run_command(settings, *args: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"DATABASE_URL": settings.database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=SERVICE_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_audit_command_prints_each_violation_and_exits_1(client, app, settings, product):
    await adjust(client, product, 5)
    assert run_command(settings, "audit").returncode == 0
    execute(app, "UPDATE stock_levels SET on_hand = 9")
    result = run_command(settings, "audit")
    assert result.returncode == 1
    assert "on hand 9 != 5, the sum of its movements" in result.stdout
    assert "audit: 1 violation(s)" in result.stdout


async def test_the_sweep_command_expires_what_has_expired(client, app, settings, product):
    await adjust(client, product, 5)
    await reserve(client, "cart-1", line(product, 2))
    past = datetime.now(UTC) - timedelta(seconds=1)
    execute(app, "UPDATE reservations SET expires_at = :past", past=past)
    result = run_command(settings, "sweep")
    assert (result.returncode, result.stdout.strip()) == (0, "expired 1 reservations")
    assert [hold["status"] for hold in await holds_of(client, "cart-1")] == ["EXPIRED"]
