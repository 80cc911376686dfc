"""Duration-balanced sharding: pure functions over `{node_id: seconds}`.

The algorithm is greedy longest-processing-time-first (LPT): units (tests, or
whole files / classes with `group_by`) are taken longest first and each goes
to the shard with the smallest total so far. LPT's makespan is at most
`4/3 - 1/(3N)` times the optimum (Graham, 1969) and in practice within a
fraction of a percent of `max(longest unit, total / N)` once there are many
tests.

Determinism is the contract that makes sharding safe: every CI job and every
pytest-xdist worker computes the split on its own, so the same durations and
the same tests must give the same shards everywhere. Ties are broken by the
unit key (node id), loads tie-break by shard index, and means are taken with
`math.fsum` (correctly rounded, so independent of summation order).

Tests without a recorded duration are estimated from their closest relatives:
the mean of the known tests of the same class, else of the same file, else
of all known tests (1 s each when nothing is known, which balances by count).
The global mean alone costs 13-31% of balance on heavy-tailed suites, because
a new test in a slow integration file is usually slow too.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

__all__ = [
    "GROUP_BY",
    "MAX_SHARDS",
    "UNKNOWN_DEFAULT_SECONDS",
    "GroupBy",
    "Shard",
    "ShardPlan",
    "TargetChoice",
    "choose_shard_count",
    "class_of",
    "estimate",
    "file_of",
    "group_key",
    "plan_shards",
    "shards_needed",
    "tier_durations",
]

GroupBy = Literal["test", "file", "class"]
GROUP_BY: tuple[GroupBy, ...] = ("test", "file", "class")

UNKNOWN_DEFAULT_SECONDS = 1.0  # nothing is known at all: balance by test count

# More shards than this is a typo: a GitHub matrix holds 256 jobs, and every shard costs
# a list here, so 10,000,000 would exhaust memory instead of failing with a message.
MAX_SHARDS = 1000


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based, as in `--shard=K/N`
    seconds: float  # estimated: recorded durations plus estimates for unknown tests
    tests: tuple[str, ...]  # in input (collection) order


@dataclass(frozen=True, slots=True)
class ShardPlan:
    shards: tuple[Shard, ...]
    total_seconds: float
    lower_bound_seconds: float  # max(longest test, total / N): no split can beat it
    makespan_seconds: float  # the slowest shard
    estimated: tuple[str, ...]  # tests placed with an estimate instead of a record

    def to_json(self) -> dict[str, object]:
        """Exactly the `tiered-ci shard --format json` contract (DESIGN section 5)."""
        return {
            "shards": [
                {"index": s.index, "seconds": _round(s.seconds), "tests": list(s.tests)}
                for s in self.shards
            ],
            "total_seconds": _round(self.total_seconds),
            "lower_bound_seconds": _round(self.lower_bound_seconds),
            "makespan_seconds": _round(self.makespan_seconds),
        }


@dataclass(frozen=True, slots=True)
class TargetChoice:
    """The shard count `--target-seconds` picked, and how it compares with the target."""

    plan: ShardPlan
    target_seconds: float
    overhead_seconds: float
    reachable: bool  # False: even the best count exceeds the target

    @property
    def count(self) -> int:
        return len(self.plan.shards)

    @property
    def wall_seconds(self) -> float:
        """Estimated wall time of the sharded run: the slowest shard plus per-job overhead."""
        return self.plan.makespan_seconds + self.overhead_seconds


def _round(seconds: float) -> float:
    return round(seconds, 3)


# --- node ids -------------------------------------------------------------------


def _parts(node_id: str) -> list[str]:
    # Parameter ids may contain "::" (`test_x[a::b]`): split only the part before "[".
    head, bracket, params = node_id.partition("[")
    parts = head.split("::")
    parts[-1] += bracket + params
    return parts


def file_of(node_id: str) -> str:
    return _parts(node_id)[0]


def class_of(node_id: str) -> str | None:
    """`path::Class` (or `path::Outer::Inner`) for a test in a class, else None."""
    parts = _parts(node_id)
    return "::".join(parts[:-1]) if len(parts) > 2 else None


def group_key(node_id: str, group_by: GroupBy) -> str:
    """The unit a test is placed with: itself, its file, or its class.

    With `class`, a test outside any class is its own unit: only a class shares
    class-scoped fixtures, so only a class is worth keeping together.
    """
    if group_by == "file":
        return file_of(node_id)
    if group_by == "class":
        return class_of(node_id) or node_id
    return node_id


# --- estimates ------------------------------------------------------------------


def estimate(
    durations: Mapping[str, float], tests: Sequence[str]
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Seconds for every test, and which of them are estimates (see the module doc)."""
    known = {t: durations[t] for t in tests if t in durations}
    unknown = tuple(t for t in tests if t not in known)
    seconds = dict.fromkeys(tests, 0.0)
    seconds.update(known)
    if not unknown:
        return seconds, ()
    by_class = _means(known, class_of)
    by_file = _means(known, file_of)
    fallback = math.fsum(known.values()) / len(known) if known else UNKNOWN_DEFAULT_SECONDS
    for test in unknown:
        cls = class_of(test)
        guess = by_class.get(cls) if cls is not None else None
        seconds[test] = guess if guess is not None else by_file.get(file_of(test), fallback)
    return seconds, unknown


