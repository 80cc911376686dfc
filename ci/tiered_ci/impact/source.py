"""Pure reading of one Python file: function spans (what a changed line belongs to) and imports.

A changed line inside a function body is judged by which tests executed that
function; any other line (imports, constants, decorators, signatures, class
bodies) runs at import time, so it is judged by who imports the module.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

__all__ = [
    "DYNAMIC_ACCESS",
    "Mentions",
    "Span",
    "assigned_names",
    "assignment_lines",
    "function_spans",
    "imported_modules",
    "innermost",
    "mentions",
    "module_names",
]

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


# --- module-level assignments -----------------------------------------------------------

# Ways to reach a module's names without writing them: a computed getattr, the namespace
# as a mapping, introspection. A function doing any of these may read any name.
DYNAMIC_ACCESS = frozenset(
    {"getattr", "hasattr", "setattr", "delattr", "attrgetter", "vars", "dir", "globals"}
    | {"getmembers", "__dict__", "__getattribute__"}
)
_NAMED_ACCESS = frozenset({"getattr", "hasattr", "setattr", "delattr", "attrgetter"})


def assigned_names(old: str, new: str, lines: list[int]) -> frozenset[str] | None:
    """The names whose top-level assignments (`NAME = value`, `NAME: T = value`) hold
    every one of `lines` (old-side module-level lines a diff touched), when the two
    texts differ in nothing else at module level (function bodies aside: the function
    rule judges those). None when any line is elsewhere or anything else changed."""
    try:
        old_tree, new_tree = ast.parse(old), ast.parse(new)
    except (SyntaxError, ValueError):
        return None
    names = _statements_at(old_tree, lines)
    if names is None or len(old_tree.body) != len(new_tree.body):
        return None
    for index, (before, after) in enumerate(zip(old_tree.body, new_tree.body, strict=True)):
        if index in names:
            same = _assigned(after) == names[index] and _annotation(before) == _annotation(after)
        else:
            same = _shape(before) == _shape(after)
        if not same:
            return None
    return frozenset(names.values())


def _statements_at(tree: ast.Module, lines: list[int]) -> dict[int, str] | None:
    """Index in the module body -> name, of the assignment holding each line; None when a
    line is in another statement or between statements (a comment, a blank line)."""
    names: dict[int, str] = {}
    for line in lines:
        found = [
            index
            for index, statement in enumerate(tree.body)
            if statement.lineno <= line <= (statement.end_lineno or statement.lineno)
        ]
        name = _assigned(tree.body[found[0]]) if found else None
        if name is None:
            return None
        names[found[0]] = name
    return names


def assignment_lines(text: str, names: frozenset[str]) -> frozenset[int]:
    """The lines of the top-level assignments of `names` (they define, not read)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(
        line
        for statement in tree.body
        if _assigned(statement) in names
        for line in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)
    )


# What a value may be built from for the rule to hold: evaluating it has no effect but
# the value (no call, no walrus binding another name, no lambda or comprehension).
_PURE = (
    ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.Starred,
    ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp,
    ast.Compare, ast.IfExp, ast.JoinedStr, ast.FormattedValue, ast.expr_context,
    ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
)  # fmt: skip


def _assigned(statement: ast.stmt) -> str | None:
    """The name a top-level `NAME = value` binds, when its value is pure and the name is
    not a dunder (`__all__`, `__getattr__`, `__path__` mean something to Python)."""
    target: ast.expr | None = None
    value: ast.expr | None = None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign):
        target, value = statement.target, statement.value
    if not isinstance(target, ast.Name) or target.id.startswith("__") or value is None:
        return None
    return target.id if all(isinstance(n, _PURE) for n in ast.walk(value)) else None


def _annotation(statement: ast.stmt) -> str | None:
    return ast.dump(statement.annotation) if isinstance(statement, ast.AnnAssign) else None


def _shape(statement: ast.stmt) -> str:
    """A statement as the module runs it at import, function bodies left out."""
    copy = ast.parse(ast.unparse(statement)).body[0]  # a copy, without positions
    for node in ast.walk(copy):
        if isinstance(node, _FUNCTIONS):
            node.body = [ast.Pass()]
    return ast.dump(copy)


class Mentions(NamedTuple):
    """Where a file's code may read some names."""

    functions: frozenset[str]  # qualified names of functions whose bodies may read them
    module_level: tuple[int, ...]  # lines outside any function body that may read them
    docstrings: bool  # a docstring names one (a doctest may read it)


def mentions(
    text: str, names: frozenset[str], skip: frozenset[int] = frozenset()
) -> Mentions | None:
    """Every place of `text` that may read one of `names`: the name itself, an attribute
    or keyword of that name, a string holding it as a word (getattr(m, "NAME"),
    mock.patch("pkg.mod.NAME")), and any dynamic access (a computed getattr, vars(),
    dir(), `__dict__`), which may read any name. `from m import NAME` rebinds the same
    name (its readers are found by name) and `__all__` only lists it: neither reads it.
    Lines in `skip` (the changed assignments themselves) do not count. None when the
    text does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    words = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, *_FUNCTIONS))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    benign = _benign(tree, names)
    spans = function_spans(text) or []
    lines: set[int] = set()
    in_docstring = False
    for node in ast.walk(tree):
        if id(node) in benign:
            continue
        if isinstance(node, ast.Constant) and id(node) in docstrings:
            in_docstring = in_docstring or bool(
                isinstance(node.value, str) and words.search(node.value)
            )
            continue
        line = getattr(node, "lineno", None)
        if line is not None and line not in skip and _reads(node, names, words):
            lines.add(line)
    functions: set[str] = set()
    module_level: list[int] = []
    for line in sorted(lines):
        found = innermost(spans, line)
        if found is None:
            module_level.append(line)
        else:
            functions.add(found.qualname)
    return Mentions(frozenset(functions), tuple(module_level), in_docstring)


def _benign(tree: ast.Module, names: frozenset[str]) -> set[int]:
    """Nodes that name one of `names` without reading it: `from m import NAME` (same
    name) and the strings of `__all__`."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.update(
                id(a) for a in node.names if a.name in names and a.asname in (None, a.name)
            )
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                found.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))
    return found


_DYNAMIC_NAMES = frozenset({"vars", "dir", "globals", "getmembers"})
_DYNAMIC_ATTRIBUTES = frozenset({"__dict__", "__getattribute__", "getmembers"})


def _reads(node: ast.AST, names: frozenset[str], words: re.Pattern[str]) -> bool:
    named: str | None = None
    if isinstance(node, ast.Name):
        named = node.id
        dynamic = named in _DYNAMIC_NAMES
    elif isinstance(node, ast.Attribute):
        named = node.attr
        dynamic = named in _DYNAMIC_ATTRIBUTES
    elif isinstance(node, ast.alias):
        return node.name in names or node.asname in names
    elif isinstance(node, ast.keyword):
        named, dynamic = node.arg, False
    elif isinstance(node, ast.Constant):
        return isinstance(node.value, str) and words.search(node.value) is not None
    elif isinstance(node, ast.Call) and _called(node.func) in _NAMED_ACCESS:
        # getattr(obj, "literal") is judged by its string; a computed name reads anything.
        given = node.args if _called(node.func) == "attrgetter" else node.args[1:2]
        return not given or not all(_literal(a) for a in given)
    else:
        return False
    return named in names or dynamic


def _literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""
