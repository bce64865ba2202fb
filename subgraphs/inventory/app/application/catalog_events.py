"""The catalog's news applied to stock: a deleted product's holds released and its levels
retired, a product that left ACTIVE losing the holds placed after it did. Same shape as the
other writes, `use_case(command, *, uow)`.

Both ways inventory learns of a deletion end here: the `product.deleted` event
(`apply_catalog_event`), and a lookup before a write that finds the product gone
(`retire_products`, without a broker).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from app.domain import catalog_rules
from app.domain import reservation_rules as holds
from app.domain.catalog_schemas import ApplyCatalogEvent
from app.domain.models import ReservationStatus
from app.domain.repositories import UnitOfWork


class Applied(enum.StrEnum):
    """What became of one message."""

    APPLIED = "applied"  # its effect is committed
    DUPLICATE = "duplicate"  # applied before: nothing changed
    IGNORED = "ignored"  # nothing to do (a creation, a change of other fields, stale news)


def apply_catalog_event(command: ApplyCatalogEvent, *, uow: UnitOfWork) -> Applied:
    """Apply one catalog event once: its id is claimed in the inbox in the transaction of
    its effect, so a second delivery changes nothing."""
    with uow:
        now = uow.now()
        if not uow.inbox.claim(command.event_id, name=command.type.value, now=now):
            return Applied.DUPLICATE
        entry = catalog_rules.heard(uow.catalog_entries.get(command.product_id), command)
        if entry is not None:
            uow.catalog_entries.save(entry)
            if entry.deleted:
                _retire([command.product_id], uow=uow, now=now)
            elif (since := catalog_rules.holds_placed_too_late(entry)) is not None:
                _release([command.product_id], uow=uow, now=now, created_since=since)
        uow.commit()
    return Applied.IGNORED if entry is None else Applied.APPLIED


def purge_inbox(keep: timedelta, *, uow: UnitOfWork) -> int:
    """Forget the ids of messages received more than `keep` ago. A message older than that
    delivered again is harmless: a deletion and an older status change nothing once applied
    (`catalog_rules.heard`)."""
    with uow:
        purged = uow.inbox.purge(older_than=uow.now() - keep)
        uow.commit()
    return purged


def retire_products(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> int:
    """Retire products a lookup found the catalog no longer has, as their deletion event
    would; return how many levels that retired (0 for ids inventory never stocked)."""
    with uow:
        now = uow.now()
        # The entries first, as the consumer writes them before the levels (the lock order
        # of every write: see `reservations`).
        for product_id in sorted(product_ids):
            uow.catalog_entries.save(catalog_rules.deleted_entry(product_id, as_of=now))
        retired = _retire(product_ids, uow=uow, now=now)
        if retired:  # else nothing to keep (rolled back): an id never stocked, or retired
            uow.commit()
    return retired


def _retire(product_ids: Sequence[UUID], *, uow: UnitOfWork, now: datetime) -> int:
    # Locked first, as reservations lock them: a reservation in flight ends before, or
    # finds the levels retired and nothing to hold.
    _release(product_ids, uow=uow, now=now)
    return uow.stock.retire(product_ids, now=now)


def _release(
    product_ids: Sequence[UUID],
    *,
    uow: UnitOfWork,
    now: datetime,
    created_since: datetime | None = None,
) -> None:
    ordered = sorted(product_ids)
    uow.stock.lock_products(ordered)
    freed = uow.reservations.finish(
        ReservationStatus.RELEASED,
        product_ids=ordered,
        unexpired_at=now,
        created_since=created_since,
    )
    uow.outbox.add(holds.released(freed, now=now))
