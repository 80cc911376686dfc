"""Recorded with sys.monitoring or with coverage.py, an impact map is the same.

`pytest --impact-record` measures with sys.monitoring on Python 3.12+ and with
coverage.py's trace function before (`tiered_ci.impact.monitor`). This suite runs on
whatever Python its CI has (3.11 here), so these tests build a virtual environment
with a 3.12+ interpreter of the machine (pyenv's, uv's, or python3.1x on PATH) and
record a real project there both ways; they skip only when the machine has none.
They also run tests/unit/impact/test_monitor.py under that interpreter, where it
does not skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from impact_project import make_project
from support import PROJECT_ROOT, GitRepo, git_env

from tiered_ci.impact import store

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Beyond the sample project: code that only some ways of running reach.
EXTRA = {
    "src/sample/flow.py": """\
import threading

TABLE = {key: len(key)
         for key in ("a", "bb")}


def countdown(n):
    while n:
        yield n
        n -= 1


class Config:
    size = len(TABLE)

    def sizes(self):
        return sorted(TABLE.values())


def in_thread():
    out = []
    worker = threading.Thread(target=lambda: out.append(sum(countdown(3))))
    worker.start()
    worker.join()
    return out[0]


def compiled(path):
    namespace = {}
    exec(compile("x = 1\\nif x:\\n    y = 2\\n", path, "exec"), namespace)
    return namespace["y"]
""",
    # The same helper at the same lines of two files: equal code objects, two files.
    "tests/test_twin_a.py": "def helper(x):\n    return x + 1\n\n\ndef test_a():\n    assert helper(1) == 2\n",
    "tests/test_twin_b.py": "def helper(x):\n    return x + 1\n\n\ndef test_b():\n    assert helper(2) == 3\n",
    "tests/test_flow.py": """\
import asyncio
import os

from sample import flow


def test_generator_resumed():
    numbers = flow.countdown(3)
    assert next(numbers) == 3
    assert list(numbers) == [2, 1]


def test_class_body():
    assert flow.Config().sizes() == [1, 2]


def test_thread():
    assert flow.in_thread() == 6


def test_exec():
    here = os.path.dirname(flow.__file__)
    assert flow.compiled(os.path.join(here, "generated.py")) == 2


async def _twice(n):
    await asyncio.sleep(0)
    return sum(flow.countdown(n))


def test_coroutine():
    assert asyncio.run(_twice(2)) == 3
