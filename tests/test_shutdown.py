"""Graceful shutdown: on SIGTERM a subgraph stops accepting, finishes the request in flight,
drains its outbox relay and exits 0."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import runner

KEY = "shutdown-test-key"
CREATE = (
    'mutation { createProduct(input: {sku: "%s", name: "Lamp", '
    'price: {amount: "1", currencyCode: "EUR"}}) { product { id } } }'
)


@pytest.fixture
def products(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path, Path]]:
    """products on SQLite, polling its outbox only hourly so events wait for the shutdown."""
    database, log = tmp_path / "products.db", tmp_path / "products.log"
    url = f"sqlite:///{database}"
    runner.migrate({"products": ("products", url)}, tmp_path)
    env = {"API_KEY": KEY, "OUTBOX_POLL_SECONDS": "3600", "SHUTDOWN_GRACE_SECONDS": "10"}

    def build() -> list[runner.Process]:
        return [runner.subgraph("products", runner.free_ports(1)[0], url, env=env, log=log)]

    try:
        [server] = runner.start(build)
    except runner.StartupFailed as error:
        pytest.fail(f"products did not start: {error}\n{runner.tail(log)}")
    assert server.popen is not None
    try:
        yield server.popen, server.port, database, log
    finally:
        server.stop()


def test_sigterm_finishes_the_request_in_flight_drains_events_and_exits_0(products):
    server, port, database, log = products
    url = f"http://127.0.0.1:{port}/graphql"
    headers = {"X-API-Key": KEY}
    created = httpx.post(url, json={"query": CREATE % "BEFORE-1"}, headers=headers).json()
    assert created["data"]["createProduct"]["product"]["id"]

    # A request whose body is still arriving when SIGTERM comes.
    body = json.dumps({"query": CREATE % "IN-FLIGHT-1"}).encode()
    in_flight = socket.create_connection(("127.0.0.1", port), timeout=10)
    in_flight.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"X-API-Key: {KEY}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    time.sleep(0.3)
    server.send_signal(signal.SIGTERM)
    time.sleep(0.5)

    with pytest.raises(ConnectionRefusedError):  # no longer accepting
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    in_flight.sendall(body[10:])
    response = b""
    while chunk := in_flight.recv(65536):  # the server closes the connection after answering
        response += chunk
    in_flight.close()
    response = response.decode()

    assert response.startswith("HTTP/1.1 200"), response
    assert '"product":{"id"' in response
    assert server.wait(timeout=15) == 0
    with sqlite3.connect(database) as connection:
        skus = [row[0] for row in connection.execute("SELECT sku FROM products ORDER BY sku")]
        pending = connection.execute("SELECT count(*) FROM outbox_events WHERE sent_at IS NULL")
        assert skus == ["BEFORE-1", "IN-FLIGHT-1"]
        assert pending.fetchone()[0] == 0
    output = log.read_text()
    assert output.count('"event":"ProductCreated"') == 2
    assert "drained 2 event(s) at shutdown" in output
