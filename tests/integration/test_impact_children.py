"""Child processes of a recording run: a Python child is measured, anything else is `spawn`.

One real project (the impact sample plus tests that start processes in every way a
suite does) is recorded once with a real pytest subprocess; each test reads what
the map charged to one of its tests, or asks `tiered-ci impact select` on a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from impact_project import copy_project, make_project, record, select
from support import GitRepo

from tiered_ci.impact import store

pytestmark = pytest.mark.integration

CHILD_FILES = {
    "src/sample/reader.py": """\
from pathlib import Path


def words():
    return (Path(__file__).parent / "data" / "words.txt").read_text().split()
""",
    "src/sample/data/words.txt": "alpha beta\n",
    "tests/test_children.py": """\
import multiprocessing
import os
import subprocess
import sys

from sample import unused

PY = sys.executable


def run(*args, **kwargs):
    kwargs.setdefault("cwd", "src")
    kwargs.setdefault("check", True)
    return subprocess.run([PY, *args], capture_output=True, text=True, **kwargs)


def test_reads_data():
    assert run("-c", "from sample.reader import words; print(words())").stdout.strip() == "['alpha', 'beta']"


def test_shell_runs_python():
    subprocess.run(["sh", "-c", f'"{PY}" -c "from sample.calc import add; add(1, 2)"'], cwd="src", check=True)


def test_isolated():
    run("-I", "-c", "import sys; sys.path.insert(0, '.'); from sample.calc import big; big(1)")


def test_own_sitecustomize(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("import os\\nos.environ['CUSTOM_SITE'] = 'ran'\\n")
    paths = [p for p in (os.environ.get("PYTHONPATH"), str(tmp_path)) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    code = "import os; from sample.shapes import Square; print(os.environ['CUSTOM_SITE'], Square().perimeter(1))"
    assert run("-c", code, env=env).stdout.split() == ["ran", "4"]


def test_env_of_its_own():
    run("-c", "import sys; sys.path.insert(0, '.'); from sample.calc import add; add(1, 1)", env={"PATH": os.environ.get("PATH", "")})


def test_env_copied_with_a_path_of_its_own():
    run("-c", "from sample.unused import never; never()", env={**os.environ, "PYTHONPATH": "src"}, cwd=".")


def test_python_grandchild():
    inner = "from sample.calc import big; big(3)"
    run("-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {inner!r}], check=True)")


def test_child_starts_a_shell():
    run("-c", "import subprocess; subprocess.run(['sh', '-c', 'exit 0'], check=True)")


def test_fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def test_console_script(tmp_path):
    script = tmp_path / "tool"
    script.write_text(f"#!{PY}\\nimport sys\\nsys.path.insert(0, '.')\\nfrom sample.calc import add\\nprint(add(2, 2))\\n")
    script.chmod(0o755)
    assert subprocess.run([str(script)], cwd="src", capture_output=True, text=True, check=True).stdout == "4\\n"


def test_a_recording_inside(tmp_path):
    argv = ["-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    out = run(*argv, f"--impact-record={tmp_path / 'inner.json.gz'}", "tests/test_calc.py", cwd=".", check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "impact: recorded 4 tests" in out.stdout


def test_multiprocessing_spawn():
    process = multiprocessing.get_context("spawn").Process(target=unused.never)
    process.start()
    process.join()
    assert process.exitcode == 0
""",
}


def _test(name: str) -> str:
    return f"tests/test_children.py::{name}"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = make_project(tmp_path_factory.mktemp("impact") / "children")
    repo.write_many(CHILD_FILES)
    repo.commit("tests that start processes")
    record(repo)
    return repo


@pytest.fixture(scope="module")
def named(recorded: GitRepo) -> dict[str, set[str]]:
    return store.read(recorded.path / ".impact/map.json.gz").named_tests()


CALC_ADD = "fn:src/sample/calc.py::add@5"
CALC_BIG = "fn:src/sample/calc.py::big@9"


def test_a_python_child_is_measured_and_reads_data(named: dict[str, set[str]]) -> None:
    units = named[_test("test_reads_data")]
    assert "fn:src/sample/reader.py::words@5" in units
    assert "file:src/sample/data/words.txt" in units
    assert store.SPAWN not in units


@pytest.mark.parametrize(
    "test",
    [
        "test_shell_runs_python",  # a shell may read files nothing sees, whoever reports
        "test_isolated",  # -I ignores PYTHONPATH: no report
        "test_env_of_its_own",  # an environment built without the recording's variables
        "test_child_starts_a_shell",  # a measured child's own unmeasurable start
        "test_fork",  # the copy runs where nothing measures it
        "test_a_recording_inside",  # it needs coverage for itself
    ],
)
def test_an_unmeasurable_start_stays_spawn(named: dict[str, set[str]], test: str) -> None:
    assert store.SPAWN in named[_test(test)]


@pytest.mark.parametrize(
    ("test", "unit"),
    [
        ("test_own_sitecustomize", "fn:src/sample/shapes.py::Square.perimeter@8"),
        ("test_env_copied_with_a_path_of_its_own", "fn:src/sample/unused.py::never@2"),
        ("test_python_grandchild", CALC_BIG),
        ("test_console_script", CALC_ADD),
        ("test_multiprocessing_spawn", "fn:src/sample/unused.py::never@2"),
    ],
)
def test_a_measured_start_charges_what_it_ran(
    named: dict[str, set[str]], test: str, unit: str
) -> None:
    units = named[_test(test)]
    assert unit in units
    assert store.SPAWN not in units


def test_children_off_leaves_every_start_spawn(
    recorded: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(recorded, tmp_path / "copy")
    monkeypatch.setenv("TIERED_CI_IMPACT_CHILDREN", "off")  # the recording run inherits it
    tests = ("tests/test_cli.py", _test("test_reads_data"))
    named = store.read(record(project, ".impact/off.json.gz", *tests)).named_tests()
    assert store.SPAWN in named["tests/test_cli.py::test_subprocess"]
    assert store.SPAWN in named[_test("test_reads_data")]
    assert "fn:src/sample/reader.py::words@5" not in named[_test("test_reads_data")]


def test_only_the_starts_that_could_not_be_measured_run_for_any_change(
    recorded: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(recorded, tmp_path / "copy")
    target = project.path / "src/sample/reader.py"
    target.write_text(target.read_text().replace(".split()", ".split(' ')"))
    result = select(capsys, project, project.path / ".impact/map.json.gz")
    assert result["tests"] == sorted(
        [
            _test("test_reads_data"),
            *(
                _test(name)
                for name in (
                    "test_shell_runs_python",
                    "test_isolated",
                    "test_env_of_its_own",
                    "test_child_starts_a_shell",
                    "test_fork",
                    "test_a_recording_inside",
                )
            ),
        ]
    )
