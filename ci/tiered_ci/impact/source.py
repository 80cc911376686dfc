"""Pure reading of one Python file: function spans (what a changed line belongs to) and imports.

A changed line inside a function body is judged by which tests executed that
function; any other line (imports, constants, decorators, signatures, class
bodies) runs at import time, so it is judged by who imports the module.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from types import CodeType
from typing import NamedTuple, cast

__all__ = [
    "DYNAMIC_ACCESS",
    "ClassAssignment",
    "Mentions",
    "Span",
    "assigned_names",
    "assignment_lines",
    "changed_regions",
    "class_assigned",
    "function_spans",
    "imported_modules",
    "imports_any",
    "innermost",
    "main_block_lines",
    "mentions",
    "module_names",
]

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_Function = ast.FunctionDef | ast.AsyncFunctionDef


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
    for name, function in _functions(tree):
        # The body starts at its first statement after the docstring: the signature, the
        # decorators and the docstring (`__doc__`, a command's help text) are made when
        # the `def` runs, which is the enclosing scope's business.
        body = _body(function)
        end = function.end_lineno or function.lineno
        spans.append(Span(body[0].lineno if body else end + 1, end, name))
    spans.sort()
    return spans


def _functions(tree: ast.AST) -> Iterator[tuple[str, _Function]]:
    """Every function with its dotted qualified name (`Class.method`, `outer.inner`),
    outer before inner, in source order."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, _Function]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FUNCTIONS):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    return walk(tree, "")


def _body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """A function's statements without its docstring."""
    first = function.body[0]
    docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return function.body[1:] if docstring else function.body


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


def _parse_both(old: str, new: str) -> tuple[ast.Module, ast.Module] | None:
    try:
        return ast.parse(old), ast.parse(new)
    except (SyntaxError, ValueError):
        return None


def assigned_names(old: str, new: str, lines: list[int]) -> frozenset[str] | None:
    """The names whose top-level assignments (`NAME = value`, `NAME: T = value`) hold
    every one of `lines` (old-side module-level lines a diff touched), when the two
    texts differ in nothing else at module level (function bodies aside: the function
    rule judges those). None when any line is elsewhere or anything else changed."""
    trees = _parse_both(old, new)
    if trees is None:
        return None
    old_tree, new_tree = trees
    names = _statements_at(old_tree, lines)
    if names is None or not _only_values(old_tree.body, new_tree.body, names):
        return None
    return frozenset(names.values())


def _only_values(old: list[ast.stmt], new: list[ast.stmt], changed: dict[int, str]) -> bool:
    """Whether two statement lists differ only in the values of the assignments at the
    `changed` indexes (each still binding the same name, with the same annotation),
    function bodies aside."""
    if len(old) != len(new):
        return False
    for index, (before, after) in enumerate(zip(old, new, strict=True)):
        if index in changed:
            same = (
                _assigned(after) == changed[index]
                and _annotation(before) == _annotation(after)
                and _fails_alike(_value(before), _value(after))
            )
        else:
            same = _shape(before) == _shape(after)
        if not same:
            return False
    return True


class ClassAssignment(NamedTuple):
    """Class attributes whose values are all that changed at module level."""

    names: frozenset[str]  # the attributes
    classes: frozenset[str]  # the top-level classes whose bodies assign them
    # A class with decorators, bases or keywords: machinery (a dataclass's generated
    # __init__, an enum's lookup by value) reads every attribute on behalf of whoever
    # uses the class, so the class's name counts as a read too.
    special: bool


