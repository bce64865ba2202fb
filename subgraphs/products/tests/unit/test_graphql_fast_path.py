"""The GraphQL fast path answers exactly as graphql-core's plain path: the queries of this
service's suites and Hypothesis-generated documents, each run both ways over the same fakes."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from subgraph_kit_testing.fast_path import differential_tests

from app.infrastructure.api.dependencies import GraphQLContext
from app.infrastructure.api.graphql.schema import schema
from tests.unit.fakes import FakeUnitOfWork

TESTS = Path(__file__).parents[1]
CREATE = """mutation ($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } userErrors { code } }
}"""
MISSING = "00000000-0000-4000-8000-000000000000"


def seeded() -> tuple[FakeUnitOfWork, list[str]]:
    """Three products through the schema, one without a description."""
    uow, ids = FakeUnitOfWork(), []
    for n, description in enumerate(["A lamp.", None, "A desk."]):
        product = {"sku": f"sku-{n}", "name": f"Thing {n}", "description": description}
        product["price"] = {"amount": f"{n + 1}.50", "currencyCode": "EUR"}
        result = asyncio.run(
            schema.execute(CREATE, variable_values={"input": product}, context_value=context(uow))
        )
        ids.append(result.data["createProduct"]["product"]["id"])
    return uow, ids


def context(uow: FakeUnitOfWork) -> GraphQLContext:
    async def run(use_case: Any, /, *args: Any, **kwargs: Any) -> Any:
        return use_case(*args, uow=uow, **kwargs)

    return GraphQLContext(run)


UOW, IDS = seeded()
REPRESENTATIONS = [
    [{"__typename": "Product", "id": i} for i in [*IDS, MISSING, "not-a-uuid", IDS[0]]],
    [{"__typename": "Product", "id": IDS[1]}, {"__typename": "Nope", "id": IDS[0]}],
    [{"__typename": "Product", "sku": "sku-0"}],
]
VARIABLES = {"first": 2, "after": None, "id": IDS[0], "representations": REPRESENTATIONS[0]}
VARIABLES |= {"r": REPRESENTATIONS[0], "sku": "SKU-1"}
LITERALS = {
    "id": [json.dumps(i) for i in [IDS[0], IDS[1], MISSING, "nope"]],
    "representations": [re.sub(r'"(\w+)":', r"\1:", json.dumps(r)) for r in REPRESENTATIONS],
    "sku": ['"SKU-2"', '"nope"'],
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
    among=("_entities", "products("),
)
