"""The settings every subgraph reads: database URLs, keys refused in production, switches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from subgraph_kit.settings import ServiceSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: none of the settings' variables leaks in from the shell."""
    for name in ServiceSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def read(**values: object) -> ServiceSettings:
    return ServiceSettings(**{"database_url": "sqlite://"} | values)


@pytest.mark.parametrize("url", ["postgres://u:p@h:5432/db", "postgresql://u:p@h:5432/db"])
def test_plain_postgres_urls_are_pointed_at_psycopg2(url):
    assert read(database_url=url).database_url == "postgresql+psycopg2://u:p@h:5432/db"


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db", "sqlite:///./x.db"]
)
def test_urls_that_name_a_driver_or_another_database_are_kept(url):
    assert read(database_url=url).database_url == url


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "at least 16 characters"),
        ("secret", "development default"),
        ("SECRET", "development default"),
        ("my-Secret-rotated-2026", "development default"),
        (" k-8f3a-0c41-77d2-9e1b", "whitespace"),
        ("k-8f3a-0c41-77d2-9e1b ", "whitespace"),
        ("x", "at least 16 characters"),
        ("k-8f3a-0c41-77d", "at least 16 characters"),
    ],
)
def test_production_refuses_a_weak_api_key(key, reason):
    with pytest.raises(ValidationError, match=f"API_KEY must .*{reason}"):
        read(environment="production", api_key=key)


def test_production_starts_with_a_real_key():
    assert (
        read(environment="production", api_key="k-8f3a-0c41-77d2-9e1b").api_key
        == "k-8f3a-0c41-77d2-9e1b"
    )


def test_development_accepts_the_default_key():
    assert read().api_key == "secret"


def test_production_refuses_a_default_value_of_any_secret_a_service_names():
    class WithProductsKey(ServiceSettings):
        secret_fields = ("api_key", "products_api_key")
        products_api_key: str = "secret"

    with pytest.raises(
        ValidationError, match="PRODUCTS_API_KEY must not contain the development default"
    ):
        WithProductsKey(
            database_url="sqlite://", environment="production", api_key="k-8f3a-0c41-77d2-9e1b"
        )


@pytest.mark.parametrize("switch", ["introspection", "graphiql"])
@pytest.mark.parametrize(
    ("environment", "explicit", "enabled"),
    [
        ("production", None, False),
        ("production", True, True),
        ("development", None, True),
        ("development", False, False),
    ],
)
def test_explorer_switches_are_off_in_production_unless_turned_on(
    switch, environment, explicit, enabled
):
    settings = read(
        environment=environment, api_key="k-8f3a-0c41-77d2-9e1b", **{f"enable_{switch}": explicit}
    )
    assert getattr(settings, f"{switch}_enabled") is enabled


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("API_KEY", "from-env")
    settings = ServiceSettings()
    assert (settings.database_url, settings.api_key) == ("postgresql+psycopg2://u@h/db", "from-env")
