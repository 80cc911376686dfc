from __future__ import annotations

import os
import subprocess
import sys
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


def _measured() -> bool:
    """Whether this process is measured by the suite's own coverage (full-e2e starts
    coverage.py in every Python process through COVERAGE_PROCESS_START)."""
    if os.environ.get("COVERAGE_PROCESS_START"):
        return True
    coverage = sys.modules.get("coverage")
    return coverage is not None and coverage.Coverage.current() is not None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test marked `unmeasured` makes coverage.Coverage objects of its own: in a process
    the suite's coverage measures, merely making one stops that process's data from being
    saved (coverage 7), so the test runs in a pytest subprocess without coverage, and
    passes when it passes there."""
    if pyfuncitem.get_closest_marker("unmeasured") is None or not _measured():
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
    result = subprocess.run(
        [*argv, "-p", "no:cacheprovider", pyfuncitem.nodeid],
        cwd=pyfuncitem.config.rootpath,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return True
