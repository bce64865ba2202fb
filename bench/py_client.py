"""The load generator without wrk: one asyncio task per keep-alive connection, each sending a
request and reading the whole answer until the time is up. Raw HTTP/1.1 over asyncio streams
(on uvloop when installed): a client library would cost several times the CPU per request.
The subgraphs and the gateway answer with a Content-Length, which it relies on."""

from __future__ import annotations

import asyncio
import platform
import random
import time
from collections import Counter
from urllib.parse import urlsplit

from bench.workloads import LoadResult, Workload, percentile

try:
    from uvloop import new_event_loop
except ImportError:  # plain asyncio
    new_event_loop = None


def version() -> str:
    loop = "uvloop" if new_event_loop else "asyncio"
    return f"python {platform.python_version()} asyncio client on {loop}, raw HTTP/1.1 keep-alive"


async def connection(load: Workload, until: float, tally: Counter[str], times: list[float]) -> None:
    """Keep one connection busy until `until`, reconnecting after any failure."""
    url, writer = urlsplit(load.url), None
    head = f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nX-API-Key: {load.api_key}\r\n"
    head += "Content-Type: application/json\r\nContent-Length: "
    while time.perf_counter() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(url.hostname, url.port)
            body, started = random.choice(load.bodies), time.perf_counter()
            async with asyncio.timeout(10):
                writer.write(b"%s%d\r\n\r\n%s" % (head.encode(), len(body), body))
                lines = (await reader.readuntil(b"\r\n\r\n")).lower().split(b"\r\n")
                length = next(
                    int(line[15:]) for line in lines if line.startswith(b"content-length:")
                )
                answer = await reader.readexactly(length)
            times.append(time.perf_counter() - started)
            tally["bad_answer"] += not load.is_good(int(lines[0].split()[1]), answer)
        except (OSError, EOFError, ValueError, StopIteration, TimeoutError) as error:
            tally["timeout" if isinstance(error, TimeoutError) else "read"] += 1
            writer = writer.close() if writer else None  # close() returns None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def run(load: Workload, connections: int, seconds: float) -> LoadResult:
    """Run the load in this process; its CPU share is process time / wall time."""
    tally, times = Counter({"bad_answer": 0, "read": 0, "timeout": 0}), []
    cpu, started = time.process_time(), time.perf_counter()

    async def all_connections() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(connection(load, until, tally, times) for _ in range(connections)))

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(all_connections())
    wall, cpu, latencies = time.perf_counter() - started, time.process_time() - cpu, sorted(times)
    percentiles = [1000 * percentile(latencies, f) for f in (0.5, 0.9, 0.99, 1.0)]
    return LoadResult(len(times), sum(tally.values()), wall, *percentiles, cpu / wall, dict(tally))
