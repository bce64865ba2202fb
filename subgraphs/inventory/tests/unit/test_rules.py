"""The stock rules of the domain, on their own."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError
from subgraph_kit.core.errors import InvalidInput

from app.domain import use_cases as rules
from app.domain.errors import (
    InsufficientStock,
    ProductNotActive,
    ProductNotFound,
    VersionConflict,
)
from app.domain.models import (
    MAX_ON_HAND,
    CatalogProduct,
    ProductStatus,
    StockChange,
    StockChangeReason,
    StockLevel,
)
from app.domain.schemas import AdjustStock, SetStock

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PRODUCT = uuid4()


def level(on_hand: int, *, reorder_point: int = 0, version: int = 1) -> StockLevel:
    return StockLevel(PRODUCT, on_hand, reorder_point, version, NOW)


ACTIVE = CatalogProduct(PRODUCT, "SKU-1", "Lamp", ProductStatus.ACTIVE)


def test_a_product_the_catalog_does_not_know_cannot_be_stocked():
    with pytest.raises(ProductNotFound):
        rules.stockable(None)


def test_a_known_product_is_stockable_whatever_its_status():
    archived = CatalogProduct(PRODUCT, "SKU-1", "Lamp", ProductStatus.ARCHIVED)
    assert rules.stockable(archived) is archived


def test_removing_more_than_is_on_hand_is_insufficient_stock():
    assert isinstance(rules.refused_adjustment(level(3), -4), InsufficientStock)


def test_adding_beyond_the_largest_on_hand_is_invalid_input():
    refusal = rules.refused_adjustment(level(MAX_ON_HAND), 1)
    assert type(refusal) is InvalidInput


def test_setting_stock_at_another_version_than_expected_is_a_conflict():
    with pytest.raises(VersionConflict):
        rules.counted_delta(
            level(3, version=2),
            SetStock(product_id=PRODUCT, on_hand=5, expected_version=1),
            ACTIVE,
        )


def test_setting_stock_to_what_it_is_does_not_change_it():
    assert rules.counted_delta(level(3), SetStock(product_id=PRODUCT, on_hand=3), ACTIVE) == 0


def test_a_movement_records_what_the_change_moved_from_the_level_before_and_after():
    change = rules.record_movement(
        StockChange(level(10), level(7, version=2)), StockChangeReason.SOLD, None, now=NOW
    )
    assert change.movement is not None
    assert (change.movement.delta, change.movement.on_hand_after) == (-3, 7)
    assert change.movement.reason is StockChangeReason.SOLD


def test_a_change_without_a_movement_raises_no_stock_changed():
    change = StockChange(level(5, reorder_point=1), level(5, reorder_point=2, version=2))
    assert rules.stock_events(change, now=NOW) == []


def test_starting_to_track_at_or_below_the_reorder_point_raises_low_stock():
    change = StockChange(StockLevel.untracked(PRODUCT), level(0, reorder_point=3))
    assert [event.name for event in rules.stock_events(change, now=NOW)] == ["LowStock"]


def test_stock_changed_tells_the_on_hand_before_the_change():
    change = rules.record_movement(
        StockChange(level(10), level(7, version=2)), StockChangeReason.SOLD, None, now=NOW
    )
    (changed,) = rules.stock_events(change, now=NOW)
    assert (changed.name, changed.payload["onHandBefore"], changed.payload["onHand"]) == (
        "StockChanged",
        10,
        7,
    )


@pytest.mark.parametrize(
    ("reason", "delta"),
    [("RECEIVED", -1), ("RETURNED", -1), ("SOLD", 1), ("DAMAGED", 1), ("SHRINKAGE", 1)],
)
def test_an_adjustment_against_its_reason_s_direction_is_refused(reason, delta):
    with pytest.raises(ValidationError) as refused:
        AdjustStock(product_id=PRODUCT, delta=delta, reason=reason)
    assert refused.value.errors()[0]["loc"] == ("reason",)


@pytest.mark.parametrize("reason", ["CORRECTION", "CYCLE_COUNT", "OTHER"])
@pytest.mark.parametrize("delta", [-1, 1])
def test_corrections_counts_and_other_go_either_way(reason, delta):
    assert AdjustStock(product_id=PRODUCT, delta=delta, reason=reason).delta == delta


@pytest.mark.parametrize("reason", ["TRANSFER_IN", "TRANSFER_OUT"])
def test_clients_cannot_write_the_transfer_reasons(reason):
    with pytest.raises(ValidationError):
        AdjustStock(product_id=PRODUCT, delta=1, reason=reason)
    with pytest.raises(ValidationError):
        SetStock(product_id=PRODUCT, on_hand=1, reason=reason)


def test_a_count_against_its_reason_s_direction_is_invalid_input():
    received = SetStock(product_id=PRODUCT, on_hand=2, reason=StockChangeReason.RECEIVED)
    with pytest.raises(InvalidInput) as refused:
        rules.counted_delta(level(5), received, ACTIVE)
    assert refused.value.field == ("reason",)
    assert rules.counted_delta(level(1), received, ACTIVE) == 1


ARCHIVED = CatalogProduct(PRODUCT, "SKU-1", "Lamp", ProductStatus.ARCHIVED)
DRAFT = CatalogProduct(PRODUCT, "SKU-1", "Lamp", ProductStatus.DRAFT)


def test_an_archived_product_takes_no_stock_in():
    with pytest.raises(ProductNotActive):
        rules.check_takes_stock_in(ARCHIVED, 1, field="delta")
    with pytest.raises(ProductNotActive):
        rules.counted_delta(level(2), SetStock(product_id=PRODUCT, on_hand=3), ARCHIVED)


def test_an_archived_product_can_be_emptied_and_counted_down():
    rules.check_takes_stock_in(ARCHIVED, -1, field="delta")
    assert rules.counted_delta(level(5), SetStock(product_id=PRODUCT, on_hand=2), ARCHIVED) == -3


def test_a_draft_product_can_be_stocked():
    rules.check_takes_stock_in(DRAFT, 5, field="delta")
