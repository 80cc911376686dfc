from __future__ import annotations

import pytest

from tiered_ci import shard


def members(plan: shard.ShardPlan) -> list[tuple[str, ...]]:
    return [s.tests for s in plan.shards]


@pytest.mark.critical
def test_ties_are_broken_by_node_id_and_tests_keep_input_order() -> None:
    durations = {"t.py::b": 1.0, "t.py::a": 1.0, "t.py::d": 1.0, "t.py::c": 1.0}

    plan = shard.plan_shards(durations, 2)

    # Assigned in node-id order a, b, c, d to the least loaded shard (lowest index on ties).
    assert members(plan) == [("t.py::a", "t.py::c"), ("t.py::b", "t.py::d")]
    assert [s.seconds for s in plan.shards] == [2.0, 2.0]


def test_same_shards_whatever_the_input_order() -> None:
    durations = {f"t.py::test_{i}": float(i % 4) for i in range(20)}
    reordered = dict(reversed(durations.items()))

    forward = [set(s) for s in members(shard.plan_shards(durations, 3))]
    backward = [set(s) for s in members(shard.plan_shards(reordered, 3))]

    assert forward == backward


@pytest.mark.critical
def test_longest_first_greedy() -> None:
    durations = {"a::t1": 7.0, "a::t2": 5.0, "a::t3": 4.0, "a::t4": 3.0, "a::t5": 1.0}

    plan = shard.plan_shards(durations, 2)

    # 7 -> 1, 5 -> 2, 4 -> 2 (9), 3 -> 1 (10), 1 -> 2 (10)
    assert members(plan) == [("a::t1", "a::t4"), ("a::t2", "a::t3", "a::t5")]
    assert plan.total_seconds == 20.0
    assert plan.lower_bound_seconds == 10.0
    assert plan.makespan_seconds == 10.0


def test_a_test_longer_than_total_over_n_gets_a_shard_of_its_own() -> None:
    durations = {"big.py::t": 10.0} | {f"small.py::t{i}": 1.0 for i in range(5)}

    plan = shard.plan_shards(durations, 3)

    assert plan.shards[0].tests == ("big.py::t",)
    assert plan.lower_bound_seconds == 10.0  # the longest test, above total / N = 5
    assert plan.makespan_seconds == 10.0
    assert sorted(len(s.tests) for s in plan.shards[1:]) == [2, 3]


def test_one_test() -> None:
    plan = shard.plan_shards({"a.py::t": 2.5}, 1)

    assert plan.to_json() == {
        "shards": [{"index": 1, "seconds": 2.5, "tests": ["a.py::t"]}],
        "total_seconds": 2.5,
        "lower_bound_seconds": 2.5,
        "makespan_seconds": 2.5,
    }


@pytest.mark.critical
def test_more_shards_than_tests_reports_empty_shards() -> None:
    plan = shard.plan_shards({"a.py::t1": 2.0, "a.py::t2": 1.0}, 4)

    assert plan.to_json() == {
        "shards": [
            {"index": 1, "seconds": 2.0, "tests": ["a.py::t1"]},
            {"index": 2, "seconds": 1.0, "tests": ["a.py::t2"]},
            {"index": 3, "seconds": 0.0, "tests": []},
            {"index": 4, "seconds": 0.0, "tests": []},
        ],
        "total_seconds": 3.0,
        "lower_bound_seconds": 2.0,
        "makespan_seconds": 2.0,
    }


def test_no_tests_at_all() -> None:
    plan = shard.plan_shards({}, 2)

    assert members(plan) == [(), ()]
    assert (plan.total_seconds, plan.lower_bound_seconds, plan.makespan_seconds) == (0, 0, 0)


def test_shard_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^shard count must be >= 1, got 0$"):
        shard.plan_shards({"a.py::t": 1.0}, 0)


def test_durations_of_tests_no_longer_collected_are_ignored() -> None:
    durations = {"a.py::gone": 100.0, "a.py::t1": 1.0, "a.py::t2": 1.0}

    plan = shard.plan_shards(durations, 2, tests=["a.py::t1", "a.py::t2"])

    assert members(plan) == [("a.py::t1",), ("a.py::t2",)]
    assert plan.total_seconds == 2.0


def test_duplicate_tests_are_placed_once() -> None:
    plan = shard.plan_shards({}, 2, tests=["a.py::t", "a.py::t", "a.py::u"])

    assert members(plan) == [("a.py::t",), ("a.py::u",)]


# --- estimates for unknown tests ------------------------------------------------------


def test_unknown_test_gets_the_mean_of_its_class() -> None:
    durations = {"a.py::TestX::t1": 10.0, "a.py::TestX::t2": 20.0, "a.py::t3": 90.0}

    seconds, estimated = shard.estimate(durations, [*durations, "a.py::TestX::new"])

    assert seconds["a.py::TestX::new"] == 15.0
    assert estimated == ("a.py::TestX::new",)


def test_unknown_test_gets_the_mean_of_its_file_when_its_class_is_unknown() -> None:
    durations = {"a.py::t1": 10.0, "a.py::t2": 20.0, "b.py::t": 300.0}

    seconds, _ = shard.estimate(durations, [*durations, "a.py::new", "a.py::TestNew::t"])

    assert seconds["a.py::new"] == 15.0
    assert seconds["a.py::TestNew::t"] == 15.0


