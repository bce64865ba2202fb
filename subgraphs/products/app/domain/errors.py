"""Exceptions the catalog raises when a rule is broken."""

from __future__ import annotations

from subgraph_kit.core.errors import DomainError


class ProductNotFound(DomainError):
    """No product has the id a change names."""

    code = "NOT_FOUND"


class DuplicateSku(DomainError):
    """Another product has the SKU a change asks for."""

    code = "DUPLICATE_SKU"
