"""Full validation (merge queue, ready for review, nightly) fans out in per-domain environments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci._toml import tomllib
from tiered_ci.cli import main
from tiered_ci.config import parse
from tiered_ci.full_validation import (
    Collection,
    collection_of,
    fans_out,
    remainder_args,
    unowned_tests,
)
from tiered_ci.model import Config

PACKAGES = ["api", "cli", "core", "models", "storage"]
FANNED = [
    *(f"domain-shard({p})" for p in PACKAGES),
    "domain-integration(api)",
    "domain-integration(storage)",
]


def _append(repo: GitRepo, text: str) -> None:
    repo.write("pyproject.toml", (repo.path / "pyproject.toml").read_text() + text)


@pytest.mark.critical
def test_a_nightly_plan_runs_every_package_in_its_own_environment(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    result = plan(packages_repo, "--event", "schedule")

    assert result["mode"] == "all"
    assert [e["session"] for e in result["matrix"]["include"]] == FANNED
    assert "full-e2e" not in result["sessions"]
    assert {
        "target": "session:domain-shard(core)",
        "path": None,
        "status": None,
        "rule": "triggers.schedule.always (fan-out)",
    } in result["reasons"]


@pytest.mark.parametrize("event", ["merge_group", "ready_for_review"])
def test_the_merge_queue_and_ready_for_review_fan_out_too(
    packages_repo: GitRepo,
    plan: PlanRunner,
    event_file: Callable[..., Path],
    event: str,
) -> None:
    if event == "merge_group":
        path = event_file(
            "merge_group.checks_requested",
            merge_group__base_sha=packages_repo.git.rev_parse("HEAD~1"),
            merge_group__head_sha=packages_repo.head(),
        )
        args = ["--event", "merge_group", "--event-path", str(path)]
    else:
        path = event_file("pull_request.ready_for_review")
        args = ["--event", "pull_request", "--event-path", str(path)]

    result = plan(packages_repo, *args)

    assert [e["session"] for e in result["matrix"]["include"]] == FANNED


def test_tests_no_domain_owns_run_in_full_e2e_beside_the_shards(
    packages_repo: GitRepo, plan: PlanRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    packages_repo.write("tests/e2e/test_flow.py", "def test_flow():\n    pass\n")
    packages_repo.commit("an end-to-end test at the root")

    result = plan(packages_repo, "--event", "schedule")

    entries = result["matrix"]["include"]
    assert [e["session"] for e in entries] == [*FANNED, "full-e2e"]
    # Only the folder that holds them: no package's tests are collected at the root.
    assert entries[-1]["args"] == "tests"
    args = ["plan", "--format", "text", "--explain", "--event", "schedule"]
    assert main([*args, "--repo", str(packages_repo.path)]) == 0
    assert (
        "+ session:full-e2e: the tests no domain owns, in the root environment: "
        "tests/e2e/test_flow.py" in capsys.readouterr().out
    )


def test_a_test_inside_a_package_but_outside_its_tests_runs_at_the_root(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    packages_repo.write("packages/api/src/acme_api/test_inline.py", "def test_x():\n    pass\n")
    packages_repo.commit("an inline test")

    result = plan(packages_repo, "--event", "schedule")

    rest = result["matrix"]["include"][-1]
    assert rest["session"] == "full-e2e"
    # The packages' own tests folders are left to their shards (nested ones once).
    assert rest["args"] == (
        "packages --ignore=packages/api/tests --ignore=packages/cli/tests "
        "--ignore=packages/core/tests --ignore=packages/models/tests "
        "--ignore=packages/storage/tests"
    )


def test_testpaths_decide_what_the_root_would_collect(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    packages_repo.write("tools/test_helper_script.py", "def test_x():\n    pass\n")
    text = (packages_repo.path / "pyproject.toml").read_text()
    packages_repo.write(
        "pyproject.toml",
        text.replace(
            "[tool.pytest.ini_options]\n", '[tool.pytest.ini_options]\ntestpaths = ["packages"]\n'
        ),
    )
    packages_repo.commit("testpaths")

    result = plan(packages_repo, "--event", "schedule")

    assert [e["session"] for e in result["matrix"]["include"]] == FANNED


def test_the_python_axis_gives_one_entry_per_package_and_version(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    packages_repo.write(
        "pyproject.toml",
        text.replace(
            'folders = "packages/*"\n', 'folders = "packages/*"\npython = ["3.11", "3.12"]\n'
        ),
    )
    packages_repo.commit("two Pythons")

    result = plan(packages_repo, "--event", "schedule")

    entries = result["matrix"]["include"]
    assert len(entries) == 2 * len(FANNED)
    assert {"session": "domain-shard(core-3.12)", "args": "", "python": "3.12"} in entries
    assert {"session": "domain-integration(api-3.11)", "args": "", "python": "3.11"} in entries


def test_max_jobs_packs_the_fanned_out_shards(packages_repo: GitRepo, plan: PlanRunner) -> None:
    _append(packages_repo, "\n[tool.tiered-ci.tiers.unit]\nmax-jobs = 2\n")
    packages_repo.commit("max-jobs")

    result = plan(packages_repo, "--event", "schedule")

    sessions = [e["session"] for e in result["matrix"]["include"]]
    assert sessions == [
        "domain-pack",
        "domain-pack",
        "domain-integration(api)",
        "domain-integration(storage)",
    ]
    packed = " ".join(e["args"] for e in result["matrix"]["include"][:2]).split()
    assert sorted(packed) == [f"domain-shard({p})" for p in PACKAGES]


def test_fan_out_false_keeps_one_full_e2e_job(packages_repo: GitRepo, plan: PlanRunner) -> None:
    _append(packages_repo, "\n[tool.tiered-ci.tiers.unit]\nfan-out = false\n")
    packages_repo.commit("no fan-out")

    result = plan(packages_repo, "--event", "schedule")

    assert result["matrix"]["include"] == [{"session": "full-e2e", "args": ""}]


def test_without_per_domain_environments_full_e2e_stays_one_job(
    project: GitRepo, plan: PlanRunner
) -> None:
    result = plan(project, "--event", "schedule")

    sessions = [e["session"] for e in result["matrix"]["include"]]
    assert sessions == ["full-e2e", "docker-changed-services"]


# --- the pure parts ---------------------------------------------------------------


def _config(extra: str = "") -> Config:
    table = tomllib.loads(
        """
