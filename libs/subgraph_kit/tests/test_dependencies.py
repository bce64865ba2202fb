"""What the kit declares is what it imports, and the runtime package stays free of test tools."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

KIT = Path(__file__).parents[1]
OWN = {"subgraph_kit", "subgraph_kit_testing"}
TEST_TOOLS = {"pytest", "httpx", "subgraph_kit_testing"}
# Alembic runs this file itself; importing it would run a migration.
ALEMBIC_ENV = KIT / "subgraph_kit" / "sql" / "migrations" / "env.py"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_names(package: str) -> set[str]:
    """The dotted names every .py file of `package` imports (relative imports aside); for
    `from a import b`, both `a` and `a.b` (b may be a module)."""
    found: set[str] = set()
    for path in (KIT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_modules(package: str) -> set[str]:
    """The top-level modules every .py file of `package` imports (relative imports aside)."""
    return {name.split(".")[0] for name in imported_names(package)}


@functools.cache
def file_owners() -> dict[Path, str]:
    """Each installed file, by its resolved path, and the distribution that installed it."""
    owners = {}
    for dist in importlib.metadata.distributions():
        for file in dist.files or ():
            owners[Path(str(dist.locate_file(file))).resolve()] = dist.metadata["Name"]
    return owners


def owner_of(name: str) -> str | None:
    """The distribution that installed module `name` (None: `name` is no module, or a
    namespace package that several distributions share)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return file_owners().get(Path(spec.origin).resolve())


def imported_distributions(package: str) -> set[str]:
    """The distributions that provide what `package` imports, beyond the stdlib and the kit.

    A namespace package (`opentelemetry`) is installed by many distributions; what is
    imported from it is attributed to the one that installed the imported module."""
    providers = importlib.metadata.packages_distributions()
    names = imported_names(package)
    modules = {name.split(".")[0] for name in names} - set(sys.stdlib_module_names) - OWN
    unknown = sorted(module for module in modules if module not in providers)
    assert not unknown, f"no installed distribution provides {unknown}"
    found = set()
    for module in modules:
        if len(providers[module]) == 1:
            found.add(providers[module][0])
            continue
        owners = {owner_of(name) for name in names if name.split(".")[0] == module}
        found.update(owner for owner in owners if owner is not None)
    return {normalise(dist) for dist in found}


def names(requirements: list[str]) -> set[str]:
    return {normalise(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)[0]) for req in requirements}


PROJECT = tomllib.loads((KIT / "pyproject.toml").read_text())["project"]
DEPENDENCIES = names(PROJECT["dependencies"])
TESTING = names(PROJECT["optional-dependencies"]["testing"])


def test_the_kit_declares_exactly_the_distributions_it_imports():
    assert imported_distributions("subgraph_kit") == DEPENDENCIES


def test_the_testing_extra_declares_exactly_what_the_test_plugin_imports_beyond_the_kit():
    assert imported_distributions("subgraph_kit_testing") - DEPENDENCIES == TESTING


def test_the_runtime_package_never_imports_test_tools():
    assert imported_modules("subgraph_kit") & TEST_TOOLS == set()


def test_importing_every_runtime_module_loads_no_test_tool():
    modules = sorted(
        ".".join(path.relative_to(KIT).with_suffix("").parts).removesuffix(".__init__")
        for path in (KIT / "subgraph_kit").rglob("*.py")
        if path != ALEMBIC_ENV
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted({sorted(TEST_TOOLS)!r} & sys.modules.keys()))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=KIT
    )
    assert ran.stdout.strip() == "[]"
