"""The rules the inventory refuses a write for, and its dependency that can fail."""

from __future__ import annotations

from subgraph_kit.core.errors import DomainError


class ProductNotFound(DomainError):
    """The catalog has no product with the id a write names."""

    code = "PRODUCT_NOT_FOUND"


class InsufficientStock(DomainError):
    """A removal would take on hand below zero."""

    code = "INSUFFICIENT_STOCK"


class VersionConflict(DomainError):
    """The level is not at the version the write was based on."""

    code = "VERSION_CONFLICT"


class IdempotencyKeyReused(DomainError):
    """An idempotency key came back with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class ProductsUnavailable(DomainError):
    """The products subgraph could not say whether the product exists."""

    code = "PRODUCTS_UNAVAILABLE"
