"""The files of one revision: the work tree, or a commit's tree read from git.

Everything the planner reads besides the diff (the config, Dockerfiles,
ignore files, compose files and `.env`) goes through a `Tree`, so `plan
--head REV` sees REV's files, not whatever the work tree holds, and replaying
history is exact.

Paths are repository-relative POSIX strings. A path that names nothing, or a
file that is not UTF-8 text, reads as None: callers decide what a missing
file means (usually: watch more, never less).
"""

from __future__ import annotations

import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import git

__all__ = ["GitTree", "Kind", "Tree", "WorkTree", "open_tree"]

Kind = Literal["file", "dir", "link"]

_LINK_MODE = 0o120000


class Tree(Protocol):
    """Read-only access to the files of one revision."""

    @property
    def label(self) -> str:
        """How messages name this tree ("the work tree", "commit 1a2b3c4d")."""
        ...

    def read_text(self, path: str) -> str | None:
        """The UTF-8 text of the file `path` (a symlink is followed), or None."""
        ...

    def kind(self, path: str) -> Kind | None:
        """What `path` is, without following a symlink at `path` itself; None: nothing."""
        ...

    def readlink(self, path: str) -> str | None:
        """The target a symlink at `path` stores (as written), or None if it is no symlink."""
        ...

    def children(self, folder: str) -> dict[str, Kind] | None:
        """The entries of the folder `folder` ("." for the root) by name; None: no folder."""
        ...


@dataclass(frozen=True, slots=True)
class WorkTree:
    """The files on disk under `root` (what a local plan without --head compares)."""

    root: Path

    @property
    def label(self) -> str:
        return "the work tree"

    def read_text(self, path: str) -> str | None:
        try:
            return (self.root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError):
            return None

    def kind(self, path: str) -> Kind | None:
        try:
            mode = os.lstat(self.root / path).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            return "link"
        return "dir" if stat.S_ISDIR(mode) else "file"

    def readlink(self, path: str) -> str | None:
        try:
            return str((self.root / path).readlink())
        except (OSError, ValueError):
            return None

    def children(self, folder: str) -> dict[str, Kind] | None:
        try:
            with os.scandir(self.root / folder) as entries:
                return {e.name: _entry_kind(e) for e in entries if e.name != ".git"}
        except (OSError, ValueError):
            return None


def _entry_kind(entry: os.DirEntry[str]) -> Kind:
    if entry.is_symlink():
        return "link"
    return "dir" if entry.is_dir() else "file"


@dataclass(frozen=True, slots=True)
class GitTree:
    """The tree of commit `sha` in the repository at `root` (blobs read through GitPython)."""

    root: Path
    sha: str

    @property
    def label(self) -> str:
        return f"commit {self.sha[:12]}"

    def _tree(self) -> git.Tree:
        from tiered_ci.changes import open_repo  # noqa: PLC0415 - GitPython only when a rev is read

        return open_repo(self.root).commit(self.sha).tree

    def _object(self, path: str) -> git.Blob | git.Tree | None:
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts:
            return self._tree()
        try:
            found = self._tree() / "/".join(parts)
        except (KeyError, ValueError):
            return None  # missing, or a path through a symlink (git stores no folder there)
        return found if found.type in ("blob", "tree") else None

    def read_text(self, path: str) -> str | None:
        found = self._object(path)
        for _ in range(_MAX_LINKS):
            if found is None or found.type != "blob":
                return None
            data: bytes = found.data_stream.read()
            if found.mode != _LINK_MODE:
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    return None
            # A symlink: follow it inside the tree, as the work tree's open() would.
            path = posixpath.normpath(posixpath.join(posixpath.dirname(path), data.decode()))
            if path.startswith(("/", "..")):
                return None
            found = self._object(path)
        return None

    def kind(self, path: str) -> Kind | None:
        found = self._object(path)
        return None if found is None else _object_kind(found)

    def children(self, folder: str) -> dict[str, Kind] | None:
        found = self._object(folder)
        if found is None or found.type != "tree":
            return None
        return {item.name: _object_kind(item) for item in found}

    def readlink(self, path: str) -> str | None:
        found = self._object(path)
        if found is None or found.mode != _LINK_MODE:
            return None
        try:
            return bytes(found.data_stream.read()).decode("utf-8")
        except UnicodeDecodeError:
            return None


_MAX_LINKS = 40  # what Linux allows in one path lookup


def _object_kind(found: git.Blob | git.Tree | git.Submodule) -> Kind:
    if found.mode == _LINK_MODE:
        return "link"
    return "dir" if found.type in ("tree", "submodule") else "file"


def open_tree(root: Path, rev: str | None) -> Tree:
    """The work tree (`rev` None) or the tree of `rev` (RepoError if it names no commit)."""
    if rev is None:
        return WorkTree(root)
    from tiered_ci.changes import head_commit  # noqa: PLC0415

    sha = head_commit(root, rev)
    assert sha is not None  # noqa: S101 - an explicit rev resolves or raises
    return GitTree(root, sha)
