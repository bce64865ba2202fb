"""Operational commands: `python -m app relay` delivers pending outbox events once."""

from subgraph_kit.cli import main

from app.application.event_publisher import outbox_relay
from app.infrastructure.api.dependencies import build_runtime
from app.settings import get_settings

if __name__ == "__main__":
    main(get_settings, lambda settings: outbox_relay(build_runtime(settings).uow, interval=0))
