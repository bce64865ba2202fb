"""Catalog use cases: each takes what is asked and a unit of work, and returns domain objects.

Every one has the same shape, `use_case(request, *, uow)`, and is synchronous: the edge runs
it in a worker thread and decides nothing else about the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from subgraph_kit.core.pages import in_order_asked, page_of

from app.domain import use_cases as rules
from app.domain.errors import ProductNotFound
from app.domain.models import Product, ProductFilter, ProductPage
from app.domain.repositories import UnitOfWork
from app.domain.schemas import CreateProduct, DeleteProduct, UpdateProduct, canonical_sku


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
        product = _locked(uow, command.product_id)
        updated, events = rules.update_product(product, command, now=uow.now())
        if events:
            uow.products.update(updated)
            uow.outbox.add(events)
            uow.commit()
    return updated


def delete_product(command: DeleteProduct, *, uow: UnitOfWork) -> UUID:
    """Remove a product from the catalog and record `ProductDeleted`."""
    with uow:
        product = _locked(uow, command.product_id)
        uow.products.delete(product.id)
        uow.outbox.add(rules.delete_product(product, now=uow.now()))
        uow.commit()
    return product.id


def get_product_by_sku(sku: str, *, uow: UnitOfWork) -> Product | None:
    """Return the product with this SKU (as the client spells it), or None."""
    canonical = canonical_sku(sku)
    if canonical is None:
        return None  # no stored SKU spells it
    with uow:
        return uow.products.get_by_sku(canonical)


def get_products(product_ids: Sequence[UUID], *, uow: UnitOfWork) -> list[Product | None]:
    """Return the products with these ids in the order asked, None where absent (one query)."""
    with uow:
        found = uow.products.get_many(product_ids)
    return in_order_asked(product_ids, found, key=lambda product: product.id)


def list_products(page: ProductPage, *, uow: UnitOfWork) -> tuple[list[Product], bool]:
    """Return one page of products and whether another page follows."""
    with uow:
        rows = uow.products.list(
            filter=page.filter, sort=page.sort, limit=page.first + 1, after=page.after
        )
    return page_of(rows, page.first)


def count_products(filter: ProductFilter, *, uow: UnitOfWork) -> int:
    """Return how many products match `filter`."""
    with uow:
        return uow.products.count(filter=filter)


def _locked(uow: UnitOfWork, product_id: UUID) -> Product:
    product = uow.products.get(product_id, for_update=True)
    if product is None:
        raise ProductNotFound("No product has this id.", field=("id",))
    return product
