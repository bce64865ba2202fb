"""The products subgraph schema (limits, caches and error policy come with SubgraphSchema)."""

from subgraph_kit.graphql.schema import SubgraphSchema

from app.infrastructure.api.graphql.mutations import Mutation
from app.infrastructure.api.graphql.queries import Query

schema = SubgraphSchema(query=Query, mutation=Mutation)
