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
