"""Installs that respect the repository's lock: which file, and the constraints it gives. Pure.

A repository that commits `uv.lock` has said which versions its code works with;
a session that installs the newest of everything tests something else (a new
release that removed an argument fails the tests on import). So every session
installs with constraints (`-c FILE`): the versions the lock pins.

* `uv.lock` (any file named so): `uv export --frozen` of every package, group and
  extra of the lock, without the workspace's own members (the sessions install
  those themselves, editable) and without local or URL requirements (a
  constraint may not be editable, and a URL would clash with the editable
  install of the same package). uv's lock is universal: each pin keeps its
  environment marker, so every Python of a session's axis gets its own pin.
* any other file: a constraints file in requirements format, used as written;
  `{python}` in its name is the session's Python (`constraints/py{python}.txt`).

`tiered_ci.nox` runs the commands; a lock that no longer matches the project
(`uv lock --locked` fails) is said out loud, and its pins are still used.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LOCK",
    "LockFile",
    "check_command",
    "constraints_from_export",
    "export_command",
    "find_lock",
    "stale_message",
]

DEFAULT_LOCK = "uv.lock"
# `name==version` (a PEP 440 version), optionally with `; markers`: a pin a constraint can hold.
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s;@]+\s*(;.*)?$")


@dataclass(frozen=True, slots=True)
class LockFile:
    """The lock a session installs with: its path and whether uv must export it."""

    path: str  # repository-relative
    uv: bool  # a uv.lock (exported with uv); else a constraints file used as written


def find_lock(
    *, setting: str | bool, python: str, exists: Callable[[str], bool]
) -> tuple[LockFile | None, str | None]:
    """(the lock to use, or None; an error message, or None) for `tool.tiered-ci.lock`.

    `True` (the default): `uv.lock` when the repository has one, else nothing.
    `False`: nothing. A path: that file, which must exist.
    """
    if setting is False:
        return None, None
    if setting is True:
        return (LockFile(DEFAULT_LOCK, uv=True), None) if exists(DEFAULT_LOCK) else (None, None)
    path = setting.replace("{python}", python)
    if not exists(path):
        return None, (
            f"tool.tiered-ci.lock: {path!r} does not exist; commit it, name another file, "
            "or set lock = false to install the newest versions"
        )
    return LockFile(path, uv=posixpath.basename(path) == DEFAULT_LOCK), None


def export_command(uv: str, lock: LockFile) -> list[str]:
    """The `uv export` that turns `lock` into requirements (run in the repository)."""
    folder = posixpath.dirname(lock.path)
    where = ["--directory", folder] if folder else []
    return [
        uv,
        "export",
        *where,
        "--frozen",
        "--no-hashes",
        "--no-header",
        "--no-annotate",
        "--all-packages",
        "--all-groups",
        "--all-extras",
        "--no-emit-workspace",
    ]


def check_command(uv: str, lock: LockFile) -> list[str]:
    """`uv lock --locked`: fails when the lock no longer matches the project."""
    folder = posixpath.dirname(lock.path)
    return [uv, "lock", *(["--directory", folder] if folder else []), "--locked"]


def constraints_from_export(text: str) -> str:
    """The pins of a `uv export` as a constraints file: `name==version[; marker]` lines
    only (editable, local and URL requirements cannot be constraints)."""
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if _PIN.match(line):
            lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def stale_message(lock: LockFile, output: str) -> str:
    """What a session says when `uv lock --locked` fails: the lock's pins are used anyway."""
    detail = next((line.strip() for line in output.splitlines() if "error" in line.lower()), "")
    detail = detail or (output.strip().splitlines() or ["uv lock --locked failed"])[-1]
    return (
        f"{lock.path} is stale: it does not match the project's requirements ({detail}). "
        f"The session installs its pins anyway; run `uv lock` and commit {lock.path}"
    )
