"""`python -m bench` (what `make bench` runs): set up, measure every scenario, report.

Everything started is stopped by PID, and the databases are dropped, however the run ends;
the tables go to stdout, the JSON (with the machine, the tool versions and the targets) to
`bench/results/<UTC time>-<sqlite|postgres>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import runner
from bench import seed, stack
from bench.measure import in_process_costs, peak_rss_mib, wrk_version
from bench.scenarios import PAIRED, Bench
from runner import ROOT

RESULTS = ROOT / "bench" / "results"
SETTINGS = {"warmup_s": 2, "rounds": 1, "products": 10_000, "large_products": 100_000}
SIZES = {"products": SETTINGS["products"], "products_large": SETTINGS["large_products"]}
PACKAGES = ("strawberry-graphql", "graphql-core", "fastapi", "starlette", "uvicorn", "uvloop")
PACKAGES += ("httptools", "sqlalchemy", "psycopg2-binary", "pydantic", "httpx")
HEADER = f"{'#':<3}{'scenario':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}"
HEADER += f"{'SQL/req':>8}{'floor÷svc':>10}{'CPU ms/req':>11}{'svc CPU':>8}{'gen CPU':>8}"
HEADER += f"{'RSS MiB':>8}"
SCALE = f"{'6  scale, 1 connection':<52}{'p50 ms':>9}{'p99 ms':>9}{'µs/rep':>9}{'SQL/req':>9}"
SCALE += f"{'errors':>8}"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    option = parser.add_argument
    option("--duration", type=float, default=10, help="seconds per run (10)")
    option("--concurrency", type=int, default=16, help="connections (16)")
    server = os.environ.get("BENCH_DATABASE_URL") or None
    option("--database-url", default=server, help="Postgres (BENCH_DATABASE_URL); else SQLite")
    option("--only", default="1,2,3,4,5,6,7,8", help="scenarios to run, e.g. 1,2,4")
    args = parser.parse_args(argv)
    if not set(args.only.split(",")) <= set("12345678"):
        parser.error("--only takes scenario numbers 1 to 8, e.g. 1,2,4")
    args.warmup = SETTINGS["warmup_s"]
    return args


def main(argv: list[str] | None = None) -> int:
    args, started, generator = parse(argv), datetime.now(UTC), wrk_version()
    stamp, host = started.strftime("%Y%m%dT%H%M%SZ"), machine()
    workdir, server, fleet = Path(tempfile.mkdtemp(prefix="bench-")), args.database_url, {}
    urls, kind = stack.database_urls(server, workdir), "postgres" if server else "sqlite"
    print(f"bench: {kind}, {args.duration:g} s x {args.concurrency} connections per run, ", end="")
    print(f"load generator: {generator} (logs: {workdir})")
    try:
        clock = time.monotonic()
        stack.on_server(server, urls, 'CREATE DATABASE "{}"')
        migrations = {role: (service, urls[role]) for role, service in stack.ROLES.items()}
        runner.migrate(migrations, workdir)
        seed.catalogs({role: (urls[role], n) for role, n in SIZES.items()}, workdir)
        fleet = {p.name: p for p in runner.start(lambda: stack.processes(urls, workdir))}
        print("PIDs (for py-spy):", ", ".join(f"{n} {p.pid}" for n, p in fleet.items()))
        graphql = {name: process.graphql_url for name, process in fleet.items()}
        seeded = asyncio.run(seed.stock_and_cursors(graphql, SIZES, stack.API_KEY))
        print(f"seeded in {time.monotonic() - clock:.0f} s; measuring requests in-process")
        in_process = in_process_costs(seeded, fleet, workdir)
        scenarios = Bench(args, fleet, seeded, urls["inventory"], in_process).run()
        peak_rss = {name: peak_rss_mib(process) for name, process in fleet.items()}
        runner.stop(fleet.values())  # before the last look at stock, so that every write is in
        settings = {"duration_s": args.duration, "concurrency": args.concurrency} | SETTINGS
        settings |= {"scale_duration_s": max(1.0, round(args.duration / 5)), "api_workers": 1}
        settings["GRAPHQL_FAST_PATH"] = os.environ.get("GRAPHQL_FAST_PATH")  # unset: on
        document = {
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"kind": kind, "server": stack.server_version(urls)},
            "machine": host | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
            "tools": tools(generator),
            "settings": settings,
            "in_process": in_process,
            "scenarios": scenarios,
            "peak_rss_mib": peak_rss,
            "stock_levels_off_their_movements": stack.levels_off_their_movements(urls["inventory"]),
            "targets": targets(scenarios),
        }
    except (runner.StartupFailed, stack.BenchError, RuntimeError) as error:
        print(f"bench failed: {error}\n(logs kept in {workdir})")
        return 2
    finally:
        runner.stop(fleet.values())
        stack.on_server(server, urls, 'DROP DATABASE IF EXISTS "{}" WITH (FORCE)')
    shutil.rmtree(workdir, ignore_errors=True)
    path = RESULTS / f"{stamp}-{kind}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(*lines(document), f"\nresults: {path.relative_to(ROOT)}", sep="\n")
    return 0


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
    gateway = json.loads((ROOT / "gateway/node_modules/@apollo/gateway/package.json").read_text())
    found |= {"node": node.stdout.strip(), "@apollo/gateway": gateway["version"]}
    return found | {"load_generator": load_generator}


def row(number: str, name: str, measured: dict[str, Any], sql: Any, ratio: float | None) -> str:
    load, main = measured["load"], next(iter(measured["server_cpu"]))
    cpu = [measured["server_cpu"][main], load["client_cpu"]]
    return (
        f"{number:<3}{name:<34}{load['rps']:>9.1f}{load['p50_ms']:>9.2f}{load['p99_ms']:>9.2f}"
        f"{load['errors']:>7}{sql!s:>8}{'' if ratio is None else f'{ratio:.2f}':>10}"
        f"{measured['server_cpu_ms_per_request'][main]:>11.2f}"
        + "".join(f"{f'{100 * share:.0f}%':>8}" for share in cpu)
        + f"{measured['peak_rss_mib'][main]:>8.0f}"
    )


def lines(document: dict[str, Any]) -> list[str]:
    """The run's conditions, the table of the runs (a service, then its floor), what the writes
    did to stock, the in-process CPU, the scale cases, and the targets."""
    m, t, conf = document["machine"], document["tools"], document["settings"]
    found = [
        f"\n{document['database']['server']} | {m['cores']} cores ({m['cpu_model']}), "
        f"{m['memory_gib']} GiB | Python {m['python']} | one uvicorn worker per service (8: 2) | "
        f"{conf['duration_s']:g} s x {conf['concurrency']} connections, "
        f"{conf['warmup_s']:g} s warm-up",
        f"load generator: {t['load_generator']} | strawberry {t['strawberry-graphql']}, fastapi "
        f"{t['fastapi']}, uvicorn {t['uvicorn']}, sqlalchemy {t['sqlalchemy']}, node {t['node']} | "
        f"load average {m['load_average_at_start'][0]} → {m['load_average_at_end'][0]}\n",
        HEADER,
        "-" * len(HEADER),
    ]
    notes, cpu = [], ["in-process CPU ms per request (one request at a time, no HTTP server):"]
    for s in (s for s in document["scenarios"] if "service" in s):
        found.append(row(s["id"], s["name"], s["service"], s["sql_per_request"], s.get("ratio")))
        if floor := s.get("floor"):
            label = f"  floor ({PAIRED[s['id']][2]})"
            found.append(row("", label, floor, floor["floor_sql_per_request"], None))
        if peer := s.get("peer"):
            found.append(row("", "  peer (@apollo/subgraph)", peer, 1, None))
            notes.append(f"{s['id']}: project ÷ peer throughput {s['peer_ratio']}")
        if two := s.get("two_workers"):
            found.append(row("", "  2 workers", two, s["sql_per_request"], None))
            notes.append(f"{s['id']}: 2 workers ÷ 1 worker throughput {s['scaling']}")
        if checks := s.get("checks"):
            notes.append(f"{s['id']}: " + ", ".join(f"{k} {v}" for k, v in checks.items()))
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
    cases = next((s["cases"] for s in document["scenarios"] if s["id"] == "6"), [])
    for case in (case for case in cases if "in_process_cpu_ms" in case):
        cpu.append(f"  6  {case['case']:<33}service {case['in_process_cpu_ms']:.2f}")
    found += ["", *notes, "", *cpu, "", SCALE]
    for case in cases:
        load, per = case["load"], case.get("us_per_representation")
        found.append(
            f"   {case['case']:<49}{load['p50_ms']:>9.2f}{load['p99_ms']:>9.2f}"
            f"{'' if per is None else f'{per:.1f}':>9}{case['sql_per_request']:>9}"
            f"{load['errors']:>8}"
        )
    rss = ", ".join(f"{name} {mib:.0f}" for name, mib in document["peak_rss_mib"].items())
    off = document["stock_levels_off_their_movements"]
    found += [f"\npeak RSS (MiB): {rss}"]
    found += [f"stock levels whose on hand differs from their movements: {off}", "targets:"]
    return found + [
        f"  [{'met' if t['met'] else 'NOT MET'}] {t['target']}: {t['value']} (target {t['limit']})"
        for t in document["targets"]
    ]


def targets(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with its measured value and whether it is met."""
    by_id, found = {s["id"]: s for s in scenarios}, []

    def check(name: str, value: Any, limit: str, met: bool) -> None:
        found.append({"target": name, "value": value, "limit": limit, "met": met})

    kinds = ("service", "floor", "two_workers", "peer")
    runs = {s["id"]: [s[k] for k in kinds if k in s] for s in scenarios}
    for key in sorted({"4", "5", "7"} & runs.keys()):
        lost = sum(run["stock"]["lost_updates"] for run in runs[key])
        check(f"scenario {key}: lost updates", lost, "== 0", lost == 0)
    if checks := by_id.get("7", {}).get("checks"):
        oversold, audited = checks["oversold_units"], checks["audit"]
        check("scenario 7: units committed but not sold (oversell)", oversold, "== 0", not oversold)
        check("scenario 7: inventory's audit", audited, "0", audited.startswith("audit: 0 "))
    if "4" in runs:
        errors = sum(run["load"]["errors"] for run in runs["4"])
        check("scenario 4: errors", errors, "== 0", errors == 0)
    for key, limit in (("1", 2.0), ("2", 2.0), ("4", 3.0)):
        if key in by_id and (ratio := by_id[key]["ratio"]) is not None:
            check(
                f"scenario {key}: floor ÷ service throughput", ratio, f"<= {limit}", ratio <= limit
            )
    cases = by_id["6"]["cases"] if "6" in by_id else []
    for kind in ("inventory_entities", "products_entities") if cases else ():
        costs = [c["us_per_representation"] for c in cases if c["kind"] == kind]
        falling = all(a > b for a, b in itertools.pairwise(costs))
        check(f"scenario 6: {kind} µs per representation falls with N", costs, "falling", falling)
    if len(deep := [c["load"]["p50_ms"] for c in cases if c["kind"] == "deep_page"]) == 2:
        growth = round(deep[1] / deep[0], 2)
        check("scenario 6: deep page p50, 100k ÷ 10k rows", growth, "<= 1.5", growth <= 1.5)
    errors = sum(run["load"]["errors"] for run in itertools.chain(cases, *runs.values()))
    check("no errors in any run", errors, "== 0", errors == 0)
    return found


if __name__ == "__main__":
    sys.exit(main())