[domains.api]
paths = ["packages/api/**"]
tests = ["packages/api/tests"]
integration-tests = ["packages/api/tests/integration"]
install = { root = false, editable = ["packages/api"] }
[domains.web]
paths = ["web/**"]
tests = ["tests/web"]
"""
        + extra
    )
    return parse(table, root=Path())


def test_unowned_tests_follow_pytests_file_patterns_and_skipped_folders() -> None:
    config = _config()
    files = [
        "packages/api/tests/test_a.py",
        "packages/api/tests/integration/test_b.py",
        "tests/web/test_c.py",
        "tests/e2e/test_d.py",
        "tests/e2e/helpers.py",
        "tests/e2e/d_test.py",
        ".github/test_ci.py",
        "node_modules/x/test_y.py",
        "check_z.py",
    ]

    assert unowned_tests(files, config, Collection()) == (
        "tests/e2e/test_d.py",
        "tests/e2e/d_test.py",
    )
    custom = Collection(python_files=("check_*.py",))
    assert unowned_tests(files, config, custom) == ("check_z.py",)


def test_remainder_args_name_the_folders_and_ignore_owned_paths_inside() -> None:
    config = _config()

    assert remainder_args(("tests/e2e/test_d.py",), config) == ("tests", "--ignore=tests/web")
    assert remainder_args(None, config) == (
        "--ignore=packages/api/tests",
        "--ignore=tests/web",
    )


def test_collection_reads_pyproject_and_tolerates_wrong_types() -> None:
    document = {
        "tool": {
            "pytest": {"ini_options": {"testpaths": ["tests"], "python_files": "t_*.py c_*.py"}}
        }
    }

    assert collection_of(document) == Collection(("tests",), ("t_*.py", "c_*.py"))
    assert collection_of({"tool": "broken"}) == Collection()
    assert collection_of({"tool": {"pytest": {"ini_options": {"testpaths": 3}}}}) == Collection()


def test_fans_out_needs_a_domain_with_its_own_install() -> None:
    assert fans_out(_config())
    assert not fans_out(_config("[tiers.unit]\nfan-out = false\n"))
    without = parse({"domains": {"web": {"paths": ["web/**"]}}}, root=Path())
    assert not fans_out(without)
