"""Run the subgraphs (and the gateway, once composed) together for `make up`.

Each process's output is prefixed with its name; Ctrl-C (or any process dying) stops them all.
Each service uses <NAME>_DATABASE_URL when set, else a SQLite file under ./data/;
<NAME>_PORT moves a process off its default port (8000, 8001, 4000).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = os.environ.get("HOST", "127.0.0.1")
COLOURS = {"products": "\033[36m", "inventory": "\033[35m", "gateway": "\033[33m"}


@dataclass(frozen=True)
class Process:
    name: str
    port: int
    command: list[str]
    cwd: Path
    env: dict[str, str]


def subgraph(name: str, port: int, urls: dict[str, str]) -> Process:
    database = os.environ.get(f"{name.upper()}_DATABASE_URL", f"sqlite:///{ROOT}/data/{name}.db")
    command = [sys.executable, "-m", "subgraph_kit.serve", "--factory", "app.main:create_app"]
    command += ["--host", HOST, "--port", str(port), "--no-access-log"]
    # On Ctrl-C/SIGTERM, in-flight requests get this long to finish before they are cut.
    command += ["--timeout-graceful-shutdown", os.environ.get("SHUTDOWN_GRACE_SECONDS", "25")]
    env = {"DATABASE_URL": database, "PRODUCTS_URL": urls["PRODUCTS_URL"]}
    return Process(name, port, command, ROOT / "subgraphs" / name, env)


def gateway(port: int, urls: dict[str, str]) -> Process:
    env = {"PORT": str(port), "HOST": HOST, **urls}
    return Process("gateway", port, ["node", "gateway.mjs"], ROOT / "gateway", env)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def relay_output(process: Process, child: subprocess.Popen[str]) -> None:
    colour, reset = (COLOURS.get(process.name, ""), "\033[0m") if sys.stdout.isatty() else ("", "")
    prefix = f"{colour}{process.name:>9} |{reset} "
    assert child.stdout is not None
    for line in child.stdout:
        sys.stdout.write(prefix + line)
        sys.stdout.flush()


def main(names: list[str]) -> int:
    defaults = {"products": 8000, "inventory": 8001, "gateway": 4000}
    ports = {
        name: int(os.environ.get(f"{name.upper()}_PORT", port)) for name, port in defaults.items()
    }
    # Inventory and the gateway find the subgraphs where this run puts them, unless told.
    urls = {
        f"{name.upper()}_URL": os.environ.get(
            f"{name.upper()}_URL", f"http://{HOST}:{ports[name]}/graphql"
        )
        for name in ("products", "inventory")
    }
    wanted = [
        gateway(ports[n], urls) if n == "gateway" else subgraph(n, ports[n], urls) for n in names
    ]
    taken = [p for p in wanted if not port_is_free(p.port)]
    for process in taken:
        print(
            f"Port {process.port} ({process.name}) is already in use on {HOST}: stop what holds it "
            f"(`lsof -i :{process.port}`) and run `make up` again.",
            file=sys.stderr,
        )
    if taken:
        return 1
    children: list[tuple[Process, subprocess.Popen[str]]] = []
    for process in wanted:
        child = subprocess.Popen(
            process.command,
            cwd=process.cwd,
            env=os.environ | process.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        children.append((process, child))
        threading.Thread(target=relay_output, args=(process, child), daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(
        f"Up: {', '.join(f'{p.name} http://{HOST}:{p.port}/' for p, _ in children)}  (Ctrl-C stops)"
    )
    exited = None
    while not stop.wait(0.5):
        exited = next(((p, c) for p, c in children if c.poll() is not None), None)
        if exited:
            print(
                f"{exited[0].name} exited with {exited[1].returncode}; stopping the rest.",
                file=sys.stderr,
            )
            break
    for _, child in children:
        if child.poll() is None:
            child.terminate()
    for _, child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return 1 if exited else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
