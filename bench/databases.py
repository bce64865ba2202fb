"""The databases of one run: created fresh, migrated and seeded by the services' own code.

Three databases: `products` (the catalog, 10,000 products by default), `inventory` (a stock
level for each of them) and `products_large` (100,000 products, for the deep-page check).
On SQLite they are files in the run's working directory; with a Postgres server URL they are
databases named `bench_<token>_<role>` on that server, dropped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from subgraph_kit.settings import normalise_database_url

from bench.processes import ROOT, tail

ROLES = {"products": "products", "inventory": "inventory", "products_large": "products"}
TASK_TIMEOUT = 600


class SetupFailed(Exception):
    """A migration or a seeding task failed."""


@dataclass
class Databases:
    kind: str  # "sqlite" or "postgres"
    urls: dict[str, str]
    workdir: Path
    server_url: str | None = None
    created: list[str] = field(default_factory=list)

    def server_version(self) -> str:
        if self.kind == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        engine = sa.create_engine(normalise_database_url(self.urls["products"]))
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SHOW server_version").scalar_one()
        engine.dispose()
        return f"PostgreSQL {version}"

    def drop(self) -> None:
        """Drop the Postgres databases this run created (SQLite files go with the workdir)."""
        if not self.created or self.server_url is None:
            return
        admin = sa.create_engine(
            normalise_database_url(self.server_url), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        self.created.clear()


def create(server_url: str | None, workdir: Path) -> Databases:
    """Create empty databases for every role: SQLite files, or bench_ databases on Postgres."""
    if server_url is None:
        urls = {role: f"sqlite:///{workdir / f'{role}.db'}" for role in ROLES}
        return Databases("sqlite", urls, workdir)
    token = uuid.uuid4().hex[:8]
    databases = Databases("postgres", {}, workdir, server_url)
    admin = sa.create_engine(normalise_database_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for role in ROLES:
                name = f"bench_{token}_{role}"
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                databases.created.append(name)
                url = sa.make_url(server_url).set(database=name)
                databases.urls[role] = url.render_as_string(hide_password=False)
    except BaseException:
        admin.dispose()
        databases.drop()
        raise
    admin.dispose()
    return databases


def service_env(database_url: str) -> dict[str, str]:
    """What a subprocess in a service folder needs: its database and the repository on the path."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return os.environ | {"DATABASE_URL": database_url, "PYTHONPATH": path, "LOG_LEVEL": "WARNING"}


def migrate(databases: Databases) -> None:
    """`alembic upgrade head` in each database, side by side."""
    runs = []
    for role, service in ROLES.items():
        log = databases.workdir / f"migrate-{role}.log"
        with log.open("wb") as out:
            child = subprocess.Popen(
                [sys.executable, "-m", "alembic", "upgrade", "head"],
                cwd=ROOT / "subgraphs" / service,
                env=service_env(databases.urls[role]),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        runs.append((role, child, log))
    failed = [f"{role}:\n{tail(log)}" for role, child, log in runs if child.wait() != 0]
    if failed:
        raise SetupFailed("alembic upgrade head failed for " + "\n".join(failed))


def start_task(
    role: str, url: str, args: Sequence[str], stdin: Any = None
) -> subprocess.Popen[str]:
    """Start `python -m bench.service_tasks ARGS` in the folder of the service that owns `role`."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.service_tasks", *args],
        cwd=ROOT / "subgraphs" / ROLES[role],
        env=service_env(url),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(stdin) if stdin is not None else "")
    child.stdin.close()
    return child


def finish_task(child: subprocess.Popen[str], what: str) -> Any:
    """Wait for a task started by `start_task` and decode its JSON answer."""
    assert child.stdout is not None
    assert child.stderr is not None
    output, errors = child.stdout.read(), child.stderr.read()
    if child.wait(timeout=TASK_TIMEOUT) != 0:
        raise SetupFailed(f"{what} failed ({child.returncode}):\n{errors[-3000:]}")
    return json.loads(output)


@dataclass(frozen=True)
class Seeded:
    ids: list[str]  # the catalog's products, newest first (the catalog page order)
    deep_cursor: str  # `after` for the product 90 % down the catalog
    large_count: int
    large_deep_cursor: str


def seed(databases: Databases, count: int, large_count: int) -> Seeded:
    """Seed both catalogs side by side, then the inventory with a level per catalog product."""
    urls = databases.urls
    small = start_task("products", urls["products"], ["seed-products", str(count)])
    large = start_task(
        "products_large", urls["products_large"], ["seed-products", str(large_count)]
    )
    catalog = finish_task(small, "seeding products")
    stock = start_task("inventory", urls["inventory"], ["seed-inventory"], {"ids": catalog["ids"]})
    big = finish_task(large, "seeding the large catalog")
    finish_task(stock, "seeding inventory")
    return Seeded(catalog["ids"], catalog["deep_cursor"], big["count"], big["deep_cursor"])


def measure_requests(
    databases: Databases, role: str, requests: dict[str, Any], timed: list[str]
) -> dict[str, Any]:
    """The SQL statements of `requests`, and the in-process CPU time of those `timed`."""
    asked = {"requests": requests, "timed": timed}
    child = start_task(role, databases.urls[role], ["measure-requests", ROLES[role]], asked)
    return finish_task(child, f"measuring requests in {role}")


def measure_floor(databases: Databases, role: str, requests: dict[str, Any]) -> dict[str, Any]:
    """The in-process CPU time of the floor app of `role` for `{name: {path, body}}`."""
    child = start_task(role, databases.urls[role], ["measure-floor", role], {"requests": requests})
    return finish_task(child, f"measuring the {role} floor")


class StockLedger:
    """Reads the inventory database directly, to check that no stock update was lost."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(normalise_database_url(url))

    def snapshot(self, product_ids: Sequence[str]) -> tuple[int, int]:
        """(sum of on hand, sum of all movement deltas) of these products, in one statement."""
        ids = sa.bindparam(
            "ids", [uuid.UUID(p) for p in product_ids], type_=sa.Uuid, expanding=True
        )
        statement = sa.text(
            "SELECT (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id IN :ids),"
            " (SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE product_id IN :ids)"
        ).bindparams(ids)
        with self.engine.connect() as connection:
            on_hand, deltas = connection.execute(statement).one()
        return int(on_hand), int(deltas)

    def levels_off_their_movements(self) -> int:
        """How many levels' on hand differs from the sum of their movements (should be 0)."""
        statement = sa.text(
            "SELECT COUNT(*) FROM stock_levels l WHERE l.on_hand <> "
            "(SELECT COALESCE(SUM(m.delta), 0) FROM stock_movements m"
            " WHERE m.product_id = l.product_id)"
        )
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())

    def close(self) -> None:
        self.engine.dispose()
