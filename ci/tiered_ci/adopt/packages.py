"""Package folders below the root, and the domain families they become. Pure."""

from __future__ import annotations

import posixpath
import re
from collections import Counter

from tiered_ci.adopt.proposal import (
    NAME,
    Proposal,
    Reader,
    count,
    is_test_file,
    read_toml,
    testpaths,
    toml_key,
    unique,
)
from tiered_ci.adopt.tooling import Tooling, async_gap, test_tooling, versioned

__all__ = [
    "families",
    "family",
    "packages",
    "quick_lint_only",
    "root_test_folder",
    "root_tests",
    "standalone",
    "tests_template",
    "tooling_notes",
]

_PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


_INTEGRATION = re.compile(
    r"integration|docker|e2e|end[-_]to[-_]end|functional|system", re.IGNORECASE
)


def packages(files: set[str], read: Reader) -> list[str]:
    """Package folders below the root, outermost only, none hidden or private.

    A folder named `.x` or `_x` (`.github/...`, `_template`) holds tooling or a
    template, not a package to test; a package inside another one (a test
    fixture) belongs to it.
    """
    found = sorted(
        {
            posixpath.dirname(p)
            for p in files
            if posixpath.basename(p) in _PACKAGE_FILES
            and not any(part.startswith((".", "_")) for part in p.split("/")[:-1])
            and _is_package_file(p, read)
        }
        - {""}
    )
    outer: list[str] = []
    for folder in found:
        if not any(folder.startswith(f"{o}/") for o in outer):
            outer.append(folder)
    # Projects inside the root's test folder with no tests of their own are what the
    # root's tests build and install (fixtures): the tier that runs that folder owns them.
    tests = root_test_folder(files, read)
    return [
        folder
        for folder in outer
        if tests is None
        or not folder.startswith(f"{tests}/")
        or tests_template(folder, files) is not None
    ]


def _is_package_file(path: str, read: Reader) -> bool:
    """A setup.cfg makes a package only with package metadata (`[metadata]` or
    `[options]`), a pyproject.toml only with `[project]`, `[build-system]` or
    `[tool.poetry]`: tools keep their settings there too (`[flake8]`,
    `[tool.ruff]`), and a linter's test fixtures are folders of such settings."""
    name = posixpath.basename(path)
    if name == "setup.py":
        return True
    text = read(path) or ""
    if name == "setup.cfg":
        return re.search(r"^\[(metadata|options)\]", text, re.MULTILINE) is not None
    document = read_toml(text)
    tool = document.get("tool")
    poetry = isinstance(tool, dict) and "poetry" in tool
    # An unreadable pyproject.toml stays a package: better a domain too many than tests unrun.
    return not document or "project" in document or "build-system" in document or poetry


def standalone(packages: list[str], files: set[str]) -> list[str]:
    """The packages of a repository that is no monorepo that hold tests of their own.

    A single package in a subfolder (`backend/` beside a TypeScript `frontend/`),
    each uv workspace member, any folder with its own pyproject.toml or setup.py:
    its tests run in its own domain, else no tier would ever run them.
    """
    return [p for p in packages if tests_template(p, files) is not None]


def tests_template(package: str, files: set[str]) -> str | None:
    """Where a package's tests are, as a family's `tests` template; None without tests."""
    found = [f for f in files if f.startswith(f"{package}/") and is_test_file(f)]
    if not found:
        return None
    for folder in ("tests", "test"):
        if all(f.startswith(f"{package}/{folder}/") for f in found):
            return f"{{folder}}/{folder}"
    return "{folder}"


def _family_tests(members: list[str], files: set[str]) -> str:
    """The family's `tests` template: where its members keep their tests when they
    all agree (`{folder}/tests`, `{folder}/test`), else the whole package folder."""
    found = {tests_template(m, files) for m in members} - {None}
    if len(found) == 1:
        return str(found.pop())
    return "{folder}/tests" if not found else "{folder}"


