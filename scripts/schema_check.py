"""`make schema-check`: does this change break a client of the last released schema?

For each subgraph of supergraph.yaml:

1. the current SDL is exported from the code, as `make schema` does, and the committed
   `schema.graphql` snapshot must equal it (composition, the gateway and the router read the
   snapshot); with `--current-dir DIR`, it is read from DIR instead;
2. the baseline is the last release: the newest schemas/released/<version>/ folder (a release
   copies each subgraph's schema.graphql there), read as `--base-dir` reads files
   (DIR/<name>.graphql or DIR/<name>/schema.graphql); `--base-ref REF` compares with
   `git show REF:subgraphs/<name>/schema.graphql` instead (a pull request against main),
   and without any release folder the first of origin/main, main and HEAD is the baseline;
3. graphql-core's `find_schema_changes` (what `find_breaking_changes` and
   `find_dangerous_changes` filter) compares the two: a breaking change fails unless
   schema-changes.toml accepts it; dangerous changes are printed.

Then the current SDLs are composed with gateway/compose.mjs, which must succeed and give
exactly the committed supergraph.graphql (`--no-compose` skips this step).

Exit status: 0 nothing unaccepted breaks, 1 something does, 2 the check could not run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml
from graphql import (
    BreakingChangeType,
    DangerousChangeType,
    GraphQLSchema,
    build_schema,
    find_schema_changes,
    parse,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "supergraph.yaml"
SUPERGRAPH = ROOT / "supergraph.graphql"
ACCEPTED = ROOT / "schema-changes.toml"
COMPOSE = ROOT / "gateway" / "compose.mjs"
RELEASES = ROOT / "schemas" / "released"
DEFAULT_REFS = ("origin/main", "main", "HEAD")
EXPORT = "from app.infrastructure.api.graphql.schema import schema; print(schema.as_str())"

# Strawberry prints the federation directives a subgraph uses, not their definitions, so
# graphql-core's build_schema would refuse them as unknown. These are the Federation 2
# definitions (https://specs.apollo.dev/federation/v2.11); any the SDL defines itself wins.
# Both sides of a comparison get the same ones, so they never show up as changes.
FEDERATION_DEFINITIONS = {
    "link": "directive @link(url: String!, as: String, for: link__Purpose, "
    "import: [link__Import]) repeatable on SCHEMA\n"
    "scalar link__Import\nenum link__Purpose { SECURITY EXECUTION }",
    "key": "directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) "
    "repeatable on OBJECT | INTERFACE",
    "requires": "directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION",
    "provides": "directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION",
    "external": "directive @external(reason: String) on OBJECT | FIELD_DEFINITION",
    "extends": "directive @extends on OBJECT | INTERFACE",
    "shareable": "directive @shareable repeatable on OBJECT | FIELD_DEFINITION",
    "interfaceObject": "directive @interfaceObject on OBJECT",
    "override": "directive @override(from: String!, label: String) on FIELD_DEFINITION",
    "composeDirective": "directive @composeDirective(name: String!) repeatable on SCHEMA",
    "tag": "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE"
    " | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT"
    " | INPUT_FIELD_DEFINITION | SCHEMA",
    "inaccessible": "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION"
    " | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT"
    " | INPUT_FIELD_DEFINITION",
    "authenticated": "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE"
    " | SCALAR | ENUM",
    "requiresScopes": "directive @requiresScopes(scopes: [[federation__Scope!]!]!) on"
    " FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "policy": "directive @policy(policies: [[federation__Policy!]!]!) on FIELD_DEFINITION"
    " | OBJECT | INTERFACE | SCALAR | ENUM",
    "context": "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    "fromContext": "directive @fromContext(field: federation__ContextFieldValue) on"
    " ARGUMENT_DEFINITION",
    "cost": "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
    " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "listSize": "directive @listSize(assumedSize: Int, slicingArguments: [String!],"
    " sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
}
FEDERATION_SCALARS = (
    "federation__FieldSet",
    "federation__Scope",
    "federation__Policy",
    "federation__ContextFieldValue",
)
# The removals the design wants deprecated first; the coordinate is in the description.
REMOVALS = {
    BreakingChangeType.FIELD_REMOVED: re.compile(r"^Field (\w+)\.(\w+) was removed\.$"),
    BreakingChangeType.VALUE_REMOVED_FROM_ENUM: re.compile(
        r"^Enum value (\w+)\.(\w+) was removed\.$"
    ),
}


class CheckError(Exception):
    """The check could not run (exit 2): a bad file, a missing tool, an unknown ref."""


@dataclass(frozen=True)
class Accepted:
    subgraph: str
    change: str
    version: str
    reason: str


def federation_schema(sdl: str, origin: str) -> GraphQLSchema:
    """build_schema on a subgraph SDL, with the federation definitions it does not have."""
    try:
        document = parse(sdl)
    except Exception as err:
        raise CheckError(f"{origin}: {err}") from err
    defined = {d.name.value for d in document.definitions if hasattr(d, "name") and d.name}
    extra = [text for name, text in FEDERATION_DEFINITIONS.items() if name not in defined]
    extra += [f"scalar {name}" for name in FEDERATION_SCALARS if name not in defined]
    try:
        return build_schema(sdl + "\n" + "\n".join(extra))
    except Exception as err:
        raise CheckError(f"{origin} is not a valid subgraph schema: {err}") from err


def subgraphs(config: Path) -> dict[str, Path]:
    """Each subgraph's name and its schema.graphql, relative to the repository root."""
    data = yaml.safe_load(config.read_text())
    found = {}
    for name, sub in (data.get("subgraphs") or {}).items():
        path = (config.parent / sub["schema"]["file"]).resolve()
        found[name] = path.relative_to(ROOT)
    if not found:
        raise CheckError(f"{config} defines no subgraphs")
    return found


