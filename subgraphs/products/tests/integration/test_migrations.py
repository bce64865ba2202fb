"""The migrations build exactly the tables the models describe, on every engine."""

from subgraph_kit.testing import schema_drift

from app.infrastructure.db.models import Base


def test_migrations_match_the_models(app):
    assert schema_drift(app.state.runtime.engine, Base.metadata) == []
