"""Transfers: all of the quantity moves, or nothing; with one event, once per key."""

from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from app.application import locations, use_cases
from app.domain.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    LocationInactive,
    ProductNotActive,
)
from app.domain.models import DEFAULT_LOCATION_ID, ProductStatus, StockChangeReason
from app.domain.schemas import CreateLocation, DeactivateLocation, TransferStock
from tests.unit.fakes import FakeCatalog, FakeUnitOfWork, ten_at_default


@pytest.fixture
def uow(product: UUID, catalog: FakeCatalog) -> FakeUnitOfWork:
    """DEFAULT holds 10 of the product."""
    return ten_at_default(product, catalog)


@pytest.fixture
def store(uow: FakeUnitOfWork) -> UUID:
    return locations.create_location(CreateLocation(code="STORE", name="Store"), uow=uow).id


def transfer(product: UUID, to: UUID, quantity: int, key: str | None = None) -> TransferStock:
    return TransferStock(
        product_id=product,
        from_location_id=DEFAULT_LOCATION_ID,
        to_location_id=to,
        quantity=quantity,
        reference="move-1",
        idempotency_key=key,
    )


def test_a_transfer_moves_the_quantity_and_records_two_movements(product, catalog, uow, store):
    source, destination = use_cases.transfer_stock(
        transfer(product, store, 4), uow=uow, catalog=catalog
    )
    assert (source.on_hand, destination.on_hand) == (6, 4)
    assert (source.location_id, destination.location_id) == (DEFAULT_LOCATION_ID, store)
    moved = uow.committed["movements"][1:]
    assert [(m.location_id, m.delta, m.reason, m.reference) for m in moved] == [
        (DEFAULT_LOCATION_ID, -4, StockChangeReason.TRANSFER_OUT, "move-1"),
        (store, 4, StockChangeReason.TRANSFER_IN, "move-1"),
    ]


def test_a_transfer_raises_one_stock_transferred_and_no_stock_changed(product, catalog, uow, store):
    before = len(uow.events)
    use_cases.transfer_stock(transfer(product, store, 10), uow=uow, catalog=catalog)
    raised = uow.events[before:]
    assert [event.name for event in raised] == [
        "StockTransferred",
        "StockDepleted",  # DEFAULT is empty now,
        "LowStock",  # and at its reorder point of 0
        "StockReplenished",  # the store had none
    ]
    payload = raised[0].payload
    assert (payload["quantity"], payload["from"]["onHand"], payload["to"]["onHand"]) == (10, 0, 10)


def test_a_transfer_of_more_than_the_source_holds_moves_nothing(product, catalog, uow, store):
    with pytest.raises(InsufficientStock) as refused:
        use_cases.transfer_stock(transfer(product, store, 11), uow=uow, catalog=catalog)
    assert refused.value.field == ("quantity",)
    assert uow.level(product).on_hand == 10
    assert (product, store) not in uow.committed["levels"]


def test_a_transfer_to_the_same_location_is_invalid_input(product):
    with pytest.raises(ValidationError):
        transfer(product, DEFAULT_LOCATION_ID, 1)


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001])
def test_a_transfer_quantity_is_between_one_and_a_million(product, quantity):
    with pytest.raises(ValidationError):
        transfer(product, uuid4(), quantity)


def test_a_transfer_to_an_inactive_location_is_refused(product, catalog, uow, store):
    locations.deactivate_location(DeactivateLocation(location_id=store), uow=uow)
    with pytest.raises(LocationInactive) as refused:
        use_cases.transfer_stock(transfer(product, store, 1), uow=uow, catalog=catalog)
    assert refused.value.field == ("toLocationId",)
    assert uow.level(product).on_hand == 10


def test_an_archived_product_cannot_be_transferred_in(product, catalog, uow, store):
    catalog.add(product, ProductStatus.ARCHIVED)
    with pytest.raises(ProductNotActive):
        use_cases.transfer_stock(transfer(product, store, 1), uow=uow, catalog=catalog)


def test_a_replayed_transfer_returns_the_first_result_without_moving_again(
    product, catalog, uow, store
):
    first = use_cases.transfer_stock(transfer(product, store, 3, "t-1"), uow=uow, catalog=catalog)
    again = use_cases.transfer_stock(transfer(product, store, 3, "t-1"), uow=uow, catalog=catalog)
    assert again == first
    assert uow.level(product).on_hand == 7
    with pytest.raises(IdempotencyKeyReused):
        use_cases.transfer_stock(transfer(product, store, 4, "t-1"), uow=uow, catalog=catalog)
