"""`parse_name_status` over real `git diff --name-status -z` output, with and without
rename detection (the planner's own diffs pass --no-renames and take a faster path)."""

from __future__ import annotations

import subprocess

import pytest
from support import GitRepo, git_env

from tiered_ci.changes import ChangedFile, parse_name_status


def _diff(repo: GitRepo, *flags: str) -> str:
    argv = ["git", "-C", str(repo.path), "diff", "--name-status", "-z", *flags, "HEAD~1", "HEAD"]
    done = subprocess.run(argv, check=True, capture_output=True, env=git_env())
    return done.stdout.decode("utf-8", "surrogateescape")


@pytest.fixture
def changed(repo: GitRepo) -> GitRepo:
    repo.write_many(
        {
            "keep.py": "k\n",
            "edit.py": "e\n",
            "gone.py": "g\n",
            "move me.py": "".join(f"line {i}\n" for i in range(20)),
            "typed": "t\n",
        }
    )
    repo.commit("base")
    repo.write("edit.py", "e2\n")
    repo.remove("gone.py")
    repo.git.mv("move me.py", "moved ✓.py")
    repo.write("new\tfile.py", "n\n")
    (repo.path / "typed").unlink()
    (repo.path / "typed").symlink_to("keep.py")
    repo.commit("change")
    return repo


def test_without_renames_every_record_is_two_tokens(changed: GitRepo) -> None:
    files = sorted(parse_name_status(_diff(changed, "--no-renames")))

    assert files == [
        ChangedFile("edit.py", "modified"),
        ChangedFile("gone.py", "deleted"),
        ChangedFile("move me.py", "deleted"),
        ChangedFile("moved ✓.py", "added"),
        ChangedFile("new\tfile.py", "added"),
        ChangedFile("typed", "modified"),  # T, a type change, counts as modified
    ]


def test_a_rename_keeps_both_paths(changed: GitRepo) -> None:
    files = sorted(parse_name_status(_diff(changed, "-M")))

    assert ChangedFile("moved ✓.py", "renamed", old_path="move me.py") in files
    assert ChangedFile("edit.py", "modified") in files
    assert len(files) == 5


@pytest.mark.parametrize("output", ["", "\0", "M\0", "R100\0old.py\0"])
def test_empty_or_truncated_output_yields_no_invented_path(output: str) -> None:
    assert list(parse_name_status(output)) == []
