"""Service configuration: the one place environment variables are read."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import Field, ValidationInfo, field_validator
from subgraph_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key", "products_api_key")

    database_url: str = "sqlite:///./data/inventory.db"
    products_url: str = "http://127.0.0.1:8000/graphql"
    # The key sent to products; unset or empty: API_KEY (one key for both services unless
    # products has a key of its own). The rule lives here, so make up, docker compose and
    # the image all follow it.
    products_api_key: str = Field(default="", validate_default=True)
    products_connect_timeout: float = Field(default=1.0, gt=0)
    products_read_timeout: float = Field(default=2.0, gt=0)
    products_deadline: float = Field(default=3.0, gt=0)
    products_retries: int = Field(default=2, ge=0)
    products_breaker_failures: int = Field(default=5, ge=1)
    products_breaker_reset_seconds: float = Field(default=30, gt=0)
    idempotency_ttl_hours: float = Field(default=24, ge=24)
    # How often the service marks expired holds EXPIRED (they stop counting at their expiry
    # whatever this is; it decides when ReservationExpired is raised).
    reservation_sweep_seconds: float = Field(default=5.0, gt=0)

    @field_validator("products_api_key")
    @classmethod
    def _default_to_api_key(cls, value: str, info: ValidationInfo) -> str:
        # api_key is declared (and so validated) before this field.
        return value or info.data.get("api_key", "")


@lru_cache
def get_settings() -> Settings:
    """Read the settings from the environment once."""
    return Settings()
