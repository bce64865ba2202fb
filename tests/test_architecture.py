"""Imports point inward in both services: the domain and the application layers import no
framework, no database and no threads (DESIGN §2), whatever a future change adds."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("products", "inventory")
# Standard-library modules that belong at the edge: threads, transports, serialisation.
EDGE_ONLY = {"threading", "asyncio", "concurrent", "json", "socket", "http", "urllib"}
ALLOWED = {
    "domain": {"pydantic", "subgraph_kit.core", "app.domain"},
    "application": {"subgraph_kit.core", "app.domain", "app.application"},
}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def refused(module: str, allowed: set[str]) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return top in EDGE_ONLY
    return not any(module == prefix or module.startswith(f"{prefix}.") for prefix in allowed)


@pytest.mark.parametrize("layer", ["domain", "application"])
@pytest.mark.parametrize("service", SERVICES)
def test_a_layer_imports_only_what_points_inward(service: str, layer: str) -> None:
    folder = ROOT / "subgraphs" / service / "app" / layer
    files = sorted(folder.glob("*.py"))
    assert files, f"{folder} holds no module"
    offending = {
        f"{path.name}: {module}"
        for path in files
        for module in imported_modules(path)
        if module != "__future__" and refused(module, ALLOWED[layer])
    }
    assert not offending, sorted(offending)


def test_the_check_refuses_what_it_should() -> None:
    assert refused("sqlalchemy.orm", ALLOWED["application"])
    assert refused("anyio", ALLOWED["application"])
    assert refused("json", ALLOWED["application"])
    assert refused("app.infrastructure.db", ALLOWED["domain"])
    assert not refused("dataclasses", ALLOWED["domain"])
    assert not refused("subgraph_kit.core.events", ALLOWED["domain"])
