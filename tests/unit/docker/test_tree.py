"""`tiered_ci.tree`: the work tree and a commit's tree answer the same questions alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GitRepo

from tiered_ci.errors import RepoError
from tiered_ci.tree import GitTree, Tree, WorkTree, open_tree


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "r")
    repo.write_many({"a/b.txt": "b\n", "a/c/d.txt": "d\n", "bin.dat": "x"})
    (repo.path / "bin.dat").write_bytes(b"\xff\xfe")
    (repo.path / "link").symlink_to("a/b.txt")
    (repo.path / "dirlink").symlink_to("a")
    (repo.path / "a" / "up").symlink_to("../a/c/d.txt")
    repo.commit("tree")
    return repo


def both(repo: GitRepo) -> list[Tree]:
    return [WorkTree(repo.path), GitTree(repo.path, repo.head())]


def test_both_trees_read_the_same(repo: GitRepo) -> None:
    for tree in both(repo):
        assert tree.read_text("a/b.txt") == "b\n", tree.label
        assert tree.read_text("link") == "b\n"  # a symlink is followed
        assert tree.read_text("a/up") == "d\n"
        assert tree.read_text("missing") is None
        assert tree.read_text("a") is None  # a folder is no file
        assert tree.read_text("bin.dat") is None  # not UTF-8
        assert (tree.kind("a"), tree.kind("link"), tree.kind("a/b.txt")) == ("dir", "link", "file")
        assert tree.kind("nope") is None
        assert tree.readlink("dirlink") == "a"
        assert tree.readlink("a/b.txt") is None
        assert tree.children("a") == {"b.txt": "file", "c": "dir", "up": "link"}
        assert tree.children("a/b.txt") is None
        children = tree.children(".")
        assert children is not None
        assert set(children) == {"a", "bin.dat", "dirlink", "link"}


def test_a_commit_tree_ignores_the_work_tree(repo: GitRepo) -> None:
    head = repo.head()
    repo.write("a/b.txt", "changed\n")
    assert WorkTree(repo.path).read_text("a/b.txt") == "changed\n"
    assert GitTree(repo.path, head).read_text("a/b.txt") == "b\n"
    assert open_tree(repo.path, "HEAD") == GitTree(repo.path, head)
    assert open_tree(repo.path, None) == WorkTree(repo.path)
    assert GitTree(repo.path, head).label == f"commit {head[:12]}"


def test_an_unknown_rev_names_the_flag(repo: GitRepo) -> None:
    with pytest.raises(RepoError) as info:
        open_tree(repo.path, "no-such-rev")
    assert str(info.value).startswith("--head 'no-such-rev': does not resolve to a commit")