def test_unknown_test_in_an_unknown_file_gets_the_global_mean() -> None:
    durations = {"a.py::t1": 10.0, "b.py::t": 50.0}

    seconds, _ = shard.estimate(durations, [*durations, "c.py::new"])

    assert seconds["c.py::new"] == 30.0


def test_the_mean_counts_only_tests_still_collected() -> None:
    durations = {"a.py::gone": 1000.0, "a.py::t1": 2.0}

    seconds, _ = shard.estimate(durations, ["a.py::t1", "a.py::new"])

    assert seconds["a.py::new"] == 2.0


def test_nothing_known_balances_by_count() -> None:
    plan = shard.plan_shards({}, 2, tests=[f"a.py::t{i}" for i in range(5)])

    assert [len(s.tests) for s in plan.shards] == [3, 2]
    assert plan.total_seconds == 5.0
    assert len(plan.estimated) == 5


# --- grouping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node_id", "file", "cls"),
    [
        ("tests/a.py::test_x", "tests/a.py", None),
        ("tests/a.py::TestX::test_y", "tests/a.py", "tests/a.py::TestX"),
        ("tests/a.py::TestX::TestIn::test_y[1]", "tests/a.py", "tests/a.py::TestX::TestIn"),
        ("tests/a.py::test_x[a::b]", "tests/a.py", None),
        ("tests/a.py::TestX::test_x[a::b::c]", "tests/a.py", "tests/a.py::TestX"),
    ],
)
def test_node_id_parts(node_id: str, file: str, cls: str | None) -> None:
    assert shard.file_of(node_id) == file
    assert shard.class_of(node_id) == cls


def test_group_by_file_keeps_each_file_in_one_shard() -> None:
    durations = {f"f{f}.py::t{i}": 1.0 + f for f in range(3) for i in range(4)}

    plan = shard.plan_shards(durations, 3, group_by="file")

    assert [{shard.file_of(t) for t in s.tests} for s in plan.shards] == [
        {"f2.py"},
        {"f1.py"},
        {"f0.py"},
    ]
    assert plan.makespan_seconds == 12.0
    assert plan.lower_bound_seconds == 8.0  # per test: grouping costs balance here


def test_group_by_class_keeps_classes_together_and_places_functions_freely() -> None:
    durations = {
        "a.py::TestX::t1": 3.0,
        "a.py::TestX::t2": 3.0,
        "a.py::f1": 2.0,
        "a.py::f2": 2.0,
        "a.py::f3": 2.0,
    }

    plan = shard.plan_shards(durations, 2, group_by="class")

    assert members(plan) == [
        ("a.py::TestX::t1", "a.py::TestX::t2"),
        ("a.py::f1", "a.py::f2", "a.py::f3"),
    ]


# --- target seconds -----------------------------------------------------------------------


def test_target_picks_the_smallest_count_that_fits() -> None:
    durations = {f"a.py::t{i}": 10.0 for i in range(12)}  # 120 s

    choice = shard.choose_shard_count(durations, target_seconds=70, overhead_seconds=30)

    # 40 s of budget: 3 shards of 40 s fit, 2 shards of 60 s do not.
    assert choice.count == 3
    assert choice.reachable
    assert choice.wall_seconds == 70.0


def test_target_unreachable_gives_the_best_count() -> None:
    durations = {"a.py::long": 50.0} | {f"a.py::t{i}": 10.0 for i in range(10)}

    choice = shard.choose_shard_count(durations, target_seconds=60, overhead_seconds=30)

    # The long test alone needs 50 + 30 s; 3 shards already reach a 50 s makespan.
    assert not choice.reachable
    assert choice.count == 3
    assert choice.plan.makespan_seconds == 50.0


def test_target_below_the_overhead_is_unreachable() -> None:
    choice = shard.choose_shard_count({"a.py::t": 1.0}, target_seconds=10, overhead_seconds=30)

    assert not choice.reachable
    assert choice.count == 1


@pytest.mark.critical
def test_shards_needed_is_one_under_target() -> None:
    assert shard.shards_needed({"a.py::t": 10.0}, 60, 30) == 1
    assert shard.shards_needed({}, 60, 30) == 1


def test_shards_needed_grows_with_the_suite() -> None:
    durations = {f"a.py::t{i}": 1.0 for i in range(300)}

    assert shard.shards_needed(durations, 130, 30) == 3
    assert shard.shards_needed(durations, 129, 30) == 4


# --- tiers ----------------------------------------------------------------------------------


def test_tier_durations_selects_by_folder_file_and_class() -> None:
    durations = {
        "tests/unit/a.py::t": 1.0,
        "tests/unit/sub/b.py::T::t": 2.0,
        "tests/unitx/c.py::t": 3.0,
        "tests/integration/d.py::t": 4.0,
        "tests/e2e/e.py::TestE::t": 5.0,
        "tests/e2e/e.py::TestF::t": 6.0,
    }

    assert shard.tier_durations(durations, ["./tests/unit/", "tests/e2e/e.py::TestE"]) == {
        "tests/unit/a.py::t": 1.0,
        "tests/unit/sub/b.py::T::t": 2.0,
        "tests/e2e/e.py::TestE::t": 5.0,
    }
    assert shard.tier_durations(durations, ["tests/integration/d.py"]) == {
        "tests/integration/d.py::t": 4.0
    }


def test_tier_without_paths_is_the_whole_suite() -> None:
    durations = {"tests/a.py::t": 1.0, "other/b.py::t": 2.0}

    assert shard.tier_durations(durations, []) == durations
    assert shard.tier_durations(durations, ["."]) == durations
