"""Which tracked files pytest would collect as test modules, read from the repository's
own pytest settings without importing pytest. Pure, given a file reader.

The settings come from the files pytest reads them from, in its order within one
folder: `pytest.ini` (`.pytest.ini`), `pyproject.toml` (`[tool.pytest.ini_options]`,
or pytest 9's `[tool.pytest]`), `tox.ini` (`[pytest]`), `setup.cfg`
(`[tool:pytest]`). Of them this reads `testpaths`, `python_files`, `norecursedirs`
and the `--ignore`/`--ignore-glob` options in `addopts`; without settings, pytest's
defaults (`test_*.py`, `*_test.py`; `.*`, `build`, `dist`, `node_modules`, ...).

Where pytest collects from: the repository root's settings (its `testpaths`, else
everything), and each folder that is a package of the repository (a uv workspace
member, a domain family's folder), as a run inside that folder would (its own
settings' `testpaths`, else the folder). A test module's name patterns and skipped
folders are those of the settings nearest to it, which is what a session running
`pytest <folder>` reads. Conftest files (`collect_ignore`) are not read: that
would mean running them.
"""

from __future__ import annotations

import configparser
import posixpath
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tiered_ci._toml import tomllib

__all__ = [
    "DEFAULT_NORECURSEDIRS",
    "DEFAULT_PYTHON_FILES",
    "PytestSettings",
    "collected",
    "package_root",
    "read_settings",
    "workspace_members",
]

Reader = Callable[[str], "str | None"]  # repository path -> text, None when absent

DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
DEFAULT_NORECURSEDIRS = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)
# pytest's order when one folder holds several candidates.
_SETTING_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class PytestSettings:
    """The collection settings of one pytest configuration file."""

    folder: str  # the folder holding the file ("." for the root): pytest's rootdir
    source: str | None = None  # the file, or None: pytest's defaults
    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = DEFAULT_PYTHON_FILES
    norecursedirs: tuple[str, ...] = DEFAULT_NORECURSEDIRS
    ignore: tuple[str, ...] = ()  # `--ignore=` paths, repository-relative
    ignore_glob: tuple[str, ...] = ()  # `--ignore-glob=` patterns, repository-relative
    addopts: tuple[str, ...] = ()  # as pytest splits them


def read_settings(folder: str, files: frozenset[str], read: Reader) -> PytestSettings | None:
    """The settings of the pytest configuration file in `folder`, or None if it has none."""
    for name in _SETTING_FILES:
        path = _join(folder, name)
        if path not in files:
            continue
        values = _values(name, read(path))
        if values is not None:
            return _settings(folder, path, values)
    return None


def collected(tracked: Sequence[str], read: Reader, *, packages: Iterable[str] = ()) -> list[str]:
    """The tracked files pytest would collect as test modules, in `tracked`'s order.

    `packages`: folders pytest is also run in (workspace members, family folders).
    """
    files = frozenset(tracked)
    settings = _all_settings(files, read)
    roots: list[str] = []
    for scope in dict.fromkeys([".", *packages]):
        roots += _collection_roots(scope, settings, files)
    found = []
    for path in tracked:
        if not path.endswith(".py"):
            continue
        own = _nearest(posixpath.dirname(path), settings)
        root = next((r for r in roots if _under(path, r)), None)
        if root is not None and _is_test_module(path, root, own):
            found.append(path)
    return found


def workspace_members(read: Reader, folders: frozenset[str]) -> list[str]:
    """The root pyproject's `[tool.uv.workspace]` members that exist (globs expanded)."""
    workspace = _table(_toml(read("pyproject.toml")), "tool", "uv", "workspace")
    members = _strings(workspace.get("members"))
    exclude = _strings(workspace.get("exclude"))
    found = [
        folder
        for folder in sorted(folders)
        if any(_match_parts(folder, m) for m in members)
        and not any(_match_parts(folder, e) for e in exclude)
    ]
    return [f for f in found if f != "."]


def package_root(path: str, files: frozenset[str]) -> str:
    """The nearest folder above `path` holding a package's metadata, else "."."""
    folder = posixpath.dirname(path)
    while folder:
        if any(_join(folder, name) in files for name in _PACKAGE_FILES):
            return folder
        folder = posixpath.dirname(folder)
    return "."


# --- reading settings ------------------------------------------------------------


def _values(name: str, text: str | None) -> Mapping[str, object] | None:
    """The pytest options a configuration file holds, or None if it holds none."""
    if text is None:
        return None
    if name == "pyproject.toml":
        document = _toml(text)
        if not _table(document, "tool", "pytest"):
            return None
        return _table(document, "tool", "pytest", "ini_options") or _table(
            document, "tool", "pytest"
        )
    section = {"tox.ini": "pytest", "setup.cfg": "tool:pytest"}.get(name, "pytest")
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section(section):
        # A pytest.ini is pytest's file whatever it holds; the others only with the section.
        return {} if name in {"pytest.ini", ".pytest.ini"} else None
    return dict(parser.items(section))


