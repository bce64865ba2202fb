"""`subgraph-serve`: uvicorn's command line, with a clean exit status after a graceful stop.

After a graceful shutdown, uvicorn re-raises the SIGTERM or SIGINT it caught, so the process
ends "killed by signal" (status -15 or an interrupt), which orchestrators and `make up` read
as a crash. Here the re-raised signal meets a handler that ignores it, and the command exits 0.
Everything else, including `--timeout-graceful-shutdown`, is uvicorn's own.

WEB_CONCURRENCY=N runs N uvicorn workers on the one port (uvicorn reads it; empty means 1).
With several, their metrics must be shared: PROMETHEUS_MULTIPROC_DIR names the directory
where prometheus_client keeps each worker's series (a fresh temporary one when unset), and it
is emptied first, or the series of an earlier run would be added to this one's.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

from uvicorn.main import main as uvicorn_main


def empty_multiprocess_dir() -> None:
    """Start the metrics of this run from zero (the directory is made if it is missing)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()


def workers() -> int:
    """WEB_CONCURRENCY as a number of workers: unset or empty, 1; exit on anything but 1, 2…"""
    value = os.environ.get("WEB_CONCURRENCY", "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"WEB_CONCURRENCY must be a whole number of workers, 1 or more, not {value!r}")
    os.environ["WEB_CONCURRENCY"] = value  # what uvicorn reads (it cannot read an empty one)
    return int(value)


def main() -> None:
    if workers() > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="subgraph-metrics-")
    empty_multiprocess_dir()
    for handled in (signal.SIGINT, signal.SIGTERM):
        # Uvicorn installs its own handlers while it serves and restores these afterwards.
        signal.signal(handled, signal.SIG_IGN)
    uvicorn_main()


if __name__ == "__main__":
    main()
