"""Catalog rules: what each command does to a product, and which events it raises."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from subgraph_kit.core.naming import camel

from app.domain.models import Product
from app.domain.schemas import (
    CreateProduct,
    DomainEvent,
    ProductCreated,
    ProductDeleted,
    ProductUpdated,
    UpdateProduct,
    product_payload,
)


def create_product(command: CreateProduct, *, now: datetime) -> tuple[Product, list[DomainEvent]]:
    """Build a new product from a validated command."""
    product = Product(
        id=uuid4(),
        sku=command.sku,
        name=command.name,
        description=command.description,
        price=command.price.to_money(),
        status=command.status,
        created_at=now,
        updated_at=now,
    )
    return product, [ProductCreated(product.id, now, product_payload(product))]


def update_product(
    product: Product, command: UpdateProduct, *, now: datetime
) -> tuple[Product, list[DomainEvent]]:
    """Apply the fields the command gives; an update that changes nothing raises no event."""
    changes = {
        name: value for name, value in command.changes().items() if getattr(product, name) != value
    }
    if not changes:
        return product, []
    updated = product.with_changes(changes, now)
    payload = product_payload(updated) | {"changed": sorted(camel(name) for name in changes)}
    return updated, [ProductUpdated(product.id, now, payload)]


def delete_product(product: Product, *, now: datetime) -> list[DomainEvent]:
    """Return the events that deleting `product` raises."""
    return [ProductDeleted(product.id, now, {"id": str(product.id), "sku": product.sku})]
