"""The planner never mistakes the sessions' own outputs for a change (issue 11, item 4).

The repository here has no .gitignore: a fresh adopter's checkout after its first
`nox` run has .nox/, reports/ and coverage data lying around untracked.
"""

from __future__ import annotations

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.changes import is_session_output

OUTPUTS = {
    ".nox/domain-shard-d0/bin/python": "",
    ".nox/domain-shard-d0/.tiered-ci-install": "{}\n",
    "reports/junit-domain-shard-d0.xml": "<testsuites/>\n",
    ".coverage": "",
    ".coverage.domain-shard-d0.host.1234.567": "",
    "coverage.xml": "<coverage/>\n",
    "src/app/d0/__pycache__/a.cpython-312.pyc": "",
    ".pytest_cache/v/cache/lastfailed": "{}\n",
}


@pytest.mark.critical
def test_untracked_session_outputs_plan_nothing(project: GitRepo, plan: PlanRunner) -> None:
    assert not (project.path / ".gitignore").exists()
    project.write_many(OUTPUTS)

    result = plan(project)

    assert (result["mode"], result["changed"], result["sessions"]) == ("none", [], ["quick"])


def test_a_rewritten_durations_file_plans_nothing(project: GitRepo, plan: PlanRunner) -> None:
    project.write(".test_durations", '{"tests/unit/d0/test_a.py::test_a": 0.1}\n')
    project.commit("durations")
    project.git.branch("-f", "main", "HEAD")
    project.write(".test_durations", '{"tests/unit/d0/test_a.py::test_a": 0.3}\n')

    result = plan(project)

    assert result["mode"] == "none"
    assert [c["path"] for c in result["changed"]] == [".test_durations"]


def test_tracked_files_with_output_names_still_count(project: GitRepo, plan: PlanRunner) -> None:
    """Only untracked outputs are dropped: a committed reports/ package is source."""
    project.write("reports/render.py", "R = 1\n")
    project.commit("a reports package")
    project.git.branch("-f", "main", "HEAD")
    project.write("reports/render.py", "R = 2\n")

    result = plan(project)

    assert result["mode"] == "all"
    assert "reports/render.py is claimed by no rule" in result["fallback_reason"]


@pytest.mark.parametrize(
    ("path", "output"),
    [
        (".nox/unit/bin/python", True),
        ("reports/junit-unit.xml", True),
        (".coverage", True),
        (".coverage.unit.host.1.2", True),
        ("sub/.coverage.x", True),
        ("coverage.xml", True),
        ("pkg/__pycache__/m.cpython-312.pyc", True),
        ("src/reports/x.py", False),
        ("coverage.py", False),
        ("docs/coverage.xml.md", False),
        (".coveragerc", False),
    ],
)
def test_is_session_output(path: str, *, output: bool) -> None:
    assert is_session_output(path) is output