def class_assigned(old: str, new: str, lines: list[int]) -> ClassAssignment | None:
    """The attributes whose assignments in the bodies of top-level classes (`NAME = value`,
    `NAME: T = value`, pure values as for `assigned_names`) hold every one of `lines`,
    when the two texts differ in nothing else at module level. None otherwise."""
    trees = _parse_both(old, new)
    if trees is None:
        return None
    old_tree, new_tree = trees
    changed = _class_statements_at(old_tree, lines)
    if changed is None or len(old_tree.body) != len(new_tree.body):
        return None
    touched = {i for i, _ in changed}
    for index, (before, after) in enumerate(zip(old_tree.body, new_tree.body, strict=True)):
        if index not in touched:
            if _shape(before) != _shape(after):
                return None
        elif not _same_class(before, after, {j: n for (i, j), n in changed.items() if i == index}):
            return None
    classes = [node for i, node in enumerate(old_tree.body) if i in touched]
    return ClassAssignment(
        names=frozenset(changed.values()),
        classes=frozenset(c.name for c in classes if isinstance(c, ast.ClassDef)),
        special=any(_special(c) for c in classes if isinstance(c, ast.ClassDef)),
    )


def _class_statements_at(tree: ast.Module, lines: list[int]) -> dict[tuple[int, int], str] | None:
    found: dict[tuple[int, int], str] = {}
    for line in lines:
        top = _holding(tree.body, line)
        if top is None or not isinstance(tree.body[top], ast.ClassDef):
            return None
        body = cast("ast.ClassDef", tree.body[top]).body
        inner = _holding(body, line)
        name = _assigned(body[inner]) if inner is not None else None
        if inner is None or name is None:
            return None
        found[(top, inner)] = name
    return found


def _holding(body: list[ast.stmt], line: int) -> int | None:
    return next(
        (i for i, s in enumerate(body) if _first_line(s) <= line <= (s.end_lineno or s.lineno)),
        None,
    )


def _same_class(before: ast.stmt, after: ast.stmt, changed: dict[int, str]) -> bool:
    if not isinstance(before, ast.ClassDef) or not isinstance(after, ast.ClassDef):
        return False
    return (
        _header(before) == _header(after)
        and _only_values(before.body, after.body, changed)
        and (not _special(after) or _machinery_accepts(before, after, changed))
    )


# Class decorators that fail at import when two members share a value (enum's).
_DISTINCT = frozenset({"unique", "verify"})


def _machinery_accepts(before: ast.ClassDef, after: ast.ClassDef, changed: dict[int, str]) -> bool:
    """Whether the machinery that builds a decorated or derived class (an IntEnum's
    int(), enum.unique's check, a dataclass's refusal of mutable defaults) takes the new
    values as it took the old: each changed constant keeps its type, and a class that
    must hold distinct values still does. Otherwise importing the module may fail."""
    for index in changed:
        olds = [n for n in ast.walk(before.body[index]) if isinstance(n, ast.Constant)]
        news = [n for n in ast.walk(after.body[index]) if isinstance(n, ast.Constant)]
        if [type(n.value) for n in olds] != [type(n.value) for n in news]:
            return False
    if not any(
        _called(d.func if isinstance(d, ast.Call) else d) in _DISTINCT for d in after.decorator_list
    ):
        return True
    values = [s.value for s in after.body if isinstance(s, ast.Assign | ast.AnnAssign)]
    constants = [v.value for v in values if isinstance(v, ast.Constant)]
    # An auto() or a computed member may take any value; 1, 1.0 and True are one value.
    return len(constants) == len(values) and len(set(constants)) == len(constants)


def _special(node: ast.ClassDef) -> bool:
    plain = all(isinstance(b, ast.Name) and b.id == "object" for b in node.bases)
    return bool(node.decorator_list or node.keywords or not plain)


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


