"""Exceptions the inventory raises when a rule is broken or a dependency fails."""

from __future__ import annotations


class DomainError(Exception):
    """A broken business rule; `code` names it for clients, `field` points at the input."""

    code = "INVALID_INPUT"

    def __init__(self, message: str, field: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "INVALID_INPUT"


class ProductNotFound(DomainError):
    code = "PRODUCT_NOT_FOUND"


class InsufficientStock(DomainError):
    code = "INSUFFICIENT_STOCK"


class VersionConflict(DomainError):
    code = "VERSION_CONFLICT"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"


class ProductsUnavailable(DomainError):
    """The products subgraph could not say whether the product exists."""

    code = "PRODUCTS_UNAVAILABLE"
