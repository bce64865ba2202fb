"""Reservations against the fakes: where lines are held, replacement, commit and its refusals,
release, the sweep, and the events each raises."""

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from app.application import locations, reservations, use_cases
from app.domain.errors import InsufficientStock, ReservationExpired
from app.domain.models import DEFAULT_LOCATION_ID, ReservationStatus, StockChangeReason
from app.domain.reservation_schemas import (
    CommitReservations,
    ReleaseReservations,
    ReserveLine,
    ReserveStock,
)
from app.domain.schemas import AdjustStock, CreateLocation, SetStock
from tests.unit.fakes import FakeCatalog, FakeUnitOfWork, ten_at_default


@pytest.fixture
def uow(product: UUID, catalog: FakeCatalog) -> FakeUnitOfWork:
    """DEFAULT holds 10 of the product."""
    return ten_at_default(product, catalog)


def reserve(product: UUID, *quantities: int, reference: str = "cart-1", **more) -> ReserveStock:
    lines = [ReserveLine(product_id=product, quantity=quantity) for quantity in quantities]
    return ReserveStock(reference=reference, lines=tuple(lines), **more)


def test_a_hold_lowers_available_and_raises_reservation_created(uow, catalog, product):
    (hold,) = reservations.reserve_stock(reserve(product, 4), uow=uow, catalog=catalog)
    assert (hold.quantity, hold.location_id, hold.status) == (
        4,
        DEFAULT_LOCATION_ID,
        ReservationStatus.ACTIVE,
    )
    assert (uow.level(product).reserved, uow.level(product).available) == (4, 6)
    assert uow.event_names[-1] == "ReservationCreated"


def test_a_line_without_location_is_split_most_available_first(uow, catalog, product):
    store = locations.create_location(CreateLocation(code="STORE", name="S"), uow=uow).id
    more = AdjustStock(
        product_id=product, delta=12, reason=StockChangeReason.RECEIVED, location_id=store
    )
    use_cases.adjust_stock(more, uow=uow, catalog=catalog)
    held = reservations.reserve_stock(reserve(product, 15), uow=uow, catalog=catalog)
    assert {hold.location_id: hold.quantity for hold in held} == {store: 12, DEFAULT_LOCATION_ID: 3}


def test_summed_lines_beyond_what_is_available_hold_nothing(uow, catalog, product):
    with pytest.raises(InsufficientStock) as refused:
        reservations.reserve_stock(reserve(product, 6, 5), uow=uow, catalog=catalog)
    assert refused.value.field == ("lines", "1", "quantity")
    assert uow.committed["holds"] == {}


def test_reserving_again_replaces_the_reference_s_hold(uow, catalog, product):
    reservations.reserve_stock(reserve(product, 8), uow=uow, catalog=catalog)
    reservations.reserve_stock(reserve(product, 9), uow=uow, catalog=catalog)
    assert uow.level(product).reserved == 9
    assert uow.event_names[-2:] == ["ReservationReleased", "ReservationCreated"]


def test_the_catalog_is_asked_once_outside_the_transaction(uow, catalog, product):
    others = [catalog.add(uuid4()) for _ in range(3)]
    for other in others:
        received = AdjustStock(product_id=other, delta=1, reason=StockChangeReason.RECEIVED)
        use_cases.adjust_stock(received, uow=uow, catalog=catalog)
    catalog.calls, catalog.watching = 0, uow
    lines = [ReserveLine(product_id=p, quantity=1) for p in [product, *others]]
    reservations.reserve_stock(
        ReserveStock(reference="cart-1", lines=tuple(lines)), uow=uow, catalog=catalog
    )
    assert (catalog.calls, catalog.asked_in_transaction) == (1, [False])


def test_committing_sells_each_hold_as_a_sold_movement(uow, catalog, product):
    reservations.reserve_stock(reserve(product, 4), uow=uow, catalog=catalog)
    (sold,) = reservations.commit_reservations(CommitReservations(reference="cart-1"), uow=uow)
    assert sold.status is ReservationStatus.COMMITTED
    level = uow.level(product)
    assert (level.on_hand, level.reserved) == (6, 0)
    assert uow.committed["movements"][-1].reason is StockChangeReason.SOLD


def test_an_expired_hold_stops_counting_and_cannot_be_committed(uow, catalog, product):
    reservations.reserve_stock(reserve(product, 4, expires_in_seconds=60), uow=uow, catalog=catalog)
    uow.clock += timedelta(seconds=61)
    assert uow.level(product).reserved == 0
    with pytest.raises(ReservationExpired):
        reservations.commit_reservations(CommitReservations(reference="cart-1"), uow=uow)
    assert uow.level(product).on_hand == 10


def test_the_sweep_expires_a_hold_once(uow, catalog, product):
    reservations.reserve_stock(reserve(product, 4, expires_in_seconds=60), uow=uow, catalog=catalog)
    uow.clock += timedelta(seconds=61)
    assert reservations.sweep_expired_reservations(uow=uow) == 1
    assert reservations.sweep_expired_reservations(uow=uow) == 0
    assert uow.event_names.count("ReservationExpired") == 1
    with pytest.raises(ReservationExpired):
        reservations.commit_reservations(CommitReservations(reference="cart-1"), uow=uow)


def test_releasing_twice_is_no_error(uow, catalog, product):
    reservations.reserve_stock(reserve(product, 4), uow=uow, catalog=catalog)
    release = ReleaseReservations(reference="cart-1")
    assert len(reservations.release_reservations(release, uow=uow)) == 1
    assert reservations.release_reservations(release, uow=uow) == []
    assert uow.level(product).reserved == 0


def test_a_count_below_what_is_reserved_is_kept_with_a_shortfall(uow, catalog, product):
    reservations.reserve_stock(reserve(product, 8), uow=uow, catalog=catalog)
    level = use_cases.set_stock(SetStock(product_id=product, on_hand=5), uow=uow, catalog=catalog)
    assert (level.on_hand, level.reserved, level.available) == (5, 8, 0)
    assert "StockShortfall" in uow.event_names
