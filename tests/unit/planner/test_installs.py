"""`check-config`: every group, extra and project folder a session installs exists."""

from __future__ import annotations

import pytest
from support import TOOL_GROUPS, GitRepo

from tiered_ci import config as config_module
from tiered_ci import installs
from tiered_ci.cli import main
from tiered_ci.model import Install
from tiered_ci.tree import WorkTree


def findings(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["check-config", "--repo", str(repo.path)])
    prefix = f"{repo.path / 'pyproject.toml'}: "
    lines = [line.removeprefix(prefix) for line in capsys.readouterr().out.splitlines()]
    return code, lines[:-1]


PACKAGES = """\
[tool.tiered-ci]

[tool.tiered-ci.tiers.quick]
run-pytest = false

[tool.tiered-ci.domain-families.pkgs]
folders = "pkgs/*"
python = ["3.11", "3.12"]

[tool.tiered-ci.domain-families.pkgs.install]
root = false
editable = ["{folder}"]
groups = ["{folder}:test"]
extras = ["testing"]
"""


def package(name: str, *, groups: str = "", extras: str = "") -> dict[str, str]:
    meta = f'[project]\nname = "{name}"\nversion = "1"\n{extras}\n{groups}'
    return {
        f"pkgs/{name}/pyproject.toml": meta,
        f"pkgs/{name}/src/{name}/__init__.py": "",
        f"pkgs/{name}/tests/test_{name}.py": "def test(): pass\n",
    }


def test_groups_and_extras_each_package_lacks(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": TOOL_GROUPS + PACKAGES,
            **package(
                "good",
                groups='[dependency-groups]\nTest = ["pytest"]\n',  # names compare normalized
                extras='[project.optional-dependencies]\ntesting = ["hypothesis"]\n',
            ),
            **package("bare", groups='[dependency-groups]\ndev = ["pytest"]\n'),
            **package("dyn", groups='[dependency-groups]\ntest = ["pytest"]\n'),
        }
    )
    # A package whose extras come from its build backend: nothing to check here.
    repo.write(
        "pkgs/dyn/pyproject.toml",
        '[project]\nname = "dyn"\nversion = "1"\ndynamic = ["optional-dependencies"]\n\n'
        '[dependency-groups]\ntest = ["pytest"]\n',
    )
    repo.commit("packages")

    code, lines = findings(repo, capsys)

    assert code == 1
    assert lines == [
        "tool.tiered-ci.domain-families.pkgs.install.groups[0]: 'pkgs/bare:test': pkgs/bare/pyproject.toml has no [dependency-groups] 'test' group (it has 'dev'), so domain-shard(bare-3.11), domain-shard(bare-3.12) cannot install; add it there or name a group it has",
        "tool.tiered-ci.domain-families.pkgs.install.extras[0]: 'testing': pkgs/bare/pyproject.toml has no [project.optional-dependencies] 'testing' (it has none), so domain-shard(bare-3.11), domain-shard(bare-3.12) install 'pkgs/bare' without it (uv only warns); add the extra there or drop it",
    ]


def test_a_missing_package_file_and_a_folder_that_is_no_project(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = """\
[tool.tiered-ci]

[tool.tiered-ci.tiers.integration]
paths = ["tests/integration"]

[tool.tiered-ci.tiers.integration.install]
groups = ["services/api:it"]

[tool.tiered-ci.domains.api]
paths = ["services/api/**"]
tests = ["tests/api"]
integration-tests = ["tests/integration/api"]

[tool.tiered-ci.domains.api.install]
root = false
editable = ["services/api"]
packages = ["pytest"]
"""
    repo.write_many(
        {
            "pyproject.toml": TOOL_GROUPS + config,
            "services/api/app.py": "",
            "tests/api/test_api.py": "",
            "tests/integration/api/test_db.py": "",
            "tests/integration/test_flow.py": "",
        }
    )
    repo.commit("api")

    code, lines = findings(repo, capsys)

    assert code == 1
    assert lines == [
        "tool.tiered-ci.tiers.integration.install.groups[0]: 'services/api:it': services/api/pyproject.toml does not exist or is not valid TOML, so integration, full-e2e cannot install; add it there or name a group it has",
        "tool.tiered-ci.domains.api.install.editable[0]: 'services/api' has no pyproject.toml, setup.py or setup.cfg, so domain-shard(api), domain-integration(api) cannot install it (`-e services/api`); name the package's own folder",
    ]


def test_full_e2e_is_left_out_when_the_domains_own_every_test(repo: GitRepo) -> None:
    repo.write_many(
        {"pyproject.toml": PACKAGES, **package("a", groups='[dependency-groups]\ntest = ["x"]\n')}
    )
    repo.commit("one package")
    loaded = config_module.load(repo.path)

    owned = installs.session_installs(loaded, ["pkgs/a/tests/test_a.py"])
    with_rest = installs.session_installs(loaded, ["pkgs/a/tests/test_a.py", "tests/test_x.py"])

    assert [e.session for e in owned] == ["quick", "domain-shard(a-3.11)", "domain-shard(a-3.12)"]
    assert [e.session for e in with_rest][-1] == "full-e2e"
    assert with_rest[-1].default


def test_group_requirements_follow_include_group() -> None:
    document = {
        "dependency-groups": {
            "test": ["pytest", {"include-group": "Typing"}],
            "typing": ["mypy", {"include-group": "test"}],  # a cycle ends, never loops
        }
    }

    assert installs.group_requirements(document, "test") == ["pytest", "mypy"]
    assert installs.group_requirements(document, "none") == []


def test_requirement_lines_are_what_the_session_installs(repo: GitRepo) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "root"\n\n[dependency-groups]\ntest = ["pytest>=8"]\n',
            "pkgs/a/pyproject.toml": '[project]\nname = "a"\n\n[dependency-groups]\nci = ["hypothesis"]\n',
            "reqs/test.txt": "coverage\n",
        }
    )
    install = Install(
        editable=("pkgs/a",),
        requirements=("reqs/test.txt",),
        groups=("test", "pkgs/a:ci"),
        extras=("x",),
        packages=("anyio",),
    )

    lines = installs.requirement_lines(install, repo.path, WorkTree(repo.path).read_text)

    root = repo.path.resolve().as_posix()
    assert lines == [
        f"-e {root}[x]",
        f"-e {root}/pkgs/a[x]",
        f"-r {root}/reqs/test.txt",
        "pytest>=8",
        "hypothesis",
        "anyio",
    ]
