"""Requests sent to an ASGI app in-process, without a server or a socket, and the CPU time
each one costs.

Under load on a shared machine, requests per second move with whatever else runs; the CPU
time of one request, measured alone, hardly does. It is the figure to compare before and
after a change to the code: `cpu_ms` is the smallest of three batches' mean CPU time
(`time.process_time`, every thread of the process) per request, the batches sized to last
about 0.2 s each.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

BATCHES = 3
BATCH_SECONDS = 0.2


async def post(app: Any, path: str, body: bytes, api_key: str) -> tuple[int, bytes]:
    """POST `body` to `path` of the ASGI `app`; the status and the whole answer."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"x-api-key", api_key.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def cpu_ms_per_request(app: Any, path: str, body: bytes, api_key: str) -> float:
    """The CPU milliseconds one request costs (see the module's docstring)."""
    started = time.perf_counter()
    await post(app, path, body, api_key)
    once = max(time.perf_counter() - started, 1e-4)
    size = max(3, min(500, int(BATCH_SECONDS / once)))
    best = float("inf")
    for _ in range(BATCHES):
        cpu = time.process_time()
        for _ in range(size):
            await post(app, path, body, api_key)
        best = min(best, (time.process_time() - cpu) / size)
    return round(best * 1000, 3)
