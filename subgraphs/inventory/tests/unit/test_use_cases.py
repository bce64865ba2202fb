from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from app.application import reads, use_cases
from app.application.event_publisher import PUBLISHED_EVENTS
from app.domain.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    ProductNotFound,
    ProductsUnavailable,
    VersionConflict,
)
from app.domain.models import ProductStatus, StockChangeReason, StockLevel
from app.domain.schemas import AdjustStock, SetReorderPoint, SetStock
from tests.unit.fakes import FakeCatalog, FakeStockRepository, FakeUnitOfWork


def adjust(product_id: UUID, delta: int, key: str | None = None) -> AdjustStock:
    """Receive `delta` (sell it, when negative)."""
    reason = StockChangeReason.RECEIVED if delta > 0 else StockChangeReason.SOLD
    return AdjustStock(product_id=product_id, delta=delta, reason=reason, idempotency_key=key)


def test_first_adjustment_starts_tracking_the_product(product, catalog, uow):
    level = use_cases.adjust_stock(adjust(product, 5), uow=uow, catalog=catalog)
    assert (level.on_hand, level.version, level.tracked) == (5, 1, True)
    assert uow.movement_deltas == [5]


def test_adjustment_below_zero_is_refused_and_nothing_is_written(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 3), uow=uow, catalog=catalog)
    with pytest.raises(InsufficientStock):
        use_cases.adjust_stock(adjust(product, -4), uow=uow, catalog=catalog)
    assert uow.level(product).on_hand == 3
    assert uow.movement_deltas == [3]


def test_unknown_product_is_refused_without_writing(catalog, uow):
    with pytest.raises(ProductNotFound):
        use_cases.adjust_stock(adjust(uuid4(), 1), uow=uow, catalog=catalog)
    assert uow.commits == 0


def test_catalog_failure_is_refused_without_writing(product, uow):
    with pytest.raises(ProductsUnavailable):
        use_cases.adjust_stock(adjust(product, 1), uow=uow, catalog=FakeCatalog(product, down=True))
    assert uow.commits == 0


@pytest.mark.parametrize("delta", [0, 1_000_001, -1_000_001])
def test_delta_must_be_nonzero_and_at_most_a_million(product, delta):
    with pytest.raises(ValidationError):
        adjust(product, delta)


def test_replay_with_the_same_key_returns_the_first_result_without_a_second_change(
    product, catalog, uow
):
    first = use_cases.adjust_stock(adjust(product, 2, key="k1"), uow=uow, catalog=catalog)
    calls = catalog.calls
    again = use_cases.adjust_stock(adjust(product, 2, key="k1"), uow=uow, catalog=catalog)
    assert again == first
    assert uow.movement_deltas == [2]
    assert catalog.calls == calls


def test_reusing_a_key_for_a_different_request_is_refused(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 2, key="k1"), uow=uow, catalog=catalog)
    with pytest.raises(IdempotencyKeyReused):
        use_cases.adjust_stock(adjust(product, 3, key="k1"), uow=uow, catalog=catalog)
    assert uow.movement_deltas == [2]


def test_the_catalog_is_asked_with_no_transaction_open(product, catalog, uow):
    catalog.watching = uow
    use_cases.adjust_stock(adjust(product, 2, key="k1"), uow=uow, catalog=catalog)
    use_cases.set_stock(SetStock(product_id=product, on_hand=1), uow=uow, catalog=catalog)
    use_cases.set_reorder_point(
        SetReorderPoint(product_id=product, reorder_point=1), uow=uow, catalog=catalog
    )
    assert catalog.asked_in_transaction == [False, False, False]


def test_the_catalog_check_returns_the_product_with_its_status(product):
    catalog = FakeCatalog()
    catalog.add(product, ProductStatus.ARCHIVED)
    found = use_cases.require_product(product, uow=FakeUnitOfWork(), catalog=catalog)
    assert (found.id, found.status) == (product, ProductStatus.ARCHIVED)


def test_set_stock_records_the_difference_as_a_movement(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 10), uow=uow, catalog=catalog)
    level = use_cases.set_stock(SetStock(product_id=product, on_hand=4), uow=uow, catalog=catalog)
    assert level.on_hand == 4
    assert uow.movement_deltas == [10, -6]


def test_set_stock_with_a_stale_version_is_a_conflict(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 10), uow=uow, catalog=catalog)
    with pytest.raises(VersionConflict):
        use_cases.set_stock(
            SetStock(product_id=product, on_hand=4, expected_version=0), uow=uow, catalog=catalog
        )
    assert uow.movement_deltas == [10]


