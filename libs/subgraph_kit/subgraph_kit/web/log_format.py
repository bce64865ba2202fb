"""Log lines: plain in development, one JSON object per line in production, with request ids."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace

from subgraph_kit.settings import ServiceSettings
from subgraph_kit.web.request_id import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamp every record with the id of the request being served ('-' outside requests) and,
    in a traced request, the ids of its trace and of the span the line was written in."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = trace.format_trace_id(span.trace_id)
            record.span_id = trace.format_span_id(span.span_id)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers in production."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": getattr(record, "request_id", "-"),
        }
        # OpenTelemetry's names for them, which log pipelines link to the trace.
        if hasattr(record, "trace_id"):
            entry["trace_id"] = record.trace_id
            entry["span_id"] = record.span_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


def configure_logging(settings: ServiceSettings) -> None:
    """Plain lines in development, JSON lines in production, uvicorn's own loggers included."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if settings.environment == "production":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        # `--no-access-log` leaves uvicorn.access with no handler and no propagation: keep it
        # off, or every request would write a line (and cost its CPU) anyway.
        enabled = uvicorn_logger.propagate or bool(uvicorn_logger.handlers)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = enabled
