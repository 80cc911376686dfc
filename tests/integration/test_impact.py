"""Impact selection end to end: record with pytest, merge, select, run the selection.

Every fallback rule is exercised on a real git repository: one sample project
is recorded once (a real pytest subprocess with --impact-record), and each
test changes a copy of it and asks `tiered-ci impact select`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from impact_project import CALC_TESTS, copy_project, edit, make_project, record, run_pytest, select
from support import PROJECT_ROOT, GitRepo, run_nox

from tiered_ci.cli import main
from tiered_ci.impact import store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = make_project(tmp_path_factory.mktemp("impact") / "sample")
    record(repo)
    return repo


@pytest.fixture
def project(recorded: GitRepo, tmp_path: Path) -> GitRepo:
    return copy_project(recorded, tmp_path / "copy")


def _map(repo: GitRepo) -> Path:
    return repo.path / ".impact/map.json.gz"


def _tests(result: dict[str, object]) -> set[str]:
    tests = result["tests"]
    assert isinstance(tests, list)
    return set(tests)


def _whys(result: dict[str, object]) -> str:
    reasons = result["reasons"]
    assert isinstance(reasons, list)
    return "\n".join(r["why"] for r in reasons)


# --- recording -------------------------------------------------------------------------


def test_map_records_each_test_with_its_functions_fixtures_and_data(recorded: GitRepo) -> None:
    impact_map = store.read(_map(recorded))
    named = impact_map.named_tests()
    assert impact_map.commit == recorded.head()
    assert impact_map.clean
    assert "fn:src/sample/calc.py::add@5" in named["tests/test_calc.py::test_add"]
    assert "fn:src/sample/calc.py::big@9" not in named["tests/test_calc.py::test_add"]
    # The module-scoped fixture ran once, inside test_rows; both users get what it ran.
    assert "file:src/sample/data/table.csv" in named["tests/loading/test_loader.py::test_rows"]
    assert "fn:src/sample/loader.py::table@9" in named["tests/loading/test_loader.py::test_rows"]
    # The Python child the test starts is measured: what it ran is the test's.
    assert "fn:src/sample/calc.py::add@5" in named["tests/test_cli.py::test_subprocess"]
    assert store.SPAWN not in named["tests/test_cli.py::test_subprocess"]
    assert store.SPAWN not in named["tests/test_calc.py::test_add"]
    assert "src/sample/unused.py" not in impact_map.spans
    assert "sample.calc" in impact_map.imports["src/sample/shapes.py"]
    assert "yaml" in impact_map.distributions["pyyaml"]


def test_xdist_workers_record_the_same_map_as_one_process(project: GitRepo) -> None:
    serial = store.read(_map(project))
    parallel = store.read(record(project, ".impact/xdist.json.gz", "-n", "2"))
    assert parallel.named_tests() == serial.named_tests()
    assert not list((project.path / ".impact").glob("*.part"))


def test_coverage_own_contexts_record_the_same_map(project: GitRepo) -> None:
    # The recorder keeps lines per context in memory where it knows coverage's layout,
    # and uses coverage's own contexts otherwise: both must record the same map.
    (project.path / "own_contexts.py").write_text(
        "from tiered_ci.impact import executed\n\n"
        "executed.for_coverage = executed.CoverageContexts\n",
        encoding="utf-8",
    )
    fallback = store.read(record(project, ".impact/own.json.gz", "-p", "own_contexts"))
    in_memory = store.read(_map(project))
    assert fallback.named_tests() == in_memory.named_tests()
    assert {fallback.units[u] for u in fallback.global_units} == {
        in_memory.units[u] for u in in_memory.global_units
    }


def test_shard_maps_merge_into_the_whole_map(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = [record(project, f".impact/shard{k}.json.gz", f"--shard={k}/2") for k in (1, 2)]
    merged = project.path / "merged.json.gz"
    assert main(["impact", "merge", *map(str, parts), "-o", str(merged)]) == 0
    assert store.read(merged).named_tests() == store.read(_map(project)).named_tests()
    assert "merged 2 maps" in capsys.readouterr().err


def test_merge_refuses_maps_of_two_commits(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "src/sample/calc.py", project.path.joinpath("src/sample/calc.py").read_text() + "\n"
    )
    project.commit("later")
    later = record(project, ".impact/later.json.gz")
    assert main(["impact", "merge", str(_map(project)), str(later), "-o", "x.json.gz"]) == 2
    assert "maps from different commits" in capsys.readouterr().err


def test_record_needs_the_equals_sign(project: GitRepo) -> None:
    result = run_pytest(project, "--impact-record", "map.json.gz")
    assert result.returncode == 4
    assert "--impact-record: write --impact-record=PATH with '='" in result.stderr


def test_record_works_without_a_tiered_ci_table(project: GitRepo) -> None:
    text = (project.path / "pyproject.toml").read_text()
    assert "tool.tiered-ci" not in text
    assert store.read(_map(project)).tests


# --- selection: precise rules ----------------------------------------------------------------


def test_function_change_selects_the_tests_that_ran_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "x > LIMIT", "x >= LIMIT")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "partial"
    # The subprocess test's child ran add(), not big(): it does not run.
    assert _tests(result) == {"tests/test_calc.py::test_big[1]", "tests/test_calc.py::test_big[20]"}
    assert (
        "big() changed at line 9: 2 of the 2 tests that executed it ran those lines "
        "(rule: function-lines)"
    ) in _whys(result)
    assert result["map_commit"] == project.head()
    assert result["total_tests"] == 8


def test_module_level_change_selects_every_importer_transitively(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # A call runs at import and may do anything besides binding LIMIT: module-level.
    edit(project, "src/sample/calc.py", "LIMIT = 10", "LIMIT = int(11)")
    result = select(capsys, project, _map(project))
    # shapes imports calc: test_shapes imports it transitively.
    assert {"tests/test_shapes.py::test_perimeter", *CALC_TESTS} <= _tests(result)
    assert "tests/loading/test_loader.py::test_settings" not in _tests(result)
    assert "(rule: module-level)" in _whys(result)


def test_a_class_attribute_nothing_reads_selects_no_test(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Square.sides is read by no function; perimeter() never looks at it.
    edit(project, "src/sample/shapes.py", "sides = 4", "sides = 5")
    result = select(capsys, project, _map(project))
    assert _tests(result) == set()
    assert "sides assigned: 0 recorded functions may read it" in _whys(result)


def test_a_class_body_change_other_than_a_value_is_module_level(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/shapes.py", "sides = 4", "sides = add(2, 2)")
    assert _tests(select(capsys, project, _map(project))) == {
        "tests/test_shapes.py::test_perimeter"
    }


def test_changed_test_runs_even_when_its_body_never_ran(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "tests/test_calc.py", "assert add(0, 0) == 0", "assert add(0, 1) == 1")
    assert "tests/test_calc.py::test_skipped" in _tests(select(capsys, project, _map(project)))


def test_new_test_file_is_listed_and_new_module_selects_its_importers(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("src/sample/extra.py", "def triple(x):\n    return 3 * x\n")
    project.write(
        "tests/test_extra.py",
        "from sample.extra import triple\n\ndef test_triple():\n    assert triple(1) == 3\n",
    )
    result = select(capsys, project, _map(project))
    assert result["mode"] == "partial"
    assert "tests/test_extra.py" in result["test_files"]  # type: ignore[operator]
    assert "new test file" in _whys(result)
    assert "new module" in _whys(result)


def test_a_measured_child_selects_its_test_by_what_it_ran(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "return a + b", "return b + a")
    assert "tests/test_cli.py::test_subprocess" in _tests(select(capsys, project, _map(project)))
    edit(project, "src/sample/calc.py", "return b + a", "return a + b")
    edit(project, "src/sample/shapes.py", "* 2", "* 2 + 0")
    # The child never ran Square.perimeter: that change leaves the test out.
    result = select(capsys, project, _map(project))
    assert _tests(result) == {"tests/test_shapes.py::test_perimeter"}


def test_empty_diff_selects_nothing(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    result = select(capsys, project, _map(project))
    assert result["mode"] == "none"
    assert result["tests"] == []
    assert len(result["unaffected_tests"]) == 8  # type: ignore[arg-type]


def test_the_diff_starts_at_the_maps_commit(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Landed after the map was recorded, then a branch on top: both changes are judged.
    edit(project, "src/sample/calc.py", "return a + b", "return b + a")
    project.commit("landed after the map")
    project.branch("feature")
    edit(project, "src/sample/shapes.py", "* 2", "* 2 + 0")
    project.commit("feature")
    result = select(capsys, project, _map(project), "--base", "main", "--head", "HEAD")
    assert "tests/test_calc.py::test_add" in _tests(result)
    assert "tests/test_shapes.py::test_perimeter" in _tests(result)


# --- selection: fallbacks, each on a real repository -------------------------------------------


def test_deleted_module_selects_the_tests_that_used_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.remove("src/sample/shapes.py")
    result = select(capsys, project, _map(project))
    assert "tests/test_shapes.py::test_perimeter" in _tests(result)
    assert "deleted module" in _whys(result)


def test_module_the_map_never_saw_falls_back_to_its_importers(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/unused.py", "return 1", "return 2")
    result = select(capsys, project, _map(project))
    assert "never executed in the recording" in _whys(result)
    assert "(rule: unknown-module)" in _whys(result)


def test_conftest_selects_every_test_below_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "tests/loading/conftest.py", "return table()", "return list(table())")
    result = select(capsys, project, _map(project))
    assert {
        "tests/loading/test_loader.py::test_rows",
        "tests/loading/test_loader.py::test_settings",
    } <= _tests(result)
    assert "every test below tests/loading/ (rule: conftest)" in _whys(result)


def test_data_file_selects_the_tests_that_read_it(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("src/sample/data/table.csv", "x,b,c\n")
    result = select(capsys, project, _map(project))
    assert _tests(result) == {"tests/loading/test_loader.py::test_rows"}
    assert "read by 1 tests (rule: data)" in _whys(result)


def test_new_data_file_falls_back_to_the_package_importers(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("src/sample/data/more.csv", "1\n")
    result = select(capsys, project, _map(project))
    assert "(rule: data-package)" in _whys(result) or "(rule: data-folder)" in _whys(result)
    assert "tests/loading/test_loader.py::test_rows" in _tests(result)


def test_requirements_change_selects_importers_of_the_distribution(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("requirements.txt", "PyYAML==6.0.3\n")
    result = select(capsys, project, _map(project))
    assert "tests/loading/test_loader.py::test_settings" in _tests(result)
    assert "tests/test_calc.py::test_add" not in _tests(result)
    assert "pyyaml changed" in _whys(result)


def test_project_dependencies_change_is_a_dependency_change(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "pyproject.toml", '"PyYAML>=6"', '"PyYAML>=6.0.1"')
    result = select(capsys, project, _map(project))
    assert "tests/loading/test_loader.py::test_settings" in _tests(result)
    assert "tests/test_shapes.py::test_perimeter" not in _tests(result)


def test_ruff_table_only_needs_no_tests(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "pyproject.toml", "line-length = 100", "line-length = 120")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "none"
    assert "only [tool.ruff] changed: lint, no tests (rule: pyproject)" in _whys(result)


def test_pytest_table_change_runs_everything(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "pyproject.toml", 'pythonpath = ["src"]', 'pythonpath = ["src", "."]')
    result = select(capsys, project, _map(project))
    assert result["mode"] == "all"
    assert (
        result["fallback_reason"]
        == "pyproject.toml: [tool.pytest] changed, which tests can observe (rule: pyproject)"
    )
    assert len(_tests(result)) == 8


def test_unreadable_map_runs_everything(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = project.path / "broken.json.gz"
    broken.write_bytes(b"\x1f\x8bnot gzip")
    result = select(capsys, project, broken)
    assert result["mode"] == "all"
    assert "the impact map cannot be used" in str(result["fallback_reason"])


def test_map_from_an_unrelated_history_runs_everything(
    project: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = GitRepo(tmp_path / "other")
    other.write("a.txt", "a")
    other.commit("unrelated")
    result = select(capsys, other, _map(project))
    assert result["mode"] == "all"
    assert "is not in this clone" in str(result["fallback_reason"])


def test_map_whose_commit_shares_no_history_with_head_runs_everything(
    project: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = GitRepo(tmp_path / "other")
    other.write("a.txt", "a")
    other.commit("unrelated")
    other.git.fetch(str(project.path), "main:recorded")  # the map's commit is here now
    result = select(capsys, other, _map(project))
    assert result["mode"] == "all"
    assert "shares no history with" in str(result["fallback_reason"])


def test_map_older_than_the_limit_runs_everything(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "pyproject.toml",
        (project.path / "pyproject.toml").read_text()
        + "\n[tool.tiered-ci.impact]\nmax-age-days = 0\n",
    )
    with project.repo.git.custom_environment(
        GIT_COMMITTER_DATE="2026-03-01T00:00:00Z", GIT_AUTHOR_DATE="2026-03-01T00:00:00Z"
    ):
        project.git.commit("-qam", "two months later")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "all"
    assert "days older than head" in str(result["fallback_reason"])


def test_map_of_a_modified_work_tree_is_not_used(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "LIMIT = 10", "LIMIT = 3")
    dirty = record(project, ".impact/dirty.json.gz", "tests/test_shapes.py")
    assert not store.read(dirty).clean
    result = select(capsys, project, dirty)
    assert result["mode"] == "all"
    assert "modified work tree" in str(result["fallback_reason"])


def test_an_import_line_is_module_level_code(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/shapes.py", "import add\n", "import add, big\n")
    result = select(capsys, project, _map(project))
    assert "tests/test_shapes.py::test_perimeter" in _tests(result)
    assert "tests/loading/test_loader.py::test_settings" not in _tests(result)
    assert "module-level code changed: " in _whys(result)


def test_a_decorator_line_is_module_level_code(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "tests/test_calc.py", "[1, 20]", "[1, 20, 30]")
    result = select(capsys, project, _map(project))
    # Every test of the file runs (test_big[30] too: never seen, so never deselected).
    assert set(CALC_TESTS) <= _tests(result)
    assert "tests/test_shapes.py::test_perimeter" not in _tests(result)
    assert "module-level code changed" in _whys(result)


def test_a_renamed_module_is_judged_deleted_and_added(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.git.mv("src/sample/shapes.py", "src/sample/geometry.py")
    edit(project, "tests/test_shapes.py", "sample.shapes", "sample.geometry")
    project.commit("rename shapes")
    result = select(capsys, project, _map(project))
    assert "tests/test_shapes.py::test_perimeter" in _tests(result)
    assert "deleted module" in _whys(result)
    assert "new module" in _whys(result)


def test_a_package_init_added_or_deleted_selects_the_packages_importers(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.remove("src/sample/__init__.py")
    result = select(capsys, project, _map(project))
    assert {"tests/test_shapes.py::test_perimeter", *CALC_TESTS} <= _tests(result)
    assert "package layout changed" in _whys(result)


def test_the_root_conftest_runs_everything(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("conftest.py", "collect_ignore = []\n")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "all"
    assert "the root conftest.py reaches every test (rule: conftest)" in str(
        result["fallback_reason"]
    )


@pytest.mark.parametrize("name", ["pytest.ini", "tox.ini", "setup.cfg"])
def test_a_pytest_configuration_file_runs_everything(
    project: GitRepo, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    project.write(name, "[pytest]\naddopts = -x\n")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        f"{name} changed: pytest's configuration reaches every test (rule: pytest-config)"
    )


def test_a_deleted_data_file_falls_back_to_its_folder_or_package(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.remove("src/sample/data/table.csv")
    result = select(capsys, project, _map(project))
    assert "deleted file" in _whys(result)
    assert "tests/loading/test_loader.py::test_rows" in _tests(result)


def _configure(repo: GitRepo, table: str) -> None:
    """A [tool.tiered-ci] table: a change only to it is lint, so it selects no test."""
    text = (repo.path / "pyproject.toml").read_text()
    (repo.path / "pyproject.toml").write_text(f"{text}\n[tool.tiered-ci]\n{table}")


def test_a_data_file_a_domain_claims_selects_the_domains_tests(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(
        project,
        '[tool.tiered-ci.domains.data]\npaths = ["src/sample/data/**"]\ntests = ["tests/loading"]\n',
    )
    project.write("src/sample/data/more.csv", "1\n")
    result = select(capsys, project, _map(project))
    assert _tests(result) == {
        "tests/loading/test_loader.py::test_rows",
        "tests/loading/test_loader.py::test_settings",
    }
    assert "added file: the tests of domain data (rule: data-domain)" in _whys(result)


@pytest.mark.parametrize(
    ("table", "mode", "why"),
    [
        ("", "all", "NOTES.txt (added file) is claimed by no rule and unmapped is 'run-all'"),
        ('unmapped = "ignore"\n', "none", "added file: claimed by no rule; unmapped = 'ignore'"),
        ('ignore = ["*.txt"]\n', "none", "ignored (tool.tiered-ci.ignore)"),
        (
            'run-all = ["NOTES.txt"]\n',
            "all",
            "NOTES.txt is a global input (tool.tiered-ci.run-all)",
        ),
    ],
)
def test_a_file_no_folder_explains_follows_the_configured_policy(
    project: GitRepo, capsys: pytest.CaptureFixture[str], table: str, mode: str, why: str
) -> None:
    _configure(project, table)
    project.write("NOTES.txt", "read by nothing\n")
    result = select(capsys, project, _map(project))
    assert result["mode"] == mode
    assert why in (str(result["fallback_reason"]) if mode == "all" else _whys(result))
    if mode != "all":  # no test read it, none started an unmeasured process
        assert _tests(result) == set()


def test_a_lock_file_change_selects_importers_of_the_distribution(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "uv.lock", 'version = "6.0.2"', 'version = "6.0.3"')
    result = select(capsys, project, _map(project))
    # PyYAML provides the module `yaml`: loader.py imports it, test_loader imports loader.
    assert "tests/loading/test_loader.py::test_settings" in _tests(result)
    assert "tests/test_calc.py::test_add" not in _tests(result)
    assert "pyyaml changed (1 files import it)" in _whys(result)


@pytest.mark.parametrize(
    ("requirement", "why"),
    [
        ("pytest-xdist==1.0", "requirements.txt: pytest plugin pytest-xdist changed"),
        ("not-installed-here==1.0", "distribution not-installed-here was not installed"),
    ],
)
def test_a_plugin_or_unknown_distribution_runs_everything(
    project: GitRepo, capsys: pytest.CaptureFixture[str], requirement: str, why: str
) -> None:
    project.write("requirements.txt", f"PyYAML==6.0.2\n{requirement}\n")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "all"
    assert why in str(result["fallback_reason"])


# --- Python source read as data, and source read by machinery -------------------------------

SOURCE_TESTS = {
    "src/sample/doc.py": '''\
def double(x):
    """Twice x, shown without calling it.

    >>> 2 * 2
    4
    """
    return 2 * x
''',
    "tests/test_source.py": """\
