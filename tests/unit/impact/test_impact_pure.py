"""The pure parts of impact selection: spans, imports, dependency diffs, the map format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tiered_ci.changes import parse_hunks
from tiered_ci.errors import InputError
from tiered_ci.impact import deps, source, store

CODE = """\
import os
from . import sibling
from ..pkg import thing as alias


@decorator
def outer(x):
    def inner():
        return x
    return inner


class Shape:
    sides = 4

    def area(self):
        return 0
"""


def test_spans_cover_function_bodies_not_signatures() -> None:
    spans = source.function_spans(CODE)
    assert spans == [
        source.Span(8, 10, "outer"),
        source.Span(9, 9, "outer.inner"),
        source.Span(17, 17, "Shape.area"),
    ]
    assert spans is not None
    assert source.innermost(spans, 9) == source.Span(9, 9, "outer.inner")
    assert source.innermost(spans, 10) == source.Span(8, 10, "outer")
    assert source.innermost(spans, 6) is None  # the decorator: module level
    assert source.innermost(spans, 14) is None  # a class body: module level


def test_unparsable_source_is_none() -> None:
    assert source.function_spans("def (:\n") is None
    assert source.imported_modules("def (:\n", "a.py") is None


def test_imports_resolve_relative_names_against_the_path() -> None:
    found = source.imported_modules(CODE, "src/app/mod.py")
    assert found == ["os", "src.app", "src.app.sibling", "src.pkg", "src.pkg.thing"]


def test_module_names_are_every_dotted_suffix() -> None:
    assert source.module_names("ci/tiered_ci/plan.py") == [
        "ci.tiered_ci.plan",
        "tiered_ci.plan",
        "plan",
    ]
    assert source.module_names("src/pkg/__init__.py") == ["src.pkg", "pkg"]
    assert source.module_names("my-dir/mod.py") == ["mod"]


def test_hunks_give_old_line_ranges_and_insertions_touch_both_neighbours() -> None:
    diff = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
        "@@ -3,2 +3,2 @@\n-a\n-b\n+c\n+d\n@@ -10,0 +11 @@\n+new\n@@ -20 +21 @@\n-x\n+y\n"
        "diff --git a/new.py b/new.py\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+z\n"
        "--- a/with space.py\t\n+++ b/with space.py\t\n@@ -1 +1 @@\n-p\n+q\n"
    )
    assert parse_hunks(diff) == {"x.py": [(3, 4), (10, 11), (20, 20)], "with space.py": [(1, 1)]}


@pytest.mark.parametrize(
    ("path", "old", "new", "changed"),
    [
        ("requirements.txt", "a==1\nB_c==2 # pin\n", "a==1\nb-c==3\n", {"b-c"}),
        (
            "uv.lock",
            '[[package]]\nname = "x"\nversion = "1"\n',
            '[[package]]\nname = "x"\nversion = "2"\n',
            {"x"},
        ),
        ("Pipfile.lock", '{"default": {"y": {"version": "==1"}}}', '{"default": {}}', {"y"}),
        ("requirements-dev.txt", None, "z>=1\n", {"z"}),
    ],
)
def test_changed_distributions(
    path: str, old: str | None, new: str | None, changed: set[str]
) -> None:
    assert deps.changed_distributions(path, old, new) == changed


def test_a_broken_lock_file_is_unreadable() -> None:
    with pytest.raises(deps.Unreadable, match=r"uv.lock: not valid TOML"):
        deps.changed_distributions("uv.lock", "[[package]\n", "")


def test_pyproject_is_a_diff_of_tables() -> None:
    old = '[project]\nname = "a"\ndependencies = ["x>=1", "y"]\n[tool.ruff]\nline-length = 99\n[dependency-groups]\ntest = ["z", {include-group = "lint"}]\n'
    new = old.replace("x>=1", "x>=2").replace("99", "100").replace('"z"', '"z>=2"')
    keys, dists = deps.pyproject_changes(old, new)
    assert keys == {"project.dependencies", "tool.ruff", "dependency-groups.test"}
    assert dists == {"x", "z"}
    assert deps.is_dependency_file("reqs/requirements-test.txt")
    assert not deps.is_dependency_file("docs/requirements.md")


def _sample_map(commit: str = "a" * 40) -> store.ImpactMap:
    return store.ImpactMap(
        commit=commit,
        clean=True,
        python="3.12.1",
        tiered_ci="0.2.0",
        units=("fn:a.py::f@2", "mod:a.py", "file:d.csv"),
        spans={"a.py": ((2, 3, 0),)},
        tests={"t.py::one": frozenset({0, 1}), "t.py::two": frozenset({1, 2})},
        global_units=frozenset(),
        imports={"a.py": ("os",)},
        distributions={"x": ("x",)},
        requires={"x": ()},
        plugins=("p",),
    )


def test_map_round_trips_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "map.json.gz"
    store.write(path, _sample_map())
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert store.read(path) == _sample_map()


def test_merge_unions_footprints_across_unit_tables() -> None:
    left = _sample_map()
    right = store.ImpactMap(
        commit=left.commit,
        clean=True,
        python="3.12.1",
        tiered_ci="0.2.0",
        units=("file:d.csv", "fn:b.py::g@1"),
        spans={"b.py": ((1, 1, 1),)},
        tests={"t.py::one": frozenset({0}), "t.py::three": frozenset({1})},
    )
    merged = store.merge([left, right]).named_tests()
    assert merged == {
        "t.py::one": {"fn:a.py::f@2", "mod:a.py", "file:d.csv"},
        "t.py::two": {"mod:a.py", "file:d.csv"},
        "t.py::three": {"fn:b.py::g@1"},
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable impact map"),
        (b'{"format": "other"}', "not a tiered-ci impact map version 1"),
        (
            b'{"format": "tiered-ci-impact-map", "version": 1}',
            "not a tiered-ci impact map version 1",
        ),
    ],
)
def test_a_bad_map_names_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        store.read(path)
    with pytest.raises(InputError, match="impact map not found"):
        store.read(tmp_path / "missing.json")


@pytest.mark.parametrize("values", [[], [0], [0, 1, 2], [5, 127, 128, 300, 100_000, 2**40]])
def test_encoded_lists_round_trip(values: list[int]) -> None:
    assert store.decode(store.encode(values)) == values


def test_a_truncated_encoded_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="truncated"):
        store.decode("gA==")  # one byte with the continuation bit set


def test_what_ran_at_import_round_trips_and_is_unknown_if_any_part_does_not_say(
    tmp_path: Path,
) -> None:
    path = tmp_path / "map.json.gz"
    known = dataclasses.replace(_sample_map(), import_units=frozenset({0}))
    store.write(path, known)
    assert store.read(path).import_units == frozenset({0})
    assert store.merge([known, known]).import_units == frozenset({0})
    assert store.merge([known, _sample_map()]).import_units is None  # an older part


MODULE = """\
LIMIT = 10
NAMES: list[str] = ["a", "b"]
__all__ = ["LIMIT", "NAMES"]
DERIVED = compute()


