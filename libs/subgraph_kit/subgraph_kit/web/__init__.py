"""The HTTP edge every subgraph shares: runtime, API key, health, logs, explorers, app factory."""