def _means(known: Mapping[str, float], key: Callable[[str], str | None]) -> dict[str, float]:
    groups: dict[str, list[float]] = {}
    for test, value in known.items():
        group = key(test)
        if group is not None:
            groups.setdefault(group, []).append(value)
    return {group: math.fsum(values) / len(values) for group, values in groups.items()}


# --- the algorithm ---------------------------------------------------------------


# A unit is (seconds, key, tests): plain tuples, because 100,000 of them are built
# per call and a frozen dataclass costs several times more to create.
_Unit = tuple[float, str, tuple[str, ...]]


def _units(seconds: Mapping[str, float], group_by: GroupBy) -> list[_Unit]:
    """Units sorted longest first, ties by key: the order LPT assigns them in."""
    if group_by == "test":
        units: list[_Unit] = [(value, test, (test,)) for test, value in seconds.items()]
    else:
        members: dict[str, list[str]] = {}
        for test in seconds:
            members.setdefault(group_key(test, group_by), []).append(test)
        units = [
            (math.fsum(seconds[t] for t in tests), key, tuple(tests))
            for key, tests in members.items()
        ]
    # Two stable sorts: by key, then by seconds descending (reverse keeps stability).
    units.sort(key=itemgetter(1))
    units.sort(key=itemgetter(0), reverse=True)
    return units


def _assign(units: Sequence[_Unit], count: int) -> tuple[list[float], dict[str, int]]:
    """Shard loads, and the shard (0-based) of every test."""
    # Heap of (load, shard index): the least loaded shard, lowest index on ties.
    heap = [(0.0, index) for index in range(count)]
    loads = [0.0] * count
    shard_of: dict[str, int] = {}
    for seconds, _, tests in units:
        load, index = heapq.heappop(heap)
        loads[index] = load + seconds
        heapq.heappush(heap, (loads[index], index))
        for test in tests:
            shard_of[test] = index
    return loads, shard_of


def _makespan(unit_seconds: Sequence[float], count: int) -> float:
    """LPT's makespan alone (no bookkeeping): the inner loop of the target search."""
    if count >= len(unit_seconds):
        return unit_seconds[0] if unit_seconds else 0.0
    heap = [0.0] * count
    for seconds in unit_seconds:
        heapq.heapreplace(heap, heap[0] + seconds)
    return max(heap)


def _dedupe(tests: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tests))


def plan_shards(
    durations: Mapping[str, float],
    count: int,
    tests: Iterable[str] | None = None,
    group_by: GroupBy = "test",
) -> ShardPlan:
    """Split `tests` (default: every test in `durations`) into `count` shards.

    Every test lands in exactly one shard; shards beyond the number of units
    are returned empty (seconds 0), never dropped. Durations of tests not in
    `tests` are ignored.
    """
    if count < 1:
        raise ValueError(f"shard count must be >= 1, got {count}")
    order = _dedupe(durations if tests is None else tests)
    seconds, estimated = estimate(durations, order)
    return _plan(seconds, _units(seconds, group_by), count, estimated)


