"""Change detection and planning on real git repositories (DESIGN sections 4 and 9)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo, git_env

from tiered_ci import changes, events

EventFile = Callable[..., Path]


def detect_local(repo: GitRepo) -> changes.ChangeSet:
    return changes.detect(repo.path, events.local())


@pytest.mark.critical
def test_domain_change_selects_only_that_domain(project: GitRepo, plan: PlanRunner) -> None:
    project.write("src/app/d1/b.py", "B = 3\n")
    project.commit("touch d1")

    result = plan(project)

    assert result["mode"] == "partial"
    assert result["domains"] == ["d1"]
    assert result["services"] == []
    assert result["sessions"] == ["quick", "domain-shard(d1)", "integration"]
    assert result["matrix"]["include"] == [
        {"session": "domain-shard(d1)", "args": ""},
        {"session": "integration", "args": ""},
    ]
    assert {
        "target": "domain:d1",
        "path": "src/app/d1/b.py",
        "status": "modified",
        "rule": "domains.d1.paths[0]",
    } in result["reasons"]


@pytest.mark.critical
def test_rename_across_two_domains_selects_both(project: GitRepo, plan: PlanRunner) -> None:
    project.git.mv("src/app/d0/a.py", "src/app/d1/a.py")
    project.commit("move a to d1")

    result = plan(project)

    assert result["domains"] == ["d0", "d1"]
    # No rename detection (issue 13, item 15): a rename is a deletion plus an addition.
    assert result["changed"] == [
        {"path": "src/app/d0/a.py", "status": "deleted", "old_path": None},
        {"path": "src/app/d1/a.py", "status": "added", "old_path": None},
    ]
    rules = {(r["target"], r["path"], r["rule"]) for r in result["reasons"]}
    assert ("domain:d0", "src/app/d0/a.py", "domains.d0.paths[0]") in rules
    assert ("domain:d1", "src/app/d1/a.py", "domains.d1.paths[0]") in rules


def test_delete_counts_on_the_deleted_path(project: GitRepo, plan: PlanRunner) -> None:
    project.remove("src/app/d1/b.py")
    project.commit("delete b")

    result = plan(project)

    assert result["changed"] == [{"path": "src/app/d1/b.py", "status": "deleted", "old_path": None}]
    assert result["domains"] == ["d1"]


def test_type_change_to_symlink_counts_as_modified(project: GitRepo) -> None:
    target = project.path / "src/app/d0/a.py"
    target.unlink()
    target.symlink_to("../d1/b.py")
    project.commit("a becomes a link")

    found = detect_local(project)

    assert found.files == (changes.ChangedFile("src/app/d0/a.py", "modified"),)


def test_negated_pattern_excludes_generated_files(project: GitRepo, plan: PlanRunner) -> None:
    project.write("src/app/d1/generated/g.py", "G = 4\n")
    project.commit("regenerate")

    result = plan(project)

    # d1 excludes generated/**, nothing else claims it, and unmapped = run-all.
    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        "src/app/d1/generated/g.py is claimed by no rule and unmapped = 'run-all'"
    )


def test_local_mode_sees_staged_unstaged_and_untracked(project: GitRepo) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")  # unstaged
    project.write("src/app/d1/b.py", "B = 5\n")
    project.git.add("src/app/d1/b.py")  # staged
    project.write("libs/common/new.py", "N = 1\n")  # untracked

    found = detect_local(project)

    assert sorted((f.path, f.status) for f in found.files) == [
        ("libs/common/new.py", "added"),
        ("src/app/d0/a.py", "modified"),
        ("src/app/d1/b.py", "modified"),
    ]
    assert found.fallback_reason is None


def test_awkward_names_survive(project: GitRepo) -> None:
    names = ["src/app/d0/ünïcødé.py", "src/app/d0/with space.py", "src/app/d0/new\nline.py"]
    for name in names:
        project.write(name, "X = 1\n")
    project.commit("awkward names")

    found = detect_local(project)

    assert sorted(f.path for f in found.files) == sorted(names)


@pytest.mark.critical
def test_docs_only_change_plans_nothing_beyond_the_trigger(
    project: GitRepo, plan: PlanRunner
) -> None:
    project.write("docs/guide.md", "better guide\n")
    project.write("README.md", "# better\n")
    project.commit("docs")

    result = plan(project)

    assert result["mode"] == "none"
    assert result["sessions"] == ["quick"]
    assert result["matrix"] == {"include": []}
    assert result["fallback_reason"] is None


@pytest.mark.critical
def test_global_file_runs_everything(project: GitRepo, plan: PlanRunner) -> None:
    project.write(
        "pyproject.toml",
        (project.path / "pyproject.toml").read_text() + "\n[tool.touched]\nby-test = 1\n",
    )
    project.commit("touch pyproject")

    result = plan(project)

    assert result["mode"] == "all"
    assert result["fallback_reason"] == "pyproject.toml is a global input (run-all[0])"
    assert result["domains"] == ["d0", "d1"]
    assert result["services"] == ["api"]
    assert result["sessions"] == [
        "quick",
        "domain-shard(d0)",
        "domain-shard(d1)",
        "unit",
        "integration",
        "docker-changed-services",
    ]


def test_unmapped_top_level_folder_runs_everything(project: GitRepo, plan: PlanRunner) -> None:
    project.write("tools/release.py", "print('release')\n")
    project.commit("new tools folder")

    result = plan(project)

    assert result["mode"] == "all"
    assert "tools/release.py is claimed by no rule" in result["fallback_reason"]


def test_empty_diff_is_mode_none(project: GitRepo, plan: PlanRunner) -> None:
    result = plan(project)

    assert result["mode"] == "none"
    assert result["changed"] == []
    assert result["sessions"] == ["quick"]


def test_shared_library_selects_its_domain_and_service(project: GitRepo, plan: PlanRunner) -> None:
    project.write("libs/common/c.py", "C = 5\n")
    project.commit("common")

    result = plan(project)

    assert result["domains"] == ["d0"]
    assert result["services"] == ["api"]
    assert "docker-changed-services" in result["sessions"]


def test_remainder_unit_test_selects_unit(project: GitRepo, plan: PlanRunner) -> None:
    project.write("tests/unit/test_misc.py", "def test_misc(): assert True\n")
    project.commit("misc test")

    result = plan(project)

    assert result["sessions"] == ["quick", "unit"]


def test_domain_test_selects_its_shard_not_unit(project: GitRepo, plan: PlanRunner) -> None:
    project.write("tests/unit/d0/test_a.py", "def test_a(): assert True\n")
    project.commit("d0 test")

    result = plan(project)

    assert result["sessions"] == ["quick", "domain-shard(d0)", "integration"]


# --- pull requests -----------------------------------------------------------------


def test_pull_request_on_a_merge_commit_compares_with_the_base(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.write("src/app/d0/a.py", "A = 9\n")
    head = project.commit("feature work on d0")
    project.branch("main", create=False)
    project.write("src/app/d1/b.py", "B = 9\n")
    base = project.commit("main moved on in d1")
    # What actions/checkout does for a pull_request: a merge commit of head into base.
    project.git.checkout("-q", "--detach", "main")
    merge = project.merge("feature", "Merge feature into main")

    event = event_file(
        "pull_request.synchronize",
        pull_request__base__ref="main",
        pull_request__base__sha=base,
        pull_request__head__sha=head,
    )
    result = plan(project, "--event", "pull_request", "--event-path", str(event))

    assert result["head"] == merge
    assert result["base"] == base
    assert result["domains"] == ["d0"]


@pytest.mark.smoke
def test_ready_for_review_runs_full_e2e(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.write("src/app/d0/a.py", "A = 9\n")
    project.commit("d0")
    event = event_file("pull_request.ready_for_review", pull_request__base__ref="main")

    result = plan(project, "--event", "pull_request", "--event-path", str(event))

    assert result["sessions"] == ["full-e2e"]
    assert result["mode"] == "all"
    assert result["domains"] == ["d0", "d1"]


def test_environment_variables_select_the_event(
    project: GitRepo,
    plan: PlanRunner,
    event_file: EventFile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project.write("src/app/d1/b.py", "B = 9\n")
    head = project.commit("d1")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    event = event_file(
        "pull_request.opened", pull_request__base__ref="main", pull_request__head__sha=head
    )
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))

    result = plan(project)

    assert result["event"] == "pull_request"
    assert result["domains"] == ["d1"]


# --- pushes -------------------------------------------------------------------------


def test_push_compares_before_and_after(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")
    before = project.commit("d0")
    project.write("src/app/d1/b.py", "B = 7\n")
    after = project.commit("d1")
    event = event_file("push", ref="refs/heads/feature", before=before, after=after, forced=False)

    result = plan(project, "--event", "push", "--event-path", str(event))

    assert result["base"] == before
    assert result["domains"] == ["d1"]


def test_push_of_a_new_branch_uses_the_merge_base(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")
    after = project.commit("d0")
    event = event_file("push.new_branch", ref="refs/heads/feature", after=after)

    result = plan(project, "--event", "push", "--event-path", str(event))

    assert event.read_text().count("0000000000000000000000000000000000000000") == 1
    assert result["mode"] == "partial"
    assert result["domains"] == ["d0"]


def test_force_push_uses_the_merge_base_with_the_default_branch(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")
    old_tip = project.commit("d0 first try")
    project.git.reset("-q", "--hard", "main")
    project.write("src/app/d1/b.py", "B = 7\n")
    new_tip = project.commit("d1 instead")
    event = event_file(
        "push.forced", ref="refs/heads/feature", before=old_tip, after=new_tip, forced=True
    )

    result = plan(project, "--event", "push", "--event-path", str(event))

    assert result["domains"] == ["d1"]  # the abandoned d0 commit does not count


def test_force_push_to_the_default_branch_runs_everything(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.branch("main", create=False)
    old = project.head()
    project.git.commit("-q", "--amend", "-m", "rewritten")
    event = event_file("push.forced", ref="refs/heads/main", before=old, after=project.head())

    result = plan(project, "--event", "push", "--event-path", str(event))

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        "force push to the default branch 'main': no previous tip to diff"
    )
    assert result["sessions"] == [
        "quick",
        "domain-shard(d0)",
        "domain-shard(d1)",
        "unit",
        "integration",
        "docker-changed-services",
    ]


def test_merge_group_compares_base_sha_and_head(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")
    head = project.commit("d0")
    event = event_file(
        "merge_group.checks_requested",
        merge_group__base_sha=str(project.git.rev_parse("main")),
        merge_group__head_sha=head,
        merge_group__base_ref="refs/heads/main",
    )

    result = plan(project, "--event", "merge_group", "--event-path", str(event))

    assert result["sessions"] == ["full-e2e"]
    assert [c["path"] for c in result["changed"]] == ["src/app/d0/a.py"]


@pytest.mark.parametrize("name", ["schedule", "workflow_dispatch"])
def test_scheduled_and_manual_runs_run_everything(
    project: GitRepo, plan: PlanRunner, event_file: EventFile, name: str
) -> None:
    result = plan(project, "--event", name, "--event-path", str(event_file(name)))

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        f"a {name} run has no base to compare with; pass --base to plan a diff"
    )
    assert result["sessions"] == ["full-e2e", "docker-changed-services"]


def test_explicit_base_and_head_win(project: GitRepo, plan: PlanRunner) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")
    first = project.commit("d0")
    project.write("src/app/d1/b.py", "B = 7\n")
    project.commit("d1")

    result = plan(project, "--base", "main", "--head", first)

    assert result["head"] == first
    assert result["domains"] == ["d0"]


# --- shallow clones ------------------------------------------------------------------


def _clone(source: GitRepo, dest: Path, *args: str) -> GitRepo:
    subprocess.run(
        ["git", "clone", "-q", *args, f"file://{source.path}", str(dest)],
        check=True,
        env=git_env(),
    )
    clone = GitRepo.__new__(GitRepo)
    clone.path = dest
    clone.repo = __import__("git").Repo(dest)
    return clone


@pytest.fixture
def feature_with_history(project: GitRepo) -> GitRepo:
    """Feature three commits ahead of main; main one commit ahead of the fork point."""
    for n in range(3):
        project.write("src/app/d0/a.py", f"A = {n}\n")
        project.commit(f"d0 step {n}")
    project.branch("main", create=False)
    project.write("docs/guide.md", "main moved\n")
    project.commit("main docs")
    project.branch("feature", create=False)
    return project


def test_shallow_clone_with_unreachable_base_runs_everything(
    feature_with_history: GitRepo, tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    clone = _clone(
        feature_with_history, tmp_path / "shallow", "--depth", "1", "--branch", "feature"
    )
    clone.git.remote("set-url", "origin", str(tmp_path / "gone"))
    event = event_file(
        "pull_request.opened", pull_request__base__ref="main", pull_request__head__sha=clone.head()
    )

    result = plan(clone, "--event", "pull_request", "--event-path", str(event))

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        "branch 'main' is not in this clone (neither origin/main nor main) and cannot be "
        "fetched; fetch it (actions/checkout fetch-depth: 0) or pass --base"
    )


def test_shallow_clone_is_deepened_until_the_merge_base(
    feature_with_history: GitRepo, tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    clone = _clone(
        feature_with_history, tmp_path / "shallow", "--depth", "1", "--branch", "feature"
    )
    event = event_file(
        "pull_request.opened", pull_request__base__ref="main", pull_request__head__sha=clone.head()
    )

    result = plan(clone, "--event", "pull_request", "--event-path", str(event))

    assert result["mode"] == "partial"
    assert result["domains"] == ["d0"]
    assert result["base"] == str(feature_with_history.git.merge_base("main", "feature"))


def test_shallow_clone_with_no_merge_base_within_budget(
    feature_with_history: GitRepo, tmp_path: Path
) -> None:
    clone = _clone(feature_with_history, tmp_path / "shallow", "--depth", "1", "--no-single-branch")
    trigger = events.from_payload("pull_request", {"pull_request": {"base": {"ref": "main"}}})

    found = changes.detect(clone.path, trigger, deepen_budget=0)

    assert found.fallback_reason == (
        "shallow clone: no merge-base of the pull request base 'main' and HEAD after deepening "
        "0 commits (budget 0); fetch more history (actions/checkout fetch-depth: 0) or raise "
        "deepen-budget"
    )
    assert found.files == ()


def test_unrelated_histories_run_everything(project: GitRepo) -> None:
    project.git.checkout("-q", "--orphan", "island")
    project.write("src/app/d0/a.py", "A = 100\n")
    project.commit("unrelated root")

    found = detect_local(project)

    assert found.fallback_reason == (
        "no merge-base of the default branch 'main' and HEAD: the histories are unrelated"
    )


def test_missing_default_branch_runs_everything(repo: GitRepo) -> None:
    repo.write("a.py")
    repo.commit("only commit")
    repo.git.branch("-m", "trunk")

    found = detect_local(repo)

    assert found.fallback_reason is not None
    assert found.fallback_reason.startswith("branch 'main' is not in this clone")


@pytest.mark.slow
def test_twenty_thousand_file_diff(project: GitRepo, plan: PlanRunner) -> None:
    for n in range(20_000):
        project.write(f"src/app/d{n % 2}/bulk/f{n:05}.py", "X = 1\n")
    project.commit("bulk")

    result = plan(project)

    assert len(result["changed"]) == 20_000
    assert result["domains"] == ["d0", "d1"]
    assert result["mode"] == "partial"


def test_tier_over_its_target_is_sharded_in_the_matrix(project: GitRepo, plan: PlanRunner) -> None:
    config = (project.path / "pyproject.toml").read_text()
    config = config.replace(
        '[tool.tiered-ci.tiers.unit]\npaths = ["tests/unit"]\n',
        '[tool.tiered-ci.tiers.unit]\npaths = ["tests/unit"]\ntarget-seconds = 25\n',
    )
    config = config.replace(
        "[tool.tiered-ci]\n", "[tool.tiered-ci]\nshard-overhead-seconds = 1\n", 1
    )
    project.write("pyproject.toml", config)
    project.write(
        ".test_durations",
        '{"tests/unit/d0/test_a.py::test_a": 10.0, "tests/unit/d1/test_b.py::test_b": 10.0,'
        ' "tests/unit/test_misc.py::test_misc": 20.0, "tests/unit/test_misc.py::test_more": 20.0,'
        ' "tests/integration/test_flow.py::test_flow": 50.0}\n',
    )
    project.commit("unit has a 25 s target")
    project.git.branch("-f", "main", "HEAD")
    project.write("tests/unit/test_misc.py", "def test_misc(): assert 1\n")
    project.commit("remainder test")

    result = plan(project)

    assert result["sessions"] == ["quick", "unit"]
    assert result["matrix"]["include"] == [
        {"session": "unit", "args": "--ignore=tests/unit/d0 --ignore=tests/unit/d1 --shard=1/2"},
        {"session": "unit", "args": "--ignore=tests/unit/d0 --ignore=tests/unit/d1 --shard=2/2"},
    ]
    assert {
        "target": "session:unit",
        "path": None,
        "status": None,
        "rule": "tiers.unit.target-seconds: split into 2 shards",
    } in result["reasons"]
