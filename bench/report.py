"""The run's report: a plain-text table for stdout, the targets, and the JSON document."""

from __future__ import annotations

import itertools
import json
import os
import platform
import subprocess
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.processes import ROOT

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "psycopg2-binary",
    "pydantic",
    "httpx",
)
HEADER = (
    f"{'#':<3}{'scenario':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}"
    f"{'SQL/req':>8}{'floor÷svc':>10}{'CPU ms/req':>11}{'svc CPU':>8}{'gen CPU':>8}{'RSS MiB':>8}"
)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        memory_kib = 0
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def tools(load_generator: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
        found["node"] = node.stdout.strip()
    except OSError:
        found["node"] = None
    gateway = ROOT / "gateway" / "node_modules" / "@apollo" / "gateway" / "package.json"
    if gateway.exists():
        found["@apollo/gateway"] = json.loads(gateway.read_text())["version"]
    found["load_generator"] = load_generator
    return found


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _row(number: str, name: str, measured: dict[str, Any], main: str, sql: Any, ratio: Any) -> str:
    load = measured["load"]
    cpu_ms = measured["server_cpu_ms_per_request"].get(main, 0.0)
    return (
        f"{number:<3}{name[:33]:<34}{load['rps']:>9.1f}{load['p50_ms']:>9.2f}"
        f"{load['p99_ms']:>9.2f}{load['errors']:>7}{sql!s:>8}"
        f"{'' if ratio is None else f'{ratio:.2f}':>10}{cpu_ms:>11.2f}"
        f"{_percent(measured['server_cpu'].get(main)):>8}{_percent(load['client_cpu']):>8}"
        f"{measured['peak_rss_mib'].get(main, 0):>8.0f}"
    )


def table(scenarios: list[dict[str, Any]]) -> list[str]:
    """The main table: one row per measured run (service, then its floor)."""
    lines = [HEADER, "-" * len(HEADER)]
    notes = []
    for s in scenarios:
        if s["id"] == "6":
            continue
        service = s["service"]
        main = next(iter(service["server_cpu"]))
        lines.append(_row(s["id"], s["name"], service, main, s["sql_per_request"], s.get("ratio")))
        others = {k: v for k, v in service["server_cpu"].items() if k != main}
        if others:
            shares = ", ".join(f"{name} {_percent(v)}" for name, v in others.items())
            notes.append(f"{s['id']}: CPU of the other processes it keeps busy: {shares}")
        if "stock" in service:
            notes.append(f"{s['id']}: {stock_line(service['stock'])}")
        floor = s.get("floor")
        if floor:
            fmain = next(iter(floor["server_cpu"]))
            sql = floor.get("floor_sql_per_request")
            lines.append(_row("", "  floor (plain SQL)", floor, fmain, sql, None))
            if "stock" in floor:
                notes.append(f"{s['id']} floor: {stock_line(floor['stock'])}")
    legend = textwrap.wrap(
        "floor÷svc: floor req/s ÷ service req/s (1.0 = as fast as plain SQL). CPU ms/req: CPU "
        "time of the process under test per answered request. svc CPU / gen CPU: that process "
        "and the load generator, as shares of one core (a service can pass 100 %: its database "
        "calls run in worker threads). RSS: the process's peak. Percentiles over several rounds "
        "are their request-weighted mean.",
        width=len(HEADER),
        break_on_hyphens=False,
    )
    return [*lines, *legend, "", *notes, ""]


def in_process_lines(scenarios: list[dict[str, Any]]) -> list[str]:
    """CPU per request with no server and no load: the figure that moves least between runs."""
    lines = ["in-process CPU ms per request (one request at a time, no HTTP server):"]
    for s in scenarios:
        cpu = s.get("in_process_cpu_ms")
        if not cpu:
            continue
        parts = [f"{label} {value:.2f}" for label, value in cpu.items() if value is not None]
        if cpu.get("service") and cpu.get("floor"):
            parts.append(f"service ÷ floor {cpu['service'] / cpu['floor']:.2f}")
        lines.append(f"  {s['id']}  {s['name']:<33}" + ", ".join(parts))
    return [*lines, ""] if len(lines) > 1 else []


def stock_line(stock: dict[str, int]) -> str:
    return (
        f"{stock['applied_updates']} updates applied, on hand moved by {stock['on_hand_change']}:"
        f" {stock['lost_updates']} lost"
    )


def scale_table(scenarios: list[dict[str, Any]]) -> list[str]:
    scale = next((s for s in scenarios if s["id"] == "6"), None)
    if scale is None:
        return []
    lines = [
        f"{'6  scale, 1 connection':<52}{'p50 ms':>9}{'p99 ms':>9}{'µs/rep':>9}"
        f"{'SQL/req':>9}{'errors':>8}",
    ]
    for case in scale["cases"]:
        load = case["load"]
        per = case.get("us_per_representation")
        lines.append(
            f"   {case['case']:<49}{load['p50_ms']:>9.2f}{load['p99_ms']:>9.2f}"
            f"{'' if per is None else f'{per:.1f}':>9}"
            f"{case['sql_per_request']:>9}{load['errors']:>8}"
        )
    return [*lines, ""]


def targets(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with its measured value and whether it is met."""
    by_id = {s["id"]: s for s in scenarios}
    found: list[dict[str, Any]] = []

    def check(name: str, value: Any, limit: str, met: bool) -> None:
        found.append({"target": name, "value": value, "limit": limit, "met": bool(met)})

    for key in ("1", "2"):
        if key in by_id and by_id[key].get("ratio") is not None:
            check(
                f"scenario {key}: floor ÷ service throughput",
                by_id[key]["ratio"],
                "<= 2.0",
                by_id[key]["ratio"] <= 2.0,
            )
    if "4" in by_id:
        s = by_id["4"]
        lost = s["service"]["stock"]["lost_updates"]
        check("scenario 4: lost updates", lost, "== 0", lost == 0)
        check(
            "scenario 4: errors",
            s["service"]["load"]["errors"],
            "== 0",
            s["service"]["load"]["errors"] == 0,
        )
        if s.get("ratio") is not None:
            check("scenario 4: floor ÷ service throughput", s["ratio"], "<= 3.0", s["ratio"] <= 3.0)
    if "5" in by_id:
        lost = by_id["5"]["service"]["stock"]["lost_updates"]
        check("scenario 5: lost updates", lost, "== 0", lost == 0)
    if "6" in by_id:
        cases = by_id["6"]["cases"]
        for kind in ("inventory_entities", "products_entities"):
            costs = [c["us_per_representation"] for c in cases if c["kind"] == kind]
            falling = all(a > b for a, b in itertools.pairwise(costs))
            check(
                f"scenario 6: {kind} µs per representation falls with N", costs, "falling", falling
            )
        deep = [c["load"]["p50_ms"] for c in cases if c["kind"] == "deep_page"]
        if len(deep) == 2 and deep[0]:
            growth = round(deep[1] / deep[0], 2)
            check("scenario 6: deep page p50, 100k ÷ 10k rows", growth, "<= 1.5", growth <= 1.5)
    errors = sum(run["load"]["errors"] for run in measured_runs(scenarios))
    check("no errors in any run", errors, "== 0", errors == 0)
    return found


def measured_runs(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    runs = []
    for s in scenarios:
        runs += s.get("cases", [])
        runs += [s[k] for k in ("service", "floor") if s.get(k)]
    return runs


def target_lines(found: list[dict[str, Any]]) -> list[str]:
    return [
        f"  [{'met' if t['met'] else 'NOT MET'}] {t['target']}: {t['value']} (target {t['limit']})"
        for t in found
    ]


def write_json(folder: Path, name: str, document: dict[str, Any]) -> Path:
    """Write atomically: a .tmp file renamed into place."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(path)
    return path
