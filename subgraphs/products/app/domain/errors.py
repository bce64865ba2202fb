"""Exceptions the catalog raises when a rule is broken."""

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
    code = "NOT_FOUND"


class DuplicateSku(DomainError):
    code = "DUPLICATE_SKU"
