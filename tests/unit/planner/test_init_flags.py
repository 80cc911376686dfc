"""`tiered-ci init` gives the tiers the opt-in flags the repository's CI passes pytest."""

from __future__ import annotations

import pytest
from support import GitRepo

from tiered_ci import config
from tiered_ci.adopt.flags import ci_pytest_flags
from tiered_ci.cli import main

CONFTEST = """\
import pytest


def pytest_addoption(parser):
    parser.addoption("--integration", action="store_true", help="run integration tests")
    parser.addoption('--runslow', action="store_true")
    parser.addoption("--unused", action="store_true")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--integration"):
        skip = pytest.mark.skip(reason="needs --integration")
        for item in items:
            if "integration" in item.keywords:
                item.add_marker(skip)
"""

WORKFLOW = """\
jobs:
  test:
    steps:
      - run: python -m pytest --integration -v
      - run: echo --runslow
"""


def test_flags_are_the_conftest_s_options_a_ci_pytest_line_passes() -> None:
    files = {
        "tests/conftest.py": CONFTEST,
        ".github/workflows/tests.yml": WORKFLOW,
        "Makefile": "slow:\n\tpytest --runslow=yes tests\n\tpytest --integrationx\n",
        "docs/conf.py": "pytest --unused\n",  # not a CI file
    }
    found = ci_pytest_flags(set(files), files.get)
    assert found == [
        ("--integration", ".github/workflows/tests.yml"),
        ("--runslow=yes", "Makefile"),
    ]
    assert ci_pytest_flags({"Makefile"}, {"Makefile": "test:\n\tpytest --integration\n"}.get) == []


def test_init_gives_the_suite_s_tiers_the_flag_the_ci_passes(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n\n[dependency-groups]\ntest = ["pytest"]\n',
            "src/shop/__init__.py": "",
            "tests/conftest.py": CONFTEST,
            "tests/test_shop.py": "def test_shop(): pass\n",
            "tests/integration/test_api.py": (
                "import pytest\n\npytestmark = pytest.mark.integration\n\ndef test_api(): pass\n"
            ),
            ".github/workflows/tests.yml": WORKFLOW,
        }
    )
    repo.commit("integration tests behind a flag")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "why: tiers.unit/integration.pytest-args: the CI passes pytest --integration "
        "(.github/workflows/tests.yml), an option of the repository's conftest"
    ) in out
    loaded = config.load(repo.path)
    assert loaded.tier("unit").pytest_args == ("--integration",)
    assert loaded.tier("integration").pytest_args == ("--integration",)
    assert loaded.tier("quick").pytest_args == ()  # quick stays quick


def test_init_names_the_coverage_settings_the_sessions_need(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "shop"\n\n[dependency-groups]\ntest = ["pytest"]\n\n'
                "[tool.coverage.run]\nparallel = true\n"
            ),
            ".coveragerc": "[run]\nrelative_files = True\n",
            "src/shop/__init__.py": "",
            "tests/test_shop.py": "def test_shop(): pass\n",
        }
    )
    repo.commit("coverage settings in two places")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "note: pyproject.toml's [tool.coverage.run] lacks `relative_files = true` (else the "
        "coverage job cannot combine data recorded in another job's folder, as under act or "
        "on self-hosted runners): add them (the sessions read coverage's settings from "
        "pyproject.toml, not .coveragerc)\n"
    ) in out
    assert "`parallel = true`" not in out
