"""The sessions' pure decisions (tiered_ci.sessions): tier arguments, shard ids, the budget verdict, the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiered_ci import environments, sessions
from tiered_ci.model import Install, Tier


def no_groups(folder: str, name: str) -> list[str]:
    raise AssertionError(f"no group expected, got {folder}:{name}")


def needs(**results: str) -> str:
    return json.dumps({job: {"result": result, "outputs": {}} for job, result in results.items()})


# --- gate -------------------------------------------------------------------------------


@pytest.mark.critical
def test_gate_passes_when_every_job_succeeded() -> None:
    assert sessions.gate_problems(needs(plan="success", quick="success", run="success")) == []


@pytest.mark.critical
def test_gate_passes_a_job_skipped_because_the_plan_selected_nothing() -> None:
    verdict = sessions.gate_problems(
        needs(plan="success", quick="success", run="skipped", coverage="skipped")
    )
    assert verdict == []


@pytest.mark.critical
def test_gate_fails_on_failed_and_cancelled_jobs() -> None:
    verdict = sessions.gate_problems(
        needs(plan="success", quick="failure", run="cancelled", coverage="skipped")
    )
    assert verdict == ["quick: failure", "run: cancelled"]


@pytest.mark.critical
@pytest.mark.parametrize("result", ["failure", "cancelled", "skipped"])
def test_gate_fails_when_the_plan_did_not_succeed(result: str) -> None:
    # The run job is skipped when the plan fails; skipped must not read as passed here.
    verdict = sessions.gate_problems(needs(plan=result, quick="success", run="skipped"))
    assert verdict == [f"plan: {result} (no trustworthy plan: everything must run)"]


@pytest.mark.parametrize(
    ("needs_json", "message"),
    [
        (None, "NEEDS_JSON is empty: pass `NEEDS_JSON: ${{ toJSON(needs) }}` to the gate step"),
        ("", "NEEDS_JSON is empty: pass `NEEDS_JSON: ${{ toJSON(needs) }}` to the gate step"),
        ("{}", "NEEDS_JSON names no job: list the gated jobs in the gate job's needs"),
        ("[]", "NEEDS_JSON names no job: list the gated jobs in the gate job's needs"),
    ],
)
def test_gate_fails_without_trustworthy_input(needs_json: str | None, message: str) -> None:
    assert sessions.gate_problems(needs_json) == [message]


def test_gate_fails_on_unparsable_input() -> None:
    assert sessions.gate_problems("{not json") == [
        (
            "NEEDS_JSON is not JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)); pass toJSON(needs)"
        )
    ]


def test_gate_fails_on_an_unknown_result() -> None:
    assert sessions.gate_problems(json.dumps({"plan": {"result": "success"}, "run": {}})) == [
        "run: None"
    ]


# --- tiers, shards, file names ------------------------------------------------------------


@pytest.mark.smoke
def test_tier_args_from_config() -> None:
    tier = Tier("unit", paths=("tests/unit",), markers="not slow", workers="auto")
    assert sessions.tier_args(tier) == ["tests/unit", "-m", "not slow", "-n", "auto"]
    assert sessions.tier_args(tier, paths=["tests/unit/api"]) == [
        "tests/unit/api",
        "-m",
        "not slow",
        "-n",
        "auto",
    ]
    assert sessions.tier_args(Tier("t", workers=2)) == ["-n", "2"]
    assert sessions.tier_args(Tier("t")) == []


@pytest.mark.parametrize(
    ("posargs", "index"),
    [
        ([], None),
        (["--shard=2/4"], "2"),
        (["-x", "--shard", "3/4"], "3"),
        (["--shard=two/4"], None),
        (["--shard"], None),
        (["--sharding=1/2"], None),
    ],
)
def test_shard_index(posargs: list[str], index: str | None) -> None:
    assert sessions.shard_index(posargs) == index


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("name", "posargs", "slug"),
    [
        ("unit", [], "unit"),
        ("unit", ["--shard=2/4"], "unit.2"),
        ("domain-shard(planner)", [], "domain-shard-planner"),
        ("domain-shard(d0_gateway)", ["--shard=1/3"], "domain-shard-d0_gateway.1"),
        ("full-e2e", ["-x"], "full-e2e"),
    ],
)
def test_data_slug_is_a_safe_file_name(name: str, posargs: list[str], slug: str) -> None:
    assert sessions.data_slug(name, posargs) == slug


# --- budget and coverage -----------------------------------------------------------------


@pytest.mark.critical
def test_budget_verdict_says_over_budget_loudly() -> None:
    assert sessions.budget_verdict(75.24, 60) == (
        True,
        (
            "OVER BUDGET: the quick tier took 75.2 s, more than its 60 s budget "
            "(tool.tiered-ci.tiers.quick.budget-seconds); move slow tests out of the quick "
            "markers or raise the budget"
        ),
    )


def test_budget_verdict_within_budget_and_unset() -> None:
    assert sessions.budget_verdict(12.0, 60) == (
        False,
        "quick tier took 12.0 s, within its 60 s budget",
    )
    assert sessions.budget_verdict(60.0, 60) == (
        False,
        "quick tier took 60.0 s, within its 60 s budget",
    )
    assert sessions.budget_verdict(3.0, None) == (
        False,
        "quick tier took 3.0 s (no budget: set tool.tiered-ci.tiers.quick.budget-seconds)",
    )


def test_coverage_floor_applies_only_to_whole_suite_data() -> None:
    assert sessions.coverage_enforced([".coverage.full-e2e.vm.pid1.X"])
    assert not sessions.coverage_enforced([".coverage.domain-shard-planner.vm.pid1.X"])
    assert not sessions.coverage_enforced([])


# --- installing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "spec", "expected"),
    [
        # tiered-ci itself: the project is tiered-ci, installed once.
        (True, ["-e", "."], ["-e", "."]),
        (False, ["-e", "."], ["-e", "."]),
        # An editable spec keeps its -e although the project is `-e .` too.
        (True, ["-e", "../tiered-ci"], ["-e", ".", "-e", "../tiered-ci"]),
        (True, ["/src/tiered-ci"], ["-e", ".", "/src/tiered-ci"]),
        (False, ["tiered-ci==0.1.0"], ["tiered-ci==0.1.0"]),
    ],
)
def test_tiered_ci_spec_is_added_whole(*, root: bool, spec: list[str], expected: list[str]) -> None:
    result = environments.env_spec(
        Install(root=root), has_project=True, groups=no_groups, tiered_ci=spec
    )
    assert result.commands == (tuple(expected),)


@pytest.mark.parametrize(
    ("posargs", "plan", "tests"),
    [
        ([], [], []),
        (["--base", "main"], ["--base", "main"], []),
        (["--base", "main", "--", "-x"], ["--base", "main"], ["-x"]),
        (["--", "-x", "-k", "a"], [], ["-x", "-k", "a"]),
    ],
)
def test_ci_posargs_split_planner_flags_from_pytest_ones(
    posargs: list[str], plan: list[str], tests: list[str]
) -> None:
    assert sessions.split_posargs(posargs) == (plan, tests)


@pytest.mark.parametrize(
    ("direct_url", "spec"),
    [
        (None, ["tiered-ci==0.2.0"]),
        (
            {"url": "file:///src/tiered-ci", "dir_info": {"editable": True}},
            ["-e", "/src/tiered-ci"],
        ),
        ({"url": "file:///src/tiered%20ci", "dir_info": {}}, ["/src/tiered ci"]),
        (
            {"url": "file:///w/tiered_ci-0.2.0-py3-none-any.whl", "archive_info": {}},
            ["/w/tiered_ci-0.2.0-py3-none-any.whl"],
        ),
        (
            {
                "url": "https://example.invalid/t.git",
                "vcs_info": {"vcs": "git", "commit_id": "abc"},
            },
            ["tiered-ci @ git+https://example.invalid/t.git@abc"],
        ),
    ],
)
def test_sessions_install_the_tiered_ci_that_runs_nox(
    direct_url: dict[str, object] | None, spec: list[str]
) -> None:
    assert sessions.self_install_spec("0.2.0", direct_url) == spec


def test_marker_names_are_the_tiers_m_expression_words() -> None:
    args = ["tests", "-m", "(critical or smoke) and not slow", "-n", "2"]
    assert sessions.marker_names(args) == ["critical", "smoke", "slow"]
    assert sessions.marker_names(["-m", "mark(key=1)"]) == ["mark", "key"]
    assert sessions.marker_names(["tests", "-n", "2"]) == []
    assert sessions.marker_names(["-m"]) == []  # a trailing flag names nothing


def test_the_marker_plugin_reads_the_variable_the_session_sets() -> None:
    from tiered_ci import nox as tiered_nox  # noqa: PLC0415 - nox only here

    plugin = Path(tiered_nox.__file__).parent / "_pytest_markers" / "_tiered_ci_markers.py"
    assert f'VARIABLE = "{tiered_nox.MARKERS_VARIABLE}"' in plugin.read_text(encoding="utf-8")
