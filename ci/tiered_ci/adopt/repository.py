"""The edge: the repository's files, its git facts and an existing pyproject.toml."""

from __future__ import annotations

import re
from pathlib import Path

from tiered_ci._toml import tomllib
from tiered_ci.adopt.proposal import Reader
from tiered_ci.errors import InputError

__all__ = ["default_branch", "has_table", "reader", "without_table"]


def has_table(text: str, path: Path) -> bool:
    if not text:
        return False
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix it before tiered-ci init") from None
    tool = document.get("tool")
    return isinstance(tool, dict) and "tiered-ci" in tool


def without_table(text: str) -> str:
    """`text` without its [tool.tiered-ci] and [tool.tiered-ci.*] tables (for --force)."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]", line)
        if header:
            name = header.group(1).replace('"', "")
            skipping = name == "tool.tiered-ci" or name.startswith("tool.tiered-ci.")
        if not skipping:
            out.append(line)
    return "".join(out).rstrip("\n") + ("\n" if out else "")


def default_branch(root: Path) -> tuple[str, str]:
    """The branch pull requests target, and where that came from.

    The remote's HEAD says it (`origin/HEAD`, set by `git clone`); else a `main` or
    `master` branch, local or on origin, as one exists. Never the branch checked out
    now: whoever runs init may be on a feature branch.
    """
    from tiered_ci import _git  # noqa: PLC0415

    def ref(name: str) -> str | None:
        try:
            return _git.call(root, "rev-parse", "--verify", "--quiet", "--symbolic-full-name", name)
        except (_git.GitFailed, OSError):
            return None

    remote_head = ref("refs/remotes/origin/HEAD")
    if remote_head:
        branch = remote_head.strip().removeprefix("refs/remotes/origin/")
        return branch, f"origin/HEAD points to {branch}"
    for name in ("main", "master"):
        for full in (f"refs/remotes/origin/{name}", f"refs/heads/{name}"):
            if ref(full):
                return name, f"no origin/HEAD; {full.removeprefix('refs/')} exists"
    return "main", "no origin/HEAD and no main or master branch: set it by hand"


def reader(root: Path) -> Reader:
    def read(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    return read