def f():
    return LIMIT
"""


@pytest.mark.parametrize(
    ("old", "new", "names"),
    [
        ("LIMIT = 10", "LIMIT = 11", {"LIMIT"}),
        ('NAMES: list[str] = ["a", "b"]', 'NAMES: list[str] = ["a"]', {"NAMES"}),
        # A value with a call may do anything at import; a new annotation, a new target,
        # a dunder, a statement added: not a change of one value.
        ("LIMIT = 10", "LIMIT = int(10)", None),
        ("NAMES: list[str]", "NAMES: tuple[str, ...]", None),
        ("LIMIT = 10", "LIMIT = OTHER = 10", None),
        ('__all__ = ["LIMIT", "NAMES"]', '__all__ = ["LIMIT"]', None),
        ("DERIVED = compute()", "DERIVED = compute(1)", None),
        ("LIMIT = 10\n", "LIMIT = 10\nprint(LIMIT)\n", None),
        # A new constant only as an element: evaluating it cannot fail.
        ('NAMES: list[str] = ["a", "b"]', 'NAMES: list[str] = ["a", ("b", 2)]', {"NAMES"}),
        ('NAMES: list[str] = ["a", "b"]', 'NAMES: list[str] = ["a", {"b": 2}]', {"NAMES"}),
        ('NAMES: list[str] = ["a", "b"]', 'NAMES: list[str] = ["a", "c"]', {"NAMES"}),
        ("LIMIT = 10", 'LIMIT = {"k": (1, f"v{2}")}', None),
        ('NAMES: list[str] = ["a", "b"]', 'NAMES: list[str] = ["a", "b", X]', None),
        # A new operand may make the module fail to import, for every importer.
        ("LIMIT = 10", "LIMIT = 10 / 0", None),
        ("LIMIT = 10", 'LIMIT = "a" - "b"', None),
        ("LIMIT = 10", 'LIMIT = {"a": 1}["b"]', None),
    ],
)
def test_assigned_names_only_when_nothing_but_values_changed(
    old: str, new: str, names: set[str] | None
) -> None:
    changed = MODULE.replace(old, new, 1)
    first = next(
        i for i, line in enumerate(MODULE.splitlines(), 1) if old.split("\n", maxsplit=1)[0] in line
    )
    found = source.assigned_names(MODULE, changed, [first])
    assert (set(found) if found is not None else None) == names


def test_a_changed_line_between_statements_is_not_an_assignment() -> None:
    assert source.assigned_names(MODULE + "\n# note\n", MODULE + "\n# other\n", [10]) is None


READER = """\
'''Uses LIMIT (a module docstring: a doctest may read it).'''
from sample.calc import LIMIT
__all__ = ["LIMIT"]


