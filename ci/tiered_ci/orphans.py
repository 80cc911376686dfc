"""Test files no session runs (`tiered-ci check-config`): each one a finding. Pure.

A test file runs when a rule the planner selects test sessions by holds it: a
domain's `tests` or `integration-tests` (generated family domains included) or a
tier's `paths` (with `fan-out`, `unit` runs the part of its paths no domain owns).
A tier with `markers` alone claims no file: it selects by marker, across the whole
collection, and runs whole only when everything runs. So a test pytest would
collect (tiered_ci.collection) that none of those rules holds runs on no change
to the code it tests: a CI that is green because it never runs it.

Findings are grouped by folder (the highest folder below the test's package whose
every test is an orphan), so a repository with 500 such files reads in a few
lines, and each names the key that would naturally take the folder: the domain
that owns the code beside it, the tier or domain whose tests lie nearest, or a
new domain for the package the tests belong to.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from tiered_ci import collection
from tiered_ci.collection import package_root
from tiered_ci.globs import compile_glob
from tiered_ci.lint import Finding
from tiered_ci.model import PREFIX, Config
from tiered_ci.tree import Tree

__all__ = [
    "Group",
    "collected_tests",
    "groups",
    "holds_tests",
    "orphan_findings",
    "orphans",
    "runners",
    "runs_tests",
    "untested_change_note",
]

_SHOWN = 3
_TEST_DEFINITION = re.compile(
    r"^[ \t]*(?:async[ \t]+)?def[ \t]+test|^[ \t]*class[ \t]+Test", re.MULTILINE
)
_TEST_SESSIONS = frozenset(
    {"domain-shard", "domain-integration", "domain-pack", "full-e2e"}
)  # file names a finding lists before "and N more"


@dataclass(frozen=True, slots=True)
class Group:
    """Orphan test files under one folder: the whole folder, or these files of it."""

    folder: str
    files: tuple[str, ...]
    whole: bool  # every collected test under `folder` is an orphan
    package: str  # the package folder the tests belong to ("." for the root)


def runners(config: Config) -> list[tuple[str, str]]:
    """(key, test path) for every path a test session runs, in the config's order."""
    pairs: list[tuple[str, str]] = []
    for name, tier in config.tiers.items():
        pairs += [(f"{PREFIX}.tiers.{name}.paths", p) for p in tier.paths]
    for name, domain in config.domains.items():
        base = (
            f"{PREFIX}.domain-families.{domain.family}"
            if domain.family
            else f"{PREFIX}.domains.{name}"
        )
        pairs += [(f"{base}.tests", p) for p in domain.tests]
        pairs += [(f"{base}.integration-tests", p) for p in domain.integration_tests]
    return pairs


def collected_tests(config: Config, tracked: Sequence[str], tree: Tree) -> list[str]:
    """The tracked files pytest would collect: from the root, each uv workspace member
    and each domain family's folder (tiered_ci.collection)."""
    from tiered_ci import families  # noqa: PLC0415 - only a config with families needs it

    folders = frozenset(p[:i] for p in tracked for i, char in enumerate(p) if char == "/")
    packages = collection.workspace_members(tree.read_text, folders)
    for family in config.families.values():
        packages += families.match_folders(family.folders, tree)
    return collection.collected(tracked, tree.read_text, packages=packages)


def orphans(config: Config, collected: Sequence[str]) -> list[str]:
    """The collected test files no runner's path holds."""
    paths = [_clean(path) for _, path in runners(config)]
    return [f for f in collected if not any(_under(f, p) for p in paths)]


def groups(orphaned: Sequence[str], collected: Sequence[str], files: frozenset[str]) -> list[Group]:
    """`orphaned` by folder: the highest folder below each file's package whose every
    collected test is orphaned, else the file's own folder (listing the files)."""
    lost = frozenset(orphaned)
    covered_folders = {
        f[:i] for f in collected if f not in lost for i, char in enumerate(f) if char == "/"
    }
    by_folder: dict[tuple[str, bool, str], list[str]] = {}
    for path in orphaned:
        package = package_root(path, files)
        folder, whole = _group_folder(path, package, covered_folders)
        by_folder.setdefault((folder, whole, package), []).append(path)
    return [
        Group(folder, tuple(paths), whole, package)
        for (folder, whole, package), paths in sorted(by_folder.items())
    ]


def holds_tests(text: str | None) -> bool:
    """Does a module define a test pytest would collect (a `test*` function or a `Test*`
    class, pytest's default `python_functions`/`python_classes`)? A source module that is
    merely named `test_*.py` (a `test_state` feature, say) does not."""
    return text is None or _TEST_DEFINITION.search(text) is not None


def orphan_findings(
    config: Config,
    collected: Sequence[str],
    files: frozenset[str],
    read: Callable[[str], str | None] | None = None,
) -> Iterator[Finding]:
    """One finding per group of orphan test files, naming the key that should take it."""
    lost = orphans(config, collected)
    if read is not None:
        # Only the orphans are read: a handful of files, not the whole collection.
        dropped = {path for path in lost if not holds_tests(read(path))}
        lost = [path for path in lost if path not in dropped]
        collected = [path for path in collected if path not in dropped]
    for group in groups(lost, collected, files):
        yield _finding(group, config, files)


def runs_tests(sessions: Sequence[str]) -> bool:
    """Does any of these planned sessions run tests beyond `quick`'s few marked ones?
    (`unit`, `unit-3.12`, `domain-shard(api)`, `domain-pack`, `full-e2e` ...)"""
    return any(
        s.partition("(")[0] in _TEST_SESSIONS or re.fullmatch(r"(unit|integration)(-[\w.]+)?", s)
        for s in sessions
    )


