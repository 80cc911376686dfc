"""Full validation (merge queue, ready for review, nightly) in per-domain environments. Pure.

`full-e2e` installs the root project and runs every test in one environment. In a
repository whose domains install themselves (a domain, family or member with its
own `install`: one package per folder, each with its own dependencies) that one
environment cannot hold everything, so the full validation fans out instead: every
domain's shard and integration session, each in its own environment, plus
`full-e2e` restricted to the tests no domain owns (e2e included), when there are
any. The planner (tiered_ci.plan) decides with the functions here; the list of
tracked files comes from the I/O edge (tiered_ci.pipeline).
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tiered_ci.model import Config

__all__ = [
    "DEFAULT_PYTHON_FILES",
    "Collection",
    "collection_of",
    "fans_out",
    "owned_tests",
    "remainder_args",
    "unowned_tests",
]

# pytest's own defaults (`python_files`), used when the repository names none.
DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
# Folders pytest does not recurse into by default (`norecursedirs`), besides dot folders.
_NORECURSE = frozenset({"build", "dist", "node_modules", "venv", "CVS", "_darcs", "{arch}"})


@dataclass(frozen=True, slots=True)
class Collection:
    """What a root pytest run collects: `testpaths` (() = everything) and file patterns."""

    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = DEFAULT_PYTHON_FILES


def fans_out(config: Config) -> bool:
    """Does the full validation run in per-domain environments instead of one job?

    Yes when a domain (or the family or member that generated it) has its own
    `install` and the unit tier fans out (`tiers.unit.fan-out`, true by default):
    the same switch that already splits `unit` into the domains' shards.
    """
    return (
        bool(config.domains)
        and config.tier("unit").fan_out
        and any(domain.install is not None for domain in config.domains.values())
    )


def owned_tests(config: Config) -> tuple[str, ...]:
    """Every test path a domain runs (its tests and integration tests), normalised."""
    paths = (t for d in config.domains.values() for t in (*d.tests, *d.integration_tests))
    owned = tuple(dict.fromkeys(_norm(t) for t in paths))
    # A path inside another owned one (`tests/integration` in `tests`) adds nothing.
    return tuple(t for t in owned if not any(o != t and _under(t, o) for o in owned))


def collection_of(pyproject: Mapping[str, object]) -> Collection:
    """The collection settings of a parsed pyproject's `[tool.pytest.ini_options]`.

    A missing table or a value of the wrong type reads as pytest's default: pytest
    itself reports a broken setting.
    """
    table: object = pyproject
    for key in ("tool", "pytest", "ini_options"):
        table = table.get(key, {}) if isinstance(table, Mapping) else {}
    if not isinstance(table, Mapping):
        table = {}
    return Collection(
        testpaths=_strings(table.get("testpaths")),
        python_files=_strings(table.get("python_files")) or DEFAULT_PYTHON_FILES,
    )


def unowned_tests(files: Iterable[str], config: Config, collection: Collection) -> tuple[str, ...]:
    """The test files (by `python_files`, inside `testpaths`) that no domain's tests hold:
    what the root environment must still run once every domain ran in its own."""
    owned = owned_tests(config)
    roots = tuple(_norm(p) for p in collection.testpaths)
    out = []
    for path in files:
        name = posixpath.basename(path)
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in collection.python_files):
            continue
        if roots and not any(_under(path, root) for root in roots):
            continue
        if _skipped_folder(path) or any(_under(path, t) for t in owned):
            continue
        out.append(path)
    return tuple(out)


def remainder_args(unowned: tuple[str, ...] | None, config: Config) -> tuple[str, ...]:
    """pytest arguments of `full-e2e` when it runs only the tests no domain owns.

    With the unowned files known: the top folders (or root files) holding them, and
    `--ignore=` of each owned path inside those, so the job name stays short in a
    monorepo of many packages. Unknown (`None`): pytest's own collection minus every
    owned path.
    """
    owned = owned_tests(config)
    if unowned is None:
        return tuple(f"--ignore={t}" for t in owned)
    tops = tuple(dict.fromkeys(path.split("/", 1)[0] for path in unowned))
    ignores = [f"--ignore={t}" for t in owned if any(_under(t, top) for top in tops)]
    return (*tops, *ignores)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _norm(path: str) -> str:
    return path.removeprefix("./").rstrip("/") or "."


def _under(path: str, folder: str) -> bool:
    return folder in {".", path} or path.startswith(f"{folder}/")


def _skipped_folder(path: str) -> bool:
    folders = path.split("/")[:-1]
    return any(f.startswith(".") or f in _NORECURSE or f.endswith(".egg") for f in folders)
