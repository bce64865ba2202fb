"""Traces, metrics and log ids of the kit, on the tiny subgraph: operation spans named by
OpenTelemetry's GraphQL conventions, capped operation names, trace ids in JSON log lines, and
one /metrics for several worker processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.parser import text_string_to_metric_families
from subgraph_kit.observability import tracing
from subgraph_kit.observability.metrics import ANONYMOUS, OTHER, OperationNames
from subgraph_kit.web.log_format import JsonFormatter, RequestIdFilter
from subgraph_kit_testing.http import API_KEY
from tiny_subgraph.api import schema

pytestmark = pytest.mark.anyio
TESTS = Path(__file__).parent


def test_operation_names_keep_the_first_ones_seen_and_fold_the_rest():
    names = OperationNames(limit=2)

    labels = [names.label(name) for name in ("A", "B", "C", "A", None, "D")]

    assert labels == ["A", "B", OTHER, "A", ANONYMOUS, OTHER]


def test_without_an_endpoint_an_app_installs_no_tracing(make_app: Callable[..., FastAPI]):
    app = make_app()

    assert app.state.tracer is None
    assert app.state.runtime.tracer_provider is None
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)


def test_an_endpoint_that_is_no_url_is_refused(make_app: Callable[..., FastAPI]):
    with pytest.raises(ValueError, match="http:// or https://"):
        make_app(otel_exporter_otlp_endpoint="collector:4318")


@pytest.fixture
def traced(make_app: Callable[..., FastAPI]) -> tuple[FastAPI, InMemorySpanExporter]:
    """The tiny subgraph traced as an endpoint would trace it, into memory instead."""
    app = make_app()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing.ParentBased(root=tracing.RequestsOnly()))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app.state.tracer = provider.get_tracer("test")
    tracing.trace_app(app, provider)
    tracing.trace_engine(app.state.runtime.engine, provider)
    tracing.trace_schema(schema)
    return app, exporter


async def post(app: FastAPI, make_client: Callable[..., Any], query: str) -> dict[str, Any]:
    client = await make_client(app, **{"X-API-Key": API_KEY})
    return (await client.post("/graphql", json={"query": query})).json()


async def test_an_operation_span_is_named_type_and_name_and_holds_the_sql(
    traced: tuple[FastAPI, InMemorySpanExporter], make_client: Callable[..., Any]
):
    app, exporter = traced

    await post(app, make_client, "query Page { notes(first: 2) { totalCount } }")
    spans = exporter.get_finished_spans()

    by_name = {span.name: span for span in spans}
    operation = by_name["query Page"]
    assert dict(operation.attributes) == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "Page",
        "graphql.document": "query Page { notes(first: 2) { totalCount } }",
    }
    server = by_name["POST /graphql"]
    assert server.kind is SpanKind.SERVER
    assert operation.parent.span_id == server.context.span_id
    sql = [span for span in spans if span.name.startswith("SELECT")]
    assert sql
    assert all(span.parent.span_id == operation.context.span_id for span in sql)


async def test_an_anonymous_operation_is_named_by_its_type_and_a_broken_one_generically(
    traced: tuple[FastAPI, InMemorySpanExporter], make_client: Callable[..., Any]
):
    app, exporter = traced

    await post(app, make_client, "{ __typename }")
    await post(app, make_client, "{ notes(")
    names = [span.name for span in exporter.get_finished_spans() if span.kind is SpanKind.INTERNAL]

    assert names == ["query", "GraphQL Operation"]
    assert all(
        span.status.status_code is StatusCode.UNSET for span in exporter.get_finished_spans()
    )


async def test_a_masked_error_marks_the_operation_span_failed(
    traced: tuple[FastAPI, InMemorySpanExporter], make_client: Callable[..., Any]
):
    app, exporter = traced

    answer = await post(app, make_client, "query Boom { boom }")
    operation = next(s for s in exporter.get_finished_spans() if s.name == "query Boom")

    assert answer["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert operation.status.status_code is StatusCode.ERROR
    assert operation.status.description == "INTERNAL_SERVER_ERROR"


async def test_an_untraced_app_serves_the_traced_schema_without_spans(
    traced: tuple[FastAPI, InMemorySpanExporter],
    make_app: Callable[..., FastAPI],
    make_client: Callable[..., Any],
):
    _, exporter = traced
    plain = make_app()  # the same schema object, now with GraphQLSpans among its extensions

    answer = await post(plain, make_client, "query Plain { __typename }")

    assert answer == {"data": {"__typename": "Query"}}
    assert exporter.get_finished_spans() == ()


def test_a_log_line_written_in_a_span_carries_its_trace_and_span_ids():
    tracer = TracerProvider().get_tracer("test")
    record = logging.LogRecord("app.test", logging.INFO, __file__, 1, "inside", (), None)
    outside = logging.LogRecord("app.test", logging.INFO, __file__, 1, "outside", (), None)

    with tracer.start_as_current_span("work") as span:
        RequestIdFilter().filter(record)
    RequestIdFilter().filter(outside)
    entry, plain = (json.loads(JsonFormatter().format(r)) for r in (record, outside))

    context = span.get_span_context()
    assert entry["trace_id"] == f"{context.trace_id:032x}"
    assert entry["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in plain
    assert "span_id" not in plain


WORKER = """
import sys
from starlette.testclient import TestClient
from subgraph_kit.settings import ServiceSettings
from tiny_subgraph.api import create_app

url, role = sys.argv[1], sys.argv[2]
settings = ServiceSettings(api_key="k" * 20, database_url=url, outbox_poll_seconds=3600)
with TestClient(create_app(settings)) as client:
    if role == "worker":
        assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 401
    else:
        print(client.get("/metrics").text)
"""


def test_with_a_multiprocess_dir_metrics_add_up_the_workers(sqlite_url: str, tmp_path: Path):
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "PYTHONPATH": str(TESTS)}

    def run(role: str) -> str:
        command = [sys.executable, "-c", WORKER, sqlite_url, role]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout

    run("worker")
    run("worker")
    text = run("scrape")

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples["graphql_errors_total", (("code", "UNAUTHENTICATED"),)] == 2
    assert samples["outbox_pending_events", ()] == 0
