"""SQLAlchemy and Alembic plumbing every subgraph shares: engines, tables, outbox, unit of work."""
