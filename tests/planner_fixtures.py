"""Fixtures for planner tests: a sample monorepo, GitHub payloads and an in-process plan runner."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import GitRepo

from tiered_ci.cli import main

PAYLOADS = Path(__file__).parent / "unit" / "planner" / "payloads"

CONFIG = """\
[project]
name = "sample"

[dependency-groups]
test = ["pytest"]
lint = ["ruff"]

[tool.tiered-ci]
default-branch = "main"
ignore = ["**/*.md", "docs/**"]
run-all = ["pyproject.toml"]

[tool.tiered-ci.tiers.unit]
paths = ["tests/unit"]

[tool.tiered-ci.tiers.integration]
paths = ["tests/integration"]

[tool.tiered-ci.domains.d0]
paths = ["src/app/d0/**", "libs/common/**"]
tests = ["tests/unit/d0"]

[tool.tiered-ci.domains.d1]
paths = ["src/app/d1/**", "!src/app/d1/generated/**"]
tests = ["tests/unit/d1"]

[tool.tiered-ci.services.api]
context = "services/api"
paths = ["libs/common/**"]
"""

LAYOUT = {
    "pyproject.toml": CONFIG,
    "README.md": "# sample\n",
    "docs/guide.md": "guide\n",
    "src/app/d0/a.py": "A = 1\n",
    "src/app/d1/b.py": "B = 2\n",
    "src/app/d1/generated/g.py": "G = 3\n",
    "libs/common/c.py": "C = 4\n",
    "tests/unit/d0/test_a.py": "def test_a(): pass\n",
    "tests/unit/d1/test_b.py": "def test_b(): pass\n",
    "tests/unit/test_misc.py": "def test_misc(): pass\n",
    "tests/integration/test_flow.py": "def test_flow(): pass\n",
    "services/api/Dockerfile": "FROM scratch\nCOPY app.py /app.py\n",
    "services/api/app.py": "print('api')\n",
}


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    """A small monorepo committed on main (2 domains, 1 service), checked out on branch feature."""
    repo.write_many(LAYOUT)
    repo.commit("initial layout")
    repo.branch("feature")
    return repo


PlanRunner = Callable[..., dict[str, Any]]


@pytest.fixture
def plan(capsys: pytest.CaptureFixture[str]) -> PlanRunner:
    """Run `tiered-ci plan --format json` in-process and return the parsed plan."""

    def run(repo: GitRepo, *args: str) -> dict[str, Any]:
        code = main(["plan", "--format", "json", "--repo", str(repo.path), *args])
        out = capsys.readouterr().out
        assert code == 0, out
        result: dict[str, Any] = json.loads(out)
        return result

    return run


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A stored GitHub payload with dotted keys replaced: payload("push", before="abc")."""
    data: dict[str, Any] = copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text()))
    for dotted, value in changes.items():
        target = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return data


@pytest.fixture
def event_file(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, **changes: Any) -> Path:
        path = tmp_path / f"event-{name}.json"
        data = payload(name, **changes)
        data.setdefault("repository", {})["default_branch"] = "main"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return write
