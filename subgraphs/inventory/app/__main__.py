"""Operational commands: `python -m app relay` delivers pending outbox events once."""

from __future__ import annotations

import argparse

from app.application.event_publisher import LogEventSink, OutboxRelay
from app.infrastructure.api.dependencies import Container
from app.main import configure_logging
from app.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app")
    parser.add_argument("command", choices=["relay"], help="relay: deliver pending events once")
    parser.parse_args()
    settings = get_settings()
    configure_logging(settings)
    container = Container.build(settings)
    relay = OutboxRelay(uow_factory=container.uow, sink=LogEventSink(), interval=0)
    print(f"delivered {relay.run_once()} events")


if __name__ == "__main__":
    main()
