"""pyproject.toml read as a diff of tables, for the planner.

A root `pyproject.toml` is a `run-all` input because it can change every
session (dependencies, pytest's settings, the build). Most of its changes in
practice are to a linter's table (`[tool.ruff]`, `[tool.pyright]`), which no
test reads; the quick session lints every change anyway. Such a change runs
no tests, and the plan says so in a note.

The list is deliberately narrower than impact selection's: only linter,
formatter and changelog tables. `[project]` metadata such as `readme` or
`license` can break an install, and `[tool.tiered-ci]` changes the plan itself.
"""

from __future__ import annotations

__all__ = ["LINT_TABLES", "lint_only_note"]

LINT_TABLES = (
    "tool.ruff",
    "tool.black",
    "tool.isort",
    "tool.mypy",
    "tool.pyright",
    "tool.basedpyright",
    "tool.pylint",
    "tool.codespell",
    "tool.typos",
    "tool.pydocstyle",
    "tool.docformatter",
    "tool.interrogate",
    "tool.towncrier",
)


def lint_only_note(path: str, old: str | None, new: str | None) -> str | None:
    """Why this pyproject change runs no tests, or None when it may. Pure.

    None also for a file added or deleted, or one that does not parse: then the
    usual rules (run-all, a domain) decide.
    """
    if old is None or new is None:
        return None
    from tiered_ci.impact.deps import Unreadable, pyproject_changes  # noqa: PLC0415

    try:
        keys, _ = pyproject_changes(old, new)
    except Unreadable:
        return None
    if not all(_is_lint(key) for key in keys):
        return None
    tables = sorted({_table_of(key) for key in keys})
    what = (
        "only " + ", ".join(f"[{t}]" for t in tables) + ", which no test reads"
        if tables
        else "only comments or layout"
    )
    return f"{path}: changed {what}: it runs no tests (the quick session lints every change)"


def _is_lint(key: str) -> bool:
    return any(key == table or key.startswith(f"{table}.") for table in LINT_TABLES)


def _table_of(key: str) -> str:
    return next(t for t in LINT_TABLES if key == t or key.startswith(f"{t}."))
