"""Service configuration: the one place environment variables are read."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings

DEFAULT_KEYS = ("", "secret")


def normalise_database_url(url: str) -> str:
    """Point plain Postgres URLs at psycopg2, the driver this service ships with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url.removeprefix(prefix)
    return url


class Settings(BaseSettings):
    environment: Literal["development", "production"] = "development"
    api_key: str = "secret"
    database_url: str = "sqlite:///./data/inventory.db"
    products_url: str = "http://127.0.0.1:8000/graphql"
    products_api_key: str = "secret"
    products_connect_timeout: float = Field(default=1.0, gt=0)
    products_read_timeout: float = Field(default=2.0, gt=0)
    products_deadline: float = Field(default=3.0, gt=0)
    products_retries: int = Field(default=2, ge=0)
    idempotency_ttl_hours: float = Field(default=24, ge=24)
    db_pool_size: int = Field(default=10, ge=1)
    statement_timeout_ms: int = Field(default=5000, ge=0)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    log_level: str = "INFO"

    _normalise_url = field_validator("database_url")(normalise_database_url)

    @model_validator(mode="after")
    def _refuse_default_key_in_production(self) -> Settings:
        if self.environment == "production":
            for name in ("api_key", "products_api_key"):
                if getattr(self, name) in DEFAULT_KEYS:
                    raise ValueError(
                        f"{name.upper()} must be set to a non-default value in production"
                    )
        return self


@lru_cache
def get_settings() -> Settings:
    """Read the settings from the environment once."""
    return Settings()
