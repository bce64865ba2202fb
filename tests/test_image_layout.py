"""Each subgraph's suite passes from the layout its image has, so `docker-compose run --rm
<service> pytest --cov=app` works: only what the Dockerfile copies into /app is there (no
sibling service, no repository root), and the kit is an installed package.

Without a Docker engine, the test lays out the files as the Dockerfile's COPY lines place
them and runs pytest there. Postgres suites are left out (they run in the services' own
suites); a suite that reached outside /app would fail here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKDIR = "/app"
# `COPY [--flags] <source>... <destination>` of the final stage, from the build context.
COPY = re.compile(r"^COPY\s+(?!--from)(?:--\S+\s+)*(?P<args>.+)$", re.MULTILINE)


def image_layout(service: str, target: Path) -> list[str]:
    """Copy what the service's Dockerfile puts under WORKDIR into `target`; return the paths."""
    dockerfile = (ROOT / "subgraphs" / service / "Dockerfile").read_text()
    final_stage = dockerfile[dockerfile.rindex("\nFROM ") :]
    placed = []
    for match in COPY.finditer(final_stage):
        *sources, destination = match["args"].split()
        if destination.startswith("/") and not destination.startswith(WORKDIR):
            continue  # e.g. the entrypoint under /usr/local/bin
        into = target / destination.removeprefix(WORKDIR).lstrip("/")
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, into, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                into.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, into / origin.name)
            placed.append(source)
    return placed


@pytest.mark.parametrize("service", ["products", "inventory"])
def test_the_suite_passes_from_the_image_layout(service: str, tmp_path: Path) -> None:
    app = tmp_path / "app"
    placed = image_layout(service, app)
    assert f"subgraphs/{service}/tests/" in placed, placed
    servers = {"REQUIRE_POSTGRES", "TEST_POSTGRES_URL", "REQUIRE_BROKER", "TEST_BROKER_URL"}
    env = {key: value for key, value in os.environ.items() if key not in servers | {"PYTHONPATH"}}
    env["TEST_POSTGRES_URL"] = "postgresql://postgres@127.0.0.1:1/none"  # refused at once
    env["TEST_BROKER_URL"] = "amqp://guest:guest@127.0.0.1:1/"  # so is the broker
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=app"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
