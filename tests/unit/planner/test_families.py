"""Generated domains (`domain-families`): one per package folder, edges from metadata."""

from __future__ import annotations

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci import config, families
from tiered_ci.cli import main
from tiered_ci.errors import ConfigError
from tiered_ci.families import dependency_names, folder_of, match_folders
from tiered_ci.tree import WorkTree

PACKAGES = ["api", "cli", "core", "models", "storage"]


def test_one_domain_per_package_with_templated_paths_tests_and_install(
    packages_repo: GitRepo,
) -> None:
    cfg = config.load(packages_repo.path)

    assert sorted(cfg.domains) == PACKAGES
    api = cfg.domains["api"]
    assert (api.paths, api.tests, api.family) == (
        ("packages/api/**",),
        ("packages/api/tests",),
        "packages",
    )
    assert cfg.domain_install("api") == config.Install(
        root=False, editable=("packages/api",), groups=("packages/api:test",)
    )
    # From [project.dependencies] (resolved through tool.uv.sources paths).
    assert {name: d.depends_on for name, d in cfg.domains.items()} == {
        "api": ("storage", "core"),
        "cli": ("api",),
        "core": (),
        "models": ("core",),
        "storage": ("models",),
    }


def test_a_change_selects_its_package_and_every_package_that_depends_on_it(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    result = plan(packages_repo, "--base", "HEAD~2", "--head", "HEAD~1")  # the core change

    assert result["mode"] == "partial"
    assert result["domains"] == ["api", "cli", "core", "models", "storage"]
    rules = {r["target"]: r["rule"] for r in result["reasons"] if r["target"].startswith("domain")}
    assert rules["domain:core"] == "domains.core.paths[0]"
    assert rules["domain:models"] == "domains.models.depends-on: core"
    assert rules["domain:cli"] == "domains.cli.depends-on: core"


@pytest.mark.critical
def test_a_leaf_package_runs_alone(packages_repo: GitRepo, plan: PlanRunner) -> None:
    packages_repo.write("packages/cli/src/acme_cli/__init__.py", "X = 1\n")

    result = plan(packages_repo)

    assert result["domains"] == ["cli"]
    assert [e["session"] for e in result["matrix"]["include"]] == ["domain-shard(cli)"]


def test_adding_a_package_never_runs_everything(packages_repo: GitRepo, plan: PlanRunner) -> None:
    result = plan(packages_repo, "--base", "HEAD~3", "--head", "HEAD~2")  # adds cli

    assert (result["mode"], result["domains"]) == ("partial", ["cli"])


def test_a_deleted_package_is_claimed_by_its_folder(
    packages_repo: GitRepo, plan: PlanRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    packages_repo.git.rm("-r", "-q", "packages/cli")
    packages_repo.commit("drop cli")

    result = plan(packages_repo, "--base", "HEAD~1")

    assert (result["mode"], result["domains"]) == ("partial", [])
    from tiered_ci.cli import main  # noqa: PLC0415

    assert (
        main(
            [
                "plan",
                "--format",
                "text",
                "--explain",
                "--base",
                "HEAD~1",
                "--repo",
                str(packages_repo.path),
            ]
        )
        == 0
    )
    assert "domain cli: packages/cli/pyproject.toml (deleted) is in its folder " in (
        capsys.readouterr().out
    )


def test_metadata_edges_can_be_switched_off_and_added_by_hand(packages_repo: GitRepo) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    text = text.replace(
        'tests = ["{folder}/tests"]\n',
        'tests = ["{folder}/tests"]\ndependencies = false\ndepends-on = { cli = ["core"] }\n',
    )
    packages_repo.write("pyproject.toml", text)

    cfg = config.load(packages_repo.path)

    assert {n: d.depends_on for n, d in cfg.domains.items() if d.depends_on} == {"cli": ("core",)}
    assert families.dependents(cfg.domains) == {"core": ("cli",)}


def test_an_explicit_domain_wins_over_a_generated_one(packages_repo: GitRepo) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    packages_repo.write(
        "pyproject.toml",
        text + '\n[tool.tiered-ci.domains.api]\npaths = ["packages/api/**", "shared/**"]\n',
    )

    cfg = config.load(packages_repo.path)

    assert cfg.domains["api"].paths == ("packages/api/**", "shared/**")
    assert cfg.domains["api"].family is None


def test_match_and_folder_of(packages_repo: GitRepo) -> None:
    tree = WorkTree(packages_repo.path)
    assert match_folders("packages/*", tree) == [f"packages/{p}" for p in PACKAGES]
    assert match_folders("packages/c*", tree) == ["packages/cli", "packages/core"]
    assert match_folders("nothing/*", tree) == []
    assert folder_of("packages/*", "packages/new/src/x.py") == "packages/new"
    assert folder_of("packages/*", "packages/README.md") is None
    assert folder_of("packages/*", "docs/packages/x") is None


def test_dependency_names_from_every_metadata_table() -> None:
    document = {
        "project": {
            "dependencies": ["Acme_Core>=1", "requests[socks] ; python_version<'4'"],
            "optional-dependencies": {"test": ["acme.testing"]},
        },
        "dependency-groups": {"dev": ["acme-devtools", {"include-group": "test"}]},
        "tool": {"uv": {"sources": {"acme-local": {"workspace": True}}}},
    }
    assert dependency_names(document) == [
        "acme-core",
        "requests",
        "acme-testing",
        "acme-devtools",
        "acme-local",
    ]


def test_two_folders_making_one_name_is_an_error(packages_repo: GitRepo) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    text = text.replace('folders = "packages/*"', 'folders = "packages/*"\nname = "pkg"')
    packages_repo.write("pyproject.toml", text)

    with pytest.raises(ConfigError, match="both make domain 'pkg'"):
        config.load(packages_repo.path)


def test_a_member_exception_replaces_only_its_install_and_python(
    packages_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    packages_repo.write_many(
        {
            "packages/cli/requirements-test-latest.txt": "pytest\n",
            "pyproject.toml": text + "\n[tool.tiered-ci.domain-families.packages.members.cli]\n"
            'python = ["3.12"]\n'
            "\n[tool.tiered-ci.domain-families.packages.members.cli.install]\n"
            'root = false\neditable = ["{folder}"]\n'
            'requirements = ["{folder}/requirements-test-latest.txt"]\n',
        }
    )
    packages_repo.commit("cli installs its own way")

    cfg = config.load(packages_repo.path)

    assert cfg.domain_install("cli") == config.Install(
        root=False,
        editable=("packages/cli",),
        requirements=("packages/cli/requirements-test-latest.txt",),
    )
    assert cfg.domains["cli"].python == ("3.12",)
    assert cfg.domains["cli"].depends_on == ("api",)  # its metadata edges stay
    assert cfg.domain_install("api").groups == ("packages/api:test",)  # the siblings: unchanged
    assert main(["check-config", "--repo", str(packages_repo.path)]) == 0
    capsys.readouterr()


def test_check_config_names_a_missing_install_file_and_an_unknown_member(
    packages_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    text = text.replace(
        'editable = ["{folder}"]', 'editable = ["{folder}"]\nrequirements = ["{folder}/req.txt"]'
    )
    packages_repo.write(
        "pyproject.toml", text + "\n[tool.tiered-ci.domain-families.packages.members.clu]\n"
    )
    for name in PACKAGES:
        if name != "core":
            packages_repo.write(f"packages/{name}/req.txt", "pytest\n")
    packages_repo.commit("every package but core has req.txt")

    assert main(["check-config", "--repo", str(packages_repo.path)]) == 1

    out = capsys.readouterr().out
    assert (
        "tool.tiered-ci.domain-families.packages.install (domain core).requirements[0]: "
        "'packages/core/req.txt' is not a tracked file or folder, so installing this "
        "environment fails; fix the path or give the domain its own install under "
        "members.<domain>"
    ) in out
    assert (
        "tool.tiered-ci.domain-families.packages.members.clu: names no domain of this family" in out
    )
    assert "2 finding(s)" in out


def test_a_member_table_of_the_wrong_type_is_a_load_error(packages_repo: GitRepo) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    text = text.replace('folders = "packages/*"', 'folders = "packages/*"\nmembers = { cli = 3 }')
    packages_repo.write("pyproject.toml", text)

    with pytest.raises(
        ConfigError,
        match=r"tool\.tiered-ci\.domain-families\.packages\.members\.cli: expected a table, got",
    ):
        config.load(packages_repo.path)


SETUP_PY = """\
import setuptools
from setuptools import setup

BASE = ["acme-core>=1.0", "requests"]
EXTRA: list[str] = ["Acme_Models"]
computed = [f"acme-{n}" for n in ("secret",)]  # computed: left out

setuptools.setup(
    name="acme-billing",
    install_requires=BASE + ["acme.storage ; python_version >= '3.10'"],
    extras_require={"test": ["pytest", "acme-testing"], "models": EXTRA},
    tests_require="acme-fixtures\\nacme-fakes",
    packages=computed,
)
"""


def test_a_static_setup_py_is_read_without_running_it() -> None:
    assert families.setup_py_metadata(SETUP_PY) == (
        "acme-billing",
        [
            "acme-core",
            "requests",
            "acme-storage",
            "acme-fixtures",
            "acme-fakes",
            "pytest",
            "acme-testing",
            "acme-models",
        ],
    )


def test_setup_py_keywords_through_a_literal_dict() -> None:
    text = 'KW = dict(name="x")\nARGS = {"name": "acme-x", "install_requires": ["acme-y"]}\n'
    assert families.setup_py_metadata(text + "setup(**ARGS)\n") == ("acme-x", ["acme-y"])


@pytest.mark.parametrize(
    "text",
    [
        "setup(name=NAME, install_requires=read_requirements())\n",
        "def broken(:\n",
        "print('no setup call')\n",
        "setup(install_requires=[1, None, {'a': 1}])\n",
    ],
)
def test_a_setup_py_that_is_not_static_gives_nothing_and_never_fails(text: str) -> None:
    assert families.setup_py_metadata(text) == (None, [])


def test_setup_cfg_install_requires_tests_require_and_extras() -> None:
    text = (
        "[metadata]\nname = acme-api\n\n[options]\ninstall_requires =\n"
        "    acme_core>=1  # the core\n    # a comment line\n"
        "    Acme.Storage ; python_version >= '3.10'\n"
        "tests_require = acme-fixtures\n\n"
        "[options.extras_require]\ntest =\n    pytest\n    acme-testing\n"
    )
    assert families.setup_cfg_metadata(text) == (
        "acme-api",
        ["acme-core", "acme-storage", "acme-fixtures", "pytest", "acme-testing"],
    )
    assert families.setup_cfg_metadata("[metadata\nbroken") == (None, [])


def test_edges_from_setup_cfg_and_setup_py_packages(repo: GitRepo, plan: PlanRunner) -> None:
    repo.write_many(
        {
            "pyproject.toml": (
                "[tool.tiered-ci]\nrun-all = []\n"
                '[tool.tiered-ci.domain-families.libs]\nfolders = "libs/*"\n'
            ),
            # pyproject.toml with only [build-system]: the metadata is in setup.cfg.
            "libs/core/pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n',
            "libs/core/setup.cfg": "[metadata]\nname = acme-core\n",
            "libs/core/acme_core.py": "X = 1\n",
            "libs/api/setup.cfg": (
                "[metadata]\nname = acme-api\n[options]\ninstall_requires =\n    acme-core\n"
            ),
            "libs/cli/setup.py": (
                "from setuptools import setup\n"
                "setup(name='acme-cli', install_requires=['ACME_API>=2'])\n"
            ),
            "libs/docs/pyproject.toml": (
                '[project]\nname = "acme-docs"\ndynamic = ["dependencies"]\n'
            ),
            "libs/docs/setup.py": "import setuptools\nsetuptools.setup(install_requires=['acme-cli'])\n",
        }
    )
    repo.commit("libs")
    repo.branch("feature")

    cfg = config.load(repo.path)

    assert {n: d.depends_on for n, d in cfg.domains.items()} == {
        "api": ("core",),
        "cli": ("api",),
        "core": (),
        "docs": ("cli",),
    }
    repo.write("libs/core/acme_core.py", "X = 2\n")
    assert plan(repo)["domains"] == ["api", "cli", "core", "docs"]


def test_a_commits_tree_expands_to_the_work_trees_domains(packages_repo: GitRepo) -> None:
    from tiered_ci.tree import GitTree  # noqa: PLC0415

    at_head = config.load(
        packages_repo.path, tree=GitTree(packages_repo.path, packages_repo.head())
    )

    assert at_head.domains == config.load(packages_repo.path).domains
    assert at_head.domains["storage"].integration_tests == ("packages/storage/tests/integration",)


def test_a_changed_test_runs_its_own_package_not_the_packages_that_depend_on_it(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    """cli depends on api: api's code is cli's input, api's tests are not."""
    test_file = packages_repo.path / "packages/api/tests/test_api.py"
    packages_repo.write("packages/api/tests/test_api.py", test_file.read_text() + "\n# more\n")
    packages_repo.commit("api: a test")

    result = plan(packages_repo, "--base", "HEAD~1")

    assert result["domains"] == ["api"]
    packages_repo.write("packages/api/src/acme_api/__init__.py", "X = 1\n")
    packages_repo.commit("api: code")
    assert plan(packages_repo, "--base", "HEAD~1")["domains"] == ["api", "cli"]
