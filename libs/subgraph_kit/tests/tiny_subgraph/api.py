"""The notes over GraphQL and HTTP: an entity, a connection, a mutation, the app."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence

import strawberry
from fastapi import APIRouter, FastAPI
from pydantic import ValidationError
from strawberry.fastapi import BaseContext
from strawberry.types import Info
from subgraph_kit.core.errors import DomainError
from subgraph_kit.core.ids import require_uuid
from subgraph_kit.core.outbox import LogEventSink, OutboxRelay
from subgraph_kit.graphql.errors import BadUserInput, UserErrors, user_error_type
from subgraph_kit.graphql.loaders import Run, batch_loader, by_uuid
from subgraph_kit.graphql.pagination import (
    Connection,
    check_page_size,
    connection,
    decode_cursor,
    encode_cursor,
)
from subgraph_kit.graphql.schema import SubgraphSchema
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.web.app import create_subgraph_app
from subgraph_kit.web.health import health_router
from subgraph_kit.web.runtime import Runtime, RuntimeDep

from tiny_subgraph.notes import (
    Note,
    NotesUnitOfWork,
    WriteNote,
    count_notes,
    get_notes,
    list_notes,
    write_note,
)

# What the `boom` field raises: a masked error must not show it.
SECRET = "connection to postgresql://user:hunter2@db failed"


@strawberry.enum
class UserErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"


UserError = user_error_type(UserErrorCode)
to_user_errors = UserErrors(UserError, UserErrorCode)


@strawberry.federation.type(name="Note", keys=["id"])
class NoteType:
    id: strawberry.ID
    text: str

    @classmethod
    def from_domain(cls, note: Note) -> NoteType:
        return cls(id=strawberry.ID(str(note.id)), text=note.text)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> NoteType | None:
        return await info.context.note_by_id.load(id)

    @classmethod
    async def resolve_references(
        cls, info: Info, keys: list[dict[str, strawberry.ID]]
    ) -> list[NoteType | None]:
        return await info.context.note_by_id.load_many([key["id"] for key in keys])


@strawberry.type
class Nest:
    """A type that contains itself, for queries as deep as a client likes."""

    level: int

    @strawberry.field
    def inner(self) -> Nest:
        return Nest(level=self.level + 1)


@strawberry.input
class WriteNoteInput:
    note_text: str
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class WriteNotePayload:
    note: NoteType | None
    user_errors: list[UserError]  # type: ignore[valid-type]


def note_position(cursor: str) -> uuid.UUID:
    (note_id,) = decode_cursor(cursor, kind="notes", parts=1)
    return require_uuid(note_id, BadUserInput("`after` is not a valid cursor."))


@strawberry.type
class Query:
    @strawberry.field
    async def note(self, info: Info, id: strawberry.ID) -> NoteType | None:
        return await info.context.note_by_id.load(id)

    @strawberry.field
    async def notes(
        self, info: Info, first: int = 10, after: str | None = None
    ) -> Connection[NoteType]:
        check_page_size(first)
        position = note_position(after) if after is not None else None
        page, has_next = await info.context.run(list_notes, first, position)

        async def count() -> int:
            return await info.context.run(count_notes)

        return connection(
            page,
            node=NoteType.from_domain,
            cursor=lambda note: encode_cursor("notes", str(note.id)),
            has_next=has_next,
            after=after,
            count=count,
        )

    @strawberry.field
    def nest(self) -> Nest:
        return Nest(level=1)

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError(SECRET)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def write_note(
        self, info: Info, input: WriteNoteInput, id: strawberry.ID | None = None
    ) -> WriteNotePayload:
        try:
            command = WriteNote.model_validate(
                {"note_id": id, "note_text": input.note_text, "tags": input.tags}
            )
            note = await info.context.run(write_note, command)
        except (DomainError, ValidationError) as error:
            errors = to_user_errors(error, arguments={"noteId": "id"})
            return WriteNotePayload(note=None, user_errors=errors)
        return WriteNotePayload(note=NoteType.from_domain(note), user_errors=[])


schema = SubgraphSchema(query=Query, mutation=Mutation)


class NotesContext(BaseContext):
    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        self.note_by_id = batch_loader(by_uuid(self._notes))

    async def _notes(self, ids: Sequence[uuid.UUID]) -> list[NoteType | None]:
        found = await self.run(get_notes, ids)
        return [NoteType.from_domain(note) if note else None for note in found]


async def get_context(runtime: RuntimeDep) -> NotesContext:
    return NotesContext(runtime.run)


async def readiness_details() -> dict[str, str]:
    return {"notes": "ready"}


def create_app(settings: ServiceSettings) -> FastAPI:
    """The tiny subgraph over the database `settings` name (its tables already made)."""
    runtime = Runtime(settings, NotesUnitOfWork)
    routes = APIRouter()
    routes.include_router(health_router(readiness_details))
    return create_subgraph_app(
        title="notes",
        summary="A subgraph made of the kit alone.",
        runtime=runtime,
        schema=schema,
        context_getter=get_context,
        routes=routes,
        relay=OutboxRelay(uow_factory=runtime.uow, sink=LogEventSink(), interval=3600),
    )
