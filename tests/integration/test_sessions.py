"""The noxfile's sessions for real: shards partition the unit tier, `ci` runs the plan.

Collection runs pytest in subprocesses over the configured paths; the session
tests run nox itself in a small repository with a `[tool.tiered-ci]` table and
this checkout installed as tiered-ci (the sessions install the tiered-ci that runs nox).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from support import PROJECT_ROOT, GitRepo, run_nox

from tiered_ci._toml import tomllib

pytestmark = pytest.mark.integration

EXAMPLE = PROJECT_ROOT / "examples" / "monorepo"


def settings(root: Path) -> dict[str, Any]:
    document = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    table: dict[str, Any] = document["tool"]["tiered-ci"]
    return table


def collect(root: Path, paths: list[str], markers: str) -> set[str]:
    """Node ids pytest collects from `paths` with `-m markers`, run from `root`."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "-m", markers, *paths],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if "::" in line}


@pytest.mark.slow
@pytest.mark.parametrize("root", [PROJECT_ROOT, EXAMPLE], ids=["this-repo", "example"])
def test_domain_shards_partition_the_unit_tier(root: Path) -> None:
    config = settings(root)
    unit_tier = config["tiers"]["unit"]
    markers = unit_tier["markers"]
    unit = collect(root, unit_tier["paths"], markers)
    shards = {name: collect(root, d["tests"], markers) for name, d in config["domains"].items()}
    assert unit
    for name, tests in shards.items():
        assert tests, f"domain {name} collects no unit test"
        assert tests <= unit, f"domain {name} runs tests the unit tier does not: {tests - unit}"
    for (first, a), (second, b) in combinations(shards.items(), 2):
        assert not a & b, f"in both {first} and {second}: {sorted(a & b)[:5]}"
    # Nothing lost, nothing twice: the shards plus the remainder are exactly the unit tier.
    remainder = unit - set().union(*shards.values())
    assert sum(map(len, shards.values())) + len(remainder) == len(unit)


def test_example_tooling_is_a_copy_of_this_repositorys() -> None:
    """The example adopts tiered-ci as the README says: the Makefile verbatim, the
    noxfile but for the tiered-ci it names (this repository runs itself; an adopter
    names a release by git URL until one is on an index: docs/workflows.md).

    Its workflows differ by design: they call the reusable workflow by reference
    (tests/integration/test_workflows.py checks them).
    """
    assert (EXAMPLE / "Makefile").read_bytes() == (PROJECT_ROOT / "Makefile").read_bytes()
    ours = (PROJECT_ROOT / "noxfile.py").read_text(encoding="utf-8").splitlines()
    theirs = (EXAMPLE / "noxfile.py").read_text(encoding="utf-8").splitlines()
    differ = [line for line in theirs if line not in ours]
    assert differ[0] == (
        '# dependencies = ["nox>=2025.2.9", '
        '"tiered-ci @ git+https://github.com/your-org/tiered-ci@v0.2.0"]'
    )
    assert all(line.startswith("# ") for line in differ[1:])
    assert [line for line in ours if line not in theirs] == [
        '# dependencies = ["nox>=2025.2.9", "tiered-ci>=0.2"]'
    ]


def test_every_example_names_the_same_tiered_ci() -> None:
    """An example copied into its own repository resolves its noxfile's tiered-ci
    with no edit (issue 18): every example ships the worked example's noxfile."""
    shipped = (EXAMPLE / "noxfile.py").read_bytes()
    others = sorted((PROJECT_ROOT / "examples").glob("*/noxfile.py"))
    assert len(others) >= 3
    assert [path for path in others if path.read_bytes() != shipped] == []


# --- nox runs in a small repository -------------------------------------------------------

