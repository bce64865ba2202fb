"""Shared fixtures of the cross-service tests; the process machinery lives in stack.py."""

from __future__ import annotations

import secrets
from collections.abc import Generator

import pytest
from stack import Stack


@pytest.fixture(scope="session")
def api_key() -> str:
    """A fresh key per run: a service that ignored API_KEY would refuse it."""
    return f"e2e-{secrets.token_urlsafe(12)}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """When a test that used a running stack fails, show the tail of each process's log."""
    report = yield
    if report.failed:
        stacks = {id(v): v for v in getattr(item, "funcargs", {}).values() if isinstance(v, Stack)}
        for stack in stacks.values():
            report.sections.append((f"process logs ({stack.workdir})", stack.logs()))
    return report
