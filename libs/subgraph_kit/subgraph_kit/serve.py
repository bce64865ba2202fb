"""`subgraph-serve`: uvicorn's command line, with a clean exit status after a graceful stop.

After a graceful shutdown, uvicorn re-raises the SIGTERM or SIGINT it caught, so the process
ends "killed by signal" (status -15 or an interrupt), which orchestrators and `make up` read
as a crash. Here the re-raised signal meets a handler that ignores it, and the command exits 0.
Everything else, including `--timeout-graceful-shutdown`, is uvicorn's own.

With PROMETHEUS_MULTIPROC_DIR set (several workers sharing their metrics), the directory is
emptied first: prometheus_client keeps each worker's series in files there, and those of an
earlier run would be added to this one's.
"""

from __future__ import annotations

import os
import signal
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


def main() -> None:
    empty_multiprocess_dir()
    for handled in (signal.SIGINT, signal.SIGTERM):
        # Uvicorn installs its own handlers while it serves and restores these afterwards.
        signal.signal(handled, signal.SIG_IGN)
    uvicorn_main()


if __name__ == "__main__":
    main()
