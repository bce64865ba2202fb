"""Locations: opening and closing them, and what stock writes at them are refused."""

from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from app.application import locations, reads, use_cases
from app.domain.errors import (
    DuplicateLocationCode,
    LocationInactive,
    LocationNotEmpty,
    LocationNotFound,
)
from app.domain.models import DEFAULT_LOCATION_ID, LocationPage, StockChangeReason
from app.domain.schemas import (
    AdjustStock,
    CreateLocation,
    DeactivateLocation,
    SetReorderPoint,
    SetStock,
)
from tests.unit.fakes import FakeUnitOfWork


def create(code: str, uow: FakeUnitOfWork, name: str = "Store") -> UUID:
    return locations.create_location(CreateLocation(code=code, name=name), uow=uow).id


def receive(product: UUID, delta: int, location_id: UUID, *, uow, catalog) -> None:
    command = AdjustStock(
        product_id=product, delta=delta, reason=StockChangeReason.RECEIVED, location_id=location_id
    )
    use_cases.adjust_stock(command, uow=uow, catalog=catalog)


def test_a_location_code_is_trimmed_and_upper_cased():
    assert CreateLocation(code="  store-1 ", name=" Main street ").code == "STORE-1"


@pytest.mark.parametrize("code", ["", "-A", "_A", "A B", "Ä1", "A" * 33, "A.B"])
def test_a_location_code_outside_the_rule_is_refused(code):
    with pytest.raises(ValidationError):
        CreateLocation(code=code, name="Store")


def test_creating_a_location_records_it_active_with_its_event(uow):
    location_id = create("store-1", uow, name="  Main street ")
    (created,) = reads.find_locations([location_id], uow=uow)
    assert created is not None
    assert (created.code, created.name, created.active) == ("STORE-1", "Main street", True)
    assert uow.event_names == ["LocationCreated"]


def test_a_taken_code_is_refused_whatever_its_case(uow):
    create("STORE-1", uow)
    with pytest.raises(DuplicateLocationCode):
        create("store-1", uow)
    assert uow.event_names == ["LocationCreated"]


def test_an_empty_location_is_deactivated_once(uow):
    location_id = create("STORE-1", uow)
    closed = locations.deactivate_location(DeactivateLocation(location_id=location_id), uow=uow)
    again = locations.deactivate_location(DeactivateLocation(location_id=location_id), uow=uow)
    assert not closed.active
    assert again == closed
    assert uow.event_names == ["LocationCreated", "LocationDeactivated"]


def test_a_location_holding_stock_cannot_be_deactivated(product, catalog, uow):
    location_id = create("STORE-1", uow)
    receive(product, 2, location_id, uow=uow, catalog=catalog)
    with pytest.raises(LocationNotEmpty):
        locations.deactivate_location(DeactivateLocation(location_id=location_id), uow=uow)
    (found,) = reads.find_locations([location_id], uow=uow)
    assert found is not None
    assert found.active


def test_a_location_emptied_again_can_be_deactivated(product, catalog, uow):
    location_id = create("STORE-1", uow)
    receive(product, 2, location_id, uow=uow, catalog=catalog)
    count = SetStock(product_id=product, on_hand=0, location_id=location_id)
    use_cases.set_stock(count, uow=uow, catalog=catalog)
    closed = locations.deactivate_location(DeactivateLocation(location_id=location_id), uow=uow)
    assert not closed.active


def test_deactivating_an_unknown_location_is_location_not_found(uow):
    with pytest.raises(LocationNotFound):
        locations.deactivate_location(DeactivateLocation(location_id=uuid4()), uow=uow)


def test_stock_writes_at_an_unknown_location_are_refused_without_writing(product, catalog, uow):
    with pytest.raises(LocationNotFound):
        receive(product, 1, uuid4(), uow=uow, catalog=catalog)
    assert uow.committed["levels"] == {}