def _settings(folder: str, source: str, values: Mapping[str, object]) -> PytestSettings:
    addopts = _args(values.get("addopts"))
    ignore, ignore_glob = _ignores(addopts)
    return PytestSettings(
        folder=folder,
        source=source,
        testpaths=tuple(_args(values.get("testpaths"))),
        python_files=tuple(_args(values.get("python_files"))) or DEFAULT_PYTHON_FILES,
        norecursedirs=tuple(_args(values.get("norecursedirs"))) or DEFAULT_NORECURSEDIRS,
        ignore=tuple(_norm(_join(folder, p)) for p in ignore),
        ignore_glob=tuple(_norm(_join(folder, p)) for p in ignore_glob),
        addopts=tuple(addopts),
    )


def _args(value: object) -> list[str]:
    """An option as pytest reads it: a TOML list, or a whitespace-split (shell) string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    return []


def _ignores(addopts: list[str]) -> tuple[list[str], list[str]]:
    found: dict[str, list[str]] = {"--ignore": [], "--ignore-glob": []}
    for i, arg in enumerate(addopts):
        option, sep, value = arg.partition("=")
        if option in found:
            if not sep:
                value = addopts[i + 1] if i + 1 < len(addopts) else ""
            if value:
                found[option].append(value)
    return found["--ignore"], found["--ignore-glob"]


def _all_settings(files: frozenset[str], read: Reader) -> dict[str, PytestSettings]:
    folders = {
        posixpath.dirname(p) or "." for p in files if posixpath.basename(p) in _SETTING_FILES
    }
    settings = {}
    for folder in folders:
        found = read_settings(folder, files, read)
        if found is not None:
            settings[folder] = found
    return settings


def _nearest(folder: str, settings: Mapping[str, PytestSettings]) -> PytestSettings:
    while folder:
        if folder in settings:
            return settings[folder]
        folder = posixpath.dirname(folder)
    return settings.get(".") or PytestSettings(".")


# --- collecting ------------------------------------------------------------------


def _collection_roots(
    scope: str, settings: Mapping[str, PytestSettings], files: frozenset[str]
) -> list[str]:
    """Where `pytest` run in `scope` with no arguments collects from."""
    own = _nearest(scope if scope != "." else "", settings)
    if own.folder != scope or not own.testpaths:
        return [scope]
    folders = {p[:i] for p in files for i, char in enumerate(p) if char == "/"}
    roots: list[str] = []
    for path in own.testpaths:
        full = _norm(_join(scope, path))
        if _GLOB_CHARS.intersection(full):
            roots += sorted(p for p in folders | files if fnmatchcase(p, full))
        elif full in folders or full in files or full == ".":
            roots.append(full)
    # testpaths that name nothing: pytest falls back to the folder it runs in.
    return roots or [scope]


def _is_test_module(path: str, root: str, own: PytestSettings) -> bool:
    name = posixpath.basename(path)
    if not any(_fnmatch_ex(pattern, path, name) for pattern in own.python_files):
        return False
    if any(_under(path, ignored) for ignored in own.ignore):
        return False
    if any(fnmatchcase(path, pattern) for pattern in own.ignore_glob):
        return False
    # pytest does not enter a folder matching norecursedirs below where it starts.
    start = "" if root == "." else root
    parts = posixpath.dirname(path)[len(start) :].strip("/").split("/")
    folder = start
    for part in (p for p in parts if p):
        folder = _join(folder, part) if folder else part
        if any(_fnmatch_ex(pattern, folder, part) for pattern in own.norecursedirs):
            return False
    return True


def _fnmatch_ex(pattern: str, path: str, name: str) -> bool:
    """pytest's fnmatch_ex: a pattern without a slash matches the name only."""
    if "/" not in pattern:
        return fnmatchcase(name, pattern)
    return fnmatchcase(path, pattern if pattern.startswith("*") else f"*{pattern}")


# --- small helpers ---------------------------------------------------------------


def _toml(text: str | None) -> dict[str, object]:
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _match_parts(folder: str, pattern: str) -> bool:
    """A workspace glob, one `*` per folder level (`libs/*` is no `libs/a/b`)."""
    names, parts = folder.split("/"), pattern.strip("/").removeprefix("./").split("/")
    return len(names) == len(parts) and all(map(fnmatchcase, names, parts))


def _table(document: Mapping[str, object], *keys: str) -> dict[str, object]:
    """`document[k1][k2]...` when each is a table, else an empty one."""
    value: object = document
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else f"{folder}/{name}"


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path else "."


def _under(path: str, root: str) -> bool:
    return root in (".", path) or path.startswith(f"{root}/")
