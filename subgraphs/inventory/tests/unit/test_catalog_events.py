"""The catalog's events against the fakes: a deletion releases the product's holds and retires
its levels, once; a status change is kept, newest first, and frees the holds placed after the
product left ACTIVE; a lookup that finds a product gone retires it the same way."""

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from app.application import reads, reservations, use_cases
from app.application.catalog_events import Applied, apply_catalog_event, purge_inbox
from app.domain.catalog_schemas import ApplyCatalogEvent, CatalogEventType
from app.domain.errors import ProductNotFound
from app.domain.models import ProductStatus, ReservationStatus, StockChangeReason, StockLevelFilter
from app.domain.reservation_schemas import ReserveLine, ReserveStock
from app.domain.schemas import AdjustStock
from tests.unit.fakes import FakeCatalog, FakeUnitOfWork, ten_at_default


@pytest.fixture
def uow(product: UUID, catalog: FakeCatalog) -> FakeUnitOfWork:
    """DEFAULT holds 10 of the product, 3 of them reserved for cart-1."""
    uow = ten_at_default(product, catalog)
    lines = (ReserveLine(product_id=product, quantity=3),)
    reservations.reserve_stock(
        ReserveStock(reference="cart-1", lines=lines), uow=uow, catalog=catalog
    )
    return uow


def deleted(product: UUID, **more) -> ApplyCatalogEvent:
    return ApplyCatalogEvent(
        event_id=more.pop("event_id", uuid4()),
        type=CatalogEventType.PRODUCT_DELETED,
        occurred_at=more.pop("occurred_at", datetime.now().astimezone()),
        product_id=product,
    )


def archived(product: UUID, at: datetime, status=ProductStatus.ARCHIVED) -> ApplyCatalogEvent:
    return ApplyCatalogEvent(
        event_id=uuid4(),
        type=CatalogEventType.PRODUCT_UPDATED,
        occurred_at=at,
        product_id=product,
        status=status,
        changed=("status",),
    )


def statuses(uow: FakeUnitOfWork) -> list[ReservationStatus]:
    return [hold.status for hold in uow.committed["holds"].values()]


def listed(uow: FakeUnitOfWork) -> int:
    return reads.count_stock_levels(StockLevelFilter(), uow=uow)


def test_a_deletion_releases_the_product_s_holds_and_retires_its_levels(uow, product):
    assert apply_catalog_event(deleted(product), uow=uow) is Applied.APPLIED
    assert statuses(uow) == [ReservationStatus.RELEASED]
    assert uow.event_names[-1] == "ReservationReleased"
    assert listed(uow) == 0
    assert reads.find_stock_levels([product], uow=uow) == [None]
    assert reads.get_product_stock([product], uow=uow)[0].levels == ()


def test_the_same_event_twice_is_applied_once(uow, product):
    event = deleted(product)
    apply_catalog_event(event, uow=uow)
    events, commits = len(uow.events), uow.commits
    assert apply_catalog_event(event, uow=uow) is Applied.DUPLICATE
    assert (len(uow.events), uow.commits) == (events, commits)


def test_a_status_change_after_a_deletion_changes_nothing(uow, product):
    apply_catalog_event(deleted(product), uow=uow)
    later = archived(product, datetime.now().astimezone(), status=ProductStatus.ACTIVE)
    assert apply_catalog_event(later, uow=uow) is Applied.IGNORED
    assert uow.committed["entries"][product].deleted


def test_an_archived_product_keeps_the_holds_placed_before_and_loses_the_later_ones(
    uow, product, catalog
):
    (earlier,) = uow.committed["holds"].values()
    lines = (ReserveLine(product_id=product, quantity=2),)
    reservations.reserve_stock(
        ReserveStock(reference="cart-2", lines=lines), uow=uow, catalog=catalog
    )
    archived_at = earlier.created_at + timedelta(microseconds=1)  # after cart-1, before cart-2
    assert apply_catalog_event(archived(product, archived_at), uow=uow) is Applied.APPLIED
    by_reference = {hold.reference: hold.status for hold in uow.committed["holds"].values()}
    assert by_reference == {
        "cart-1": ReservationStatus.ACTIVE,
        "cart-2": ReservationStatus.RELEASED,
    }
    assert uow.committed["entries"][product].status is ProductStatus.ARCHIVED
    assert listed(uow) == 1  # an archived product keeps its levels


def test_an_older_status_never_overwrites_a_newer_one(uow, product):
    now = datetime.now().astimezone()
    apply_catalog_event(archived(product, now, status=ProductStatus.ACTIVE), uow=uow)
    stale = archived(product, now - timedelta(seconds=1))
    assert apply_catalog_event(stale, uow=uow) is Applied.IGNORED
    assert uow.committed["entries"][product].status is ProductStatus.ACTIVE
    assert statuses(uow) == [ReservationStatus.ACTIVE]


def test_a_write_that_finds_the_product_gone_retires_it_and_is_refused(uow, product, catalog):
    del catalog.products[product]
    more = AdjustStock(product_id=product, delta=1, reason=StockChangeReason.RECEIVED)
    with pytest.raises(ProductNotFound):
        use_cases.adjust_stock(more, uow=uow, catalog=catalog)
    assert statuses(uow) == [ReservationStatus.RELEASED]
    assert listed(uow) == 0
    assert uow.committed["entries"][product].deleted


def test_a_reservation_that_finds_a_product_gone_retires_it(uow, product, catalog):
    del catalog.products[product]
    lines = (ReserveLine(product_id=product, quantity=1),)
    with pytest.raises(ProductNotFound):
        reservations.reserve_stock(
            ReserveStock(reference="c", lines=lines), uow=uow, catalog=catalog
        )
    assert statuses(uow) == [ReservationStatus.RELEASED]
    assert listed(uow) == 0


def test_the_inbox_forgets_old_messages_and_their_replay_changes_nothing(uow, product):
    event = deleted(product)
    apply_catalog_event(event, uow=uow)
    assert purge_inbox(timedelta(hours=24), uow=uow) == 0
    uow.clock += timedelta(hours=25)
    assert purge_inbox(timedelta(hours=24), uow=uow) == 1
    events = len(uow.events)
    assert apply_catalog_event(event, uow=uow) is Applied.IGNORED
    assert len(uow.events) == events
