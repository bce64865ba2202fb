"""The inbox and the catalog's news on each database: a message id is applied once, old ids
are purged, and the kept status follows the newest event whatever the order of arrival."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.application.catalog_events import Applied, apply_catalog_event, purge_inbox
from app.domain.catalog_schemas import ApplyCatalogEvent, CatalogEventType
from app.domain.models import ProductStatus


def status_change(product: uuid.UUID, status: ProductStatus, at: datetime) -> ApplyCatalogEvent:
    return ApplyCatalogEvent(
        event_id=uuid.uuid4(),
        type=CatalogEventType.PRODUCT_UPDATED,
        occurred_at=at,
        product_id=product,
        status=status,
        changed=("status",),
    )


@pytest.fixture
def apply(app):
    def applied(command: ApplyCatalogEvent) -> Applied:
        return apply_catalog_event(command, uow=app.state.runtime.uow())

    return applied


def kept(app) -> list[tuple[str, bool]]:
    with app.state.runtime.engine.connect() as connection:
        query = sa.text("SELECT status, deleted FROM catalog_products")
        return [tuple(row) for row in connection.execute(query)]


def test_a_message_id_is_applied_once_until_it_is_purged(app, apply):
    event = status_change(uuid.uuid4(), ProductStatus.ARCHIVED, datetime.now(UTC))
    assert apply(event) is Applied.APPLIED
    assert apply(event) is Applied.DUPLICATE
    assert purge_inbox(timedelta(hours=1), uow=app.state.runtime.uow()) == 0
    assert purge_inbox(timedelta(0), uow=app.state.runtime.uow()) == 1
    assert apply(event) is Applied.IGNORED  # its news is kept already


def test_the_newest_status_is_kept_whatever_the_order_of_arrival(app, apply):
    product, now = uuid.uuid4(), datetime.now(UTC)
    apply(status_change(product, ProductStatus.DRAFT, now))
    apply(status_change(product, ProductStatus.ARCHIVED, now - timedelta(seconds=1)))
    assert kept(app) == [("DRAFT", False)]
    deletion = ApplyCatalogEvent(
        event_id=uuid.uuid4(),
        type=CatalogEventType.PRODUCT_DELETED,
        occurred_at=now - timedelta(seconds=5),  # a deletion is final, however late
        product_id=product,
    )
    assert apply(deletion) is Applied.APPLIED
    apply(status_change(product, ProductStatus.ACTIVE, now + timedelta(seconds=1)))
    assert kept(app) == [(None, True)]
