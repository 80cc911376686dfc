"""Which tier remainders hold no test file: the I/O half of "a plan never emits a
session that has nothing to run".

When domains own tests, the tier-wide `unit` (fanned out) and `integration` sessions
run only the tests no domain owns: the tier's paths with every owned folder
`--ignore`d (`plan.unit_remainder`, `plan.integration_remainder`). When the domains
own every folder that holds tests, that remainder is empty: pytest collects nothing
and exits 5, and the session fails although nothing is wrong. This module looks at
the head's files and names such sessions, so that the planner leaves them out.

Fail safe: a remainder counts as empty only when every folder of it was read and no
file in it matches pytest's test-file patterns; a folder that cannot be read, or a
tree too large to walk quickly, keeps the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from tiered_ci.model import Config
from tiered_ci.tree import Tree

__all__ = ["TEST_FILE_PATTERNS", "empty_remainders", "holds_tests"]

# pytest's default `python_files`; a repository's own patterns are added to these.
TEST_FILE_PATTERNS = ("test_*.py", "*_test.py")
# pytest's default `norecursedirs` (the ones a test tree can hold).
_NO_RECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
# Folders read before giving up (then the remainder is assumed to hold tests).
_MAX_FOLDERS = 5000


def empty_remainders(config: Config, tree: Tree) -> frozenset[str]:
    """The tier-wide sessions (`unit`, `integration`) whose remainder holds no test file."""
    from tiered_ci.plan import integration_remainder, unit_remainder  # noqa: PLC0415

    own = _python_files(tree)
    if own is None:
        return frozenset()  # patterns in a file this does not parse: keep every session
    patterns = (*TEST_FILE_PATTERNS, *own)
    empty = set()
    for name, rest in (
        ("unit", unit_remainder(config)),
        ("integration", integration_remainder(config)),
    ):
        if rest is None:
            continue  # no remainder session at all: nothing to decide
        roots = config.tier(name).paths or (".",)
        ignored = [a.removeprefix("--ignore=") for a in rest]
        if holds_tests(tree, roots, ignored, patterns) is False:
            empty.add(name)
    return frozenset(empty)


def holds_tests(
    tree: Tree, roots: Iterable[str], ignored: Iterable[str], patterns: Iterable[str]
) -> bool | None:
    """Whether a file under `roots` but outside `ignored` matches `patterns`;
    None: unsure (a root or folder could not be read, or the walk was too long)."""
    skip = {p.removeprefix("./").rstrip("/") for p in ignored}
    names = tuple(patterns)
    todo = [r.removeprefix("./").rstrip("/") or "." for r in roots]
    read = 0
    while todo:
        path = todo.pop()
        kind = "dir" if path == "." else tree.kind(path)
        if path in skip:
            continue
        if kind == "file":
            if _is_test(path, names):
                return True
            continue
        read += 1
        entries = tree.children(path) if kind == "dir" else None
        if entries is None or read > _MAX_FOLDERS or "link" in entries.values():
            return None  # unreadable, too large, or a link pytest may follow
        todo += [
            name if path == "." else f"{path}/{name}"
            for name, entry_kind in entries.items()
            if entry_kind == "file" or not any(fnmatchcase(name, p) for p in _NO_RECURSE)
        ]
    return False


def _is_test(path: str, patterns: tuple[str, ...]) -> bool:
    name = path.rsplit("/", 1)[-1]
    return any(fnmatchcase(name, p) for p in patterns)


def _python_files(tree: Tree) -> tuple[str, ...] | None:
    """The repository's own `python_files` patterns ([tool.pytest.ini_options]); None:
    an ini-style pytest config sets them (not parsed here: unsure)."""
    from tiered_ci._toml import tomllib  # noqa: PLC0415

    for ini in ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"):
        if "python_files" in (tree.read_text(ini) or ""):
            return None
    text = tree.read_text("pyproject.toml")
    if text is None:
        return ()
    try:
        options = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options", {})
    except tomllib.TOMLDecodeError:
        return ()
    value = options.get("python_files", ()) if isinstance(options, dict) else ()
    if isinstance(value, str):
        value = value.split()
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()
