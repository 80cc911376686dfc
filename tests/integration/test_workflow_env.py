"""The suite passes under the environment the reusable workflow gives it (issue 18:
`FORCE_COLOR: "1"` made 20 tests of tiered-ci's own nightly fail, since they compare
plain text). The workflow's own `env:` values, plus what every GitHub runner sets,
are the environment these tests run a colour- and event-sensitive sample under."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "tiered-ci.yml"
# Tests that compare text a forced colour changes, or that plan (and so read the event).
SAMPLE = (
    "tests/integration/test_pytest_shard.py::test_bad_input_is_a_usage_error",
    "tests/unit/planner/test_empty_remainders.py",
)


def workflow_environment(tmp_path: Path) -> dict[str, str]:
    """The workflow's literal `env:` values and a runner's own variables (a schedule run)."""
    literal = {
        name: str(value)
        for name, value in yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["env"].items()
        if "${{" not in str(value)
    }
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"schedule": "17 3 * * *"}), encoding="utf-8")
    return {
        **literal,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_WORKSPACE": str(ROOT),
        "RUNNER_OS": "Linux",
    }


def test_the_workflow_sets_force_color(tmp_path: Path) -> None:
    # If the workflow stops forcing colour, this test's premise is gone: say so.
    assert workflow_environment(tmp_path)["FORCE_COLOR"] == "1"


def test_text_comparing_tests_pass_under_the_workflow_environment(tmp_path: Path) -> None:
    env = {**os.environ, **workflow_environment(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-q",
            *SAMPLE,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # Nothing a test ran wrote into the runner's outputs or summary.
    assert not (tmp_path / "output").exists()
    assert not (tmp_path / "summary").exists()
