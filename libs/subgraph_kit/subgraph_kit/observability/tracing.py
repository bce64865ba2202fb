"""Traces over OTLP/HTTP, from the libraries' own instrumentations, when an endpoint is set.

Without `OTEL_EXPORTER_OTLP_ENDPOINT` nothing here is installed: no middleware, no SQL event
listener, no GraphQL extension, so an untraced request costs what it cost before tracing.
With it, the FastAPI instrumentation opens a server span per request (continuing the caller's
W3C `traceparent`), `GraphQLSpans` a span per operation, SQLAlchemy's a span per statement,
and (inventory) httpx's a span per call to products, which carries the trace on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes
from sqlalchemy import Engine
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema

from subgraph_kit.observability.operations import selected_operation
from subgraph_kit.settings import ServiceSettings

# Liveness, readiness and scrapes are polled every few seconds: tracing them is only noise.
UNTRACED_URLS = "/health,/metrics,/explorer-assets"
# Error codes that are the server's fault; client mistakes leave the operation span unset.
SERVER_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR", "TIMEOUT"})


class RequestsOnly(Sampler):
    """Start traces at requests only: a span without a parent is kept if it serves a request.

    The outbox relay, housekeeping jobs and readiness pings run SQL and HTTP outside any
    request, every second or so; as roots of their own they would bury the requests' traces.
    Behind `ParentBased`, spans with a parent follow it (the caller's sampled flag included).
    """

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
    ) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if kind is SpanKind.SERVER else Decision.DROP
        return SamplingResult(decision, attributes if decision.is_sampled() else None)

    def get_description(self) -> str:
        return "RequestsOnly"


def tracer_provider(settings: ServiceSettings, *, service_name: str) -> TracerProvider | None:
    """A provider exporting to `OTEL_EXPORTER_OTLP_ENDPOINT` over OTLP/HTTP, or None when unset.

    The exporter's other OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression) and
    OTEL_RESOURCE_ATTRIBUTES apply as the SDK documents them; OTEL_BSP_* tune the batching.
    """
    endpoint = settings.otel_exporter_otlp_endpoint
    if endpoint is None:
        return None
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}),
        sampler=ParentBased(root=RequestsOnly()),
    )
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def trace_app(app: FastAPI, provider: TracerProvider) -> None:
    """A server span per request, continuing the caller's trace (W3C `traceparent`)."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        meter_provider=NoOpMeterProvider(),  # metrics are Prometheus's (see metrics.py)
        excluded_urls=UNTRACED_URLS,
        exclude_spans=["receive", "send"],  # one span per ASGI message would double the cost
    )


def trace_engine(engine: Engine, provider: TracerProvider) -> None:
    """A client span per SQL statement `engine` runs, in the span of the request that runs it."""
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", tracer_provider=provider)
    # The instrumentor itself would also patch `create_engine` process-wide; its per-engine
    # tracer is what it installs on an engine it is given.
    connections = NoOpMeterProvider().get_meter("sqlalchemy").create_up_down_counter("unused")
    EngineTracer(tracer, engine, connections)


def trace_schema(schema: Schema) -> None:
    """Give every operation of `schema` its span (once, whichever app asks first)."""
    if GraphQLSpans not in schema.extensions:
        schema.extensions = (GraphQLSpans, *schema.extensions)


class GraphQLSpans(SchemaExtension):
    """One span per GraphQL operation, named and described as OpenTelemetry's GraphQL semantic
    conventions say: `{graphql.operation.type} {graphql.operation.name}`, with the document.

    Strawberry's own OpenTelemetryExtension names spans `GraphQL Query: …` whatever the
    operation type, opens a span per resolver (its arguments as attributes), and does not make
    the operation's span current, so the SQL a resolver runs in a worker thread would not
    find its parent. The tracer is the app's (`app.state.tracer`): an app without tracing
    leaves its requests untraced even when another app in the process traces the schema.
    """

    def on_operation(self) -> Iterator[None]:
        request = getattr(self.execution_context.context, "request", None)
        tracer = getattr(getattr(getattr(request, "app", None), "state", None), "tracer", None)
        if tracer is None:
            yield
            return
        # A document that does not parse leaves by an exception, not as an error of the span.
        with tracer.start_as_current_span(
            "GraphQL Operation", record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield
            finally:
                self._describe(span)

    def _describe(self, span: trace.Span) -> None:
        context = self.execution_context
        operation = selected_operation(context)
        if operation is not None:
            kind = operation.operation.value
            span.set_attribute("graphql.operation.type", kind)
            if operation.name is not None:
                span.set_attribute("graphql.operation.name", operation.name.value)
                span.update_name(f"{kind} {operation.name.value}")
            else:
                span.update_name(kind)
        if context.query:
            span.set_attribute("graphql.document", context.query)
        result = context.result
        codes = {(error.extensions or {}).get("code") for error in (result and result.errors) or ()}
        if codes & SERVER_ERROR_CODES:
            span.set_status(Status(StatusCode.ERROR, ", ".join(sorted(codes & SERVER_ERROR_CODES))))