def write_at(write: str, product: UUID, location_id: UUID, *, uow, catalog) -> None:
    if write == "adjust":
        receive(product, 1, location_id, uow=uow, catalog=catalog)
    elif write == "set":
        count = SetStock(product_id=product, on_hand=3, location_id=location_id)
        use_cases.set_stock(count, uow=uow, catalog=catalog)
    else:
        point = SetReorderPoint(product_id=product, reorder_point=3, location_id=location_id)
        use_cases.set_reorder_point(point, uow=uow, catalog=catalog)


@pytest.mark.parametrize("write", ["adjust", "set", "reorder point"])
def test_stock_writes_at_an_inactive_location_are_refused(product, catalog, uow, write):
    location_id = create("STORE-1", uow)
    locations.deactivate_location(DeactivateLocation(location_id=location_id), uow=uow)
    with pytest.raises(LocationInactive):
        write_at(write, product, location_id, uow=uow, catalog=catalog)
    assert uow.committed["levels"] == {}


def test_levels_are_kept_per_location(product, catalog, uow):
    store = create("STORE-1", uow)
    receive(product, 2, DEFAULT_LOCATION_ID, uow=uow, catalog=catalog)
    receive(product, 5, store, uow=uow, catalog=catalog)
    assert uow.level(product).on_hand == 2
    assert uow.level(product, store).on_hand == 5


def test_a_product_s_inventory_totals_its_active_locations_only(product, catalog, uow):
    store, closed = create("STORE-1", uow), create("CLOSED", uow)
    receive(product, 2, DEFAULT_LOCATION_ID, uow=uow, catalog=catalog)
    receive(product, 5, store, uow=uow, catalog=catalog)
    use_cases.set_reorder_point(
        SetReorderPoint(product_id=product, reorder_point=1, location_id=closed),
        uow=uow,
        catalog=catalog,
    )
    locations.deactivate_location(DeactivateLocation(location_id=closed), uow=uow)
    (stock,) = reads.get_product_stock([product], uow=uow)
    assert (stock.on_hand, stock.available, stock.in_stock) == (7, 7, True)
    assert {level.location_id for level in stock.levels} == {DEFAULT_LOCATION_ID, store}
    assert stock.default.on_hand == 2


def test_a_product_is_low_when_its_total_is_at_or_below_the_sum_of_reorder_points(
    product, catalog, uow
):
    store = create("STORE-1", uow)
    receive(product, 4, DEFAULT_LOCATION_ID, uow=uow, catalog=catalog)
    for location_id, point in ((DEFAULT_LOCATION_ID, 5), (store, 1)):
        command = SetReorderPoint(product_id=product, reorder_point=point, location_id=location_id)
        use_cases.set_reorder_point(command, uow=uow, catalog=catalog)
    (stock,) = reads.get_product_stock([product], uow=uow)
    assert stock.low_stock  # 4 <= 5 + 1
    receive(product, 3, store, uow=uow, catalog=catalog)
    (stock,) = reads.get_product_stock([product], uow=uow)
    assert not stock.low_stock  # 7 > 6


def test_a_product_stocked_nowhere_has_zero_inventory_and_is_not_low(uow):
    (stock,) = reads.get_product_stock([uuid4()], uow=uow)
    assert (stock.on_hand, stock.low_stock, stock.levels, stock.default.tracked) == (
        0,
        False,
        (),
        False,
    )


def test_locations_are_listed_by_code_and_inactive_ones_only_when_asked(uow):
    for code in ("B", "A", "C"):
        create(code, uow)
    (closed,) = reads.find_locations_by_code(["b"], uow=uow)
    assert closed is not None
    locations.deactivate_location(DeactivateLocation(location_id=closed.id), uow=uow)
    active, more = reads.list_locations(LocationPage(first=2), uow=uow)
    assert ([found.code for found in active], more) == (["A", "C"], True)
    everything, _ = reads.list_locations(LocationPage(first=10, include_inactive=True), uow=uow)
    assert [found.code for found in everything] == ["A", "B", "C", "DEFAULT"]
    assert reads.count_locations(False, uow=uow) == 3
