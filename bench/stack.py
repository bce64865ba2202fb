"""The databases and processes of one run, and the ledger that checks no update was lost.

Databases `products` (the catalog), `inventory` (its stock) and `products_large` (the deep
page's catalog): SQLite files in the run's folder, or `bench_<token>_<role>` on the Postgres
server of `--database-url`, dropped at the end. Processes, started by the repository's runner
as `make up` starts them, each on a free port: products, products-large, inventory, the
gateway, and the floors (`bench/floor.py`) of products and inventory.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from subgraph_kit.settings import normalise_database_url

import runner
from runner import ROOT, Process

API_KEY = "bench-key"
ROLES = {"products": "products", "inventory": "inventory", "products_large": "products"}


@contextlib.contextmanager
def connect(url: str, **options: Any) -> Iterator[sa.Connection]:
    """A connection on an engine of its own, disposed of afterwards."""
    engine = sa.create_engine(normalise_database_url(url), **options)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@dataclass
class Databases:
    kind: str  # "sqlite" or "postgres"
    urls: dict[str, str]
    server: str | None = None
    created: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, server: str | None, workdir: Path) -> Databases:
        if server is None:
            return cls("sqlite", {role: f"sqlite:///{workdir / f'{role}.db'}" for role in ROLES})
        databases, token = cls("postgres", {}, server), uuid.uuid4().hex[:8]
        try:
            with connect(server, isolation_level="AUTOCOMMIT") as connection:
                for role in ROLES:
                    databases.created.append(name := f"bench_{token}_{role}")
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                    url = sa.make_url(server).set(database=name)
                    databases.urls[role] = url.render_as_string(hide_password=False)
        except BaseException:
            databases.drop()
            raise
        return databases

    def migrate(self, logs: Path) -> None:
        runner.migrate({role: (service, self.urls[role]) for role, service in ROLES.items()}, logs)

    def server_version(self) -> str:
        if self.server is None:
            return f"SQLite {sqlite3.sqlite_version}"
        with connect(self.urls["products"]) as connection:
            return f"PostgreSQL {connection.exec_driver_sql('SHOW server_version').scalar()}"

    def drop(self) -> None:
        """Drop the Postgres databases this run created (SQLite files go with the workdir)."""
        if self.created and self.server is not None:
            with connect(self.server, isolation_level="AUTOCOMMIT") as connection:
                for name in self.created:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.created.clear()


def processes(databases: Databases, workdir: Path) -> list[Process]:
    """What `runner.start` starts, on free ports; called again should a port be taken."""
    urls, env, ports = databases.urls, {"API_KEY": API_KEY}, runner.free_ports(6)

    def subgraph(name: str, service: str, url: str, **more: str) -> Process:
        log = workdir / f"{name}.log"
        return runner.subgraph(service, ports.pop(), url, name=name, env=env | more, log=log)

    def floor(name: str, url: str) -> Process:
        factory, settings = "bench.floor:create_app", {"DATABASE_URL": url} | env
        return runner.serve(
            name,
            factory,
            ROOT,
            ports.pop(),
            settings,
            log=workdir / f"{name}.log",
            health_path="/health",
        )

    products = subgraph("products", "products", urls["products"])
    catalog = {"PRODUCTS_URL": products.graphql_url, "PRODUCTS_API_KEY": API_KEY}
    inventory = subgraph("inventory", "inventory", urls["inventory"], **catalog)
    return [
        products,
        subgraph("products-large", "products", urls["products_large"]),
        floor("floor-products", urls["products"]),
        inventory,
        floor("floor-inventory", urls["inventory"]),
        runner.gateway(
            ports.pop(),
            catalog | {"INVENTORY_URL": inventory.graphql_url},
            log=workdir / "gateway.log",
        ),
    ]


@dataclass(frozen=True)
class Ledger:
    """Reads the inventory database directly, to check that no stock update was lost."""

    url: str

    def snapshot(self, product_ids: Sequence[str]) -> tuple[int, int]:
        """(sum of on hand, sum of all movement deltas) of these products, in one statement."""
        ids = sa.bindparam(
            "ids", [uuid.UUID(p) for p in product_ids], type_=sa.Uuid, expanding=True
        )
        statement = sa.text(
            "SELECT (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id IN :ids),"
            " (SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE product_id IN :ids)"
        )
        with connect(self.url) as connection:
            on_hand, deltas = connection.execute(statement.bindparams(ids)).one()
        return int(on_hand), int(deltas)

    def levels_off_their_movements(self) -> int:
        """How many levels' on hand differs from the sum of their movements (should be 0)."""
        statement = "SELECT COUNT(*) FROM stock_levels l WHERE l.on_hand <> (SELECT COALESCE("
        statement += "SUM(m.delta), 0) FROM stock_movements m WHERE m.product_id = l.product_id)"
        with connect(self.url) as connection:
            return int(connection.exec_driver_sql(statement).scalar_one())
