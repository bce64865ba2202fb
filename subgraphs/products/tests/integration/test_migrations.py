"""The migrations build exactly the tables the models describe, on every engine."""

from subgraph_kit_testing.contract import assert_migrations_match_models

from app.infrastructure.db.models import Base


def test_migrations_match_the_models(app):
    assert_migrations_match_models(app.state.runtime.engine, Base.metadata)
