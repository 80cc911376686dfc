"""Shard balance and speed: tiered-ci's LPT against pytest-split's two algorithms.

Balance is makespan / lower bound, where lower bound = max(longest test,
total / N): 1.00 is a perfect split. Makespans are always measured with the
TRUE durations of the tests each algorithm put in a shard, so a bad estimate
for unrecorded tests shows up as imbalance, as it would in CI.

Suites: (a) this repository's own `.test_durations` (record it with
`pytest -p tiered_ci.pytest_plugin --record-durations`), (b) a synthetic long-tail suite of
10,000 tests (per-file log-normal scale, log-normal tests, fixed seed), once
fully recorded and once with 10% of its tests new (not in the durations file).

Speed: `plan_shards` on 100,000 tests against `json.load` of the same file, in
process and as a `tiered-ci shard` subprocess against a bare `python -c` load.

Run: python benchmarks/bench_shard.py
"""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from tiered_ci import durations as store  # noqa: E402 - after the path set-up above
from tiered_ci import shard  # noqa: E402 - after the path set-up above

SHARD_COUNTS = (2, 4, 8)
SEED = 20260101
NEW_TEST_SEEDS = 10  # which tests are new is random: average over draws, not one lucky one

Splitter = Callable[[Mapping[str, float], Sequence[str], int], list[list[str]]]


def tiered_ci(recorded: Mapping[str, float], tests: Sequence[str], count: int) -> list[list[str]]:
    return [list(s.tests) for s in shard.plan_shards(recorded, count, tests).shards]


def _pytest_split(name: str) -> Splitter:
    from pytest_split.algorithms import Algorithms  # noqa: PLC0415 - optional bench dependency

    algorithm = Algorithms[name].value

    def split(recorded: Mapping[str, float], tests: Sequence[str], count: int) -> list[list[str]]:
        # pytest-split reads only `.nodeid` from the items, in collection order.
        items: Any = [SimpleNamespace(nodeid=t) for t in tests]
        groups = algorithm(count, items, dict(recorded))
        return [[item.nodeid for item in group.selected] for group in groups]

    return split


def balance(groups: list[list[str]], truth: Mapping[str, float], count: int) -> float:
    total = math.fsum(truth.values())
    lower_bound = max(*truth.values(), total / count)
    makespan = max(math.fsum(truth[t] for t in group) for group in groups)
    if sorted(t for group in groups for t in group) != sorted(truth):
        raise RuntimeError("a splitter lost or duplicated tests")
    return makespan / lower_bound


def synthetic(tests: int, seed: int) -> dict[str, float]:
    """A long tail: most files fast, a few slow; within a file, tests vary log-normally."""
    rng = random.Random(seed)
    files = max(1, tests // 25)
    scale = [rng.lognormvariate(-2.0, 1.5) for _ in range(files)]
    suite = {}
    for index in range(tests):
        file = index % files
        suite[f"tests/m{file:04d}/test_f{file:04d}.py::test_{index:06d}"] = round(
            scale[file] * rng.lognormvariate(0.0, 0.8), 6
        )
    # Collection order: by file, then by definition.
    return dict(sorted(suite.items()))


def hide(truth: Mapping[str, float], fraction: float, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    return {t: s for t, s in truth.items() if rng.random() >= fraction}


def balance_rows(
    label: str, truth: Mapping[str, float], recorded: Sequence[Mapping[str, float]]
) -> list[str]:
    """One row per algorithm; with several recorded variants, the mean balance over them."""
    splitters: dict[str, Splitter] = {
        "tiered-ci (LPT)": tiered_ci,
        "pytest-split least_duration": _pytest_split("least_duration"),
        "pytest-split duration_based_chunks": _pytest_split("duration_based_chunks"),
    }
    tests = list(truth)
    rows = []
    for name, split in splitters.items():
        cells = [
            f"{statistics.fmean(balance(split(r, tests, n), truth, n) for r in recorded):6.3f}"
            for n in SHARD_COUNTS
        ]
        rows.append(f"{label:<38} {name:<36} " + "  ".join(cells))
    return rows


def best_of(repeats: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def speed_rows(tests: int) -> list[str]:
    truth = synthetic(tests, SEED + 1)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / ".test_durations"
        store.write(path, truth)
        baseline = best_of(3, lambda: json.loads(path.read_text()))
        ours = best_of(3, lambda: json.dumps(shard.plan_shards(store.read(path), 8).to_json()))
        theirs = best_of(3, lambda: _pytest_split("least_duration")(truth, list(truth), 8))
        load_cli = [sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]
        shard_cli = [
            sys.executable,
            "-m",
            "tiered_ci",
            "shard",
            f"--durations={path}",
            "--shards=8",
        ]
        process_baseline = best_of(3, lambda: _quiet(load_cli))
        process = best_of(3, lambda: _quiet(shard_cli))
    rows = [
        ("in process: json.load (baseline)", baseline, baseline),
        ("in process: read + plan_shards(N=8) + JSON out", ours, baseline),
        ("in process: pytest-split least_duration (N=8)", theirs, baseline),
        ("process: python -c json.load (baseline)", process_baseline, process_baseline),
        ("process: tiered-ci shard --shards=8", process, process_baseline),
    ]
    return [f"{name:<48} {took:7.3f} s {took / base:6.1f}x" for name, took, base in rows]


def _quiet(argv: list[str]) -> None:
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)


def main() -> None:
    print(
        "Balance: makespan / lower bound (1.000 = perfect), N = "
        + ", ".join(map(str, SHARD_COUNTS))
    )
    own = ROOT / ".test_durations"
    if own.is_file():
        truth = store.read(own)
        total = math.fsum(truth.values())
        label = f"this repo ({len(truth)} tests, {total:.0f} s)"
        rows = balance_rows(label, truth, [truth])
    else:
        rows = ["this repo: no .test_durations; record it with --record-durations first"]
    suite = synthetic(10_000, SEED)
    rows += balance_rows("synthetic 10k, all recorded", suite, [suite])
    variants = [hide(suite, 0.10, SEED + seed) for seed in range(NEW_TEST_SEEDS)]
    rows += balance_rows(f"synthetic 10k, 10% new (mean of {NEW_TEST_SEEDS})", suite, variants)
    print(f"{'suite':<38} {'algorithm':<36} " + "  ".join(f"N={n:<4}" for n in SHARD_COUNTS))
    print("\n".join(rows))
    print()
    print("Speed: 100,000 tests, best of 3")
    print("\n".join(speed_rows(100_000)))


if __name__ == "__main__":
    main()