def families(packages: list[str]) -> dict[str, list[str]]:
    """Parent folder -> its packages; `""` keys the packages at the top level.

    A repository is a monorepo once one folder holds two packages. Then every
    package gets a domain: the other parents' single packages too (their next
    sibling joins by itself), and each top-level package on its own.
    """
    by_parent: dict[str, list[str]] = {}
    for folder in packages:
        by_parent.setdefault(posixpath.dirname(folder), []).append(folder)
    if not any(len(m) >= 2 and p for p, m in by_parent.items()):
        return {}
    return dict(sorted(by_parent.items(), key=lambda item: (item[0] == "", item[0])))


def quick_lint_only(proposal: Proposal) -> list[str]:
    proposal.why.append("tiers.quick: lint only (package tests carry no critical/smoke markers)")
    return ["", "[tool.tiered-ci.tiers.quick]", "run-pytest = false"]


def root_test_folder(files: set[str], read: Reader) -> str | None:
    """The top-level test folder: the first of pytest's `testpaths` that holds files,
    else `tests/` or `test/`; None without one."""
    configured = [p for p in testpaths(read) if any(f.startswith(f"{p}/") for f in files)]
    plain = [d for d in ("tests", "test") if any(f.startswith(f"{d}/") for f in files)]
    found = configured or plain
    return found[0] if found else None


def root_tests(files: set[str], read: Reader, proposal: Proposal) -> tuple[list[str], str | None]:
    """A top-level test folder beside the packages (pytest's `testpaths` when it
    names one, else `tests/` or `test/`): the tier its folder names suggest, and
    the folder when it became the unit tier."""
    folder = root_test_folder(files, read)
    if folder is None:
        return [], None
    configured = folder in testpaths(read)
    depth = folder.count("/") + 1
    inside = {
        f.split("/")[depth] for f in files if f.startswith(f"{folder}/") and f.count("/") > depth
    }
    if inside and all(_INTEGRATION.search(name) for name in inside):
        proposal.why.append(
            f"tiers.integration: {folder}/ (its folders name integration or docker tests)"
        )
        return [
            "",
            "# The top-level tests are integration tests: no `markers`, so all of them run.",
            "[tool.tiered-ci.tiers.integration]",
            f'paths = ["{folder}"]',
        ], None
    whence = " (pytest's testpaths)" if configured else ""
    proposal.why.append(f"tiers.unit: {folder}/ (tests of no single package){whence}")
    return ["", "[tool.tiered-ci.tiers.unit]", f'paths = ["{folder}"]'], folder


