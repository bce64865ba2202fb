"""The supergraph: supergraph.yaml composes without errors, and the committed
supergraph.graphql is exactly what gateway/compose.mjs makes of it today.

Each node-based check also runs on a broken input, to show it can fail.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from stack import ROOT, SUPERGRAPH, node_binary

CONFIG = ROOT / "supergraph.yaml"
COMPOSE = ROOT / "gateway" / "compose.mjs"
LOCK = ROOT / "gateway" / "package-lock.json"
ROUTING_URLS = {
    "products": "http://localhost:8000/graphql",
    "inventory": "http://localhost:8001/graphql",
}


@pytest.fixture(scope="module")
def node() -> str:
    return node_binary()


def compose(node: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [node, str(COMPOSE), *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_committed_supergraph_is_a_fresh_composition(node: str) -> None:
    result = compose(node, "--check")

    assert result.returncode == 0, (
        "supergraph.graphql differs from a fresh composition of supergraph.yaml: "
        f"run `make compose` and commit the result.\n{report(result)}"
    )
    assert "is up to date" in result.stderr, report(result)


def test_check_fails_on_a_stale_supergraph(node: str, tmp_path: Path) -> None:
    stale = tmp_path / "supergraph.graphql"
    stale.write_text(SUPERGRAPH.read_text().replace("INVENTORY", "INVENTORY_OLD", 1))

    result = compose(node, "--check", CONFIG, stale)

    assert result.returncode == 1, report(result)
    assert "run `make compose`" in result.stderr, report(result)


def test_supergraph_yaml_composes_without_errors(node: str, tmp_path: Path) -> None:
    output = tmp_path / "supergraph.graphql"

    result = compose(node, CONFIG, output)

    assert result.returncode == 0, report(result)
    assert "composition failed" not in result.stderr, report(result)
    assert "wrote" in result.stderr, report(result)
    enum = re.search(r"^enum join__Graph \{\n(.*?)^\}", output.read_text(), re.M | re.S)
    assert enum is not None, "the output has no join__Graph enum"
    graphs = dict(
        re.findall(r'^\s+(\w+) @join__graph\(name: "\w+", url: "([^"]+)"\)$', enum[1], re.M)
    )
    assert graphs == {"PRODUCTS": ROUTING_URLS["products"], "INVENTORY": ROUTING_URLS["inventory"]}


def test_incompatible_subgraph_schemas_fail_composition(node: str, tmp_path: Path) -> None:
    inventory = (ROOT / "subgraphs" / "inventory" / "schema.graphql").read_text()
    entity = 'type Product @key(fields: "id") {\n  id: ID!'
    assert entity in inventory, "inventory's Product entity moved: update this negative control"
    (tmp_path / "inventory.graphql").write_text(
        inventory.replace(entity, entity.replace("ID!", "Int!"))
    )
    config = yaml.safe_load(CONFIG.read_text())
    config["subgraphs"]["products"]["schema"]["file"] = str(
        ROOT / "subgraphs" / "products" / "schema.graphql"
    )
    config["subgraphs"]["inventory"]["schema"]["file"] = "./inventory.graphql"
    broken = tmp_path / "supergraph.yaml"
    broken.write_text(yaml.safe_dump(config))
    output = tmp_path / "supergraph.graphql"

    result = compose(node, broken, output)

    assert result.returncode != 0, f"a broken composition was accepted:\n{report(result)}"
    assert "FIELD_TYPE_MISMATCH" in result.stderr, report(result)
    assert '"Product.id"' in result.stderr, report(result)
    assert not output.exists(), "compose.mjs wrote a supergraph despite the errors"


def test_compose_refuses_a_federation_version_other_than_the_locked_one(
    node: str, tmp_path: Path
) -> None:
    config = yaml.safe_load(CONFIG.read_text())
    config["federation_version"] = "=2.0.0"
    for subgraph in config["subgraphs"].values():
        subgraph["schema"]["file"] = str(ROOT / subgraph["schema"]["file"])
    other = tmp_path / "supergraph.yaml"
    other.write_text(yaml.safe_dump(config))

    result = compose(node, other, tmp_path / "supergraph.graphql")

    assert result.returncode != 0, report(result)
    assert "federation_version" in result.stderr, report(result)


def test_supergraph_yaml_pins_the_locked_composition_and_local_subgraphs() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    lock = json.loads(LOCK.read_text())
    locked = lock["packages"]["node_modules/@apollo/composition"]["version"]

    assert config["federation_version"] == f"={locked}"
    subgraphs = config["subgraphs"]
    assert {name: sub["routing_url"] for name, sub in subgraphs.items()} == ROUTING_URLS
    for name, sub in subgraphs.items():
        schema = (CONFIG.parent / sub["schema"]["file"]).resolve()
        assert schema == ROOT / "subgraphs" / name / "schema.graphql"
        assert schema.is_file(), f"{schema} is missing"
