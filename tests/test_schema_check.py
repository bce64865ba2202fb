"""`make schema-check` (scripts/schema_check.py): each breaking change it must catch is
shown failing on a small SDL pair in a temp folder, next to the changes it must let pass."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from stack import ROOT, node_binary

SCRIPT = ROOT / "scripts" / "schema_check.py"
PRODUCTS = (ROOT / "subgraphs" / "products" / "schema.graphql").read_text()
INVENTORY = (ROOT / "subgraphs" / "inventory" / "schema.graphql").read_text()

# A federation subgraph in miniature: the directives Strawberry prints, without definitions.
BASE = """\
schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key", "@shareable"]) {
  query: Query
}

enum Color {
  RED
  GREEN
  BLUE @deprecated(reason: "Use GREEN.")
}

type Product @key(fields: "id") {
  id: ID!
  name: String!
  color: Color!
  legacyCode: String @deprecated(reason: "Use name.")
}

type Query {
  product(id: ID!): Product
}
"""


def check(
    tmp_path: Path,
    *,
    products: str,
    inventory: str = INVENTORY,
    base_products: str = BASE,
    accepted: str = "",
    compose: bool = False,
) -> subprocess.CompletedProcess[str]:
    """schema_check.py on `products`/`inventory` against base files, with `accepted`."""
    for side, files in (
        ("base", {"products": base_products, "inventory": INVENTORY}),
        ("current", {"products": products, "inventory": inventory}),
    ):
        (tmp_path / side).mkdir(exist_ok=True)
        for name, sdl in files.items():
            (tmp_path / side / f"{name}.graphql").write_text(sdl)
    (tmp_path / "accepted.toml").write_text(accepted)
    args = ["--base-dir", str(tmp_path / "base"), "--current-dir", str(tmp_path / "current")]
    args += ["--accepted", str(tmp_path / "accepted.toml")]
    return run_script(*args, *([] if compose else ["--no-compose"]))


def run_script(*args: str, script: Path = SCRIPT) -> subprocess.CompletedProcess[str]:
    """The script as `make schema-check` runs it, from the folder of its repository."""
    command = [sys.executable, str(script), *args]
    cwd = script.parent.parent
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_an_unchanged_schema_passes(tmp_path: Path) -> None:
    result = check(tmp_path, products=BASE)

    assert result.returncode == 0, report(result)
    assert "schema-check: OK" in result.stdout, report(result)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  name: String!\n",
            "",
            "FIELD_REMOVED: Field Product.name was removed. (not deprecated in the baseline",
        ),
        (
            "  name: String!\n",
            "  name: Int!\n",
            "FIELD_CHANGED_KIND: Field Product.name changed type from String! to Int!.",
        ),
        (
            "  GREEN\n",
            "",
            "VALUE_REMOVED_FROM_ENUM: Enum value Color.GREEN was removed.",
        ),
        (
            "product(id: ID!): Product",
            "product(id: ID!, locale: String!): Product",
            "REQUIRED_ARG_ADDED: A required argument Query.product(locale:) was added.",
        ),
        (
            "  name: String!\n",
            "  name: String\n",
            "FIELD_CHANGED_KIND: Field Product.name changed type from String! to String.",
        ),
    ],
    ids=["removed-field", "field-type", "removed-enum-value", "required-arg", "now-nullable"],
)
def test_a_breaking_change_fails(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BASE
    result = check(tmp_path, products=BASE.replace(old, new, 1))

    assert result.returncode == 1, report(result)
    assert f"BREAKING   {expected}" in result.stdout, report(result)
    assert "schema-check: FAILED" in result.stdout, report(result)


def test_removing_a_deprecated_field_still_needs_acceptance_and_says_it_was_deprecated(
    tmp_path: Path,
) -> None:
    result = check(tmp_path, products=BASE.replace("  legacyCode: String", "  # gone", 1))

    assert result.returncode == 1, report(result)
    assert "Product.legacyCode was removed. (deprecated in the baseline: Use name.)" in (
        result.stdout
    ), report(result)


def test_additive_changes_pass(tmp_path: Path) -> None:
    added = (
        BASE.replace("  RED\n", "  RED\n  YELLOW\n")
        .replace("  name: String!\n", "  name: String!\n  sku: String\n")
        .replace("product(id: ID!)", "product(id: ID!, locale: String = null)")
        .replace("type Query {", "type Tag {\n  name: String!\n}\n\ntype Query {\n  tags: [Tag!]!")
    )

    result = check(tmp_path, products=added)

    assert result.returncode == 0, report(result)
    assert "BREAKING" not in result.stdout, report(result)
    assert "dangerous  VALUE_ADDED_TO_ENUM: Enum value Color.YELLOW was added." in result.stdout
    assert "0 breaking not accepted, " in result.stdout, report(result)


ACCEPT_NAME = """
[[accepted]]
subgraph = "products"
change = "Field Product.name changed type from String! to String."
version = "9.9.9"
reason = "a test"
"""


def test_an_accepted_break_is_reported_and_passes(tmp_path: Path) -> None:
    result = check(
        tmp_path, products=BASE.replace("name: String!", "name: String"), accepted=ACCEPT_NAME
    )

    assert result.returncode == 0, report(result)
    assert "accepted   FIELD_CHANGED_KIND: Field Product.name changed type" in result.stdout
    assert "(9.9.9: a test)" in result.stdout, report(result)


def test_an_accepted_break_does_not_cover_another_one(tmp_path: Path) -> None:
    changed = BASE.replace("name: String!", "name: String").replace("  GREEN\n", "")

    result = check(tmp_path, products=changed, accepted=ACCEPT_NAME)

    assert result.returncode == 1, report(result)
    assert "BREAKING   VALUE_REMOVED_FROM_ENUM" in result.stdout, report(result)


def test_a_stale_accepted_entry_is_reported_without_failing(tmp_path: Path) -> None:
    result = check(tmp_path, products=BASE, accepted=ACCEPT_NAME)

    assert result.returncode == 0, report(result)
    assert "accepted but not found" in result.stdout, report(result)


def test_a_malformed_accepted_file_stops_the_check(tmp_path: Path) -> None:
    bad = ACCEPT_NAME.replace('version = "9.9.9"\n', "")

    result = check(tmp_path, products=BASE, accepted=bad)

    assert result.returncode == 2, report(result)
    assert "needs exactly" in result.stderr, report(result)


def test_the_code_passes_against_the_last_release_only_through_its_accepted_break(
    tmp_path: Path,
) -> None:
    """The default baseline is schemas/released/<newest>; the one break there is accepted."""
    empty = tmp_path / "none.toml"
    empty.write_text("")

    result = run_script("--no-compose")
    unaccepted = run_script("--no-compose", "--accepted", str(empty))

    assert result.returncode == 0, report(result)
    assert "baseline: files in " in result.stdout, report(result)
    assert "schemas/released/1.0.0" in result.stdout, report(result)
    assert (
        "accepted   FIELD_CHANGED_KIND: Field StockLevel.product changed type from "
        "Product! to Product." in result.stdout
    ), report(result)
    assert unaccepted.returncode == 1, report(unaccepted)


def test_every_accepted_change_is_in_the_readme_changelog() -> None:
    entries = tomllib.loads((ROOT / "schema-changes.toml").read_text())["accepted"]
    readme = (ROOT / "README.md").read_text()
    changelog = readme.split("\n## Changelog\n", 1)[1].split("\n## ", 1)[0]

    for entry in entries:
        section = re.search(
            rf"^### {re.escape(entry['version'])}\b.*?(?=^### |\Z)", changelog, re.M | re.S
        )
        assert section, f"README's changelog has no ### {entry['version']} section"
        coordinate = re.search(r"Field (\w+\.\w+)", entry["change"])
        assert coordinate, entry
        assert f"`{coordinate[1]}`" in section[0], entry


def test_a_broken_composition_fails(tmp_path: Path) -> None:
    node_binary()
    entity = 'type Product @key(fields: "id") {\n  id: ID!'
    assert entity in INVENTORY
    broken = INVENTORY.replace(entity, entity.replace("ID!", "Int!"))

    result = check(
        tmp_path, products=PRODUCTS, base_products=PRODUCTS, inventory=broken, compose=True
    )

    assert result.returncode == 1, report(result)
    assert "composition failed" in result.stdout, report(result)
    assert "FIELD_TYPE_MISMATCH" in result.stdout, report(result)


def test_a_supergraph_other_than_the_composition_fails(tmp_path: Path) -> None:
    node_binary()
    added = PRODUCTS.replace("type Query {", "type Query {\n  ping: String", 1)

    result = check(tmp_path, products=added, base_products=PRODUCTS, compose=True)

    assert result.returncode == 1, report(result)
    assert "run `make compose`" in result.stdout, report(result)


def test_the_repository_passes_against_its_own_head() -> None:
    """The default mode: the code's schemas, the snapshots, composition, a git baseline."""
    node_binary()
    result = run_script("--base-ref", "HEAD")

    assert result.returncode == 0, report(result)
    assert "baseline: git ref HEAD" in result.stdout, report(result)
    assert "supergraph.graphql is up to date" in result.stdout, report(result)


