"""Config loading and validation: every message names the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiered_ci import config
from tiered_ci._toml import tomllib
from tiered_ci.errors import ConfigError


def parse(text: str) -> config.Config:
    table = tomllib.loads(text)["tool"]["tiered-ci"]
    return config.parse(table, root=Path("/repo"))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return str(info.value)


@pytest.mark.critical
def test_full_config_loads_into_frozen_values() -> None:
    cfg = parse(
        """
        [tool.tiered-ci]
        default-branch = "trunk"
        ignore = ["**/*.md"]
        run-all = ["pyproject.toml"]
        unmapped = "warn"
        durations = "ci/.durations"
        shard-overhead-seconds = 12
        [tool.tiered-ci.tiers.quick]
        markers = "critical or smoke"
        workers = 4
        budget-seconds = 60
        [tool.tiered-ci.tiers.unit]
        paths = ["tests/unit"]
        workers = "auto"
        target-seconds = 300
        [tool.tiered-ci.domains.data]
        paths = ["src/data/**"]
        tests = ["tests/unit/data"]
        [tool.tiered-ci.services.api]
        context = "services/api/"
        paths = ["libs/common/**"]
        image = "ghcr.io/acme/api"
        args = { PY = "3.12", N = 2 }
        [tool.tiered-ci.services.web]
        depends-on = ["api"]
        [tool.tiered-ci.coverage]
        fail-under = 90
        """
    )
    assert cfg.default_branch == "trunk"
    assert cfg.unmapped == "warn"
    assert cfg.tiers["quick"] == config.Tier("quick", (), "critical or smoke", 4, 60.0, None)
    assert cfg.tiers["unit"].workers == "auto"
    assert cfg.tiers["unit"].target_seconds == 300.0
    assert cfg.domains["data"] == config.Domain("data", ("src/data/**",), ("tests/unit/data",))
    api = cfg.services["api"]
    assert (api.context, api.dockerfile, api.image) == (
        "services/api",
        "services/api/Dockerfile",
        "ghcr.io/acme/api",
    )
    assert api.args == {"PY": "3.12", "N": "2"}
    web = cfg.services["web"]
    assert (web.context, web.image, web.depends_on) == ("services/web", "web", ("api",))
    assert cfg.durations == "ci/.durations"
    assert cfg.shard_overhead_seconds == 12.0
    assert cfg.coverage_fail_under == 90.0
    assert cfg.unknown_keys == ()
    with pytest.raises(AttributeError):
        cfg.default_branch = "main"  # type: ignore[misc]


def test_defaults_when_the_table_is_missing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    cfg = config.load(tmp_path)
    assert (cfg.default_branch, cfg.unmapped, cfg.domains, cfg.services) == (
        "main",
        "run-all",
        {},
        {},
    )
    assert cfg.triggers == config.DEFAULT_TRIGGERS


@pytest.mark.parametrize(
    ("table", "quick", "integration"),
    [
        ("", "critical or smoke", "integration"),
        # A quick table of install keys alone keeps quick on its markers; an integration
        # table without markers runs its folders unfiltered (domain-integration's rule).
        (("[tool.tiered-ci.tiers.quick.install]\nroot = false\npackages = ['ruff']\n"
         "[tool.tiered-ci.tiers.integration]\nworkers = 2\n"),
         "critical or smoke", None),
        # Paths without markers: the tier is those paths, every test in them.
        (("[tool.tiered-ci.tiers.quick]\npaths = ['tests/smoke']\n"
         "[tool.tiered-ci.tiers.integration]\npaths = ['tests/it']\n"), None, None),
        ("[tool.tiered-ci.tiers.quick]\nmarkers = 'fast'\n", "fast", "integration"),
    ],
)  # fmt: skip
def test_quick_keeps_its_markers_unless_its_table_sets_markers_or_paths(
    tmp_path: Path, table: str, quick: str | None, integration: str | None
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.tiered-ci]\n{table}")
    loaded = config.load(tmp_path)
    assert (loaded.tier("quick").markers, loaded.tier("integration").markers) == (
        quick,
        integration,
    )


@pytest.mark.critical
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[tool.tiered-ci.services.api]\npaths = "libs/**"',
            "tool.tiered-ci.services.api.paths: expected a list of globs, got str",
        ),
        (
            "[tool.tiered-ci]\nignore = [1]",
            "tool.tiered-ci.ignore[0]: expected a non-empty string, got int",
        ),
        (
            '[tool.tiered-ci]\nunmapped = "sometimes"',
            "tool.tiered-ci.unmapped: expected one of run-all, warn, ignore, got 'sometimes'",
        ),
        (
            "[tool.tiered-ci.domains.data]\ntests = []",
            "tool.tiered-ci.domains.data.paths: missing; expected a list of globs",
        ),
        (
            "[tool.tiered-ci.tiers.unit]\nworkers = 0",
            "tool.tiered-ci.tiers.unit.workers: expected at least 1, got 0",
        ),
        (
            '[tool.tiered-ci.tiers.unit]\nworkers = "many"',
            'tool.tiered-ci.tiers.unit.workers: expected a whole number or "auto", got str',
        ),
        (
            '[tool.tiered-ci.tiers.quick]\nbudget-seconds = "60"',
            "tool.tiered-ci.tiers.quick.budget-seconds: expected a number, got str",
        ),
        (
            "[tool.tiered-ci]\nshard-overhead-seconds = -1",
            "tool.tiered-ci.shard-overhead-seconds: expected a number >= 0, got -1",
        ),
        (
            "[tool.tiered-ci]\ndomains = 3",
            "tool.tiered-ci.domains: expected a table, got int",
        ),
        (
            '[tool.tiered-ci.triggers.nightly]\nalways = ["quick"]',
            (
                "tool.tiered-ci.triggers.'nightly': unknown trigger; expected one of local, "
                "pull_request, ready_for_review, push, push_default, merge_group, schedule, "
                "workflow_dispatch, other"
            ),
        ),
        (
            '[tool.tiered-ci.triggers.pull_request]\nalways = ["quick", "lint"]',
            (
                "tool.tiered-ci.triggers.pull_request.always[1]: unknown session 'lint'; expected "
                "one of quick, unit, integration, domain-shard, docker-changed-services, full-e2e"
            ),
        ),
        (
            '[tool.tiered-ci.services.api]\ndepends-on = ["db"]',
            "tool.tiered-ci.services.api.depends-on: unknown service 'db'; known: api",
        ),
        (
            (
                '[tool.tiered-ci.services.a]\ndepends-on = ["b"]\n'
                '[tool.tiered-ci.services.b]\ndepends-on = ["c"]\n'
                '[tool.tiered-ci.services.c]\ndepends-on = ["a"]'
            ),
            "tool.tiered-ci.services: depends-on cycle a -> b -> c -> a; remove one of the edges",
        ),
        (
            "[tool.tiered-ci.services.api]\nargs = { X = [1] }",
            "tool.tiered-ci.services.api.args.X: expected a string, got list",
        ),
        (
            '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\ninstall = { root = "no" }',
            "tool.tiered-ci.domains.a.install.root: expected true or false, got str",
        ),
        (
            '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\ninstall = { editable = "a" }',
            "tool.tiered-ci.domains.a.install.editable: expected a list of folders, got str",
        ),
        (
            '[tool.tiered-ci.tiers.unit]\npython = ["3.12", "3.12"]',
            "tool.tiered-ci.tiers.unit.python: a version is listed twice; list each once",
        ),
        (
            '[tool.tiered-ci.domains.d]\npaths = ["src/[z-a]*"]',
            (
                "tool.tiered-ci.domains.d.paths[0]: invalid glob 'src/[z-a]*': bad character "
                "range z-a; write ranges low to high, or escape a literal '[' as '\\['"
            ),
        ),
        (
            '[tool.tiered-ci]\nignore = ["docs/**", "![b-a].md"]',
            (
                "tool.tiered-ci.ignore[1]: invalid glob '[b-a].md': bad character range b-a; "
                "write ranges low to high, or escape a literal '[' as '\\['"
            ),
        ),
        (
            "[tool.tiered-ci]\nservices-from = 1",
            'tool.tiered-ci.services-from: expected "compose" or a list of compose files, got int',
        ),
    ],
)
def test_validation_names_the_key(text: str, message: str) -> None:
    assert error_of(text) == message


def test_install_tables_and_versions() -> None:
    cfg = parse(
        """
