"""How fast is `tiered-ci plan` against the floor any GitPython-based planner pays?

Generates a repository of 50,000 files (10 domains, 5 services) with a
10,000-file change on a branch, then times, in the same run, medians of 11 taken round-robin:

* floor = `python -c "import git"` + `git diff --name-status -z -M base...head`
* `tiered-ci plan --format json --base main --head HEAD` (commit to commit, as in CI)
  for the 10,000-file change
* the same for a typical 20-file change

Prints the ratio plan / floor (target <= 2.0), the 20-file plan time (target
< 250 ms) and that time against the same floor, which survives a busy machine
better than milliseconds do. The floor is what a planner built on GitPython pays
before any planning; tiered-ci's plan runs git's plumbing directly and imports
GitPython only to fetch. Run: `python benchmarks/bench_plan.py` (or `nox -s bench`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = 50_000
CHANGED = 10_000
DOMAINS = 10
SERVICES = 5
RUNS = 11

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "PYTHONPATH": str(ROOT / "ci"),
}
# An installed tiered-ci runs from bytecode (pip and uv compile it at install). Some
# environments set PYTHONDONTWRITEBYTECODE, which would make every timed run compile
# the package from source (~25 ms here) and measure that instead of the planner.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True)


def config() -> str:
    lines = [
        "[tool.tiered-ci]",
        'ignore = ["**/*.md"]',
        'run-all = ["pyproject.toml"]',
        "[tool.tiered-ci.tiers.unit]",
        'paths = ["tests/unit"]',
    ]
    for d in range(DOMAINS):
        lines += [
            f"[tool.tiered-ci.domains.d{d}]",
            f'paths = ["src/app/d{d}/**", "!src/app/d{d}/generated/**"]',
            f'tests = ["tests/unit/d{d}"]',
        ]
    for s in range(SERVICES):
        lines += [
            f"[tool.tiered-ci.services.s{s}]",
            f'context = "services/s{s}"',
            'paths = ["libs/common/**"]',
        ]
    return "\n".join(lines) + "\n"


def path_of(n: int) -> str:
    bucket = n % 20
    if bucket < DOMAINS:
        return f"src/app/d{bucket}/m{n // 20 % 50}/f{n}.py"
    if bucket < DOMAINS + SERVICES:
        return f"services/s{bucket - DOMAINS}/f{n}.py"
    if bucket < 18:
        return f"tests/unit/d{n % DOMAINS}/test_f{n}.py"
    return f"libs/common/f{n}.py" if bucket == 18 else f"docs/f{n}.md"


def write(repo: Path, paths: Sequence[str], text: str) -> None:
    for rel in paths:
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def build_repo(repo: Path) -> None:
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text(config())
    write(repo, [path_of(n) for n in range(FILES)], "x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "small")
    write(repo, [path_of(n) for n in range(0, 20 * 97, 97)], "x = 2\n")
    git(repo, "commit", "-q", "-am", "20 files")
    git(repo, "checkout", "-q", "-b", "big", "main")  # plans name --head, no checkout needed
    write(repo, [path_of(n) for n in range(0, FILES, FILES // CHANGED)], "x = 3\n")
    git(repo, "commit", "-q", "-am", "10k files")


def seconds(argv: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=ENV, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def interleaved_medians(commands: dict[str, Sequence[str]], runs: int = RUNS) -> dict[str, float]:
    """Median wall time of each command, run round-robin so that load drifting on a
    shared machine hits every command alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(seconds(argv))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        start = time.perf_counter()
        build_repo(repo)
        print(f"generated {FILES} files, {CHANGED} changed, in {time.perf_counter() - start:.1f} s")
        plan = [sys.executable, "-m", "tiered_ci", "plan", "--format", "json", "--repo", str(repo)]
        seconds([*plan, "--base", "main", "--head", "big"])  # warm the bytecode cache
        m = interleaved_medians(
            {
                "import": [sys.executable, "-c", "import git"],
                "diff": ["git", "-C", str(repo), "diff", "--name-status", "-z", "-M", "main...big"],
                "big": [*plan, "--base", "main", "--head", "big"],
                "small": [*plan, "--base", "main", "--head", "small"],
            }
        )
    floor = m["import"] + m["diff"]
    print(f"{'measure (medians of ' + str(RUNS) + ', interleaved)':<40} {'median':>10}")
    print(f"{'python -c import git':<40} {m['import'] * 1000:>8.0f} ms")
    print(f"{'git diff --name-status -z -M (10k)':<40} {m['diff'] * 1000:>8.0f} ms")
    print(f"{'floor (sum)':<40} {floor * 1000:>8.0f} ms")
    print(f"{'tiered-ci plan, 10,000 changed files':<40} {m['big'] * 1000:>8.0f} ms")
    print(f"{'tiered-ci plan, 20 changed files':<40} {m['small'] * 1000:>8.0f} ms")
    print(f"ratio plan(10k) / floor = {m['big'] / floor:.2f}  (target <= 2.0)")
    print(f"plan(20 files) = {m['small'] * 1000:.0f} ms  (target < 250 ms)")
    print(f"ratio plan(20 files) / floor = {m['small'] / floor:.2f}")


if __name__ == "__main__":
    main()
