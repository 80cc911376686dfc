"""Pure reading of one Python file: function spans (what a changed line belongs to) and imports.

A changed line inside a function body is judged by which tests executed that
function; any other line (imports, constants, decorators, signatures, class
bodies) runs at import time, so it is judged by who imports the module.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

__all__ = ["Span", "function_spans", "imported_modules", "innermost", "module_names"]

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class Span(NamedTuple):
    """The body of one function: lines `start`..`end`, its dotted qualified name."""

    start: int
    end: int
    qualname: str


def function_spans(text: str) -> list[Span] | None:
    """Body spans of every function, nested ones included; None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    spans: list[Span] = []
    _walk(tree, "", spans)
    spans.sort()
    return spans


def _walk(node: ast.AST, prefix: str, spans: list[Span]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _FUNCTIONS):
            name = f"{prefix}{child.name}"
            # The body starts at its first statement: the signature and decorators
            # run when the `def` runs, which is the enclosing scope's business.
            start = child.body[0].lineno
            end = child.end_lineno or start
            spans.append(Span(start, end, name))
            _walk(child, f"{name}.", spans)
        elif isinstance(child, ast.ClassDef):
            _walk(child, f"{prefix}{child.name}.", spans)
        else:
            _walk(child, prefix, spans)


def innermost(spans: list[Span], line: int) -> Span | None:
    """The innermost function whose body holds `line` (spans sorted by start)."""
    found: Span | None = None
    for span in spans:
        if span.start > line:
            break
        if span.end >= line and (found is None or span.start >= found.start):
            found = span
    return found


def module_names(path: str) -> list[str]:
    """Every dotted name the file could be imported as, longest first.

    `ci/tiered_ci/plan.py` -> `ci.tiered_ci.plan`, `tiered_ci.plan`, `plan`: the
    source root (`src/`, `ci/`, a pytest `pythonpath`) is not known here, so each
    suffix counts. Over-matching only adds dependents, which is the safe side.
    """
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return [
        ".".join(parts[i:]) for i in range(len(parts)) if all(p.isidentifier() for p in parts[i:])
    ]


def imported_modules(text: str, path: str) -> list[str] | None:
    """Absolute names of every module `path` imports, anywhere in the file (function-local
    imports too); each `from a.b import c` yields `a.b` and `a.b.c` (c may be a module).
    None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    package = _package_parts(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if base is None:
                continue
            if base:
                found.add(base)
            found.update(
                f"{base}.{a.name}" if base else a.name for a in node.names if a.name != "*"
            )
    return sorted(found)


def _package_parts(path: str) -> list[str]:
    parts = path.removesuffix(".py").split("/")
    return parts[:-1]  # a module's package; `pkg/__init__.py` is its own package `pkg`


def _absolute(node: ast.ImportFrom, package: list[str]) -> str | None:
    if not node.level:
        return node.module or ""
    if node.level - 1 > len(package):
        return None  # beyond the top: the import fails at run time anyway
    parent = package[: len(package) - (node.level - 1)]
    return ".".join([*parent, *([node.module] if node.module else [])])