[tool.tiered-ci.tiers.unit]
python = ["3.11", "3.12"]
install = { groups = ["test"], packages = ["pytest-randomly"] }

[tool.tiered-ci.domains.billing]
paths = ["packages/billing/**"]
tests = ["packages/billing/tests"]
python = "3.12"

[tool.tiered-ci.domains.billing.install]
root = false
editable = ["packages/billing"]
requirements = ["packages/billing/requirements-test.txt"]
groups = ["packages/billing:test"]
extras = ["test"]
packages = ["pytest"]
colour = "blue"

[tool.tiered-ci.domains.core]
paths = ["packages/core/**"]
"""
    )
    assert cfg.domain_install("billing") == config.Install(
        root=False,
        editable=("packages/billing",),
        requirements=("packages/billing/requirements-test.txt",),
        groups=("packages/billing:test",),
        extras=("test",),
        packages=("pytest",),
    )
    assert cfg.domain_install("core") == config.Install(
        groups=("test",), packages=("pytest-randomly",)
    )
    assert (cfg.domain_python("billing"), cfg.domain_python("core")) == (
        ("3.12",),
        ("3.11", "3.12"),
    )
    assert cfg.unknown_keys == ("tool.tiered-ci.domains.billing.install.colour",)


# Reliability pass (issue 13, item 14): each of these crashed with exit 3 or was accepted.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[tool.tiered-ci]\ndeepen-budget = nan",
            "tool.tiered-ci.deepen-budget: expected a whole number, got nan",
        ),
        (
            "[tool.tiered-ci]\ndeepen-budget = inf",
            "tool.tiered-ci.deepen-budget: expected a whole number, got inf",
        ),
        (
            "[tool.tiered-ci]\ndeepen-budget = 1.5",
            "tool.tiered-ci.deepen-budget: expected a whole number, got 1.5",
        ),
        (
            "[tool.tiered-ci]\ndeepen-budget = -1",
            "tool.tiered-ci.deepen-budget: expected a whole number from 0 to 1000000, got -1",
        ),
        (
            '[tool.tiered-ci]\ndeepen-budget = "50"',
            "tool.tiered-ci.deepen-budget: expected a whole number, got str",
        ),
        (
            "[tool.tiered-ci]\nshard-overhead-seconds = nan",
            "tool.tiered-ci.shard-overhead-seconds: expected a finite number, got nan",
        ),
        (
            "[tool.tiered-ci.tiers.quick]\nbudget-seconds = inf",
            "tool.tiered-ci.tiers.quick.budget-seconds: expected a finite number, got inf",
        ),
        (
            "[tool.tiered-ci.tiers.unit]\ntarget-seconds = -inf",
            "tool.tiered-ci.tiers.unit.target-seconds: expected a finite number, got -inf",
        ),
        (
            "[tool.tiered-ci.coverage]\nfail-under = nan",
            "tool.tiered-ci.coverage.fail-under: expected a finite number, got nan",
        ),
        (
            "[tool.tiered-ci.coverage]\nfail-under = 1000",
            "tool.tiered-ci.coverage.fail-under: expected a number between 0 and 100, got 1000",
        ),
        (
            "[tool.tiered-ci.domains.data]\npaths = []",
            (
                "tool.tiered-ci.domains.data.paths: empty; list at least one glob of the sources "
                "it owns"
            ),
        ),
        (
            '[tool.tiered-ci.domains.""]\npaths = ["src/**"]',
            'tool.tiered-ci.domains."": empty domain name; name the domain',
        ),
        (
            '[tool.tiered-ci.domains." "]\npaths = ["src/**"]',
            'tool.tiered-ci.domains."": empty domain name; name the domain',
        ),
        (
            '[tool.tiered-ci.domains."x\\n```"]\npaths = ["src/**"]',
            (
                "tool.tiered-ci.domains.'x\\n```': the domain name holds a control character "
                "(a newline, a tab); rename it"
            ),
        ),
        (
            "[tool.tiered-ci.services.Api]",
            (
                "tool.tiered-ci.services.Api: the image name defaults to the service name 'Api', "
                "which is not a valid image name (lower-case letters, digits, '.', '_', '-'); "
                'set tool.tiered-ci.services.Api.image (e.g. image = "api")'
            ),
        ),
        (
            '[tool.tiered-ci.services.api]\nimage = "ghcr.io/Acme/api"',
            (
                "tool.tiered-ci.services.api.image: 'ghcr.io/Acme/api' is not a valid image name "
                "(an optional registry host, then lower-case path components of letters, digits, "
                "'.', '_', '-', without a tag); tags come from the commit"
            ),
        ),
    ],
)
def test_hostile_values_exit_2_naming_the_key(text: str, message: str) -> None:
    assert error_of(text) == message


@pytest.mark.parametrize(
    "image", ["api", "ghcr.io/acme/api", "localhost/monorepo-api", "localhost:5000/a/b_c"]
)
def test_valid_image_names_load(image: str) -> None:
    cfg = parse(f'[tool.tiered-ci.services.Api]\nimage = "{image}"')
    assert cfg.services["Api"].image == image


def test_a_whole_deepen_budget_loads() -> None:
    assert parse("[tool.tiered-ci]\ndeepen-budget = 0").deepen_budget == 0
    assert parse("[tool.tiered-ci]\ndeepen-budget = 2000").deepen_budget == 2000


def test_tool_that_is_not_a_table_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('tool = "x"\n')
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path)
    assert str(info.value) == f"{path}: tool: expected a table, got str"


def test_toml_nested_too_deeply_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path)
    assert str(info.value) == f"{path}: not valid TOML: arrays or tables nested too deeply"


def test_unknown_keys_are_kept_for_the_lint() -> None:
    cfg = parse(
        '[tool.tiered-ci]\nignroe = []\n[tool.tiered-ci.domains.a]\npaths = ["a/**"]\ntest = []'
    )
    assert cfg.unknown_keys == ("tool.tiered-ci.ignroe", "tool.tiered-ci.domains.a.test")


def test_trigger_policy_override_keeps_unset_lists() -> None:
    cfg = parse('[tool.tiered-ci.triggers.pull_request]\nalways = ["quick", "unit"]')
    policy = cfg.triggers["pull_request"]
    assert policy.always == ("quick", "unit")
    assert policy.affected == config.DEFAULT_TRIGGERS["pull_request"].affected


def test_load_names_the_file_on_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.tiered-ci\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: not valid TOML: "):
        config.load(tmp_path)


def test_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path, tmp_path / "ci.toml")
    assert str(info.value) == (
        f"{tmp_path / 'ci.toml'}: config file not found; pass an existing TOML file to --config"
    )


def test_errors_from_a_file_are_prefixed_with_it(tmp_path: Path) -> None:
    path = tmp_path / "ci.toml"
    path.write_text('[tool.tiered-ci.services.api]\npaths = "x"\n')
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path, path)
    assert str(info.value) == (
        f"{path}: tool.tiered-ci.services.api.paths: expected a list of globs, got str"
    )


def _services(graph: dict[str, tuple[str, ...]]) -> str:
    return "\n".join(
        f"[tool.tiered-ci.services.{name}]\ndepends-on = {list(deps)!r}"
        for name, deps in graph.items()
    ).replace("'", '"')


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": ("a",)}, "a -> a"),
        ({"a": ("b",), "b": ("a",)}, "a -> b -> a"),
        ({"b": ("a",), "a": ("b",)}, "a -> b -> a"),
        ({"c": ("a",), "a": ("b",), "b": ("c",)}, "a -> b -> c -> a"),
        ({"x": ("c",), "c": ("b",), "b": ("a",), "a": ("c",)}, "a -> c -> b -> a"),
    ],
)
def test_depends_on_cycle_is_named_along_depends_on(
    graph: dict[str, tuple[str, ...]], cycle: str
) -> None:
    assert error_of(_services(graph)) == (
        f"tool.tiered-ci.services: depends-on cycle {cycle}; remove one of the edges"
    )


def test_a_depends_on_chain_is_fine() -> None:
    loaded = parse(_services({"a": ("b",), "b": ("c",), "c": ()}))
    assert loaded.services["a"].depends_on == ("b",)