def family(  # noqa: PLR0913 - the shared inputs, plus where the tests are
    parent: str,
    members: list[str],
    files: set[str],
    read: Reader,
    proposal: Proposal,
    *,
    tests: str | None = None,
    on_root: frozenset[str] = frozenset(),
) -> list[str]:
    """The family of `parent`'s packages. `on_root`: the packages that depend on the
    root project with no in-repo source for it; their family installs it too."""
    if not parent:
        # Top-level packages: one family each, so their domains still get metadata edges.
        return [
            line
            for member in members
            for line in family(member, [member], files, read, proposal, on_root=on_root)
        ]
    tests = tests or _family_tests(members, files)
    top_level = members == [parent]  # one package, its own family
    name = unique(NAME.sub("-", posixpath.basename(parent).lower()).strip("-"), proposal.families)
    proposal.members.update(dict.fromkeys(members, name))
    pattern = parent if top_level else f"{parent}/*"
    with_tests = [m for m in members if tests_template(m, files) is not None]
    lines = [
        "",
        f"# The package {parent}/, installed alone."
        if top_level
        else f"# One domain per package under {parent}/ ({len(members)} now), installed alone.",
        f"[tool.tiered-ci.domain-families.{name}]",
        f'folders = "{pattern}"',
        'paths = ["{folder}/**"]',
        f'tests = ["{tests}"]',
    ]
    with_integration = [
        m for m in members if any(f.startswith(f"{m}/tests/integration/") for f in files)
    ]
    if with_integration:
        # Each package's own integration tests run in its domain-integration session,
        # not in its shard, and never make the tier-wide session run.
        lines.append('integration-tests = ["{folder}/tests/integration"]')
        proposal.why.append(
            f"domain-families.{name}.integration-tests: "
            f"{count(len(with_integration), 'package')} with tests/integration"
        )
    if not top_level:
        others = sorted(
            {f.split("/")[parent.count("/") + 1] for f in files if f.startswith(f"{parent}/")}
            - {posixpath.basename(m) for m in members}
        )
        folders_only = [o for o in others if any(f.startswith(f"{parent}/{o}/") for f in files)]
        if folders_only:
            lines.append("exclude = [" + ", ".join(f'"{parent}/{o}"' for o in folders_only) + "]")
    tooling = {m: test_tooling(m, files, read) for m in members}
    per_member = {m: list(found.keys) for m, found in tooling.items()}
    counts = Counter(tuple(v) for v in per_member.values())
    # The family's template is the most common way; on a tie, the plain file name.
    common = max(counts, key=lambda keys: (counts[keys], not versioned(keys)))
    lines += ["", f"[tool.tiered-ci.domain-families.{name}.install]"]
    with_root = [m for m in members if m in on_root]
    if with_root:
        # Installed alone, a package's dependency on the root project comes from the
        # index: its tests would pass against the release while this checkout breaks it.
        lines.append("# The root project too: its packages depend on it and test this checkout's.")
        proposal.why.append(
            f"domain-families.{name}.install: root = true, since "
            f"{count(len(with_root), 'package')} depend on the root project (else the "
            "shard tests the released one)"
        )
    root = f"root = {'true' if with_root else 'false'}"
    lines += [root, 'editable = ["{folder}"]', *common]
    for member, keys in per_member.items():
        # A member that does not depend on the root (or pins a release of it) keeps
        # its own install when the family installs the root.
        alone = bool(with_root) and member not in on_root
        if tuple(keys) != common or alone:
            domain = posixpath.basename(member)
            lines += [
                "",
                f"[tool.tiered-ci.domain-families.{name}.members.{toml_key(domain)}.install]",
                "root = false" if alone else root,
                'editable = ["{folder}"]',
                *keys,
            ]
    exceptions = sum(tuple(v) != common for v in per_member.values())  # tooling only
    proposal.why.append(
        f"domain-families.{name}: "
        + (
            f"the package {parent}/"
            if top_level
            else f"{count(len(members), 'package')} under {parent}/, {len(with_tests)} with tests"
        )
        + "; edges come from their metadata"
        + (f"; {exceptions} install their test requirements their own way" if exceptions else "")
    )
    proposal.notes += tooling_notes(
        f"{parent}/" if top_level else f"under {parent}/", tooling, files, read
    )
    return lines


def tooling_notes(
    where: str, tooling: dict[str, Tooling], files: set[str], read: Reader
) -> list[str]:
    """Where the test tools of these packages come from, in one line; what is missing."""
    sources = Counter(found.source for found in tooling.values() if found.source)
    said = [
        f"{n} from {source}" if len(tooling) > 1 else f"from {source}"
        for source, n in sources.items()
    ]
    bare = sorted(posixpath.basename(m) for m, found in tooling.items() if not found.source)
    if bare:
        said.append(
            f"none found for {', '.join(bare)}: bare pytest (add a `test` dependency group)"
        )
    notes = [f"test tooling {where}: {'; '.join(said)}"]
    gaps = sorted(
        posixpath.basename(m)
        for m, found in tooling.items()
        if async_gap(found, [f for f in files if f.startswith(f"{m}/")], read)
    )
    if gaps:
        notes.append(
            f"{', '.join(gaps)}: async tests, and no pytest-asyncio or anyio in the test "
            "tooling found: add one, else pytest fails them"
        )
    return notes
