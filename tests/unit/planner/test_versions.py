"""Python versions in the plan: one matrix entry per session and version, named as nox does."""

from __future__ import annotations

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.cli import main

VERSIONS = """
[tool.tiered-ci.tiers.integration]
paths = ["tests/integration"]
python = ["3.11", "3.12"]
"""


@pytest.fixture
def versioned(project: GitRepo) -> GitRepo:
    config = (project.path / "pyproject.toml").read_text()
    config = config.replace(
        '[tool.tiered-ci.tiers.integration]\npaths = ["tests/integration"]\n', ""
    )
    config = config.replace(
        'tests = ["tests/unit/d1"]', 'tests = ["tests/unit/d1"]\npython = "3.13"'
    )
    project.write("pyproject.toml", config + VERSIONS)
    project.commit("versions")
    project.git.branch("-f", "main", "HEAD")
    return project


def test_each_version_is_its_own_matrix_entry(versioned: GitRepo, plan: PlanRunner) -> None:
    versioned.write("src/app/d1/b.py", "B = 3\n")
    versioned.write("src/app/d0/a.py", "A = 3\n")

    result = plan(versioned)

    assert result["sessions"] == [
        "quick",
        "domain-shard(d0)",
        "domain-shard(d1-3.13)",
        "integration-3.11",
        "integration-3.12",
    ]
    assert result["matrix"]["include"] == [
        {"session": "domain-shard(d0)", "args": ""},
        {"session": "domain-shard(d1-3.13)", "args": "", "python": "3.13"},
        {"session": "integration-3.11", "args": "", "python": "3.11"},
        {"session": "integration-3.12", "args": "", "python": "3.12"},
    ]


def test_a_bad_python_value_names_the_key(
    versioned: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (versioned.path / "pyproject.toml").read_text()
    versioned.write("pyproject.toml", config.replace('python = "3.13"', "python = 3.13"))

    assert main(["plan", "--repo", str(versioned.path), "--format", "json"]) == 2

    assert capsys.readouterr().err == (
        f"tiered-ci plan: error: {versioned.path / 'pyproject.toml'}: "
        "tool.tiered-ci.domains.d1.python: expected a version or a list of versions "
        '("3.12"), got float\n'
    )
