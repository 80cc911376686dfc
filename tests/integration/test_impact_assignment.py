"""The `assignment` rule on real recordings: a change to the value of one top-level
assignment selects the tests that may read that name, and every way of reading it that
the rule cannot follow falls back to the module-level rule (recall first)."""

from __future__ import annotations

from pathlib import Path

import pytest
from impact_project import (
    CALC_TESTS,
    copy_project,
    edit,
    make_project,
    record,
    run_pytest,
    select,
    selected,
)
from support import GitRepo

pytestmark = pytest.mark.integration

# Readers of calc's constants that the sample project does not have, one per way of
# reading a name: by name in a test, through a string, by a computed getattr, at import
# time in another module, through a function that ran while importing.
READERS = {
    "src/sample/calc.py": """\
LIMIT = 10
SCALE = 2
UNIT = "cm"
LOWEST = 0


def add(a, b):
    return a + b


def big(x):
    if x > LIMIT:
        return True
    return False


def scaled(x):
    return x * SCALE


def lowest():
    return LOWEST
""",
    "src/sample/units.py": """\
from sample import calc

# Computed at import: whoever imports this module sees the value, not only the test
# that happened to import it first.
FLOOR = calc.lowest()


def label(x):
    return f"{x} {calc.UNIT}"
""",
    "tests/test_readers.py": """\
from sample import calc
from sample.units import FLOOR, label


def test_scale_by_name():
    assert calc.scaled(2) == 4


def test_unit_through_a_string(monkeypatch):
    monkeypatch.setattr("sample.calc.UNIT", "mm")
    assert label(1) == "1 mm"


def test_any_name_by_getattr():
    name = "".join(["SC", "ALE"])
    assert getattr(calc, name) == 2


def test_label():
    assert label(2) == "2 cm"


def test_floor():
    assert FLOOR == 0


def test_unrelated():
    assert calc.add(1, 1) == 2
""",
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = make_project(tmp_path_factory.mktemp("assignment") / "sample")
    repo.write_many(READERS)
    repo.commit("readers of calc's constants")
    record(repo)
    return repo


@pytest.fixture
def project(recorded: GitRepo, tmp_path: Path) -> GitRepo:
    return copy_project(recorded, tmp_path / "copy")


def test_one_assignment_selects_only_the_tests_that_read_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "LIMIT = 10", "LIMIT = 11")
    tests, why = selected(capsys, project)
    # big() reads LIMIT; a computed getattr may read any name. test_add, the shapes (which
    # import calc) and the readers of the other constants do not run.
    assert tests == {
        "tests/test_calc.py::test_big[1]",
        "tests/test_calc.py::test_big[20]",
        "tests/test_readers.py::test_any_name_by_getattr",
    }
    assert "LIMIT assigned: 2 recorded functions may read it, 3 tests ran them" in why
    assert "(rule: assignment)" in why


def test_a_name_read_through_a_string_or_a_computed_getattr_is_selected(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", 'UNIT = "cm"', 'UNIT = "in"')
    tests, _ = selected(capsys, project)
    assert "tests/test_readers.py::test_label" in tests  # label() reads calc.UNIT
    assert "tests/test_readers.py::test_unit_through_a_string" in tests  # setattr("...UNIT")
    assert "tests/test_readers.py::test_any_name_by_getattr" in tests  # getattr(calc, name)
    assert "tests/test_readers.py::test_unrelated" not in tests
    assert not CALC_TESTS & tests


def test_a_value_computed_at_import_selects_every_user_of_the_importer(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # lowest() reads LOWEST and ran while units.py was imported: FLOOR holds the value
    # for every importer, so the tests charged with lowest() are not all its readers.
    edit(project, "src/sample/calc.py", "LOWEST = 0", "LOWEST = 1")
    tests, why = selected(capsys, project)
    assert "tests/test_readers.py::test_floor" in tests
    assert "lowest() in src/sample/calc.py ran while src/sample/units.py was imported" in why
    assert "(rule: import-time)" in why


def test_a_name_read_at_module_level_selects_that_module_s_dependents(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("src/sample/alias.py", "from sample.calc import SCALE as FACTOR\n")
    project.commit("an alias read at import")
    record(project)
    edit(project, "src/sample/calc.py", "SCALE = 2", "SCALE = 3")
    tests, why = selected(capsys, project)
    # What alias.py computes from SCALE at import reaches alias.py's users (none here),
    # not every importer of calc.py: test_add and test_big never read SCALE.
    assert "src/sample/alias.py:1 may read SCALE at import" in why
    assert "tests/test_readers.py::test_scale_by_name" in tests
    assert not tests & CALC_TESTS


def test_anything_else_at_module_level_is_not_an_assignment(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "LIMIT = 10\n", "LIMIT = 10\nprint('imported')\n")
    tests, why = selected(capsys, project)
    assert "(rule: module-level)" in why
    assert tests >= CALC_TESTS


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("SCALE = 2", "SCALE = 3"),
        ('UNIT = "cm"', 'UNIT = "in"'),
        ("LOWEST = 0", "LOWEST = 1"),
        ("LIMIT = 10", "LIMIT = 0"),
    ],
)
def test_every_test_a_changed_constant_breaks_is_selected(
    project: GitRepo, capsys: pytest.CaptureFixture[str], old: str, new: str
) -> None:
    """Recall, measured: run the whole suite with the change, then check that every
    test it breaks is in the selection."""
    edit(project, "src/sample/calc.py", old, new)
    run = run_pytest(project, "-rf", "tests")
    failing = {line.split()[1] for line in run.stdout.splitlines() if line.startswith("FAILED ")}
    assert failing, run.stdout  # each change breaks something
    tests, _ = selected(capsys, project)
    assert failing <= tests


def test_a_committed_change_is_judged_from_the_commit_not_the_work_tree(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "LIMIT = 10", "LIMIT = 11")
    project.commit("limit")
    # The work tree differs again; with --head the commit is what is judged (and grepped).
    edit(project, "src/sample/calc.py", "LIMIT = 11", "LIMIT = int(11)")
    result = select(capsys, project, project.path / ".impact/map.json.gz", "--head", "HEAD")
    tests = result["tests"]
    assert isinstance(tests, list)
    assert "tests/test_calc.py::test_big[1]" in tests
    assert "tests/test_shapes.py::test_perimeter" not in tests
    assert "(rule: assignment)" in str(result["reasons"])
