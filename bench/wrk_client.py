"""Run one load with wrk: one thread (plenty on a small machine) and `bench/wrk.lua`, which
posts the workload's bodies, counts bad answers and prints its summary as JSON."""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

from bench.workloads import LoadResult, Workload

SCRIPT = Path(__file__).with_name("wrk.lua")


def version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0] + ", 1 thread"


def run(workload: Workload, connections: int, seconds: float) -> LoadResult:
    """Run wrk for `seconds` (rounded up to whole seconds) with `connections` connections."""
    with tempfile.NamedTemporaryFile(prefix="bench-bodies-") as bodies:
        bodies.write(b"\n".join(workload.bodies) + b"\n")
        bodies.flush()
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, math.ceil(seconds))}s"]
        command += ["--timeout=10s", "-s", str(SCRIPT), workload.url, "--", bodies.name]
        command.append(workload.api_key)
        if workload.must_contain:
            command.append(workload.must_contain.decode())
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert child.stdout is not None
        output = child.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(child.pid, 0)  # reaped here to learn the CPU time wrk used
        child.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.splitlines() if line.startswith("BENCH_WRK ")]
    if child.returncode != 0 or not lines:
        raise RuntimeError(f"wrk exited with {child.returncode} and no summary:\n{output}")
    data = json.loads(lines[0].removeprefix("BENCH_WRK "))
    wall, detail = data["duration_us"] / 1e6, {"bad_answer": data["bad"]}
    detail |= {key: data[key] for key in ("connect", "read", "write", "timeout")}
    percentiles = [data[key] / 1000 for key in ("p50", "p90", "p99", "max")]
    cpu = (usage.ru_utime + usage.ru_stime) / wall
    return LoadResult(data["requests"], sum(detail.values()), wall, *percentiles, cpu, detail)
