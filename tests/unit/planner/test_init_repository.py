"""`tiered-ci init` is right about the repository: no test left unrun, the remote's
default branch, other toolchains' folders, the images the repository ships."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import GitRepo, clone

from tiered_ci import config
from tiered_ci.cli import main

WEB_APP = {
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "0"\n\n[tool.uv.workspace]\nmembers = ["backend"]\n'
    ),
    "backend/pyproject.toml": (
        '[project]\nname = "shop-backend"\nversion = "0"\ndependencies = ["fastapi"]\n\n'
        '[dependency-groups]\ntest = ["pytest"]\n'
    ),
    "backend/app/__init__.py": "",
    "backend/app/main.py": "APP = 'shop'\n",
    "backend/tests/__init__.py": "",
    "backend/tests/test_main.py": "from app.main import APP\n\ndef test_app(): assert APP\n",
    "backend/Dockerfile": "FROM python:3.12\nCOPY . /app\n",
    "frontend/package.json": '{"name": "shop-ui"}\n',
    "frontend/src/main.ts": "export const x = 1;\n",
    "frontend/Dockerfile": "FROM node:22\nCOPY . /ui\n",
    "compose.yaml": (
        "services:\n  backend:\n    build: ./backend\n  frontend:\n    build:\n"
        "      context: ./frontend\n"
    ),
    "uv.lock": "version = 1\n",
}


def _plan(
    repo: GitRepo, base: str, head: str, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    capsys.readouterr()
    argv = ["plan", "--repo", str(repo.path), "--base", base, "--head", head, "--format", "json"]
    assert main(argv) == 0
    plan: dict[str, Any] = json.loads(capsys.readouterr().out)
    return plan


@pytest.mark.critical
def test_a_web_apps_backend_tests_run_when_its_code_changes(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A uv workspace whose one member holds the app and its tests, a TypeScript
    front-end and a compose file: the backend becomes a domain, and a change to
    its code plans its tests."""
    repo.write_many(WEB_APP)
    repo.commit("a web app")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "why: domain-families.backend: the package backend/; edges come from their metadata" in out
    )
    assert "why: tiers.quick: lint only (package tests carry no critical/smoke markers)" in out
    assert (
        "note: frontend/: another toolchain's folder, left mapped (inside the build context "
        "frontend/ of an image); a change to it runs what its image or test needs, else everything"
    ) in out
    loaded = config.load(repo.path)
    assert loaded.domains["backend"].tests == ("backend/tests",)
    assert loaded.domain_install("backend") == config.Install(
        root=False, editable=("backend",), groups=("backend:test",)
    )
    base = repo.commit("adopt tiered-ci")
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    assert "OK (1 domains, 2 services, 1 tiers)" in capsys.readouterr().out

    repo.write("backend/app/main.py", "APP = 'shop!'\n")
    head = repo.commit("change the backend")
    plan = _plan(repo, base, head, capsys)
    assert plan["domains"] == ["backend"]
    assert "domain-shard(backend)" in str(plan["matrix"])


