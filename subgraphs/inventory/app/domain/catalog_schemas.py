"""The catalog's events as inventory applies them: one command per message of
`catalog.events`, validated before anything is written."""

from __future__ import annotations

import enum
from uuid import UUID

from pydantic import AwareDatetime
from subgraph_kit.core.commands import Command

from app.domain.models import ProductStatus


class CatalogEventType(enum.StrEnum):
    """The catalog's events inventory listens to (routing keys of `catalog.events`)."""

    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    PRODUCT_DELETED = "product.deleted"


class ApplyCatalogEvent(Command):
    """Apply one catalog event, once: `status` is the product's status after it (None for a
    deletion), `changed` the fields a `product.updated` changed."""

    event_id: UUID
    type: CatalogEventType
    occurred_at: AwareDatetime
    product_id: UUID
    status: ProductStatus | None = None
    changed: tuple[str, ...] = ()

    @property
    def changes_status(self) -> bool:
        return self.type is CatalogEventType.PRODUCT_UPDATED and "status" in self.changed
