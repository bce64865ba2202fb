"""Fuzzing with Schemathesis against real products and inventory processes (SQLite).

Every root field of each subgraph's GraphQL endpoint (sent with the API key; `_entities` and
`_service` included) and every operation of its OpenAPI document get generated requests, valid
and invalid ones, plus Schemathesis's deterministic coverage cases for the OpenAPI routes, and
raw bodies posted to each /graphql (any bytes, any JSON value, any member types, deep nesting,
odd media types and Accept headers), not only schema-valid documents. Each
response must be under 500, hold no INTERNAL_SERVER_ERROR and arrive within 2 s. Business
errors are data (userErrors) and refused requests are client errors (BAD_USER_INPUT,
GRAPHQL_VALIDATION_FAILED, 4xx), so neither counts as a failure.

FUZZ_EXAMPLES bounds the generated requests per operation and mode: small by default so that
`make test` stays fast, large under `make fuzz`. Generation is derandomised, so a failure comes
back on the next run; FUZZ_SEED=<n> explores another fixed sequence.

Schemathesis's pytest integration (`@schema.parametrize()`, `from_fixture`) does not run under
pytest 9.2 (it writes `Node._nodeid`), so each operation's `as_strategy()` is driven here with
Hypothesis's `@given`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from unittest import SkipTest

import graphql
import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup, ResponseTimeExceeded
from schemathesis.graphql import nodes
from stack import GraphQLClient, Stack, running_stack

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ_SEED = os.environ.get("FUZZ_SEED")
MAX_SECONDS = 2.0
SEEDED_PRODUCTS = 12
TARGETS = ["products-graphql", "inventory-graphql", "products-openapi", "inventory-openapi"]

TRIED: Counter[str] = Counter()  # requests sent per target, reported by the last test

CREATE = """mutation ($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } userErrors { code } } }"""
ADJUST = """mutation ($input: AdjustStockInput!) {
  adjustStock(input: $input) { stockLevel { version } userErrors { code } } }"""


class InternalServerError(Failure):
    """A GraphQL error with `extensions.code` INTERNAL_SERVER_ERROR: an unexpected exception."""

    code = "internal_server_error"


def no_internal_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    try:
        body = response.json()
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
        for e in errors
    ):
        raise InternalServerError(
            operation=case.operation.label, title="INTERNAL_SERVER_ERROR", message=str(errors)
        )
    return None


def answered_in_time(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    if response.elapsed > MAX_SECONDS:
        raise ResponseTimeExceeded(
            operation=case.operation.label,
            message=f"answered in {response.elapsed:.2f} s, more than {MAX_SECONDS} s",
            elapsed=response.elapsed,
            deadline=MAX_SECONDS,
        )
    return None


CHECKS = [not_a_server_error, no_internal_server_error, answered_in_time]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("fuzz"), api_key) as stack:
        yield stack


@pytest.fixture(scope="module")
def product_ids(stack: Stack, api_key: str) -> list[str]:
    """Products, every other one stocked, whose ids most generated IDs are."""
    ids = []
    with (
        GraphQLClient(stack["products"].graphql_url, api_key) as products,
        GraphQLClient(stack["inventory"].graphql_url, api_key) as inventory,
    ):
        for i in range(SEEDED_PRODUCTS):
            price = {"amount": f"{i}.50", "currencyCode": "EUR"}
            product = {"sku": f"FUZZ-{i}", "name": f"Fuzz {i}", "price": price}
            ids.append(products.execute(CREATE, input=product)["createProduct"]["product"]["id"])
            if i % 2:
                stock = {"productId": ids[-1], "delta": 10 + i, "reason": "RECEIVED"}
                assert inventory.execute(ADJUST, input=stock)["adjustStock"]["userErrors"] == []
    return ids


def field(name: str, value: str) -> graphql.ObjectFieldNode:
    return graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=nodes.String(value))


def register_scalars(product_ids: list[str]) -> None:
    """Strategies for the custom scalars (Schemathesis has none for them), and IDs that are
    mostly the seeded products'. The registry is global to the process."""
    ids = st.one_of(st.sampled_from(product_ids), st.uuids().map(str), st.text(max_size=40))
    decimals = st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["1e999999", "-0", "0.001", "9" * 400, "12.345", "-Infinity"]),
        st.text(max_size=20),
    )
    representations = st.one_of(
        st.builds(
            lambda typename, id_: nodes.Object([field("__typename", typename), field("id", id_)]),
            st.sampled_from(["Product", "Product", "Money", "Other"]),
            ids,
        ),
        ids.map(lambda id_: nodes.Object([field("id", id_)])),  # no __typename
        ids.map(nodes.String),  # no object at all
    )
    schemathesis.graphql.scalar("ID", ids.map(nodes.String))
    schemathesis.graphql.scalar("Decimal", decimals.map(nodes.String))
    schemathesis.graphql.scalar("_Any", representations)


