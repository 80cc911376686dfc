"""`tiered-ci init` on a Poetry project with one package and many test folders.

The shape of Poetry's own repository: a namespace package under `src/` (no
`__init__.py` at `src/<name>/`), a test folder per subpackage, projects under
`tests/fixtures/` that the tests build (pyproject.toml files with no tests of their
own), the test tools in `[tool.poetry.group.test.dependencies]`, and pytest 9's
native `[tool.pytest]` table with strict markers.
"""

from __future__ import annotations

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci import config
from tiered_ci.adopt import poetry
from tiered_ci.cli import main

PYPROJECT = """\
[project]
name = "shop"
version = "1.0"
requires-python = ">=3.10"
dependencies = ["packaging>=24"]

[tool.poetry]
packages = [{ include = "shop", from = "src" }]

[tool.poetry.group.test.dependencies]
pytest = "^8.0"
pytest-mock = ">=3.9"
pytest-xdist = { version = ">=3.1", extras = ["psutil"] }
tomli = { version = "^2.0", python = "<3.11" }
helpers = { path = "tests/helpers", develop = true }

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"

[tool.pytest]
strict = true
testpaths = ["tests"]
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "src/shop/json/__init__.py": "import json\n\nLOADS = json.loads\n",
    "src/shop/vcs/__init__.py": "",
    "src/shop/vcs/git.py": "import json\n\nclass Git: pass\n",
    "src/shop/installer/__init__.py": "from shop.vcs.git import Git\n",
    "tests/__init__.py": "",
    "tests/json/test_json.py": "def test_json(): pass\n",
    "tests/vcs/test_git.py": "def test_git(): pass\n",
    "tests/installer/test_installer.py": "def test_installer(): pass\n",
    "tests/test_shop.py": "def test_shop(): pass\n",
    # Projects the tests build: no tests of their own.
    "tests/fixtures/sample/pyproject.toml": '[tool.poetry]\nname = "sample"\n',
    "tests/fixtures/sample/sample/__init__.py": "",
    "tests/fixtures/legacy/setup.py": "from setuptools import setup\nsetup(name='legacy')\n",
}


def test_a_poetry_project_s_test_folders_become_domains_with_its_tools(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], plan: PlanRunner
) -> None:
    repo.write_many(FILES)
    repo.commit("a poetry project")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    # The fixture projects are no packages: no family of them, no shard that runs nothing.
    assert "domain-families" not in out
    assert "tests/fixtures" not in (repo.path / "pyproject.toml").read_text(encoding="utf-8")
    loaded = config.load(repo.path)
    # `shop.vcs`, not `vcs`: the namespace package's modules are named from below src/,
    # so the standard library's `json` is no edge to the `json` domain.
    assert {n: (d.paths, d.tests, d.depends_on) for n, d in loaded.domains.items()} == {
        "installer": (("src/shop/installer/**",), ("tests/installer",), ("vcs",)),
        "json": (("src/shop/json/**",), ("tests/json",), ()),
        "vcs": (("src/shop/vcs/**",), ("tests/vcs",), ()),
    }
    assert "from its Poetry `test` group, translated to requirements; left out: helpers" in out
    assert loaded.tier("unit").install == config.Install(
        root=True,
        packages=(
            "pytest>=8.0,<9",
            "pytest-mock>=3.9",
            "pytest-xdist[psutil]>=3.1",
            'tomli>=2.0,<3 ; python_version < "3.11"',
        ),
    )
    # The quick tier's install table keeps it on the critical and smoke tests.
    assert loaded.tier("quick").markers == "critical or smoke"
    assert main(["check-config", "--repo", str(repo.path)]) == 0

    base = repo.commit("adopt")
    repo.write("src/shop/vcs/git.py", "class Git:\n    pass\n")
    head = repo.commit("vcs")
    capsys.readouterr()
    assert plan(repo, "--base", base, "--head", head)["domains"] == ["installer", "vcs"]


@pytest.mark.parametrize(
    ("spec", "lines"),
    [
        ("^1.2.3", ["x>=1.2.3,<2"]),
        ("^0.2.3", ["x>=0.2.3,<0.3"]),
        ("^0.0.3", ["x>=0.0.3,<0.0.4"]),
        ("~1.2.3", ["x>=1.2.3,<1.3"]),
        ("~1", ["x>=1,<2"]),
        ("~=1.2", ["x~=1.2"]),
        ("1.2.*", ["x==1.2.*"]),
        ("*", ["x"]),
        ("1.4", ["x==1.4"]),
        (">=1.0,<2.0", ["x>=1.0,<2.0"]),
        (">=1.0 <2.0", ["x>=1.0,<2.0"]),
        ({"version": "^1.0", "markers": "sys_platform == 'linux'"}, [
            "x>=1.0,<2 ; (sys_platform == 'linux')"
        ]),
        ({"version": ">=2", "python": "^3.9"}, [
            'x>=2 ; python_version >= "3.9" and python_version < "4"'
        ]),
        ({"git": "https://example.invalid/x.git", "rev": "abc"}, [
            "x @ git+https://example.invalid/x.git@abc"
        ]),
        ([{"version": "<2", "python": "<3.10"}, {"version": ">=2", "python": ">=3.10"}], [
            'x<2 ; python_version < "3.10"', 'x>=2 ; python_version >= "3.10"'
        ]),
        # What has no PEP 508 form here is left out, and init names it.
        ("^1.0 || ^2.0", []),
        ({"path": "../x"}, []),
        ({"version": ">=1", "python": "^3.9 || ^3.11"}, []),
    ],
)  # fmt: skip
def test_poetry_constraints_become_requirements(spec: object, lines: list[str]) -> None:
    assert poetry.requirement("x", spec) == lines


def test_the_older_dev_dependencies_table_is_a_dev_group() -> None:
    tool = {"poetry": {"dev-dependencies": {"pytest": "^7.0"}}}
    assert poetry.group_requirements(tool, ("test", "dev")) == ("dev", ["pytest>=7.0,<8"], [])
    assert poetry.group_requirements({"ruff": {}}, ("test",)) == ("", [], [])
