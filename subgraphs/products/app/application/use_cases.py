"""Catalog use cases: each runs in one unit of work and returns domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from app.domain import use_cases as rules
from app.domain.errors import ProductNotFound
from app.domain.models import Product, ProductFilter, ProductSort, SortKey
from app.domain.repositories import UnitOfWork
from app.domain.schemas import CreateProduct, DeleteProduct, UpdateProduct


def create_product(command: CreateProduct, *, uow: UnitOfWork) -> Product:
    """Add a product to the catalog and record `ProductCreated`."""
    with uow:
        product, events = rules.create_product(command, now=uow.now())
        uow.products.add(product)
        uow.outbox.add(events)
        uow.commit()
    return product


def update_product(command: UpdateProduct, *, uow: UnitOfWork) -> Product:
    """Change the given fields of a product and record `ProductUpdated`."""
    with uow:
        product = uow.products.get(command.product_id, for_update=True)
        if product is None:
            raise ProductNotFound("No product has this id.", field=("id",))
        updated, events = rules.update_product(product, command, now=uow.now())
        if events:
            uow.products.update(updated)
            uow.outbox.add(events)
            uow.commit()
    return updated


def delete_product(command: DeleteProduct, *, uow: UnitOfWork) -> UUID:
    """Remove a product from the catalog and record `ProductDeleted`."""
    with uow:
        product = uow.products.get(command.product_id, for_update=True)
        if product is None:
            raise ProductNotFound("No product has this id.", field=("id",))
        uow.products.delete(product.id)
        uow.outbox.add(rules.delete_product(product, now=uow.now()))
        uow.commit()
    return product.id


def get_product(
    *, uow: UnitOfWork, product_id: UUID | None = None, sku: str | None = None
) -> Product | None:
    """Return the product with this id or (normalised) SKU, or None."""
    with uow:
        if product_id is not None:
            return uow.products.get(product_id)
        return uow.products.get_by_sku(sku.strip().upper()) if sku else None


def get_products(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[Product | None]:
    """Return the products with these ids in the order asked, None where absent (one query)."""
    with uow:
        found = {product.id: product for product in uow.products.get_many(product_ids)}
    return [found.get(product_id) for product_id in product_ids]


def list_products(
    *, uow: UnitOfWork, filter: ProductFilter, sort: ProductSort, first: int, after: SortKey | None
) -> tuple[list[Product], bool]:
    """Return one page of products and whether another page follows."""
    with uow:
        rows = uow.products.list(filter=filter, sort=sort, limit=first + 1, after=after)
    return rows[:first], len(rows) > first


def count_products(*, uow: UnitOfWork, filter: ProductFilter) -> int:
    """Return how many products match `filter`."""
    with uow:
        return uow.products.count(filter=filter)
