"""Recording overhead per tracer on real libraries, and whether the maps agree.

    python benchmarks/bench_tracers.py --python ENV/bin/python --library PATH \\
        [--library PATH ...] [--runs 3]

ENV is a Python 3.12+ environment holding pytest, coverage, tiered-ci and each
library with its test dependencies; PATH is a clone of the library (its pytest
runs there, writing its caches; use a clone of your own). Per library, `--runs`
rounds of three runs each, in turn: a plain `pytest`, a recording with coverage.py's
trace function (`TIERED_CI_IMPACT_TRACER=coverage`), a recording with
sys.monitoring (`=monitor`). It prints the median CPU seconds of the whole pytest
process (user + system, its children included) of each, the recordings' ratios to
the plain run, and whether the two recordings' maps say the same by unit name
(tests' footprints, import-time units, line classes), with the tests whose
footprints differ when they do not.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from tiered_ci.impact import store  # noqa: E402

TRACERS = ("coverage", "monitor")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(python: str, library: Path, tracer: str | None, target: Path) -> float:
    """One pytest run of the library's suite: its CPU seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "TIERED_CI_"))}
    argv = [python, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    argv.append(f"--rootdir={library}")
    if tracer is not None:
        env["TIERED_CI_IMPACT_TRACER"] = tracer
        argv.append(f"--impact-record={target}")
    started = _children_cpu()
    result = subprocess.run(argv, cwd=library, env=env, capture_output=True, text=True, check=False)
    seconds = _children_cpu() - started
    if result.returncode not in (0, 1) or (tracer is not None and not target.exists()):
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise SystemExit(f"{library.name} ({tracer or 'plain'}) failed:\n{tail}")
    return seconds


def _differences(maps: dict[str, store.ImpactMap]) -> list[str]:
    left, right = (maps[tracer].by_name() for tracer in TRACERS)
    if left == right:
        return []
    found = [f"{key} differs" for key in left if left[key] != right[key]]
    first, second = (maps[tracer].named_tests() for tracer in TRACERS)
    for test in sorted(set(first) | set(second)):
        a, b = first.get(test, set()), second.get(test, set())
        if a != b:
            found.append(
                f"  {test}: only {TRACERS[0]} {sorted(a - b)[:4]}, only {TRACERS[1]} "
                f"{sorted(b - a)[:4]}"
            )
    return found


def bench(python: str, library: Path, runs: int) -> None:
    seconds: dict[str, list[float]] = {"plain": [], **{t: [] for t in TRACERS}}
    with tempfile.TemporaryDirectory(prefix="bench-tracers-") as folder:
        maps: dict[str, store.ImpactMap] = {}
        for _ in range(runs):
            seconds["plain"].append(_run(python, library, None, Path(folder) / "plain"))
            for tracer in TRACERS:
                target = Path(folder) / f"{tracer}.json.gz"
                seconds[tracer].append(_run(python, library, tracer, target))
                maps[tracer] = store.read(target)
        size = {t: (Path(folder) / f"{t}.json.gz").stat().st_size for t in TRACERS}
    plain = statistics.median(seconds["plain"])
    print(f"{library.name}: {len(maps[TRACERS[0]].tests)} tests")
    print(f"  plain     {plain:7.1f} s CPU  (runs {_listed(seconds['plain'])})")
    for tracer in TRACERS:
        median = statistics.median(seconds[tracer])
        print(
            f"  {tracer:9} {median:7.1f} s CPU  {median / plain:.2f} x  "
            f"(runs {_listed(seconds[tracer])}; map {size[tracer] / 1024:.0f} KiB)"
        )
    differences = _differences(maps)
    print("  maps: the same by unit name" if not differences else "  maps differ:")
    for line in differences[:40]:
        print(f"  {line}")


def _listed(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="a Python 3.12+ environment's python")
    parser.add_argument("--library", action="append", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    for library in args.library:
        bench(args.python, library.resolve(), args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
