"""Shared building blocks of the products and inventory subgraphs, one folder per concern:

- `core`: what a domain may import (errors, commands, events, outbox port, unit of work);
- `sql`: SQLAlchemy engines, the declarative base with the outbox table, Alembic's env;
- `graphql`: the error policy, connections and cursors, loaders, the schema with its limits;
- `web`: the runtime, API key, request ids, body limit, health routes, logs, explorers and
  the app factory;
- `settings.py`, `cli.py` (`python -m app relay`), `serve.py` (`subgraph-serve`).

Business rules stay in each service. Test fixtures are the separate `subgraph_kit_testing`.
"""
