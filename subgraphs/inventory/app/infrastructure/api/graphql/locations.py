"""The Location entity and the payload of location writes."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info
from subgraph_kit.graphql.loaders import load_all

from app.domain import models
from app.infrastructure.api.graphql.user_errors import UserError


@strawberry.federation.type(keys=["id"], description="A place that holds stock.")
class Location:
    id: strawberry.ID
    code: str = strawberry.field(description="Unique, upper case, ^[A-Z0-9][A-Z0-9_-]{0,31}$.")
    name: str
    active: bool = strawberry.field(description="False once deactivated: it takes no stock.")
    created_at: datetime

    @classmethod
    def from_domain(cls, location: models.Location) -> Location:
        return cls(
            id=strawberry.ID(str(location.id)),
            code=location.code,
            name=location.name,
            active=location.active,
            created_at=location.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Location | None:
        location = await info.context.loaders.location.load(id)
        return None if location is None else cls.from_domain(location)

    @classmethod
    async def resolve_references(
        cls, info: Info, keys: list[dict[str, strawberry.ID]]
    ) -> list[Location | None]:
        """Resolve a whole `_entities` batch at once, through the loader (one query)."""
        found = await load_all(info.context.loaders.location, [key["id"] for key in keys])
        return [None if location is None else cls.from_domain(location) for location in found]


@strawberry.type
class LocationPayload:
    location: Location | None
    user_errors: list[UserError]  # type: ignore[valid-type]
