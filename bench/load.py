"""Load generation: a fixed number of keep-alive connections for a fixed time.

`wrk` is used when it is on PATH (a Lua script posts the bodies and checks each answer);
otherwise a Python asyncio client (`bench/py_client.py`). Either way the result carries the
generator's own CPU use as a share of one core, so a reader can see whether the client,
rather than the server, was the limit.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from bench.workloads import Workload


@dataclass(frozen=True)
class LoadResult:
    requests: int  # answered
    errors: int  # answered badly, or failed (connect/read/timeout)
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu: float  # the load generator's CPU time / wall time (1.0 = one core)
    error_detail: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rps": round(self.rps, 1)}


class LoadGenerator:
    """The chosen generator: `wrk` or `python`."""

    def __init__(self, choice: str = "auto") -> None:
        wrk = shutil.which("wrk")
        if choice == "wrk" and wrk is None:
            raise SystemExit("--client wrk: wrk is not on PATH (apt-get install wrk)")
        self.name = "wrk" if (choice == "wrk" or (choice == "auto" and wrk)) else "python"
        self.version = self._version(wrk) if self.name == "wrk" else self._python_version()

    @staticmethod
    def _version(wrk: str | None) -> str:
        assert wrk is not None
        done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        first = (done.stdout or done.stderr).splitlines()[0]
        return first.split(" Copyright")[0].strip() + ", 1 thread"

    @staticmethod
    def _python_version() -> str:
        from bench.py_client import describe

        return describe()

    def run(self, workload: Workload, connections: int, seconds: float) -> LoadResult:
        if self.name == "wrk":
            from bench.wrk_client import run_wrk

            return run_wrk(workload, connections, seconds)
        from bench.py_client import run_python

        return run_python(workload, connections, seconds)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0.0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def merge_results(results: list[LoadResult]) -> LoadResult:
    """Add up rounds of one target: counts, time and CPU exactly; percentiles as the mean of
    the rounds' percentiles weighted by their requests (exact for one round)."""
    if len(results) == 1:
        return results[0]
    requests = sum(r.requests for r in results)
    seconds = sum(r.seconds for r in results)

    def weighted(value: str) -> float:
        if not requests:
            return 0.0
        return sum(getattr(r, value) * r.requests for r in results) / requests

    detail: dict[str, int] = {}
    for result in results:
        for key, count in result.error_detail.items():
            detail[key] = detail.get(key, 0) + count
    return LoadResult(
        requests=requests,
        errors=sum(r.errors for r in results),
        seconds=seconds,
        p50_ms=weighted("p50_ms"),
        p90_ms=weighted("p90_ms"),
        p99_ms=weighted("p99_ms"),
        max_ms=max(r.max_ms for r in results),
        client_cpu=sum(r.client_cpu * r.seconds for r in results) / seconds if seconds else 0.0,
        error_detail=detail,
    )