PYPROJECT = """\
[dependency-groups]
test = ["pytest", "pytest-xdist", "coverage"]
lint = ["ruff"]

[tool.tiered-ci]
run-all = ["pyproject.toml", "noxfile.py"]
ignore = [".gitignore"]

[tool.tiered-ci.tiers.quick]
markers = "critical"
budget-seconds = {budget}

[tool.tiered-ci.tiers.unit]
paths = ["tests/unit"]
markers = "not integration"
workers = 1

[tool.tiered-ci.tiers.integration]
paths = ["tests/integration"]
markers = "integration"

[tool.tiered-ci.domains.alpha]
paths = ["src/alpha/**"]
tests = ["tests/unit/alpha"]

[tool.tiered-ci.domains.beta]
paths = ["src/beta/**"]
tests = ["tests/unit/beta"]

[tool.pytest.ini_options]
pythonpath = ["src"]
markers = ["critical: quick tier", "integration: integration tier"]
addopts = ["--strict-markers"]

[tool.coverage.run]
parallel = true
source = ["src"]
"""

TEST = """\
from __future__ import annotations

import pytest

from {name}.core import VALUE


@pytest.mark.{marker}
def test_{name}() -> None:
    assert VALUE == "{name}"
"""


@pytest.fixture
def small_repo(repo: GitRepo) -> GitRepo:
    """Two domains, one integration test and this noxfile, committed on main."""
    repo.write("pyproject.toml", PYPROJECT.format(budget=60))
    repo.write("noxfile.py", (PROJECT_ROOT / "noxfile.py").read_text(encoding="utf-8"))
    repo.write(".gitignore", ".nox/\nreports/\n.coverage*\n__pycache__/\n")
    for name in ("alpha", "beta"):
        repo.write(f"src/{name}/__init__.py", "")
        repo.write(f"src/{name}/core.py", f'VALUE = "{name}"\n')
        repo.write(f"tests/unit/{name}/test_{name}.py", TEST.format(name=name, marker="critical"))
    test_integration = TEST.format(name="alpha", marker="integration")
    repo.write("tests/integration/test_flow.py", test_integration)
    repo.commit("base")
    return repo


