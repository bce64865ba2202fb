"""The unit of work over one SQLAlchemy Session."""

from __future__ import annotations

from typing import Self

from sqlalchemy import MetaData
from sqlalchemy.orm import Session, sessionmaker

from subgraph_kit.core.unit_of_work import DeadlineExceeded, refuse_past
from subgraph_kit.sql.outbox import SqlAlchemyOutbox
from subgraph_kit.sql.tables import outbox_table


class SessionUnitOfWork:
    """A unit of work over one Session, opened on `with` and closed when the block ends.

    Subclasses name their `metadata` (whose outbox table the events go to) and open their
    repositories in `open_repositories`. Leaving the block without `commit()` rolls back.
    Past its `deadline` it opens no Session and commits nothing (DeadlineExceeded).
    """

    metadata: MetaData

    def __init__(
        self, session_factory: sessionmaker[Session], *, deadline: float | None = None
    ) -> None:
        self.session_factory = session_factory
        self.deadline = deadline

    def __enter__(self) -> Self:
        refuse_past(self.deadline)  # its request has been answered: no work, no connection
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
        # Flush first, so that the last check comes after every statement but COMMIT itself:
        # a statement held up by the network may end after the deadline, a COMMIT sent
        # before it is the one case left (a reply the network loses).
        self.session.flush()
        try:
            refuse_past(self.deadline)
        except DeadlineExceeded:
            self.session.rollback()  # its locks go now, not when the block ends
            raise
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
