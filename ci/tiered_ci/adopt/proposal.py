"""What init proposes, and the small text helpers every detector shares. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tiered_ci._toml import tomllib

__all__ = [
    "NAME",
    "Proposal",
    "Reader",
    "array",
    "count",
    "is_test_file",
    "read_toml",
    "testpaths",
    "toml_key",
    "unique",
]

NAME = re.compile(r"[^a-z0-9_-]+")


Reader = Callable[[str], "str | None"]


@dataclass
class Proposal:
    """What init would write: the table's TOML text, and why, line by line."""

    table: str
    why: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    families: set[str] = field(default_factory=set)  # family names written so far
    members: dict[str, str] = field(default_factory=dict)  # package folder -> its family
    python: str | None = None  # the caller's `python-version`, when the default will not do


def array(key: str, items: list[str]) -> list[str]:
    """`key = [...]` on one line, or one item per line when that is long."""
    quoted = [f'"{item}"' for item in items]
    line = f"{key} = [{', '.join(quoted)}]"
    if len(line) <= 88:
        return [line]
    return [f"{key} = [", *(f"    {q}," for q in quoted), "]"]


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def unique(name: str, taken: set[str]) -> str:
    name = name or "packages"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def toml_key(name: str) -> str:
    """A TOML key for `name`: bare when it can be, quoted otherwise."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'


def read_toml(text: str | None) -> dict[str, object]:
    if not isinstance(text, str):
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def is_test_file(path: str) -> bool:
    """A file pytest collects by its default `python_files` (`test_*.py`, `*_test.py`)."""
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def testpaths(read: Reader) -> list[str]:
    """pytest's `testpaths` from pyproject.toml (`[tool.pytest.ini_options]`, or pytest
    9's native `[tool.pytest]`) or pytest.ini, else none."""
    tool = read_toml(read("pyproject.toml")).get("tool")
    pytest = tool.get("pytest", {}) if isinstance(tool, dict) else {}
    options = pytest.get("ini_options", pytest) if isinstance(pytest, dict) else {}
    found = options.get("testpaths") if isinstance(options, dict) else None
    if isinstance(found, str):
        found = found.split()
    if not isinstance(found, list):
        ini = re.search(r"^testpaths\s*=\s*(.+)$", read("pytest.ini") or "", re.MULTILINE)
        found = ini.group(1).split() if ini else []
    return [str(p).strip("/").removeprefix("./") for p in found if isinstance(p, str)]
