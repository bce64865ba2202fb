"""GET /metrics on real processes: it parses with prometheus_client's own parser, and known
traffic (a write, userErrors, client errors, a masked error, a products outage) moves each
series by what that traffic is.

The subgraphs run as `make up` runs them, the outbox relay held back (OUTBOX_POLL_SECONDS)
so that what the writes stage stays pending, and inventory's breaker opening after 2
failures.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator

import httpx
import pytest
from stack import GraphQLClient, Stack, running_stack
from subgraph_kit_testing.metrics import Samples, moved, samples_of
from test_end_to_end import ADJUST, CREATE

import runner

BY_SKU = "query BySku($sku: String!) { product(sku: $sku) { id } }"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, api_key: str) -> Iterator[Stack]:
    env = {"OUTBOX_POLL_SECONDS": "3600", "PRODUCTS_BREAKER_FAILURES": "2"}
    with running_stack(tmp_path_factory.mktemp("metrics"), api_key, env=env) as stack:
        yield stack


def scrape(stack: Stack, service: str) -> Samples:
    """Every sample of the service's /metrics, by name and labels (asked without a key)."""
    response = httpx.get(stack[service].url + "/metrics", timeout=10, trust_env=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples_of(response.text)


def adjust(client: GraphQLClient, product_id: str, delta: int) -> list[str]:
    """adjustStock; the codes of its userErrors."""
    variables = {
        "productId": product_id,
        "delta": delta,
        "reason": "RECEIVED" if delta > 0 else "SOLD",
    }
    payload = client.execute(ADJUST, input=variables)["adjustStock"]
    return [error["code"] for error in payload["userErrors"]]


def post(stack: Stack, service: str, body: object, api_key: str | None) -> httpx.Response:
    headers = {} if api_key is None else {"X-API-Key": api_key}
    url = stack[service].graphql_url
    return httpx.post(url, json=body, headers=headers, timeout=10, trust_env=False)


def test_metrics_parse_and_name_every_series(stack: Stack, api_key: str) -> None:
    for service in ("products", "inventory"):
        # A labelled series appears with its first value.
        assert post(stack, service, {"query": "{ __typename }"}, api_key).status_code == 200
        names = {name for name, _ in scrape(stack, service)}
        assert {
            "graphql_request_duration_seconds_count",
            "graphql_request_duration_seconds_bucket",
            "outbox_pending_events",
            "outbox_oldest_pending_age_seconds",
            "sql_statements_total",
        } <= names, names
    assert "products_client_breaker_state" in {name for name, _ in scrape(stack, "inventory")}


def test_known_traffic_moves_each_series_by_what_it_is(stack: Stack, api_key: str) -> None:
    products = GraphQLClient(stack["products"].graphql_url, api_key)
    inventory = GraphQLClient(stack["inventory"].graphql_url, api_key)
    sku = f"m-{uuid.uuid4().hex[:8]}"
    new = {"sku": sku, "name": "Lamp", "price": {"amount": "5", "currencyCode": "EUR"}}
    before = {service: scrape(stack, service) for service in ("products", "inventory")}

    product_id = products.execute(CREATE, input=new)["createProduct"]["product"]["id"]
    duplicate = products.execute(CREATE, input=new)["createProduct"]["userErrors"]
    assert [error["code"] for error in duplicate] == ["DUPLICATE_SKU"]
    assert adjust(inventory, product_id, 5) == []
    assert adjust(inventory, product_id, -10) == ["INSUFFICIENT_STOCK"]
    assert adjust(inventory, str(uuid.uuid4()), 1) == ["PRODUCT_NOT_FOUND"]
    assert post(stack, "inventory", {"query": "{ stockLevels("}, api_key).status_code == 200
    assert post(stack, "inventory", {"query": "{ nope }"}, api_key).status_code == 200
    assert post(stack, "inventory", {"query": "{ __typename }"}, None).status_code == 401
    plain_text = httpx.post(
        stack["inventory"].graphql_url,
        content=b"{ __typename }",
        headers={"X-API-Key": api_key, "content-type": "text/plain"},
        trust_env=False,
    )
    assert plain_text.status_code == 415
    after = {service: scrape(stack, service) for service in ("products", "inventory")}

    # Products: two creates, and the three lookups inventory made for the adjustments that
    # reached products (the unknown id too; a UUID is asked about).
    assert moved(
        before["products"], after["products"], "graphql_request_duration_seconds_count"
    ) == {
        (("operation_name", "Create"), ("operation_type", "mutation")): 2,
        (("operation_name", "ProductForStock"), ("operation_type", "query")): 3,
    }
    assert moved(before["products"], after["products"], "graphql_user_errors_total") == {
        (("code", "DUPLICATE_SKU"),): 1
    }
    assert moved(before["products"], after["products"], "graphql_errors_total") == {}
    # One product row and its product.created event; the refused duplicate stages nothing.
    assert moved(before["products"], after["products"], "outbox_pending_events") == {(): 1}
    assert after["products"]["outbox_oldest_pending_age_seconds", frozenset()] > 0
    # Inserts: the row and its event, and the duplicate's INSERT the unique SKU refused;
    # selects: the three lookups, and the outbox read of the second scrape itself.
    assert moved(before["products"], after["products"], "sql_statements_total") == {
        (("verb", "insert"),): 3,
        (("verb", "select"),): 4,
    }

    inventory_calls = moved(
        before["inventory"], after["inventory"], "graphql_request_duration_seconds_count"
    )
    assert inventory_calls == {
        (("operation_name", "Adjust"), ("operation_type", "mutation")): 3,
        (("operation_name", "(invalid)"), ("operation_type", "unknown")): 1,  # did not parse
        (("operation_name", "(invalid)"), ("operation_type", "query")): 1,  # did not validate
    }
    assert moved(before["inventory"], after["inventory"], "graphql_user_errors_total") == {
        (("code", "INSUFFICIENT_STOCK"),): 1,
        (("code", "PRODUCT_NOT_FOUND"),): 1,
    }
    assert moved(before["inventory"], after["inventory"], "graphql_errors_total") == {
        (("code", "GRAPHQL_PARSE_FAILED"),): 1,
        (("code", "GRAPHQL_VALIDATION_FAILED"),): 1,
        (("code", "UNAUTHENTICATED"),): 1,
        (("code", "UNSUPPORTED_MEDIA_TYPE"),): 1,
    }
    assert moved(before["inventory"], after["inventory"], "products_client_calls_total") == {
        (("breaker_state", "closed"), ("outcome", "found")): 2,
        (("breaker_state", "closed"), ("outcome", "not_found")): 1,
    }
    staged = moved(before["inventory"], after["inventory"], "outbox_pending_events")
    assert staged == {(): 2}  # the one applied adjustment: stock.changed, stock.replenished
    products.close()
    inventory.close()


def test_an_unexpected_error_is_counted_as_the_masked_code_it_answers(
    stack: Stack, api_key: str
) -> None:
    database = stack.workdir / "products.db"
    before = scrape(stack, "products")
    with sqlite3.connect(database) as connection:  # products' table goes away under it
        connection.execute("ALTER TABLE products RENAME TO products_hidden")
    try:
        answer = post(stack, "products", {"query": BY_SKU, "variables": {"sku": "X"}}, api_key)
    finally:
        with sqlite3.connect(database) as connection:
            connection.execute("ALTER TABLE products_hidden RENAME TO products")
    after = scrape(stack, "products")

    assert answer.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert moved(before, after, "graphql_errors_total") == {(("code", "INTERNAL_SERVER_ERROR"),): 1}
    assert moved(before, after, "graphql_request_duration_seconds_count") == {
        (("operation_name", "BySku"), ("operation_type", "query")): 1
    }


def test_a_products_outage_is_counted_by_outcome_and_breaker_state(
    stack: Stack, api_key: str
) -> None:
    inventory = GraphQLClient(stack["inventory"].graphql_url, api_key)
    before = scrape(stack, "inventory")
    runner.stop([stack["products"]])

    codes = [adjust(inventory, str(uuid.uuid4()), 1) for _ in range(3)]
    after = scrape(stack, "inventory")
    inventory.close()

    assert codes == [["PRODUCTS_UNAVAILABLE"]] * 3
    # Two calls fail (three tries each, one call each), which opens the circuit; the third
    # is refused without a call.
    assert moved(before, after, "products_client_calls_total") == {
        (("breaker_state", "closed"), ("outcome", "unavailable")): 2,
        (("breaker_state", "open"), ("outcome", "refused")): 1,
    }
    states = {
        dict(labels)["state"]: value
        for (name, labels), value in after.items()
        if name == "products_client_breaker_state"
    }
    assert states == {"closed": 0, "open": 1, "half_open": 0}
    assert moved(before, after, "graphql_user_errors_total") == {
        (("code", "PRODUCTS_UNAVAILABLE"),): 3
    }
