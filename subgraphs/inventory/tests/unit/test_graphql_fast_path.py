"""The GraphQL fast path answers exactly as graphql-core's plain path: the queries of this
service's suites and Hypothesis-generated documents, each run both ways over the same fakes."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

from subgraph_kit_testing.fast_path import differential_tests

from app.infrastructure.api.dependencies import GraphQLContext
from app.infrastructure.api.graphql.schema import schema
from tests.unit.fakes import FakeCatalog, FakeUnitOfWork

TESTS = Path(__file__).parents[1]
IDS = ["0a0a1e4f-0524-4a38-a293-4de8710f151e", "597d8df4-26e8-4ffc-9b3e-aacc1f00fcb8"]
IDS += ["d9514932-90b4-4aa0-9f80-774fe1272b88"]  # never stocked
MISSING = "00000000-0000-4000-8000-000000000000"
CATALOG = FakeCatalog(*(UUID(i) for i in IDS))
# Stock at DEFAULT for two products, one low; a second location holding some of the second;
# a hold on it.
ADJUST = "adjustStock(input: {{productId: {!r}, delta: {}, reason: RECEIVED}})"
ADJUST += " {{ userErrors {{ code }} }}"
RESERVE = 'reserveStock(input: {{reference: "cart-1", lines: [{{productId: {!r}, quantity: 2}}]}})'
SEED = [
    ADJUST.format(IDS[0], 5).replace("'", '"'),
    ADJUST.format(IDS[1], 9).replace("'", '"'),
    f'setReorderPoint(productId: "{IDS[0]}", reorderPoint: 10) {{ userErrors {{ code }} }}',
    'createLocation(input: {code: "WH2", name: "Second"}) { location { id } userErrors { code } }',
    RESERVE.format(IDS[1]).replace("'", '"') + " { userErrors { code } }",
]


def context(uow: FakeUnitOfWork) -> GraphQLContext:
    async def run(use_case: Any, /, *args: Any, **ports: Any) -> Any:
        return use_case(*args, uow=uow, **ports)

    return GraphQLContext(run, CATALOG)


def seeded() -> tuple[FakeUnitOfWork, str]:
    uow, location = FakeUnitOfWork(), ""
    for mutation in SEED:
        result = asyncio.run(
            schema.execute(f"mutation {{ {mutation} }}", context_value=context(uow))
        )
        payload = next(iter(result.data.values()))
        assert payload["userErrors"] == [], result
        location = (payload.get("location") or {}).get("id", location)
    transfer = f'transferStock(input: {{productId: "{IDS[1]}", fromLocationId: "{DEFAULT}", '
    transfer += f'toLocationId: "{location}", quantity: 3}}) {{ userErrors {{ code }} }}'
    result = asyncio.run(schema.execute(f"mutation {{ {transfer} }}", context_value=context(uow)))
    assert result.data["transferStock"]["userErrors"] == [], result
    return uow, location


DEFAULT = "00000000-0000-4000-8000-000000000001"
UOW, LOCATION = seeded()
REPRESENTATIONS = [
    [{"__typename": "Product", "id": i} for i in [*IDS, MISSING, "not-a-uuid", IDS[0]]],
    [{"__typename": "Product", "id": IDS[1]}, {"__typename": "Nope", "id": IDS[0]}],
]
VARIABLES = {"first": 2, "after": None, "id": IDS[0], "productId": IDS[1], "pid": IDS[1]}
VARIABLES |= {"representations": REPRESENTATIONS[0], "r": REPRESENTATIONS[0], "reference": "cart-1"}
IDS_LITERALS = [json.dumps(i) for i in [*IDS, MISSING, "nope", DEFAULT, LOCATION]]
LITERALS = {
    "representations": [re.sub(r'"(\w+)":', r"\1:", json.dumps(r)) for r in REPRESENTATIONS],
    "ID": IDS_LITERALS,
    "reference": ['"cart-1"', '"none"'],
    "code": ['"WH2"', '"DEFAULT"', '"NOPE"'],
}


(
    test_the_suites_queries_include_the_main_reads,
    test_the_suites_queries_answer_alike_both_ways,
    test_generated_documents_answer_alike_both_ways,
) = differential_tests(
    schema,
    state=UOW,
    context=context,
    tests=TESTS,
    variables=VARIABLES,
    literals=LITERALS,
    among=("_entities", "stockLevels"),
)
