"""The inventory's userError codes (one per domain error) and their GraphQL type."""

from __future__ import annotations

from subgraph_kit.core.errors import InvalidInput
from subgraph_kit.graphql.errors import UserErrors, user_error_codes, user_error_type

from app.domain.errors import (
    DuplicateLocationCode,
    IdempotencyKeyReused,
    InsufficientStock,
    LocationInactive,
    LocationNotEmpty,
    LocationNotFound,
    ProductNotActive,
    ProductNotFound,
    ProductsUnavailable,
    ReservationExpired,
    VersionConflict,
)

# Why a mutation wrote nothing: the code of each of the inventory's domain errors.
UserErrorCode = user_error_codes(
    InvalidInput,
    ProductNotFound,
    InsufficientStock,
    VersionConflict,
    IdempotencyKeyReused,
    ProductsUnavailable,
    ProductNotActive,
    LocationNotFound,
    LocationInactive,
    DuplicateLocationCode,
    LocationNotEmpty,
    ReservationExpired,
)
UserError = user_error_type(UserErrorCode)
to_user_errors = UserErrors(UserError, UserErrorCode)
