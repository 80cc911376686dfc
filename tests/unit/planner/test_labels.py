"""Pull-request labels force everything or named domains (`[tool.tiered-ci.labels]`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.cli import main
from tiered_ci.config import parse
from tiered_ci.errors import ConfigError

LABELS = """
[tool.tiered-ci.labels]
run-all = ["test-all"]
domains = { "test-d1" = ["d1"], "test-gone" = ["d9"] }
"""
# A label as GitHub sends it: the fields of one in octokit's recorded
# `pull_request.opened` payload (/work/shared/payloads), name aside.
REAL = {
    "id": 1362934389,
    "node_id": "MDU6TGFiZWwxMzYyOTM0Mzg5",
    "url": "https://api.github.com/repos/Codertocat/Hello-World/labels/bug",
    "name": "bug",
    "color": "d73a4a",
    "default": True,
    "description": "Something isn't working",
}


def _label(name: str) -> dict[str, Any]:
    return {**REAL, "name": name}


@pytest.fixture
def labelled(project: GitRepo) -> GitRepo:
    project.git.checkout("main")
    project.write("pyproject.toml", (project.path / "pyproject.toml").read_text() + LABELS)
    project.commit("labels configured")
    project.git.checkout("feature")
    project.git.merge("main")
    project.write("src/app/d0/a.py", "A = 2\n")
    project.commit("d0 change")
    return project


def _plan(repo: GitRepo, plan: PlanRunner, event_file: Callable[..., Path], *names: str) -> Any:
    event = event_file(
        "pull_request.synchronize",
        pull_request__base__ref="main",
        pull_request__head__sha=repo.head(),
        pull_request__labels=[_label(n) for n in names],
    )
    return plan(repo, "--event", "pull_request", "--event-path", str(event), "--base", "main")


def test_without_a_label_the_diff_decides(
    labelled: GitRepo, plan: PlanRunner, event_file: Callable[..., Path]
) -> None:
    result = _plan(labelled, plan, event_file, "bug")

    assert (result["mode"], result["domains"]) == ("partial", ["d0"])


def test_a_run_all_label_runs_everything_and_says_why(
    labelled: GitRepo, plan: PlanRunner, event_file: Callable[..., Path]
) -> None:
    result = _plan(labelled, plan, event_file, "bug", "test-all")

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        "the pull request has the label 'test-all' (labels.run-all): everything runs"
    )


def test_a_domain_label_adds_that_domain(
    labelled: GitRepo,
    plan: PlanRunner,
    event_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = _plan(labelled, plan, event_file, "test-d1")

    assert (result["mode"], result["domains"]) == ("partial", ["d0", "d1"])
    assert "domain-shard(d1)" in result["sessions"]
    event = event_file(
        "pull_request.synchronize",
        pull_request__base__ref="main",
        pull_request__head__sha=labelled.head(),
        pull_request__labels=[_label("test-d1"), _label("test-gone")],
    )
    args = ["plan", "--format", "text", "--explain", "--repo", str(labelled.path), "--base", "main"]
    assert main([*args, "--event", "pull_request", "--event-path", str(event)]) == 0
    out = capsys.readouterr()
    assert "+ domain:d1: label 'test-d1' (labels.domains)" in out.out
    assert "labels.domains.test-gone names 'd9', which is no domain; known: d0, d1" in (
        out.out + out.err
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"run-all": "test-all"},
            "tool.tiered-ci.labels.run-all: expected a list of label names, got 'test-all'",
        ),
        (
            {"domains": {"x": "d0"}},
            "tool.tiered-ci.labels.domains.x: expected a list of domain names, got 'd0'",
        ),
        ({"force": []}, "tool.tiered-ci.labels.force: unknown key; expected run-all or domains"),
    ],
)
def test_bad_label_tables_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse({"labels": table}, root=Path())

    assert str(caught.value) == message


def test_labels_are_read_from_the_payload_and_odd_entries_skipped(tmp_path: Path) -> None:
    from tiered_ci.events import from_environment  # noqa: PLC0415

    payload = {
        "action": "labeled",
        "pull_request": {
            "base": {"ref": "main", "sha": "a" * 40},
            "head": {"sha": "b" * 40},
            "labels": [_label("test-all"), {"name": 3}, "bare", _label("docs")],
        },
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))

    trigger = from_environment({}, event="pull_request", event_path=path)

    assert trigger.labels == ("test-all", "docs")