def test_an_unknown_base_ref_stops_the_check() -> None:
    result = run_script("--base-ref", "no-such-ref-xyz", "--no-compose")

    assert result.returncode == 2, report(result)
    assert "no-such-ref-xyz" in result.stderr, report(result)


PRODUCT_ID = 'type Product @key(fields: "id") {\n  id: ID!\n'
PRODUCT_SKU = PRODUCT_ID + "  sku: String!\n"


def git_repo(tmp_path: Path, branch: str) -> Path:
    """A repository of one commit on `branch`: the script, supergraph.yaml, the snapshots."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "schema_check.py").write_text(SCRIPT.read_text())
    (repo / "supergraph.yaml").write_text((ROOT / "supergraph.yaml").read_text())
    for name, sdl in (("products", PRODUCTS), ("inventory", INVENTORY)):
        (repo / "subgraphs" / name).mkdir(parents=True)
        (repo / "subgraphs" / name / "schema.graphql").write_text(sdl)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", branch], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], check=True)
    current = tmp_path / "current"
    current.mkdir()
    (current / "products.graphql").write_text(PRODUCTS.replace(PRODUCT_SKU, PRODUCT_ID, 1))
    (current / "inventory.graphql").write_text(INVENTORY)
    return repo


@pytest.mark.parametrize(
    ("branch", "baseline"),
    [("main", "git ref main\n"), ("trunk", "git ref HEAD (neither origin/main nor main exists)")],
)
def test_the_default_baseline_is_main_and_else_head_saying_so(
    tmp_path: Path, branch: str, baseline: str
) -> None:
    assert PRODUCT_SKU in PRODUCTS
    repo = git_repo(tmp_path, branch)
    current = ["--current-dir", str(tmp_path / "current")]

    result = run_script("--no-compose", *current, script=repo / "scripts" / "schema_check.py")

    assert result.returncode == 1, report(result)
    assert f"schema-check: baseline: {baseline}" in result.stdout, report(result)
    assert "BREAKING   FIELD_REMOVED: Field Product.sku was removed." in result.stdout
