"""Reservation writes: reserve, commit, release, and the sweep of expired holds. Same shape as
the stock writes, `use_case(command, *, uow[, catalog])`.

Every write that can raise what is reserved, or lower on hand against it, locks the levels
first (`stock.lock_products`, or the level lock of a guarded removal) and reads the holds
after: so of N concurrent reservations each sees what the ones before it held, and none
reserves more than is on hand.

Every write takes its locks in one order, so no two of them wait for each other: its
idempotency key, what inventory heard of a product (`catalog_entries`), locations, levels (in
product, location order), then holds. So a product's holds change only under its levels'
locks (but for the sweeper's, which are past their expiry, that no other write touches). A
commit or a release, which start from a reference rather than from products, read which
products the reference holds and lock their levels before they touch a hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from app.application.catalog_events import retire_products
from app.application.use_cases import stored_result
from app.domain import reservation_rules as rules
from app.domain import use_cases as stock_rules
from app.domain.errors import InsufficientStock
from app.domain.models import Reservation, ReservationStatus, StockChangeReason
from app.domain.repositories import ProductCatalog, UnitOfWork
from app.domain.reservation_schemas import (
    CommitReservations,
    ReleaseReservations,
    ReserveStock,
)

SWEEP_BATCH = 500


def reserve_stock(
    command: ReserveStock, *, uow: UnitOfWork, catalog: ProductCatalog
) -> list[Reservation]:
    """Hold every line for the reference, all or nothing, replacing the holds it has of these
    products; the catalog is asked once for all lines."""
    if command.idempotency_key:
        with uow:
            if (replayed := _replayed(command, uow)) is not None:
                return replayed
    product_ids = sorted({line.product_id for line in command.lines})
    # Asked with no transaction open, once for every line.
    found = catalog.get_many(product_ids)
    if missing := [product_id for product_id in product_ids if product_id not in found]:
        retire_products(missing, uow=uow)
    rules.check_reservable(command, found)
    with uow:
        key, now = command.idempotency_key, uow.now()
        if key and not uow.idempotency.claim(key, fingerprint=command.fingerprint(), now=now):
            replayed = _replayed(command, uow)
            assert replayed is not None
            return replayed
        named = sorted({line.location_id for line in command.lines if line.location_id})
        unplaced = any(line.location_id is None for line in command.lines)
        held = uow.locations.hold_many(named, all_active=unplaced)
        rules.check_locations(command, {location.id: location for location in held})
        uow.stock.lock_products(product_ids)
        levels = uow.stock.of_products(product_ids)
        own = uow.reservations.counting(command.reference, product_ids, now=now)
        holds = rules.new_holds(rules.plan_holds(command, levels, own), command, now=now)
        replaced = (
            uow.reservations.finish(ReservationStatus.RELEASED, ids=[hold.id for hold in own])
            if own
            else []
        )
        uow.reservations.add(holds)
        uow.outbox.add([*rules.released(replaced, now=now), *rules.created(holds, now=now)])
        if key:
            uow.idempotency.complete_reservation(key, [hold.id for hold in holds])
        uow.commit()
    return holds


def commit_reservations(command: CommitReservations, *, uow: UnitOfWork) -> list[Reservation]:
    """Sell every ACTIVE hold of the reference (a SOLD movement each; on hand and reserved
    fall together), or nothing when one has expired. Committing again answers the holds the
    first commit sold."""
    with uow:
        now = uow.now()
        # The levels first, as every write that moves stock locks them (see the top); the
        # holds are read after, so none ends or appears unseen while it sells them.
        products, found = _lock_held_levels(command.reference, uow=uow)
        active = (hold for hold in found if hold.status is ReservationStatus.ACTIVE)
        taking = [hold for hold in active if hold.product_id in products]
        earlier = [hold for hold in found if hold.status is not ReservationStatus.ACTIVE]
        rules.check_committable(taking, earlier, now=now)
        holds = uow.reservations.finish(
            ReservationStatus.COMMITTED, ids=[hold.id for hold in taking], unexpired_at=now
        )
        if len(holds) < len(taking):  # one ended meanwhile: released, or swept as it expired
            sold = {hold.id for hold in holds}
            ended = uow.reservations.get_many([h.id for h in taking if h.id not in sold])
            rules.check_committable(holds, [*earlier, *ended], now=now)
        if not holds:
            return [hold for hold in earlier if hold.status is ReservationStatus.COMMITTED]
        for hold in holds:  # in (product, location) order, as reservations lock levels
            _sell(hold, uow=uow, now=now)
        uow.outbox.add(rules.committed(holds, now=now))
        uow.commit()
    return holds


def release_reservations(command: ReleaseReservations, *, uow: UnitOfWork) -> list[Reservation]:
    """Free the reference's ACTIVE holds (of `product_ids`, when given); freeing what is
    already free changes nothing."""
    with uow:
        now = uow.now()
        products, _ = _lock_held_levels(command.reference, uow=uow, of=command.product_ids)
        freed = uow.reservations.finish(
            ReservationStatus.RELEASED,
            reference=command.reference,
            product_ids=sorted(products),
            unexpired_at=now,
        )
        uow.outbox.add(rules.released(freed, now=now))
        uow.commit()
    return freed


def sweep_expired_reservations(*, uow: UnitOfWork, batch: int = SWEEP_BATCH) -> int:
    """Mark ACTIVE holds past their expiry EXPIRED (each once) with a ReservationExpired each;
    return how many. (They stopped counting at their expiry already.)"""
    swept = 0
    while True:
        with uow:
            now = uow.now()
            expired = uow.reservations.finish(
                ReservationStatus.EXPIRED, expiring_before=now, limit=batch
            )
            uow.outbox.add(rules.expired(expired, now=now))
            uow.commit()
        swept += len(expired)
        if len(expired) < batch:
            return swept


def count_active_reservations(*, uow: UnitOfWork) -> int:
    """Return how many holds are ACTIVE and unexpired now."""
    with uow:
        return uow.reservations.count_active(now=uow.now())


def list_reservations(
    reference: str, statuses: Sequence[ReservationStatus] | None, *, uow: UnitOfWork
) -> list[Reservation]:
    """Return the reference's holds oldest first, each with its status as of now (an ACTIVE
    hold past its expiry is EXPIRED), of `statuses` if given."""
    with uow:
        now = uow.now()
        found = uow.reservations.of_reference(reference)
    current = [replace(hold, status=hold.status_at(now)) for hold in found]
    return [hold for hold in current if statuses is None or hold.status in statuses]


def _lock_held_levels(
    reference: str, *, uow: UnitOfWork, of: Sequence[UUID] | None = None
) -> tuple[set[UUID], list[Reservation]]:
    """Lock the levels of every product (of `of`, if given) the reference holds ACTIVE; return
    those products and the reference's holds as read after the last lock. A reservation of
    the reference committed meanwhile may add a product: read again until none is new."""
    locked: set[UUID] = set()
    while True:
        found = uow.reservations.of_reference(reference)
        held = {
            hold.product_id
            for hold in found
            if hold.status is ReservationStatus.ACTIVE and (of is None or hold.product_id in of)
        }
        if not (new := held - locked):
            return locked, found
        uow.stock.lock_products(sorted(new))
        locked |= new


def _sell(hold: Reservation, *, uow: UnitOfWork, now: datetime) -> None:
    change = uow.stock.add_to_on_hand(
        hold.product_id, hold.location_id, -hold.quantity, now=now, keep_reserved=False
    )
    if change is None:  # a count put on hand below the holds (StockShortfall): first come
        raise InsufficientStock(
            "On hand was counted below what this reference holds; nothing was committed.",
            field=("reference",),
        )
    sold = stock_rules.record_movement(change, StockChangeReason.SOLD, hold.reference, now=now)
    assert sold.movement is not None
    uow.movements.add(sold.movement)
    uow.outbox.add(stock_rules.stock_events(sold, now=now))


def _replayed(command: ReserveStock, uow: UnitOfWork) -> list[Reservation] | None:
    assert command.idempotency_key is not None
    stored = stored_result(command.idempotency_key, command.fingerprint(), uow)
    return None if stored is None else uow.reservations.get_many(stored.reservation_ids)
