"""Operational commands of a subgraph: `python -m app relay` delivers pending events once."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from subgraph_kit.core.outbox import OutboxRelay
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.web.log_format import configure_logging


def main(
    settings: Callable[[], ServiceSettings], relay: Callable[[ServiceSettings], OutboxRelay]
) -> None:
    """Parse the command line and run the command it names."""
    parser = argparse.ArgumentParser(prog="python -m app")
    parser.add_argument("command", choices=["relay"], help="relay: deliver pending events once")
    parser.parse_args()
    read = settings()
    configure_logging(read)
    outbox = relay(read)
    try:
        delivered = outbox.run_once()
    finally:
        outbox.close()
    print(f"delivered {delivered} events")
