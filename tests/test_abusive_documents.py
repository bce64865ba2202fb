"""Abusive documents cost a real subgraph process milliseconds, and never starve its /health.

A document of about 1 KB whose fragments each spread the next one twice used to keep a
subgraph busy for minutes (the depth and alias limits walked every one of its 2^n paths), and
any document up to the body limit was lexed on the event loop. Both are bounded now; these
tests hold a real products process to that, under concurrent abuse.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

import runner

KEY = "abuse-test-key"
HEALTH_BUDGET_SECONDS = 0.1
DOCUMENT_BUDGET_SECONDS = 0.5


def fan_out(levels: int, leaf: str) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    fragments.append(f"fragment F{levels - 1} on Query {{ {leaf} }}")
    return "query Fan { ...F0 }\n" + "\n".join(fragments)


ABUSE = {
    # 2^39 aliases once expanded, in 1.6 KB: refused by the alias limit.
    "fan-out of aliases": fan_out(40, "a: __typename"),
    # The same fan-out without aliases is a valid document: answered.
    "fan-out": fan_out(40, "__typename"),
    # Close to the body limit, all of it to lex: refused by its size.
    "a mebibyte of comment": "#" + "x" * 1_000_000 + "\n{ __typename }",
}


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("abuse")
    database = f"sqlite:///{workdir / 'products.db'}"
    runner.migrate({"products": ("products", database)}, workdir)

    def build() -> list[runner.Process]:
        (port,) = runner.free_ports(1)
        env = {"API_KEY": KEY}
        return [runner.subgraph("products", port, database, env=env, log=workdir / "p.log")]

    processes = runner.start(build)
    try:
        yield processes[0].url
    finally:
        runner.stop(processes)


def post(url: str, document: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql", json={"query": document}, headers={"X-API-Key": KEY}, timeout=30
    )


@pytest.mark.parametrize("name", list(ABUSE))
def test_an_abusive_document_is_answered_in_milliseconds_not_minutes(products: str, name: str):
    post(products, ABUSE[name])  # warm up: the first request of a process pays for imports
    started = time.perf_counter()
    response = post(products, ABUSE[name])
    elapsed = time.perf_counter() - started
    assert response.status_code < 500, response.text
    # Milliseconds when the machine is quiet; the old limits took minutes (2^39 paths), so a
    # generous bound keeps the test meaningful on a loaded CI machine.
    assert elapsed < DOCUMENT_BUDGET_SECONDS, f"{name}: {elapsed * 1000:.0f} ms"


def test_health_answers_within_100_ms_while_abusive_documents_keep_arriving(products: str):
    stop = threading.Event()
    answered: list[int] = []

    def abuse() -> None:
        with httpx.Client(headers={"X-API-Key": KEY}, timeout=30) as client:
            while not stop.is_set():
                for document in ABUSE.values():
                    response = client.post(f"{products}/graphql", json={"query": document})
                    answered.append(response.status_code)

    abusers = [threading.Thread(target=abuse) for _ in range(4)]
    for thread in abusers:
        thread.start()
    latencies = []
    try:
        with httpx.Client(timeout=5) as client:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                started = time.perf_counter()
                assert client.get(f"{products}/health").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
    finally:
        stop.set()
        for thread in abusers:
            thread.join(timeout=30)
    assert len(answered) > 20, "the abuse did not run"
    assert all(status < 500 for status in answered)
    worst = max(latencies)
    print(
        f"/health under abuse: worst {worst * 1000:.1f} ms, median "
        f"{statistics.median(latencies) * 1000:.1f} ms, {len(latencies)} probes, "
        f"{len(answered)} abusive requests answered"
    )
    assert worst < HEALTH_BUDGET_SECONDS, (
        f"/health took up to {worst * 1000:.0f} ms (median "
        f"{statistics.median(latencies) * 1000:.0f} ms) over {len(latencies)} probes"
    )