def git(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    except FileNotFoundError as err:
        raise CheckError("git is not on PATH: pass --base-dir") from err


def choose_ref(wanted: str | None) -> str:
    """`wanted`, or the first of DEFAULT_REFS that exists; fail if none does."""
    for ref in [wanted] if wanted else DEFAULT_REFS:
        if git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0:
            return ref
    if wanted:
        raise CheckError(f"--base-ref {wanted}: no such commit in {ROOT}")
    raise CheckError(f"none of {', '.join(DEFAULT_REFS)} exists: pass --base-ref or --base-dir")


def shown(path: Path) -> str:
    """`path` relative to the repository when it is inside it, for the report."""
    return (
        path.resolve().relative_to(ROOT).as_posix()
        if path.resolve().is_relative_to(ROOT)
        else str(path)
    )


def last_release(releases: Path) -> Path | None:
    """The newest schemas/released/<version> folder (versions compared as numbers), if any."""

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in folder.name.split("."))

    folders = [f for f in releases.glob("*") if f.is_dir() and re.fullmatch(r"\d+(\.\d+)*", f.name)]
    return max(folders, key=version, default=None)


def from_dir(folder: Path, name: str) -> str | None:
    for path in (folder / f"{name}.graphql", folder / name / "schema.graphql"):
        if path.is_file():
            return path.read_text()
    return None


def baseline(name: str, schema_file: Path, ref: str | None, base_dir: Path | None) -> str | None:
    """The released SDL, or None for a subgraph the baseline does not have yet."""
    if base_dir is not None:
        return from_dir(base_dir, name)
    shown = git("show", f"{ref}:{schema_file.as_posix()}")
    return shown.stdout if shown.returncode == 0 else None


def current(name: str, schema_file: Path, current_dir: Path | None) -> tuple[str, list[str]]:
    """The SDL to release and the problems with it (a stale snapshot)."""
    if current_dir is not None:
        sdl = from_dir(current_dir, name)
        if sdl is None:
            raise CheckError(f"--current-dir {current_dir} has no {name}.graphql")
        return sdl, []
    service = ROOT / schema_file.parent
    exported = subprocess.run(
        [sys.executable, "-c", EXPORT], cwd=service, capture_output=True, text=True
    )
    if exported.returncode != 0:
        raise CheckError(f"{name}: exporting the schema failed:\n{exported.stderr}")
    snapshot = ROOT / schema_file
    if not snapshot.is_file() or snapshot.read_text() != exported.stdout:
        return exported.stdout, [f"{schema_file} differs from the code: run `make schema`"]
    return exported.stdout, []


def load_accepted(path: Path, names: set[str]) -> list[Accepted]:
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise CheckError(f"{path}: {err}") from err
    entries = []
    for i, entry in enumerate(data.get("accepted", []), 1):
        keys = {"subgraph", "change", "version", "reason"}
        if set(entry) != keys or not all(isinstance(v, str) and v for v in entry.values()):
            raise CheckError(f"{path}: [[accepted]] #{i} needs exactly {sorted(keys)}, as strings")
        if entry["subgraph"] not in names:
            raise CheckError(f"{path}: [[accepted]] #{i}: unknown subgraph {entry['subgraph']!r}")
        entries.append(Accepted(**entry))
    return entries


def deprecation_note(change, old: GraphQLSchema) -> str:
    """For a removal: whether the baseline deprecated what was removed."""
    pattern = REMOVALS.get(change.type)
    match = pattern.match(change.description) if pattern else None
    if not match:
        return ""
    owner = old.get_type(match[1])
    members = getattr(owner, "values", None) or getattr(owner, "fields", {})
    element = members.get(match[2])
    if element is not None and element.deprecation_reason is not None:
        return f" (deprecated in the baseline: {element.deprecation_reason})"
    return " (not deprecated in the baseline: deprecate it in a release first)"


