"""Operational commands: `python -m app relay` delivers pending outbox events once."""

from subgraph_kit.cli import main
from subgraph_kit.web.runtime import Runtime

from app.application.event_publisher import outbox_relay
from app.infrastructure.db.session import SqlAlchemyUnitOfWork
from app.settings import get_settings

if __name__ == "__main__":
    # The relay needs the database only: no products client.
    main(
        get_settings,
        lambda settings: outbox_relay(Runtime(settings, SqlAlchemyUnitOfWork).uow, interval=0),
    )
