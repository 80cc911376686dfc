from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tiered_ci import config, shard
from tiered_ci import durations as store
from tiered_ci.errors import InputError

__all__ = ["HELP", "add_arguments", "describe_choice", "render_text", "run"]

HELP = """\
Split tests into duration-balanced shards (greedy longest-first, deterministic).

Reads recorded durations ({node_id: seconds}, the pytest-split format written
by `pytest --record-durations`) and prints which tests each shard runs.
Tests named by --tests-from but not recorded are estimated: the mean of the
same class, else of the same file, else of every known test.

--group-by file|class keeps a file or class in one shard, so its module- or
class-scoped fixtures are set up once instead of once per shard. The cost is
balance: a unit can only be as small as its file or class, so the slowest
shard is at least the slowest file (compare makespan_seconds with
lower_bound_seconds, which is computed per test, to see what grouping costs).

--target-seconds S picks the smallest shard count whose estimated wall time
(slowest shard + shard-overhead-seconds for job start-up) is at most S; the
choice is reported on stderr, and when S is unreachable the best count is used.
"""


def _shard_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= shard.MAX_SHARDS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 1 to {shard.MAX_SHARDS}, got {text!r}"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--durations",
        type=Path,
        metavar="FILE",
        help="durations JSON (default: [tool.tiered-ci] durations, '.test_durations', "
        "under --repo)",
    )
    count = parser.add_mutually_exclusive_group(required=True)
    count.add_argument("--shards", type=_shard_count, metavar="N", help="number of shards")
    count.add_argument(
        "--target-seconds",
        type=_seconds,
        metavar="S",
        help="pick the smallest shard count whose estimated wall time is at most S",
    )
    parser.add_argument(
        "--tests-from",
        type=Path,
        metavar="FILE",
        help="the tests to place, one node id a line (`pytest --collect-only -q` output); "
        "default: every test in the durations file",
    )
    parser.add_argument(
        "--group-by",
        choices=shard.GROUP_BY,
        default="test",
        help="unit kept in one shard (default: test); file/class cost balance, see above",
    )
    parser.add_argument(
        "--shard-overhead-seconds",
        type=_seconds,
        metavar="S",
        help="per-shard start-up cost added with --target-seconds "
        "(default: [tool.tiered-ci] shard-overhead-seconds, 30)",
    )
    parser.add_argument(
        "--format", choices=("json", "text"), default="json", help="json (default) or a table"
    )
    parser.add_argument(
        "--repo", type=Path, default=Path(), metavar="DIR", help="repository root (default: .)"
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="config file (default: DIR/pyproject.toml)"
    )


def run(args: argparse.Namespace) -> int:
    tests = _tests(args.tests_from)
    durations = _durations(args, allow_missing=tests is not None)
    if args.shards is not None:
        plan = shard.plan_shards(durations, args.shards, tests, args.group_by)
    else:
        overhead = args.shard_overhead_seconds
        if overhead is None:
            overhead = _config(args).shard_overhead_seconds
        choice = shard.choose_shard_count(
            durations, args.target_seconds, overhead, tests, args.group_by
        )
        print(describe_choice(choice), file=sys.stderr)
        plan = choice.plan
    if plan.estimated:
        print(
            f"tiered-ci shard: {len(plan.estimated)} test(s) have no recorded duration; "
            "estimated from their class, file or suite mean",
            file=sys.stderr,
        )
    print(json.dumps(plan.to_json(), indent=2) if args.format == "json" else render_text(plan))
    return 0


def _config(args: argparse.Namespace) -> config.Config:
    return config.load(args.repo, args.config)


def _tests(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    return store.parse_node_ids(store.read_text(path, "tests file"), str(path))


def _durations(args: argparse.Namespace, *, allow_missing: bool) -> dict[str, float]:
    path: Path | None = args.durations
    if path is None:
        path = args.repo / _config(args).durations
    if allow_missing and not path.exists():
        print(
            f"tiered-ci shard: {path}: no durations recorded yet; every test counts "
            f"{shard.UNKNOWN_DEFAULT_SECONDS:g} s ({store.RECORD_HINT})",
            file=sys.stderr,
        )
        return {}
    if path.is_dir():
        raise InputError(f"{path}: is a directory; --durations expects a JSON file")
    return store.read(path)


def describe_choice(choice: shard.TargetChoice) -> str:
    plan = choice.plan
    estimate = (
        f"estimated wall time {choice.wall_seconds:.1f} s (slowest shard "
        f"{plan.makespan_seconds:.1f} s + {choice.overhead_seconds:g} s overhead)"
    )
    if choice.reachable:
        return (
            f"tiered-ci shard: {choice.count} shard(s): {estimate} <= target "
            f"{choice.target_seconds:g} s"
        )
    return (
        f"tiered-ci shard: target {choice.target_seconds:g} s is unreachable: the slowest "
        f"unit alone takes {plan.makespan_seconds:.1f} s + {choice.overhead_seconds:g} s "
        f"overhead; best: {choice.count} shard(s), {estimate}"
    )


def render_text(plan: shard.ShardPlan) -> str:
    lines = [f"{'shard':>5}  {'tests':>6}  {'seconds':>10}  {'of makespan':>11}"]
    for s in plan.shards:
        share = s.seconds / plan.makespan_seconds if plan.makespan_seconds else 0.0
        note = "  (empty)" if not s.tests else ""
        lines.append(f"{s.index:>5}  {len(s.tests):>6}  {s.seconds:>10.1f}  {share:>10.0%}{note}")
    ratio = plan.makespan_seconds / plan.lower_bound_seconds if plan.lower_bound_seconds else 1.0
    lines.append(
        f"total {plan.total_seconds:.1f} s; makespan {plan.makespan_seconds:.1f} s; "
        f"lower bound {plan.lower_bound_seconds:.1f} s (makespan / lower bound {ratio:.3f})"
    )
    return "\n".join(lines)
