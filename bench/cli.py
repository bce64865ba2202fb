"""`python -m bench` (what `make bench` runs): set up, measure every scenario, report.

1. Create the databases (SQLite files in a temporary folder, or `bench_*` databases on the
   Postgres server of `--database-url` / BENCH_DATABASE_URL), migrate them with each
   service's Alembic, and seed them with each service's own code.
2. Send every benchmarked request to each service in-process (`bench/inprocess.py`): the SQL
   statements it costs, and for the main ones (and the floors') the CPU time alone.
3. Start products, the 100k-row products, inventory, the gateway and the two floor apps as
   `make up` starts them (one uvicorn worker each), on free ports of 127.0.0.1.
4. Run the scenarios (`bench/scenarios.py`), print the table and the targets, and write the
   JSON to `bench/results/<UTC time>-<sqlite|postgres>.json`.
Everything started is stopped by PID, and the databases are dropped, however the run ends.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import databases as db
from bench import report, requests_in_process
from bench.databases import StockLedger
from bench.load import LoadGenerator
from bench.measure import Measurer
from bench.processes import ROOT, Fleet, StartupFailed
from bench.profiling import Profiler
from bench.scenarios import Bench, BenchError, Settings
from bench.stack import API_KEY, start

RESULTS = ROOT / "bench" / "results"
ALL_SCENARIOS = "1,2,3,4,5,6"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per run (10)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections (16)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per run (2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="alternating rounds a service and its floor share the duration in (2)",
    )
    parser.add_argument(
        "--scale-duration", type=float, help="seconds per scale case (duration / 5, at least 1)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="a Postgres server URL to create bench_* databases on (BENCH_DATABASE_URL); "
        "SQLite when unset",
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default=os.environ.get("BENCH_CLIENT", "auto"),
        help="load generator: wrk when on PATH (auto), or the Python client",
    )
    parser.add_argument("--products", type=int, default=10_000, help="catalog size (10,000)")
    parser.add_argument(
        "--large-products", type=int, default=100_000, help="large catalog size (100,000)"
    )
    parser.add_argument("--only", default=ALL_SCENARIOS, help="scenarios to run, e.g. 1,2,4")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the services in scenarios 1, 2 and 4"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--check-targets", action="store_true", help="exit 1 when a target is not met"
    )
    args = parser.parse_args(argv)
    if args.products < 1000:
        parser.error("--products must be at least 1000 (scenario 5 spreads over 1,000)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    settings = Settings(
        duration=args.duration,
        concurrency=args.concurrency,
        warmup=args.warmup,
        scale_duration=args.scale_duration or max(1.0, round(args.duration / 5)),
        rounds=args.rounds,
        only=frozenset(args.only.split(",")),
    )
    load = LoadGenerator(args.client)
    profiler = Profiler(args.results / "profiles", stamp) if args.profile else None
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    machine = report.machine()
    print(
        f"bench: {machine['cores']} cores, {'Postgres' if args.database_url else 'SQLite'}, "
        f"{settings.duration:g} s x {settings.concurrency} connections per run, "
        f"load generator: {load.version}  (logs: {workdir})"
    )
    databases = db.create(args.database_url, workdir)
    failed = True
    try:
        clock = time.monotonic()
        db.migrate(databases)
        seeded = db.seed(databases, args.products, args.large_products)
        print(f"seeded in {time.monotonic() - clock:.0f} s; measuring requests in-process")
        clock = time.monotonic()
        in_process = requests_in_process.measure(databases, seeded)
        print(f"measured in {time.monotonic() - clock:.0f} s; starting the services")
        ledger = StockLedger(databases.urls["inventory"])
        with Fleet() as fleet:
            start(fleet, databases, workdir)
            measurer = Measurer(load, ledger, profiler)
            bench = Bench(settings, fleet, seeded, measurer, in_process, API_KEY)
            scenarios = bench.run()
            peak_rss = fleet.peak_rss()
        off = ledger.levels_off_their_movements()
        ledger.close()
        document = {
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"kind": databases.kind, "server": databases.server_version()},
            "machine": machine | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
            "tools": report.tools(load.version),
            "settings": {
                "duration_s": settings.duration,
                "concurrency": settings.concurrency,
                "warmup_s": settings.warmup,
                "scale_duration_s": settings.scale_duration,
                "rounds": settings.rounds,
                "products": args.products,
                "large_products": args.large_products,
                "api_workers": 1,
            },
            "in_process": in_process,
            "scenarios": scenarios,
            "peak_rss_mib": peak_rss,
            "stock_levels_off_their_movements": off,
        }
        document["targets"] = report.targets(scenarios)
        failed = False
    except (StartupFailed, BenchError, db.SetupFailed) as error:
        print(f"bench failed: {error}\n(logs kept in {workdir})")
        return 2
    finally:
        if not args.keep:
            databases.drop()
        if not (failed or args.keep):
            shutil.rmtree(workdir, ignore_errors=True)
    path = report.write_json(args.results, f"{stamp}-{databases.kind}.json", document)
    print_report(document, path)
    unmet = [t for t in document["targets"] if not t["met"]]
    return 1 if (args.check_targets and unmet) else 0


def print_report(document: dict[str, Any], path: Path) -> None:
    m, t, s = document["machine"], document["tools"], document["settings"]
    print()
    print(
        f"{document['database']['server']} | {m['cores']} cores ({m['cpu_model']}), "
        f"{m['memory_gib']} GiB | Python {m['python']} | one uvicorn worker per service | "
        f"{s['duration_s']:g} s x {s['concurrency']} connections ({s['rounds']} rounds), "
        f"{s['warmup_s']:g} s warm-up"
    )
    print(
        f"load generator: {t['load_generator']} | strawberry {t['strawberry-graphql']}, "
        f"fastapi {t['fastapi']}, uvicorn {t['uvicorn']}, sqlalchemy {t['sqlalchemy']}, "
        f"node {t['node']} | load average {m['load_average_at_start'][0]} → "
        f"{m['load_average_at_end'][0]}"
    )
    print()
    scenarios = document["scenarios"]
    for line in [
        *report.table(scenarios),
        *report.in_process_lines(scenarios),
        *report.scale_table(scenarios),
    ]:
        print(line)
    rss = ", ".join(f"{name} {mib:.0f}" for name, mib in document["peak_rss_mib"].items())
    print(f"peak RSS (MiB): {rss}")
    print(
        f"stock levels whose on hand differs from their movements: "
        f"{document['stock_levels_off_their_movements']}"
    )
    print("targets:")
    for line in report.target_lines(document["targets"]):
        print(line)
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
