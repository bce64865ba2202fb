"""`python -m bench` (what `make bench` runs): set up, measure every scenario, report.

Databases are created (`bench/stack.py`) and filled (`bench/seed.py`), the services and the
floors started with the repository's runner, every request measured in-process
(`bench/inprocess.py`), then the scenarios run under load (`bench/scenarios.py`); the tables
go to stdout, the JSON to `bench/results/<UTC time>-<sqlite|postgres>.json`. Everything
started is stopped by PID, and the databases are dropped, however the run ends.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import runner
from bench import inprocess, measure, report, seed
from bench.scenarios import Bench, BenchError
from bench.stack import API_KEY, Databases, Ledger, processes
from runner import ROOT

RESULTS = ROOT / "bench" / "results"
SETTINGS = {"warmup_s": 2, "rounds": 2, "products": 10_000, "large_products": 100_000}
SIZES = {"products": SETTINGS["products"], "products_large": SETTINGS["large_products"]}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    option = parser.add_argument
    option("--duration", type=float, default=10, help="seconds per run (10)")
    option("--concurrency", type=int, default=16, help="connections (16)")
    option(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="a Postgres server to create bench_* databases on (BENCH_DATABASE_URL); else SQLite",
    )
    option("--only", default="1,2,3,4,5,6", help="scenarios to run, e.g. 1,2,4")
    option("--profile", action="store_true", help="py-spy flame graphs of the services in 1, 2, 4")
    args = parser.parse_args(argv)
    if not set(args.only.split(",")) <= set("123456"):
        parser.error("--only takes scenario numbers 1 to 6, e.g. 1,2,4")
    return args


def main(argv: list[str] | None = None) -> int:
    args, started = parse(argv), datetime.now(UTC)
    args.warmup, args.rounds = SETTINGS["warmup_s"], SETTINGS["rounds"]
    stamp, client, machine = started.strftime("%Y%m%dT%H%M%SZ"), measure.client(), report.machine()
    py_spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if args.profile and not py_spy:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    kind = "Postgres" if args.database_url else "SQLite"
    print(f"bench: {kind}, {args.duration:g} s x {args.concurrency} connections per run, ", end="")
    print(f"load generator: {client.version()} (logs: {workdir})")
    databases, fleet = Databases.create(args.database_url, workdir), {}
    try:
        clock = time.monotonic()
        databases.migrate(workdir)
        seed.catalogs({role: (databases.urls[role], n) for role, n in SIZES.items()}, workdir)
        fleet = {p.name: p for p in runner.start(lambda: processes(databases, workdir))}
        urls = {name: process.graphql_url for name, process in fleet.items()}
        seeded = asyncio.run(seed.stock_and_cursors(urls, SIZES, API_KEY))
        print(f"seeded in {time.monotonic() - clock:.0f} s; measuring requests in-process")
        in_process = inprocess.measure(seeded, fleet, workdir)
        ledger = Ledger(databases.urls["inventory"])
        profiles = (py_spy, RESULTS / "profiles" / stamp) if args.profile else None
        measurer = measure.Measurer(client, ledger, profiles)
        scenarios = Bench(args, fleet, seeded, measurer, in_process).run()
        peak_rss = {name: measure.peak_rss_mib(process) for name, process in fleet.items()}
        runner.stop(fleet.values())  # before the ledger's last look, so that every write is in
        settings = {"duration_s": args.duration, "concurrency": args.concurrency} | SETTINGS
        settings |= {"scale_duration_s": max(1.0, round(args.duration / 5)), "api_workers": 1}
        document = {
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"kind": databases.kind, "server": databases.server_version()},
            "machine": machine | {"load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
            "tools": report.tools(client.version()),
            "settings": settings,
            "in_process": in_process,
            "scenarios": scenarios,
            "peak_rss_mib": peak_rss,
            "stock_levels_off_their_movements": ledger.levels_off_their_movements(),
            "targets": report.targets(scenarios),
        }
    except (runner.StartupFailed, BenchError, seed.SeedFailed, RuntimeError) as error:
        print(f"bench failed: {error}\n(logs kept in {workdir})")
        return 2
    finally:
        runner.stop(fleet.values())
        databases.drop()
    shutil.rmtree(workdir, ignore_errors=True)
    path = report.write_json(RESULTS / f"{stamp}-{databases.kind}.json", document)
    print(*report.lines(document), f"\nresults: {path.relative_to(ROOT)}", sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
