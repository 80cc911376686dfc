"""`check-config`: test files pytest would collect that no tier, domain or family runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import PROJECT_ROOT, GitRepo
from webapp_fixtures import WEB_APP, WEB_APP_CONFIG

from tiered_ci import changes, collection
from tiered_ci import config as config_module
from tiered_ci.cli import main
from tiered_ci.commands.check_config import orphan_tests
from tiered_ci.tree import WorkTree


@pytest.fixture
def web_app(repo: GitRepo) -> GitRepo:
    repo.write_many(WEB_APP)
    repo.commit("web app")
    return repo


def check(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["check-config", "--repo", str(repo.path)])
    prefix = f"{repo.path / 'pyproject.toml'}: "
    return code, [line.removeprefix(prefix) for line in capsys.readouterr().out.splitlines()]


def lines_for(repo: GitRepo) -> list[str]:
    """The orphan findings alone, as check-config prints them after the file name."""
    loaded = config_module.load(repo.path)
    tracked = changes.tracked_files(repo.path, untracked=True)
    return [str(f) for f in orphan_tests(loaded, tracked, WorkTree(repo.path))]


def project(repo: GitRepo, config: str, files: dict[str, str]) -> GitRepo:
    """`files` committed with `config`; an empty test module gets a test to hold."""
    files = {p: t or ("def test(): pass\n" if "/test_" in f"/{p}" else t) for p, t in files.items()}
    repo.write_many({"pyproject.toml": config, **files})
    repo.commit("project")
    return repo


def test_the_web_app_backend_tests_are_orphans(
    web_app: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = check(web_app, capsys)

    assert code == 1
    assert lines == [
        (
            "tool.tiered-ci.domains.backend: 'backend/tests' holds 5 test files that no tier, "
            "domain or family runs (api/routes/test_items.py, api/routes/test_login.py, "
            "api/routes/test_users.py, and 2 more); add a domain for the package 'backend': "
            'paths = ["backend/**"], tests = ["backend/tests"] (`tiered-ci init` proposes one)'
        ),
        # Its sessions would not install either: the root has a `dev` group only.
        "tool.tiered-ci.tiers.quick: quick installs the root's 'test' dependency group (no tiers.quick.install table), but pyproject.toml has no [dependency-groups] 'test' group (it has 'dev'); add the group (pytest and your test tools) or write tiers.quick.install",
        "tool.tiered-ci.tiers.quick: quick installs the root's 'lint' dependency group (no tiers.quick.install table), but pyproject.toml has no [dependency-groups] 'lint' group (it has 'dev'); add the group (ruff) or write tiers.quick.install",
        "tool.tiered-ci.tiers.unit.install: not set, so unit, full-e2e install the root project and its 'test' dependency group, but pyproject.toml has no [dependency-groups] 'test' group (it has 'dev'); add the group (pytest and your test tools) or write this install table",
        f"4 finding(s) in {web_app.path / 'pyproject.toml'} (0 domains, 2 services, 0 tiers)",
    ]


BACKEND_DOMAIN = """
[tool.tiered-ci.tiers.quick]
run-pytest = false

[tool.tiered-ci.tiers.quick.install]
root = false
packages = ["ruff"]

[tool.tiered-ci.domains.backend]
paths = ["backend/**"]
tests = ["backend/tests"]

[tool.tiered-ci.domains.backend.install]
root = false
editable = ["backend"]
groups = ["backend:dev"]
"""


def test_the_suggested_domain_clears_the_finding(
    web_app: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    web_app.write("pyproject.toml", WEB_APP_CONFIG + BACKEND_DOMAIN)

    code, lines = check(web_app, capsys)

    assert (code, lines[-1]) == (0, "OK (1 domains, 2 services, 1 tiers)")


def test_a_markers_only_tier_claims_no_file(repo: GitRepo) -> None:
    project(
        repo,
        '[tool.tiered-ci]\n\n[tool.tiered-ci.tiers.unit]\nmarkers = "not slow"\n',
        {"src/pkg/a.py": "", "tests/test_a.py": "", "tests/test_b.py": ""},
    )

    assert lines_for(repo) == [
        (
            "tool.tiered-ci.tiers.unit.paths: 'tests' holds 2 test files that no tier, domain or "
            "family runs (test_a.py, test_b.py); add 'tests' to it"
        ),
    ]


def test_tier_paths_domains_and_the_fan_out_remainder_run_tests(repo: GitRepo) -> None:
    config = """\
[tool.tiered-ci]

[tool.tiered-ci.tiers.unit]
paths = ["tests"]

[tool.tiered-ci.tiers.e2e]
paths = ["e2e/test_flow.py::test_one"]