import inspect
from pathlib import Path

from hypothesis import given, strategies as st

from sample import calc


def test_reads_the_module_as_text():
    assert "LIMIT" in Path("src/sample/calc.py").read_text()


def test_inspects_the_source():
    assert "return a + b" in inspect.getsource(calc.add)


@given(st.integers())
def test_property(x):
    assert calc.add(x, 0) == x
""",
    "src/sample/hooks.py": """\
def header():
    return "sample"
""",
    "conftest.py": """\
from sample.hooks import header


def pytest_sessionstart(session):
    session.config.stash_header = header()
""",
    "src/sample/memo.py": """\
import functools


@functools.lru_cache(maxsize=None)
def square(x):
    return x * x


class Table:
    @staticmethod
    @functools.cache
    def width():
        return 80
""",
    "tests/test_memo.py": """\
from sample.memo import Table, square


def test_first():
    assert square(3) == 9


def test_second():  # the same call: in one process, served from the cache
    assert square(3) == 9


def test_width_first():
    assert Table.width() == 80


def test_width_second():
    assert Table.width() == 80
""",
    "tests/test_programs.py": """\
import subprocess
from pathlib import Path


def test_git_runs_no_code_of_ours():
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_a_shell_may():
    assert subprocess.run(["sh", "-c", "exit 0"]).returncode == 0


