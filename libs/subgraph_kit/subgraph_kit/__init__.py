"""Shared building blocks of the products and inventory subgraphs.

Only what both services do identically lives here: the transactional outbox, the GraphQL
error policy and limits, the HTTP edge (API key, request ids, body limit, health), engine
and unit-of-work plumbing, and test fixtures. Business rules stay in each service.
"""
