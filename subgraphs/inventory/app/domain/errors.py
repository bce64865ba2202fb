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


class ProductNotActive(DomainError):
    """The product's catalog status forbids the write (an ARCHIVED product takes no stock in)."""

    code = "PRODUCT_NOT_ACTIVE"


class LocationNotFound(DomainError):
    """No location has the id a request names."""

    code = "LOCATION_NOT_FOUND"


class LocationInactive(DomainError):
    """The location was deactivated: it takes no stock writes."""

    code = "LOCATION_INACTIVE"


class DuplicateLocationCode(DomainError):
    """Another location has this code."""

    code = "DUPLICATE_LOCATION_CODE"


class LocationNotEmpty(DomainError):
    """A location that holds stock cannot be deactivated."""

    code = "LOCATION_NOT_EMPTY"


class ReservationExpired(DomainError):
    """A hold of the reference expired before it was committed."""

    code = "RESERVATION_EXPIRED"
