"""The notes themselves: one table, a command, a rule, an event, a unit of work, use cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import String, Uuid, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from subgraph_kit.core.commands import Command, StorableText
from subgraph_kit.core.errors import DomainError
from subgraph_kit.core.events import DomainEvent
from subgraph_kit.core.unit_of_work import UnitOfWork
from subgraph_kit.sql.tables import declarative_base
from subgraph_kit.sql.unit_of_work import SessionUnitOfWork

Base = declarative_base()


class NoteRow(Base):
    __tablename__ = "notes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


@dataclass(frozen=True, slots=True)
class Note:
    id: uuid.UUID
    text: str


class WriteNote(Command):
    note_id: uuid.UUID | None = None
    note_text: Annotated[str, StringConstraints(min_length=1, max_length=200), StorableText]
    tags: tuple[Annotated[str, StringConstraints(max_length=20)], ...] = ()


class NoteNotFound(DomainError):
    code = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class NoteWritten(DomainEvent):
    name = "NoteWritten"


class NoteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_many(self, ids: Sequence[uuid.UUID]) -> list[Note | None]:
        rows = self.session.scalars(select(NoteRow).where(NoteRow.id.in_(ids)))
        found = {row.id: Note(row.id, row.text) for row in rows}
        return [found.get(note_id) for note_id in ids]

    def page(self, *, first: int, after: uuid.UUID | None) -> tuple[list[Note], bool]:
        statement = select(NoteRow).order_by(NoteRow.id).limit(first + 1)
        if after is not None:
            statement = statement.where(NoteRow.id > after)
        notes = [Note(row.id, row.text) for row in self.session.scalars(statement)]
        return notes[:first], len(notes) > first

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(NoteRow)) or 0

    def save(self, note: Note) -> None:
        self.session.merge(NoteRow(id=note.id, text=note.text))


class NotesUnitOfWork(SessionUnitOfWork, UnitOfWork):
    metadata = Base.metadata

    def open_repositories(self, session: Session) -> None:
        self.notes = NoteRepository(session)


def write_note(command: WriteNote, *, uow: NotesUnitOfWork) -> Note:
    with uow:
        if command.note_id is not None and uow.notes.get_many([command.note_id]) == [None]:
            raise NoteNotFound("No note has this id.", field=("note_id",))
        note = Note(command.note_id or uuid.uuid4(), command.note_text)
        uow.notes.save(note)
        uow.outbox.add([NoteWritten(note.id, uow.now(), {"text": note.text})])
        uow.commit()
    return note


def get_notes(ids: Sequence[uuid.UUID], *, uow: NotesUnitOfWork) -> list[Note | None]:
    with uow:
        return uow.notes.get_many(ids)


def list_notes(
    first: int, after: uuid.UUID | None, *, uow: NotesUnitOfWork
) -> tuple[list[Note], bool]:
    with uow:
        return uow.notes.page(first=first, after=after)


def count_notes(*, uow: NotesUnitOfWork) -> int:
    with uow:
        return uow.notes.count()
