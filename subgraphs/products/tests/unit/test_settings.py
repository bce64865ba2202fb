import pytest
from pydantic import ValidationError

from app.settings import Settings


@pytest.mark.parametrize("key", ["", "secret"])
def test_production_refuses_a_default_api_key(key):
    with pytest.raises(ValidationError, match="API_KEY must be set"):
        Settings(environment="production", api_key=key)


def test_production_starts_with_a_real_key():
    assert Settings(environment="production", api_key="k-8f3a").api_key == "k-8f3a"


def test_development_accepts_the_default_key():
    assert Settings(environment="development").api_key == "secret"


@pytest.mark.parametrize(
    "url",
    ["postgres://u@h:5432/db", "postgresql://u@h:5432/db", "postgresql+psycopg2://u@h:5432/db"],
)
def test_plain_postgres_urls_use_psycopg2(url):
    assert Settings(database_url=url).database_url == "postgresql+psycopg2://u@h:5432/db"


def test_the_environment_is_read(monkeypatch):
    monkeypatch.setenv("API_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.db")
    settings = Settings()
    assert (settings.api_key, settings.database_url) == ("from-env", "sqlite:///elsewhere.db")
