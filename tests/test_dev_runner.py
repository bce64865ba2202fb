"""`make up` (`python -m runner`): its settings reach every process; a taken port is named.

The runner reads `.env` (here `--env-file`) under the environment, which wins, and gives
each process it starts that whole environment: the services' settings (and the gateway's)
take their one default from the services themselves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import runner
from runner import __main__ as make_up

ROOT = Path(__file__).resolve().parents[1]
KEY = "team-key-for-the-runner"


def documented_variables() -> set[str]:
    """The variables of .env.example (`# NAME=value` lines)."""
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, sep, _ = line.removeprefix("#").strip().partition("=")
        if sep and name.isupper() and name.replace("_", "").isalnum():
            names.add(name)
    return names


def clean_environment() -> dict[str, str]:
    """This process's environment without any documented setting: only what a test sets."""
    return {k: v for k, v in os.environ.items() if k not in documented_variables()}


def python_runner(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "runner", *map(str, args)]


def test_a_taken_port_is_named_and_nothing_starts(tmp_path: Path) -> None:
    empty = tmp_path / ".env"
    empty.touch()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = clean_environment() | {"GATEWAY_PORT": str(port), "HOST": "127.0.0.1"}
        result = subprocess.run(
            python_runner("--env-file", empty, "gateway"),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"Port {port} (gateway) is already in use" in result.stderr
    assert "Up:" not in result.stdout


def test_the_env_file_is_read_as_compose_reads_it_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n"
        "QUOTED='a b # not a comment'\n"
        'DOUBLE="x=1"\n'
        "TRAILING=plain # a comment\n"
        "EMPTY=\n"
        "BARE\n"
        "export EXPORTED=yes\n"
        "SHELL_WINS=from-the-file\n"
    )
    # A copy of the environment: what the file adds goes away with the test.
    monkeypatch.setattr(os, "environ", {**clean_environment(), "SHELL_WINS": "from-the-shell"})

    make_up.load_env_file(env_file)
    make_up.load_env_file(tmp_path / "missing.env")  # no file: nothing to add

    assert os.environ["QUOTED"] == "a b # not a comment"
    assert os.environ["DOUBLE"] == "x=1"
    assert os.environ["TRAILING"] == "plain"
    assert os.environ["EMPTY"] == ""  # the settings read an empty value as their default
    assert "BARE" not in os.environ
    assert os.environ["EXPORTED"] == "yes"
    assert os.environ["SHELL_WINS"] == "from-the-shell"


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(entry.decode().partition("=")[::2] for entry in raw.split(b"\0") if entry)


def gateway_available() -> bool:
    return shutil.which("node") is not None and (ROOT / "gateway/node_modules/@apollo").is_dir()


@contextlib.contextmanager
def make_up_running(
    names: list[str], env_file: Path, env: dict[str, str]
) -> Iterator[tuple[int, Path]]:
    """`python -m runner --env-file ENV_FILE NAMES` in the background: its PID and log."""
    log = env_file.parent / "runner.log"
    with log.open("wb") as out:
        up = subprocess.Popen(
            python_runner("--env-file", env_file, *names),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield up.pid, log
    finally:
        children = children_of(up.pid)
        up.send_signal(signal.SIGTERM)  # the runner stops its children, as on Ctrl-C
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()
            up.wait()
        for child in children:  # only if the runner left one behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


def wait_until_up(urls: list[str], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2, trust_env=False) as client:
        for url in urls:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if client.get(url).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"{url} not up after {timeout:.0f} s:\n{runner.tail(log)}")
                time.sleep(0.2)


def test_make_up_gives_every_process_the_env_file_and_the_environment(tmp_path: Path) -> None:
    """`API_KEY=team make up` with a .env: every process sees both (the shell winning), the
    services apply them, inventory sends API_KEY to products, an empty value is a default."""
    names = ["products", "inventory", *(["gateway"] if gateway_available() else [])]
    ports = dict(zip(["products", "inventory", "gateway"], runner.free_ports(3), strict=True))
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# .env.example's lines uncommented, some changed\n"
        "ENABLE_GRAPHIQL=\n"
        "ENABLE_INTROSPECTION=false\n"
        'MAX_BODY_BYTES="4096"\n'
        "PRODUCTS_API_KEY=\n"
        "RUNNER_PROBE='from the file'\n"
        "SHELL_WINS=from-the-file\n"
        f"PRODUCTS_DATABASE_URL=sqlite:///{tmp_path}/products.db\n"
        f"INVENTORY_DATABASE_URL=sqlite:///{tmp_path}/inventory.db\n"
        + "".join(f"{name.upper()}_PORT={port}\n" for name, port in ports.items())
    )
    env = clean_environment() | {"API_KEY": KEY, "SHELL_WINS": "from-the-shell"}
    env["NO_PROXY"] = runner.no_proxy()

    migrated = subprocess.run(
        python_runner("--env-file", env_file, "--migrate", "products", "inventory"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (tmp_path / "products.db").is_file()
    assert (tmp_path / "inventory.db").is_file()

    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    with make_up_running(names, env_file, env) as (up, log):
        health = [urls[n] + ("/health" if n == "gateway" else "/health/ready") for n in names]
        wait_until_up(health, log)
        environments = [environment_of(child) for child in children_of(up)]

        assert len(environments) == len(names), runner.tail(log)
        for seen in environments:
            assert seen["RUNNER_PROBE"] == "from the file"
            assert seen["SHELL_WINS"] == "from-the-shell"
            assert seen["API_KEY"] == KEY
            assert seen["ENABLE_GRAPHIQL"] == ""

        with httpx.Client(timeout=10, trust_env=False, headers={"X-API-Key": KEY}) as client:
            # PRODUCTS_API_KEY is empty: inventory asks products with API_KEY, which it accepts.
            product_id = create_product(client, urls["products"])
            stock = graphql(client, urls["inventory"], ADJUST, {"id": product_id})["adjustStock"]
            assert stock == {"stockLevel": {"onHand": 3}, "userErrors": []}, runner.tail(log)
            # ENABLE_GRAPHIQL= is the default (on in development); ENABLE_INTROSPECTION=false.
            page = client.get(urls["inventory"] + "/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 200
            assert "graphiql" in page.text.lower()
            schema = client.post(
                urls["products"] + "/graphql", json={"query": "{ __schema { queryType { name } } }"}
            ).json()
            assert schema.get("errors"), schema
            assert not (schema.get("data") or {}).get("__schema"), schema
            # MAX_BODY_BYTES="4096" from the file (quotes as compose reads them).
            big = client.post(
                urls["products"] + "/graphql",
                json={"query": "{ __typename }", "variables": {"pad": "x" * 5000}},
            )
            assert big.status_code == 413


CREATE = """mutation ($sku: String!) {
  createProduct(input: {sku: $sku, name: "Lamp", price: {amount: "9.99", currencyCode: "EUR"}}) {
    product { id } userErrors { code message }
  }
}"""
ADJUST = """mutation ($id: ID!) {
  adjustStock(input: {productId: $id, delta: 3, reason: RECEIVED}) {
    stockLevel { onHand } userErrors { code message }
  }
}"""


def graphql(client: httpx.Client, url: str, query: str, variables: dict[str, str]) -> dict:
    response = client.post(url + "/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def create_product(client: httpx.Client, url: str) -> str:
    created = graphql(client, url, CREATE, {"sku": "RUNNER-1"})["createProduct"]
    assert created["userErrors"] == [], created
    return created["product"]["id"]