def test_a_pager_or_filter_runs_no_code_of_ours():
    out = subprocess.run(["cat"], input="x", capture_output=True, text=True)
    assert subprocess.run(["head", "-c", "0"], input="y", text=True).returncode == 0
    assert out.stdout == "x"


def test_a_program_of_the_repository_named_like_a_filter_may():
    script = Path(__file__).with_name("cat")
    script.write_text("#!/bin/sh\\nexit 0\\n")
    script.chmod(0o755)
    try:
        assert subprocess.run([str(script)]).returncode == 0
    finally:
        script.unlink()
""",
    "tests/test_resource.py": """\
import pkgutil


def test_package_data():
    assert pkgutil.get_data("sample", "data/table.csv") == b"a,b,c\\n"
""",
    "tests/test_warns.py": """\
import warnings

import pytest

from sample.shapes import Square


def test_warning_is_formatted():
    with pytest.warns(UserWarning):
        warnings.warn("shown with its source line", UserWarning, stacklevel=1)
    assert Square.sides == 4
""",
}


@pytest.fixture(scope="module")
def source_readers(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """The sample project plus tests that read Python source in every way a run does:
    as data (read_text, inspect) and by machinery (hypothesis mining constants from
    every local module at collection, pytest formatting a warning, imports)."""
    repo = make_project(tmp_path_factory.mktemp("impact") / "readers")
    repo.write_many(SOURCE_TESTS)
    repo.write(".gitignore", ".impact/\n__pycache__/\n.pytest_cache/\n.hypothesis/\n")
    repo.commit("tests that read source")
    record(repo)
    return repo


def test_python_source_read_as_data_is_recorded_and_read_by_machinery_is_not(
    source_readers: GitRepo,
) -> None:
    impact_map = store.read(_map(source_readers))
    named = impact_map.named_tests()
    calc = "file:src/sample/calc.py"
    assert calc in named["tests/test_source.py::test_reads_the_module_as_text"]
    assert calc in named["tests/test_source.py::test_inspects_the_source"]  # the test asked
    assert calc not in named["tests/test_source.py::test_property"]  # hypothesis's own read
    assert calc not in named["tests/test_calc.py::test_add"]  # imported: executed, not read
    # The loader's get_data serves imports and resources alike: a resource is data.
    assert "file:src/sample/data/table.csv" in named["tests/test_resource.py::test_package_data"]
    assert not [
        impact_map.units[u]
        for u in impact_map.global_units
        if impact_map.units[u].startswith("file:")
    ]  # hypothesis read every module at collection, outside any test
    assert not any(
        u.startswith("file:") and u.endswith(".py")
        for u in named["tests/test_warns.py::test_warning_is_formatted"]
    )
    # Any program but git may run the repository's code (a shell running python).
    assert store.SPAWN not in named["tests/test_programs.py::test_git_runs_no_code_of_ours"]
    assert store.SPAWN in named["tests/test_programs.py::test_a_shell_may"]
    assert (
        store.SPAWN
        not in named["tests/test_programs.py::test_a_pager_or_filter_runs_no_code_of_ours"]
    )
    assert (
        store.SPAWN
        in named["tests/test_programs.py::test_a_program_of_the_repository_named_like_a_filter_may"]
    )


def test_a_function_change_selects_its_readers_not_everything(
    source_readers: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(source_readers, tmp_path / "copy")
    edit(project, "src/sample/calc.py", "x > LIMIT", "x >= LIMIT")
    result = select(capsys, project, _map(project))
    assert result["mode"] == "partial", result["fallback_reason"]
    assert _tests(result) == {
        "tests/test_calc.py::test_big[1]",
        "tests/test_calc.py::test_big[20]",
        "tests/test_programs.py::test_a_shell_may",
        "tests/test_programs.py::test_a_program_of_the_repository_named_like_a_filter_may",
        "tests/test_source.py::test_reads_the_module_as_text",
        "tests/test_source.py::test_inspects_the_source",
    }
    assert "read as text by 2 tests (rule: data)" in _whys(result)


def test_code_that_ran_outside_any_test_runs_everything(
    source_readers: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(source_readers, tmp_path / "copy")
    edit(project, "src/sample/hooks.py", 'return "sample"', 'return "changed"')
    result = select(capsys, project, _map(project))
    assert result["mode"] == "all"
    assert result["fallback_reason"] == (
        "header() in src/sample/hooks.py ran outside any test (plugins, conftest at start)"
    )


@pytest.mark.parametrize(
    "change",
    [
        ("return x * x", "return x ** 2", ("test_first", "test_second")),
        ("return 80", "return 81", ("test_width_first", "test_width_second")),
    ],
)
def test_a_memoized_function_selects_every_test_its_cache_served(
    source_readers: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str, tuple[str, ...]],
) -> None:
    # The recorder empties the repository's lru caches before each test: the second
    # test computes the value again, so its footprint holds the function too.
    old, new, users = change
    project = copy_project(source_readers, tmp_path / "copy")
    edit(project, "src/sample/memo.py", old, new)
    result = select(capsys, project, _map(project))
    assert {f"tests/test_memo.py::{name}" for name in users} <= _tests(result)


def test_a_docstring_change_runs_the_modules_doctests(
    source_readers: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(source_readers, tmp_path / "copy")
    doctests = record(project, ".impact/doctests.json.gz", "--doctest-modules", "src", "tests")
    edit(project, "src/sample/doc.py", ">>> 2 * 2\n    4", ">>> 2 * 3\n    6")
    result = select(capsys, project, doctests)
    # The doctest never executed double(): only being an item of the module selects it.
    assert "src/sample/doc.py::sample.doc.double" in _tests(result)
    assert "tests/test_calc.py::test_add" not in _tests(result)


# --- running a selection ----------------------------------------------------------------------


def test_impact_select_runs_the_selection_and_never_seen_tests(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "x > LIMIT", "x >= LIMIT")
    project.write("tests/test_new.py", "def test_new():\n    pass\n")
    select(capsys, project, _map(project), "--output", str(project.path / "select.json"))
    result = run_pytest(project, "--impact-select=select.json", "-rA")
    assert result.returncode == 0, result.stdout
    assert "impact: ran 3 of 9 tests" in result.stdout  # big[1], big[20], test_new
    assert "PASSED tests/test_new.py::test_new" in result.stdout
    assert "test_add" not in result.stdout


def test_impact_select_composes_with_k_xdist_and_shards(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(project, "src/sample/calc.py", "x > LIMIT", "x >= LIMIT")
    select(capsys, project, _map(project), "--output", str(project.path / "select.json"))
    result = run_pytest(project, "--impact-select=select.json", "-k", "big", "-n", "2")
    assert result.returncode == 0, result.stdout
    assert "impact: ran 2 of 2 tests" in result.stdout  # -k big: two tests, both selected
    shard = run_pytest(project, "--impact-select=select.json", "--shard=1/2")
    assert shard.returncode == 0, shard.stdout
    assert "impact: ran 2 of 8 tests" in shard.stdout
    assert "shard 1/2:" in shard.stdout


def test_impact_select_rejects_a_bad_file(project: GitRepo) -> None:
    (project.path / "bad.json").write_text("{}")
    result = run_pytest(project, "--impact-select=bad.json")
    assert result.returncode == 4
    assert (
        "--impact-select=bad.json: not a `tiered-ci impact select` JSON (version 1)"
        in result.stderr
    )


# --- the tiers ----------------------------------------------------------------------------------

TIERED_TABLE = """
[tool.tiered-ci]
unmapped = "ignore"

