"""Validate and lint the [tool.tiered-ci] table.

Validation errors (a wrong type, an unknown trigger or session) exit 2. Lint
findings exit 1: unknown keys, globs that match no tracked file, a folder
name without `/**` (it matches only the folder's own path), a pattern list
made only of negations, test paths and Dockerfiles that do not exist.
"""

from __future__ import annotations

import argparse

from tiered_ci.commands._common import add_repo_arguments

HELP = __doc__ or ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repo_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from tiered_ci import changes, config, lint  # noqa: PLC0415
    from tiered_ci.images import discover  # noqa: PLC0415
    from tiered_ci.tree import WorkTree  # noqa: PLC0415

    root = changes.find_root(args.repo)
    # Lint what plan and build will use: configured plus compose-discovered services.
    tree = WorkTree(root)
    loaded = discover.resolve(config.load(root, args.config, tree), tree)
    source = loaded.source or root / "pyproject.toml"
    findings = lint.lint(loaded, changes.tracked_files(root))
    for finding in findings:
        print(f"{source}: {finding}")
    for line in discover.describe(loaded, tree):
        print(f"{source}: note: {line}")
    summary = (
        f"{len(loaded.domains)} domains, {len(loaded.services)} services, {len(loaded.tiers)} tiers"
    )
    if findings:
        print(f"{len(findings)} finding(s) in {source} ({summary})")
        return 1
    print(f"{source}: OK ({summary})")
    return 0
