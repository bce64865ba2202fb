"""Measuring requests. In-process, with no server or socket (`python -m bench.measure FACTORY
REQUESTS`, a subprocess in the folder and environment of the process serving the app, its
lifespan run as uvicorn runs it): the SQL statements of every request, and for the main ones
the CPU time, which hardly moves with the load of a shared machine as requests per second do.
Under load: wrk (one thread, `bench/wrk.lua`), watching the processes the load keeps busy.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import runner
from bench import workloads
from bench.stack import API_KEY
from bench.workloads import UNIQUE
from runner import ROOT, Process

CLOCK_TICKS, SCRIPT = os.sysconf("SC_CLK_TCK"), Path(__file__).with_name("wrk.lua")
NO_WRK = """make bench needs wrk (https://github.com/wg/wrk), the load generator, on PATH:
  sudo apt-get install wrk    (Debian, Ubuntu; brew install wrk on macOS)"""
TIMED = {"products_page", "catalog_products", "stock_entities_100", "stock_entities_20", "adjust"}
TIMED |= {"reserve_commit", "inventory_entities_1000", "products_entities_1000"}
QUIET = {"LOG_LEVEL": "WARNING", "OUTBOX_POLL_SECONDS": "3600", "PYTHONPATH": str(ROOT)}
MARK = "BENCH_IN_PROCESS "  # where the answer starts, after anything the app prints


async def post(app: Any, path: str, raw: bytes, api_key: str) -> tuple[int, bytes]:
    """POST `raw` to `path` of the ASGI `app`; the status and the whole answer."""
    headers = [(b"content-type", b"application/json"), (b"x-api-key", api_key.encode())]
    headers.append((b"content-length", b"%d" % len(raw)))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST"}
    scope |= {"scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b""}
    scope |= {"root_path": "", "headers": headers, "state": {}}
    scope |= {"client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
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


def unique(raw: str) -> bytes:
    """`raw` with UNIQUE replaced by a value no other request gets (scenario 7's references)."""
    return raw.replace(UNIQUE, uuid.uuid4().hex).encode()


async def measure_app(factory: str, requests: dict[str, Any]) -> dict[str, Any]:
    """Per named request `(path, body)`: the statements of its second sending (on every
    engine), and for the TIMED the least of three batches' mean CPU time (all threads)."""
    module, name = factory.split(":")
    app = getattr(importlib.import_module(module), name)()
    key, seen, measured = os.environ["API_KEY"], [], {}
    sa.event.listen(sa.Engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.5)  # the outbox relay's first pass is over: its SQL is not counted
        for name, (path, document) in requests.items():
            raw = json.dumps(document)
            for _ in range(2):
                seen.clear()
                status, answer = await post(app, path, unique(raw), key)
                if status != 200 or json.loads(answer).get("errors"):
                    raise SystemExit(f"{name}: {status} {answer[:500]!r}")
            selects = sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))
            sql = [" ".join(s.split())[:120] for s in seen]
            measured[name] = {"statements": len(seen), "selects": selects, "sql": sql}
            if name in TIMED:  # three batches of at least 3 requests and 0.2 s
                best = float("inf")
                for _ in range(3):
                    cpu, count, until = time.process_time(), 0, time.perf_counter() + 0.2
                    while count < 3 or time.perf_counter() < until:
                        await post(app, path, unique(raw), key)
                        count += 1
                    best = min(best, (time.process_time() - cpu) / count)
                measured[name]["cpu_ms"] = round(best * 1000, 3)
    return measured


def in_process_costs(seeded: Any, fleet: dict[str, Process], logs: Path) -> dict[str, Any]:
    """Measure each role's requests (`workloads.requests`) in the app its process runs, one
    subprocess after the other, so that none slows another's timing."""
    measured = {}
    for role, requests in workloads.requests(seeded).items():
        process, asked = fleet[role.replace("_", "-")], logs / f"in-process-{role}.json"
        asked.write_text(json.dumps(requests))
        factory = process.command[process.command.index("--factory") + 1]
        job = (process.cwd, process.env | QUIET, ["-m", "bench.measure", factory, str(asked)])
        output = runner.run_python({f"in-process-{role}": job}, logs)[f"in-process-{role}"]
        measured[role] = json.loads(output.rsplit(MARK, 1)[1])
    return measured


