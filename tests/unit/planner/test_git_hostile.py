"""Odd git states and hostile payloads never plan less than the change needs (issue 13).

Each test is one of the reliability pass's reproductions (`shared/repro/W1_*`,
`W2_*`, `W3_*`, `W8_*`, `W9_*`, `S2_*`) on real repositories and clones: a
shallow push to the default branch, a pull_request_target checkout, hidden
submodule bumps, option-shaped payload values, assume-unchanged files and an
inherited git environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo, clone

from tiered_ci import events
from tiered_ci.cli import main
from tiered_ci.errors import InputError

EventFile = Callable[..., Path]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- W1: a push to the default branch whose `before` cannot be used -----------------


@pytest.fixture
def pushed(project: GitRepo) -> tuple[GitRepo, str, str]:
    """main moved by one commit that changes the api service: (repo, before, after)."""
    project.branch("main", create=False)
    before = project.head()
    project.write("services/api/app.py", "print('api v2')\n")
    return project, before, project.commit("api v2")


def push_event(event_file: EventFile, before: str, after: str, **extra: Any) -> Path:
    return event_file("push", ref="refs/heads/main", before=before, after=after, **extra)


@pytest.mark.critical
def test_push_to_default_in_a_depth_1_clone_is_deepened(
    pushed: tuple[GitRepo, str, str], tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    upstream, before, after = pushed
    ci = clone(upstream, tmp_path / "ci", "--depth", "1")  # actions/checkout's default

    result = plan(ci, "--event", "push", "--event-path", str(push_event(event_file, before, after)))

    assert (result["mode"], result["base"], result["head"]) == ("partial", before, after)
    assert result["services"] == ["api"]
    assert "docker-changed-services" in result["sessions"]


def test_multi_commit_push_in_a_shallow_clone(
    pushed: tuple[GitRepo, str, str], tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    upstream, before, _ = pushed
    upstream.write("src/app/d0/a.py", "A = 2\n")
    upstream.commit("d0")
    upstream.write("src/app/d1/b.py", "B = 20\n")
    after = upstream.commit("d1")
    ci = clone(upstream, tmp_path / "ci", "--depth", "1")

    result = plan(ci, "--event", "push", "--event-path", str(push_event(event_file, before, after)))

    assert (result["mode"], result["base"]) == ("partial", before)
    assert (result["domains"], result["services"]) == (["d0", "d1"], ["api"])


def test_push_from_a_remote_with_another_name(
    pushed: tuple[GitRepo, str, str], tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    upstream, before, after = pushed
    ci = clone(upstream, tmp_path / "ci", "--depth", "1", "--origin", "upstream")

    result = plan(ci, "--event", "push", "--event-path", str(push_event(event_file, before, after)))

    assert (result["mode"], result["services"]) == ("partial", ["api"])


def test_shallow_push_without_a_remote_runs_everything(
    pushed: tuple[GitRepo, str, str], tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    upstream, before, after = pushed
    ci = clone(upstream, tmp_path / "ci", "--depth", "1")
    ci.git.remote("remove", "origin")

    result = plan(ci, "--event", "push", "--event-path", str(push_event(event_file, before, after)))

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        f"push to the default branch 'main': before {before[:12]} is not in this clone and "
        "cannot be fetched, so what this push changed cannot be verified; fetch more history "
        "(actions/checkout fetch-depth: 0) or raise deepen-budget"
    )


def test_shallow_push_beyond_the_deepen_budget_runs_everything(
    pushed: tuple[GitRepo, str, str], tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    upstream, before, _ = pushed
    for n in range(3):
        upstream.write("src/app/d0/a.py", f"A = {n + 10}\n")
        upstream.commit(f"d0 {n}")
    after = upstream.head()
    ci = clone(upstream, tmp_path / "ci", "--depth", "1")
    config = (ci.path / "pyproject.toml").read_text()
    (ci.path / "ci.toml").write_text(
        config.replace("[tool.tiered-ci]\n", "[tool.tiered-ci]\ndeepen-budget = 1\n")
    )
    event = push_event(event_file, before, after)

    result = plan(
        ci, "--event", "push", "--event-path", str(event), "--config", str(ci.path / "ci.toml")
    )

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        f"push to the default branch 'main': before {before[:12]} is not an ancestor of HEAD "
        f"{after[:12]} within the shallow history (deepened 1 commits, budget 1), so what this "
        "push changed cannot be verified; fetch more history (actions/checkout fetch-depth: 0) "
        "or raise deepen-budget"
    )


def test_push_with_an_unknown_before_and_no_forced_key_runs_everything(
    pushed: tuple[GitRepo, str, str],
    tmp_path: Path,
    plan: PlanRunner,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    upstream, _, after = pushed
    ci = clone(upstream, tmp_path / "ci")
    missing = "1234567890" * 4
    event = tmp_path_factory.mktemp("events") / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "before": missing, "after": after}))

    result = plan(ci, "--event", "push", "--event-path", str(event))

    assert result["mode"] == "all"
    assert result["fallback_reason"].startswith(
        "push to the default branch 'main': before 123456789012 is not in this clone"
    )


def test_filter_sees_the_shallow_push(
    pushed: tuple[GitRepo, str, str],
    tmp_path: Path,
    event_file: EventFile,
    capsys: pytest.CaptureFixture[str],
) -> None:
    upstream, before, after = pushed
    ci = clone(upstream, tmp_path / "ci", "--depth", "1")
    event = push_event(event_file, before, after)

    code, out, _ = run(
        capsys,
        *("filter", "--filters", 'api: ["services/api/**"]', "--repo", str(ci.path)),
        *("--event", "push", "--event-path", str(event)),
    )

    assert code == 0
    assert json.loads(out) == {"api": True, "api_count": 1, "changes": ["api"]}


def test_new_branch_at_the_default_tip_is_never_nothing_changed(
    project: GitRepo, plan: PlanRunner, event_file: EventFile
) -> None:
    # feature has no commit of its own: merge-base(main, HEAD) is HEAD itself.
    event = event_file("push.new_branch", ref="refs/heads/feature", after=project.head())

    result = plan(project, "--event", "push", "--event-path", str(event))

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        f"push (new branch): HEAD {project.head()[:12]} is already on the default branch "
        "'main', so the merge-base is HEAD itself and the diff cannot show what this push changed"
    )


# --- W2: HEAD is not the payload's head ---------------------------------------------


@pytest.fixture
def pull_request(project: GitRepo, tmp_path: Path) -> tuple[GitRepo, str, str]:
    """A PR (feature changes d0) whose CI clone has main checked out: (ci, base, head)."""
    base = str(project.git.rev_parse("main"))
    project.write("src/app/d0/a.py", "A = 3\n")
    head = project.commit("PR changes d0")
    project.branch("main", create=False)
    return clone(project, tmp_path / "ci", "--single-branch", "--branch", "main"), base, head


@pytest.mark.critical
@pytest.mark.parametrize("event", ["pull_request_target", "pull_request"])
def test_pull_request_with_the_base_checked_out_plans_the_payloads_head(
    pull_request: tuple[GitRepo, str, str], plan: PlanRunner, event_file: EventFile, event: str
) -> None:
    ci, base, head = pull_request
    payload = event_file(
        "pull_request.synchronize",
        pull_request__base__ref="main",
        pull_request__base__sha=base,
        pull_request__head__sha=head,
    )

    result = plan(ci, "--event", event, "--event-path", str(payload))

    assert (result["mode"], result["head"], result["domains"]) == ("partial", head, ["d0"])


def test_pull_request_head_that_cannot_be_fetched_runs_everything(
    pull_request: tuple[GitRepo, str, str], plan: PlanRunner, event_file: EventFile
) -> None:
    ci, base, head = pull_request
    ci.git.remote("remove", "origin")
    payload = event_file(
        "pull_request.synchronize",
        pull_request__base__ref="main",
        pull_request__base__sha=base,
        pull_request__head__sha=head,
    )

    result = plan(ci, "--event", "pull_request_target", "--event-path", str(payload))

    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        f"HEAD {base[:12]} is not the payload's head {head[:12]} (nor a merge commit of it), "
        f"and {head[:12]} cannot be fetched; check out the event's head (actions/checkout ref: "
        "the head SHA)"
    )


# --- W3: configuration that hides entries of the diff ---------------------------------


def submodule_bump(project: GitRepo, tmp_path: Path, *, ignore_all: bool) -> GitRepo:
    """d0 holds a submodule (with `ignore = all` in .gitmodules or not); `bump` bumps it."""
    lib = GitRepo(tmp_path / "lib")
    lib.write("f", "v1\n")
    lib.commit("v1")
    project.branch("main", create=False)
    project.git.execute(
        [
            "git",
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            str(lib.path),
            "src/app/d0/vendored",
        ]
    )
    if ignore_all:
        project.git.config("-f", ".gitmodules", "submodule.src/app/d0/vendored.ignore", "all")
    project.commit("vendored lib")
    project.branch("bump")
    sub = GitRepo.__new__(GitRepo)
    sub.path = project.path / "src/app/d0/vendored"
    sub.repo = __import__("git").Repo(sub.path)
    sub.write("f", "v2\n")
    sub.commit("v2")
    project.commit("bump the submodule")
    return project


def test_submodule_bump_hidden_by_gitmodules_ignore_all(
    project: GitRepo, tmp_path: Path, plan: PlanRunner
) -> None:
    bumped = submodule_bump(project, tmp_path, ignore_all=True)
    assert bumped.git.diff("--name-status", "main", "HEAD") == ""  # git hides it

    result = plan(bumped, "--base", "main", "--head", "HEAD")

    assert result["changed"] == [
        {"path": "src/app/d0/vendored", "status": "modified", "old_path": None}
    ]
    assert result["domains"] == ["d0"]


def test_submodule_bump_hidden_by_diff_ignore_submodules(
    project: GitRepo, tmp_path: Path, plan: PlanRunner
) -> None:
    bumped = submodule_bump(project, tmp_path, ignore_all=False)
    bumped.git.config("diff.ignoreSubmodules", "all")
    assert bumped.git.diff("--name-status", "main", "HEAD") == ""  # git hides it

    result = plan(bumped, "--base", "main", "--head", "HEAD")

    assert result["domains"] == ["d0"]


@pytest.mark.parametrize(
    "settings",
    [
        {"diff.external": "false"},
        {"diff.relative": "true", "diff.noprefix": "true"},
        {"color.ui": "always", "color.diff": "always"},
        {"diff.renames": "copies"},
    ],
    ids=["external", "relative-noprefix", "colour", "renames"],
)
def test_user_diff_config_does_not_change_the_plan(
    project: GitRepo, plan: PlanRunner, settings: dict[str, str]
) -> None:
    project.git.mv("src/app/d0/a.py", "src/app/d1/moved.py")
    project.write("src/app/d1/b.py", "B = 5\n")
    project.commit("move and edit")
    for key, value in settings.items():
        project.git.config(key, value)

    result = plan(project, "--base", "main", "--head", "HEAD")

    assert result["mode"] == "partial"
    assert result["changed"] == [
        {"path": "src/app/d0/a.py", "status": "deleted", "old_path": None},
        {"path": "src/app/d1/b.py", "status": "modified", "old_path": None},
        {"path": "src/app/d1/moved.py", "status": "added", "old_path": None},
    ]


# --- S2 / W8: payload values are SHAs and ref names, never options or expressions ----------


@pytest.mark.parametrize("before", ["HEAD", "feature", "main~1", "f5cd8548"])
def test_push_before_that_is_not_a_sha_exits_2(
    project: GitRepo, event_file: EventFile, capsys: pytest.CaptureFixture[str], before: str
) -> None:
    event = event_file("push", ref="refs/heads/feature", before=before, after=project.head())

    code, out, err = run(
        capsys, "plan", "--repo", str(project.path), "--event", "push", "--event-path", str(event)
    )

    assert (code, out) == (2, "")
    assert err == (
        f"tiered-ci plan: error: --event-path {event}: event payload: before: {before!r} is not "
        "a commit SHA (40 or 64 lower-case hex digits, as GitHub writes it); pass the payload "
        "GitHub wrote for this event\n"
    )


@pytest.mark.critical
@pytest.mark.parametrize(
    "case",
    [
        ("push", {"before": "--upload-pack=touch {marker};"}, "before"),
        (
            "merge_group.checks_requested",
            {"merge_group__base_sha": "--upload-pack=touch {marker};"},
            "the base SHA",
        ),
        (
            "pull_request.synchronize",
            {"pull_request__base__ref": "--upload-pack=touch {marker}"},
            "the base branch",
        ),
        (
            "pull_request.synchronize",
            {"pull_request__head__sha": "--upload-pack=touch {marker}"},
            "the head SHA",
        ),
    ],
    ids=["push-before", "merge-group-base", "pr-base-ref", "pr-head-sha"],
)
def test_option_shaped_payload_values_never_reach_git(
    project: GitRepo,
    tmp_path: Path,
    event_file: EventFile,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, dict[str, str], str],
) -> None:
    name, changes, key = case
    ci = clone(project, tmp_path / "ci")
    marker = tmp_path / "pwned"
    event = event_file(name, **{k: v.format(marker=marker) for k, v in changes.items()})
    kind = name.split(".", maxsplit=1)[0]

    code, _, err = run(
        capsys, "plan", "--repo", str(ci.path), "--event", kind, "--event-path", str(event)
    )

    assert code == 2
    assert f"event payload: {key}" in err
    assert not marker.exists()


@pytest.mark.parametrize("flag", ["--base", "--head"])
def test_option_shaped_revision_flags_exit_2(
    project: GitRepo, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    code, _, err = run(capsys, "plan", "--repo", str(project.path), f"{flag}=--output=/tmp/x")

    assert code == 2
    assert err == (
        f"tiered-ci plan: error: {flag} '--output=/tmp/x': not a revision (it starts with '-' "
        "or holds a control character); pass a commit, branch or tag\n"
    )


@pytest.mark.parametrize("name", ["HEAD", "a..b", "-x", "refs/heads/main", "x.lock", "a b", "@"])
def test_branch_names_from_a_payload_are_checked(name: str) -> None:
    with pytest.raises(InputError, match="is not a valid git branch name"):
        events.from_payload("pull_request", {"pull_request": {"base": {"ref": name}}})


def test_sha256_and_sha1_commit_ids_are_accepted() -> None:
    sha1, sha256 = "a" * 40, "b" * 64
    trigger = events.from_payload("push", {"ref": "refs/heads/x", "before": sha1, "after": sha256})
    assert (trigger.before, trigger.head_sha) == (sha1, sha256)


# --- W9: assume-unchanged and skip-worktree files (local plans) -----------------------------


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_an_edit_to_a_flagged_file_counts(project: GitRepo, plan: PlanRunner, flag: str) -> None:
    project.git.update_index(flag, "src/app/d0/a.py")
    project.write("src/app/d0/a.py", "A = 3\n")
    assert project.git.diff("--name-only", "main") == ""  # invisible to git diff

    result = plan(project)

    assert result["changed"] == [
        {"path": "src/app/d0/a.py", "status": "modified", "old_path": None}
    ]
    assert result["domains"] == ["d0"]


def test_an_unedited_flagged_file_does_not_count(project: GitRepo, plan: PlanRunner) -> None:
    project.git.update_index("--assume-unchanged", "src/app/d0/a.py")

    assert plan(project)["mode"] == "none"


def test_a_sparse_file_missing_from_the_work_tree_does_not_count(
    project: GitRepo, plan: PlanRunner
) -> None:
    project.git.update_index("--skip-worktree", "src/app/d1/b.py")
    (project.path / "src/app/d1/b.py").unlink()

    assert plan(project)["mode"] == "none"


def test_a_deleted_assume_unchanged_file_counts_as_deleted(
    project: GitRepo, plan: PlanRunner
) -> None:
    project.git.update_index("--assume-unchanged", "src/app/d1/b.py")
    (project.path / "src/app/d1/b.py").unlink()

    result = plan(project)

    assert result["changed"] == [{"path": "src/app/d1/b.py", "status": "deleted", "old_path": None}]


# --- item 15: the inherited git environment, and no rename detection -----------------------


def test_git_variables_of_a_hook_do_not_leak_into_the_plan(
    project: GitRepo, tmp_path: Path, plan: PlanRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = GitRepo(tmp_path / "other")
    for n in range(5):
        other.write(f"elsewhere/f{n}.py")
    other.commit("another repository")
    project.write("src/app/d0/a.py", "A = 4\n")  # one local edit
    # What git exports to a pre-push hook running in `other`:
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.path / ".git" / "index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))

    result = plan(project)

    assert result["mode"] == "partial"
    assert result["changed"] == [
        {"path": "src/app/d0/a.py", "status": "modified", "old_path": None}
    ]
    assert os.environ["GIT_INDEX_FILE"] == str(other.path / ".git" / "index")  # put back


def test_rename_in_a_partial_clone_needs_no_blob(
    project: GitRepo, tmp_path: Path, plan: PlanRunner
) -> None:
    project.write_many({f"src/app/d0/big{n}.py": f"# {n}\n" + "x = 1\n" * 200 for n in range(20)})
    project.commit("big files")
    project.branch("moved")
    for n in range(20):
        project.git.mv(f"src/app/d0/big{n}.py", f"src/app/d1/big{n}.py")
        project.write(f"src/app/d1/big{n}.py", f"# {n} moved\n" + "x = 1\n" * 200)
    project.commit("move and edit every big file")
    project.git.config("uploadpack.allowFilter", "true")
    ci = clone(
        project, tmp_path / "ci", "--filter=blob:none", "--branch", "moved", "--no-single-branch"
    )
    ci.git.remote("set-url", "origin", str(tmp_path / "gone"))  # no blob can be fetched now

    result = plan(ci, "--base", "origin/feature", "--head", "HEAD")

    assert result["mode"] == "partial"
    assert result["domains"] == ["d0", "d1"]
    assert len(result["changed"]) == 40


def test_reading_a_revision_ignores_a_hooks_git_dir(
    project: GitRepo, tmp_path: Path, plan: PlanRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = GitRepo(tmp_path / "other")
    other.write("elsewhere.py")
    other.commit("another repository")
    project.write("services/api/app.py", "print('v3')\n")
    head = project.commit("api")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))  # as in a hook of `other`

    result = plan(project, "--base", "main", "--head", head)  # config and Dockerfiles from head

    assert (result["head"], result["services"]) == (head, ["api"])


def test_push_planned_when_head_is_not_the_payloads_after(
    project: GitRepo, tmp_path: Path, plan: PlanRunner, event_file: EventFile
) -> None:
    before = project.head()
    project.write("src/app/d1/b.py", "B = 30\n")
    after = project.commit("d1")
    ci = clone(project, tmp_path / "ci", "--branch", "feature")
    ci.git.checkout("-q", "--detach", before)  # a checkout of the wrong commit
    event = event_file("push", ref="refs/heads/feature", before=before, after=after, forced=False)

    result = plan(ci, "--event", "push", "--event-path", str(event))

    assert (result["mode"], result["head"], result["domains"]) == ("partial", after, ["d1"])