def test_a_level_that_moves_on_after_it_was_locked_is_a_conflict_not_a_retry(
    product, catalog, uow, monkeypatch
):
    use_cases.adjust_stock(adjust(product, 10), uow=uow, catalog=catalog)
    attempts = []

    def moved_on(self, locked, on_hand, *, now):  # the guarded update finds another version
        attempts.append(on_hand)

    monkeypatch.setattr(FakeStockRepository, "set_on_hand", moved_on)
    with pytest.raises(VersionConflict):
        use_cases.set_stock(SetStock(product_id=product, on_hand=4), uow=uow, catalog=catalog)
    assert attempts == [4]
    assert uow.movement_deltas == [10]


def test_set_stock_to_the_same_value_changes_nothing(product, catalog, uow):
    before = use_cases.adjust_stock(adjust(product, 10), uow=uow, catalog=catalog)
    after = use_cases.set_stock(SetStock(product_id=product, on_hand=10), uow=uow, catalog=catalog)
    assert after.version == before.version
    assert uow.movement_deltas == [10]


def test_set_stock_to_zero_on_a_product_never_stocked_changes_nothing(product, catalog, uow):
    level = use_cases.set_stock(SetStock(product_id=product, on_hand=0), uow=uow, catalog=catalog)
    assert level == StockLevel.untracked(product)
    assert uow.committed["levels"] == {}
    assert uow.event_names == []


def set_reorder_point(product: UUID, point: int, *, uow, catalog) -> StockLevel:
    command = SetReorderPoint(product_id=product, reorder_point=point)
    return use_cases.set_reorder_point(command, uow=uow, catalog=catalog)


def test_set_reorder_point_to_the_one_it_has_changes_nothing(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 3), uow=uow, catalog=catalog)
    before = set_reorder_point(product, 5, uow=uow, catalog=catalog)
    events = list(uow.event_names)
    after = set_reorder_point(product, 5, uow=uow, catalog=catalog)
    assert after == before
    assert uow.level(product).version == before.version == 2
    assert uow.event_names == events


def test_set_reorder_point_to_zero_on_a_product_never_stocked_changes_nothing(
    product, catalog, uow
):
    level = set_reorder_point(product, 0, uow=uow, catalog=catalog)
    assert level == StockLevel.untracked(product)
    assert uow.committed["levels"] == {}
    assert uow.event_names == []


def test_events_follow_the_level_across_its_thresholds(product, catalog, uow):
    use_cases.set_reorder_point(
        SetReorderPoint(product_id=product, reorder_point=5), uow=uow, catalog=catalog
    )
    use_cases.adjust_stock(adjust(product, 10), uow=uow, catalog=catalog)
    use_cases.adjust_stock(adjust(product, -6), uow=uow, catalog=catalog)
    use_cases.adjust_stock(adjust(product, -4), uow=uow, catalog=catalog)
    assert uow.event_names == [
        "LowStock",  # tracking starts at 0, at or below the reorder point of 5
        "StockChanged",
        "StockReplenished",
        "StockChanged",
        "LowStock",
        "StockChanged",
        "StockDepleted",
    ]
    assert {type(event) for event in uow.events} <= set(PUBLISHED_EVENTS)


def test_stock_changed_reports_the_level_before_the_change(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 10), uow=uow, catalog=catalog)
    use_cases.set_stock(SetStock(product_id=product, on_hand=4), uow=uow, catalog=catalog)
    changed = [event.payload for event in uow.events if event.name == "StockChanged"]
    assert [(p["onHandBefore"], p["delta"], p["onHand"]) for p in changed] == [
        (0, 10, 10),
        (10, -6, 4),
    ]


def test_get_stock_levels_reports_untracked_zeros_in_the_order_asked(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 1), uow=uow, catalog=catalog)
    other = uuid4()
    levels = reads.get_stock_levels([other, product], uow=uow)
    assert [(lv.product_id, lv.on_hand, lv.tracked) for lv in levels] == [
        (other, 0, False),
        (product, 1, True),
    ]


def test_a_product_never_stocked_has_no_level_of_its_own(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 1), uow=uow, catalog=catalog)
    other = uuid4()
    found = reads.find_stock_levels([other, product], uow=uow)
    assert found[0] is None
    assert found[1] == uow.level(product)


def test_a_product_is_in_stock_while_any_is_available(product):
    level = StockLevel(product, on_hand=1, reorder_point=0, version=1, updated_at=None)
    assert level.in_stock
    assert not StockLevel.untracked(product).in_stock


def test_expired_idempotency_keys_are_purged(product, catalog, uow):
    use_cases.adjust_stock(adjust(product, 1, key="old"), uow=uow, catalog=catalog)
    uow.clock += timedelta(hours=25)
    assert use_cases.purge_idempotency_keys(timedelta(hours=24), uow=uow) == 1
