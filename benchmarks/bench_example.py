"""What does a one-domain pull request cost on examples/monorepo, against the full run?

On a fresh copy of the example (committed on main, cloned so origin/main exists,
one commit on `feature` touching src/app/d2_catalog/index.py), with this checkout
installed as tiered-ci (TIERED_CI_SPEC), after one warm-up run of every session
(venvs built), alternating, medians of 3:

* `nox -R -s quick`: the tier every push runs;
* the one-domain PR: `nox -R -s plan -- --format json`, then each entry of the
  plan's matrix as its own `nox -R -s <session> -- <args>` (one CI job each);
  reported summed (machine time) and as plan + slowest job (wall time when the
  matrix jobs run in parallel, as in CI);
* `nox -R -s full-e2e`: every test incl. slow and e2e, then coverage;
* `make quick` (the example's Makefile: `.venv-tools/bin/nox -s quick`, installs
  checked, not skipped), after one bootstrap run.

Prints the ratio one-domain PR / full (target <= 0.25), how many tests each ran
(from the junit XML), and `make quick` against its 30 s target.
Run: `python benchmarks/bench_example.py` (or `nox -s bench`).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "monorepo"
RUNS = 3
RATIO_TARGET = 0.25
MAKE_QUICK_TARGET_SECONDS = 30.0
CHANGED = "src/app/d2_catalog/index.py"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def environment() -> dict[str, str]:
    # No outer coverage, CI or pytest variables: measure the sessions, not the harness.
    drop = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith(("GITHUB_", "PYTEST_"))
    }
    env.update(IDENTITY)
    env["TIERED_CI_SPEC"] = str(ROOT)  # the sessions install this checkout
    return env


def run(argv: Sequence[str], cwd: Path) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def make_copy(base: Path) -> Path:
    """The example on main upstream, a clone of it, and a one-domain commit on `feature`."""
    upstream = base / "upstream"
    ignore = shutil.ignore_patterns(
        "__pycache__", ".nox", ".venv-tools", "reports", ".pytest_cache", ".ruff_cache"
    )
    shutil.copytree(EXAMPLE, upstream, ignore=ignore)
    run(["git", "init", "-q", "-b", "main"], upstream)
    run(["git", "add", "-A"], upstream)
    run(["git", "commit", "-q", "-m", "the example"], upstream)
    work = base / "work"
    run(["git", "clone", "-q", str(upstream), str(work)], base)
    run(["git", "switch", "-q", "-c", "feature"], work)
    with (work / CHANGED).open("a", encoding="utf-8") as handle:
        handle.write("\n\nREVIEWED = True\n")  # formatted: `quick` checks the format
    run(["git", "commit", "-q", "-a", "-m", "catalog: one change"], work)
    return work


def nox(*args: str) -> list[str]:
    return [sys.executable, "-m", "nox", *args]


def plan_of(work: Path) -> dict[str, object]:
    out = run(nox("-R", "-s", "plan", "--", "--format", "json"), work)
    line = next(line for line in out.splitlines() if line.startswith("{"))
    plan: dict[str, object] = json.loads(line)
    return plan


def matrix_commands(plan: dict[str, object]) -> dict[str, list[str]]:
    include = plan["matrix"]["include"]  # type: ignore[index] # the plan's JSON shape
    return {
        entry["session"]: nox("-R", "-s", entry["session"], "--", *entry["args"].split())
        for entry in include
    }


def timed(argv: Sequence[str], cwd: Path) -> Callable[[], float]:
    def measure() -> float:
        started = time.perf_counter()
        run(argv, cwd)
        return time.perf_counter() - started

    return measure


def testcases(work: Path, slug: str) -> int:
    tree = ET.parse(work / "reports" / f"junit-{slug}.xml")  # noqa: S314 - written by the run
    return sum(1 for _ in tree.iter("testcase"))


def slug_of(session: str) -> str:
    return session.replace("(", "-").replace(")", "")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-example-") as folder:
        work = make_copy(Path(folder))
        # Warm-up: every session once with installs, so the timed runs reuse the venvs.
        run(nox("-s", "quick", "plan", "full-e2e"), work)
        plan = plan_of(work)
        jobs = matrix_commands(plan)
        for argv in jobs.values():
            run([a for a in argv if a != "-R"], work)
        run(["make", "quick"], work)  # bootstraps .venv-tools (nox, uv)

        candidates: dict[str, Callable[[], float]] = {
            "nox -R -s quick": timed(nox("-R", "-s", "quick"), work),
            "PR: nox -R -s plan": timed(nox("-R", "-s", "plan", "--", "--format", "json"), work),
            **{f"PR: {name}": timed(argv, work) for name, argv in jobs.items()},
            "nox -R -s full-e2e (+coverage)": timed(nox("-R", "-s", "full-e2e"), work),
            "make quick": timed(["make", "quick"], work),
        }
        samples: dict[str, list[float]] = {name: [] for name in candidates}
        for _ in range(RUNS):
            for name, measure in candidates.items():
                samples[name].append(measure())
        pr_tests = sum(testcases(work, slug_of(name)) for name in jobs)
        full_tests = testcases(work, "full-e2e")

    medians = {name: statistics.median(values) for name, values in samples.items()}
    pr_parts = [name for name in medians if name.startswith("PR: ")]
    pr_jobs = [name for name in pr_parts if name != "PR: nox -R -s plan"]
    pr_total = sum(medians[name] for name in pr_parts)
    pr_wall = medians["PR: nox -R -s plan"] + max(medians[name] for name in pr_jobs)
    full = medians["nox -R -s full-e2e (+coverage)"]

    print(f"examples/monorepo copy, one change in {CHANGED}; medians of {RUNS}")
    print(f"plan: sessions {plan['sessions']}")
    print(f"{'command':<40} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in samples.items():
        print(f"{name:<40} {medians[name]:>9.2f} {min(values):>7.2f} {max(values):>7.2f}")
    print(f"{'one-domain PR, summed':<40} {pr_total:>9.2f}")
    print(f"{'one-domain PR, plan + slowest job':<40} {pr_wall:>9.2f}")
    print(f"tests run: PR {pr_tests} of the full run's {full_tests} ({pr_tests / full_tests:.0%})")
    print(f"ratio PR summed / full: {pr_total / full:.2f} (target <= {RATIO_TARGET})")
    print(f"ratio PR plan + slowest job / full: {pr_wall / full:.2f}")
    make_quick = medians["make quick"]
    verdict = "ok" if make_quick < MAKE_QUICK_TARGET_SECONDS else "OVER"
    print(f"make quick: {make_quick:.1f} s (target < {MAKE_QUICK_TARGET_SECONDS:g} s): {verdict}")


if __name__ == "__main__":
    main()