def by_name():
    return LIMIT


def by_attribute(calc):
    return calc.LIMIT


def by_string(monkeypatch):
    monkeypatch.setattr("sample.calc.LIMIT", 1)


def computed(module, name):
    return getattr(module, name)


def literal(module):
    return getattr(module, "OTHER")


def namespace(module):
    return vars(module)


def unrelated():
    return LIMITED
"""


def test_mentions_find_every_way_a_function_may_read_a_name() -> None:
    found = source.mentions(READER, frozenset({"LIMIT"}))
    assert found is not None
    assert found.functions == {"by_name", "by_attribute", "by_string", "computed", "namespace"}
    assert found.module_level == ()  # the import (same name) and __all__ do not read it
    assert found.docstrings


def test_a_read_outside_a_function_or_under_another_name_is_module_level() -> None:
    text = "from sample.calc import LIMIT as CAP\nDOUBLE = CAP * 2\n"
    found = source.mentions(text, frozenset({"LIMIT"}))
    assert found is not None
    assert found.module_level == (1,)
    skipped = source.mentions("LIMIT = 1\n", frozenset({"LIMIT"}), frozenset({1}))
    assert skipped is not None
    assert skipped.module_level == ()


# --- the lines a change reaches -----------------------------------------------------------

BRANCHY = '''\
def f(x, y):
    """Doc."""
    a = 1
    if x > 0:
        a = 2
    else:
        a = 3
    for i in range(3):
        a += i
    with open(y) as handle:
        handle.read()
    return a


def g():
    def inner():
        """Inner doc."""
        return 1
    return inner
'''


@pytest.mark.parametrize(
    ("old", "new", "qualname", "end", "reached"),
    [
        ("a = 2", "a = 5", "f", 12, {5}),  # a statement: its own lines
        ("if x > 0", "if x >= 0", "f", 12, {4, 6}),  # a condition: the if and its else
        ("    else:\n        a = 3\n", "", "f", 12, {4, 5, 6, 7}),  # a block's length
        ("a += i", "a += i\n        a += 1", "f", 12, {8, 9}),  # the loop holding it
        ("open(y)", "open(y, 'rb')", "f", 12, {10}),  # a with's header
        ("handle.read()", "handle.read(1)", "f", 12, {11}),
        ('"""Doc."""', '"""Other."""', "f", 12, set()),  # the def's business
        ('"""Inner doc."""', '"""Other."""', "g", 19, {16, 17}),  # the nested def runs
        ("return 1", "return 2", "g", 19, set()),  # the nested body: inner's own span
        ("return 1", "return 2", "g.inner", 18, {18}),
    ],
)
def test_changed_regions_are_the_old_lines_a_change_is_reached_through(
    old: str, new: str, qualname: str, end: int, reached: set[int]
) -> None:
    assert source.changed_regions(BRANCHY, BRANCHY.replace(old, new, 1), qualname, end) == (
        frozenset(reached)
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a = 2", "b = 2"),  # a new local: every read of the name may change
        ("return a", "return a\n    yield a"),  # a generator now
        ("a = 1\n", ""),  # the function's own body changed length
        ("a = 2", "global a\n        a = 2"),
    ],
)
def test_a_change_to_names_or_to_the_body_reaches_the_whole_function(old: str, new: str) -> None:
    assert source.changed_regions(BRANCHY, BRANCHY.replace(old, new, 1), "f", 12) is None


def test_changed_regions_need_the_function_in_both_texts() -> None:
    renamed = BRANCHY.replace("def f(", "def h(")
    assert source.changed_regions(BRANCHY, renamed, "f", 12) is None
    assert source.changed_regions(BRANCHY, "def (:\n", "f", 12) is None
    assert source.changed_regions(BRANCHY, BRANCHY, "f", 99) is None  # no body ends there


def test_a_docstring_is_outside_the_body_span() -> None:
    spans = source.function_spans(BRANCHY)
    assert spans is not None
    assert spans[0] == source.Span(3, 12, "f")
    assert source.Span(18, 18, "g.inner") in spans


def _lined_map(lines: dict[int, str], tests: dict[str, set[str]]) -> store.ImpactMap:
    units = sorted({*lines.values(), *(u for found in tests.values() for u in found)})
    ids = {name: i for i, name in enumerate(units)}
    return store.ImpactMap(
        commit="a" * 40,
        clean=True,
        python="3.12.1",
        tiered_ci="0.2.0",
        units=tuple(units),
        spans={"a.py": ((2, 4, ids["fn:a.py::f@2"]),)},
        tests={t: frozenset(ids[u] for u in found) for t, found in tests.items()},
        lines={"a.py": {line: ids[u] for line, u in lines.items()}},
        imported={"a.py": frozenset({ids["fn:a.py::f@2"]})},
    )


def test_lines_and_import_time_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "map.json.gz"
    written = _lined_map(
        {2: "fn:a.py::f@2#0", 3: "fn:a.py::f@2#1", 4: "fn:a.py::f@2#0"},
        {"t.py::one": {"fn:a.py::f@2", "fn:a.py::f@2#0"}},
    )
    store.write(path, written)
    read = store.read(path)
    assert read == written
    assert read.lines is not None
    assert dict(read.lines["a.py"]) == {2: 1, 3: 2, 4: 1}


def test_merge_splits_line_classes_by_every_part() -> None:
    # One worker saw lines 2-4 run together (one class: the function's unit); the other
    # saw its tests take line 3 or line 4. Together, 3 and 4 are classes of their own.
    whole = _lined_map(
        {2: "fn:a.py::f@2", 3: "fn:a.py::f@2", 4: "fn:a.py::f@2"},
        {"t.py::one": {"fn:a.py::f@2"}},
    )
    split = _lined_map(
        {2: "fn:a.py::f@2#0", 3: "fn:a.py::f@2#0", 4: "fn:a.py::f@2#1"},
        {"t.py::two": {"fn:a.py::f@2", "fn:a.py::f@2#0"}},
    )
    merged = store.merge([whole, split])
    assert merged.lines is not None
    names = {line: merged.units[u] for line, u in merged.lines["a.py"].items()}
    assert names == {2: "fn:a.py::f@2#0", 3: "fn:a.py::f@2#0", 4: "fn:a.py::f@2#1"}
    tests = merged.named_tests()
    assert tests["t.py::one"] == {"fn:a.py::f@2", "fn:a.py::f@2#0", "fn:a.py::f@2#1"}
    assert tests["t.py::two"] == {"fn:a.py::f@2", "fn:a.py::f@2#0"}
    assert merged.imported is not None
    # The function's unit stood for all its lines in the first part.
    assert {merged.units[u] for u in merged.imported["a.py"]} == {
        "fn:a.py::f@2",
        "fn:a.py::f@2#0",
        "fn:a.py::f@2#1",
    }
    # A part without lines (an older map): the merged map judges whole functions.
    assert store.merge([whole, _sample_map()]).lines is None


CLASSES = """\
import dataclasses


