"""The distribution as users get it: one import package, entry points, sessions as code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import uv
from support import PROJECT_ROOT, git_env

from tiered_ci._toml import tomllib

pytestmark = pytest.mark.integration

EXAMPLE = PROJECT_ROOT / "examples" / "monorepo"


def listed_sessions(copy: Path) -> dict[str, str]:
    """`nox -l` of the noxfile in `copy`: session name -> description (every session,
    selected or not; `--json` would list only the selected ones)."""
    listed = run(sys.executable, "-m", "nox", "-l", cwd=copy)
    assert listed.returncode == 0, listed.stderr
    assert "FutureWarning" not in listed.stderr
    sessions = {}
    for line in listed.stdout.splitlines():
        if line[:2] in ("* ", "- ") and " -> " in line:
            name, _, description = line[2:].partition(" -> ")
            sessions[name] = description
    return sessions


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = git_env()
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE"):
        env.pop(name, None)  # a nested run is not this suite's coverage
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = run(uv.find_uv_bin(), "build", "--wheel", "--out-dir", out, PROJECT_ROOT, cwd=out)
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("tiered_ci-*.whl")
    return path


def test_the_wheel_holds_only_the_tiered_ci_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"tiered_ci", next(t for t in top if t.endswith(".dist-info"))}
    metadata = next(n for n in names if n.endswith("entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "tiered-ci = tiered_ci.cli:entry" in entry_points
    assert "tiered_ci = tiered_ci.pytest_plugin" in entry_points
    assert "tiered_ci/nox.py" in names


def test_the_installed_wheel_runs_its_console_script_and_module(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    assert run(uv.find_uv_bin(), "venv", "-q", venv, cwd=tmp_path).returncode == 0
    python = venv / "bin" / "python"
    installed = run(
        uv.find_uv_bin(), "pip", "install", "-q", "--python", python, wheel, cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stderr
    version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    expected = f"tiered-ci {version['project']['version']}"
    assert run(venv / "bin" / "tiered-ci", "--version", cwd=tmp_path).stdout.strip() == expected
    assert run(python, "-m", "tiered_ci", "--version", cwd=tmp_path).stdout.strip() == expected
    # Nothing installs a top-level `ci`.
    squat = run(python, "-c", "import ci", cwd=tmp_path)
    assert "No module named 'ci'" in squat.stderr


def test_a_repository_with_its_own_ci_package_still_runs_pytest(tmp_path: Path) -> None:
    """The plugin is `tiered_ci.pytest_plugin`: a user's `ci/` package cannot shadow it."""
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "__init__.py").write_text('NAME = "the user\'s ci"\n', encoding="utf-8")
    (tmp_path / "tests").mkdir()
    test = 'import ci\n\n\ndef test_own_ci() -> None:\n    assert ci.NAME == "the user\'s ci"\n'
    (tmp_path / "tests" / "test_own.py").write_text(test, encoding="utf-8")
    # --shard is an option of tiered-ci's plugin: accepted only when the plugin loaded.
    result = run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--shard=1/1", cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_nox_lists_every_tier_session_of_a_copy_of_the_example(tmp_path: Path) -> None:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".nox", "__pycache__"))
    names = set(listed_sessions(copy))
    domains = tomllib.loads((copy / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "tiered-ci"
    ]["domains"]
    tiers = {"quick", "unit", "integration", "docker-changed-services", "full-e2e"}
    assert names >= tiers | {"plan", "coverage", "ci", "lint", "gate"}
    assert {n for n in names if n.startswith("domain-shard(")} == {
        f"domain-shard({d})" for d in domains
    }


def test_a_session_defined_before_register_replaces_the_tier(tmp_path: Path) -> None:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".nox", "__pycache__"))
    noxfile = (copy / "noxfile.py").read_text(encoding="utf-8")
    own = (
        "import nox\n\n\n"
        "@nox.session(venv_backend='none')\n"
        "def quick(session: nox.Session) -> None:\n"
        '    """Our own quick tier."""\n\n\n'
        "@nox.session(venv_backend='none')\n"
        "def docs(session: nox.Session) -> None:\n"
        '    """A session of our own."""\n\n\n'
    )
    head, call = noxfile.rsplit("tiered_ci.nox.register()", 1)
    (copy / "noxfile.py").write_text(f"{head}{own}tiered_ci.nox.register(){call}", encoding="utf-8")
    sessions = listed_sessions(copy)
    assert sessions["quick"] == "Our own quick tier."
    assert "docs" in sessions
    assert "unit" in sessions


def test_a_bad_config_stops_nox_with_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".nox", "__pycache__"))
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('unmapped = "run-all"', 'unmapped = "maybe"'),
        encoding="utf-8",
    )
    listed = run(sys.executable, "-m", "nox", "-l", cwd=copy)
    assert listed.returncode != 0
    assert "tool.tiered-ci.unmapped: expected one of run-all, warn, ignore, got 'maybe'" in (
        listed.stderr
    )
