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
* `poetry.lock` (used when there is no `uv.lock`): each locked package's
  `name==version`, with its markers, read from the lock (Poetry is not needed);
  packages from a folder, a git repository or a URL are left to the install, and
  a package locked at two versions with no marker between them is left out.
* any other file: a constraints file in requirements format, used as written;
  `{python}` in its name is the session's Python (`constraints/py{python}.txt`).

`tiered_ci.nox` runs the commands; a lock that no longer matches the project
(`uv lock --locked` fails) is said out loud, and its pins are still used.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from tiered_ci._toml import tomllib

__all__ = [
    "DEFAULT_LOCK",
    "EXPORT_SCOPES",
    "LockFile",
    "check_command",
    "clashing_pins",
    "constraints_from_export",
    "export_command",
    "export_pins",
    "find_lock",
    "poetry_pins",
    "stale_message",
]

DEFAULT_LOCK = "uv.lock"
POETRY_LOCK = "poetry.lock"
# `name==version` (a PEP 440 version), optionally with `; markers`: a pin a constraint can hold.
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s;@]+\s*(;.*)?$")


@dataclass(frozen=True, slots=True)
class LockFile:
    """The lock a session installs with: its path and whether uv must export it."""

    path: str  # repository-relative
    uv: bool  # a uv.lock (exported with uv); else a constraints file used as written
    poetry: bool = False  # a poetry.lock (its pins read by `poetry_pins`)


def find_lock(
    *, setting: str | bool, python: str, exists: Callable[[str], bool]
) -> tuple[LockFile | None, str | None]:
    """(the lock to use, or None; an error message, or None) for `tool.tiered-ci.lock`.

    `True` (the default): `uv.lock` when the repository has one, else `poetry.lock`,
    else nothing. `False`: nothing. A path: that file, which must exist.
    """
    if setting is False:
        return None, None
    if setting is True:
        if exists(DEFAULT_LOCK):
            return LockFile(DEFAULT_LOCK, uv=True), None
        if exists(POETRY_LOCK):
            return LockFile(POETRY_LOCK, uv=False, poetry=True), None
        return None, None
    path = setting.replace("{python}", python)
    if not exists(path):
        return None, (
            f"tool.tiered-ci.lock: {path!r} does not exist; commit it, name another file, "
            "or set lock = false to install the newest versions"
        )
    name = posixpath.basename(path)
    return LockFile(path, uv=name == DEFAULT_LOCK, poetry=name == POETRY_LOCK), None


