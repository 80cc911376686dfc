"""Dependency files and pyproject.toml read as diffs: which distributions changed, which tables.

Pure: every function takes the old and the new text of one file. A text that
cannot be read (bad TOML, unknown lock format) is reported as such, and the
selection runs everything for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fnmatch import fnmatch

from tiered_ci._toml import tomllib

__all__ = [
    "LOCK_FILES",
    "NAME",
    "NO_TEST_TABLES",
    "Unreadable",
    "changed_distributions",
    "is_dependency_file",
    "normalize",
    "pyproject_changes",
]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
# Lock files whose [[package]] (or JSON) entries carry a name and a version.
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml", "pylock.*.toml", "Pipfile.lock")
_REQUIREMENT_FILES = ("*requirements*.txt", "*requirements*.in", "*constraints*.txt")
# pyproject tables that no test can observe: linters, type checkers, formatters,
# the planner's own table, and descriptive metadata. Anything else may change what
# a test sees (pytest's table, build settings, the version), so it runs everything.
NO_TEST_TABLES = (
    "tool.ruff",
    "tool.mypy",
    "tool.black",
    "tool.isort",
    "tool.pyright",
    "tool.pylint",
    "tool.codespell",
    "tool.typos",
    "tool.tiered-ci",
    "project.description",
    "project.readme",
    "project.authors",
    "project.maintainers",
    "project.keywords",
    "project.classifiers",
    "project.urls",
    "project.license",
)
# Keys that hold dependencies: judged by the distributions whose requirement changed.
DEPENDENCY_TABLES = ("project.dependencies", "project.optional-dependencies", "dependency-groups")


class Unreadable(ValueError):
    """The file cannot be parsed; the message says why."""


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_dependency_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch(name, pattern) for pattern in (*LOCK_FILES, *_REQUIREMENT_FILES))


def changed_distributions(path: str, old: str | None, new: str | None) -> set[str]:
    """Normalized names whose pinned version or requirement line differs between the texts."""
    before, after = _entries(path, old), _entries(path, new)
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def _entries(path: str, text: str | None) -> dict[str, str]:
    if text is None:
        return {}
    name = path.rsplit("/", 1)[-1]
    if name == "Pipfile.lock":
        return _pipfile(text)
    if any(fnmatch(name, pattern) for pattern in LOCK_FILES):
        return _toml_lock(text, path)
    return _requirements(text)


def _requirements(text: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue  # options (-r, -c, --hash continuation lines) carry no name
        if match := NAME.match(line):
            entries[normalize(match.group(0))] = " ".join(line.split())
    return entries


def _toml_lock(text: str, path: str) -> dict[str, str]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Unreadable(f"{path}: not valid TOML ({exc})") from None
    packages = document.get("package", document.get("packages", []))
    if not isinstance(packages, list):
        raise Unreadable(f"{path}: no [[package]] list")
    entries = {}
    for package in packages:
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            entries[normalize(package["name"])] = json.dumps(
                {k: package.get(k) for k in ("version", "source", "dependencies")}, sort_keys=True
            )
    return entries


def _pipfile(text: str) -> dict[str, str]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"Pipfile.lock: not valid JSON ({exc})") from None
    entries = {}
    for section in ("default", "develop"):
        for name, spec in (document.get(section) or {}).items():
            entries[normalize(name)] = json.dumps(spec, sort_keys=True)
    return entries


def pyproject_changes(old: str | None, new: str | None) -> tuple[set[str], set[str]]:
    """(changed keys, changed distributions) between two pyproject.toml texts.

    Keys are dotted, two levels deep (`tool.ruff`, `project.dependencies`); a key
    under NO_TEST_TABLES is reported by its table. Raises Unreadable on bad TOML.
    """
    before, after = _toml(old, "old"), _toml(new, "new")
    keys = {
        k for k in _flat(before).keys() | _flat(after).keys() if _get(before, k) != _get(after, k)
    }
    dists: set[str] = set()
    for key in keys:
        if key.startswith(DEPENDENCY_TABLES):
            dists |= _requirement_diff(_get(before, key), _get(after, key))
    return keys, dists


def _toml(text: str | None, which: str) -> dict[str, object]:
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Unreadable(f"pyproject.toml ({which} side): not valid TOML ({exc})") from None


def _flat(document: Mapping[str, object]) -> dict[str, object]:
    """`tool.ruff`, `project.version`, `build-system.requires`: two levels of keys."""
    out: dict[str, object] = {}
    for top, value in document.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                out[f"{top}.{sub}"] = inner
        else:
            out[top] = value
    return out


def _get(document: Mapping[str, object], key: str) -> object:
    top, _, sub = key.partition(".")
    value = document.get(top)
    if not sub:
        return value
    return value.get(sub) if isinstance(value, dict) else None


def _requirement_diff(old: object, new: object) -> set[str]:
    before, after = _requirement_lines(old), _requirement_lines(new)
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def _requirement_lines(value: object) -> dict[str, str]:
    """Requirement strings anywhere in a list or a table of lists, by distribution."""
    found: dict[str, list[str]] = {}
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and (match := NAME.match(item.strip())):
            found.setdefault(normalize(match.group(0)), []).append(" ".join(item.split()))
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):  # optional-dependencies; an include-group names no package
            stack.extend(v for k, v in item.items() if k != "include-group")
    return {name: "|".join(sorted(lines)) for name, lines in found.items()}
