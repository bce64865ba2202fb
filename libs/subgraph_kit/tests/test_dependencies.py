"""What the kit declares is what it imports, and the runtime package stays free of test tools."""

from __future__ import annotations

import ast
import importlib.metadata
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


def imported_modules(package: str) -> set[str]:
    """The top-level modules every .py file of `package` imports (relative imports aside)."""
    found: set[str] = set()
    for path in (KIT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def imported_distributions(package: str) -> set[str]:
    """The distributions that provide what `package` imports, beyond the stdlib and the kit."""
    providers = importlib.metadata.packages_distributions()
    modules = imported_modules(package) - set(sys.stdlib_module_names) - OWN
    unknown = sorted(module for module in modules if module not in providers)
    assert not unknown, f"no installed distribution provides {unknown}"
    return {normalise(dist) for module in modules for dist in providers[module]}


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