def nox(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_nox(root, *args)


@pytest.mark.slow
def test_ci_session_runs_the_sessions_the_plan_selects(small_repo: GitRepo) -> None:
    small_repo.write("src/alpha/core.py", 'VALUE = "alpha"  # changed, not committed\n')
    result = nox(small_repo.path, "-s", "ci")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # notify() found the parametrized session by its full name.
    assert "nox > * domain-shard(alpha): success" in output
    assert "nox > * quick: success" in output
    assert "nox > * integration: success" in output
    assert "domain-shard(beta)" not in output
    reports = sorted(p.name for p in (small_repo.path / "reports").iterdir())
    assert reports == ["junit-domain-shard-alpha.xml", "junit-integration.xml", "junit-quick.xml"]
    data = {p.name.split(".")[2] for p in small_repo.path.glob(".coverage.*")}
    assert data == {"domain-shard-alpha", "integration"}  # quick measures nothing


@pytest.mark.slow
def test_quick_session_says_over_budget_and_still_passes(small_repo: GitRepo) -> None:
    small_repo.write("pyproject.toml", PYPROJECT.format(budget=0.001))
    result = nox(small_repo.path, "-s", "quick")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "OVER BUDGET: the quick tier took" in output
    assert "more than its 0.001 s budget (tool.tiered-ci.tiers.quick.budget-seconds)" in output
    assert "2 passed" in output


@pytest.mark.slow
def test_quick_installs_its_own_table_in_a_repository_without_test_or_lint_groups(
    small_repo: GitRepo,
) -> None:
    """What init writes when the tools live in a `dev` group and ruff in pre-commit."""
    text = PYPROJECT.format(budget=60).replace(
        'test = ["pytest", "pytest-xdist", "coverage"]\nlint = ["ruff"]', 'dev = ["pytest"]'
    )
    text += '\n[tool.tiered-ci.tiers.quick.install]\nroot = false\ngroups = ["dev"]\n'
    text += 'packages = ["ruff"]\n'
    small_repo.write("pyproject.toml", text)
    result = nox(small_repo.path, "-s", "quick")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output


@pytest.mark.slow
def test_an_install_table_alone_keeps_quick_on_its_markers(small_repo: GitRepo) -> None:
    """`[tiers.quick.install]` is a `tiers.quick` table too: without `markers` or
    `paths` of its own, quick still runs the critical and smoke tests, not the suite.
    The repository runs pytest with `--strict-markers` and never registers `smoke`,
    which pytest 9 refuses in `-m` unless the session registers it."""
    text = PYPROJECT.format(budget=60).replace(
        '[tool.tiered-ci.tiers.quick]\nmarkers = "critical"\nbudget-seconds = 60\n', ""
    )
    assert "[tool.tiered-ci.tiers.quick]" not in text
    text += '\n[tool.tiered-ci.tiers.quick.install]\nroot = true\ngroups = ["test", "lint"]\n'
    small_repo.write("pyproject.toml", text)
    result = nox(small_repo.path, "-s", "quick")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "-m 'critical or smoke'" in output
    assert "2 passed" in output
    assert "deselected" in output
    # The plugin that registers them lives in the session's site-packages, where
    # coverage counts it as installed code and never as the project's.
    assert list(small_repo.path.glob(".nox/quick/lib/python*/site-packages/_tiered_ci_markers.py"))


@pytest.mark.slow
def test_a_tier_s_pytest_args_reach_pytest(small_repo: GitRepo) -> None:
    """A conftest that runs integration tests only with `--integration` (as the
    repository's CI passes it): the tier's `pytest-args` give it, and the test runs."""
    small_repo.write(
        "conftest.py",
        "def pytest_addoption(parser):\n"
        '    parser.addoption("--integration", action="store_true")\n\n\n'
        "def pytest_collection_modifyitems(config, items):\n"
        '    if not config.getoption("--integration"):\n'
        '        items[:] = [i for i in items if "integration" not in i.keywords]\n',
    )
    text = (small_repo.path / "pyproject.toml").read_text()
    unflagged = nox(small_repo.path, "-s", "integration")
    # Deselected by the conftest: nothing ran, and the session passed all the same.
    assert unflagged.returncode == 0, unflagged.stdout + unflagged.stderr
    assert "1 passed" not in unflagged.stdout + unflagged.stderr
    small_repo.write(
        "pyproject.toml",
        text.replace(
            'paths = ["tests/integration"]\nmarkers = "integration"\n',
            'paths = ["tests/integration"]\nmarkers = "integration"\npytest-args = ["--integration"]\n',
        ),
    )
    result = nox(small_repo.path, "-s", "integration")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "-m integration --integration" in output
    assert "1 passed" in output


@pytest.mark.slow
def test_a_setup_py_project_is_installed_as_the_root_project(small_repo: GitRepo) -> None:
    """No `[project]` table, a setup.py: the root is still a project (moto's shape)."""
    small_repo.write(
        "pyproject.toml", PYPROJECT.format(budget=60).replace('pythonpath = ["src"]\n', "")
    )
    small_repo.write(
        "setup.py",
        "from setuptools import find_packages, setup\n"
        "setup(name='small', version='0', package_dir={'': 'src'}, packages=find_packages('src'))\n",
    )
    result = nox(small_repo.path, "-s", "domain-shard(alpha)")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "-e ." in output
    assert "1 passed" in output


@pytest.mark.slow
def test_domain_shard_passes_posargs_and_names_data_per_shard(small_repo: GitRepo) -> None:
    result = nox(small_repo.path, "-s", "domain-shard(beta)", "--", "-k", "beta", "-x")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (
        "-m 'not integration' -n 1 --junitxml=reports/junit-domain-shard-beta.xml -k beta -x"
        in (output)
    )
    assert any(small_repo.path.glob(".coverage.domain-shard-beta.*"))


@pytest.mark.slow
def test_domain_shard_split_in_two_runs_its_one_test_once(small_repo: GitRepo) -> None:
    # One test, two shards: one shard is empty (pytest exit 5), which is success here.
    for k in (1, 2):
        result = nox(small_repo.path, "-s", "domain-shard(beta)", "--", f"--shard={k}/2")
        assert result.returncode == 0, result.stdout + result.stderr
    reports = small_repo.path / "reports"
    cases = [
        case
        for k in (1, 2)
        for case in (reports / f"junit-domain-shard-beta.{k}.xml")
        .read_text()
        .split("<testcase")[1:]
    ]
    assert len(cases) == 1
    assert 'name="test_beta"' in cases[0]


@pytest.mark.slow
def test_ci_session_gives_planner_flags_to_the_planner_only(small_repo: GitRepo) -> None:
    """`nox -s ci -- --base main` (the README's command) once made every pytest exit 4."""
    small_repo.branch("feature")
    small_repo.write("src/beta/core.py", 'VALUE = "beta"  # reviewed\n')
    small_repo.commit("beta")

    result = nox(small_repo.path, "-s", "ci", "--", "--base", "main", "--", "-x")
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert "nox > * domain-shard(beta): success" in output
    assert "domain-shard(alpha)" not in output
    assert "--junitxml=reports/junit-domain-shard-beta.xml -x" in output
    assert "--base" not in output.split("tiered-ci plan --format json --base main")[1]


BETA_ENV = """
[tool.tiered-ci.domains.beta.install]
root = false
packages = ["pytest", "pytest-xdist"{more}]
"""


@pytest.mark.slow
def test_domain_shard_in_its_own_environment_reused_by_key(small_repo: GitRepo) -> None:
    """beta installs only pytest (no root project, no coverage); the env is keyed on that."""
    config = PYPROJECT.format(budget=60).replace(
        'tests = ["tests/unit/beta"]', 'tests = ["tests/unit/beta"]\npython = ["3.11"]'
    )
    small_repo.write("pyproject.toml", config + BETA_ENV.format(more=""))
    small_repo.commit("beta has its own environment")

    listed = nox(small_repo.path, "-l").stdout
    shards = sorted(re.findall(r"^[*-] (domain-shard\(\S+\))", listed, re.MULTILINE))
    assert shards == ["domain-shard(alpha)", "domain-shard(beta-3.11)"], listed

    first = nox(small_repo.path, "-s", "domain-shard(beta-3.11)")
    assert first.returncode == 0, first.stdout + first.stderr
    venv = small_repo.path / ".nox" / "domain-shard-beta-3-11"
    site = {p.name.lower() for p in (venv / "lib").glob("python*/site-packages/*")}
    assert {"pytest", "xdist"} <= site
    assert not site & {"coverage", "git", "alpha"}  # nothing beta does not declare

    again = nox(small_repo.path, "-s", "domain-shard(beta-3.11)")
    assert again.returncode == 0, again.stderr
    assert "environment up to date (install key" in again.stderr

    small_repo.write("pyproject.toml", config + BETA_ENV.format(more=', "coverage"'))
    changed = nox(small_repo.path, "-s", "domain-shard(beta-3.11)")
    assert changed.returncode == 0, changed.stderr
    assert "install inputs changed (key" in changed.stderr
    assert any((venv / "lib").glob("python*/site-packages/coverage"))


@pytest.mark.slow
def test_domain_pack_runs_each_named_shard_in_its_own_environment(small_repo: GitRepo) -> None:
    """A packed matrix entry: `nox -s domain-pack -- domain-shard(a) domain-shard(b)`."""
    result = nox(
        small_repo.path, "-s", "domain-pack", "--", "domain-shard(alpha)", "domain-shard(beta)"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "nox > * domain-shard(alpha): success" in output
    assert "nox > * domain-shard(beta): success" in output
    venvs = sorted(p.name for p in (small_repo.path / ".nox").iterdir() if p.is_dir())
    assert venvs == ["domain-shard-alpha", "domain-shard-beta"]