""",
}


def _newer_pythons() -> list[str]:
    """This machine's Python 3.12+ interpreters, one per version, oldest first."""
    candidates: list[str] = []
    uv = shutil.which("uv")
    if uv is not None:
        found = subprocess.run(
            [uv, "python", "find", ">=3.12"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            candidates.append(found.stdout.strip())
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for minor in (12, 13, 14):
        candidates.extend(str(p) for p in sorted(pyenv.glob(f"3.{minor}.*/bin/python3.{minor}")))
        candidates.extend(filter(None, [shutil.which(f"python3.{minor}")]))
    by_version: dict[str, str] = {}
    for candidate in candidates:
        try:
            check = subprocess.run(
                [
                    candidate,
                    "-c",
                    "import sys; print(sys.version_info >= (3, 12), *sys.version_info[:2])",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError:  # a pyenv shim without its version, a dangling link
            continue
        words = check.stdout.split()
        if check.returncode == 0 and words[:1] == ["True"]:
            by_version.setdefault(".".join(words[1:]), candidate)
    return [by_version[v] for v in sorted(by_version, key=lambda v: tuple(map(int, v.split("."))))]


def _env() -> dict[str, str]:
    """A clean environment for the 3.12 runs: outside this suite's coverage."""
    return {k: v for k, v in git_env().items() if not k.startswith(("COVERAGE_", "TIERED_CI_"))}


def _venv(python: str, folder: Path, *packages: str) -> Path:
    """A virtual environment of `python` holding this checkout (editable) and `packages`."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is needed to build the Python 3.12 environment (it is a test tool)")
    made = subprocess.run(
        [uv, "venv", "-q", "-p", python, str(folder)], capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    install = [uv, "pip", "install", "-q", "-p", str(folder), "-e", str(PROJECT_ROOT), *packages]
    # From uv's cache when it holds them all (no network), else from the index.
    for argv in ([*install, "--offline"], install):
        done = subprocess.run(argv, capture_output=True, text=True, check=False, env=_env())
        if done.returncode == 0:
            return folder / "bin" / "python"
    pytest.fail(f"could not install {packages} for {python}:\n{done.stderr}")


@pytest.fixture(scope="module")
def newer_pythons() -> list[str]:
    found = _newer_pythons()
    if not found:
        pytest.skip(
            "no Python 3.12+ interpreter on this machine (pyenv, `uv python find`, "
            "python3.12 on PATH): sys.monitoring cannot be tried"
        )
    return found


@pytest.fixture(scope="module")
def python312(newer_pythons: list[str]) -> str:
    return newer_pythons[0]


@pytest.fixture(scope="module")
def newer_venvs(newer_pythons: list[str], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Per interpreter: pytest, coverage (for the coverage tracer and child processes) and
    the project's dependency."""
    return [
        _venv(python, tmp_path_factory.mktemp("newer"), "pytest", "coverage", "PyYAML")
        for python in newer_pythons
    ]


def _project(path: Path) -> GitRepo:
    repo = make_project(path)
    repo.write_many(EXTRA)
    repo.commit("flow")
    return repo


def _record(python: Path, repo: GitRepo, tracer: str) -> tuple[store.ImpactMap, str]:
    target = f".impact/{tracer}.json.gz"
    env = {**_env(), "TIERED_CI_IMPACT_TRACER": tracer}
    result = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:randomly", "-q", f"--impact-record={target}"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return store.read(repo.path / target), result.stdout


@pytest.mark.parametrize("which", [0, -1], ids=["oldest", "newest"])
def test_both_tracers_record_the_same_map(
    newer_venvs: list[Path], which: int, tmp_path: Path
) -> None:
    """On the oldest and the newest Python 3.12+ of the machine (3.12 and 3.13 here)."""
    python = newer_venvs[which]
    repo = _project(tmp_path / "sample")
    with_coverage, _ = _record(python, repo, "coverage")
    with_monitor, out = _record(python, repo, "monitor")
    assert "impact: recorded 15 tests" in out
    assert with_monitor.by_name() == with_coverage.by_name()
    tests = with_monitor.named_tests()
    # What only some ways of running reach is there, in the test that ran it.
    assert "fn:src/sample/flow.py::countdown@8" in tests["tests/test_flow.py::test_thread"]
    assert "fn:src/sample/flow.py::countdown@8" in tests["tests/test_flow.py::test_coroutine"]
    assert "mod:src/sample/generated.py" in tests["tests/test_flow.py::test_exec"]
    # The child process is measured (by coverage.py, in the child) under both.
    assert "fn:src/sample/calc.py::add@5" in tests["tests/test_cli.py::test_subprocess"]
    assert "spawn" not in with_monitor.units
    assert "fn:tests/test_twin_b.py::helper@2" in tests["tests/test_twin_b.py::test_b"]


def test_the_monitor_records_beside_coverage(newer_venvs: list[Path], tmp_path: Path) -> None:
    """Under `coverage run` (as under pytest-cov) the coverage tracer refuses to record,
    the monitor records the map it records alone."""
    python = newer_venvs[0]
    repo = _project(tmp_path / "sample")
    alone, _ = _record(python, repo, "monitor")
    argv = [str(python), "-m", "coverage", "run", f"--data-file={tmp_path / 'data'}", "-m"]
    argv += ["pytest", "-p", "no:randomly", "-q", "--impact-record=.impact/beside.json.gz"]
    for tracer, code in (("monitor", 0), ("coverage", 4)):
        result = subprocess.run(
            argv,
            cwd=repo.path,
            env={**_env(), "TIERED_CI_IMPACT_TRACER": tracer},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == code, result.stdout + result.stderr
    assert "coverage is already measuring this run" in result.stderr
    beside = store.read(repo.path / ".impact/beside.json.gz")
    assert beside.by_name() == alone.by_name()


def test_the_monitor_needs_no_coverage_in_the_test_process(python312: str, tmp_path: Path) -> None:
    """Without coverage.py, the monitor records; a Python child cannot report (it would
    measure itself with coverage.py), so its start is `spawn`, as before children were
    measured."""
    bare = _venv(python312, tmp_path / "bare", "pytest", "PyYAML")
    repo = _project(tmp_path / "sample")
    impact_map, _ = _record(bare, repo, "monitor")
    tests = impact_map.named_tests()
    assert "fn:src/sample/calc.py::add@5" in tests["tests/test_calc.py::test_add"]
    assert "spawn" in tests["tests/test_cli.py::test_subprocess"]
    assert "spawn" not in tests["tests/test_calc.py::test_add"]
    unset = subprocess.run(
        [str(bare), "-m", "pytest", "-p", "no:randomly", "-q", "--impact-record=.impact/x"],
        cwd=repo.path,
        env={**_env(), "TIERED_CI_IMPACT_TRACER": "coverage"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert unset.returncode == 4, unset.stdout + unset.stderr
    assert "--impact-record needs coverage.py in the test environment" in unset.stderr


@pytest.mark.parametrize("which", [0, -1], ids=["oldest", "newest"])
def test_monitor_unit_tests_pass_on_python_312_and_later(
    newer_venvs: list[Path], which: int
) -> None:
    """tests/unit/impact/test_monitor.py skips below 3.12: here it runs, and must pass."""
    result = subprocess.run(
        [
            str(newer_venvs[which]),
            "-m",
            "pytest",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--noconftest",  # the suite's conftest needs nox and more; these tests do not
            "-q",
            "-rs",
            "tests/unit/impact/test_monitor.py",
            "tests/unit/impact/test_tracer.py",
        ],
        cwd=PROJECT_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout.strip().splitlines()[-1], result.stdout
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    # Only tests of the refusals on other versions skip.
    assert all("test_tracer.py" in line for line in skipped), result.stdout