[tool.tiered-ci.impact]
enabled = true

[tool.tiered-ci.domains.calc]
paths = ["src/sample/calc.py"]
tests = ["tests/test_calc.py"]

[tool.tiered-ci.domains.shapes]
paths = ["src/sample/shapes.py"]
tests = ["tests/test_shapes.py"]
"""


def test_plan_notes_the_selection_and_runs_tests_outside_the_planned_domains(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.path / "pyproject.toml").write_text(
        (project.path / "pyproject.toml").read_text() + TIERED_TABLE
    )
    project.commit("configure tiered-ci")
    edit(project, "src/sample/calc.py", "return a + b", "return b + a")
    code = main(["plan", "--repo", str(project.path), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    plan = json.loads(captured.out)
    assert plan["domains"] == ["calc"]
    # shapes calls calc.add: the map knows test_perimeter can break, the domain globs do not.
    assert "unit" in plan["sessions"]
    assert {"session": "unit", "args": ""} in plan["matrix"]["include"]
    assert any(
        r["rule"] == "impact: a selected test lies outside the planned sessions"
        for r in plan["reasons"]
    )
    assert "tiered-ci plan: impact: 3 of 8 tests, because " in captured.err
    assert (
        "add() changed at line 5: 3 of the 3 tests that executed it ran those lines "
        "(rule: function-lines)"
    ) in captured.err


def test_plan_without_a_map_says_it_falls_back(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.path / "pyproject.toml").write_text(
        (project.path / "pyproject.toml").read_text() + TIERED_TABLE
    )
    _map(project).unlink()
    edit(project, "src/sample/calc.py", "return a + b", "return b + a")
    assert main(["plan", "--repo", str(project.path), "--format", "json"]) == 0
    assert (
        "impact: no map at .impact/map.json.gz: the plan falls back to the domain rules"
        in capsys.readouterr().err
    )


def test_plan_summary_counts_each_test_session_over_its_own_tests(
    project: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (project.path / "pyproject.toml").write_text(
        (project.path / "pyproject.toml").read_text()
        + TIERED_TABLE
        + '\n[tool.tiered-ci.tiers.unit]\npaths = ["tests"]\n'
    )
    project.commit("configure tiered-ci")
    edit(project, "src/sample/calc.py", "return a + b", "return b + a")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert main(["plan", "--repo", str(project.path), "--format", "github"]) == 0
    capsys.readouterr()
    text = summary.read_text()
    # The whole map: 3 of 8 (add ran in test_add, test_perimeter and the subprocess).
    assert "`impact: 3 of 8 tests, because " in text
    # The calc shard runs tests/test_calc.py: of its 4 tests only test_add ran add().
    assert "- **domain-shard(calc)**: impact: 1 of 4 tests, because " in text
    # Widened by impact (test_perimeter is no planned domain's), unit runs all its paths.
    assert "- **unit**: impact: 3 of 8 tests, because " in text
    assert (
        "`add() changed at line 5: 3 of the 3 tests that executed it ran those lines "
        "(rule: function-lines)`"
    ) in text


# --- end to end through the shipped nox sessions ---------------------------------------------

NOX_PROJECT = {
    "pyproject.toml": """\
