"""`--profile`: sample a service with py-spy while it is measured, and summarise where it spent
its time (by function, own and inclusive, and by package).

py-spy is not a project dependency: `.venv/bin/pip install py-spy` to use this. It samples
from outside the process (no code change), only threads that hold the GIL (`--gil`), which
is where a one-worker Python server at 100 % of a core spends its time; database calls
that release the GIL are therefore not in the picture. Sampling costs the target a little
CPU, so a profiled run's numbers are a little lower than an unprofiled one's.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import Server

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::\d+)?\)$")
TOP = 25
# Frames every request passes through (process start, event loop, ASGI stack): their
# inclusive share says nothing, so the inclusive ranking leaves them out.
CONTAINERS = ("click/", "runpy", "uvicorn/", "asyncio/", "starlette/", "fastapi/", "threading")
CONTAINERS += ("http_middleware", "strawberry/http/", "strawberry/fastapi/")
PACKAGES = (
    ("graphql/", "graphql-core"),
    ("strawberry/", "strawberry"),
    ("sqlalchemy/", "sqlalchemy"),
    ("starlette/", "starlette"),
    ("fastapi/", "fastapi"),
    ("uvicorn/", "uvicorn"),
    ("pydantic", "pydantic"),
    ("anyio/", "anyio"),
    ("httpx/", "httpx"),
    ("httpcore/", "httpx"),
    ("gql/", "gql"),
    ("subgraph_kit/", "subgraph_kit"),
    ("app/", "app"),
    ("asyncio/", "asyncio"),
    ("json/", "json"),
)


def find_py_spy() -> str | None:
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


@dataclass
class Recording:
    label: str
    output: Path
    child: subprocess.Popen[bytes]


class Profiler:
    def __init__(self, folder: Path, stamp: str) -> None:
        py_spy = find_py_spy()
        if py_spy is None:
            raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
        self.py_spy = py_spy
        self.folder = folder
        self.stamp = stamp
        folder.mkdir(parents=True, exist_ok=True)

    def start(self, server: Server, seconds: float, label: str) -> Recording:
        name = re.sub(r"[^a-z0-9]+", "-", f"{server.name}-{label}".lower()).strip("-")
        output = self.folder / f"{self.stamp}-{name}.txt"
        command = [self.py_spy, "record", "--pid", str(server.pid), "--gil", "--nonblocking"]
        command += ["--rate", "200", "--duration", str(math.ceil(seconds)), "--format", "raw"]
        command += ["--output", str(output)]
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return Recording(label, output, child)

    def finish(self, recording: Recording) -> dict[str, Any]:
        recording.child.wait(timeout=60)
        if not recording.output.exists():
            return {"file": None, "error": f"py-spy exited with {recording.child.returncode}"}
        return {"file": str(recording.output), **summarise(recording.output)}


def parse_frame(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame.strip())
    return (match["function"], match["file"]) if match else (frame.strip(), "")


def package_of(file: str) -> str:
    for marker, package in PACKAGES:
        if marker in file:
            return package
    return "other"


def summarise(path: Path) -> dict[str, Any]:
    """Own and inclusive sample shares of the top functions, own shares by package, and the
    share of samples in worker threads (the rest is the event loop's thread)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = workers = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [parse_frame(frame) for frame in stack.split(";")]
        total += count
        if frames[0][1].startswith("threading"):  # a worker thread (database work)
            workers += count
        function, file = frames[-1]
        own[f"{function} ({file})"] += count
        packages[package_of(file)] += count
        kept = {f"{f} ({path})" for f, path in frames if not any(c in path for c in CONTAINERS)}
        for name in kept:
            inclusive[name] += count

    def shares(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(TOP)]

    if total == 0:
        return {"samples": 0}
    return {
        "samples": total,
        "worker_threads_percent": round(100 * workers / total, 1),
        "own_percent": shares(own),
        "inclusive_percent": shares(inclusive),
        "own_percent_by_package": shares(packages),
    }
