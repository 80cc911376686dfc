"""Validate and lint the [tool.tiered-ci] table.

Validation errors (a wrong type, an unknown trigger or session) exit 2. Lint
findings exit 1: no [tool.tiered-ci] table at all (plan would run everything
on defaults; `tiered-ci init` writes one), a domain with no tests, unknown
keys, globs that match no tracked file, a folder name without `/**` (it
matches only the folder's own path), a pattern list made only of negations,
test paths and Dockerfiles that do not exist, and test files pytest would
collect (by the repository's own pytest settings) that no tier, domain or
family runs, grouped by folder with the key that should take each, dependency
groups, extras and project folders a session's install names that do not
exist, projects a session installs whose requires-python excludes the Python
it runs on in CI (the caller's `python-version`, default 3.11), and service
images named for another registry than the one a workflow that pushes them
logs in to.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci.commands._common import add_repo_arguments

if TYPE_CHECKING:
    from tiered_ci.lint import Finding
    from tiered_ci.model import Config
    from tiered_ci.tree import Tree

__all__ = ["HELP", "add_arguments", "missing_installs", "orphan_tests", "python_mismatches", "run"]

HELP = __doc__ or ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_arguments(parser)
    parser.add_argument(
        "--resolve",
        action="store_true",
        help="also resolve every session's install with uv (`uv pip compile`, with the "
        "session's Python version; nothing is installed) and report what cannot resolve",
    )


def orphan_tests(loaded: Config, tracked: list[str], tree: Tree) -> list[Finding]:
    """Test files pytest would collect that no tier, domain or family runs."""
    from tiered_ci import orphans  # noqa: PLC0415

    found = orphans.collected_tests(loaded, tracked, tree)
    return list(orphans.orphan_findings(loaded, found, frozenset(tracked), tree.read_text))


def missing_installs(loaded: Config, tracked: list[str], tree: Tree) -> list[Finding]:
    """Dependency groups, extras and project folders a session's install names that
    do not exist (tiered_ci.installs)."""
    from tiered_ci import installs  # noqa: PLC0415
    from tiered_ci.orphans import collected_tests  # noqa: PLC0415

    entries = installs.session_installs(loaded, collected_tests(loaded, tracked, tree))
    return installs.install_findings(entries, tree.read_text, frozenset(tracked))


def python_mismatches(loaded: Config, tracked: list[str], tree: Tree) -> list[Finding]:
    """Projects a session installs whose `requires-python` excludes the Python the
    session runs on in CI (tiered_ci.pythons)."""
    from tiered_ci import installs, pythons  # noqa: PLC0415
    from tiered_ci.orphans import collected_tests  # noqa: PLC0415

    entries = installs.session_installs(loaded, collected_tests(loaded, tracked, tree))
    return pythons.python_findings(tree, entries)


def _resolve(
    loaded: Config, tracked: list[str], tree: Tree, uv: str, source: Path
) -> list[Finding]:
    """Print uv's verdict on each distinct session install; a finding per failure."""
    from tiered_ci import installs, resolve  # noqa: PLC0415
    from tiered_ci.collection import read_settings  # noqa: PLC0415
    from tiered_ci.lint import Finding  # noqa: PLC0415
    from tiered_ci.orphans import collected_tests  # noqa: PLC0415
    from tiered_ci.pythons import python_calls  # noqa: PLC0415

    entries = installs.session_installs(loaded, collected_tests(loaded, tracked, tree))
    # Sessions naming no Python run on the CI caller's (its `python-version`, else the
    # reusable workflow's default), not on the one running check-config.
    ci_python = next((call.python for call in python_calls(tree)), None)
    failed = []
    settings = read_settings(".", frozenset(tracked), tree.read_text)
    results = resolve.resolve(
        entries,
        loaded.root,
        tree.read_text,
        uv,
        lock=loaded.lock,
        python=ci_python,
        addopts=settings.addopts if settings is not None else (),
    )
    for result in results:
        sessions = ", ".join(result.sessions)
        if result.ok and result.plugins:
            said = ", ".join(f"{option} needs {plugin}" for option, plugin in result.plugins)
            print(f"{source}: resolve: {sessions} (Python {result.python}): pytest would stop:")
            print(f"    {settings.source if settings else 'addopts'}: {said}")
            failed.append(
                Finding(
                    f"resolve {sessions}",
                    f"pytest's addopts ({said}) need plugins this install does not bring; "
                    "add them to its test tools (pytest stops with 'unrecognized arguments')",
                )
            )
            continue
        if result.ok:
            print(f"{source}: resolve: {sessions} (Python {result.python}): OK")
            continue
        print(f"{source}: resolve: {sessions} (Python {result.python}): cannot resolve:")
        for line in result.detail.splitlines():
            print(f"    {line}")
        failed.append(
            Finding(
                f"resolve {sessions}", f"uv cannot resolve its install on Python {result.python}"
            )
        )
    return failed


def run(args: argparse.Namespace) -> int:
    from tiered_ci import changes, config, lint  # noqa: PLC0415
    from tiered_ci.images import discover  # noqa: PLC0415
    from tiered_ci.tree import WorkTree  # noqa: PLC0415

    root = changes.find_root(args.repo)
    uv = None
    if args.resolve:
        from tiered_ci.resolve import find_uv  # noqa: PLC0415

        uv = find_uv()  # before any work: no uv is exit 2, with nothing printed
    # Lint what plan and build will use: configured plus compose-discovered services.
    tree = WorkTree(root)
    loaded = discover.resolve(config.load(root, args.config, tree), tree)
    source = loaded.source or root / "pyproject.toml"
    if not loaded.table_found:
        # Exit 1, not 2: the file is valid and plan still works (it plans everything),
        # but the check the user asked for, "is this repository configured?", fails.
        print(
            f"{source}: no [tool.tiered-ci] table: every change would run everything; "
            "run `tiered-ci init` to write one"
        )
        return 1
    # New files count: right after `tiered-ci init` its noxfile is not committed yet.
    tracked = changes.tracked_files(root, untracked=True)
    findings = lint.lint(loaded, tracked)
    findings += orphan_tests(loaded, tracked, tree)
    findings += missing_installs(loaded, tracked, tree)
    findings += python_mismatches(loaded, tracked, tree)
    if loaded.services:
        from tiered_ci.images.registries import registry_findings  # noqa: PLC0415

        findings += registry_findings(loaded, tree)
    for finding in findings:
        print(f"{source}: {finding}")
    for line in discover.describe(loaded, tree):
        print(f"{source}: note: {line}")
    if uv is not None:
        findings += _resolve(loaded, tracked, tree, uv, source)
    summary = (
        f"{len(loaded.domains)} domains, {len(loaded.services)} services, {len(loaded.tiers)} tiers"
    )
    if findings:
        print(f"{len(findings)} finding(s) in {source} ({summary})")
        return 1
    print(f"{source}: OK ({summary})")
    return 0
