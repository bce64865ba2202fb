"""The SQLAlchemy inbox of the catalog's messages, and what inventory heard of each product."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.domain.catalog_rules import CatalogEntry
from app.domain.models import ProductStatus
from app.domain.repositories import CatalogEntryRepository, InboxRepository
from app.infrastructure.db.models import CatalogEntryRow, InboxMessageRow
from app.infrastructure.db.repositories import insert_ignoring_conflicts
from app.infrastructure.db.rows import utc

inbox = InboxMessageRow.__table__
entries = CatalogEntryRow.__table__


class SqlAlchemyInboxRepository(InboxRepository):
    """`INSERT … ON CONFLICT DO NOTHING` of the event id: on Postgres a second delivery being
    applied at the same time waits for the first's commit, then inserts nothing."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, event_id: UUID, *, name: str, now: datetime) -> bool:
        row = {"event_id": event_id, "name": name, "received_at": now}
        return insert_ignoring_conflicts(self.session, inbox, row)

    def purge(self, *, older_than: datetime) -> int:
        statement = delete(inbox).where(inbox.c.received_at < older_than)
        return self.session.execute(statement).rowcount


class SqlAlchemyCatalogEntryRepository(CatalogEntryRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, product_id: UUID) -> CatalogEntry | None:
        statement = select(entries).where(entries.c.product_id == product_id)
        row = self.session.execute(statement).first()
        if row is None:
            return None
        status = None if row.status is None else ProductStatus(row.status)
        return CatalogEntry(row.product_id, status, row.deleted, utc(row.as_of))

    def save(self, entry: CatalogEntry) -> None:
        # One upsert, guarded as `catalog_rules.heard` judges: of two events of one product
        # applied at once by two consumers, the database keeps the deletion, else the newer.
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        row = {
            "product_id": entry.product_id,
            "status": None if entry.status is None else entry.status.value,
            "deleted": entry.deleted,
            "as_of": entry.as_of,
        }
        statement = dialect.insert(entries).values(row)
        newer = statement.excluded.deleted | (entries.c.as_of < statement.excluded.as_of)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[entries.c.product_id],
                set_={name: statement.excluded[name] for name in ("status", "deleted", "as_of")},
                where=~entries.c.deleted & newer,
            )
        )
