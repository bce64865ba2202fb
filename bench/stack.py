"""The processes of a run: both subgraphs (and products again on the large catalog), the two
floor apps, and the gateway, each on a free port of 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from bench.databases import Databases
from bench.processes import ROOT, Fleet, Server, no_proxy, uvicorn_command

API_KEY = "bench-key"
COMMON_ENV = {"API_KEY": API_KEY, "ENVIRONMENT": "development"}


def subgraph(name: str, service: str, url: str, workdir: Path, **env: str) -> Server:
    """A subgraph as `make up` runs it: uvicorn, one worker, from the service's folder."""
    return Server(
        name,
        uvicorn_command("app.main:create_app"),
        ROOT / "subgraphs" / service,
        COMMON_ENV | {"DATABASE_URL": url, "NO_PROXY": no_proxy()} | env,
        workdir / f"{name}.log",
    )


def floor(name: str, role: str, url: str, workdir: Path, **env: str) -> Server:
    """A floor app (bench/floor.py), run by uvicorn exactly like a subgraph."""
    return Server(
        name,
        uvicorn_command("bench.floor:create_app"),
        ROOT,
        COMMON_ENV | {"DATABASE_URL": url, "FLOOR_ROLE": role, "NO_PROXY": no_proxy()} | env,
        workdir / f"{name}.log",
        health_path="/health",
    )


def gateway(fleet: Fleet, workdir: Path) -> Server:
    """The local Apollo Gateway (gateway/gateway.mjs) over this run's subgraphs."""
    return Server(
        "gateway",
        ["node", "gateway.mjs"],
        ROOT / "gateway",
        {
            "HOST": "127.0.0.1",
            "PORT": "{port}",
            "PRODUCTS_URL": fleet["products"].graphql_url,
            "INVENTORY_URL": fleet["inventory"].graphql_url,
            "SUPERGRAPH_PATH": str(ROOT / "supergraph.graphql"),
            "NO_PROXY": no_proxy(),
        },
        workdir / "gateway.log",
        health_path="/health",
        graphql_path="/",
    )


def start(fleet: Fleet, databases: Databases, workdir: Path) -> None:
    """Start every process; each group needs the URLs of the groups before it."""
    urls = databases.urls
    fleet.start(
        subgraph("products", "products", urls["products"], workdir),
        subgraph("products-large", "products", urls["products_large"], workdir),
        floor("floor-products", "products", urls["products"], workdir),
    )
    fleet.start(
        subgraph(
            "inventory",
            "inventory",
            urls["inventory"],
            workdir,
            PRODUCTS_URL=fleet["products"].graphql_url,
            PRODUCTS_API_KEY=API_KEY,
        ),
        floor(
            "floor-inventory",
            "inventory",
            urls["inventory"],
            workdir,
            PRODUCTS_FLOOR_URL=fleet["floor-products"].url,
        ),
    )
    fleet.start(gateway(fleet, workdir))
