"""Run one load with wrk: one thread (the machine is small, and one is plenty), a Lua script
that posts the workload's bodies and counts bad answers, its summary read back as JSON."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.load import LoadResult
from bench.workloads import Workload

TIMEOUT_SECONDS = 10
SCRIPT = r"""
local bodies = { @BODIES@ }
local count = #bodies
local must = @MUST@
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = @KEY@
if count == 1 then wrk.body = bodies[1] end

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  math.randomseed(id * 7919 + os.time())
end

if count > 1 then
  function request()
    return wrk.format(nil, nil, nil, bodies[math.random(count)])
  end
end

function response(status, headers, body)
  local failed = status ~= 200 or body:find('"errors":', 1, true)
  if failed or (must and not body:find(must, 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'BENCH_WRK {"requests":%d,"duration_us":%d,"bad":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, b, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def lua_string(value: str) -> str:
    """A Lua long-bracket string literal holding `value` verbatim."""
    level = 1
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def script_for(workload: Workload) -> str:
    bodies = ",\n".join(lua_string(body.decode()) for body in workload.bodies)
    must = lua_string(workload.must_contain.decode()) if workload.must_contain else "nil"
    replacements = {"@BODIES@": bodies, "@MUST@": must, "@KEY@": lua_string(workload.api_key)}
    script = SCRIPT
    for placeholder, value in replacements.items():
        script = script.replace(placeholder, value)
    return script


def run_wrk(workload: Workload, connections: int, seconds: float) -> LoadResult:
    """Run wrk for `seconds` (rounded up to whole seconds) with `connections` connections."""
    wrk = shutil.which("wrk")
    assert wrk is not None
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "load.lua"
        script.write_text(script_for(workload))
        command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, math.ceil(seconds))}s"]
        command += [f"--timeout={TIMEOUT_SECONDS}s", "-s", str(script), workload.url]
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        output, cpu_seconds = _output_and_cpu(child)
    lines = [line for line in output.splitlines() if line.startswith("BENCH_WRK ")]
    if not lines:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    summary = lines[0].removeprefix("BENCH_WRK ")
    data = json.loads(summary)
    wall = data["duration_us"] / 1e6
    failed = {key: data[key] for key in ("connect", "read", "write", "timeout")}
    return LoadResult(
        requests=data["requests"],
        errors=data["bad"] + sum(failed.values()),
        seconds=wall,
        p50_ms=data["p50"] / 1000,
        p90_ms=data["p90"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
        client_cpu=cpu_seconds / wall if wall else 0.0,
        error_detail={"bad_answer": data["bad"], **failed},
    )


def _output_and_cpu(child: subprocess.Popen[str]) -> tuple[str, float]:
    """Read wrk's output, then reap it with wait4 to learn the CPU time it used."""
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"wrk exited with {child.returncode}:\n{output}")
    return output, usage.ru_utime + usage.ru_stime
