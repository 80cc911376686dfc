"""Does the Python the sessions run on satisfy what the projects they install require?

The reusable workflow sets up its `python-version` input (default `3.11`) for nox
and every session that names no Python of its own. A project whose
`requires-python` excludes it (`>=3.14` in a template created this year) fails
on its first CI run, at install, with a message about resolution, not about the
workflow input. `check-config` reports each such session and install, and
`tiered-ci init` writes the input in the caller it creates.

Versions are compared as `major.minor` with the newest patch (what setup-python
installs for `3.12`): `>=3.12.4` allows `3.12`, `<3.12` does not. A specifier
this module cannot read is no finding (it claims nothing it cannot show).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from tiered_ci._toml import tomllib
from tiered_ci.callers import callers
from tiered_ci.lint import Finding
from tiered_ci.tree import Tree

if TYPE_CHECKING:
    from tiered_ci.installs import SessionInstall

__all__ = [
    "WORKFLOW_DEFAULT",
    "PythonCall",
    "allows",
    "lowest_allowed",
    "python_calls",
    "python_findings",
    "requires_python",
]

WORKFLOW_DEFAULT = "3.11"  # the reusable workflow's `python-version` default
_CLAUSE = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*([0-9][0-9.]*)(\.\*)?\s*")
_NEWEST_PATCH = 999
_CANDIDATES = [f"3.{minor}" for minor in range(8, 20)]


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part)


def _pad(version: tuple[int, ...], width: int) -> tuple[int, ...]:
    return version + (0,) * (width - len(version))


def _clause(op: str, value: str, star: bool, python: tuple[int, ...]) -> bool:
    wanted = _release(value)
    if star or op in ("==", "!=", "==="):
        # `==3.12.*` (and `==3.12` for `3.12.x`): a prefix of the version, as written.
        same = python[: len(wanted)] == wanted if star else _pad(python, 3) == _pad(wanted, 3)
        return same if op != "!=" else not same
    width = max(len(python), len(wanted), 3)
    have, bound = _pad(python, width), _pad(wanted, width)
    if op == ">=":
        return have >= bound
    if op == ">":
        return have > bound
    if op == "<=":
        return have <= bound
    if op == "<":
        return have < bound
    # ~=X.Y[.Z]: >= it, and the same release up to its last-but-one part.
    return have >= bound and have[: len(wanted) - 1] == wanted[:-1]


def allows(spec: str, python: str) -> bool | None:
    """Whether `requires-python = spec` allows Python `python` (`3.12`); None when
    the specifier cannot be read. Pure."""
    version = (*_release(python)[:2], _NEWEST_PATCH)
    clauses = [c for c in spec.split(",") if c.strip()]
    matches = [_CLAUSE.fullmatch(c) for c in clauses]
    if not clauses or any(m is None for m in matches):
        return None
    return all(_clause(m[1], m[2], bool(m[3]), version) for m in matches if m is not None)


def lowest_allowed(specs: Iterable[str]) -> str | None:
    """The oldest `3.N` every one of `specs` allows, if any. Pure."""
    readable = [s for s in specs if allows(s, WORKFLOW_DEFAULT) is not None]
    return next((p for p in _CANDIDATES if all(allows(s, p) for s in readable)), None)


def requires_python(text: str | None) -> str | None:
    """`[project] requires-python` of a pyproject.toml's text, if it has one."""
    if not text:
        return None
    try:
        project = tomllib.loads(text).get("project")
    except tomllib.TOMLDecodeError:
        return None
    value = project.get("requires-python") if isinstance(project, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


class PythonCall(NamedTuple):
    """A job calling the reusable workflow, and the Python its sessions get."""

    file: str
    job: str
    python: str
    stated: bool  # the caller passes `python-version` (else the workflow's default)


def python_calls(tree: Tree) -> Iterator[PythonCall]:
    """Every job of `.github/workflows/*` that calls tiered-ci's reusable workflow,
    with its `python-version` (the default when not passed; none when an expression)."""
    for call in callers(tree):
        given = call.inputs.get("python-version")
        python = WORKFLOW_DEFAULT if given is None else str(given)
        if "${{" not in python:
            yield PythonCall(call.file, call.job, python, given is not None)


def python_findings(tree: Tree, entries: Sequence[SessionInstall]) -> list[Finding]:
    """A finding per project a session installs whose `requires-python` excludes the
    Python that session runs on in CI: the caller's `python-version` (or the reusable
    workflow's default) for a session naming none, else the session's own."""
    calls = list(python_calls(tree))
    specs: dict[str, str | None] = {}

    def spec_of(folder: str) -> str | None:
        if folder not in specs:
            path = "pyproject.toml" if folder == "." else f"{folder}/pyproject.toml"
            specs[folder] = requires_python(tree.read_text(path))
        return specs[folder]

    # (where the Python comes from, its version, the project) -> the sessions
    failing: dict[tuple[str, str, str], list[str]] = {}
    for entry in entries:
        folders = (["."] if entry.install.root else []) + [
            folder.rstrip("/") or "." for folder in entry.install.editable
        ]
        runs_on = (
            [(entry.key.removesuffix(".install") + ".python", entry.python)]
            if entry.python
            else [(f"{c.file} (job {c.job})", c.python) for c in calls]
        )
        for where, python in runs_on:
            for folder in folders:
                spec = spec_of(folder)
                if spec is not None and allows(spec, python) is False:
                    failing.setdefault((where, python, folder), []).append(entry.session)
    return [
        _finding(where, python, folder, spec=spec_of(folder) or "", sessions=sessions, calls=calls)
        for (where, python, folder), sessions in failing.items()
    ]


def _finding(  # noqa: PLR0913 - one finding's facts
    where: str, python: str, folder: str, *, spec: str, sessions: list[str], calls: list[PythonCall]
) -> Finding:
    project = "pyproject.toml" if folder == "." else f"{folder}/pyproject.toml"
    lowest = lowest_allowed([spec]) or "a version it allows"
    shown = ", ".join(sessions[:3]) + (
        f" and {len(sessions) - 3} more" if len(sessions) > 3 else ""
    )
    call = next((c for c in calls if where == f"{c.file} (job {c.job})"), None)
    if call is None:
        return Finding(
            where,
            f"{shown} runs on Python {python}, but {project} has requires-python {spec!r}, "
            f"so its install fails: use {lowest}",
        )
    whence = "its `python-version` input" if call.stated else "the reusable workflow's default"
    return Finding(
        f"{call.file} jobs.{call.job}.with.python-version",
        f"CI runs {shown} on Python {python} ({whence}), but {project} has requires-python "
        f"{spec!r}, so the install fails on the first run: pass `python-version: "
        f'"{lowest}"` to the job',
    )
