from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import GitRepo

pytest_plugins = ["planner_fixtures", "packages_fixtures", "lock_fixtures"]


# What the reusable workflow (and any CI runner) sets that changes what the code under
# test prints or reads: colour forced onto pipes, and the runner's event, outputs and
# summary. Tests compare plain text and plan local events, so they run without these,
# whatever the caller's terminal or runner (tests/integration/test_workflow_env.py runs
# tests under the workflow's own environment to keep it so).
_CALLER_ONLY = ("FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
_CALLER_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_")


def _caller_names(environ: Mapping[str, str]) -> list[str]:
    return [n for n in environ if n in _CALLER_ONLY or n.startswith(_CALLER_PREFIXES)]


def pytest_configure() -> None:
    """Before any fixture (session-scoped ones build wheels and run nox): the process
    environment holds none of the caller's CI or colour variables."""
    for name in _caller_names(os.environ):
        del os.environ[name]
    # Every nox a test runs imports the tiered-ci under test, never what a noxfile's
    # PEP 723 block names (the examples name a git URL: docs/workflows.md).
    os.environ["NOX_SCRIPT_MODE"] = "none"


@pytest.fixture(autouse=True)
def no_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see a clean environment: CI variables of the machine running them never leak in."""
    for name in _caller_names(os.environ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    return GitRepo(tmp_path / "repo")
