"""Notes a plan carries about its config, not its diff (`tiered-ci plan`, issue 17).

* The planned revision's files hold no `[tool.tiered-ci]` table (`plan --head REV`
  from before adoption, or a repository not adopted yet): the plan ran on the
  defaults, where no rule claims a file, so everything runs.
* The plan runs no test although the change edits code that has tests (its
  package holds test files pytest would collect): those tests run on no change,
  the silent gap `check-config` reports as orphans.

The I/O edge: the second reads the head's file list (git) only when a plan runs
no test and a Python file that is no test changed, so an ordinary plan pays nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiered_ci.pipeline import Change
    from tiered_ci.plan import Plan
    from tiered_ci.tree import Tree

__all__ = ["config_notes", "missing_table_note"]


def config_notes(change: Change, plan: Plan) -> list[str]:
    notes = []
    if not change.config.table_found:
        notes.append(missing_table_note(change))
    untested = _untested_note(change, plan)
    if untested is not None:
        notes.append(untested)
    return notes


def missing_table_note(change: Change) -> str:
    source = change.config.source or change.root / "pyproject.toml"
    where = change.tree.label if change.tree is not None else "the work tree"
    return (
        f"{source.name} at {where} holds no [tool.tiered-ci] table: planned on the "
        "defaults, where no rule claims a file, so everything runs (`tiered-ci init` "
        "writes a table; `tiered-ci replay` plans past commits with today's)"
    )


def _untested_note(change: Change, plan: Plan) -> str | None:
    from tiered_ci import orphans  # noqa: PLC0415

    if plan.mode == "all" or not change.config.table_found or orphans.runs_tests(plan.sessions):
        return None
    code = [
        f.path
        for f in plan.changed
        if f.status != "deleted" and f.path.endswith(".py") and f.path not in plan.ignored
    ]
    if not code:
        return None
    from tiered_ci.tree import WorkTree  # noqa: PLC0415

    tree = change.tree or WorkTree(change.root)
    tracked = _head_files(change, tree)
    collected = orphans.collected_tests(change.config, tracked, tree)
    tests = frozenset(collected)
    code = [path for path in code if path not in tests]
    claims: dict[str, list[str]] = {}
    for reason in plan.reasons:
        if reason.path is not None:
            claims.setdefault(reason.path, []).append(reason.target)
    return orphans.untested_change_note(
        code, claims, collected, frozenset(tracked), change.config.unmapped
    )


def _head_files(change: Change, tree: Tree) -> list[str]:
    """The head's files: the work tree's tracked and new files, or `--head REV`'s tree."""
    from tiered_ci import _git, changes  # noqa: PLC0415
    from tiered_ci.tree import GitTree  # noqa: PLC0415

    if isinstance(tree, GitTree):
        listing = _git.call(change.root, "ls-tree", "-r", "-z", "--name-only", tree.sha)
        return [p for p in listing.split("\0") if p]
    return changes.tracked_files(change.root, untracked=True)
