"""Service configuration: the one place environment variables are read."""

from __future__ import annotations

from functools import lru_cache

from subgraph_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    database_url: str = "sqlite:///./data/products.db"


@lru_cache
def get_settings() -> Settings:
    """Read the settings from the environment once."""
    return Settings()
