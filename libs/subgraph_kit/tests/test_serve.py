"""`subgraph-serve`: WEB_CONCURRENCY workers, and several workers' metrics shared."""

import os

import pytest
from subgraph_kit import serve


@pytest.fixture
def started(monkeypatch):
    """`serve.main` with uvicorn's main replaced: what the environment then holds."""
    seen = {}
    monkeypatch.setattr(serve, "uvicorn_main", lambda: seen.update(os.environ))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setattr(serve.signal, "signal", lambda *_: None)

    def start(workers: str) -> dict[str, str]:
        monkeypatch.setenv("WEB_CONCURRENCY", workers)
        serve.main()
        return seen

    return start


@pytest.mark.parametrize(("value", "workers"), [("", "1"), (" 1 ", "1"), ("3", "3")])
def test_web_concurrency_is_what_uvicorn_reads_and_empty_means_one(started, value, workers):
    assert started(value)["WEB_CONCURRENCY"] == workers


def test_one_worker_keeps_its_metrics_in_memory(started):
    assert "PROMETHEUS_MULTIPROC_DIR" not in started("1")


def test_several_workers_share_their_metrics_in_a_directory_of_their_own(started):
    folder = started("2")["PROMETHEUS_MULTIPROC_DIR"]
    assert os.path.isdir(folder)
    assert not os.listdir(folder)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_web_concurrency_that_is_no_number_of_workers_stops_the_server(started, value):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        started(value)