def untested_change_note(
    code: Sequence[str],
    claims: Mapping[str, Sequence[str]],
    collected: Sequence[str],
    files: frozenset[str],
    unmapped: str,
) -> str | None:
    """A note when a plan runs no test while code that has tests changed.

    `code`: the changed (not deleted, not ignored) Python files that are no test
    module; `claims`: what each was mapped to (`service:backend`). The tests a file
    has are those of its package: the nearest folder with its own metadata, for the
    file and for each test alike (the root's tests are not a subfolder package's).
    """
    for path in code:
        package = package_root(path, files)
        tests = [t for t in collected if package_root(t, files) == package]
        if not tests:
            continue
        where = "the repository" if package == "." else repr(package)
        plural = "s" if len(tests) != 1 else ""
        others = len(code) - 1
        more = (
            f" (and {others} more changed code file{'s' if others != 1 else ''})" if others else ""
        )
        targets = claims.get(path, ())
        claimed = (
            f"only {', '.join(targets)} claims it"
            if targets
            else f"no rule claims it (unmapped = {unmapped!r})"
        )
        return (
            f"no test runs for this change, though {path}{more} has tests: {where} holds "
            f"{len(tests)} test file{plural} and {claimed}; give the code a domain whose "
            "tests hold them (`tiered-ci check-config` names the tests and the domain)"
        )
    return None


def _group_folder(path: str, package: str, covered: set[str]) -> tuple[str, bool]:
    """The highest folder strictly below `package` holding `path` and no covered test."""
    parts = path.split("/")[:-1]
    start = 0 if package == "." else len(package.split("/"))
    for depth in range(start + 1, len(parts) + 1):
        folder = "/".join(parts[:depth])
        if folder not in covered:
            return folder, True
    return posixpath.dirname(path) or ".", False


def _finding(group: Group, config: Config, files: frozenset[str]) -> Finding:
    count = len(group.files)
    names = [posixpath.relpath(f, group.folder) for f in group.files[:_SHOWN]]
    more = f", and {count - _SHOWN} more" if count > _SHOWN else ""
    plural = "s" if count != 1 else ""
    subject = (
        f"{group.folder!r} holds {count} test file{plural} that no tier, domain or family "
        f"runs ({', '.join(names)}{more})"
    )
    key, fix = _natural_owner(group, config, files)
    return Finding(key, f"{subject}; {fix}")


def _natural_owner(group: Group, config: Config, files: frozenset[str]) -> tuple[str, str]:
    """The key that would naturally run the group, and how to add it there."""
    target = group.folder if group.whole else None
    adding = f"add {target!r}" if target else "add these files"
    owner = _claiming_domain(group.package, config, files)
    if owner is not None:
        domain = config.domains[owner]
        if domain.family is not None and target is not None:
            member = posixpath.relpath(target, group.package)
            return (
                f"{PREFIX}.domain-families.{domain.family}.tests",
                (
                    f"domain {owner} owns the code of {group.package!r}; "
                    f"add '{{folder}}/{member}' to the family's tests"
                ),
            )
        key = f"{PREFIX}.domains.{owner}.tests"
        if domain.family is not None:
            key = f"{PREFIX}.domain-families.{domain.family}.tests"
        return key, f"domain {owner} owns the code of {group.package!r}; {adding} to its tests"
    nearest = _nearest_runner(target, group.folder, group.package, config)
    if nearest is not None:
        key, path = nearest
        return key, f"{adding} to it (it holds {path!r})"
    if group.package != ".":
        name = posixpath.basename(group.package)
        tests = target or group.folder
        return (
            f"{PREFIX}.domains.{name}",
            (
                f"add a domain for the package {group.package!r}: "
                f'paths = ["{group.package}/**"], tests = ["{tests}"] '
                "(`tiered-ci init` proposes one)"
            ),
        )
    return f"{PREFIX}.tiers.unit.paths", f"{adding} to it"


def _claiming_domain(package: str, config: Config, files: frozenset[str]) -> str | None:
    """The domain whose `paths` claim most files of the package folder (not the root)."""
    if package == ".":
        return None
    inside = [f for f in files if f.startswith(f"{package}/")]
    best, best_count = None, 0
    for name, domain in config.domains.items():
        globs = [compile_glob(p) for p in domain.paths if not p.startswith("!")]
        count = sum(1 for f in inside if any(g.fullmatch(f) for g in globs))
        if count > best_count:
            best, best_count = name, count
    return best


def _nearest_runner(
    target: str | None, folder: str, package: str, config: Config
) -> tuple[str, str] | None:
    """The runner path sharing the most leading folders with `folder`, inside its
    package (another package's tests are no home); tiers before domains on a tie."""
    parts = folder.split("/")
    best, best_depth = None, 0 if package == "." else len(package.split("/"))
    for key, path in runners(config):
        if target is not None and _under(_clean(path), target):
            continue  # inside a folder of orphans, it names nothing (check-config says so)
        other = _clean(path).split("/")
        depth = 0
        for mine, theirs in zip(parts, other, strict=False):
            if mine != theirs:
                break
            depth += 1
        if depth > best_depth:
            best, best_depth = (key, path), depth
    return best


def _clean(path: str) -> str:
    return path.partition("::")[0].removeprefix("./").rstrip("/") or "."


def _under(path: str, root: str) -> bool:
    return root in (".", path) or path.startswith(f"{root}/")
