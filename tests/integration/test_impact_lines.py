"""Impact selection below the function: the lines a change reaches, and import time.

A real project recorded by a real pytest run: a function whose branches different
tests take, a table a module computes when it is imported (first by one test, read
by another that never runs the code that built it), and a function whose docstring
is its public text. Each test changes a copy and asks `tiered-ci impact select`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from impact_project import copy_project, edit, record, selected
from support import GitRepo

from tiered_ci.impact import store

pytestmark = pytest.mark.integration

FILES = {
    "pyproject.toml": """\
[project]
name = "lined"
version = "1.0"

[tool.pytest.ini_options]
pythonpath = ["src"]
""",
    "src/lined/__init__.py": "",
    "src/lined/rules.py": """\
def classify(x):
    if x > 0:
        label = "positive"
    else:
        label = "other"
    return label


def build():
    return {"a": 1}
""",
    "src/lined/table.py": """\
from lined.rules import build

TABLE = build()
""",
    "src/lined/cli.py": """\
def command():
    \"\"\"Shows help.\"\"\"
    return 1
""",
    "src/lined/consts.py": 'VALUE = int("3")\n',
    "src/lined/policy.py": """\
import enum

SUFFIX = "v" + "1"


@enum.unique
class Mode(enum.Enum):
    FAST = 1
    SAFE = 2


class Policy:
    retries = 3


def attempts():
    return Policy.retries


def unrelated():
    return 1
""",
    "tests/test_policy.py": """\
from lined.policy import attempts, unrelated


def test_attempts():
    assert attempts() == 3


def test_unrelated():
    assert unrelated() == 1
""",
    "tests/test_rules.py": """\
from lined.rules import classify


def test_positive():
    assert classify(1) == "positive"


def test_other():
    assert classify(-1) == "other"
""",
    # The first to import lined.table: build() runs inside this test.
    "tests/test_a_first.py": """\
def test_first():
    from lined import table

    assert table.TABLE
""",
    # Reads the table built before it ran: it never runs build() itself.
    "tests/test_b_second.py": """\
def test_second():
    from lined.table import TABLE

    assert TABLE["a"] == 1
""",
    # Imports by a computed name: no import statement shows the module.
    "tests/test_dynamic.py": """\
import importlib


def test_dynamic():
    module = importlib.import_module("lined." + "consts")
    assert module.VALUE == 3
""",
    "tests/test_cli.py": """\
from lined.cli import command


def test_help():
    assert command.__doc__ == "Shows help."
""",
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo(tmp_path_factory.mktemp("lines") / "lined")
    repo.write_many(FILES)
    repo.write(".gitignore", ".impact/\n__pycache__/\n.pytest_cache/\n")
    repo.commit("lined project")
    record(repo)
    return repo


@pytest.fixture
def project(recorded: GitRepo, tmp_path: Path) -> GitRepo:
    return copy_project(recorded, tmp_path / "copy")


def test_the_map_splits_a_function_by_the_tests_that_ran_its_lines(recorded: GitRepo) -> None:
    impact_map = store.read(recorded.path / ".impact/map.json.gz")
    assert impact_map.lines is not None
    lines = impact_map.lines["src/lined/rules.py"]
    units = {line: impact_map.units[unit] for line, unit in lines.items()}
    # Lines 2 and 6 run for both tests, 3 for one, 5 for the other: three classes.
    assert len({units[2], units[3], units[5]}) == 3
    assert units[2] == units[6]
    named = impact_map.named_tests()
    assert units[3] in named["tests/test_rules.py::test_positive"]
    assert units[3] not in named["tests/test_rules.py::test_other"]
    # Both tests still hold the function itself.
    assert "fn:src/lined/rules.py::classify@2" in named["tests/test_rules.py::test_other"]


def test_a_changed_branch_selects_only_the_tests_that_took_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/lined/rules.py", 'label = "other"', 'label = "others"')
    tests, whys = selected(capsys, project)
    assert tests == {"tests/test_rules.py::test_other"}
    assert (
        "classify() changed at line 5: 1 of the 2 tests that executed it ran those lines "
        "(rule: function-lines)"
    ) in whys


def test_a_changed_condition_selects_every_test_that_evaluated_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/lined/rules.py", "if x > 0:", "if x >= 0:")
    tests, _ = selected(capsys, project)
    assert tests == {"tests/test_rules.py::test_positive", "tests/test_rules.py::test_other"}


def test_a_new_local_name_widens_to_the_whole_function(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # A name bound anywhere in a function is local everywhere in it: no line is safe.
    edit(project, "src/lined/rules.py", 'label = "other"', 'label = (other := "other")')
    tests, whys = selected(capsys, project)
    assert tests == {"tests/test_rules.py::test_positive", "tests/test_rules.py::test_other"}
    assert "classify() changed: 2 tests executed it (rule: function)" in whys


def test_code_run_while_a_module_was_imported_selects_every_user_of_the_module(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # test_second never ran build(): it reads what build() made when test_first
    # imported lined.table. Charging build() only to test_first would miss it.
    edit(project, "src/lined/rules.py", 'return {"a": 1}', 'return {"a": 2}')
    tests, whys = selected(capsys, project)
    assert tests == {"tests/test_a_first.py::test_first", "tests/test_b_second.py::test_second"}
    assert "build() in src/lined/rules.py ran while src/lined/table.py was imported" in whys
    assert "(rule: import-time)" in whys


def test_a_docstring_is_made_with_the_def_not_when_the_body_runs(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # test_help never calls command(), but reads the text the `def` statement made.
    edit(project, "src/lined/cli.py", "Shows help.", "Shows the help.")
    tests, whys = selected(capsys, project)
    assert tests == {"tests/test_cli.py::test_help"}
    assert "(rule: module-level)" in whys


def test_a_module_imported_by_a_computed_name_is_held_by_its_importer(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/lined/consts.py", 'int("3")', 'int("4")')
    tests, whys = selected(capsys, project)
    assert tests == {"tests/test_dynamic.py::test_dynamic"}
    assert "(rule: module-level)" in whys


def test_a_class_attribute_selects_the_tests_that_ran_its_readers(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both tests import the module; only one ran a function that reads the attribute.
    edit(project, "src/lined/policy.py", "retries = 3", "retries = 4")
    tests, whys = selected(capsys, project)
    assert tests == {"tests/test_policy.py::test_attempts"}
    assert "retries assigned: 1 recorded functions may read it, 1 tests ran them" in whys
    assert "(rule: class-attribute)" in whys


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('SUFFIX = "v" + "1"', 'SUFFIX = "v" - "1"'),  # nothing reads it, but it fails
        ("SAFE = 2", "SAFE = 1"),  # enum.unique refuses the class
    ],
)
def test_a_value_that_may_fail_at_import_selects_every_importer(
    project: GitRepo, capsys: pytest.CaptureFixture[str], old: str, new: str
) -> None:
    edit(project, "src/lined/policy.py", old, new)
    tests, whys = selected(capsys, project)
    # Importing the module fails: both tests fail, whatever they read.
    assert tests == {"tests/test_policy.py::test_attempts", "tests/test_policy.py::test_unrelated"}
    assert "(rule: module-level)" in whys