def test_a_package_in_a_subfolder_without_tests_is_no_domain(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "tests/test_shop.py": "def test_shop(): pass\n",
            "tools/gen/pyproject.toml": '[project]\nname = "gen"\n',
            "tools/gen/gen.py": "",
            "plugins/extra/setup.py": "from setuptools import setup\nsetup(name='extra')\n",
            "plugins/extra/extra/check_test.py": "def test_extra(): pass\n",
        }
    )
    repo.commit("one project and two helpers")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "domain-families.gen" not in out
    assert "named like tests" not in out  # its domain runs check_test.py
    assert "why: domain-families.extra: the package plugins/extra/" in out
    loaded = config.load(repo.path)
    # Its tests lie beside its code, not in a tests/ folder: the whole package is its tests.
    assert loaded.domains["extra"].tests == ("plugins/extra",)
    assert loaded.tiers["unit"].paths == ("tests",)
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def test_default_branch_is_the_remotes_head_not_the_checked_out_branch(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many({"pyproject.toml": '[project]\nname = "shop"\n', "tests/test_a.py": ""})
    repo.commit("shop")
    work = clone(repo, repo.path.parent / "work")
    work.branch("feature/x")

    assert main(["init", "--repo", str(work.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "why: default-branch: main (origin/HEAD points to main); the workflow's push branch too"
        in out
    )
    assert config.load(work.path).default_branch == "main"
    workflow = (work.path / ".github/workflows/ci.yml").read_text()
    assert "    branches: [main]\n" in workflow


@pytest.mark.parametrize(
    ("branches", "expected"),
    [
        (["master"], "master (no origin/HEAD; heads/master exists)"),
        (["main", "master"], "main (no origin/HEAD; heads/main exists)"),
        ([], "main (no origin/HEAD and no main or master branch: set it by hand)"),
    ],
)
def test_default_branch_without_a_remote(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    branches: list[str],
    expected: str,
) -> None:
    repo = GitRepo(tmp_path / "repo", branch="trunk-work")
    repo.write_many({"pyproject.toml": '[project]\nname = "shop"\n'})
    repo.commit("shop")
    for name in branches:
        repo.git.branch(name)

    assert main(["init", "--repo", str(repo.path), "--dry-run"]) == 0
    assert f"why: default-branch: {expected}; the workflow's push branch too" in (
        capsys.readouterr().out
    )


def test_images_the_repository_ships_and_not_its_test_fixtures(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A root Dockerfile is the project's image; one under tests/ is test data; a
    Makefile that builds a Dockerfile from another context says where."""
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "Shop_API"\n',
            "Dockerfile": "FROM python:3.12\nCOPY . /app\n",
            "tests/test_a.py": "def test_a(): pass\n",
            "tests/fixtures/broken/Dockerfile": "FROM nothing-at-all\n",
            "testdata/Dockerfile": "FROM scratch\n",
            "worker/Dockerfile": "FROM python:3.12\nCOPY worker /w\nCOPY shared /s\n",
            "worker/run.py": "",
            "shared/util.py": "",
            "Makefile": "image:\n\tdocker build -t worker -f worker/Dockerfile .\n",
        }
    )
    repo.commit("images")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "why: services.shop_api: Dockerfile\n" in out
    assert "why: services.worker: worker/Dockerfile (built from ./ by Makefile)" in out
    assert (
        "note: testdata/Dockerfile, tests/fixtures/broken/Dockerfile: under a test or fixture "
        "folder, so test data, not a service (add a [tool.tiered-ci.services.<name>] table if "
        "one ships)"
    ) in out
    loaded = config.load(repo.path)
    assert sorted(loaded.services) == ["shop_api", "worker"]
    assert loaded.services["shop_api"].context == "."
    assert loaded.services["worker"].context == "."
    assert loaded.services["worker"].dockerfile == "worker/Dockerfile"
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def test_other_toolchains_folders_no_python_test_reads_are_ignored(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "src/shop/__init__.py": "",
            "tests/test_shop.py": "def test_shop(): pass\n",
            # No Python test reads these: ignored for the tests.
            "ui/package.json": "{}\n",
            "ui/src/app.ts": "",
            "clients/go/go.mod": "module x\n",
            "clients/go/main.go": "",
            # A test reads this one's output: left mapped.
            "schema/package.json": "{}\n",
            "schema/out.json": "{}\n",
            "tests/test_schema.py": "SCHEMA = ROOT / 'schema' / 'out.json'\n",
            # Python inside: a test may import it.
            "bindings/Cargo.toml": "[package]\n",
            "bindings/py/shim.py": "",
        }
    )
    base = repo.commit("a project with other toolchains")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "why: ignore: clients/go/ (Go): no Python test reads it" in out
    assert "why: ignore: ui/ (Node): no Python test reads it" in out
    assert (
        "note: schema/: another toolchain's folder, left mapped (tests/test_schema.py names it)"
    ) in out
    assert "bindings/" not in out
    loaded = config.load(repo.path)
    assert loaded.ignore[-2:] == ("clients/go/**", "ui/**")
    head = repo.commit("adopt")
    repo.write("ui/src/app.ts", "export {}\n")
    after = repo.commit("front-end only")
    assert _plan(repo, head, after, capsys)["mode"] == "none"
    assert base != head


def test_test_folders_named_for_packages_become_domains_with_import_edges(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """One package whose services map `moto/<svc>` to `tests/test_<svc>`: a domain
    each, and a domain that imports another's code runs when that one changes."""
    repo.write_many(
        {
            "setup.cfg": "[metadata]\nname = moto\n",
            "moto/__init__.py": "",
            "moto/core/__init__.py": "",
            "moto/core/base.py": "class Backend: pass\n",
            "moto/s3/__init__.py": "",
            "moto/s3/models.py": "from moto.core.base import Backend\n",
            "moto/sqs/__init__.py": "",
            "moto/sqs/models.py": "from ..core import base\nfrom .responses import x\n",
            "moto/sqs/responses.py": "x = 1\n",
            "moto/settings.py": "",
            "examples/sqs/__init__.py": "",
            "tests/__init__.py": "",
            "tests/test_core/test_base.py": "def test_b(): pass\n",
            "tests/test_s3/test_s3.py": "def test_s3(): pass\n",
            "tests/test_sqs/test_sqs.py": "def test_sqs(): pass\n",
        }
    )
    repo.commit("moto's shape")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "why: domains.sqs: tests/test_sqs tests moto/sqs" in out
    assert (
        "why: depends-on: 2 domains import another domain's code, so a change to that one "
        "runs them too"
    ) in out
    loaded = config.load(repo.path)
    assert {n: (d.paths, d.tests, d.depends_on) for n, d in loaded.domains.items()} == {
        "core": (("moto/core/**",), ("tests/test_core",), ()),
        "s3": (("moto/s3/**",), ("tests/test_s3",), ("core",)),
        "sqs": (("moto/sqs/**",), ("tests/test_sqs",), ("core",)),
    }
    base = repo.commit("adopt")
    repo.write("moto/core/base.py", "class Backend:\n    pass\n")
    head = repo.commit("core")
    assert _plan(repo, base, head, capsys)["domains"] == ["core", "s3", "sqs"]


def test_the_root_project_is_a_domain_when_packages_depend_on_it(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The core package is the root project itself and every integration declares a
    dependency on it: its code is a domain whose dependents are those packages."""
    integration = '[project]\nname = "acme-{0}"\nversion = "0"\ndependencies = ["Acme.Core>=1"]\n'
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "acme.core"\nversion = "1"\n\n'
                '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\n'
            ),
            "src/acme_core/__init__.py": "",
            "src/acme_core/engine.py": "RUN = 1\n",
            "tests/test_engine.py": "def test_engine(): pass\n",
            "src/integrations/a/pyproject.toml": integration.format("a"),
            "src/integrations/a/tests/test_a.py": "def test_a(): pass\n",
            "src/integrations/b/pyproject.toml": integration.format("b"),
            "src/integrations/b/tests/test_b.py": "def test_b(): pass\n",
            "src/integrations/c/pyproject.toml": '[project]\nname = "acme-c"\nversion = "0"\n',
            "src/integrations/c/tests/test_c.py": "def test_c(): pass\n",
        }
    )
    repo.commit("a core and its integrations")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "why: domain-families.acme_core: the root project acme.core (src/acme_core/), which 2 "
        "in-repo packages depend on; its tests: tests\n"
    ) in out
    loaded = config.load(repo.path)
    assert loaded.domains["acme_core"].tests == ("tests",)
    assert loaded.domain_install("acme_core") == config.Install(root=True, groups=("test",))
    assert loaded.domains["a"].depends_on == ("acme_core",)
    assert loaded.domains["c"].depends_on == ()
    base = repo.commit("adopt")
    assert main(["check-config", "--repo", str(repo.path)]) == 0

    repo.write("src/acme_core/engine.py", "RUN = 2\n")
    head = repo.commit("core")
    assert sorted(_plan(repo, base, head, capsys)["domains"]) == ["a", "acme_core", "b"]


def test_the_unit_tier_runs_pytests_testpaths_and_test_named_code_is_noted(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "shop"\n\n[tool.pytest.ini_options]\n'
                'testpaths = ["tests", ".github/scripts/test_ci.py"]\n'
            ),
            "tests/test_shop.py": "def test_shop(): pass\n",
            ".github/scripts/test_ci.py": "def test_ci(): pass\n",
        }
    )
    repo.commit("testpaths beyond tests/")
    assert main(["init", "--repo", str(repo.path)]) == 0
    assert "why: tiers.unit: tests, .github/scripts/test_ci.py (pytest's testpaths)\n" in (
        capsys.readouterr().out
    )
    assert config.load(repo.path).tiers["unit"].paths == ("tests", ".github/scripts/test_ci.py")

    other = GitRepo(repo.path.parent / "other")
    other.write_many(
        {
            "setup.cfg": "[metadata]\nname = moto\n",
            "moto/__init__.py": "",
            "moto/sfn/test_state.py": "STATE = 1\n",
            "tests/test_moto.py": "def test_moto(): pass\n",
        }
    )
    other.commit("a module named like a test")
    assert main(["init", "--repo", str(other.path)]) == 0
    assert (
        "note: 1 file named like tests outside tests (moto/sfn/test_state.py): pytest run from "
        'the root collects them; if they are no tests, set testpaths = ["tests"] in the pytest '
        "config, else give their folder to a tier\n"
    ) in capsys.readouterr().out


def test_test_folders_beside_tests_unit_get_a_tier(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """tests/e2e is the e2e tier; any other folder of tests beside tests/unit runs
    with the unit tier, so check-config finds no test left unrun."""
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "shop"\n\n[dependency-groups]\ntest = ["pytest"]\n'
                'lint = ["ruff"]\n'
            ),
            "src/shop/__init__.py": "",
            "tests/unit/test_a.py": "def test_a(): pass\n",
            "tests/integration/test_i.py": "def test_i(): pass\n",
            "tests/e2e/test_flow.py": "def test_flow(): pass\n",
            "tests/contract/test_api.py": "def test_api(): pass\n",
            "tests/test_smoke.py": "def test_smoke(): pass\n",
            "tests/conftest.py": "",
        }
    )
    repo.commit("tests in five places")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "why: tiers.unit: tests/unit, tests/contract, tests/test_smoke.py\n" in out
    assert "why: tiers.e2e: tests/e2e\n" in out
    loaded = config.load(repo.path)
    assert loaded.tiers["e2e"].paths == ("tests/e2e",)
    # No test there is marked `integration`: a marker filter would run none of them.
    assert (loaded.tiers["integration"].paths, loaded.tiers["integration"].markers) == (
        ("tests/integration",),
        None,
    )
    assert "no test there is marked `integration`" in out
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    assert "OK (0 domains, 0 services, 3 tiers)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("tests/integration/test_i.py", "import pytest\n\npytestmark = pytest.mark.integration\n"),
        ("tests/conftest.py", ("def pytest_collection_modifyitems(items):\n"
         "    for item in items:\n        item.add_marker('integration')\n")),
    ],
)  # fmt: skip
def test_integration_tests_marked_so_keep_the_marker_filter(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], where: str, text: str
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "src/shop/__init__.py": "",
            "tests/unit/test_a.py": "def test_a(): pass\n",
            "tests/integration/test_i.py": "def test_i(): pass\n",
        }
    )
    repo.write(where, text + ("def test_i(): pass\n" if where.endswith("test_i.py") else ""))
    repo.commit("marked integration tests")

    assert main(["init", "--repo", str(repo.path)]) == 0
    capsys.readouterr()
    assert config.load(repo.path).tiers["integration"].markers == "integration"


def test_a_core_with_plugins_and_a_test_folder_runs_every_test(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A linter's shape: the core is the root project (src/), its tests sit in
    `test/` (pytest's testpaths, `*_test.py` names), plugins under plugins/ keep
    theirs in `<plugin>/test/`, and test fixtures are folders of pyproject.toml
    files holding only the tool's settings. init writes a table check-config finds
    clean: the fixtures are no packages, the plugins' and the core's tests run."""
    plugin = '[project]\nname = "lint-{0}"\nversion = "0"\ndependencies = ["lint-core"]\n'
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "lint-core"\nversion = "1"\n\n'
                '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\n\n'
                '[tool.pytest.ini_options]\npython_files = "*_test.py"\ntestpaths = "test"\n'
            ),
            "src/lint_core/__init__.py": "",
            "src/lint_core/rules.py": "RULES = 1\n",
            "test/__init__.py": "",
            "test/rules_test.py": "def test_rules(): pass\n",
            "test/fixtures/config/toml/pyproject.toml": "[tool.lint]\nrules = ['a']\n",
            "test/fixtures/cli/extra/pyproject.toml": '[tool.lint]\ndialect = "x"\n',
            "test/fixtures/cli/extra/query.sql": "select 1\n",
            "plugins/dbt/pyproject.toml": plugin.format("dbt"),
            "plugins/dbt/lint_dbt/__init__.py": "",
            "plugins/dbt/test/templater_test.py": "def test_dbt(): pass\n",
            "plugins/example/pyproject.toml": plugin.format("example"),
            "plugins/example/src/lint_example/__init__.py": "",
            "plugins/example/test/rules_test.py": "def test_example(): pass\n",
        }
    )
    repo.commit("a core, its tests, two plugins and config fixtures")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "test/fixtures" not in out
    assert "why: tiers.unit: test/ (tests of no single package) (pytest's testpaths)\n" in out
    assert "why: domain-families.plugins: 2 packages under plugins/, 2 with tests;" in out
    loaded = config.load(repo.path)
    assert sorted(loaded.domains) == ["dbt", "example", "lint_core"]
    assert loaded.domains["dbt"].tests == ("plugins/dbt/test",)
    assert loaded.domains["lint_core"].tests == ("test",)
    assert loaded.tiers["unit"].paths == ("test",)
    # The plugins depend on the core: their shards install this checkout's core, not
    # the released one the index would give them.
    assert loaded.domain_install("dbt") == config.Install(
        root=True, editable=("plugins/dbt",), packages=("pytest",)
    )
    assert "domain-families.plugins.install: root = true, since 2 packages depend" in out
    base = repo.commit("adopt")
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    assert "OK (3 domains, 0 services, 2 tiers)" in capsys.readouterr().out

    repo.write("plugins/example/test/rules_test.py", "def test_example(): assert 1\n")
    head = repo.commit("a plugin's test")
    assert _plan(repo, base, head, capsys)["domains"] == ["example"]
    repo.write("src/lint_core/rules.py", "RULES = 2\n")
    head = repo.commit("the core")
    assert _plan(repo, base, head, capsys)["domains"] == ["dbt", "example", "lint_core"]


def test_a_plugin_with_an_in_repo_source_for_the_core_keeps_root_false(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `[tool.uv.sources]` path to the root project already installs this checkout's
    core: init leaves the plugins installed alone."""
    plugin = (
        '[project]\nname = "lint-{0}"\nversion = "0"\ndependencies = ["lint-core"]\n\n'
        '[tool.uv.sources]\nlint-core = {{ path = "../..", editable = true }}\n'
    )
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "lint-core"\nversion = "1"\n',
            "src/lint_core/__init__.py": "",
            "tests/test_core.py": "def test_core(): pass\n",
            "plugins/a/pyproject.toml": plugin.format("a"),
            "plugins/a/tests/test_a.py": "def test_a(): pass\n",
            "plugins/b/pyproject.toml": plugin.format("b"),
            "plugins/b/tests/test_b.py": "def test_b(): pass\n",
        }
    )
    repo.commit("plugins with a source for the core")
    assert main(["init", "--repo", str(repo.path)]) == 0
    assert "root = true, since" not in capsys.readouterr().out
    assert config.load(repo.path).domain_install("a").root is False


def test_a_backend_requiring_a_newer_python_gets_it_in_ci(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A web-app template's backend says `requires-python = ">=3.14"`: on the reusable
    workflow's default Python (3.11) its shard would fail at install on the first run.
    init passes the repository's `.python-version` to the caller, and check-config
    finds a caller that passes none."""
    repo.write_many(
        {
            **WEB_APP,
            "backend/pyproject.toml": WEB_APP["backend/pyproject.toml"].replace(
                'version = "0"\n', 'version = "0"\nrequires-python = ">=3.14,<4.0"\n'
            )
            + '\n[tool.ruff]\ntarget-version = "py314"\n',
            ".python-version": "3.14\n",
        }
    )
    repo.commit("a web app on 3.14")

    assert main(["init", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "why: python-version: 3.14 in the caller workflow (.python-version): "
        "backend/pyproject.toml has requires-python '>=3.14,<4.0', which excludes the "
        "reusable workflow's default 3.11\n"
    ) in out
    # The backend's own ruff settings are the repository's: ruff reads the nearest ones.
    assert (
        "note: lint tooling (quick): the repository's ruff settings in backend/pyproject.toml "
        "(ruff unpinned)\n"
    ) in out
    caller = repo.path / ".github/workflows/ci.yml"
    assert caller.read_text().endswith('    with:\n      python-version: "3.14"\n')
    repo.commit("adopt")
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    capsys.readouterr()

    caller.write_text(caller.read_text().replace('    with:\n      python-version: "3.14"\n', ""))
    repo.commit("the caller as the README shows it")
    assert main(["check-config", "--repo", str(repo.path)]) == 1
    assert (
        ".github/workflows/ci.yml jobs.tiered-ci.with.python-version: CI runs "
        "domain-shard(backend) on Python 3.11 (the reusable workflow's default), but "
        "backend/pyproject.toml has requires-python '>=3.14,<4.0', so the install fails on "
        'the first run: pass `python-version: "3.14"` to the job\n'
    ) in capsys.readouterr().out


def test_services_a_test_workflow_starts_are_named_in_a_note(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The web app's own test job starts its database with compose, then runs the
    tests: tiered-ci's sessions would not, so init says what to declare. A job that
    starts the stack to curl it, and one with a service container but no tests,
    are no such job."""
    repo.write_many(
        {
            **WEB_APP,
            ".github/workflows/test-backend.yml": (
                "on: pull_request\njobs:\n  test-backend:\n    runs-on: ubuntu-latest\n"
                "    steps:\n      - run: docker compose down -v\n"
                "      - run: docker compose up -d db mailpit\n"
                "      - run: uv run bash scripts/prestart.sh\n"
                "      - run: uv run bash scripts/tests-start.sh\n"
                "        working-directory: backend\n"
            ),
            ".github/workflows/smoke.yml": (
                "on: push\njobs:\n  stack:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: docker compose up -d --wait backend\n"
                "      - run: curl http://localhost:8000/health\n"
                "  cache:\n    runs-on: ubuntu-latest\n    services:\n"
                "      redis:\n        image: redis:7\n    steps:\n      - run: make docs\n"
            ),
            ".github/workflows/integration.yml": (
                "on: push\njobs:\n  integration:\n    runs-on: ubuntu-latest\n    services:\n"
                "      postgres:\n        image: postgres:16\n"
                "    steps:\n      - run: pytest tests/integration\n"
                "  plugin:\n    runs-on: ubuntu-latest\n    services:\n"
                "      postgres:\n        image: postgres\n"
                "    steps:\n      - run: tox -e dbt -- plugins/dbt\n"
            ),
        }
    )
    repo.commit("a web app and its workflows")

    assert main(["init", "--repo", str(repo.path)]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if "before its tests" in line]
    assert [note.split(";")[0] for note in notes] == [
        (
            "note: .github/workflows/integration.yml (job integration) starts postgres before "
            "its tests"
        ),
        ("note: .github/workflows/integration.yml (job plugin) starts postgres before its tests"),
        (
            "note: .github/workflows/test-backend.yml (job test-backend) starts db, mailpit "
            "before its tests"
        ),
    ]
    assert "[tool.tiered-ci.backing-services.<name>]" in notes[0]


def test_a_plugin_tox_installs_for_the_cores_tests_is_installed_and_an_edge(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The core's own tests exercise the example plugin, which tox installs into
    the default test environments (`pip install "{toxinidir}/plugins/example"`),
    while the dbt plugin goes only into the `dbt` environments. The core's shard
    installs the example plugin, and a change to the plugin runs the core's tests."""
    plugin = '[project]\nname = "lint-{0}"\nversion = "0"\ndependencies = ["lint-core"]\n'
    repo.write_many(
        {
            "pyproject.toml": (
                '[project]\nname = "lint-core"\nversion = "1"\n\n'
                '[tool.pytest.ini_options]\ntestpaths = ["test"]\n'
            ),
            "requirements_dev.txt": "pytest\n",
            "tox.ini": (
                "[tox]\nenvlist = py311, dbt170\n\n[testenv]\ndeps =\n    -r requirements_dev.txt\n"
                "commands =\n"
                '    dbt170: python -m pip install "{toxinidir}/plugins/dbt"\n'
                '    {py,winpy}{310,311,}: python -m pip install "{toxinidir}/plugins/example"\n'
                "    pytest {posargs: test}\n"
            ),
            "src/lint_core/__init__.py": "",
            "test/test_plugins.py": "def test_example_plugin_registers(): pass\n",
            "plugins/dbt/pyproject.toml": plugin.format("dbt"),
            "plugins/dbt/test/test_dbt.py": "def test_dbt(): pass\n",
            "plugins/example/pyproject.toml": plugin.format("example"),
            "plugins/example/lint_example/__init__.py": "RULE = 1\n",
            "plugins/example/test/test_example.py": "def test_example(): pass\n",
        }
    )
    repo.commit("a core whose tests use the example plugin")

    assert main(["init", "--repo", str(repo.path)]) == 0
    assert (
        "note: test tooling of the root (unit): from requirements_dev.txt, with "
        "plugins/example (tox.ini installs them for its tests)\n"
    ) in capsys.readouterr().out
    loaded = config.load(repo.path)
    assert loaded.domain_install("lint_core") == config.Install(
        root=True,
        requirements=("requirements_dev.txt",),
        packages=("pytest",),
        editable=("plugins/example",),
    )
    assert loaded.domains["lint_core"].depends_on == ("example",)
    base = repo.commit("adopt")
    assert main(["check-config", "--repo", str(repo.path)]) == 0

    repo.write("plugins/example/lint_example/__init__.py", "RULE = 2\n")
    head = repo.commit("the example plugin")
    assert "lint_core" in _plan(repo, base, head, capsys)["domains"]


def test_a_plugin_pinning_another_release_of_the_core_is_installed_alone(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """sqlfluff's sqlmesh templater pins `sqlfluff==4.2.2` while the checkout is
    4.3.0: installing the checkout's core beside it cannot resolve, so that plugin
    keeps its own install (the release it pins) while its siblings get the core."""
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "lint-core"\nversion = "4.3.0"\n',
            "src/lint_core/__init__.py": "",
            "test/test_core.py": "def test_core(): pass\n",
            "plugins/dbt/pyproject.toml": (
                '[project]\nname = "lint-dbt"\nversion = "4.3.0"\n'
                'dependencies = ["lint-core==4.3.0"]\n'
            ),
            "plugins/dbt/test/test_dbt.py": "def test_dbt(): pass\n",
            "plugins/mesh/pyproject.toml": (
                '[project]\nname = "lint-mesh"\nversion = "4.2.2"\n'
                'dependencies = ["lint-core==4.2.2"]\n'
            ),
            "plugins/mesh/test/test_mesh.py": "def test_mesh(): pass\n",
        }
    )
    repo.commit("two plugins, one pinned to an older core")

    assert main(["init", "--repo", str(repo.path)]) == 0
    assert (
        "note: plugins/mesh pins lint-core==4.2.2, not this checkout's version: its shard "
        "installs it alone and tests that release\n"
    ) in capsys.readouterr().out
    loaded = config.load(repo.path)
    assert loaded.domain_install("dbt").root is True
    assert loaded.domain_install("mesh") == config.Install(
        root=False, editable=("plugins/mesh",), packages=("pytest",)
    )
    repo.commit("adopt")
    assert main(["check-config", "--repo", str(repo.path)]) == 0


def test_what_the_sessions_write_is_named_when_gitignore_lacks_it(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session leaves `reports/` (junit XML, service logs) and `.coverage.*` at the
    root: a newcomer's `git add -A` after the first run commits them unless
    .gitignore lists them, which init says."""
    repo.write_many(
        {
            "pyproject.toml": '[project]\nname = "shop"\n',
            "tests/test_shop.py": "def test_shop(): pass\n",
            ".gitignore": "__pycache__/\n.coverage.*\n",
        }
    )
    repo.commit("a project that ignores coverage data")
    assert main(["init", "--dry-run", "--repo", str(repo.path)]) == 0
    assert (
        "note: the sessions write reports/ at the root, which .gitignore does not list: "
        "add it, else `git add -A` commits test reports and coverage data\n"
    ) in capsys.readouterr().out

    repo.write(".gitignore", "/reports/\n.coverage*\n")
    repo.commit("ignore reports")
    assert main(["init", "--dry-run", "--repo", str(repo.path)]) == 0
    assert "the sessions write" not in capsys.readouterr().out