def assignment_lines(
    text: str, names: frozenset[str], classes: frozenset[str] | None = None
) -> frozenset[int]:
    """The lines of the top-level assignments of `names` or, with `classes`, of those in
    the bodies of the top-level `classes` (they define, not read)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    bodies = (
        [tree.body]
        if classes is None
        else [c.body for c in tree.body if isinstance(c, ast.ClassDef) and c.name in classes]
    )
    return frozenset(
        line
        for body in bodies
        for statement in body
        if _assigned(statement) in names
        for line in _lines(statement)
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


def _value(statement: ast.stmt) -> ast.expr | None:
    return statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None


# Where a new constant cannot make evaluating the value fail: it is only an element.
_ELEMENTS = (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.JoinedStr, ast.expr_context)


def _fails_alike(before: ast.AST | None, after: ast.AST | None) -> bool:
    """Whether evaluating `after` can fail only where `before` did: what is new in it is
    constants (each the whole value or an element of a tuple, list, set, dict or an
    f-string's text) and elements made of those, so no operator, subscript or format
    consumes a new one. A pure value may still fail (`"a" - "b"`, `1 / 0`, `{}["k"]`):
    then importing the module fails, and every importer with it, not only the readers."""
    if before is None or after is None:
        return before is after
    if _inert(after) or ast.dump(before) == ast.dump(after):
        return True
    if type(before) is not type(after) or not isinstance(after, _ELEMENTS):
        return False
    return all(
        _elements_alike(old, getattr(after, name))
        if isinstance(old, list)
        else _fails_alike(old, getattr(after, name))
        for name, old in ast.iter_fields(before)
    )


def _elements_alike(old: list[ast.AST | None], new: list[ast.AST | None]) -> bool:
    if len(old) == len(new):
        return all(map(_fails_alike, old, new))
    # Elements added or taken out: each one left is an old one, or inert.
    known = {ast.dump(n) for n in old if n is not None}
    return all(n is None or _inert(n) or ast.dump(n) in known for n in new)


_INERT = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.expr_context)


def _inert(node: ast.AST) -> bool:
    """Constants and containers of constants: evaluating them cannot fail."""
    return all(isinstance(n, _INERT) for n in ast.walk(node))


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
    # Classes whose bodies name one only in a field's annotation (`columns: list[C]`):
    # the class's users may read it through the class (a dataclass's fields).
    annotating: frozenset[str] = frozenset()


def mentions(
    text: str,
    names: frozenset[str],
    skip: frozenset[int] = frozenset(),
    *,
    signatures: bool = False,
    own: bool = True,
) -> Mentions | None:
    """Every place of `text` that may read one of `names`: the name itself, an attribute
    or keyword of that name, a string holding it as a word (getattr(m, "NAME"),
    mock.patch("pkg.mod.NAME")), and any dynamic access (a computed getattr, vars(),
    dir(), `__dict__`), which may read any name. `from m import NAME` rebinds the same
    name (its readers are found by name) and `__all__` only lists it: neither reads it.
    Lines in `skip` (the changed assignments themselves) do not count. Without
    `own` (the names cannot be in this module's namespace), `globals()` and a bare
    `vars()`, `dir()` or `locals()` read none of them. With
    `signatures`, a name in a function's annotations counts as that function reading
    it (a type named in a signature is read by whoever runs the function, or by a
    decorator, which is module-level code and reads it anyway). None when the text
    does not parse."""
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
    benign = _benign(tree, names) if own else _benign(tree, names) | _own_namespace(tree)
    annotated = _annotations(tree) if signatures else {}
    fields = _field_annotations(tree) if signatures else {}
    annotating: set[str] = set()
    spans = function_spans(text) or []
    lines: set[int] = set()
    functions: set[str] = set()
    in_docstring = False
    for node in ast.walk(tree):
        if id(node) in benign:
            continue
        if id(node) in annotated or id(node) in fields:
            # An annotation: read by the function, or through the class of the field.
            if _reads(node, names, words):
                owner = annotated.get(id(node))
                (functions if owner is not None else annotating).add(owner or fields[id(node)])
            continue
        if isinstance(node, ast.Constant) and id(node) in docstrings:
            in_docstring = in_docstring or bool(
                isinstance(node.value, str) and words.search(node.value)
            )
            continue
        line = getattr(node, "lineno", None)
        if line is not None and line not in skip and _reads(node, names, words):
            lines.add(line)
    module_level: list[int] = []
    for line in sorted(lines):
        found = innermost(spans, line)
        if found is None:
            module_level.append(line)
        else:
            functions.add(found.qualname)
    return Mentions(frozenset(functions), tuple(module_level), in_docstring, frozenset(annotating))


def main_block_lines(text: str) -> frozenset[int]:
    """The lines of the top-level `if __name__ == "__main__":` blocks: they run when the
    file runs as a script, never when it is imported."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(
        line
        for statement in tree.body
        if isinstance(statement, ast.If) and _is_main_test(statement.test)
        for line in _lines(statement)
    )


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    named = any(isinstance(n, ast.Name) and n.id == "__name__" for n in sides)
    main = any(isinstance(n, ast.Constant) and n.value == "__main__" for n in sides)
    return named and main


_OWN_NAMESPACE = frozenset({"globals", "vars", "dir", "locals"})


def _own_namespace(tree: ast.Module) -> set[int]:
    """The `globals()`, `vars()`, `dir()` and `locals()` called without arguments: they
    read the calling module's (or frame's) names only."""
    return {
        id(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _OWN_NAMESPACE
        and not node.args
        and not node.keywords
    }


def imports_any(text: str, names: frozenset[str]) -> bool:
    """Whether `text` imports one of `names` from a module, or everything (`*`): then its
    own namespace holds the name. True when it does not parse (safe side)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return True
    return any(
        alias.name == "*" or alias.name in names
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    )


def _field_annotations(tree: ast.Module) -> dict[int, str]:
    """Every node of the annotation of a class-body `name: T` (with or without a value)
    -> the class's name."""
    return {
        id(node): cls.name
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for statement in cls.body
        if isinstance(statement, ast.AnnAssign)
        for node in ast.walk(statement.annotation)
    }


def _annotations(tree: ast.Module) -> dict[int, str]:
    """Every node of an undecorated function's annotations -> the function's qualified
    name. A decorated function's signature stays module-level: a decorator may read its
    annotations when the module is imported (a validating framework)."""
    found: dict[int, str] = {}
    for name, function in _functions(tree):
        if function.decorator_list:
            continue
        arguments = function.args
        every = [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            *([arguments.vararg] if arguments.vararg else []),
            *([arguments.kwarg] if arguments.kwarg else []),
        ]
        roots = [a.annotation for a in every if a.annotation is not None]
        roots += [function.returns] if function.returns is not None else []
        for root in roots:
            found.update((id(n), name) for n in ast.walk(root))
    return found


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


# --- the lines of a function a change reaches ---------------------------------------------

# Compound statements whose header runs on its own line(s) and reports a line event each
# time it runs (a test, a loop step, a context entered): a change there reaches the tests
# that ran the header. Any other compound statement (try, match, class) counts whole.
_HEADED = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)
_BLOCKS = ("body", "orelse")


def changed_regions(old: str, new: str, qualname: str, end: int) -> frozenset[int] | None:
    """The old-side lines of function `qualname` (its body ending on line `end`) that a
    test must have executed for the change from `old` to `new` to reach it; None when
    the change cannot be narrowed below the whole function.

    The two bodies are compared statement by statement. A statement that differs
    reaches only the tests that executed it: it sits at the same place of the same
    block, so it runs exactly when the old one ran. A block that gained or lost
    statements reaches whoever ran the statement holding it; the function's own body
    doing so, or any change to the function's names (a new local, a `global`, a
    `yield` making it a generator) reaches every test that ran the function: None.
    A nested function's body is that function's business (its own span); its
    signature, decorators and docstring are made when the `def` runs, here.
    """
    trees = _parse_both(old, new)
    if trees is None:
        return None
    old_tree, new_tree = trees
    old_all = _functions_named(old_tree, qualname)
    new_all = _functions_named(new_tree, qualname)
    index = next((i for i, f in enumerate(old_all) if f.end_lineno == end), None)
    if index is None or len(old_all) != len(new_all):
        return None
    before, after = old_all[index], new_all[index]
    if not _same_names(old, new, qualname, index):
        return None
    lines: set[int] = set()
    if not _compare_block(_body(before), _body(after), lines):
        return None
    return frozenset(lines)


def _functions_named(tree: ast.Module, qualname: str) -> list[_Function]:
    """Every function of `tree` with this qualified name, in source order (a property's
    getter and setter share one)."""
    return sorted((f for name, f in _functions(tree) if name == qualname), key=_first_line)


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _lines(node: ast.stmt) -> set[int]:
    return set(range(_first_line(node), (node.end_lineno or node.lineno) + 1))


def _compare_block(old: list[ast.stmt], new: list[ast.stmt], lines: set[int]) -> bool:
    """Add to `lines` what the changes between two blocks reach; False when the blocks
    differ in length (the caller widens to whoever entered the block)."""
    if len(old) != len(new):
        return False
    for before, after in zip(old, new, strict=True):
        if ast.dump(before) != ast.dump(after):
            lines |= _reached(before, after)
    return True


def _reached(before: ast.stmt, after: ast.stmt) -> set[int]:
    """The old lines through which a change from `before` to `after` is reached."""
    if type(before) is not type(after):
        return _lines(before)
    if isinstance(before, _FUNCTIONS):
        # Decorators, signature and docstring run with the `def`: its header lines.
        assert isinstance(after, _FUNCTIONS)  # noqa: S101 - same type as before
        if _definition(before) == _definition(after):
            return set()  # only the body changed: the nested function's own span
        body = _body(before)
        last = body[0].lineno - 1 if body else before.end_lineno or before.lineno
        return set(range(_first_line(before), last + 1))
    if not isinstance(before, _HEADED):
        return _lines(before)
    lines: set[int] = set()
    if _header(before) != _header(after):
        lines |= _own_lines(before)
    for name in _BLOCKS:
        if not _compare_block(getattr(before, name, []), getattr(after, name, []), lines):
            return _lines(before)
    return lines


def _definition(node: _Function) -> str:
    """What a `def` statement makes, its body left out (the docstring kept)."""
    clone = copy.copy(node)
    clone.body = node.body[:1] if len(_body(node)) < len(node.body) else []
    return ast.dump(clone)


def _header(node: ast.stmt) -> str:
    """A compound statement without its blocks."""
    clone = copy.copy(node)
    for name in _BLOCKS:
        if hasattr(clone, name):
            setattr(clone, name, [])
    return ast.dump(clone)


def _own_lines(node: ast.stmt) -> set[int]:
    """A compound statement's lines outside its blocks' statements: its header, `else:`."""
    lines = _lines(node)
    for name in _BLOCKS:
        for child in getattr(node, name, ()):
            lines -= _lines(child)
    return lines


def _same_names(old: str, new: str, qualname: str, index: int) -> bool:
    """Whether the function compiles to the same names in both texts: its locals, cells
    and free variables, and its kind (a generator, a coroutine), nested code included.
    A change to any of them reaches lines the change did not touch."""
    found = []
    for text in (old, new):
        try:
            module = compile(text, "<impact>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        codes = sorted(_code_named(module, qualname.split(".")), key=lambda c: c.co_firstlineno)
        if index >= len(codes):
            return False
        found.append(_names(codes[index]))
    return found[0] == found[1]


def _code_named(code: CodeType, path: list[str]) -> list[CodeType]:
    """The code objects at `path` (function and class names) below `code`."""
    found: list[CodeType] = []
    for const in code.co_consts:
        if isinstance(const, CodeType) and const.co_name == path[0]:
            found.extend([const] if len(path) == 1 else _code_named(const, path[1:]))
    return found


def _names(code: CodeType) -> list[tuple[object, ...]]:
    own = (
        code.co_name,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_varnames,
        code.co_cellvars,
        code.co_freevars,
        code.co_flags,
    )
    nested = [n for const in code.co_consts if isinstance(const, CodeType) for n in _names(const)]
    return [own, *nested]
