from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from app.application import use_cases
from app.domain.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    ProductNotFound,
    ProductsUnavailable,
    VersionConflict,
)
from app.domain.models import StockChangeReason
from app.domain.schemas import AdjustStock, SetReorderPoint, SetStock
from tests.unit.fakes import FakeCatalog, FakeUnitOfWork, run_inline

pytestmark = pytest.mark.anyio


def adjust(product_id: UUID, delta: int, key: str | None = None) -> AdjustStock:
    return AdjustStock(
        product_id=product_id, delta=delta, reason=StockChangeReason.RECEIVED, idempotency_key=key
    )


async def write(use_case, command, uow: FakeUnitOfWork, catalog: FakeCatalog):
    return await use_case(command, uow=uow, catalog=catalog, in_thread=run_inline)


@pytest.fixture
def product() -> UUID:
    return uuid4()


@pytest.fixture
def catalog(product: UUID) -> FakeCatalog:
    return FakeCatalog(product)


async def test_first_adjustment_starts_tracking_the_product(product, catalog):
    uow = FakeUnitOfWork()
    level = await write(use_cases.adjust_stock, adjust(product, 5), uow, catalog)
    assert (level.on_hand, level.version, level.tracked) == (5, 1, True)
    assert uow.movement_deltas == [5]


async def test_adjustment_below_zero_is_refused_and_nothing_is_written(product, catalog):
    uow = FakeUnitOfWork()
    await write(use_cases.adjust_stock, adjust(product, 3), uow, catalog)
    with pytest.raises(InsufficientStock):
        await write(use_cases.adjust_stock, adjust(product, -4), uow, catalog)
    assert uow.committed["levels"][product].on_hand == 3
    assert uow.movement_deltas == [3]


async def test_unknown_product_is_refused_without_writing(catalog):
    uow = FakeUnitOfWork()
    with pytest.raises(ProductNotFound):
        await write(use_cases.adjust_stock, adjust(uuid4(), 1), uow, catalog)
    assert uow.commits == 0


async def test_catalog_failure_is_refused_without_writing(product):
    uow = FakeUnitOfWork()
    with pytest.raises(ProductsUnavailable):
        await write(
            use_cases.adjust_stock, adjust(product, 1), uow, FakeCatalog(product, down=True)
        )
    assert uow.commits == 0


@pytest.mark.parametrize("delta", [0, 1_000_001, -1_000_001])
def test_delta_must_be_nonzero_and_at_most_a_million(product, delta):
    with pytest.raises(ValidationError):
        adjust(product, delta)


async def test_replay_with_the_same_key_returns_the_first_result_without_a_second_change(
    product, catalog
):
    uow = FakeUnitOfWork()
    first = await write(use_cases.adjust_stock, adjust(product, 2, key="k1"), uow, catalog)
    calls = catalog.calls
    again = await write(use_cases.adjust_stock, adjust(product, 2, key="k1"), uow, catalog)
    assert again == first
    assert uow.movement_deltas == [2]
    assert catalog.calls == calls


async def test_reusing_a_key_for_a_different_request_is_refused(product, catalog):
    uow = FakeUnitOfWork()
    await write(use_cases.adjust_stock, adjust(product, 2, key="k1"), uow, catalog)
    with pytest.raises(IdempotencyKeyReused):
        await write(use_cases.adjust_stock, adjust(product, 3, key="k1"), uow, catalog)
    assert uow.movement_deltas == [2]


async def test_set_stock_records_the_difference_as_a_movement(product, catalog):
    uow = FakeUnitOfWork()
    await write(use_cases.adjust_stock, adjust(product, 10), uow, catalog)
    level = await write(use_cases.set_stock, SetStock(product_id=product, on_hand=4), uow, catalog)
    assert level.on_hand == 4
    assert uow.movement_deltas == [10, -6]


async def test_set_stock_with_a_stale_version_is_a_conflict(product, catalog):
    uow = FakeUnitOfWork()
    await write(use_cases.adjust_stock, adjust(product, 10), uow, catalog)
    with pytest.raises(VersionConflict):
        await write(
            use_cases.set_stock,
            SetStock(product_id=product, on_hand=4, expected_version=0),
            uow,
            catalog,
        )
    assert uow.movement_deltas == [10]


async def test_set_stock_to_the_same_value_changes_nothing(product, catalog):
    uow = FakeUnitOfWork()
    before = await write(use_cases.adjust_stock, adjust(product, 10), uow, catalog)
    after = await write(use_cases.set_stock, SetStock(product_id=product, on_hand=10), uow, catalog)
    assert after.version == before.version
    assert uow.movement_deltas == [10]


async def test_events_follow_the_level_across_its_thresholds(product, catalog):
    uow = FakeUnitOfWork()
    await write(
        use_cases.set_reorder_point,
        SetReorderPoint(product_id=product, reorder_point=5),
        uow,
        catalog,
    )
    await write(use_cases.adjust_stock, adjust(product, 10), uow, catalog)
    await write(use_cases.adjust_stock, adjust(product, -6), uow, catalog)
    await write(use_cases.adjust_stock, adjust(product, -4), uow, catalog)
    assert uow.event_names == [
        "LowStock",  # tracking starts at 0, at or below the reorder point of 5
        "StockChanged",
        "StockReplenished",
        "StockChanged",
        "LowStock",
        "StockChanged",
        "StockDepleted",
    ]


async def test_get_stock_levels_reports_untracked_zeros_in_the_order_asked(product, catalog):
    uow = FakeUnitOfWork()
    await write(use_cases.adjust_stock, adjust(product, 1), uow, catalog)
    other = uuid4()
    levels = use_cases.get_stock_levels([other, product], uow=uow)
    assert [(lv.product_id, lv.on_hand, lv.tracked) for lv in levels] == [
        (other, 0, False),
        (product, 1, True),
    ]


async def test_expired_idempotency_keys_are_purged(product, catalog):
    uow = FakeUnitOfWork()
    await write(use_cases.adjust_stock, adjust(product, 1, key="old"), uow, catalog)
    uow.clock += timedelta(hours=25)
    assert use_cases.purge_idempotency_keys(uow=uow, keep=timedelta(hours=24)) == 1
