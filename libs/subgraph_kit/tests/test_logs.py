"""Log lines: one JSON object each in production, plain in development, with request ids."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from subgraph_kit.settings import ServiceSettings
from subgraph_kit.web.log_format import JsonFormatter, RequestIdFilter, configure_logging
from tiny_subgraph.api import SECRET

pytestmark = pytest.mark.anyio


def test_the_json_formatter_writes_a_record_as_one_json_object():
    record = logging.LogRecord("app.test", logging.WARNING, __file__, 1, "got %s", ("it",), None)
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry | {"time": "t"} == {
        "time": "t",
        "level": "WARNING",
        "logger": "app.test",
        "message": "got it",
        "requestId": "-",
    }


def test_the_json_formatter_keeps_a_traceback_on_the_same_line():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("app.test", logging.ERROR, __file__, 1, "failed", (), exc_info)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "second line" in json.loads(line)["exception"]


async def boom(make_app, make_client, **settings: object) -> None:
    app = make_app(api_key="k-8f3a-0c41-77d2-9e1b", **settings)
    client = await make_client(
        app, **{"X-API-Key": "k-8f3a-0c41-77d2-9e1b", "X-Request-ID": "trace-7"}
    )
    await client.post("/graphql", json={"query": "{ boom }"})


async def test_production_logs_one_json_object_per_line(make_app, make_client, capsys):
    await boom(make_app, make_client, environment="production")
    lines = capsys.readouterr().err.splitlines()
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines)


async def test_production_logs_an_unexpected_error_with_its_request_id(
    make_app, make_client, capsys
):
    await boom(make_app, make_client, environment="production")
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (error,) = [entry for entry in entries if entry["logger"] == "app.graphql"]
    assert (error["level"], error["requestId"]) == ("ERROR", "trace-7")
    assert SECRET in error["exception"]


async def test_development_logs_plain_lines_with_the_request_id(make_app, make_client, capsys):
    await boom(make_app, make_client)
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "app.graphql" in line]
    assert " ERROR app.graphql [trace-7] unexpected error in boom (request trace-7)" in line


@pytest.mark.parametrize("access_log", [True, False])
def test_uvicorns_access_log_stays_as_its_command_line_set_it(access_log):
    access = logging.getLogger("uvicorn.access")
    saved = access.handlers[:], access.propagate
    # What uvicorn leaves: a handler of its own, or (--no-access-log) none and no propagation.
    access.handlers[:] = [logging.NullHandler()] if access_log else []
    access.propagate = False
    try:
        configure_logging(ServiceSettings(database_url="sqlite://"))
        assert access.propagate is access_log
        assert access.handlers == []
    finally:
        access.handlers[:], access.propagate = saved
