"""Measuring: warm up, then run the load in rounds while watching the servers.

When a scenario has a floor, the service and its floor are measured in alternating rounds
(service, floor, service, floor, …), so that both see the same background load of a shared
machine and their ratio stays put even when the absolute numbers move. Per target, the
rounds are added up: requests, errors, CPU time and stock updates exactly; latency
percentiles as the request-weighted mean of the rounds' percentiles.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.databases import StockLedger
from bench.load import LoadGenerator, LoadResult, merge_results
from bench.processes import Server
from bench.profiling import Profiler
from bench.workloads import Workload


@dataclass(frozen=True)
class Target:
    """A workload and the servers it keeps busy; the first server is the one under test."""

    label: str
    workload: Workload
    servers: list[Server]
    watch_stock: list[str] | None = None  # product ids whose updates must all be kept
    profile: bool = False


@dataclass
class Slice:
    """One round of one target."""

    result: LoadResult
    cpu_seconds: dict[str, float]
    floor_stats: tuple[int, int] | None = None  # requests, statements
    stock: tuple[int, int] | None = None  # updates applied, change of on hand
    profile: dict[str, Any] | None = None


@dataclass
class Measurer:
    load: LoadGenerator
    ledger: StockLedger
    profiler: Profiler | None = None
    log: Callable[[str], None] = print

    def run(
        self,
        targets: list[Target],
        *,
        connections: int,
        seconds: float,
        warmup: float,
        rounds: int,
    ) -> list[dict[str, Any]]:
        """Warm each target up, then measure them in `rounds` alternating rounds."""
        rounds = max(1, rounds if len(targets) > 1 else 1)
        for target in targets:
            if warmup > 0:
                self.load.run(target.workload, connections, warmup)
        taken: dict[str, list[Slice]] = {target.label: [] for target in targets}
        for round_number in range(rounds):
            for target in targets:
                profile = target.profile and round_number == 0
                taken[target.label].append(
                    self._slice(target, connections, seconds / rounds, profile)
                )
        measured = [self._combine(target, taken[target.label], connections) for target in targets]
        for target, summary in zip(targets, measured, strict=True):
            load = summary["load"]
            self.log(
                f"  {target.label:<44} {load['rps']:9.1f} req/s  p50 {load['p50_ms']:7.2f} ms  "
                f"p99 {load['p99_ms']:7.2f} ms  errors {load['errors']}"
            )
        return measured

    def _slice(self, target: Target, connections: int, seconds: float, profile: bool) -> Slice:
        servers = target.servers
        floor_before = floor_stats(servers[0])
        stock_before = self.ledger.snapshot(target.watch_stock) if target.watch_stock else None
        cpu_before = {s.name: s.cpu_seconds() for s in servers}
        recording = None
        if profile and self.profiler is not None:
            recording = self.profiler.start(servers[0], seconds, target.label)
        result = self.load.run(target.workload, connections, seconds)
        cpu = {s.name: s.cpu_seconds() - cpu_before[s.name] for s in servers}
        taken = Slice(result, cpu)
        if recording is not None and self.profiler is not None:
            taken.profile = self.profiler.finish(recording)
        if floor_before is not None:
            after = floor_stats(servers[0])
            assert after is not None
            taken.floor_stats = (after[0] - floor_before[0], after[1] - floor_before[1])
        if stock_before is not None and target.watch_stock:
            on_hand, deltas = self.ledger.snapshot(target.watch_stock)
            taken.stock = (deltas - stock_before[1], on_hand - stock_before[0])
        return taken

    def _combine(self, target: Target, slices: list[Slice], connections: int) -> dict[str, Any]:
        result = merge_results([s.result for s in slices])
        cpu = {s.name: sum(part.cpu_seconds[s.name] for part in slices) for s in target.servers}
        measured: dict[str, Any] = {
            "load": result.as_dict(),
            "connections": connections,
            "rounds": len(slices),
            # Share of one core while measured, and CPU milliseconds per answered request.
            "server_cpu": {name: round(used / result.seconds, 3) for name, used in cpu.items()},
            "server_cpu_ms_per_request": {
                name: round(1000 * used / max(result.requests, 1), 3) for name, used in cpu.items()
            },
            "peak_rss_mib": {s.name: round(s.peak_rss_mib(), 1) for s in target.servers},
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
        stats = [s.floor_stats for s in slices if s.floor_stats is not None]
        if stats:
            requests, statements = (sum(x) for x in zip(*stats, strict=True))
            measured["floor_sql_per_request"] = (
                round(statements / requests, 1) if requests else None
            )
        stocks = [s.stock for s in slices if s.stock is not None]
        if stocks:
            applied, moved = (sum(x) for x in zip(*stocks, strict=True))
            measured["stock"] = {
                "applied_updates": applied,
                "on_hand_change": moved,
                "lost_updates": applied - moved,
            }
        profiles = [s.profile for s in slices if s.profile is not None]
        if profiles:
            measured["profile"] = profiles[0]
        return measured


def floor_stats(server: Server) -> tuple[int, int] | None:
    """(requests served, SQL statements run) of a floor app; None for any other server."""
    if not server.name.startswith("floor-"):
        return None
    stats = httpx.get(server.url + "/_bench/stats", trust_env=False).json()
    return stats["requests"], stats["statements"]
