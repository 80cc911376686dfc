"""`find_root`: the top of the work tree, asked of git, spelled as GitPython spelled it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import git
import pytest
from support import GitRepo, git_env

from tiered_ci.changes import find_root
from tiered_ci.errors import RepoError


@pytest.fixture
def nested(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "real" / "repo")
    repo.write("sub/deeper/a.py", "A = 1\n")
    repo.commit("nested folders")
    return repo


def _gitpython_root(start: Path) -> Path:
    found = git.Repo(start, search_parent_directories=True).working_tree_dir
    assert found is not None
    return Path(found)


def test_any_folder_inside_finds_the_top(nested: GitRepo) -> None:
    for start in (nested.path, nested.path / "sub", nested.path / "sub" / "deeper"):
        assert find_root(start) == nested.path == _gitpython_root(start)


def test_a_symlink_to_the_top_keeps_its_spelling(nested: GitRepo, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(nested.path)
    assert find_root(link / "sub") == link == _gitpython_root(link / "sub")


def test_a_symlink_into_a_subfolder_is_no_repository(nested: GitRepo, tmp_path: Path) -> None:
    # Walking up from the link's own spelling never meets `.git`: GitPython says so, and
    # so does the plan, rather than taking the folder above the link for the top.
    link = tmp_path / "link"
    link.symlink_to(nested.path / "sub")
    with pytest.raises(git.InvalidGitRepositoryError):
        _gitpython_root(link)
    with pytest.raises(RepoError, match="not a git repository"):
        find_root(link)


def test_outside_a_repository_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="not a git repository; run inside a git checkout"):
        find_root(tmp_path)
    (tmp_path / "file.txt").write_text("x\n")
    with pytest.raises(RepoError, match="not a git repository"):
        find_root(tmp_path / "file.txt")


def test_a_bare_repository_has_no_work_tree(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=git_env())
    with pytest.raises(RepoError, match="a bare repository has no work tree"):
        find_root(bare)
