"""Operational commands: `python -m app relay` delivers pending outbox events once."""

from subgraph_kit.cli import main
from subgraph_kit.messaging.sinks import event_sink

from app.application.event_publisher import EXCHANGE, RENAMED, outbox_relay
from app.infrastructure.api.dependencies import build_runtime
from app.settings import get_settings

if __name__ == "__main__":
    # The same sink as the service's: the broker with BROKER_URL set, else the log.
    main(
        get_settings,
        lambda settings: outbox_relay(
            build_runtime(settings).uow,
            sink=event_sink(settings, exchange=EXCHANGE, renamed=RENAMED),
            interval=0,
        ),
    )
