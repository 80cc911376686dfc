"""`tiered-ci init`: a table, noxfile and workflow that check-config accepts as written."""

from __future__ import annotations

import shutil

import pytest
from packages_fixtures import PACKAGES_EXAMPLE
from support import GitRepo

from tiered_ci import config
from tiered_ci.cli import main


@pytest.fixture
def bare_packages(repo: GitRepo) -> GitRepo:
    """The example's packages with no root config at all: a repository before adoption."""
    shutil.copytree(PACKAGES_EXAMPLE / "packages", repo.path / "packages")
    repo.write("README.md", "# acme\n")
    repo.write("packages/README.md", "not a package\n")
    repo.write("packages/assets/logo.txt", "not a package either\n")
    repo.commit("packages")
    return repo


@pytest.mark.critical
def test_init_then_check_config_is_clean(
    bare_packages: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--repo", str(bare_packages.path)]) == 0
    out = capsys.readouterr().out
    assert "why: domain-families.packages: 5 packages under packages/, 5 with tests" in out
    assert f"wrote {bare_packages.path / 'noxfile.py'}" in out

    assert main(["check-config", "--repo", str(bare_packages.path)]) == 0
    assert "OK (5 domains, 0 services, 1 tiers)" in capsys.readouterr().out
    loaded = config.load(bare_packages.path)
    assert loaded.domain_install("cli") == config.Install(
        root=False, editable=("packages/cli",), groups=("packages/cli:test",)
    )
    assert loaded.domains["cli"].depends_on == ("api",)
    assert loaded.families["packages"].exclude == ("packages/assets",)
    assert (bare_packages.path / ".github/workflows/ci.yml").read_text().startswith("# Calls")


def test_init_refuses_an_existing_table_and_force_replaces_only_it(
    bare_packages: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = bare_packages.path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "meta"\n\n[tool.tiered-ci]\nunmapped = "warn"\n\n'
        '[tool.tiered-ci.domains.x]\npaths = ["x/**"]\n\n[tool.ruff]\nline-length = 90\n'
    )

    assert main(["init", "--repo", str(bare_packages.path)]) == 2
    assert "already has a [tool.tiered-ci] table; pass --force to replace it" in (
        capsys.readouterr().err
    )
    assert main(["init", "--repo", str(bare_packages.path), "--force"]) == 0

    text = pyproject.read_text()
    assert text.startswith('[project]\nname = "meta"\n\n[tool.ruff]\nline-length = 90\n')
    assert 'unmapped = "warn"' not in text
    assert "[tool.tiered-ci.domain-families.packages]" in text


def test_dry_run_writes_nothing(bare_packages: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--repo", str(bare_packages.path), "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert f"would write {bare_packages.path / 'pyproject.toml'}:" in out
    assert not (bare_packages.path / "pyproject.toml").exists()
    assert not (bare_packages.path / "noxfile.py").exists()


def test_a_single_project_gets_tiers_domains_services_and_notes(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "noxfile.py": "# my own\n",
            "src/shop/billing/__init__.py": "",
            "src/shop/catalog/__init__.py": "",
            "tests/unit/billing/test_b.py": "def test_b(): pass\n",
            "tests/unit/catalog/test_c.py": "def test_c(): pass\n",
            "tests/integration/test_i.py": "def test_i(): pass\n",
            "services/api/Dockerfile": "FROM scratch\n",
            "compose.yaml": "services: {}\n",
            ".github/filters.yml": "billing: ['src/shop/billing/**']\n",
            "tox.ini": "[tox]\nenvlist = py311, py312, lint\n",
            "uv.lock": "",
        }
    )
    repo.commit("a single project")

    assert main(["init", "--repo", str(repo.path)]) == 0

    out = capsys.readouterr().out
    assert "note: noxfile.py exists: kept (--force replaces it" in out
    assert "services-from" not in out  # its compose file builds nothing
    assert "note: .github/filters.yml: a dorny/paths-filter file; `tiered-ci import-filters`" in out
    assert (
        'cover Python 3.11, 3.12: for one session per Python add python = ["3.11", "3.12"]' in out
    )
    assert "tox.ini is unmapped, so a change to it runs everything" in out
    loaded = config.load(repo.path)
    assert {n: (d.paths, d.tests) for n, d in loaded.domains.items()} == {
        "billing": (("src/shop/billing/**",), ("tests/unit/billing",)),
        "catalog": (("src/shop/catalog/**",), ("tests/unit/catalog",)),
    }
    assert loaded.services["api"].context == "services/api"
    assert loaded.run_all == ("pyproject.toml", "noxfile.py", ".github/workflows/ci.yml", "uv.lock")
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def _package(
    name: str, *, requires: str = "", extra_files: dict[str, str] | None = None
) -> dict[str, str]:
    """One installable package folder's files, as the tracked tree holds them."""
    dependencies = f'["{requires}"]' if requires else "[]"
    files = {
        "pyproject.toml": f'[project]\nname = "{name.rsplit("/", 1)[-1]}"\n'
        f"dependencies = {dependencies}\n",
        "tests/test_it.py": "def test_it(): pass\n",
    }
    files.update(extra_files or {})
    return {f"{name}/{rel}": text for rel, text in files.items()}


def test_a_many_package_repository_gets_a_domain_for_every_package(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shape of a large instrumentation monorepo: every package is a domain.

    Packages grouped under several folders (one holding a single package), a core
    package at the top level that the others depend on, test requirement files
    named three ways, integration tests at the top, changelog fragments and
    tooling files, a tox.ini listing Pythons in braces.
    """
    reqs = "test-requirements.txt"
    files = {
        "pyproject.toml": '[project]\nname = "meta"\n\n[tool.towncrier]\ndirectory = ".changelog"\n',
        ".changelog/123.added": "a fragment\n",
        ".pylintrc": "[MASTER]\n",
        "docs-requirements.txt": "sphinx\n",
        "tox.ini": "[tox]\nenvlist =\n    ; by package\n    py3{10,11}-test-a\n    py312-test-b\n",
        "tests/docker-tests/tests/test_db.py": "def test_db(): pass\n",
        "_template/pyproject.toml": '[project]\nname = "template"\n',
        **_package("core"),
        **_package("instrumentation/inst-a", requires="core", extra_files={reqs: "pytest\n"}),
        **_package("instrumentation/inst-b", requires="core", extra_files={reqs: "pytest\n"}),
        **_package(
            "instrumentation/inst-c",
            requires="core",
            extra_files={"test-requirements-0.txt": "x\n", "test-requirements-1.txt": "y\n"},
        ),
        **_package("exporters/exp-a", requires="inst-a", extra_files={reqs: "pytest\n"}),
    }
    repo.write_many(files)
    repo.commit("monorepo")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out

    assert "why: domain-families.core: the package core/" in out
    assert "why: domain-families.exporters: 1 package under exporters/" in out
    assert "why: tiers.integration: tests/ (its folders name integration or docker tests)" in out
    assert "tox.ini: 2 envlist entries; its environments cover Python 3.10, 3.11, 3.12" in out
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    assert "OK (5 domains, 0 services, 2 tiers)" in capsys.readouterr().out

    loaded = config.load(repo.path)
    assert sorted(loaded.domains) == ["core", "exp-a", "inst-a", "inst-b", "inst-c"]
    assert loaded.domains["inst-a"].depends_on == ("core",)
    assert loaded.domains["exp-a"].depends_on == ("inst-a",)
    # The family template is the common file name; the odd one out installs its newest set.
    assert loaded.domain_install("inst-a").requirements == (
        "instrumentation/inst-a/test-requirements.txt",
    )
    assert loaded.domain_install("inst-c").requirements == (
        "instrumentation/inst-c/test-requirements-1.txt",
    )
    assert loaded.domains["inst-c"].depends_on == ("core",)  # an exception keeps its edges
    assert loaded.tiers["integration"].paths == ("tests",)
    assert loaded.tiers["integration"].markers is None
    assert {".changelog/**", ".pylintrc", "docs-requirements.txt"} <= set(loaded.ignore)
    assert "_template" not in str(loaded.families)  # a template folder is no package


def test_init_is_not_fooled_into_monorepo_mode_by_one_nested_package(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "src/shop/__init__.py": "",
            "tests/test_shop.py": "def test_shop(): pass\n",
            "examples/demo/pyproject.toml": '[project]\nname = "demo"\n',
            # A fixture package inside a package: part of that package, not a domain.
            "tools/a/pyproject.toml": '[project]\nname = "a"\n',
            "tools/a/tests/fixture/pyproject.toml": '[project]\nname = "fixture"\n',
        }
    )
    repo.commit("one project")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "domain-families" not in out
    assert "why: tiers.unit: tests" in out


def test_a_compose_project_gets_its_services_from_compose(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Services built from the root with a Dockerfile named in .env: compose says it all."""
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "tests/test_shop.py": "def test_shop(): pass\n",
            ".env": "API_DOCKERFILE=docker/api.Dockerfile\n",
            "docker/api.Dockerfile": "FROM scratch\nCOPY src /src\n",
            "src/shop/__init__.py": "",
            "tools/Dockerfile": "FROM scratch\n",
            "compose.yaml": "services:\n  api:\n    build:\n      context: .\n"
            "      dockerfile: ${API_DOCKERFILE}\n",
        }
    )
    repo.commit("a compose project")

    assert main(["init", "--repo", str(repo.path)]) == 0

    out = capsys.readouterr().out
    assert "why: services-from: compose.yaml builds images" in out
    loaded = config.load(repo.path)
    assert loaded.services_from == config.COMPOSE_FILES
    assert loaded.services == {}  # discovered at plan time, not written out
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    assert "OK (0 domains, 1 services, 2 tiers)" in capsys.readouterr().out


