"""A dependency-version axis per domain: extra shard entries, each with its pin."""

from __future__ import annotations

from pathlib import Path

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.config import parse
from tiered_ci.errors import ConfigError


def test_a_change_to_the_domain_runs_each_pin_as_its_own_entry(
    axis_repo: GitRepo, plan: PlanRunner
) -> None:
    axis_repo.write("packages/core/src/acme_core/extra.py", "X = 1\n")
    axis_repo.commit("core change")

    result = plan(axis_repo, "--base", "HEAD~1")

    sessions = [e["session"] for e in result["matrix"]["include"]]
    assert [s for s in sessions if s.startswith("domain-shard(core")] == [
        "domain-shard(core)",
        "domain-shard(core@click==8.0.4)",
        "domain-shard(core@click==8.1.7)",
    ]


def test_the_python_axis_crosses_the_version_axis(axis_repo: GitRepo, plan: PlanRunner) -> None:
    pyproject = axis_repo.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'folders = "packages/*"\n', 'folders = "packages/*"\npython = ["3.11", "3.12"]\n'
        )
    )
    axis_repo.commit("two Pythons")

    result = plan(axis_repo, "--event", "schedule")

    entries = result["matrix"]["include"]
    assert {
        "session": "domain-shard(core@click==8.0.4-3.12)",
        "args": "",
        "python": "3.12",
    } in entries
    assert len([e for e in entries if e["session"].startswith("domain-shard(core")]) == 6


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (
            "click",
            'tool.tiered-ci.domains.d.matrix: expected a table of package = [version, ...] ({ "dbt-core" = ["1.7.0", "1.8.0"] }), got str',
        ),
        (
            {"click": []},
            'tool.tiered-ci.domains.d.matrix.click: expected a non-empty list of versions (strings such as "1.7.0"), got []',
        ),
        (
            {"click": ["8 .0"]},
            "tool.tiered-ci.domains.d.matrix.click: expected a non-empty list of versions (strings such as \"1.7.0\"), got ['8 .0']",
        ),
        ({"a b": ["1"]}, "tool.tiered-ci.domains.d.matrix: 'a b' is not a package name"),
    ],
)
def test_a_bad_axis_names_the_key(matrix: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse({"domains": {"d": {"paths": ["d/**"], "matrix": matrix}}}, root=Path())

    assert str(caught.value) == message