[tool.tiered-ci.domains.api]
paths = ["src/api/**"]
tests = ["tests/api"]
integration-tests = ["it/api"]
"""
    project(
        repo,
        config,
        {
            "src/api/a.py": "",
            "tests/api/test_a.py": "",
            "tests/test_rest.py": "",
            "it/api/test_db.py": "",
            "e2e/test_flow.py": "",
        },
    )

    assert lines_for(repo) == []


def test_a_family_runs_its_members_tests_and_points_at_its_template(repo: GitRepo) -> None:
    config = """\
[tool.tiered-ci]

[tool.tiered-ci.domain-families.packages]
folders = "packages/*"
"""
    project(
        repo,
        config,
        {
            "packages/a/pyproject.toml": '[project]\nname = "a"\n',
            "packages/a/src/a/core.py": "",
            "packages/a/tests/test_a.py": "",
            "packages/b/pyproject.toml": '[project]\nname = "b"\n',
            "packages/b/src/b/core.py": "",
            "packages/b/src/b/checks/test_b.py": "",
        },
    )

    assert lines_for(repo) == [
        (
            "tool.tiered-ci.domain-families.packages.tests: 'packages/b/src' holds 1 test file "
            "that no tier, domain or family runs (b/checks/test_b.py); domain b owns the code of "
            "'packages/b'; add '{folder}/src' to the family's tests"
        ),
    ]


def test_a_domain_that_owns_the_package_takes_its_tests(repo: GitRepo) -> None:
    config = """\
[tool.tiered-ci]

[tool.tiered-ci.domains.billing]
paths = ["services/billing/**"]
tests = ["services/billing/tests/unit"]
"""
    project(
        repo,
        config,
        {
            "services/billing/setup.py": "",
            "services/billing/billing/core.py": "",
            "services/billing/tests/unit/test_core.py": "",
            "services/billing/tests/functional/test_flow.py": "",
            "services/billing/tests/functional/test_more.py": "",
        },
    )

    assert lines_for(repo) == [
        (
            "tool.tiered-ci.domains.billing.tests: 'services/billing/tests/functional' holds 2 "
            "test files that no tier, domain or family runs (test_flow.py, test_more.py); domain "
            "billing owns the code of 'services/billing'; add 'services/billing/tests/functional' "
            "to its tests"
        ),
    ]


def test_the_nearest_tier_takes_a_sibling_folder_and_loose_files(repo: GitRepo) -> None:
    config = """\
[tool.tiered-ci]

[tool.tiered-ci.tiers.unit]
paths = ["tests/unit"]

