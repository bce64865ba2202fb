"""The GraphQL edge every subgraph shares: error policy, connections, loaders, the schema."""
