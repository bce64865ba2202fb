"""The one process runner: how the subgraphs and the gateway are started, watched and stopped.

`make up` (`python -m runner`), the cross-service tests (`tests/stack.py`) and `make bench`
(`bench/stack.py`) start their processes here: a subgraph with `subgraph_kit.serve` (uvicorn,
WEB_CONCURRENCY workers, 1 by default) from its folder, the gateway with node from `gateway/`,
migrations with Alembic.
The machinery (ports, logs, health, stopping by PID) is in `runner/processes.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from runner.processes import (
    HOST,
    PortTaken,
    Process,
    StartupFailed,
    free_ports,
    no_proxy,
    port_is_free,
    run_python,
    start,
    stop,
    tail,
    wait_until_healthy,
)

__all__ = [
    "HOST",
    "ROOT",
    "SHUTDOWN_GRACE_SECONDS",
    "SUPERGRAPH",
    "PortTaken",
    "Process",
    "StartupFailed",
    "free_ports",
    "gateway",
    "migrate",
    "no_proxy",
    "port_is_free",
    "run_python",
    "serve",
    "start",
    "stop",
    "subgraph",
    "tail",
    "wait_until_healthy",
]

ROOT = Path(__file__).resolve().parents[1]
# uvicorn's --timeout-graceful-shutdown when SHUTDOWN_GRACE_SECONDS is unset or empty.
SHUTDOWN_GRACE_SECONDS = "25"
SUPERGRAPH = ROOT / "supergraph.graphql"


def serve(
    name: str,
    factory: str,
    cwd: Path,
    port: int,
    env: dict[str, str],
    *,
    host: str = HOST,
    log: Path | None = None,
    health_path: str = "/health/ready",
) -> Process:
    """An ASGI app factory run as `make up` runs a subgraph: uvicorn (WEB_CONCURRENCY workers,
    from the environment or `env`), no access log."""
    command = [sys.executable, "-m", "subgraph_kit.serve", "--factory", factory, "--host", host]
    command += ["--port", str(port), "--no-access-log"]
    # On SIGTERM, in-flight requests get this long to finish before they are cut; unset or
    # empty: the images' default (docker-entrypoint.sh), which tests/test_containers.py holds
    # equal to this one.
    grace = env.get("SHUTDOWN_GRACE_SECONDS") or os.environ.get("SHUTDOWN_GRACE_SECONDS")
    command += ["--timeout-graceful-shutdown", grace or SHUTDOWN_GRACE_SECONDS]
    return Process(name, command, cwd, env, port, host, health_path, log=log)


def subgraph(
    service: str,
    port: int,
    database_url: str,
    *,
    name: str | None = None,
    env: dict[str, str] | None = None,
    host: str = HOST,
    log: Path | None = None,
) -> Process:
    """A subgraph on `database_url`; `env` adds to its environment, `name` renames it."""
    env = {"DATABASE_URL": database_url, "NO_PROXY": no_proxy(host)} | (env or {})
    cwd = ROOT / "subgraphs" / service
    return serve(name or service, "app.main:create_app", cwd, port, env, host=host, log=log)


def gateway(
    port: int, subgraph_urls: dict[str, str], *, host: str = HOST, log: Path | None = None
) -> Process:
    """The local Apollo Gateway on the committed supergraph; `PRODUCTS_URL`… locate subgraphs."""
    env = {"HOST": host, "PORT": str(port), "SUPERGRAPH_PATH": str(SUPERGRAPH), **subgraph_urls}
    env["NO_PROXY"] = no_proxy(host)
    command = ["node", "gateway.mjs"]
    return Process("gateway", command, ROOT / "gateway", env, port, host, "/health", "/", log)


def migrate(databases: dict[str, tuple[str, str]], logs: Path) -> None:
    """`alembic upgrade head` for each `{label: (service, database URL)}`, side by side."""
    upgrade = ["-m", "alembic", "upgrade", "head"]
    jobs = {
        f"migrate-{label}": (ROOT / "subgraphs" / service, {"DATABASE_URL": url}, upgrade)
        for label, (service, url) in databases.items()
    }
    run_python(jobs, logs)