@dataclass(frozen=True)
class Target:
    """POST one of `bodies` (at random) to `url` again and again, keeping `processes` busy
    (the first is the one under test). A write's answers must hold no userErrors, and `stock`
    tells the sum of on hand and of the movements of the products it writes to."""

    label: str
    url: str
    bodies: list[dict[str, Any]]
    processes: list[Process]
    stock: Callable[[], tuple[int, int]] | None = None
    must: bytes = b""  # what every good answer holds


def wrk_version() -> str:
    """wrk's version, or exit saying how to install it."""
    if not shutil.which("wrk"):
        raise SystemExit(NO_WRK)
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0] + ", 1 thread"


def wrk(target: Target, connections: int, seconds: float) -> dict[str, Any]:
    """Run wrk for `seconds` (rounded up to whole seconds) with `connections` connections."""
    with tempfile.NamedTemporaryFile("w", prefix="bench-bodies-") as bodies:
        bodies.writelines(json.dumps(body, separators=(",", ":")) + "\n" for body in target.bodies)
        bodies.flush()
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, math.ceil(seconds))}s"]
        command += ["--timeout=10s", "-s", str(SCRIPT), target.url, "--", bodies.name, API_KEY]
        command += [target.must.decode()] if target.must else []
        used = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the one child reaped now
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_WRK ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    data = json.loads(lines[0].removeprefix("BENCH_WRK "))
    wall, detail = data["duration_us"] / 1e6, {"bad_answer": data["bad"]}
    detail |= {key: data[key] for key in ("connect", "read", "write", "timeout")}
    load = {"requests": data["requests"], "errors": sum(detail.values()), "seconds": wall}
    load |= {f"{key}_ms": data[key] / 1000 for key in ("p50", "p90", "p99", "max")}
    cpu = usage.ru_utime + usage.ru_stime - used.ru_utime - used.ru_stime
    load["client_cpu"] = cpu / wall  # 1.0: one core
    return load | {"error_detail": detail, "rps": round(data["requests"] / wall, 1)}


def cpu_seconds(process: Process) -> float:
    """User + system CPU time so far of the process and its children (uvicorn's workers), from
    /proc (the fields after the command's parentheses)."""
    pid = process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    fields = [
        Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split() for p in [pid, *children]
    ]
    return sum(int(f[11]) + int(f[12]) for f in fields) / CLOCK_TICKS


def peak_rss_mib(process: Process) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text().split("VmHWM:")[1]
    return round(int(status.split()[0]) / 1024, 1)


def measure(
    targets: list[Target], connections: int, seconds: float, warmup: float
) -> list[dict[str, Any]]:
    """Warm each target up, then measure each in turn."""
    for target in targets:
        wrk(target, connections, warmup)
    return [run(target, connections, seconds) for target in targets]


def run(target: Target, connections: int, seconds: float) -> dict[str, Any]:
    """One load on the target: its result, and what the processes and the stock did meanwhile."""
    busy, stock_before = target.processes, target.stock() if target.stock else (0, 0)
    cpu_before = {p.name: cpu_seconds(p) for p in busy}
    load = wrk(target, connections, seconds)
    cpu = {p.name: cpu_seconds(p) - cpu_before[p.name] for p in busy}
    print(
        f"  {target.label:<44} {load['rps']:9.1f} req/s  p50 {load['p50_ms']:7.2f} ms  "
        f"p99 {load['p99_ms']:7.2f} ms  errors {load['errors']}"
    )
    served = max(load["requests"], 1)
    measured: dict[str, Any] = {"load": load, "connections": connections, "rounds": 1}
    # Share of one core while measured, and CPU milliseconds per answered request.
    measured["server_cpu"] = {name: round(used / load["seconds"], 3) for name, used in cpu.items()}
    measured["server_cpu_ms_per_request"] = {n: round(1000 * c / served, 3) for n, c in cpu.items()}
    measured["load_average_1m"] = round(os.getloadavg()[0], 2)
    measured["peak_rss_mib"] = {p.name: peak_rss_mib(p) for p in busy}
    if target.stock:
        on_hand, deltas = target.stock()
        applied, moved = deltas - stock_before[1], on_hand - stock_before[0]
        measured["stock"] = {"applied_updates": applied, "on_hand_change": moved}
        measured["stock"]["lost_updates"] = applied - moved
    return measured


if __name__ == "__main__":
    requests = json.loads(Path(sys.argv[2]).read_text())
    print(MARK + json.dumps(asyncio.run(measure_app(sys.argv[1], requests))))
