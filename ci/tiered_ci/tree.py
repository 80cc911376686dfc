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

import operator
import os
import posixpath
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

__all__ = ["GitTree", "Kind", "Tree", "WorkTree", "open_tree"]

Kind = Literal["file", "dir", "link"]


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


class GitTree:
    """The tree of commit `sha` in the repository at `root`.

    Objects come from one long-running `git cat-file --batch` (`_git.CatFile`), and
    folders are parsed here and cached: GitPython's tree objects validate every
    entry name, which costs seconds on a folder of 50,000 files. A folder stays raw
    bytes until an entry is asked for: a Dockerfile lookup in a folder of thousands
    of files decodes one entry, not all of them.
    """

    __slots__ = ("_blobs", "_folders", "root", "sha")

    def __init__(self, root: Path, sha: str) -> None:
        self.root = root
        self.sha = sha
        self._folders: dict[str, _RawFolder | None] = {}
        self._blobs: dict[str, tuple[str, bytes] | None] = {}  # prefetched, by object id

    def __repr__(self) -> str:
        return f"GitTree({self.root!r}, {self.sha!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GitTree) and (other.root, other.sha) == (self.root, self.sha)

    def __hash__(self) -> int:
        return hash((self.root, self.sha))

    @property
    def label(self) -> str:
        return f"commit {self.sha[:12]}"

    def _data(self, ref: str) -> tuple[str, bytes] | None:
        if ref in self._blobs:
            return self._blobs.pop(ref)  # read once: a prefetched file is not kept twice
        from tiered_ci._git import cat_file  # noqa: PLC0415 - only a rev's tree starts git

        return cat_file(self.root).read(ref)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Fetch the folders holding `paths` and the files among them in two batches
        (`CatFile.read_many`), so reading them one by one next costs no round trip to
        git each: a family of 500 packages reads 500 folders and 500 metadata files."""
        from tiered_ci._git import cat_file  # noqa: PLC0415

        wanted = [p for p in dict.fromkeys(paths) if p.strip("/") not in ("", ".")]
        folders = [
            f
            for f in dict.fromkeys(posixpath.dirname(p.strip("/")) for p in wanted)
            if f not in self._folders
        ]
        refs = [f"{self.sha}^{{tree}}" if not f else f"{self.sha}:{f}" for f in folders]
        for folder, found in zip(folders, cat_file(self.root).read_many(refs), strict=True):
            self._folders[folder] = self._parse(found)
        blobs = [
            entry[1]
            for p in wanted
            if (entry := self._entry(p)) is not None and entry[0] in _FILE_MODES
        ]
        blobs = [b for b in dict.fromkeys(blobs) if b not in self._blobs]
        self._blobs.update(zip(blobs, cat_file(self.root).read_many(blobs), strict=True))

    def _parse(self, found: tuple[str, bytes] | None) -> _RawFolder | None:
        size = len(self.sha) // 2  # object ids are as long as the commit's (SHA-1 or SHA-256)
        return _parse_tree(found[1], size) if found is not None and found[0] == "tree" else None

    def _entries(self, folder: str) -> _RawFolder | None:
        """name -> (mode, raw object id) of the folder `folder` ("" is the root), undecoded;
        None: no folder."""
        if folder in self._folders:
            return self._folders[folder]
        found = self._data(f"{self.sha}^{{tree}}" if not folder else f"{self.sha}:{folder}")
        entries = self._parse(found)
        self._folders[folder] = entries
        return entries

    def _entry(self, path: str) -> tuple[int, str] | None:
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts:
            return None
        entries = self._entries("/".join(parts[:-1]))
        raw = None if entries is None else entries.get(_encode(parts[-1]))
        return None if raw is None else (int(raw[0], 8), raw[2].hex())

    def read_text(self, path: str) -> str | None:
        for _ in range(_MAX_LINKS):
            entry = self._entry(path)
            if entry is None or entry[0] in (_TREE_MODE, _GITLINK_MODE):
                return None
            found = self._data(entry[1])
            if found is None:
                return None
            if entry[0] != _LINK_MODE:
                try:
                    return found[1].decode("utf-8")
                except UnicodeDecodeError:
                    return None
            # A symlink: follow it inside the tree, as the work tree's open() would.
            target = found[1].decode("utf-8", errors="replace")
            path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if path.startswith(("/", "..")):
                return None
        return None

    def kind(self, path: str) -> Kind | None:
        if path in ("", "."):
            return "dir"
        entry = self._entry(path)
        return None if entry is None else _mode_kind(entry[0])

    def children(self, folder: str) -> dict[str, Kind] | None:
        entries = self._entries("" if folder in ("", ".") else folder.strip("/"))
        if entries is None:
            return None
        return {_decode(name): _mode_kind(int(mode, 8)) for name, (mode, _, _) in entries.items()}

    def readlink(self, path: str) -> str | None:
        entry = self._entry(path)
        if entry is None or entry[0] != _LINK_MODE:
            return None
        found = self._data(entry[1])
        try:
            return None if found is None else found[1].decode("utf-8")
        except UnicodeDecodeError:
            return None


_LINK_MODE = 0o120000
_FILE_MODES = (0o100644, 0o100755)
_TREE_MODE = 0o040000
_GITLINK_MODE = 0o160000  # a submodule


def _mode_kind(mode: int) -> Kind:
    if mode == _LINK_MODE:
        return "link"
    return "dir" if mode in (_TREE_MODE, _GITLINK_MODE) else "file"


# name -> (octal mode, name, object id): a folder's entries, as stored
_RawFolder = dict[bytes, tuple[bytes, bytes, bytes]]

# One tree entry: `<octal mode> <name>\0<object id>`; an id is 20 bytes (SHA-1) or 32.
_ENTRY = {size: rb"([0-7]+) ([^\0]*)\0(.{%d})" % size for size in (20, 32)}


def _parse_tree(data: bytes, size: int) -> _RawFolder:
    """A raw git tree object: `<octal mode> <name>\\0<id of size bytes>` entries.

    Two regex passes in C, nothing decoded: the first checks that the entries cover
    `data` exactly (anything else is a corrupt object, a ValueError rather than a
    folder with entries missing), the second lists them.
    """
    entry = _ENTRY.get(size)
    if entry is None or re.fullmatch(b"(?:%s)*" % entry, data, re.DOTALL) is None:
        raise ValueError(f"corrupt git tree object ({len(data)} bytes)")
    found = re.findall(entry, data, re.DOTALL)
    return dict(zip(map(operator.itemgetter(1), found), found, strict=True))


def _encode(name: str) -> bytes:
    return name.encode("utf-8", errors="surrogateescape")


def _decode(name: bytes) -> str:
    return name.decode("utf-8", errors="surrogateescape")


_MAX_LINKS = 40  # what Linux allows in one path lookup


def open_tree(root: Path, rev: str | None) -> Tree:
    """The work tree (`rev` None) or the tree of `rev` (RepoError if it names no commit)."""
    if rev is None:
        return WorkTree(root)
    from tiered_ci.changes import head_commit  # noqa: PLC0415

    sha = head_commit(root, rev)
    assert sha is not None  # noqa: S101 - an explicit rev resolves or raises
    return GitTree(root, sha)
