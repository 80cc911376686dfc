"""A small real project for impact tests: a package, tests, data, a Python child process.

`record(repo)` runs pytest with `--impact-record` in a real subprocess, the way
CI records a map; `select(...)` runs `tiered-ci impact select` in-process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import PROJECT_ROOT, GitRepo, git_env

from tiered_ci.cli import main

__all__ = [
    "CALC_TESTS",
    "FILES",
    "copy_project",
    "edit",
    "make_project",
    "record",
    "run_pytest",
    "select",
    "selected",
]

FILES = {
    "pyproject.toml": """\
[project]
name = "sample"
version = "1.0"
dependencies = ["PyYAML>=6"]

[tool.pytest.ini_options]
pythonpath = ["src"]

[tool.ruff]
line-length = 100
""",
    "requirements.txt": "PyYAML==6.0.2\n",
    "uv.lock": """\
version = 1
requires-python = ">=3.10"

[[package]]
name = "pyyaml"
version = "6.0.2"

[[package]]
name = "sample"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "pyyaml" }]
""",
    "src/sample/__init__.py": "",
    "src/sample/calc.py": """\
LIMIT = 10


def add(a, b):
    return a + b


def big(x):
    if x > LIMIT:
        return True
    return False
""",
    "src/sample/shapes.py": """\
from sample.calc import add


class Square:
    sides = 4

    def perimeter(self, size):
        return add(size, size) * 2
""",
    "src/sample/loader.py": """\
from pathlib import Path

import yaml

HERE = Path(__file__).parent


def table():
    return (HERE / "data" / "table.csv").read_text().split(",")


def settings():
    return yaml.safe_load("a: 1")
""",
    "src/sample/data/table.csv": "a,b,c\n",
    "src/sample/unused.py": "def never():\n    return 1\n",
    "tests/test_calc.py": """\
import pytest

from sample.calc import add, big


def test_add():
    assert add(1, 2) == 3


@pytest.mark.parametrize("x", [1, 20])
def test_big(x):
    assert big(x) == (x > 10)


@pytest.mark.skipif(True, reason="needs a service")
def test_skipped():
    assert add(0, 0) == 0
""",
    "tests/test_shapes.py": """\
from sample.shapes import Square


def test_perimeter():
    assert Square().perimeter(2) == 8
""",
    "tests/loading/conftest.py": """\
import pytest


@pytest.fixture(scope="module")
def rows():
    from sample.loader import table
    return table()
""",
    "tests/loading/test_loader.py": """\
from sample.loader import settings


def test_rows(rows):
    assert rows[0] == "a"


def test_settings():
    assert settings() == {"a": 1}
""",
    "tests/test_cli.py": """\
import subprocess
import sys


def test_subprocess():
    code = "from sample.calc import add; print(add(1, 2))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd="src", capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "3"
""",
}

CALC_TESTS = {
    "tests/test_calc.py::test_add",
    "tests/test_calc.py::test_big[1]",
    "tests/test_calc.py::test_big[20]",
}


def make_project(path: Path) -> GitRepo:
    repo = GitRepo(path)
    repo.write_many(FILES)
    repo.write(".gitignore", ".impact/\n__pycache__/\n.pytest_cache/\n")
    repo.commit("sample project")
    return repo


def _env() -> dict[str, str]:
    env = {k: v for k, v in git_env().items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT / "ci")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_pytest(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in the project, in a real subprocess, with this checkout's plugin."""
    argv = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", *args]
    return subprocess.run(
        argv, cwd=repo.path, env=_env(), capture_output=True, text=True, check=False
    )


def record(repo: GitRepo, path: str = ".impact/map.json.gz", *args: str) -> Path:
    result = run_pytest(repo, f"--impact-record={path}", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return repo.path / path


def select(
    capsys: pytest.CaptureFixture[str], repo: GitRepo, impact_map: Path, *args: str
) -> dict[str, object]:
    code = main(
        [
            "impact",
            "select",
            "--map",
            str(impact_map),
            "--repo",
            str(repo.path),
            "--format",
            "json",
            *args,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    document: dict[str, object] = json.loads(out)
    return document


def copy_project(source: GitRepo, path: Path) -> GitRepo:
    """A copy of the recorded repository (history and map included) for one test to change."""
    shutil.copytree(source.path, path)
    return GitRepo(path)  # `git init` on a repository only re-applies the pinned identity


def edit(repo: GitRepo, path: str, old: str, new: str) -> None:
    """Replace the first `old` in one file of the work tree (it must be there)."""
    target = repo.path / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))


def selected(capsys: pytest.CaptureFixture[str], repo: GitRepo) -> tuple[set[str], str]:
    """A partial selection with the repository's map: its tests, and its reasons joined."""
    result = select(capsys, repo, repo.path / ".impact/map.json.gz")
    assert result["mode"] == "partial", result
    tests, reasons = result["tests"], result["reasons"]
    assert isinstance(tests, list)
    assert isinstance(reasons, list)
    return set(tests), "\n".join(r["why"] for r in reasons)
