"""`tiered_ci.tree`: the work tree and a commit's tree answer the same questions alike."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support import GitRepo, git_env

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


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_odd_names_read_alike_in_both_object_formats(tmp_path: Path, object_format: str) -> None:
    # A commit's folders are parsed from raw tree objects: names with spaces, non-ASCII
    # and non-UTF-8 bytes, and ids of either length must come out as the disk has them.
    path = tmp_path / "r"
    init = ["git", "init", "-q", f"--object-format={object_format}", str(path)]
    subprocess.run(init, check=True, env=git_env())
    repo = GitRepo(path)
    names = ["with space.txt", "ünïcode.txt", os.fsdecode(b"raw\xff.txt"), "100644 x", "a\tb"]
    (path / "odd").mkdir()
    for index, name in enumerate(names):
        (path / "odd" / name).write_text(f"{index}\n", encoding="utf-8")
    repo.commit("odd names")
    assert len(repo.head()) == (64 if object_format == "sha256" else 40)
    for tree in both(repo):
        assert tree.children("odd") == dict.fromkeys(names, "file"), tree.label
        for index, name in enumerate(names):
            assert tree.read_text(f"odd/{name}") == f"{index}\n", (tree.label, name)
            assert tree.kind(f"odd/{name}") == "file"


def test_a_prefetched_commit_tree_reads_what_an_unprefetched_one_does(repo: GitRepo) -> None:
    names = [f"pkg/p{n:03}/meta.toml" for n in range(150)]
    repo.write_many({name: f"name = {n}\n" for n, name in enumerate(names)})
    repo.commit("150 packages")
    wanted = [*names, "pkg/p000/missing.txt", "nowhere/x.txt", "a", "link", "bin.dat", "a/b.txt"]
    prefetched = GitTree(repo.path, repo.head())

    prefetched.prefetch(wanted)

    plain = GitTree(repo.path, repo.head())
    assert [prefetched.read_text(p) for p in wanted] == [plain.read_text(p) for p in wanted]
    assert prefetched.read_text("pkg/p149/meta.toml") == "name = 149\n"  # read twice: fine


def test_cat_file_answers_many_names_in_order_across_chunks(repo: GitRepo) -> None:
    from tiered_ci._git import CatFile  # noqa: PLC0415

    head = repo.head()
    cat = CatFile(repo.path)
    try:
        names = [f"{head}:a/b.txt", f"{head}:no/such", "bad\nname", f"{head}:a/c/d.txt"] * 200
        found = cat.read_many(names)
    finally:
        cat.close()

    assert found[:4] == [("blob", b"b\n"), None, None, ("blob", b"d\n")]
    assert found == found[:4] * 200


def test_a_cat_file_process_ends_when_the_cache_lets_go_of_it(tmp_path: Path) -> None:
    """One `git cat-file --batch` per repository, at most 8 cached: a long-lived process
    (a test run, a replay over many clones) must not keep every one it ever started."""
    import gc  # noqa: PLC0415

    from tiered_ci._git import cat_file  # noqa: PLC0415

    cat_file.cache_clear()
    first = GitRepo(tmp_path / "r0")
    first.write("a.txt", "a\n")
    first.commit("a")
    process = cat_file(first.path)._process
    assert cat_file(first.path).read("HEAD:a.txt") == ("blob", b"a\n")
    for n in range(1, 9):  # eight more repositories push the first out of the cache
        repo = GitRepo(tmp_path / f"r{n}")
        repo.write("a.txt", "a\n")
        repo.commit("a")
        cat_file(repo.path).read("HEAD")
    gc.collect()

    assert process.poll() is not None
    cat_file.cache_clear()