def _plan(
    seconds: Mapping[str, float], units: Sequence[_Unit], count: int, estimated: tuple[str, ...]
) -> ShardPlan:
    loads, shard_of = _assign(units, count)
    members: list[list[str]] = [[] for _ in range(count)]
    for test in seconds:  # input order, so each shard keeps collection order
        members[shard_of[test]].append(test)
    shards = tuple(
        Shard(index=index + 1, seconds=loads[index], tests=tuple(members[index]))
        for index in range(count)
    )
    total = math.fsum(seconds.values())
    longest = max(seconds.values(), default=0.0)
    return ShardPlan(
        shards=shards,
        total_seconds=total,
        lower_bound_seconds=max(longest, total / count),
        makespan_seconds=max(loads),
        estimated=estimated,
    )


def choose_shard_count(
    durations: Mapping[str, float],
    target_seconds: float,
    overhead_seconds: float,
    tests: Iterable[str] | None = None,
    group_by: GroupBy = "test",
) -> TargetChoice:
    """The smallest N whose estimated wall time (makespan + overhead) is <= the target.

    When no N reaches the target (the longest unit plus overhead exceeds it),
    the choice is the smallest N that reaches the best possible makespan
    (the longest unit) and `reachable` is False.
    """
    order = _dedupe(durations if tests is None else tests)
    seconds, estimated = estimate(durations, order)
    units = _units(seconds, group_by)
    unit_seconds = [u[0] for u in units]
    total = math.fsum(unit_seconds)
    longest = unit_seconds[0] if unit_seconds else 0.0
    budget = target_seconds - overhead_seconds
    reachable = budget >= longest
    goal = budget if reachable else longest
    count = _smallest_count(unit_seconds, total, goal)
    return TargetChoice(
        plan=_plan(seconds, units, count, estimated),
        target_seconds=target_seconds,
        overhead_seconds=overhead_seconds,
        reachable=reachable,
    )


def _smallest_count(unit_seconds: Sequence[float], total: float, goal: float) -> int:
    # No N below total/goal can work (a shard holds at least total/N), so search
    # upward from there; N = number of units always reaches the longest unit.
    if not unit_seconds or total <= goal:
        return 1
    tolerance = goal * 1e-9
    count = max(1, math.ceil(total / goal - 1e-9))
    while count < len(unit_seconds) and _makespan(unit_seconds, count) > goal + tolerance:
        count += 1
    return min(count, len(unit_seconds))


# --- helpers for the planner ------------------------------------------------------


def tier_durations(durations: Mapping[str, float], test_paths: Sequence[str]) -> dict[str, float]:
    """The durations of the tests under a tier's `paths` (folders, files or node ids).

    A node id belongs to path `p` when it is `p` itself, or starts with `p/`
    (a folder) or `p::` (a file or class). Paths are compared as written in
    node ids: relative to the rootdir, `/`-separated; a leading `./` and a
    trailing `/` are ignored. An empty `test_paths` means the whole suite
    (pytest's own `testpaths`), so every duration is returned.
    """
    prefixes = [_clean(p) for p in test_paths]
    if not prefixes or "" in prefixes:
        return dict(durations)
    return {
        node_id: seconds
        for node_id, seconds in durations.items()
        if any(_under(node_id, prefix) for prefix in prefixes)
    }


def _clean(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return "" if path in (".", "/") else path.rstrip("/")


def _under(node_id: str, prefix: str) -> bool:
    return node_id == prefix or node_id.startswith((prefix + "/", prefix + "::"))


def shards_needed(
    durations: Mapping[str, float], target_seconds: float, overhead_seconds: float
) -> int:
    """How many shards a tier needs so that makespan + overhead <= `target_seconds`.

    Contract for the planner: `durations` are the tier's own tests (see
    `tier_durations`); returns 1 when one job already meets the target (or
    there are no durations); returns the smallest count that meets it
    otherwise; when the target is unreachable (longest test + overhead above
    it), returns the smallest count that achieves the best possible makespan.
    The plan then emits one matrix entry per shard K = 1..N:
    `{"session": "<tier>", "args": "--shard=K/N"}`.
    """
    return choose_shard_count(durations, target_seconds, overhead_seconds).count