class Plain:
    LIMIT = 3

    def f(self):
        return self.LIMIT


@dataclasses.dataclass
class Field:
    size: int = 1
    holder: Plain | None = None


if __name__ == "__main__":
    print(Plain.LIMIT)
"""


def test_class_attributes_are_judged_when_only_their_values_changed() -> None:
    found = source.class_assigned(CLASSES, CLASSES.replace("LIMIT = 3", "LIMIT = 4"), [5])
    assert found == source.ClassAssignment(
        frozenset({"LIMIT"}), frozenset({"Plain"}), special=False
    )
    dataclass = source.class_assigned(CLASSES, CLASSES.replace("= 1", "= 2"), [13])
    assert dataclass is not None
    assert dataclass.special  # a decorator: whoever uses the class may read the field
    # Anything else changed at module level: not only values.
    assert source.class_assigned(CLASSES, CLASSES.replace("LIMIT = 3", "LIMIT = f()"), [5]) is None
    assert (
        source.class_assigned(CLASSES, CLASSES.replace("import dataclasses", "import os"), [1])
        is None
    )
    assert source.assignment_lines(CLASSES, frozenset({"LIMIT"}), frozenset({"Plain"})) == {5}


ENUMS = """\
import enum


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@enum.unique
class Kind(enum.Enum):
    A = "a"
    B = "b"