[tool.tiered-ci.tiers.integration]
paths = ["tests/integration"]
"""
    project(
        repo,
        config,
        {
            "tests/unit/test_a.py": "",
            "tests/integration/test_b.py": "",
            "tests/functional/test_c.py": "",
            "tests/test_loose.py": "",
        },
    )

    assert lines_for(repo) == [
        (
            "tool.tiered-ci.tiers.unit.paths: 'tests' holds 1 test file that no tier, domain or "
            "family runs (test_loose.py); add these files to it (it holds 'tests/unit')"
        ),
        (
            "tool.tiered-ci.tiers.unit.paths: 'tests/functional' holds 1 test file that no tier, "
            "domain or family runs (test_c.py); add 'tests/functional' to it (it holds 'tests/unit')"
        ),
    ]


def test_five_hundred_orphans_read_as_one_finding(repo: GitRepo) -> None:
    files = {f"tests/area{i // 50}/test_{i}.py": "" for i in range(500)}
    project(repo, "[tool.tiered-ci]\n", files)

    found = lines_for(repo)

    assert len(found) == 1
    assert "'tests' holds 500 test files" in found[0]
    assert found[0].endswith("and 497 more); add 'tests' to it")


# --- what pytest collects ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "pyproject.toml",
            '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npython_files = ["check_*.py"]\n',
        ),
        ("pyproject.toml", '[tool.pytest]\ntestpaths = ["tests"]\npython_files = ["check_*.py"]\n'),
        ("pytest.ini", "[pytest]\ntestpaths = tests\npython_files = check_*.py\n"),
        (
            "tox.ini",
            "[tox]\nenvlist = py\n\n[pytest]\ntestpaths =\n    tests\npython_files = check_*.py\n",
        ),
        (
            "setup.cfg",
            "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\npython_files = check_*.py\n",
        ),
    ],
    ids=["ini_options", "pytest-9-table", "pytest.ini", "tox.ini", "setup.cfg"],
)
def test_the_repository_own_testpaths_and_python_files(repo: GitRepo, name: str, text: str) -> None:
    files = {
        "tests/check_a.py": "",
        "tests/test_not_a_module_here.py": "",
        "scripts/check_tool.py": "",  # outside testpaths
    }
    if name == "pyproject.toml":
        project(repo, "[tool.tiered-ci]\n" + text, files)
    else:
        project(repo, "[tool.tiered-ci]\n", {name: text, **files})

    tracked = changes.tracked_files(repo.path)
    assert collection.collected(tracked, WorkTree(repo.path).read_text) == ["tests/check_a.py"]


def test_pytest_defaults_skip_hidden_build_and_node_modules_folders(repo: GitRepo) -> None:
    project(
        repo,
        "[tool.tiered-ci]\n",
        {
            "tests/test_a.py": "",
            "tests/b_test.py": "",
            "tests/helpers.py": "",
            "tests/.cache/test_x.py": "",
            "build/test_x.py": "",
            "web/node_modules/pkg/test_x.py": "",
            "venv/test_x.py": "",
            "pkg.egg/test_x.py": "",
        },
    )

    tracked = changes.tracked_files(repo.path)
    assert collection.collected(tracked, WorkTree(repo.path).read_text) == [
        "tests/b_test.py",
        "tests/test_a.py",
    ]


def test_norecursedirs_and_addopts_ignores_of_the_config(repo: GitRepo) -> None:
    config = (
        "[tool.tiered-ci]\n\n[tool.pytest.ini_options]\n"
        'norecursedirs = ["fixtures"]\n'
        'addopts = "--ignore=tests/legacy --ignore-glob=*/slow_*/* -ra"\n'
    )
    project(
        repo,
        config,
        {
            "tests/test_a.py": "",
            "tests/fixtures/test_data.py": "",
            "tests/legacy/test_old.py": "",
            "tests/slow_ones/test_s.py": "",
            "tests/.hidden/test_h.py": "",  # norecursedirs replaces the defaults
        },
    )

    tracked = changes.tracked_files(repo.path)
    assert collection.collected(tracked, WorkTree(repo.path).read_text) == [
        "tests/.hidden/test_h.py",
        "tests/test_a.py",
    ]


def test_a_workspace_member_collects_by_its_own_testpaths(repo: GitRepo) -> None:
    project(
        repo,
        '[tool.uv.workspace]\nmembers = ["libs/*"]\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        {
            "tests/test_root.py": "",
            "libs/one/pyproject.toml": '[project]\nname = "one"\n\n[tool.pytest.ini_options]\ntestpaths = ["checks"]\n',
            "libs/one/checks/test_one.py": "",
            "libs/one/src/test_not_collected.py": "",
            "libs/two/pyproject.toml": '[project]\nname = "two"\n',
            "libs/two/tests/test_two.py": "",
            "examples/demo/tests/test_demo.py": "",  # outside testpaths, no member
        },
    )

    tracked = changes.tracked_files(repo.path)
    read = WorkTree(repo.path).read_text
    folders = frozenset(p[:i] for p in tracked for i, c in enumerate(p) if c == "/")
    members = collection.workspace_members(read, folders)

    assert members == ["libs/one", "libs/two"]
    assert collection.collected(tracked, read, packages=members) == [
        "libs/one/checks/test_one.py",
        "libs/two/tests/test_two.py",
        "tests/test_root.py",
    ]


# --- the examples and tiered-ci itself --------------------------------------------------


@pytest.mark.parametrize("example", ["monorepo", "packages-monorepo"])
def test_the_examples_have_no_orphan_tests(repo: GitRepo, example: str) -> None:
    shutil.copytree(
        PROJECT_ROOT / "examples" / example,
        repo.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".nox", ".venv"),
    )
    repo.commit(example)

    assert (
        len(collection.collected(changes.tracked_files(repo.path), WorkTree(repo.path).read_text))
        > 5
    )
    assert lines_for(repo) == []


def test_tiered_ci_itself_has_no_orphan_tests() -> None:
    loaded = config_module.load(PROJECT_ROOT)
    tracked = changes.tracked_files(PROJECT_ROOT, untracked=True)
    tree = WorkTree(PROJECT_ROOT)

    assert [str(f) for f in orphan_tests(loaded, tracked, tree)] == []
    assert Path(__file__).relative_to(PROJECT_ROOT).as_posix() in collection.collected(
        tracked, tree.read_text
    )


def test_a_module_named_like_a_test_but_holding_none_is_no_orphan(repo: GitRepo) -> None:
    project(
        repo,
        '[tool.tiered-ci]\n\n[tool.tiered-ci.tiers.unit]\npaths = ["tests"]\n',
        {
            "tests/test_a.py": "def test_a(): pass\n",
            "src/pkg/test_state/test_state_program.py": "def run(): pass\n",  # a feature, not a test
            "src/pkg/checks/test_real.py": "class TestReal:\n    async def test_it(self): pass\n",
        },
    )

    assert lines_for(repo) == [
        "tool.tiered-ci.tiers.unit.paths: 'src' holds 1 test file that no tier, domain or family runs (pkg/checks/test_real.py); add 'src' to it",
    ]