def test_setuptools_only_packages_are_found_and_own_their_integration_tests(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "libs/core/setup.cfg": (
                "[metadata]\nname = acme-core\n[options.extras_require]\ntest =\n    pytest\n"
            ),
            "libs/core/acme_core.py": "X = 1\n",
            "libs/core/tests/test_core.py": "def test_core(): pass\n",
            "libs/core/tests/integration/test_db.py": "def test_db(): pass\n",
            "libs/api/setup.py": (
                "from setuptools import setup\n"
                "setup(name='acme-api', install_requires=['acme-core'],\n"
                "      extras_require={'test': ['pytest']})\n"
            ),
            "libs/api/acme_api.py": "Y = 1\n",
            "libs/api/tests/test_api.py": "def test_api(): pass\n",
            # A tool's settings only: not a package.
            "tools/lint/setup.cfg": "[flake8]\nmax-line-length = 100\n",
            "tools/lint/run.py": "",
            "tools/fmt/setup.cfg": "[isort]\nprofile = black\n",
        }
    )
    repo.commit("setuptools packages")

    assert main(["init", "--repo", str(repo.path)]) == 0

    out = capsys.readouterr().out
    assert "why: domain-families.libs: 2 packages under libs/, 2 with tests" in out
    assert "why: domain-families.libs.integration-tests: 1 package with tests/integration" in out
    assert "domain-families.tools" not in out
    loaded = config.load(repo.path)
    assert sorted(loaded.domains) == ["api", "core"]
    assert loaded.domains["core"].integration_tests == ("libs/core/tests/integration",)
    assert loaded.domains["api"].integration_tests == ()
    assert loaded.domains["api"].depends_on == ("core",)
    assert loaded.domain_install("api").extras == ("test",)
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def test_a_single_projects_domains_own_their_integration_folders(repo: GitRepo) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "src/shop/billing/__init__.py": "",
            "tests/unit/billing/test_b.py": "def test_b(): pass\n",
            "tests/integration/billing/test_ledger.py": "def test_l(): pass\n",
            "tests/integration/test_cross.py": "def test_c(): pass\n",
        }
    )
    repo.commit("a single project")

    assert main(["init", "--repo", str(repo.path)]) == 0

    loaded = config.load(repo.path)
    assert loaded.domains["billing"].integration_tests == ("tests/integration/billing",)
    assert loaded.tiers["integration"].paths == ("tests/integration",)
    assert main(["check-config", "--repo", str(repo.path)]) == 0