[dependency-groups]
test = ["pytest", "pytest-xdist", "coverage"]

[tool.tiered-ci.impact]
enabled = true

[tool.tiered-ci.tiers.unit]
paths = ["tests/unit"]
fan-out = false

[tool.tiered-ci.domains.alpha]
paths = ["src/alpha/**"]
tests = ["tests/unit/alpha"]

[tool.tiered-ci.domains.beta]
paths = ["src/beta/**"]
tests = ["tests/unit/beta"]

[tool.pytest.ini_options]
pythonpath = ["src"]
""",
    ".gitignore": ".nox/\nreports/\n.coverage*\n__pycache__/\n.pytest_cache/\n.impact/\n",
    "src/alpha/__init__.py": "",
    "src/alpha/core.py": "def value():\n    return 'alpha'\n",
    "src/beta/__init__.py": "",
    "src/beta/core.py": "def value():\n    return 'beta'\n",
    "tests/unit/alpha/test_alpha.py": (
        "from alpha.core import value\n\n\ndef test_alpha():\n    assert value() == 'alpha'\n"
    ),
    "tests/unit/beta/test_beta.py": (
        "from beta.core import value\n\n\ndef test_beta():\n    assert value() == 'beta'\n"
    ),
}


@pytest.mark.slow
def test_nox_sessions_record_the_map_and_select_with_it(tmp_path: Path) -> None:
    """What CI runs: `nox -s impact-record` on the default branch, then a test session
    of a later change selects with the map and says so in its step summary."""
    repo = GitRepo(tmp_path / "repo")
    repo.write_many(NOX_PROJECT)
    repo.write("noxfile.py", (PROJECT_ROOT / "noxfile.py").read_text(encoding="utf-8"))
    repo.commit("base")
    recorded = run_nox(repo.path, "-s", "impact-record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "impact: recorded 2 tests" in recorded.stdout + recorded.stderr
    assert store.read(_map(repo)).clean
    edit(repo, "src/beta/core.py", "return 'beta'", "return 'b' + 'eta'")
    summary = tmp_path / "summary.md"
    ran = run_nox(repo.path, "-s", "unit", extra={"GITHUB_STEP_SUMMARY": str(summary)})
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output
    assert "impact: ran 1 of 2 tests" in output
    assert (
        "**unit**: impact: 1 of 2 tests, because `value() changed at line 2: 1 of the 1 tests"
        in (summary.read_text())
    )
