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


def default_branch(root: Path) -> str:
    from tiered_ci.changes import open_repo  # noqa: PLC0415

    try:
        return str(open_repo(root).active_branch.name)
    except (TypeError, ValueError):
        return "main"  # a detached HEAD


def reader(root: Path) -> Reader:
    def read(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    return read
