"""Measuring: warm up, then run the load in rounds while watching the processes it keeps busy.

A service and its floor are measured in alternating rounds (service, floor, service, …), so
that both see the same background load of a shared machine and their ratio holds while the
absolute numbers move. Rounds add up exactly (requests, errors, CPU, stock updates), and
percentiles as their request-weighted mean. With `--profile`, py-spy records a flame graph of
the process under test in its first round.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import py_client, wrk_client
from bench.stack import Ledger
from bench.workloads import Workload, merge
from runner import Process

CLOCK_TICKS, PROFILES = os.sysconf("SC_CLK_TCK"), itertools.count(1)


def client() -> ModuleType:
    """The load generator: `wrk_client` when wrk is on PATH, else `py_client`."""
    return wrk_client if shutil.which("wrk") else py_client


def cpu_seconds(process: Process) -> float:
    """User + system CPU time so far, from /proc (the fields after the command's parentheses)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(process: Process) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text().split("VmHWM:")[1]
    return round(int(status.split()[0]) / 1024, 1)


@dataclass(frozen=True)
class Target:
    """A workload and the processes it keeps busy; the first one is the one under test."""

    label: str
    workload: Workload
    processes: list[Process]
    watch_stock: list[str] | None = None  # product ids whose updates must all be kept
    profile: bool = False


@dataclass
class Measurer:
    client: ModuleType  # wrk_client or py_client
    ledger: Ledger
    profiles: tuple[str, Path] | None = None  # with --profile: py-spy, and where graphs go

    def run(
        self, targets: list[Target], connections: int, seconds: float, warmup: float, rounds: int
    ) -> list[dict[str, Any]]:
        """Warm each target up, then measure them in `rounds` alternating rounds."""
        for target in targets:
            self.client.run(target.workload, connections, warmup)
        rounds = rounds if len(targets) > 1 else 1
        taken: dict[str, list[dict[str, Any]]] = {target.label: [] for target in targets}
        for t, number in ((t, number) for number in range(rounds) for t in targets):
            taken[t.label].append(
                self.round(t, connections, seconds / rounds, t.profile and not number)
            )
        measured = [self.combine(target, taken[target.label], connections) for target in targets]
        for target, load in zip(targets, (m["load"] for m in measured), strict=True):
            print(
                f"  {target.label:<44} {load['rps']:9.1f} req/s  p50 {load['p50_ms']:7.2f} ms  "
                f"p99 {load['p99_ms']:7.2f} ms  errors {load['errors']}"
            )
        return measured

    def round(
        self, target: Target, connections: int, seconds: float, profile: bool
    ) -> dict[str, Any]:
        """One round of one target: the load's result and what the processes did meanwhile."""
        watched, py_spy = target.watch_stock, None
        if profile and self.profiles:
            (command, folder), process = self.profiles, target.processes[0]
            output = folder.parent / f"{folder.name}-{next(PROFILES)}-{process.name}.svg"
            # Only threads that hold the GIL: where a one-worker server at 100 % spends its time.
            command = [command, "record", "--pid", str(process.pid), "--gil", "--nonblocking"]
            command += ["--duration", str(math.ceil(seconds)), "--output", str(output)]
            py_spy = (
                output,
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            )
        stock_before = self.ledger.snapshot(watched) if watched else (0, 0)
        cpu_before = {p.name: cpu_seconds(p) for p in target.processes}
        taken: dict[str, Any] = {"result": self.client.run(target.workload, connections, seconds)}
        taken["cpu"] = {p.name: cpu_seconds(p) - cpu_before[p.name] for p in target.processes}
        if watched:
            on_hand, deltas = self.ledger.snapshot(watched)
            taken["stock"] = (deltas - stock_before[1], on_hand - stock_before[0])
        if py_spy is not None:
            py_spy[1].wait(timeout=60)
            taken["profile"] = {"file": str(py_spy[0]) if py_spy[0].exists() else None}
        return taken

    def combine(
        self, target: Target, rounds: list[dict[str, Any]], connections: int
    ) -> dict[str, Any]:
        load = merge([r["result"] for r in rounds]).as_dict()
        cpu = {p.name: sum(r["cpu"][p.name] for r in rounds) for p in target.processes}
        measured: dict[str, Any] = {"load": load, "connections": connections, "rounds": len(rounds)}
        # Share of one core while measured, and CPU milliseconds per answered request.
        measured["server_cpu"] = {
            name: round(used / load["seconds"], 3) for name, used in cpu.items()
        }
        per_request = {
            name: round(1000 * used / max(load["requests"], 1), 3) for name, used in cpu.items()
        }
        measured |= {
            "server_cpu_ms_per_request": per_request,
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
        measured["peak_rss_mib"] = {p.name: peak_rss_mib(p) for p in target.processes}
        if stocks := [r["stock"] for r in rounds if "stock" in r]:
            applied, moved = (sum(x) for x in zip(*stocks, strict=True))
            measured["stock"] = {
                "applied_updates": applied,
                "on_hand_change": moved,
                "lost_updates": applied - moved,
            }
        return measured | next(({"profile": r["profile"]} for r in rounds if "profile" in r), {})
