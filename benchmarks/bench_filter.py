"""`tiered-ci filter` matching speed: 50 dorny filters x 100,000 changed paths.

Prints the matching time of `tiered_ci.filters.match` (YAML already parsed, globs
compiled), the time per path, and two baselines measured in the same run:
one precompiled `re.fullmatch` per path (the floor for any per-path matcher)
and a naive dorny-style loop (every filter, every rule, every file, through
the same compiled picomatch globs). Run: python benchmarks/bench_filter.py
"""

from __future__ import annotations

import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

# runnable as `python benchmarks/bench_filter.py` from a checkout, without installing
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ci"))

from tiered_ci.commands.filter import load_yaml
from tiered_ci.filters import FileChange, Filter, match, parse_filters
from tiered_ci.globs import compile_picomatch

N_PATHS = 100_000
N_FILTERS = 50
STATUSES = ("added", "modified", "deleted")


def make_paths(rng: random.Random) -> list[FileChange]:
    tops = [f"services/svc{i}" for i in range(60)] + [f"libs/lib{i}" for i in range(40)]
    tops += ["docs", "tools", ".github/workflows"]
    exts = [".py", ".md", ".ts", ".tsx", ".json", ".yml", ".proto"]
    files = []
    for n in range(N_PATHS):
        depth = rng.randint(0, 4)
        middle = "/".join(f"d{rng.randint(0, 30)}" for _ in range(depth))
        name = f"f{n}{rng.choice(exts)}"
        path = "/".join(part for part in (rng.choice(tops), middle, name) if part)
        files.append(FileChange(path, rng.choice(STATUSES)))
    return files


def make_filters() -> str:
    """Realistic shapes: folder subtrees, extension globs, exclusions, statuses, anchors."""
    lines = ["shared: &shared", "  - 'libs/lib0/**'", "  - '.github/workflows/**'"]
    for i in range(N_FILTERS - 1):
        lines.append(f"f{i}:")
        lines.append(f"  - 'services/svc{i}/**'")
        if i % 3 == 0:
            lines.append(f"  - 'libs/lib{i % 40}/**/*.py'")
        if i % 5 == 0:
            lines.append("  - *shared")
        if i % 7 == 0:
            lines.append("  - '**/*.proto'")
        if i % 11 == 0:
            lines.append("  - '!**/*.md'")
        if i % 13 == 0:
            lines.append(f"  - added|modified: 'services/svc{i}/**/*.{{ts,tsx}}'")
    return "\n".join(lines) + "\n"


def best_of(runs: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def naive(filters: tuple[Filter, ...], files: list[FileChange]) -> int:
    """dorny's algorithm: for every filter and file, try the rules one by one."""
    total = 0
    for one in filters:
        for file in files:
            for rule in one.rules:
                if (rule.statuses is None or file.status in rule.statuses) and any(
                    compile_picomatch(glob).matches(file.path) for glob in rule.globs
                ):
                    total += 1
                    break
    return total


def main() -> None:
    rng = random.Random(7)
    files = make_paths(rng)
    filters = parse_filters(load_yaml(make_filters(), "bench"), "bench")
    paths = [f.path for f in files]
    one_regex = re.compile(r"(?:.*/)?[^/]*\.py", re.DOTALL)  # `**/*.py`, compiled once

    matched = best_of(5, lambda: match(filters, files))
    floor = best_of(5, lambda: sum(1 for p in paths if one_regex.fullmatch(p)))
    dorny_like = best_of(1, lambda: naive(filters, files))
    results = match(filters, files)
    if sum(len(r.files) for r in results) != naive(filters, files):
        raise SystemExit("the indexed matcher and the naive loop disagree")

    rules = sum(len(f.rules) for f in filters)
    rows = [
        ("filters / rules / paths", f"{len(filters)} / {rules} / {len(files):,}"),
        ("tiered-ci filter match (s)", f"{matched:.3f}"),
        ("  per path (us)", f"{matched / len(files) * 1e6:.2f}"),
        ("baseline: one re.fullmatch per path (s)", f"{floor:.3f}"),
        ("  ratio match / baseline", f"{matched / floor:.1f}x"),
        ("naive dorny-style loop (s)", f"{dorny_like:.3f}"),
        ("  speed-up over naive", f"{dorny_like / matched:.0f}x"),
        ("files matched (all filters)", f"{sum(len(r.files) for r in results):,}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
