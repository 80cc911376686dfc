"""`tiered-ci replay`: today's config over the last N first-parent commits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import GitRepo, cli_env

from tiered_ci.cli import main


def replay(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(["replay", "--repo", str(repo.path), "--format", "json", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.critical
def test_replay_plans_every_commit_against_its_own_tree(
    packages_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    result = replay(packages_repo, capsys, "--last", "5")

    lines = [(c["subject"], c["mode"], c["domains"], c["jobs"]) for c in result["commits"]]
    assert lines == [
        # storage and api also run their own integration tests (domain-integration).
        ("storage", "partial", ["storage"], 2),
        ("api", "partial", ["api"], 2),
        ("cli: the fifth package", "partial", ["cli"], 1),
        ("core: a version constant", "partial", ["api", "cli", "core", "models", "storage"], 7),
        ("readme", "none", [], 0),
    ]
    summary = result["summary"]
    assert (summary["commits"], summary["errors"], summary["run_all_share"]) == (5, 0, 0.0)
    # Each commit's domains come from its own tree: 3, 4, 5, 5 and 5 packages.
    assert summary["mean_domain_share"] == round((1 / 3 + 1 / 4 + 1 / 5 + 1 + 0) / 5, 4)
    assert summary["run_all_causes"] == []
    assert 0 < summary["saving"] < 1


def test_replay_ranks_the_rules_that_ran_everything(
    packages_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    packages_repo.write("noxfile.py", (packages_repo.path / "noxfile.py").read_text() + "\n")
    packages_repo.commit("noxfile")
    packages_repo.write(
        "pyproject.toml",
        (packages_repo.path / "pyproject.toml").read_text() + "\n[tool.touched]\nby-test = 1\n",
    )
    packages_repo.write("noxfile.py", (packages_repo.path / "noxfile.py").read_text() + "\n")
    packages_repo.commit("both")
    packages_repo.write("tools/release.sh", "echo\n")
    packages_repo.commit("unmapped tool")

    assert main(["replay", "--repo", str(packages_repo.path), "--last", "4"]) == 0

    out = capsys.readouterr().out
    assert "ran everything: 75% of commits\n" in out
    assert "     2 commits  run-all[1] 'noxfile.py'  (by path: noxfile.py (2))\n" in out
    assert "     1 commits  run-all[0] 'pyproject.toml'  (by path: pyproject.toml (1))\n" in out
    assert "     1 commits  unmapped = 'run-all'  (by path: tools/ (1))\n" in out
    assert "estimated runner time: " in out
    assert "mean share of domains selected: " in out


@pytest.mark.parametrize("value", ["0", "x", "5001"])
def test_replay_last_must_be_a_count(
    packages_repo: GitRepo, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["replay", "--repo", str(packages_repo.path), "--last", value])
    assert info.value.code == 2
    assert "--last: expected a whole number from 1 to 5000" in capsys.readouterr().err


def test_replay_without_a_table_exits_2(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("README.md", "x\n")
    repo.commit("one")
    repo.commit("two")

    assert main(["replay", "--repo", str(repo.path), "--last", "1"]) == 2
    assert "no [tool.tiered-ci] table to replay; run tiered-ci init" in capsys.readouterr().err


def test_step_summary_carries_the_runner_time_estimate(
    packages_repo: GitRepo, tmp_path: Path
) -> None:
    output, summary = tmp_path / "out", tmp_path / "summary.md"
    output.write_text("")
    packages_repo.write("packages/cli/src/acme_cli/__init__.py", "X = 1\n")

    proc = subprocess.run(
        [sys.executable, "-m", "tiered_ci", "plan", "--format", "github"],
        capture_output=True,
        text=True,
        check=False,
        cwd=packages_repo.path,
        env=cli_env({"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}),
    )

    assert proc.returncode == 0, proc.stderr
    page = summary.read_text()
    assert "Runner time: estimated runner time 0.5 min in 1 jobs" in page
    assert "everything: 3.5 min in 7 jobs" in page
    assert "saving 86% (no recorded durations: each job counts its overhead)." in page


def test_replay_head_that_is_an_option_never_reaches_git(
    packages_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "written"

    code = main(
        ["replay", "--repo", str(packages_repo.path), "--last", "2", f"--head=--output={written}"]
    )

    assert code == 2
    assert "not a revision (it starts with '-'" in capsys.readouterr().err
    assert not written.exists()  # `git log --output=FILE` would have written it
