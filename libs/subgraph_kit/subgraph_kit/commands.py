"""Operational commands of a subgraph: `python -m app relay` delivers pending events once."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from subgraph_kit.api import Runtime, configure_logging
from subgraph_kit.relay import LogEventSink, OutboxRelay
from subgraph_kit.settings import ServiceSettings


def main(settings: Callable[[], ServiceSettings], runtime: Callable[[Any], Runtime]) -> None:
    parser = argparse.ArgumentParser(prog="python -m app")
    parser.add_argument("command", choices=["relay"], help="relay: deliver pending events once")
    parser.parse_args()
    read = settings()
    configure_logging(read)
    relay = OutboxRelay(uow_factory=runtime(read).uow, sink=LogEventSink(), interval=0)
    print(f"delivered {relay.run_once()} events")
