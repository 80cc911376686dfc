from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiered_ci import shard

node_ids = st.builds(
    "{}.py::{}{}".format,
    st.sampled_from(["a", "b", "c", "dir/d"]),
    st.sampled_from(["", "TestK::", "TestL::"]),
    st.text("xyz_[]:", min_size=1, max_size=6),
)
seconds = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
suites = st.dictionaries(node_ids, seconds, max_size=60)
group_bys = st.sampled_from(shard.GROUP_BY)
EPSILON = 1e-6


@given(suites, st.integers(1, 12), group_bys)
def test_every_test_lands_in_exactly_one_shard(
    durations: dict[str, float], count: int, group_by: shard.GroupBy
) -> None:
    plan = shard.plan_shards(durations, count, group_by=group_by)

    placed = [t for s in plan.shards for t in s.tests]
    assert sorted(placed) == sorted(durations)
    assert [s.index for s in plan.shards] == list(range(1, count + 1))


@given(suites, st.integers(1, 12))
def test_makespan_is_within_the_list_scheduling_bound(
    durations: dict[str, float], count: int
) -> None:
    plan = shard.plan_shards(durations, count)
    longest = max(durations.values(), default=0.0)

    # Graham: any greedy list schedule ends by total/N + (1 - 1/N) * longest.
    bound = plan.total_seconds / count + (1 - 1 / count) * longest
    assert plan.lower_bound_seconds - EPSILON <= plan.makespan_seconds <= bound + EPSILON
    assert plan.makespan_seconds == max(s.seconds for s in plan.shards)


def optimum(values: list[float], count: int) -> float:
    best = math.inf
    for assignment in itertools.product(range(count), repeat=len(values)):
        loads = [0.0] * count
        for value, index in zip(values, assignment, strict=True):
            loads[index] += value
        best = min(best, max(loads))
    return best


@given(st.lists(seconds, min_size=1, max_size=7), st.integers(1, 3))
def test_makespan_is_within_lpt_bound_of_the_optimum(values: list[float], count: int) -> None:
    durations = {f"a.py::t{i}": value for i, value in enumerate(values)}

    plan = shard.plan_shards(durations, count)

    # Graham 1969: LPT <= (4/3 - 1/(3N)) * OPT.
    assert plan.makespan_seconds <= (4 / 3 - 1 / (3 * count)) * optimum(values, count) + EPSILON


@given(suites, st.integers(1, 8), st.randoms(use_true_random=False), group_bys)
def test_the_split_does_not_depend_on_input_order(
    durations: dict[str, float], count: int, rng: random.Random, group_by: shard.GroupBy
) -> None:
    items = list(durations.items())
    rng.shuffle(items)

    first = shard.plan_shards(durations, count, group_by=group_by)
    second = shard.plan_shards(dict(items), count, group_by=group_by)

    assert [set(s.tests) for s in first.shards] == [set(s.tests) for s in second.shards]
    assert [s.seconds for s in first.shards] == [s.seconds for s in second.shards]


@given(suites, st.sets(node_ids, max_size=10), st.integers(1, 6))
def test_unknown_tests_are_placed_too(
    durations: dict[str, float], extra: set[str], count: int
) -> None:
    tests = [*durations, *sorted(extra)]

    plan = shard.plan_shards(durations, count, tests=tests)

    assert sorted(t for s in plan.shards for t in s.tests) == sorted(set(tests))
    assert set(plan.estimated) == set(extra) - set(durations)


@given(suites, st.floats(0, 5000), st.floats(0, 100))
def test_target_choice_is_the_smallest_count_that_fits(
    durations: dict[str, float], target: float, overhead: float
) -> None:
    choice = shard.choose_shard_count(durations, target, overhead)

    if choice.reachable:
        assert choice.wall_seconds <= target * (1 + 1e-9) + EPSILON
        if choice.count > 1:
            smaller = shard.plan_shards(durations, choice.count - 1)
            assert smaller.makespan_seconds + overhead > target
    else:
        # makespans are reported rounded (see shard._round); compare at that precision
        assert choice.plan.makespan_seconds == pytest.approx(
            max(durations.values(), default=0.0), abs=1e-6
        )
