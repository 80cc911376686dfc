"""What do generated domains cost? A `domain-families` config against the same domains
written out by hand, in one run.

Generates a repository of N installable packages (`packages/pkg000` ...; each with
source, tests and metadata naming up to three earlier packages: three in five in
`pyproject.toml` with `tool.uv.sources`, one in setup.cfg, one in a static setup.py),
and two configs for it, passed with `--config`:

* family: one `[tool.tiered-ci.domain-families.packages]` entry (expanded from the
  work tree, edges read from every package's metadata on each load);
* hand: N `[tool.tiered-ci.domains.<pkg>]` tables with the same paths, tests and
  `depends-on` edges (what a generator script would write).

For N = 70 and 500 it times, medians of 11 taken round-robin, in process:

* load: `config.load` (for the family: folder matching, templating, metadata reading);
* plan: `tiered-ci plan --format json --base main --head change` for a change to one
  package in the middle of the graph (its dependents run too), as CI runs it.

Prints each median, the ratios family / hand, and what expansion and edge reading
cost a package (target: under 1 ms a package). The plan reads the config from the
`change` commit's tree (`--head`), the load from the work tree.
Run: `python benchmarks/bench_families.py` (or `nox -s bench`).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from tiered_ci import config  # noqa: E402 - after the source root is on the path
from tiered_ci.cli import main as tiered_ci  # noqa: E402

SIZES = (70, 500)
RUNS = 11
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV, capture_output=True)


def name(n: int) -> str:
    return f"pkg{n:03}"


def edges(n: int) -> list[int]:
    """Up to three earlier packages: chains, fan-in and a shared core (pkg000)."""
    return sorted({m for m in (n - 1, n // 2, n // 3) if 0 <= m < n})


def metadata(n: int) -> dict[str, str]:
    """One package's metadata files, in the three shapes real monorepos use."""
    deps = [f"acme-{name(m)}" for m in edges(n)]
    if n % 5 == 3:
        lines = "".join(f"\n    {d}" for d in deps)
        cfg = f"[metadata]\nname = acme-{name(n)}\n[options]\ninstall_requires ={lines}\n"
        return {"setup.cfg": cfg}
    if n % 5 == 4:
        listed = ", ".join(f'"{d}>=1"' for d in deps)
        return {
            "setup.py": (
                f"from setuptools import setup\nREQUIRES = [{listed}]\n"
                f'setup(name="acme-{name(n)}", install_requires=REQUIRES)\n'
            )
        }
    sources = "".join(f'{d} = {{ path = "../{d[5:]}" }}\n' for d in deps)
    listed = ", ".join(f'"{d}"' for d in deps)
    return {
        "pyproject.toml": (
            f'[project]\nname = "acme-{name(n)}"\nversion = "0.1.0"\n'
            f'dependencies = [{listed}]\n[dependency-groups]\ntest = ["pytest"]\n'
            f"[tool.uv.sources]\n{sources}"
        )
    }


def build_repo(repo: Path, size: int) -> None:
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text('[project]\nname = "meta"\n')
    for n in range(size):
        folder = repo / "packages" / name(n)
        for rel, text in {
            **metadata(n),
            f"src/acme_{name(n)}/__init__.py": "X = 1\n",
            f"src/acme_{name(n)}/core.py": "def f() -> int:\n    return 1\n",
            "tests/test_core.py": "def test_f() -> None:\n    pass\n",
        }.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "packages")
    git(repo, "checkout", "-q", "-b", "change")
    changed = repo / "packages" / name(size // 2) / "src" / f"acme_{name(size // 2)}" / "core.py"
    changed.write_text("def f() -> int:\n    return 2\n")
    git(repo, "commit", "-q", "-am", "one package changes")


HEADER = (
    '[tool.tiered-ci]\nrun-all = ["pyproject.toml"]\n'
    "[tool.tiered-ci.tiers.quick]\nrun-pytest = false\n"
)


def family_config() -> str:
    return HEADER + (
        "[tool.tiered-ci.domain-families.packages]\n"
        'folders = "packages/*"\n'
        "[tool.tiered-ci.domain-families.packages.install]\n"
        'root = false\neditable = ["{folder}"]\ngroups = ["{folder}:test"]\n'
    )


def hand_config(size: int) -> str:
    lines = [HEADER]
    for n in range(size):
        folder = f"packages/{name(n)}"
        depends = ", ".join(f'"{name(m)}"' for m in edges(n))
        lines += [
            f"[tool.tiered-ci.domains.{name(n)}]",
            f'paths = ["{folder}/**"]',
            f'tests = ["{folder}/tests"]',
            f"depends-on = [{depends}]",
            f"[tool.tiered-ci.domains.{name(n)}.install]",
            f'root = false\neditable = ["{folder}"]\ngroups = ["{folder}:test"]',
        ]
    return "\n".join(lines) + "\n"


def seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def plan(repo: Path, config_file: Path) -> Callable[[], object]:
    argv = ["plan", "--format", "json", "--repo", str(repo), "--config", str(config_file)]
    argv += ["--base", "main", "--head", "change"]

    def run() -> int:
        with contextlib.redirect_stdout(io.StringIO()):
            code = tiered_ci(argv)
        if code != 0:
            raise SystemExit(f"tiered-ci plan exited {code}")
        return code

    return run


def interleaved_medians(calls: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median of each call, run round-robin so that load drifting on a shared machine
    hits every call alike."""
    times: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(RUNS):
        for key, call in calls.items():
            times[key].append(seconds(call))
    return {key: statistics.median(values) for key, values in times.items()}


def check_same_domains(repo: Path, family: Path, hand: Path) -> None:
    """The two configs describe the same domains and edges: the ratio compares like with like."""
    generated = config.load(repo, family).domains
    written = config.load(repo, hand).domains
    same = list(generated) == list(written) and all(
        (d.paths, d.tests, sorted(d.depends_on))
        == (written[k].paths, written[k].tests, sorted(written[k].depends_on))
        for k, d in generated.items()
    )
    if not same:
        raise SystemExit("bench_families: the two configs do not make the same domains")


def measure(size: int, tmp: Path) -> dict[str, float]:
    repo = tmp / f"repo{size}"
    build_repo(repo, size)
    family, hand = tmp / f"family{size}.toml", tmp / f"hand{size}.toml"
    family.write_text(family_config())
    hand.write_text(hand_config(size))
    check_same_domains(repo, family, hand)
    for call in (plan(repo, family), plan(repo, hand)):
        call()  # warm caches and bytecode alike
    return interleaved_medians(
        {
            "load family": lambda: config.load(repo, family),
            "load hand": lambda: config.load(repo, hand),
            "plan family": plan(repo, family),
            "plan hand": plan(repo, hand),
        }
    )


def main() -> None:
    print(f"{'packages':>8} {'measure (medians of ' + str(RUNS) + ')':<34} {'median':>10}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            m = results[size] = measure(size, Path(tmp))
            for key, value in m.items():
                print(f"{size:>8} {key:<34} {value * 1000:>8.1f} ms")
    for size, m in results.items():
        per_package = (m["load family"] - m["load hand"]) / size * 1e6
        print(
            f"{size} packages: load family / hand = {m['load family'] / m['load hand']:.2f}; "
            f"plan family / hand = {m['plan family'] / m['plan hand']:.2f}"
            f"; expansion + edges {per_package:.0f} us a package (target < 1000)"
        )


if __name__ == "__main__":
    main()
