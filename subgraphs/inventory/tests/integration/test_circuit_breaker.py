"""The circuit breaker in front of the catalog client, against a products that misbehaves:
when it opens, what it says, the one trial call of a half-open circuit, how failures of calls
in flight together count, and readiness, which goes around it."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from fastapi import FastAPI
from subgraph_kit_testing.http import in_process

from app.domain.errors import ProductsUnavailable
from app.infrastructure.products_client import GqlProductCatalog
from app.main import create_app
from app.settings import Settings
from tests.integration.misbehaving_products import (
    ABSENT,
    PRODUCTS_KEY,
    REFUSED,
    catalog_for,
    url_of,
)

pytestmark = pytest.mark.anyio

BREAKER = {"products_breaker_failures": 5, "products_breaker_reset_seconds": 0.5}


async def fail_times(catalog: GqlProductCatalog, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ProductsUnavailable):
            await catalog.fetch(uuid.uuid4())


async def test_five_failures_open_the_circuit_and_calls_then_fail_at_once(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        assert misbehaving.hits == 5
        started = time.monotonic()
        await fail_times(catalog, 20)
        assert time.monotonic() - started < 0.2
        assert misbehaving.hits == 5  # products was not called while the circuit was open
    finally:
        await catalog.close()


async def test_fewer_failures_than_the_threshold_keep_the_circuit_closed(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 4)
        misbehaving.status, misbehaving.body = 200, ABSENT
        assert await catalog.fetch(uuid.uuid4()) is None  # a success resets the count
        misbehaving.status, misbehaving.body = 500, REFUSED
        await fail_times(catalog, 4)
        assert misbehaving.hits == 9
    finally:
        await catalog.close()


async def test_after_the_reset_time_one_successful_call_closes_the_circuit(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        misbehaving.status, misbehaving.body = 200, ABSENT
        await fail_times(catalog, 1)  # still open
        await asyncio.sleep(0.6)
        assert await catalog.fetch(uuid.uuid4()) is None  # half-open: this call goes through
        assert await catalog.fetch(uuid.uuid4()) is None  # closed again
        assert misbehaving.hits == 7
    finally:
        await catalog.close()


async def test_a_failed_call_while_half_open_reopens_the_circuit(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        await asyncio.sleep(0.6)
        await fail_times(catalog, 1)  # the half-open trial reaches products and fails
        assert misbehaving.hits == 6
        await fail_times(catalog, 3)
        assert misbehaving.hits == 6  # open again: no more calls
    finally:
        await catalog.close()


async def fail_together(catalog: GqlProductCatalog, calls: int) -> list[BaseException | None]:
    """Make `calls` lookups at once; the outcome of each (None when products said absent)."""
    outcomes: list[BaseException | None] = []

    async def look_up() -> None:
        try:
            outcomes.append(await catalog.fetch(uuid.uuid4()))
        except ProductsUnavailable as error:
            outcomes.append(error)

    async with anyio.create_task_group() as group:
        for _ in range(calls):
            group.start_soon(look_up)
    return outcomes


async def test_a_half_open_circuit_lets_exactly_one_of_many_concurrent_calls_through(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        misbehaving.status, misbehaving.body, misbehaving.delay = 200, ABSENT, 0.3
        await asyncio.sleep(0.6)
        outcomes = await fail_together(catalog, 10)
        assert misbehaving.hits == 6  # the trial only
        assert outcomes.count(None) == 1
        refusals = [str(outcome) for outcome in outcomes if outcome is not None]
        assert len(refusals) == 9
        assert all("(circuit half-open)" in refusal for refusal in refusals)
        assert await catalog.fetch(uuid.uuid4()) is None  # the trial closed it
        assert misbehaving.hits == 7
    finally:
        await catalog.close()


async def test_a_refusal_by_the_open_circuit_says_it_is_open_and_until_when(misbehaving):
    catalog = await catalog_for(
        url_of(misbehaving), products_breaker_failures=5, products_breaker_reset_seconds=30
    )
    try:
        await fail_times(catalog, 5)
        opened = datetime.now(UTC)
        with pytest.raises(ProductsUnavailable) as refused:
            await catalog.fetch(uuid.uuid4())
    finally:
        await catalog.close()
    assert misbehaving.hits == 5
    error = refused.value
    assert (error.code, error.field) == ("PRODUCTS_UNAVAILABLE", ("productId",))
    found = re.fullmatch(
        r"Products has failed repeatedly; not asking it again until (\S+) \(circuit open\); "
        r"nothing was written\.",
        error.message,
    )
    assert found, error.message
    retry_at = datetime.strptime(found[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(seconds=29) <= retry_at - opened <= timedelta(seconds=31)


async def test_a_call_that_failed_says_products_did_not_answer(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        with pytest.raises(ProductsUnavailable, match="did not answer"):
            await catalog.fetch(uuid.uuid4())
    finally:
        await catalog.close()


async def test_failures_of_calls_in_flight_together_count_once(misbehaving):
    misbehaving.delay = 0.2
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        outcomes = await fail_together(catalog, 5)
        assert all(isinstance(outcome, ProductsUnavailable) for outcome in outcomes)
        await fail_times(catalog, 3)  # one blip and three failures: four in a row
        assert misbehaving.hits == 8  # still closed: every call reached products
        await fail_times(catalog, 1)
        await fail_times(catalog, 3)
        assert misbehaving.hits == 9  # the fifth opened it
    finally:
        await catalog.close()


async def test_a_trial_call_cancelled_before_its_outcome_lets_the_next_call_try(misbehaving):
    catalog = await catalog_for(url_of(misbehaving), **BREAKER)
    try:
        await fail_times(catalog, 5)
        misbehaving.status, misbehaving.body, misbehaving.delay = 200, ABSENT, 1.0
        await asyncio.sleep(0.6)
        with anyio.move_on_after(0.2):
            await catalog.fetch(uuid.uuid4())  # the trial, abandoned by its caller
        misbehaving.delay = 0.0
        assert await catalog.fetch(uuid.uuid4()) is None  # the next trial, not a refusal
        assert misbehaving.hits == 7
    finally:
        await catalog.close()


@pytest.fixture
async def ready_app(misbehaving, tmp_path) -> AsyncIterator[tuple[FastAPI, GqlProductCatalog]]:
    """The inventory app with its real catalog client pointed at the misbehaving products."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'inventory.db'}",
        products_url=url_of(misbehaving),
        products_api_key=PRODUCTS_KEY,
        products_breaker_failures=5,
        products_breaker_reset_seconds=30,  # open for the whole test
    )
    catalog = GqlProductCatalog(settings)
    app = create_app(settings, catalog=catalog)
    await catalog.connect()
    try:
        yield app, catalog
    finally:
        await catalog.close()
        app.state.runtime.engine.dispose()


async def products_readiness(app: FastAPI) -> str:
    async with in_process(app) as http:
        response = await http.get("/health/ready")
    assert response.status_code == 200, response.text
    return response.json()["products"]


async def test_readiness_reports_products_up_as_soon_as_it_is_back_while_the_circuit_is_open(
    misbehaving, ready_app
):
    app, catalog = ready_app
    await fail_times(catalog, 5)
    assert await products_readiness(app) == "down"
    misbehaving.status, misbehaving.body = 200, ABSENT
    assert await products_readiness(app) == "up"
    await fail_times(catalog, 1)  # readiness neither closed the circuit nor tried through it
    assert misbehaving.hits == 7


async def test_failing_readiness_pings_do_not_open_the_circuit(misbehaving, ready_app):
    app, catalog = ready_app
    for _ in range(10):
        assert await products_readiness(app) == "down"
    # A ping that gives up before it reaches products (a loaded machine) is not a hit.
    pinged = misbehaving.hits
    misbehaving.status, misbehaving.body = 200, ABSENT
    assert await catalog.fetch(uuid.uuid4()) is None
    assert pinged >= 5
    assert misbehaving.hits == pinged + 1  # the circuit let the call through
