"""The run's databases and processes, and the checks that no stock update was lost.

Databases: SQLite files in the run's folder, or `bench_<token>_<role>` on the Postgres server
of `--database-url`. Processes: started by the repository's runner as `make up` starts them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from subgraph_kit.settings import normalise_database_url

import runner
from bench.workloads import REFERENCE
from runner import ROOT, Process

API_KEY = "bench-key"
ROLES = {"products": "products", "inventory": "inventory", "products_large": "products"}


class BenchError(Exception):
    """Seeding or a check before a load failed: the numbers would not mean what they say."""


def connect(url: str, **options: Any) -> sa.Connection:
    """A connection of its own, unpooled: closed for good when its `with` block ends."""
    return sa.create_engine(normalise_database_url(url), poolclass=sa.NullPool, **options).connect()


def database_urls(server: str | None, workdir: Path) -> dict[str, str]:
    """Per role, its database: a SQLite file in `workdir`, or one named for this run on `server`."""
    if server is None:
        return {role: f"sqlite:///{workdir / f'{role}.db'}" for role in ROLES}
    token, on = uuid.uuid4().hex[:8], sa.make_url(server)
    named = {role: on.set(database=f"bench_{token}_{role}") for role in ROLES}
    return {role: url.render_as_string(hide_password=False) for role, url in named.items()}


def on_server(server: str | None, urls: dict[str, str], statement: str) -> None:
    """Run `statement` (`{}`: a database's name) for each Postgres database of `urls`."""
    if server is not None:
        with connect(server, isolation_level="AUTOCOMMIT") as connection:
            for url in urls.values():
                connection.exec_driver_sql(statement.format(sa.make_url(url).database))


def server_version(urls: dict[str, str]) -> str:
    if urls["products"].startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    with connect(urls["products"]) as connection:
        return f"PostgreSQL {connection.exec_driver_sql('SHOW server_version').scalar()}"


def processes(urls: dict[str, str], workdir: Path) -> list[Process]:
    """What `runner.start` starts, on free ports; called again should a port be taken."""
    env, ports = {"API_KEY": API_KEY}, runner.free_ports(9)

    def subgraph(name: str, service: str, url: str, **more: str) -> Process:
        log = workdir / f"{name}.log"
        return runner.subgraph(service, ports.pop(), url, name=name, env=env | more, log=log)

    def floor(name: str, factory: str, folder: Path, url: str, **more: str) -> Process:
        settings = env | more | {"DATABASE_URL": url, "NO_PROXY": runner.no_proxy()}
        settings["PYTHONPATH"] = str(ROOT)  # for `bench.floor` in a service's folder
        log, port = workdir / f"{name}.log", ports.pop()
        return runner.serve(name, factory, folder, port, settings, log=log, health_path="/health")

    products = subgraph("products", "products", urls["products"])
    catalog = {"PRODUCTS_URL": products.graphql_url, "PRODUCTS_API_KEY": API_KEY}
    inventory = subgraph("inventory", "inventory", urls["inventory"], **catalog)
    inventory_floor = ("bench.floor:create_inventory_app", inventory.cwd, urls["inventory"])
    gateway = catalog | {"INVENTORY_URL": inventory.graphql_url}

    def peer(role: str) -> Process:  # bench/peer: @apollo/subgraph on the same SQLite file
        more, port = {"PEER": role, "DATABASE_URL": urls[role]}, ports.pop()
        command, log = ["node", "peer.mjs"], workdir / f"peer-{role}.log"
        env_ = env | more | {"PORT": str(port)}
        return Process(
            f"peer-{role}", command, ROOT / "bench/peer", env_, port, log=log, health_path="/health"
        )

    peers = [] if urls["products"].startswith("postgresql") else ["products", "inventory"]
    fleet = [
        products,
        subgraph("products-large", "products", urls["products_large"]),
        subgraph("products-2w", "products", urls["products"], WEB_CONCURRENCY="2"),
        floor("floor-products", "bench.floor:create_app", ROOT, urls["products"]),
        inventory,
        floor("floor-inventory", *inventory_floor, **catalog),
        runner.gateway(ports.pop(), gateway, log=workdir / "gateway.log"),
    ]
    return [*fleet, *map(peer, peers)]


def stock_snapshot(url: str, product_ids: Sequence[str]) -> tuple[int, int]:
    """(sum of on hand, sum of all movement deltas) of these products, in one statement."""
    ids = sa.bindparam("ids", [uuid.UUID(p) for p in product_ids], type_=sa.Uuid, expanding=True)
    statement = sa.text(
        "SELECT (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id IN :ids),"
        " (SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE product_id IN :ids)"
    )
    with connect(url) as connection:
        on_hand, deltas = connection.execute(statement.bindparams(ids)).one()
    return int(on_hand), int(deltas)


def on_hand_and_committed(url: str, product_ids: Sequence[str]) -> tuple[int, int]:
    """(sum of on hand of these products, units of scenario 7's committed holds), in one
    statement: a commit changes both at once, so a snapshot sees both or neither."""
    ids = sa.bindparam("ids", [uuid.UUID(p) for p in product_ids], type_=sa.Uuid, expanding=True)
    statement = sa.text(
        "SELECT (SELECT COALESCE(SUM(on_hand), 0) FROM stock_levels WHERE product_id IN :ids),"
        " (SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE status = 'COMMITTED'"
        " AND reference LIKE :reference)"
    ).bindparams(ids, reference=f"{REFERENCE}%")
    with connect(url) as connection:
        on_hand, committed = connection.execute(statement).one()
    return int(on_hand), int(committed)


def audit(folder: Path, url: str) -> str:
    """What inventory's own audit (`python -m app audit`) finds: its last line."""
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "app", "audit"]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    return (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]


def levels_off_their_movements(url: str) -> int:
    """How many levels' on hand differs from the sum of their movements (should be 0)."""
    statement = "SELECT COUNT(*) FROM stock_levels l WHERE l.on_hand <> (SELECT COALESCE("
    statement += "SUM(m.delta), 0) FROM stock_movements m WHERE m.product_id = l.product_id)"
    with connect(url) as connection:
        return int(connection.exec_driver_sql(statement).scalar_one())
