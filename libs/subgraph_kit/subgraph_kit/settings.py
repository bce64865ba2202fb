"""Settings every subgraph reads; each service subclasses them with its own defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Production keys: at least this long, and no spelling of the development default.
MIN_PRODUCTION_KEY_LENGTH = 16
DEFAULT_KEY = "secret"


def weak_key_reason(key: str) -> str | None:
    """Why `key` is too weak for production, or None: shorter than 16 characters, a spelling
    of the development default, or with whitespace around it (which no client can send)."""
    if key != key.strip():
        return "must not start or end with whitespace"
    if DEFAULT_KEY in key.lower():
        return f"must not contain the development default {DEFAULT_KEY!r}"
    if len(key) < MIN_PRODUCTION_KEY_LENGTH:
        return f"must be at least {MIN_PRODUCTION_KEY_LENGTH} characters long"
    return None


def normalise_database_url(url: str) -> str:
    """Point plain Postgres URLs at psycopg2, the driver the services ship with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url.removeprefix(prefix)
    return url


class ServiceSettings(BaseSettings):
    """The environment variables of one subgraph; read once, in `get_settings`.

    These classes hold the one default of each variable: `make up`, docker compose and the
    images pass variables through without restating defaults. An empty value (`NAME=` in
    .env, `-e NAME=`, `${NAME:-}` in a compose file) means the default, as if unset, for
    every setting: "" is no valid value of any of them.
    """

    model_config = SettingsConfigDict(env_ignore_empty=True)

    # Keys that may not keep a default value when ENVIRONMENT=production.
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)

    environment: Literal["development", "production"] = "development"
    api_key: str = "secret"
    database_url: str
    db_pool_size: int = Field(default=10, ge=1)
    statement_timeout_ms: int = Field(default=5000, ge=0)
    # Every request answers within this (a TIMEOUT error past it); above the statement timeout.
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    log_level: str = "INFO"
    # Off in production unless set to true; on elsewhere unless set to false.
    enable_introspection: bool | None = None
    enable_graphiql: bool | None = None
    # Plain fields completed without graphql-core's per-field machinery (graphql/fast_path.py);
    # GRAPHQL_FAST_PATH=0 answers every field the plain way.
    graphql_fast_path: bool = True
    # Where traces go over OTLP/HTTP (the collector's base URL; /v1/traces is added); unset,
    # nothing is traced and no instrumentation is installed.
    otel_exporter_otlp_endpoint: str | None = None
    # The RabbitMQ server the outbox relay publishes events to (amqp:// or amqps://); unset,
    # events go to the log. The prefix goes before the exchange's name (tests, shared brokers).
    broker_url: str | None = None
    broker_exchange_prefix: str = ""

    _normalise_url = field_validator("database_url")(normalise_database_url)

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:4318")
        return value

    @field_validator("broker_url")
    @classmethod
    def _amqp_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("amqp://", "amqps://")):
            raise ValueError(
                "must be an amqp:// or amqps:// URL, e.g. amqp://guest:guest@127.0.0.1:5672/"
            )
        return value

    @property
    def introspection_enabled(self) -> bool:
        """Whether `__schema`/`__type` queries are answered (`_service { sdl }` always is)."""
        return self._unless_production(self.enable_introspection)

    @property
    def graphiql_enabled(self) -> bool:
        """Whether GET /graphql serves the GraphiQL page."""
        return self._unless_production(self.enable_graphiql)

    def _unless_production(self, explicit: bool | None) -> bool:
        return explicit if explicit is not None else self.environment != "production"

    @model_validator(mode="after")
    def _refuse_weak_keys_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            for name in self.secret_fields:
                if reason := weak_key_reason(getattr(self, name)):
                    raise ValueError(f"{name.upper()} {reason} in production")
        return self
