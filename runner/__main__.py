"""`make up`: run the named processes (`products inventory gateway`) together in the foreground.

Each process's output is prefixed with its name; Ctrl-C (or any process dying) stops them all.
Each service uses <NAME>_DATABASE_URL when set, else a SQLite file under ./data/;
<NAME>_PORT moves a process off its default port (8000, 8001, 4000), and inventory and the
gateway follow it unless PRODUCTS_URL / INVENTORY_URL say otherwise.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from runner import ROOT, Process, gateway, port_is_free, stop, subgraph

DEFAULT_PORTS = {"products": 8000, "inventory": 8001, "gateway": 4000}


def main(names: list[str]) -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    ports = {
        name: int(os.environ.get(f"{name.upper()}_PORT", p)) for name, p in DEFAULT_PORTS.items()
    }
    urls = {
        f"{name.upper()}_URL": os.environ.get(
            f"{name.upper()}_URL", f"http://{host}:{ports[name]}/graphql"
        )
        for name in ("products", "inventory")
    }

    def process(name: str) -> Process:
        if name == "gateway":
            return gateway(ports[name], urls, host=host)
        database = f"sqlite:///{ROOT}/data/{name}.db"
        database = os.environ.get(f"{name.upper()}_DATABASE_URL", database)
        env = {"PRODUCTS_URL": urls["PRODUCTS_URL"]}
        return subgraph(name, ports[name], database, env=env, host=host)

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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
