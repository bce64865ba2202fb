"""Abusive documents cost a real subgraph process milliseconds, and never starve its /health.

A document of about 1 KB whose fragments each spread the next one twice used to keep a
subgraph busy for minutes (the depth and alias limits walked every one of its 2^n paths), and
any document up to the body limit was lexed on the event loop. Both are bounded now; these
tests hold a real products process to that, under concurrent abuse.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
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


# The abusers run in a process of their own: threads of this one would hold its GIL and
# delay the probes by the test's own work (up to 140 ms on 2 cores), not the server's.
ABUSER = """
import json, sys, threading, time, httpx
url, key, seconds, bodies = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.load(sys.stdin)
statuses, stop = [], time.monotonic() + seconds
def abuse():
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with httpx.Client(headers=headers, timeout=30) as client:
        while time.monotonic() < stop:
            for body in bodies:
                statuses.append(client.post(url, content=body.encode()).status_code)
threads = [threading.Thread(target=abuse) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(statuses))
"""


def test_health_answers_within_100_ms_while_abusive_documents_keep_arriving(products: str):
    bodies = [json.dumps({"query": document}) for document in ABUSE.values()]
    abusers = subprocess.Popen(
        [sys.executable, "-c", ABUSER, f"{products}/graphql", KEY, "3.5"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert abusers.stdin is not None
        abusers.stdin.write(json.dumps(bodies))
        abusers.stdin.close()
        time.sleep(0.3)  # let the abuse begin
        latencies = []
        with httpx.Client(timeout=5) as client:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                started = time.perf_counter()
                assert client.get(f"{products}/health").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
        assert abusers.stdout is not None
        output = abusers.stdout.read()
        abusers.wait(timeout=60)
    finally:
        if abusers.poll() is None:
            abusers.kill()
            abusers.wait()
    answered = json.loads(output)
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
