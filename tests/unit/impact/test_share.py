"""A test session's share of an impact selection: the lines of the step summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiered_ci.config import Config, parse
from tiered_ci.impact.share import plan_section, session_line, session_tests

TABLE: dict[str, object] = {
    "tiers": {"unit": {"paths": ["tests"]}, "integration": {"paths": ["tests/integration"]}},
    "domains": {
        "api": {
            "paths": ["src/api/**"],
            "tests": ["tests/api"],
            "integration-tests": ["tests/api/integration"],
        },
        "web": {"paths": ["src/web/**"], "tests": ["tests/web"]},
    },
}

TESTS = (
    "tests/api/test_a.py::test_1",
    "tests/api/test_a.py::test_2",
    "tests/api/integration/test_i.py::test_3",
    "tests/web/test_w.py::test_4",
    "tests/test_rest.py::test_5",
    "tests/integration/test_flow.py::test_6",
)


@pytest.fixture
def config() -> Config:
    return parse(TABLE, root=Path())


def _selection(selected: set[str], mode: str = "partial") -> dict[str, object]:
    return {
        "version": 1,
        "mode": mode,
        "fallback_reason": "the map is too old" if mode == "all" else None,
        "tests": sorted(selected) if mode != "all" else list(TESTS),
        "unaffected_tests": [] if mode == "all" else [t for t in TESTS if t not in selected],
        "total_tests": len(TESTS),
        "reasons": [{"path": "src/api/a.py", "why": "f() changed: 2 tests executed it"}],
    }


@pytest.mark.parametrize(
    ("session", "args", "expected"),
    [
        ("unit", "", set(TESTS)),
        ("unit-3.12", "--ignore=tests/api --ignore=tests/web", {TESTS[4], TESTS[5]}),
        ("integration", "", {TESTS[5]}),
        ("domain-shard(api)", "", {TESTS[0], TESTS[1]}),
        ("domain-shard(api-3.12)", "", {TESTS[0], TESTS[1]}),
        ("domain-integration(api)", "", {TESTS[2]}),
        ("domain-shard(web)", "", {TESTS[3]}),
    ],
)
def test_each_session_runs_its_paths_minus_what_it_leaves_out(
    config: Config, session: str, args: str, expected: set[str]
) -> None:
    tests = session_tests(config, session, args.split())
    assert tests is not None
    assert {t for t in TESTS if tests.runs(t)} == expected


@pytest.mark.parametrize("session", ["lint", "quick", "domain-shard(gone)", "full-e2e"])
def test_other_sessions_have_no_share(config: Config, session: str) -> None:
    assert session_tests(config, session) is None


def test_the_line_counts_the_sessions_tests_only(config: Config) -> None:
    selection = _selection({TESTS[0], TESTS[3]})
    api = session_tests(config, "domain-shard(api)")
    assert session_line("domain-shard(api)", selection, api) == (
        "**domain-shard(api)**: impact: 1 of 2 tests, because `f() changed: 2 tests executed it`"
    )
    integration = session_tests(config, "domain-integration(api)")
    assert session_line("domain-integration(api)", selection, integration) == (
        "**domain-integration(api)**: impact: 0 of 1 tests, because no change reaches its tests"
    )
    assert session_line("unit", selection, None).startswith("**unit**: impact: 2 of 6 tests")


def test_a_fallback_runs_all_of_the_sessions_tests(config: Config) -> None:
    web = session_tests(config, "domain-shard(web)")
    assert session_line("domain-shard(web)", _selection(set(), "all"), web) == (
        "**domain-shard(web)**: impact: all 1 tests, because `the map is too old`"
    )


def test_a_reason_naming_a_hostile_path_stays_text(config: Config) -> None:
    selection = _selection({TESTS[0]})
    selection["reasons"] = [{"path": "<img src=x>.py", "why": "<img src=x>.py: new module"}]
    line = session_line("unit", selection, session_tests(config, "unit"))
    assert line.endswith("because `<img src=x>.py: new module`")


def test_the_plan_section_has_one_line_per_test_session_of_the_matrix(config: Config) -> None:
    matrix = [
        ("lint", ""),
        ("domain-shard(api)", "--shard=1/2"),
        ("domain-shard(api)", "--shard=2/2"),
        ("unit", "--ignore=tests/api --ignore=tests/web"),
    ]
    section = plan_section("impact: 2 of 6 tests", _selection({TESTS[0], TESTS[4]}), matrix, config)
    assert section.splitlines() == [
        "",
        "`impact: 2 of 6 tests`",
        "",
        "- **domain-shard(api)**: impact: 1 of 2 tests, because `f() changed: 2 tests executed it`",
        "- **unit**: impact: 1 of 2 tests, because `f() changed: 2 tests executed it`",
    ]
    assert plan_section("impact: no map", None, matrix, config) == "\n`impact: no map`\n\n"
