"""Operational commands: `python -m app relay` delivers pending outbox events once, `sweep`
marks expired reservations EXPIRED once, `audit` checks the stock invariants (exit 1 when one
is broken)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from subgraph_kit.messaging.sinks import event_sink
from subgraph_kit.web.log_format import configure_logging
from subgraph_kit.web.runtime import Runtime

from app.application.event_publisher import EXCHANGE, RENAMED, outbox_relay
from app.application.reservations import sweep_expired_reservations
from app.infrastructure.db.audit import audit
from app.infrastructure.db.session import SqlAlchemyUnitOfWork
from app.settings import get_settings

COMMANDS = {
    "relay": "deliver pending events once",
    "sweep": "mark expired reservations EXPIRED once (and raise ReservationExpired)",
    "audit": "check every stock invariant against the database; exit 1 if one is broken",
}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the command it names; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m app")
    parser.add_argument(
        "command",
        choices=list(COMMANDS),
        help="; ".join(f"{name}: {what}" for name, what in COMMANDS.items()),
    )
    command = parser.parse_args(argv).command
    settings = get_settings()
    configure_logging(settings)
    # These commands need the database only: no products client.
    runtime = Runtime(settings, SqlAlchemyUnitOfWork)
    if command == "relay":
        # The same sink as the service's: the broker with BROKER_URL set, else the log.
        sink = event_sink(settings, exchange=EXCHANGE, renamed=RENAMED)
        relay = outbox_relay(runtime.uow, sink=sink, interval=0)
        try:
            print(f"delivered {relay.run_once()} events")
        finally:
            relay.close()
    elif command == "sweep":
        print(f"expired {sweep_expired_reservations(uow=runtime.uow())} reservations")
    else:
        violations = audit(runtime.engine, now=datetime.now(UTC))
        for violation in violations:
            print(violation)
        print(f"audit: {len(violations)} violation(s)")
        return 1 if violations else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