def compare(name: str, old_sdl: str, new_sdl: str, accepted: list[Accepted], seen: set):
    """Print the changes of one subgraph; return the number of unaccepted breaking ones."""
    old = federation_schema(old_sdl, f"{name} baseline")
    new = federation_schema(new_sdl, f"{name} current")
    changes = find_schema_changes(old, new)
    mine = {a.change: a for a in accepted if a.subgraph == name}
    failures = safe = 0
    for change in changes:
        kind = change.type.name
        if isinstance(change.type, BreakingChangeType):
            entry = mine.get(change.description)
            if entry is not None:
                seen.add(entry)
                print(
                    f"  accepted   {kind}: {change.description} ({entry.version}: {entry.reason})"
                )
            else:
                failures += 1
                note = deprecation_note(change, old)
                print(f"  BREAKING   {kind}: {change.description}{note}")
        elif isinstance(change.type, DangerousChangeType):
            print(f"  dangerous  {kind}: {change.description}")
        else:
            safe += 1
    print(f"  {failures} breaking not accepted, {safe} safe change(s)")
    return failures


def compose(sdls: dict[str, str], supergraph: Path) -> str | None:
    """Compose the current SDLs like `make compose`; an error message, or None if all is well."""
    node = shutil.which("node")
    if node is None:
        raise CheckError("node is not on PATH (composition needs Node 20+; or --no-compose)")
    config = yaml.safe_load(CONFIG.read_text())
    with tempfile.TemporaryDirectory(prefix="schema-check-") as tmp:
        for name, sdl in sdls.items():
            (Path(tmp) / f"{name}.graphql").write_text(sdl)
            config["subgraphs"][name]["schema"]["file"] = f"./{name}.graphql"
        temp_config = Path(tmp) / "supergraph.yaml"
        temp_config.write_text(json.dumps(config))  # JSON is YAML
        result = subprocess.run(
            [node, str(COMPOSE), "--check", str(temp_config), str(supergraph)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = result.stderr.strip()
    if result.returncode == 0:
        return None
    if "is stale or missing" in output:
        return (
            f"{supergraph.name} is not the composition of the current schemas: run `make compose`"
        )
    return output or f"compose.mjs exited {result.returncode}"


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    base = parser.add_mutually_exclusive_group()
    base.add_argument(
        "--base-ref", help="compare with the schemas of this git ref instead of the last release"
    )
    base.add_argument(
        "--base-dir",
        type=Path,
        help="folder of released <name>.graphql files (default: newest schemas/released/<version>)",
    )
    parser.add_argument("--current-dir", type=Path, help="check these SDLs instead of the code's")
    parser.add_argument("--accepted", type=Path, default=ACCEPTED, help="accepted breaking changes")
    parser.add_argument("--supergraph", type=Path, default=SUPERGRAPH, help="committed supergraph")
    parser.add_argument("--no-compose", action="store_true", help="skip the composition step")
    args = parser.parse_args(argv)

    names = subgraphs(CONFIG)
    accepted = load_accepted(args.accepted, set(names))
    if args.base_dir is None and args.base_ref is None:
        args.base_dir = last_release(RELEASES)
    if args.base_dir is not None:
        ref = None
        print(f"schema-check: baseline: files in {shown(args.base_dir)}")
    else:
        ref = choose_ref(args.base_ref)
        why = "" if args.base_ref or ref != "HEAD" else " (neither origin/main nor main exists)"
        print(f"schema-check: baseline: git ref {ref}{why}")

    failures, seen, sdls = 0, set(), {}
    for name, schema_file in names.items():
        sdl, problems = current(name, schema_file, args.current_dir)
        sdls[name] = sdl
        source = args.current_dir or "the code"
        print(f"== {name}: {source} against {ref or shown(args.base_dir)}")
        for problem in problems:
            print(f"  ERROR      {problem}")
        failures += len(problems)
        old = baseline(name, schema_file, ref, args.base_dir)
        if old is None:
            print("  new subgraph: nothing released to compare with")
            continue
        failures += compare(name, old, sdl, accepted, seen)

    if not args.no_compose:
        print("== composition (gateway/compose.mjs)")
        error = compose(sdls, args.supergraph)
        if error:
            failures += 1
            print("  ERROR      " + error.replace("\n", "\n             "))
        else:
            print(f"  composes, and {args.supergraph.name} is up to date")

    for entry in accepted:
        if entry not in seen:
            print(
                f"note: accepted but not found (not made yet, or released): {entry.subgraph}: "
                f"{entry.change} ({entry.version})"
            )
    if failures:
        print(
            f"schema-check: FAILED ({failures} problem(s); accept an intended break in "
            f"{args.accepted.name}, see the README's Schema evolution)"
        )
        return 1
    print("schema-check: OK")
    return 0


def main() -> int:
    try:
        return run()
    except CheckError as err:
        print(f"schema-check: cannot check: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
