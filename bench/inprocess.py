"""Requests sent to an app in-process, without a server or a socket: the SQL statements each
costs and, for the scenarios' main ones, the CPU time: under load on a shared machine the
requests per second move with whatever else runs, the CPU time of one request alone hardly
does. `cpu_ms` is the least of three batches' mean CPU time per request (`process_time`: all
threads), each batch about 0.2 s.

Each app runs in a subprocess, `python -m bench.inprocess FACTORY REQUESTS`, in the folder and
with the environment of the process that serves it (both services' packages are `app`). Of a
service it imports only the app factory uvicorn runs, and it runs the app's lifespan as
uvicorn does (so inventory asks the running products).
Each request is sent twice and the statements of the second counted, on every engine.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import runner
from bench import workloads
from runner import ROOT, Process

TIMED = {"products_page", "catalog_products", "stock_entities_100", "stock_entities_20", "adjust"}
QUIET = {"LOG_LEVEL": "WARNING", "OUTBOX_POLL_SECONDS": "3600", "PYTHONPATH": str(ROOT)}
MARK = "BENCH_IN_PROCESS "  # where the answer starts, after anything the app prints


async def post(app: Any, path: str, raw: bytes, api_key: str) -> tuple[int, bytes]:
    """POST `raw` to `path` of the ASGI `app`; the status and the whole answer."""
    headers = [(b"content-type", b"application/json"), (b"x-api-key", api_key.encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST"}
    scope |= {"scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b""}
    scope |= {"root_path": "", "headers": [*headers, (b"content-length", b"%d" % len(raw))]}
    scope |= {"client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
    request, answer = [{"type": "http.request", "body": raw}], {"status": 0, "body": b""}

    async def receive() -> dict[str, Any]:
        if request:
            return request.pop()
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        answer["status"] = message.get("status", answer["status"])
        answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"]


async def measure_app(factory: str, requests: dict[str, Any]) -> dict[str, Any]:
    """Per named request `(path, body)`: its statements, and for the TIMED its CPU."""
    module, name = factory.split(":")
    app = getattr(importlib.import_module(module), name)()
    key, seen, measured = os.environ["API_KEY"], [], {}
    sa.event.listen(sa.Engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.5)  # the outbox relay's first pass is over: its SQL is not counted
        for name, (path, document) in requests.items():
            raw = json.dumps(document).encode()
            for _ in range(2):
                seen.clear()
                status, answer = await post(app, path, raw, key)
                if status != 200 or json.loads(answer).get("errors"):
                    raise SystemExit(f"{name}: {status} {answer[:500]!r}")
            selects = sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))
            sql = [" ".join(s.split())[:120] for s in seen]
            measured[name] = {"statements": len(seen), "selects": selects, "sql": sql}
            if name in TIMED:
                started = time.perf_counter()
                await post(app, path, raw, key)
                size = max(3, min(500, int(0.2 / max(time.perf_counter() - started, 1e-4))))
                best = float("inf")
                for _ in range(3):
                    cpu = time.process_time()
                    for _ in range(size):
                        await post(app, path, raw, key)
                    best = min(best, (time.process_time() - cpu) / size)
                measured[name]["cpu_ms"] = round(best * 1000, 3)
    return measured


def measure(seeded: Any, fleet: dict[str, Process], logs: Path) -> dict[str, Any]:
    """Measure each role's requests (`workloads.requests`) in the app its process runs, one
    subprocess after the other, so that none slows another's timing."""
    measured = {}
    for role, requests in workloads.requests(seeded).items():
        process, asked = fleet[role.replace("_", "-")], logs / f"in-process-{role}.json"
        asked.write_text(json.dumps(requests))
        factory = process.command[process.command.index("--factory") + 1]
        job = (process.cwd, process.env | QUIET, ["-m", "bench.inprocess", factory, str(asked)])
        output = runner.run_python({f"in-process-{role}": job}, logs)[f"in-process-{role}"]
        measured[role] = json.loads(output.rsplit(MARK, 1)[1])
    return measured


if __name__ == "__main__":
    requests = json.loads(Path(sys.argv[2]).read_text())
    print(MARK + json.dumps(asyncio.run(measure_app(sys.argv[1], requests))))
