"""The Python load generator, for machines without wrk.

One asyncio task per connection, each a keep-alive HTTP/1.1 connection that sends a request,
reads the whole answer (Content-Length or chunked), and sends the next until the time is up;
requests in flight at the deadline are answered and counted. Latency is taken per request
with `perf_counter`. It speaks raw HTTP over asyncio streams (on uvloop when installed)
rather than through an HTTP client library, which would cost several times the CPU per
request; its own CPU time is reported beside the results all the same.
"""

from __future__ import annotations

import asyncio
import platform
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench.load import LoadResult, percentile
from bench.workloads import Workload

TIMEOUT_SECONDS = 10.0


def describe() -> str:
    loop = "uvloop" if _uvloop() else "asyncio"
    return f"python {platform.python_version()} asyncio client on {loop}, raw HTTP/1.1 keep-alive"


def _uvloop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    bad: int = 0
    failed: Counter[str] = field(default_factory=Counter)


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one HTTP/1.1 response: (status, body, whether the connection stays open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
    keep_alive = headers.get(b"connection") != b"close"
    if b"content-length" in headers:
        return status, await reader.readexactly(int(headers[b"content-length"])), keep_alive
    if headers.get(b"transfer-encoding") == b"chunked":
        return status, await read_chunks(reader), keep_alive
    return status, await reader.read(), False


async def read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the blank line
        pass
    return b"".join(parts)


async def connection(workload: Workload, deadline: float, tally: Tally, seed: int) -> None:
    """Keep one connection busy until `deadline`, reconnecting after any failure."""
    url = urlsplit(workload.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: application/json\r\nX-API-Key: {workload.api_key}\r\nContent-Length: "
    ).encode()
    pick = random.Random(seed).choice
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                tally.failed["connect"] += 1
                await asyncio.sleep(0.05)
                continue
        body = workload.bodies[0] if len(workload.bodies) == 1 else pick(workload.bodies)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                writer.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
                status, answer, keep_alive = await read_answer(reader)
        except (OSError, EOFError, ValueError, TimeoutError) as error:
            tally.failed["timeout" if isinstance(error, TimeoutError) else "read"] += 1
            writer.close()
            writer = None
            continue
        tally.latencies.append(time.perf_counter() - started)
        if not workload.is_good(status, answer):
            tally.bad += 1
        if not keep_alive:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def load(workload: Workload, connections: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(connection(workload, deadline, tally, n) for n in range(connections)))
    return tally, time.perf_counter() - started


def run_python(workload: Workload, connections: int, seconds: float) -> LoadResult:
    """Run the load in this process and report its CPU share (process time / wall time)."""
    cpu_before = time.process_time()
    coroutine: Coroutine[Any, Any, tuple[Tally, float]] = load(workload, connections, seconds)
    with asyncio.Runner(loop_factory=_uvloop()) as runner:
        tally, wall = runner.run(coroutine)
    cpu = time.process_time() - cpu_before
    latencies = sorted(tally.latencies)
    return LoadResult(
        requests=len(latencies),
        errors=tally.bad + sum(tally.failed.values()),
        seconds=wall,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p90_ms=percentile(latencies, 0.90) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] if latencies else 0.0) * 1000,
        client_cpu=cpu / wall if wall else 0.0,
        error_detail={"bad_answer": tally.bad, **tally.failed},
    )
