"""`subgraph-serve`: uvicorn's command line, with a clean exit status after a graceful stop.

After a graceful shutdown, uvicorn re-raises the SIGTERM or SIGINT it caught, so the process
ends "killed by signal" (status -15 or an interrupt), which orchestrators and `make up` read
as a crash. Here the re-raised signal meets a handler that ignores it, and the command exits 0.
Everything else, including `--timeout-graceful-shutdown`, is uvicorn's own.
"""

from __future__ import annotations

import signal

from uvicorn.main import main as uvicorn_main


def main() -> None:
    for handled in (signal.SIGINT, signal.SIGTERM):
        # Uvicorn installs its own handlers while it serves and restores these afterwards.
        signal.signal(handled, signal.SIG_IGN)
    uvicorn_main()


if __name__ == "__main__":
    main()
