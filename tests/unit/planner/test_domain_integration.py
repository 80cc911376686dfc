"""Domain-owned integration tests: `domain-integration(<d>)` per selected owner, and the
tier-wide `integration` session only for the integration tests no domain owns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci import config
from tiered_ci.cli import main
from tiered_ci.sessions import inside_ignores

CONFIG = """\
[project]
name = "shop"

[tool.tiered-ci]
run-all = ["pyproject.toml"]

[tool.tiered-ci.tiers.unit]
paths = ["tests/unit"]

[tool.tiered-ci.tiers.integration]
paths = ["tests/integration"]
markers = "integration"

[tool.tiered-ci.domains.billing]
paths = ["src/billing/**"]
tests = ["tests/unit/billing"]
integration-tests = ["tests/integration/billing"]

[tool.tiered-ci.domains.shipping]
paths = ["src/shipping/**"]
tests = ["tests/unit/shipping", "tests/integration/shipping"]
integration-tests = ["tests/integration/shipping/flows"]
depends-on = ["billing"]

[tool.tiered-ci.domains.legacy]
paths = ["src/legacy/**"]
tests = ["tests/unit/legacy"]

[tool.tiered-ci.services.api]
context = "services/api"
"""

LAYOUT = {
    "pyproject.toml": CONFIG,
    "src/billing/invoice.py": "TOTAL = 1\n",
    "src/shipping/parcel.py": "WEIGHT = 2\n",
    "src/legacy/old.py": "OLD = 3\n",
    "tests/unit/billing/test_invoice.py": "def test_total(): pass\n",
    "tests/unit/shipping/test_parcel.py": "def test_weight(): pass\n",
    "tests/unit/legacy/test_old.py": "def test_old(): pass\n",
    "tests/unit/test_misc.py": "def test_misc(): pass\n",
    "tests/integration/conftest.py": "import pytest\n",
    "tests/integration/test_checkout.py": "def test_checkout(): pass\n",
    "tests/integration/billing/test_ledger.py": "def test_ledger(): pass\n",
    "tests/integration/shipping/test_labels.py": "def test_labels(): pass\n",
    "tests/integration/shipping/flows/test_delivery.py": "def test_delivery(): pass\n",
    "services/api/Dockerfile": "FROM scratch\n",
}

REST = "--ignore=tests/integration/billing --ignore=tests/integration/shipping/flows"


@pytest.fixture
def shop(repo: GitRepo) -> GitRepo:
    """Two domains that own integration tests (shipping depends on billing), one that owns
    none, cross-domain integration tests no domain owns, and a service; on branch feature."""
    repo.write_many(LAYOUT)
    repo.commit("shop")
    repo.branch("feature")
    return repo


def change(repo: GitRepo, path: str) -> None:
    repo.write(path, (repo.path / path).read_text() + "# changed\n")
    repo.commit(f"change {path}")


def sessions(result: dict[str, Any]) -> list[str]:
    return [e["session"] for e in result["matrix"]["include"]]


def decision(repo: GitRepo, capsys: pytest.CaptureFixture[str], target: str) -> str:
    assert main(["plan", "--explain=all", "--format", "text", "--repo", str(repo.path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if f" {target}:" in line]
    assert lines, f"no decision for {target}"
    return lines[0].strip()


@pytest.mark.critical
def test_a_domain_change_runs_its_own_integration_tests_not_the_tier(
    shop: GitRepo, plan: PlanRunner
) -> None:
    change(shop, "src/billing/invoice.py")

    result = plan(shop)

    # shipping depends on billing: its shard and its integration tests run too.
    assert sessions(result) == [
        "domain-shard(billing)",
        "domain-shard(shipping)",
        "domain-integration(billing)",
        "domain-integration(shipping)",
    ]
    assert "integration" not in result["sessions"]


def test_a_changed_owned_integration_test_selects_only_its_domains_session(
    shop: GitRepo, plan: PlanRunner
) -> None:
    change(shop, "tests/integration/shipping/flows/test_delivery.py")

    result = plan(shop)

    assert result["domains"] == []
    assert sessions(result) == ["domain-integration(shipping)"]
    assert {
        "target": "domain-integration:shipping",
        "path": "tests/integration/shipping/flows/test_delivery.py",
        "status": "modified",
        "rule": "domains.shipping.integration-tests[0]",
    } in result["reasons"]


def test_an_integration_test_inside_the_domains_tests_is_its_own(
    shop: GitRepo, plan: PlanRunner
) -> None:
    # tests/integration/shipping is in shipping's tests: a unit test of the shard.
    change(shop, "tests/integration/shipping/test_labels.py")

    result = plan(shop)

    assert result["domains"] == ["shipping"]
    assert sessions(result) == ["domain-shard(shipping)", "domain-integration(shipping)"]


def test_an_unowned_integration_test_runs_the_tier_wide_session_on_the_rest(
    shop: GitRepo, plan: PlanRunner
) -> None:
    change(shop, "tests/integration/conftest.py")

    result = plan(shop)

    assert result["matrix"]["include"] == [{"session": "integration", "args": REST}]


def test_a_domain_without_integration_tests_still_runs_the_tier_wide_session(
    shop: GitRepo, plan: PlanRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    change(shop, "src/legacy/old.py")

    result = plan(shop)

    assert result["matrix"]["include"] == [
        {"session": "domain-shard(legacy)", "args": ""},
        {"session": "integration", "args": REST},
    ]
    assert decision(shop, capsys, "session:integration") == (
        "+ session:integration: domain legacy is selected and owns no integration tests "
        "(the integration tests no domain owns)"
    )


def test_a_service_change_runs_the_tier_wide_session(shop: GitRepo, plan: PlanRunner) -> None:
    change(shop, "services/api/Dockerfile")

    result = plan(shop)

    assert sessions(result) == ["integration", "docker-changed-services"]


def test_mode_all_lists_every_domain_integration_session_and_the_rest(
    shop: GitRepo, plan: PlanRunner
) -> None:
    # A comment alone in pyproject.toml runs nothing; a table no linter owns runs all.
    shop.write("pyproject.toml", CONFIG + "\n[tool.touched]\nby-test = 1\n")
    shop.commit("touch pyproject.toml")

    result = plan(shop)

    assert result["mode"] == "all"
    assert result["matrix"]["include"] == [
        {"session": "domain-shard(billing)", "args": ""},
        {"session": "domain-shard(shipping)", "args": ""},
        {"session": "domain-shard(legacy)", "args": ""},
        {
            "session": "unit",
            "args": "--ignore=tests/unit/billing --ignore=tests/unit/shipping "
            "--ignore=tests/unit/legacy",
        },
        {"session": "domain-integration(billing)", "args": ""},
        {"session": "domain-integration(shipping)", "args": ""},
        {"session": "integration", "args": REST},
        {"session": "docker-changed-services", "args": ""},
    ]


def test_when_domains_own_every_integration_path_the_tier_wide_session_never_runs(
    shop: GitRepo, plan: PlanRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CONFIG.replace('paths = ["tests/integration"]', 'paths = ["tests/integration/billing"]')
    shop.write("pyproject.toml", text)
    shop.commit("the tier is billing's integration tests")
    shop.write("pyproject.toml", text + "\n[tool.touched]\nby-test = 1\n")
    shop.commit("mode all")

    result = plan(shop, "--base", "HEAD~1")

    assert "integration" not in result["sessions"]
    assert "domain-integration(billing)" in result["sessions"]
    shop.write("src/legacy/old.py", "OLD = 4\n")
    assert decision(shop, capsys, "session:integration") == (
        "- session:integration: every integration test path belongs to a domain: "
        "domain-integration runs it"
    )


def test_without_an_integration_table_the_domains_sessions_are_the_tier(
    shop: GitRepo, plan: PlanRunner
) -> None:
    text = CONFIG.replace(
        '[tool.tiered-ci.tiers.integration]\npaths = ["tests/integration"]\n'
        'markers = "integration"\n',
        "",
    )
    shop.write("pyproject.toml", text)
    shop.commit("no integration tier")
    change(shop, "src/legacy/old.py")

    assert sessions(plan(shop, "--base", "HEAD~1")) == ["domain-shard(legacy)"]
    change(shop, "src/billing/invoice.py")
    assert "domain-integration(billing)" in sessions(plan(shop, "--base", "HEAD~1"))


def test_push_to_the_default_branch_runs_the_whole_unit_tier_and_owned_integration(
    shop: GitRepo, plan: PlanRunner, event_file: Any
) -> None:
    shop.branch("main", create=False)
    before = shop.head()
    change(shop, "src/billing/invoice.py")
    event = event_file("push", before=before, after=shop.head(), ref="refs/heads/main")

    result = plan(shop, "--event", "push", "--event-path", str(event))

    entries = [(e["session"], e["args"]) for e in result["matrix"]["include"]]
    assert len(entries) == len(set(entries))
    assert [s for s, _ in entries] == [
        "domain-shard(billing)",
        "domain-shard(shipping)",
        "domain-shard(legacy)",
        "unit",
        "domain-integration(billing)",
        "domain-integration(shipping)",
    ]


def test_integration_max_jobs_packs_the_domain_integration_sessions(
    shop: GitRepo, plan: PlanRunner
) -> None:
    text = CONFIG.replace('markers = "integration"\n', 'markers = "integration"\nmax-jobs = 1\n')
    shop.write("pyproject.toml", text)
    shop.commit("one integration job")
    shop.write("pyproject.toml", text + "\n[tool.touched]\nby-test = 1\n")
    shop.commit("mode all")

    result = plan(shop, "--base", "HEAD~1")

    assert {
        "session": "domain-pack",
        "args": "domain-integration(billing) domain-integration(shipping)",
    } in result["matrix"]["include"]
    assert "domain-integration(billing)" not in sessions(result)
    assert {
        "target": "matrix",
        "path": None,
        "status": None,
        "rule": "2 domain integration sessions packed into 1 jobs (tiers.integration.max-jobs = 1)",
    } in result["reasons"]


def test_integration_sessions_take_the_domains_python_versions(
    shop: GitRepo, plan: PlanRunner
) -> None:
    text = CONFIG.replace(
        'integration-tests = ["tests/integration/billing"]\n',
        'integration-tests = ["tests/integration/billing"]\npython = ["3.11", "3.12"]\n',
    )
    shop.write("pyproject.toml", text)
    shop.commit("billing on two Pythons")
    change(shop, "tests/integration/billing/test_ledger.py")

    result = plan(shop, "--base", "HEAD~1")

    assert result["matrix"]["include"] == [
        {"session": "domain-integration(billing-3.11)", "args": "", "python": "3.11"},
        {"session": "domain-integration(billing-3.12)", "args": "", "python": "3.12"},
    ]


def test_a_family_owns_the_integration_folders_its_packages_have(repo: GitRepo) -> None:
    repo.write_many(
        {
            "pyproject.toml": (
                "[tool.tiered-ci.domain-families.packages]\n"
                'folders = "packages/*"\n'
                'integration-tests = ["{folder}/tests/integration"]\n'
            ),
            "packages/a/pyproject.toml": '[project]\nname = "a"\n',
            "packages/a/tests/test_a.py": "def test_a(): pass\n",
            "packages/a/tests/integration/test_flow.py": "def test_flow(): pass\n",
            "packages/b/pyproject.toml": '[project]\nname = "b"\n',
            "packages/b/tests/test_b.py": "def test_b(): pass\n",
        }
    )

    cfg = config.load(repo.path)

    assert cfg.domains["a"].integration_tests == ("packages/a/tests/integration",)
    assert cfg.domains["b"].integration_tests == ()


def test_a_shard_leaves_out_the_integration_tests_inside_its_folder() -> None:
    assert inside_ignores(
        ["tests/integration/shipping"], ["tests/integration/shipping/flows", "elsewhere"]
    ) == ["--ignore=tests/integration/shipping/flows"]
    assert inside_ignores(["packages/a/tests/"], ["packages/a/tests/integration"]) == [
        "--ignore=packages/a/tests/integration"
    ]
    assert inside_ignores(["tests/unit"], ["tests/integration/x"]) == []


BAD = [
    (
        '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\nintegration-tests = "tests/a"\n',
        "tool.tiered-ci.domains.a.integration-tests: expected a list of test paths, got str",
    ),
    (
        '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\nintegration-tests = ["tests/*/a"]\n',
        (
            "tool.tiered-ci.domains.a.integration-tests[0]: 'tests/*/a' is a glob; list test "
            'folders or files (pytest arguments), e.g. "tests/integration/billing"'
        ),
    ),
    (
        '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\nintegration-tests = ["../other"]\n',
        (
            "tool.tiered-ci.domains.a.integration-tests[0]: '../other' is not a folder inside the "
            'repository; write a repository-relative test folder ("tests/integration/billing")'
        ),
    ),
    (
        '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\nintegration-tests = ["/abs"]\n',
        (
            "tool.tiered-ci.domains.a.integration-tests[0]: '/abs' is not a folder inside the "
            'repository; write a repository-relative test folder ("tests/integration/billing")'
        ),
    ),
    (
        '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\nintegration-tests = ["t/a", "t/a/"]\n',
        (
            "tool.tiered-ci.domains.a.integration-tests[1]: 't/a/' is listed twice (also [0]); "
            "list it once"
        ),
    ),
    (
        (
            '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\ntests = ["tests/a/unit"]\n'
            'integration-tests = ["tests/a"]\n'
        ),
        (
            "tool.tiered-ci.domains.a.integration-tests[0]: 'tests/a' holds tests[0] "
            "('tests/a/unit'); list the integration test folder itself (e.g. "
            '"tests/a/integration"), not the unit tests\' folder'
        ),
    ),
    (
        (
            '[tool.tiered-ci.domains.a]\npaths = ["a/**"]\nintegration-tests = ["it/a"]\n'
            '[tool.tiered-ci.domains.b]\npaths = ["b/**"]\nintegration-tests = ["it/a/b"]\n'
        ),
        (
            "tool.tiered-ci.domains.b.integration-tests[0]: 'it/a/b' overlaps "
            "domains.a.integration-tests[0] ('it/a'); an integration test belongs to one "
            "domain: split the folders"
        ),
    ),
    (
        (
            '[tool.tiered-ci.domain-families.p]\nfolders = "packages/*"\n'
            'integration-tests = ["tests/integration"]\n'
        ),
        (
            "tool.tiered-ci.domain-families.p.integration-tests[0]: 'tests/integration' is the "
            'same folder for every package; start it with {folder} (e.g. "{folder}/tests/'
            'integration")'
        ),
    ),
    (
        (
            '[tool.tiered-ci.domain-families.p]\nfolders = "packages/*"\n'
            'integration-tests = ["{fodler}/it"]\n'
        ),
        (
            "tool.tiered-ci.domain-families.p.integration-tests[0]: '{fodler}/it' uses {fodler}; "
            "the templates are {folder} and {name}"
        ),
    ),
    (
        (
            '[tool.tiered-ci.domain-families.p]\nfolders = "packages/*"\n'
            'integration-tests = ["{folder}/tests"]\n'
        ),
        (
            "tool.tiered-ci.domain-families.p.integration-tests[0]: '{folder}/tests' holds "
            "tests[0] ('{folder}/tests'); list the integration test folder itself (e.g. "
            '"{folder}/tests/integration"), not the unit tests\' folder'
        ),
    ),
]


@pytest.mark.parametrize(("table", "message"), BAD)
def test_check_config_exits_2_naming_the_bad_integration_tests_key(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    repo.write("pyproject.toml", "[tool.tiered-ci]\n" + table)
    repo.commit("config")

    code = main(["check-config", "--repo", str(repo.path)])

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.splitlines() == [
        f"tiered-ci check-config: error: {repo.path / 'pyproject.toml'}: {message}"
    ]


def test_check_config_flags_an_integration_folder_that_does_not_exist(
    shop: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.write(
        "pyproject.toml",
        CONFIG.replace('["tests/integration/billing"]', '["tests/integration/bill"]'),
    )
    shop.commit("typo")

    code = main(["check-config", "--repo", str(shop.path)])

    assert code == 1
    assert (
        "tool.tiered-ci.domains.billing.integration-tests[0]: 'tests/integration/bill' "
        "matches no tracked file or folder; fix the path"
    ) in capsys.readouterr().out


def test_a_packages_own_integration_test_selects_only_its_integration_session(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    # The family's paths ({folder}/**) hold the test too; storage has dependents.
    test = "packages/storage/tests/integration/test_catalogue.py"
    packages_repo.write(test, (packages_repo.path / test).read_text() + "# more\n")

    result = plan(packages_repo)

    assert (result["domains"], sessions(result)) == ([], ["domain-integration(storage)"])


def widened(result_sessions: tuple[str, ...], files: tuple[str, ...], text: str) -> list[str]:
    """The sessions `widen_for_impact` adds to a partial plan of `result_sessions` when
    impact selection picks tests in `files`."""
    from tiered_ci._toml import tomllib  # noqa: PLC0415
    from tiered_ci.commands.plan import widen_for_impact  # noqa: PLC0415
    from tiered_ci.impact.select import Selection as ImpactSelection  # noqa: PLC0415
    from tiered_ci.plan import Plan  # noqa: PLC0415

    cfg = config.parse(tomllib.loads(text)["tool"]["tiered-ci"], root=Path("/repo"))
    the_plan = Plan(
        event="pull_request",
        trigger="pull_request",
        base=None,
        head=None,
        mode="partial",
        fallback_reason=None,
        changed=(),
        sessions=result_sessions,
        domains=("billing",),
        services=(),
        matrix=(),
        reasons=(),
    )
    selection = ImpactSelection(
        mode="partial",
        fallback_reason=None,
        map_commit="0" * 40,
        tests=(),
        test_files=files,
        total_tests=len(files),
        reasons=(),
    )
    out = widen_for_impact(the_plan, selection, cfg)
    return list(out.sessions[len(result_sessions) :])


def test_impact_widening_sends_an_owned_integration_test_to_its_domains_session() -> None:
    planned = ("domain-shard(billing)", "domain-integration(billing)")
    assert widened(planned, ("tests/integration/billing/test_ledger.py",), CONFIG) == []
    assert widened(planned, ("tests/integration/shipping/flows/test_delivery.py",), CONFIG) == [
        "domain-integration(shipping)"
    ]
    assert widened(planned, ("tests/integration/test_checkout.py",), CONFIG) == ["integration"]


def test_impact_widening_never_adds_a_session_planned_on_some_python() -> None:
    text = CONFIG.replace('paths = ["tests/unit"]', 'paths = ["tests/unit"]\npython = ["3.12"]')
    planned = ("domain-shard(billing-3.12)", "unit-3.12", "domain-integration(billing-3.12)")
    files = ("tests/unit/test_misc.py", "tests/integration/billing/test_ledger.py")
    assert widened(planned, files, text) == []
