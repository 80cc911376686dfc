"""`tiered-ci init` finds each package's and the root's test and lint tools where
they live, says where in a `note:`, and says so when it found none."""

from __future__ import annotations

import pytest
from support import GitRepo

from tiered_ci import config
from tiered_ci.cli import main


def _package(folder: str, pyproject_tail: str = "", **extra: str) -> dict[str, str]:
    name = folder.rsplit("/", 1)[-1]
    files = {
        f"{folder}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "0"\n{pyproject_tail}',
        f"{folder}/tests/test_{name}.py": "def test_it(): pass\n",
    }
    files.update({f"{folder}/{rel.replace('__', '/')}": text for rel, text in extra.items()})
    return files


def test_each_packages_test_tooling_is_found_where_it_lives(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            **_package("libs/a", '\n[dependency-groups]\ndev = ["pytest", "pytest-asyncio"]\n'),
            **_package("libs/b", '\n[dependency-groups]\ndev = ["pytest"]\n'),
            "libs/b/tests/test_async.py": "async def test_wait(): pass\n",
            **_package("libs/c", '\n[project.optional-dependencies]\ntesting = ["pytest"]\n'),
            **_package("libs/d", **{"requirements__test.txt": "pytest\n"}),
            **_package("libs/e", **{"tox.ini": "[testenv]\ndeps =\n    pytest\n    hypothesis\n"}),
            **_package("libs/f"),
        }
    )
    repo.commit("six packages, six ways")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "note: test tooling under libs/: 2 from its `dev` dependency group; "
        "1 from its `testing` extra; 1 from requirements/test.txt; "
        "1 from tox.ini's [testenv] deps; "
        "none found for f: bare pytest (add a `test` dependency group)\n"
    ) in out
    assert (
        "note: b: async tests, and no pytest-asyncio or anyio in the test tooling found: "
        "add one, else pytest fails them\n"
    ) in out
    loaded = config.load(repo.path)
    assert loaded.domain_install("a").groups == ("libs/a:dev",)
    assert loaded.domain_install("c").extras == ("testing",)
    assert loaded.domain_install("d").requirements == ("libs/d/requirements/test.txt",)
    assert loaded.domain_install("e").packages == ("pytest", "hypothesis")
    assert loaded.domain_install("f").packages == ("pytest",)
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def test_the_roots_tools_for_quick_and_unit_come_from_its_own_config(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """No `test` or `lint` group: unit installs the `dev` group, quick adds ruff at
    the pre-commit hook's version; both say so."""
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "shop"\nversion = "0"\n\n'
                '[dependency-groups]\ndev = ["pytest", "anyio"]\n'
            ),
            ".pre-commit-config.yaml": (
                "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                "    rev: v0.6.9\n    hooks:\n      - id: ruff\n"
            ),
            "src/shop/__init__.py": "",
            "tests/test_shop.py": "async def test_shop(): pass\n",
        }
    )
    repo.commit("a project with a dev group")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "note: test tooling of the root (unit, quick): from its `dev` dependency group\n" in out
    assert (
        "note: lint tooling (quick): .pre-commit-config.yaml (its ruff hook, rev 0.6.9)\n"
    ) in out
    assert "async tests" not in out  # anyio runs them
    loaded = config.load(repo.path)
    assert loaded.tier("unit").install == config.Install(root=True, groups=("dev",))
    assert loaded.tier("quick").install == config.Install(
        root=True, groups=("dev",), packages=("ruff==0.6.9",)
    )
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def test_no_test_tooling_at_the_root_is_said_and_async_tests_are_flagged(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "setup.py": "from setuptools import setup\nsetup(name='shop')\n",
            ".flake8": "[flake8]\nmax-line-length = 100\n",
            "tests/test_shop.py": "async def test_shop(): pass\n",
        }
    )
    repo.commit("a bare setup.py project")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "note: test tooling of the root (unit, quick): none found: bare pytest\n" in out
    assert (
        "note: the root's tests hold async tests, and no pytest-asyncio or anyio is in its "
        "test tooling: add one, else pytest fails them\n"
    ) in out
    assert (
        "note: lint tooling (quick): nothing for ruff: .flake8 configures flake8, and quick "
        "runs `ruff check` and `ruff format --check`; expect findings until ruff is configured\n"
    ) in out
    loaded = config.load(repo.path)
    assert loaded.tier("unit").install == config.Install(root=True, packages=("pytest",))
    assert loaded.tier("quick").install == config.Install(root=True, packages=("pytest", "ruff"))


def test_bare_pytest_brings_the_plugins_the_repository_s_addopts_need(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """No test tooling found, but `-n auto --cov` in pytest.ini: bare pytest would stop
    with "unrecognized arguments" on the first run."""
    repo.write_many(
        {
            "setup.py": "from setuptools import setup\nsetup(name='shop')\n",
            "pytest.ini": "[pytest]\naddopts = -n auto --cov=shop -ra\n",
            "tests/test_shop.py": "def test_shop(): pass\n",
        }
    )
    repo.commit("addopts that need plugins")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "note: test tooling of the root (unit, quick): none found: bare pytest with what "
        "pytest's addopts need (pytest-xdist for -n, pytest-cov for --cov=shop)\n"
    ) in out
    loaded = config.load(repo.path)
    assert loaded.tier("unit").install == config.Install(
        root=True, packages=("pytest", "pytest-xdist", "pytest-cov")
    )


def test_a_root_with_test_and_lint_groups_keeps_the_defaults(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "shop"\nversion = "0"\n\n'
                '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\n'
            ),
            "tests/test_shop.py": "def test_shop(): pass\n",
        }
    )
    repo.commit("a project with the groups tiered-ci expects")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "note: test tooling of the root (unit, quick): from its `test` dependency group\n" in out
    assert "note: lint tooling (quick): the root's `lint` dependency group\n" in out
    loaded = config.load(repo.path)
    assert loaded.tier("unit").install is None
    assert loaded.tier("quick").install is None


def test_a_dev_requirements_file_that_includes_the_test_one_is_the_environment(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto's shape: requirements-dev.txt is `-e .[all,server]` plus `-r
    requirements-tests.txt`; the tests import what the extras bring."""
    repo.write_many(
        {
            "setup.cfg": "[metadata]\nname = moto\n",
            "setup.py": "from setuptools import setup\nsetup()\n",
            "requirements-tests.txt": "pytest\npytest-xdist\n",
            "requirements-dev.txt": "-e .[all,server]\n-r requirements-tests.txt\n\nruff==0.14.10\n",
            "tests/test_moto.py": "def test_moto(): pass\n",
        }
    )
    repo.commit("moto's requirement files")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "note: test tooling of the root (unit, quick): from requirements-dev.txt "
        "(it includes requirements-tests.txt)\n"
    ) in out
    assert "note: lint tooling (quick): requirements-dev.txt\n" in out
    loaded = config.load(repo.path)
    assert loaded.tier("unit").install == config.Install(
        root=True, requirements=("requirements-dev.txt",), packages=("pytest",)
    )
    assert loaded.tier("quick").install == config.Install(
        root=True, requirements=("requirements-dev.txt",), packages=("pytest", "ruff==0.14.10")
    )
