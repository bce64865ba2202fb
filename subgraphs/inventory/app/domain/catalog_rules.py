"""What inventory keeps of the catalog's news about a product, and the one rule for a product
the catalog deleted, whether an event said so or a lookup before a write found it gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from app.domain.catalog_schemas import ApplyCatalogEvent, CatalogEventType
from app.domain.errors import ProductNotFound
from app.domain.models import ProductStatus


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """The last thing inventory heard of a product: its status (None if never told) and
    whether it was deleted, as of `as_of` (when the catalog made that change)."""

    product_id: UUID
    status: ProductStatus | None
    deleted: bool
    as_of: datetime


def product_gone(*, field: tuple[str, ...] = ("productId",)) -> ProductNotFound:
    """The refusal of a write to a product the catalog does not have (any more)."""
    return ProductNotFound("The products subgraph has no product with this id.", field=field)


def deleted_entry(product_id: UUID, *, as_of: datetime) -> CatalogEntry:
    """What is kept of a product the catalog deleted: retired for good."""
    return CatalogEntry(product_id, None, True, as_of)


def heard(known: CatalogEntry | None, event: ApplyCatalogEvent) -> CatalogEntry | None:
    """What inventory knows of the product once `event` is applied; None when the event
    changes nothing: a deletion is final, an older status never overwrites a newer one, and
    only deletions and status changes are kept."""
    if known is not None and known.deleted:
        return None
    if event.type is CatalogEventType.PRODUCT_DELETED:
        return deleted_entry(event.product_id, as_of=event.occurred_at)
    if not event.changes_status or event.status is None:
        return None
    if known is not None and known.as_of >= event.occurred_at:
        return None
    return CatalogEntry(event.product_id, event.status, False, event.occurred_at)


def holds_placed_too_late(entry: CatalogEntry) -> datetime | None:
    """From when holds of the product break the rule that only ACTIVE products are reserved:
    the moment it left ACTIVE (a reservation whose lookup raced the change), or None."""
    if entry.deleted or entry.status in (None, ProductStatus.ACTIVE):
        return None
    return entry.as_of
