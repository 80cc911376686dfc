"""What does the `quick` nox session cost over the bare pytest run it wraps?

In one run, alternating, medians of 5 (after one `nox -s quick` that builds the
venv):

* `nox -R -s quick` (venv reused, no install): ruff check, ruff format --check,
  then `pytest -m "<tiers.quick.markers>" -n <workers>`
* the bare `pytest -m "<tiers.quick.markers>" -n <workers>` with the session's own
  interpreter
* ruff check + ruff format --check alone, to split the difference into lint and nox

Prints the ratio nox / bare pytest (target <= 1.5) and the quick tier's wall time
(target < 60 s). Run: `python benchmarks/bench_quick.py` (or `nox -s bench`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tiered_ci._toml import tomllib

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
RATIO_TARGET = 1.5
QUICK_TARGET_SECONDS = 60.0


def quick_tier() -> tuple[str, str]:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tier = document["tool"]["tiered-ci"]["tiers"]["quick"]
    return str(tier.get("markers", "critical or smoke")), str(tier.get("workers", 1))


def environment() -> dict[str, str]:
    # No outer coverage or CI variables: measure the tier, not the harness around it.
    drop = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("GITHUB_")}


def run(argv: Sequence[str]) -> None:
    subprocess.run(argv, cwd=ROOT, env=environment(), check=True, capture_output=True)


def timed(argv: Sequence[str]) -> Callable[[], float]:
    def measure() -> float:
        started = time.perf_counter()
        run(argv)
        return time.perf_counter() - started

    return measure


def session_python() -> str:
    venv = ROOT / ".nox" / "quick" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def main() -> None:
    markers, workers = quick_tier()
    nox = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py")]
    run([*nox, "-s", "quick"])  # builds (or refreshes) the venv the -R runs reuse
    python = session_python()
    pytest = [python, "-m", "pytest", "-q", "-m", markers, "-n", workers, "-p", "no:randomly"]
    venv_ruff = Path(python).parent / "ruff"
    ruff = str(venv_ruff) if venv_ruff.exists() else "ruff"
    candidates = {
        "nox -R -s quick": timed([*nox, "-R", "-s", "quick"]),
        "bare pytest": timed(pytest),
        "ruff check": timed([ruff, "check", "."]),
        "ruff format --check": timed([ruff, "format", "--check", "."]),
    }
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(RUNS):
        for name, measure in candidates.items():
            samples[name].append(measure())
    medians = {name: statistics.median(values) for name, values in samples.items()}

    print(f"quick tier: -m {markers!r} -n {workers}, medians of {RUNS}")
    print(f"{'command':<22} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in samples.items():
        print(f"{name:<22} {medians[name]:>9.2f} {min(values):>7.2f} {max(values):>7.2f}")
    ratio = medians["nox -R -s quick"] / medians["bare pytest"]
    lint_seconds = medians["ruff check"] + medians["ruff format --check"]
    nox_only = medians["nox -R -s quick"] - medians["bare pytest"] - lint_seconds
    print(f"ratio nox quick / bare pytest: {ratio:.2f} (target <= {RATIO_TARGET})")
    print(f"  of which ruff {lint_seconds:.2f} s, nox itself {nox_only:.2f} s")
    quick = medians["nox -R -s quick"]
    print(f"quick tier wall time: {quick:.1f} s (target < {QUICK_TARGET_SECONDS:g} s)")


if __name__ == "__main__":
    main()