@enum.unique
class Counted(enum.Enum):
    A = 1
    B = enum.auto()
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "judged"),
    [
        ("HIGH = 2", "HIGH = 3", 6, True),
        ("HIGH = 2", "HIGH = 1", 6, True),  # an alias of LOW: only the enum's users see it
        ("HIGH = 2", 'HIGH = "2"', 6, False),  # IntEnum's int() may refuse it at import
        ('B = "b"', 'B = "c"', 12, True),
        ('B = "b"', 'B = "a"', 12, False),  # enum.unique fails at import
        ("A = 1", "A = 2", 17, False),  # auto() may take 2 as well
    ],
)
def test_a_class_whose_machinery_may_refuse_the_new_value_is_not_judged_by_readers(
    old: str, new: str, line: int, judged: bool
) -> None:
    assert ENUMS.splitlines()[line - 1].strip() == old
    found = source.class_assigned(ENUMS, ENUMS.replace(old, new, 1), [line])
    assert (found is not None) == judged


def test_field_annotations_and_main_blocks_are_told_apart() -> None:
    found = source.mentions(CLASSES, frozenset({"Plain"}), signatures=True)
    assert found is not None
    assert found.annotating == {"Field"}  # `holder: Plain | None`
    assert found.module_level == (18,)  # the __main__ block reads it
    assert source.main_block_lines(CLASSES) == frozenset({17, 18})


def test_globals_reads_only_its_own_module_s_names() -> None:
    reader = "def lookup(name):\n    return globals()[name]\n"
    assert source.mentions(reader, frozenset({"LIMIT"})) == source.Mentions(
        frozenset({"lookup"}), (), docstrings=False
    )
    # Not the module that holds LIMIT, and it does not import it: globals() cannot see it.
    assert source.mentions(reader, frozenset({"LIMIT"}), own=False) == source.Mentions(
        frozenset(), (), docstrings=False
    )
    assert source.imports_any("from calc import LIMIT\n", frozenset({"LIMIT"}))
    assert source.imports_any("from calc import *\n", frozenset({"LIMIT"}))
    assert not source.imports_any("import calc\n", frozenset({"LIMIT"}))