@pytest.fixture(scope="module")
def schemas(stack: Stack, api_key: str, product_ids: list[str]) -> dict[str, BaseSchema]:
    register_scalars(product_ids)
    config = schemathesis.Config.from_dict({"headers": {"X-API-Key": api_key}})
    loaded: dict[str, BaseSchema] = {}
    for service in ("products", "inventory"):
        process = stack[service]
        graphql_schema = schemathesis.graphql.from_url(
            process.graphql_url, config=config, headers={"X-API-Key": api_key}
        )
        # Federation's `_entities` and `_service` are left out unless included by name.
        loaded[f"{service}-graphql"] = graphql_schema.include(name_regex=".")
        loaded[f"{service}-openapi"] = schemathesis.openapi.from_url(
            process.url + "/openapi.json", config=config
        )
    return loaded


def coverage_cases(schema: BaseSchema, operation: APIOperation) -> Iterator[Case]:
    """Schemathesis's deterministic boundary cases: unexpected methods, missing or odd
    parameters and headers (OpenAPI only: GraphQL has none yet)."""
    config = schema.config.generation_for(operation=operation, phase="coverage")
    yield from schema.iter_coverage_cases(
        operation, generation_modes=list(GenerationMode), generation_config=config
    )


def fuzz(operation: APIOperation, mode: GenerationMode, send: Callable[[Case], None]) -> None:
    """Send up to FUZZ_EXAMPLES generated requests; raise the first failure, shrunk."""

    @hypothesis.settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=FUZZ_SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        send(case)

    if FUZZ_SEED is not None:
        run = hypothesis.seed(int(FUZZ_SEED))(run)
    run()


@pytest.mark.parametrize("target", TARGETS)
def test_fuzzed_requests_get_no_server_error_and_an_answer_within_two_seconds(
    schemas: dict[str, BaseSchema], target: str
) -> None:
    schema = schemas[target]

    def send(case: Case) -> None:
        TRIED[target] += 1
        case.call_and_validate(checks=CHECKS, timeout=10)

    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{target}: no operations found"
    for operation in operations:
        try:
            for case in coverage_cases(schema, operation):
                send(case)
        except FailureGroup as group:
            failures.append(f"{operation.label} (coverage):\n{group}")
        for mode in GenerationMode:
            try:
                fuzz(operation, mode, send)
            except FailureGroup as group:
                failures.append(f"{operation.label} ({mode.value}):\n{group}")
            except (Unsatisfiable, SkipTest):
                assert mode is GenerationMode.NEGATIVE  # no argument to make invalid
    assert not failures, "\n\n".join(failures)


def graphql_json(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
REQUEST_MEMBERS = st.fixed_dictionaries(
    {},
    optional={
        "query": st.one_of(
            JSON_VALUES, st.sampled_from(["{ __typename }", "{", "query A {a} query B {b}"])
        ),
        "variables": JSON_VALUES,
        "operationName": JSON_VALUES,
        "extensions": JSON_VALUES,
    },
)
RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(graphql_json),
    REQUEST_MEMBERS.map(graphql_json),
    st.integers(1, 60_000).map(lambda depth: b"[" * depth + b"]" * depth),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/JSON; charset=utf-8",
        "application/json+evil",
        "application/graphql",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ]
)
ACCEPTS = st.sampled_from(
    ["application/json", "application/graphql-response+json", "*/*", "text/html", ""]
)


@pytest.mark.parametrize("service", ["products", "inventory"])
def test_raw_bodies_get_a_client_error_never_a_server_error(
    stack: Stack, api_key: str, service: str
) -> None:
    """Not only schema-valid requests: any bytes, any JSON, any media type."""
    url = stack[service].graphql_url

    @hypothesis.settings(
        max_examples=FUZZ_EXAMPLES * 8,
        derandomize=FUZZ_SEED is None,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=RAW_BODIES, content_type=CONTENT_TYPES, accept=ACCEPTS)
    def post(body: bytes, content_type: str, accept: str) -> None:
        TRIED[f"{service}-raw"] += 1
        headers = {"X-API-Key": api_key, "Content-Type": content_type, "Accept": accept}
        response = client.post(url, content=body, headers=headers)
        assert response.status_code < 500, response.text
        assert "INTERNAL_SERVER_ERROR" not in response.text, response.text
        assert response.elapsed.total_seconds() < MAX_SECONDS
        assert "errors" in response.json() or "data" in response.json()

    with httpx.Client(timeout=10) as client:
        post()


def test_every_target_was_fuzzed(capsys: pytest.CaptureFixture[str]) -> None:
    """Report how many requests each target got (shown without -s)."""
    summary = ", ".join(f"{target}: {TRIED[target]}" for target in sorted(TRIED))
    with capsys.disabled():
        print(f"\nfuzz, {FUZZ_EXAMPLES} examples per operation and mode: {summary}")
    raw = [f"{service}-raw" for service in ("products", "inventory")]
    assert all(TRIED[target] > 0 for target in [*TARGETS, *raw]), summary
