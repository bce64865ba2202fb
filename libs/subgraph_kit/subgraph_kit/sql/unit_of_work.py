"""The unit of work over one SQLAlchemy Session."""

from __future__ import annotations

from typing import Self

from sqlalchemy import MetaData
from sqlalchemy.orm import Session, sessionmaker

from subgraph_kit.sql.outbox import SqlAlchemyOutbox
from subgraph_kit.sql.tables import outbox_table


class SessionUnitOfWork:
    """A unit of work over one Session, opened on `with` and closed when the block ends.

    Subclasses name their `metadata` (whose outbox table the events go to) and open their
    repositories in `open_repositories`. Leaving the block without `commit()` rolls back.
    """

    metadata: MetaData

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.outbox = SqlAlchemyOutbox(self.session, outbox_table(self.metadata))
        self.open_repositories(self.session)
        return self

    def __exit__(self, *args: object) -> None:
        self.session.rollback()
        self.session.close()

    def open_repositories(self, session: Session) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
