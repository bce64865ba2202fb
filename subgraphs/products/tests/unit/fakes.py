"""In-memory fakes of the repository interfaces, with real commit/rollback semantics."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from subgraph_kit.outbox import DomainEvent, Outbox, PendingEvent

from app.domain.errors import DuplicateSku
from app.domain.models import Product, ProductFilter, ProductSort, SortKey, sort_key
from app.domain.repositories import ProductRepository, UnitOfWork


class FakeProductRepository(ProductRepository):
    def __init__(self, rows: dict[UUID, Product]) -> None:
        self.rows = rows

    def add(self, product: Product) -> None:
        self._check_sku(product)
        self.rows[product.id] = product

    def update(self, product: Product) -> None:
        self._check_sku(product)
        self.rows[product.id] = product

    def delete(self, product_id: UUID) -> None:
        del self.rows[product_id]

    def get(self, product_id: UUID, *, for_update: bool = False) -> Product | None:
        return self.rows.get(product_id)

    def get_by_sku(self, sku: str) -> Product | None:
        return next((p for p in self.rows.values() if p.sku == sku), None)

    def get_many(self, product_ids: Sequence[UUID]) -> list[Product]:
        return [self.rows[i] for i in set(product_ids) if i in self.rows]

    def list(
        self, *, filter: ProductFilter, sort: ProductSort, limit: int, after: SortKey | None
    ) -> list[Product]:
        matching = sorted(
            (p for p in self.rows.values() if _matches(p, filter)),
            key=lambda p: sort_key(p, sort),
            reverse=sort.descending,
        )
        if after is not None:
            matching = [
                p
                for p in matching
                if (sort_key(p, sort) < after if sort.descending else sort_key(p, sort) > after)
            ]
        return matching[:limit]

    def count(self, *, filter: ProductFilter) -> int:
        return sum(1 for p in self.rows.values() if _matches(p, filter))

    def _check_sku(self, product: Product) -> None:
        if any(p.sku == product.sku and p.id != product.id for p in self.rows.values()):
            raise DuplicateSku(f"A product with SKU {product.sku} exists.", field=("sku",))


def _matches(product: Product, f: ProductFilter) -> bool:
    search = (f.search or "").lower()
    return (
        (f.ids is None or product.id in f.ids)
        and (f.skus is None or product.sku in f.skus)
        and (f.statuses is None or product.status in f.statuses)
        and (search in product.name.lower() or search in product.sku.lower())
        and (f.min_price is None or product.price.amount >= f.min_price)
        and (f.max_price is None or product.price.amount <= f.max_price)
    )


class FakeOutbox(Outbox):
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def add(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            self.events.append({"position": len(self.events) + 1, "event": event, "sent_at": None})

    def pending(self, *, limit: int) -> list[PendingEvent]:
        return [
            PendingEvent(
                position=row["position"],
                event_id=row["event"].event_id,
                name=row["event"].name,
                aggregate_id=str(row["event"].aggregate_id),
                occurred_at=row["event"].occurred_at,
                payload=row["event"].payload,
            )
            for row in self.events
            if row["sent_at"] is None
        ][:limit]

    def mark_sent(self, positions: Sequence[int], *, at: datetime) -> None:
        for row in self.events:
            if row["position"] in positions:
                row["sent_at"] = at


class FakeUnitOfWork(UnitOfWork):
    """Works on copies of the committed state; `commit` publishes them."""

    def __init__(self) -> None:
        self.committed_rows: dict[UUID, Product] = {}
        self.committed_events: list[dict[str, Any]] = []
        self.commits = 0
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)

    def __enter__(self) -> FakeUnitOfWork:
        self.products = FakeProductRepository(dict(self.committed_rows))
        self.outbox = FakeOutbox(copy.deepcopy(self.committed_events))
        return self

    def commit(self) -> None:
        self.committed_rows = self.products.rows
        self.committed_events = self.outbox.events
        self.commits += 1

    def rollback(self) -> None:
        pass

    def now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    @property
    def event_names(self) -> list[str]:
        return [row["event"].name for row in self.committed_events]