def poetry_pins(text: str) -> tuple[str | None, list[str]]:
    """(a poetry.lock's pins as a constraints file, the packages left out for being
    locked at two versions with no marker between them); None when it does not parse."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None, []
    packages = document.get("package")
    pins: list[tuple[str, str]] = []
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict) or isinstance(package.get("source"), dict):
            continue  # a folder, git or URL source: a constraint cannot hold it
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        markers = package.get("markers")
        marker = f" ; {markers}" if isinstance(markers, str) and markers else ""
        pins.append((_name(name), f"{name}=={version}{marker}"))
    text = "".join(f"{pin}\n" for _, pin in pins)
    clashing = set(clashing_pins(text))
    kept = "".join(f"{pin}\n" for name, pin in pins if name not in clashing)
    return kept, sorted(clashing)


# What an export covers, widest first. A lock whose project declares conflicting
# groups or extras (`[tool.uv] conflicts`, e.g. a `dev` group and an extra that
# cannot be installed together) cannot export them all at once; uv refuses. The
# next scope that exports still pins everything it covers.
EXPORT_SCOPES: tuple[tuple[str, ...], ...] = (
    ("--all-groups", "--all-extras"),
    ("--all-groups",),
    ("--all-extras",),
    (),
)
_SCOPE_WORDS = {
    ("--all-groups",): "the dependencies and every group, not the extras",
    ("--all-extras",): "the dependencies and every extra, not the groups",
    (): "the dependencies only, not the groups and extras",
}


def export_command(uv: str, lock: LockFile, scope: tuple[str, ...] = EXPORT_SCOPES[0]) -> list[str]:
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
        *scope,
        "--no-emit-workspace",
    ]


def export_pins(
    uv: str, lock: LockFile, run: Callable[[list[str]], subprocess.CompletedProcess[str]]
) -> tuple[str | None, str]:
    """(the lock's pins as a constraints file, a warning) from the widest export uv
    accepts; (None, uv's first error) when it accepts none. The warning says what the
    pins leave out (installed unpinned), or is "" when they cover the whole lock."""
    first_error = ""
    for scope in EXPORT_SCOPES:
        done = run(export_command(uv, lock, scope))
        if done.returncode == 0:
            return constraints_from_export(done.stdout), _export_warning(
                lock, scope, first_error, clashing_pins(done.stdout)
            )
        first_error = first_error or done.stderr.strip() or f"uv exited {done.returncode}"
    return None, first_error


def _export_warning(lock: LockFile, scope: tuple[str, ...], error: str, clashing: list[str]) -> str:
    said = []
    if scope != EXPORT_SCOPES[0]:
        reason = error.splitlines()[-1] if error else "uv refused"
        said.append(
            f"{lock.path}: uv cannot export every group and extra together ({reason}); "
            f"the pins cover {_SCOPE_WORDS[scope]}, and the rest installs unpinned"
        )
    if clashing:
        said.append(
            f"{lock.path}: pinned at two versions across declared conflicts, so installed "
            f"unpinned: {', '.join(clashing)}"
        )
    return "\n".join(said)


def check_command(uv: str, lock: LockFile) -> list[str]:
    """`uv lock --locked`: fails when the lock no longer matches the project."""
    folder = posixpath.dirname(lock.path)
    return [uv, "lock", *(["--directory", folder] if folder else []), "--locked"]


def constraints_from_export(text: str) -> str:
    """The pins of a `uv export` as a constraints file: `name==version[; marker]` lines
    only (editable, local and URL requirements cannot be constraints), without the
    packages `clashing_pins` names."""
    lines = _pins(text)
    clashing = set(clashing_pins(text))
    return "".join(f"{line}\n" for line in lines if _name(line) not in clashing)


def clashing_pins(text: str) -> list[str]:
    """Packages a `uv export` pins at two versions where a pin has no marker to tell
    them apart: an export across declared conflicts writes both forks' pins bare, and
    no install can meet both. They are left out of the constraints (installed
    unpinned) rather than failing every session. A Python-version fork (each pin with
    its `python_version` marker) is no clash."""
    versions: dict[str, set[str]] = {}
    bare: set[str] = set()
    for line in _pins(text):
        name = _name(line)
        versions.setdefault(name, set()).add(line.split(";", 1)[0].split("=")[-1].strip())
        if ";" not in line:
            bare.add(name)
    return sorted(name for name, found in versions.items() if len(found) > 1 and name in bare)


def _pins(text: str) -> list[str]:
    stripped = (raw.split(" #", 1)[0].strip() for raw in text.splitlines())
    return [line for line in stripped if _PIN.match(line)]


def _name(pin: str) -> str:
    """A pin's project name, normalised (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=\s;]", pin, maxsplit=1)[0]).lower()


def stale_message(lock: LockFile, output: str) -> str:
    """What a session says when `uv lock --locked` fails: the lock's pins are used anyway."""
    detail = next((line.strip() for line in output.splitlines() if "error" in line.lower()), "")
    detail = detail or (output.strip().splitlines() or ["uv lock --locked failed"])[-1]
    if "needs to be updated" not in output:
        # Not uv's staleness verdict: the check itself failed (a Python the project
        # excludes, an unreachable index). Calling the lock stale would send the user
        # to `uv lock`, which fails the same way.
        return (
            f"{lock.path} could not be checked (`uv lock --locked` failed: {detail}). "
            "The session installs its pins anyway"
        )
    return (
        f"{lock.path} is stale: it does not match the project's requirements ({detail}). "
        f"The session installs its pins anyway; run `uv lock` and commit {lock.path}"
    )
