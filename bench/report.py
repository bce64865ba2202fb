"""The run's report: the machine and tools, the tables for stdout, the targets, the JSON."""

from __future__ import annotations

import itertools
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from runner import ROOT

PACKAGES = ("strawberry-graphql", "graphql-core", "fastapi", "starlette", "uvicorn", "uvloop")
PACKAGES += ("httptools", "sqlalchemy", "psycopg2-binary", "pydantic", "httpx")
HEADER = (
    f"{'#':<3}{'scenario':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}{'SQL/req':>8}"
)
HEADER += f"{'floor÷svc':>10}{'CPU ms/req':>11}{'svc CPU':>8}{'gen CPU':>8}{'RSS MiB':>8}"
SCALE = f"{'6  scale, 1 connection':<52}{'p50 ms':>9}{'p99 ms':>9}{'µs/rep':>9}{'SQL/req':>9}"
SCALE += f"{'errors':>8}"


def machine() -> dict[str, Any]:
    model = Path("/proc/cpuinfo").read_text().split("model name")[1].split("\n")[0]
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model.strip(": \t"),
        "memory_gib": round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def tools(load_generator: str) -> dict[str, Any]:
    found: dict[str, Any] = {package: metadata.version(package) for package in PACKAGES}
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    gateway = ROOT / "gateway" / "node_modules" / "@apollo" / "gateway" / "package.json"
    found |= {
        "node": node.stdout.strip(),
        "@apollo/gateway": json.loads(gateway.read_text())["version"],
    }
    return found | {"load_generator": load_generator}


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def row(number: str, name: str, measured: dict[str, Any], sql: Any, ratio: float | None) -> str:
    load, main = measured["load"], next(iter(measured["server_cpu"]))
    return (
        f"{number:<3}{name:<34}{load['rps']:>9.1f}{load['p50_ms']:>9.2f}{load['p99_ms']:>9.2f}"
        f"{load['errors']:>7}{sql!s:>8}{'' if ratio is None else f'{ratio:.2f}':>10}"
        f"{measured['server_cpu_ms_per_request'][main]:>11.2f}"
        f"{percent(measured['server_cpu'][main]):>8}{percent(load['client_cpu']):>8}"
        f"{measured['peak_rss_mib'][main]:>8.0f}"
    )


def lines(document: dict[str, Any]) -> list[str]:
    """The run's conditions, the table of the runs (a service, then its floor), what the writes
    did to stock, the in-process CPU, the scale cases, and the targets."""
    m, t, conf = document["machine"], document["tools"], document["settings"]
    found = [
        f"\n{document['database']['server']} | {m['cores']} cores ({m['cpu_model']}), "
        f"{m['memory_gib']} GiB | Python {m['python']} | one uvicorn worker per service | "
        f"{conf['duration_s']:g} s x {conf['concurrency']} connections ({conf['rounds']} rounds), "
        f"{conf['warmup_s']:g} s warm-up",
        f"load generator: {t['load_generator']} | strawberry {t['strawberry-graphql']}, fastapi "
        f"{t['fastapi']}, uvicorn {t['uvicorn']}, sqlalchemy {t['sqlalchemy']}, node {t['node']} | "
        f"load average {m['load_average_at_start'][0]} → {m['load_average_at_end'][0]}\n",
        HEADER,
        "-" * len(HEADER),
    ]
    notes, cpu = [], ["in-process CPU ms per request (one request at a time, no HTTP server):"]
    scenarios = document["scenarios"]
    for s in (s for s in scenarios if "service" in s):
        found.append(row(s["id"], s["name"], s["service"], s["sql_per_request"], s.get("ratio")))
        if floor := s.get("floor"):
            found.append(
                row("", "  floor (plain SQL)", floor, floor["floor_sql_per_request"], None)
            )
        for run, label in ((s["service"], s["id"]), (floor or {}, f"{s['id']} floor")):
            if stock := run.get("stock"):
                notes.append(
                    f"{label}: {stock['applied_updates']} updates applied, on hand moved by "
                    f"{stock['on_hand_change']}: {stock['lost_updates']} lost"
                )
        if times := s.get("in_process_cpu_ms"):
            parts = [f"{label} {ms:.2f}" for label, ms in times.items() if ms is not None]
            if times.get("service") and times.get("floor"):
                parts.append(f"service ÷ floor {times['service'] / times['floor']:.2f}")
            cpu.append(f"  {s['id']}  {s['name']:<33}" + ", ".join(parts))
    found += ["", *notes, "", *cpu, "", SCALE]
    for case in next((s["cases"] for s in scenarios if s["id"] == "6"), []):
        load, per = case["load"], case.get("us_per_representation")
        found.append(
            f"   {case['case']:<49}{load['p50_ms']:>9.2f}{load['p99_ms']:>9.2f}"
            f"{'' if per is None else f'{per:.1f}':>9}{case['sql_per_request']:>9}"
            f"{load['errors']:>8}"
        )
    rss = ", ".join(f"{name} {mib:.0f}" for name, mib in document["peak_rss_mib"].items())
    found += [
        f"\npeak RSS (MiB): {rss}",
        "stock levels whose on hand differs from their movements: ",
    ]
    found[-1] += f"{document['stock_levels_off_their_movements']}\ntargets:"
    return found + [
        f"  [{'met' if t['met'] else 'NOT MET'}] {t['target']}: {t['value']} (target {t['limit']})"
        for t in document["targets"]
    ]


def targets(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with its measured value and whether it is met."""
    by_id, found = {s["id"]: s for s in scenarios}, []

    def check(name: str, value: Any, limit: str, met: bool) -> None:
        found.append({"target": name, "value": value, "limit": limit, "met": met})

    for key, limit in (("1", 2.0), ("2", 2.0), ("4", 3.0)):
        if key == "4" and key in by_id:
            service = by_id[key]["service"]
            check(
                "scenario 4: lost updates",
                service["stock"]["lost_updates"],
                "== 0",
                service["stock"]["lost_updates"] == 0,
            )
            check(
                "scenario 4: errors",
                service["load"]["errors"],
                "== 0",
                service["load"]["errors"] == 0,
            )
        if key in by_id and (ratio := by_id[key]["ratio"]) is not None:
            check(
                f"scenario {key}: floor ÷ service throughput", ratio, f"<= {limit}", ratio <= limit
            )
    if "5" in by_id:
        lost = by_id["5"]["service"]["stock"]["lost_updates"]
        check("scenario 5: lost updates", lost, "== 0", lost == 0)
    cases = by_id["6"]["cases"] if "6" in by_id else []
    for kind in ("inventory_entities", "products_entities") if cases else ():
        costs = [c["us_per_representation"] for c in cases if c["kind"] == kind]
        falling = all(a > b for a, b in itertools.pairwise(costs))
        check(f"scenario 6: {kind} µs per representation falls with N", costs, "falling", falling)
    if len(deep := [c["load"]["p50_ms"] for c in cases if c["kind"] == "deep_page"]) == 2:
        growth = round(deep[1] / deep[0], 2)
        check("scenario 6: deep page p50, 100k ÷ 10k rows", growth, "<= 1.5", growth <= 1.5)
    errors = sum(
        run["load"]["errors"]
        for run in cases + [s[k] for s in scenarios for k in ("service", "floor") if k in s]
    )
    check("no errors in any run", errors, "== 0", errors == 0)
    return found


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path
