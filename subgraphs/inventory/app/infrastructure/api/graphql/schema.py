"""The inventory subgraph schema (limits, caches and error policy come with SubgraphSchema)."""

import strawberry
from subgraph_kit.graphql.schema import SubgraphSchema

from app.infrastructure.api.graphql.mutations import Mutation as StockMutation
from app.infrastructure.api.graphql.queries import Query as StockQuery
from app.infrastructure.api.graphql.reservations import ReservationMutation, ReservationQuery


@strawberry.type
class Query(StockQuery, ReservationQuery):
    pass


@strawberry.type
class Mutation(StockMutation, ReservationMutation):
    pass


schema = SubgraphSchema(query=Query, mutation=Mutation)
