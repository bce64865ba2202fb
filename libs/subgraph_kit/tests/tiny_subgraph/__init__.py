"""A subgraph made of the kit alone, as a service would write it, cut to the least that
exercises each part of the kit: `notes` (table, command, rule, event, unit of work, use cases)
and `api` (entity, connection, mutation, schema, app). Nothing here comes from the services.
"""
