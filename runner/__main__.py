"""`make up`: run the named processes (`products inventory gateway`) together in the foreground.

    python -m runner [--env-file PATH] [--migrate] NAME...

Settings: the variables of `.env` (or `--env-file`), read as docker compose reads it
(`NAME=value`, quotes, `#` comments; an empty value means the setting's default), under
whatever the environment already sets, which wins. Every process gets that whole
environment: nothing is picked or defaulted here, the services' settings classes hold the
defaults, and the gateway sees every variable it documents.

Each output line is prefixed with its process's name; Ctrl-C (or any process dying) stops
them all. Each subgraph uses <NAME>_DATABASE_URL when set, else a SQLite file under ./data/;
<NAME>_PORT moves a process off its default port (8000, 8001, 4000), and inventory and the
gateway follow it unless PRODUCTS_URL / INVENTORY_URL say otherwise; HOST is where they
listen (127.0.0.1). `--migrate` applies the named subgraphs' migrations and exits (`make
migrate`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from dotenv import dotenv_values

from runner import ROOT, Process, gateway, port_is_free, stop, subgraph

DEFAULT_PORTS = {"products": 8000, "inventory": 8001, "gateway": 4000}
SUBGRAPHS = ("products", "inventory")
DEFAULT_HOST = "127.0.0.1"

# What the runner itself reads (each process reads more: its settings, the gateway its own).
VARIABLES = (
    "HOST",
    *(f"{name.upper()}_PORT" for name in DEFAULT_PORTS),
    *(f"{name.upper()}_DATABASE_URL" for name in SUBGRAPHS),
    *(f"{name.upper()}_URL" for name in SUBGRAPHS),
    "SHUTDOWN_GRACE_SECONDS",
)


def load_env_file(path: Path) -> None:
    """Add the variables of `path` (if it exists) that the environment does not set."""
    if not path.is_file():
        return
    for name, value in dotenv_values(path).items():
        if value is not None:  # a bare `NAME` line sets nothing
            os.environ.setdefault(name, value)


def setting(name: str, default: str) -> str:
    """A variable of the runner's own; empty means the default, as for the services."""
    return os.environ.get(name) or default


def database_url(name: str) -> str:
    return setting(f"{name.upper()}_DATABASE_URL", f"sqlite:///{ROOT}/data/{name}.db")


def migrate(names: list[str]) -> int:
    """`alembic upgrade head` for each named subgraph, one after the other, in the foreground."""
    (ROOT / "data").mkdir(exist_ok=True)
    for name in names:
        if name not in SUBGRAPHS:
            continue
        print(f"migrate {name}", flush=True)
        command = [sys.executable, "-m", "alembic", "upgrade", "head"]
        env = os.environ | {"DATABASE_URL": database_url(name)}
        code = subprocess.call(command, cwd=ROOT / "subgraphs" / name, env=env)
        if code != 0:
            print(f"migrating {name} failed ({code})", file=sys.stderr)
            return code
    return 0


def run(names: list[str]) -> int:
    host = setting("HOST", DEFAULT_HOST)
    ports = {
        name: int(setting(f"{name.upper()}_PORT", str(p))) for name, p in DEFAULT_PORTS.items()
    }
    urls = {
        f"{name.upper()}_URL": setting(
            f"{name.upper()}_URL", f"http://{host}:{ports[name]}/graphql"
        )
        for name in SUBGRAPHS
    }

    def process(name: str) -> Process:
        if name == "gateway":
            return gateway(ports[name], urls, host=host)
        env = {"PRODUCTS_URL": urls["PRODUCTS_URL"]}
        return subgraph(name, ports[name], database_url(name), env=env, host=host)

    wanted = [process(name) for name in names]
    taken = [p for p in wanted if not port_is_free(p.port, host)]
    for p in taken:
        print(
            f"Port {p.port} ({p.name}) is already in use on {host}: stop what holds it "
            f"(`lsof -i :{p.port}`) and run `make up` again.",
            file=sys.stderr,
        )
    if taken:
        return 1
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    for p in wanted:
        p.start()
    print(f"Up: {', '.join(f'{p.name} {p.url}/' for p in wanted)}  (Ctrl-C stops)", flush=True)
    exited = None
    while exited is None and not stopping.wait(0.5):
        exited = next((p for p in wanted if p.popen and p.popen.poll() is not None), None)
    if exited is not None and exited.popen is not None:
        code = exited.popen.returncode
        print(f"{exited.name} exited with {code}; stopping the rest.", file=sys.stderr)
    stop(wanted)
    return 1 if exited else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runner", description="Run the stack, or migrate it."
    )
    parser.add_argument("names", nargs="+", choices=sorted(DEFAULT_PORTS), metavar="NAME")
    parser.add_argument("--env-file", type=Path, default=ROOT / ".env", help="default: ./.env")
    parser.add_argument("--migrate", action="store_true", help="apply the migrations and exit")
    args = parser.parse_args(argv)
    load_env_file(args.env_file)
    return migrate(args.names) if args.migrate else run(args.names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
