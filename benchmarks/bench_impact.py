"""Impact selection on seeded faults: recall, share run, record overhead, map size, latency.

Two subjects, each a real git repository in a temporary folder:

* `example`: a copy of examples/monorepo, its whole test suite;
* `tiered-ci`: a clone of this checkout, the test subset `SUBSET` below (pure
  unit tests, so one suite run per mutant stays within seconds).

For each subject: record a map (`pytest --impact-record`), time a plain run
against the recording run (record overhead), then seed single-line mutants
(comparison flips, `and`/`or` swaps, `return None`) into the subject's own
source, a seeded random sample of at most MUTANTS per subject. Per mutant, the
whole subject suite runs once to find the failing tests; a mutant no test
catches is left out of recall. Strategies, on the same mutants:

* impact: `tiered-ci impact select` on the mutated work tree;
* import graph: every test file that imports the mutated module, transitively;
* domains: the tests of the domains whose globs claim the mutated file (a file
  claimed by run-all, or by no rule under `unmapped = "run-all"`: every test).

Recall is the share of caught mutants where the selection holds at least one
failing test (the issue's definition); "all failing" is the stricter share
where it holds every failing test. A synthetic 60,000-test map measures map
size and select latency (read + judge).

Run: `python benchmarks/bench_impact.py [--mutants N] [--seed S]` (or `nox -s bench`).

Real libraries beside pytest-testmon: `--library NAME=PATH[@COMMIT]` (repeatable;
NAME one of LIBRARIES below, PATH a local clone, never committed here) with
`--python ENV/bin/python`, an environment holding pytest, coverage, pytest-testmon,
the libraries' test dependencies and the libraries. Per library it seeds faults
(the kinds above plus module-level and class-body constants), keeps those some test
of the whole suite catches, and prints per fault and per library the tests and test
files each tool runs, whether it caught the fault, and the ratio tiered-ci/testmon.
`--cache DIR` keeps what does not depend on tiered-ci (each fault's failing tests,
testmon's selection) to compare two tiered-ci versions on the same faults.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from tiered_ci import config as config_module  # noqa: E402
from tiered_ci.changes import ChangedFile  # noqa: E402
from tiered_ci.events import Trigger  # noqa: E402
from tiered_ci.impact import select, source, store  # noqa: E402

SUBSET = ("tests/unit/shard", "tests/unit/filter", "tests/unit/impact")
TIERED_SOURCES = (
    "ci/tiered_ci/shard.py",
    "ci/tiered_ci/durations.py",
    "ci/tiered_ci/filters.py",
    "ci/tiered_ci/globs.py",
    "ci/tiered_ci/impact/deps.py",
    "ci/tiered_ci/impact/source.py",
    "ci/tiered_ci/impact/store.py",
)
FLIPS = {ast.Gt: "<=", ast.GtE: "<", ast.Lt: ">=", ast.LtE: ">", ast.Eq: "!=", ast.NotEq: "=="}
SYMBOLS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    kind: str
    old: str
    new: str


@dataclass(frozen=True)
class Subject:
    name: str
    root: Path
    tests: tuple[str, ...]  # pytest arguments: the suite
    sources: tuple[str, ...]  # files to mutate


# --- running --------------------------------------------------------------------------


def _env(subject: Subject) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "GITHUB_"))}
    env.update(IDENTITY)
    # The subject's own tiered_ci (a mutated clone) comes before the installed one.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(subject.root / "ci"), str(ROOT / "ci")) if p
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, **IDENTITY}
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pytest_run(subject: Subject, *extra: str) -> tuple[float, set[str], str]:
    """(CPU seconds, failing node ids, output) of one suite run.

    CPU time, not wall time: this machine is shared, and a ratio of wall times
    measures the neighbours' load as much as the recorder."""
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-rfE",
        "-W",
        "ignore",
        *subject.tests,
        *extra,
    ]
    started = _children_cpu()
    out = subprocess.run(
        argv, cwd=subject.root, env=_env(subject), capture_output=True, text=True, check=False
    )
    seconds = _children_cpu() - started
    failing = set()
    for line in out.stdout.splitlines():
        # `FAILED <node id> - <message>`: a node id may hold spaces (parametrize ids).
        match = re.match(r"(FAILED|ERROR) (.+?)(?: - .*)?$", line)
        if match:
            failing.add(match.group(2))
    return seconds, failing, out.stdout + out.stderr


def collected(subject: Subject) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "--collect-only",
        "-p",
        "no:randomly",
        *subject.tests,
    ]
    out = subprocess.run(
        argv, cwd=subject.root, env=_env(subject), capture_output=True, text=True, check=True
    )
    return [line for line in out.stdout.splitlines() if "::" in line]


# --- mutants --------------------------------------------------------------------------


def mutants_of(root: Path, path: str) -> list[Mutant]:
    text = (root / path).read_text(encoding="utf-8")
    lines = text.splitlines()
    spans = source.function_spans(text) or []
    found: list[Mutant] = []
    for node in ast.walk(ast.parse(text)):
        line = getattr(node, "lineno", 0)
        if not line or getattr(node, "end_lineno", line) != line:
            continue
        if source.innermost(spans, line) is None:
            continue  # function bodies only: the mutants are behaviour, not imports
        old = lines[line - 1]
        new = _mutate(node, old)
        if new is not None and new != old:
            found.append(Mutant(path, line, type(node).__name__, old, new))
    return found


def _mutate(node: ast.AST, line: str) -> str | None:
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIPS:
        start, end = node.left.end_col_offset or 0, node.comparators[0].col_offset
        segment = line[start:end]
        symbol = SYMBOLS[type(node.ops[0])]
        if segment.count(symbol) != 1:
            return None
        return line[:start] + segment.replace(symbol, FLIPS[type(node.ops[0])]) + line[end:]
    if isinstance(node, ast.BoolOp) and len(node.values) == 2:
        start, end = node.values[0].end_col_offset or 0, node.values[1].col_offset
        segment = line[start:end]
        word = " and " if isinstance(node.op, ast.And) else " or "
        other = " or " if word == " and " else " and "
        return (
            line[:start] + segment.replace(word, other) + line[end:]
            if segment.count(word) == 1
            else None
        )
    if (
        isinstance(node, ast.Return)
        and node.value is not None
        and line.strip().startswith("return ")
    ):
        indent = line[: len(line) - len(line.lstrip())]
        return None if line.strip() == "return None" else f"{indent}return None"
    return None


def apply(root: Path, mutant: Mutant) -> str:
    target = root / mutant.path
    original = target.read_text(encoding="utf-8")
    lines = original.split("\n")
    lines[mutant.line - 1] = mutant.new
    target.write_text("\n".join(lines), encoding="utf-8")
    return original


# --- strategies ---------------------------------------------------------------------------


def impact_selection(subject: Subject, map_path: Path) -> set[str]:
    from tiered_ci.commands.impact import select_for  # noqa: PLC0415

    config = config_module.load(subject.root)
    result = select_for(subject.root, config, Trigger(event="local", kind="local"), map_path, None)
    if result.mode == "all":
        return set(collected_cache[subject.name])
    return set(result.tests) | {
        t
        for t in collected_cache[subject.name]
        if t.split("::")[0] in result.test_files and t not in result.unaffected
    }


def import_graph_selection(subject: Subject, impact_map: store.ImpactMap, path: str) -> set[str]:
    inputs = select.Inputs(
        (ChangedFile(path, "modified"),), {}, {}, {}, config_module.load(subject.root)
    )
    judge = select._Judge(impact_map, inputs)  # noqa: SLF001 - the same graph impact uses
    files = judge.graph().dependents([path])
    return {t for t in collected_cache[subject.name] if impact_map.test_path(t) in files}


def domain_selection(subject: Subject, path: str) -> set[str]:
    from tiered_ci import mapping  # noqa: PLC0415

    config = config_module.load(subject.root)
    rules = mapping.compile_rules(config, {})  # services do not choose tests
    chosen = mapping.select([ChangedFile(path, "modified")], rules)
    everything = set(collected_cache[subject.name])
    if chosen.run_all or (chosen.unmapped and config.unmapped == "run-all"):
        return everything
    roots = [t.rstrip("/") for name in chosen.domains for t in config.domains[name].tests]
    return {
        t for t in everything if any(t == r or t.startswith((f"{r}/", f"{r}::")) for r in roots)
    }


collected_cache: dict[str, list[str]] = {}


# --- subjects ---------------------------------------------------------------------------


def make_example(tmp: Path) -> Subject:
    root = tmp / "example"
    shutil.copytree(
        ROOT / "examples" / "monorepo",
        root,
        ignore=shutil.ignore_patterns(".nox", ".venv*", "__pycache__", "reports"),
    )
    _git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text(
        ".impact/\n__pycache__/\n.pytest_cache/\nreports/\n.coverage*\n", encoding="utf-8"
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "example")
    sources = tuple(
        sorted(
            p
            for p in _git(root, "ls-files", "src", "libs").split()
            if p.endswith(".py") and "/tests/" not in p
        )
    )
    return Subject("example", root, ("tests", "-m", "not e2e"), sources)


def make_tiered(tmp: Path) -> Subject:
    root = tmp / "tiered-ci"
    _git(tmp, "clone", "-q", "--no-hardlinks", str(ROOT), str(root))
    sources = tuple(path for path in TIERED_SOURCES if (root / path).is_file())
    return Subject("tiered-ci", root, SUBSET, sources)


# --- measuring ------------------------------------------------------------------------------


STRATEGIES = ("impact", "import graph", "domains")


@dataclass
class Tally:
    caught: int = 0
    hit: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STRATEGIES, 0))
    all_hit: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STRATEGIES, 0))
    tests: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STRATEGIES})
    files: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STRATEGIES})

    def add(self, other: Tally) -> None:
        self.caught += other.caught
        for s in STRATEGIES:
            self.hit[s] += other.hit[s]
            self.all_hit[s] += other.all_hit[s]
            self.tests[s] += other.tests[s]
            self.files[s] += other.files[s]


def measure(subject: Subject, mutant_count: int, rng: random.Random) -> Tally:
    collected_cache[subject.name] = collected(subject)
    total = collected_cache[subject.name]
    total_files = {t.split("::")[0] for t in total}
    map_path = subject.root / ".impact" / "map.json.gz"
    plain = statistics.median(pytest_run(subject)[0] for _ in range(2))
    recorded = [pytest_run(subject, f"--impact-record={map_path}")[0] for _ in range(2)]
    impact_map = store.read(map_path)
    print(
        f"\n== {subject.name}: {len(total)} tests in {len(total_files)} files "
        f"({' '.join(subject.tests)})"
    )
    print(
        f"record overhead: {statistics.median(recorded) / plain:.2f}x (recording "
        f"{statistics.median(recorded):.1f} s / plain {plain:.1f} s CPU, medians of 2; "
        "target <= 2x)"
    )
    sizes = [len(fp) for fp in impact_map.tests.values()]
    print(
        f"map: {map_path.stat().st_size / 1024:.0f} KiB, {len(impact_map.units)} units, "
        f"{len(impact_map.tests)} tests, "
        f"{statistics.mean(sizes):.0f} units per test on average (max {max(sizes)})"
    )
    candidates = [m for path in subject.sources for m in mutants_of(subject.root, path)]
    sample = rng.sample(candidates, min(mutant_count, len(candidates)))
    print(
        f"mutants: {len(sample)} sampled of {len(candidates)} (seeded) "
        f"in {len(subject.sources)} files"
    )
    tally = Tally()
    for mutant in sample:
        original = apply(subject.root, mutant)
        try:
            _, failing, _ = pytest_run(subject)
            selections = {
                "impact": impact_selection(subject, map_path),
                "import graph": import_graph_selection(subject, impact_map, mutant.path),
                "domains": domain_selection(subject, mutant.path),
            }
        finally:
            (subject.root / mutant.path).write_text(original, encoding="utf-8")
        failing = {f for f in failing if "::" in f} | {
            t for t in total if t.split("::")[0] in failing
        }
        shown = f"{mutant.path}:{mutant.line} {mutant.kind}"
        for strategy, chosen in selections.items():
            tally.tests[strategy].append(len(chosen) / len(total))
            tally.files[strategy].append(len({t.split("::")[0] for t in chosen}) / len(total_files))
        if not failing:
            print(f"  {shown}: survived (no test fails), {len(selections['impact'])} selected")
            continue
        tally.caught += 1
        marks = []
        for strategy, chosen in selections.items():
            tally.hit[strategy] += bool(failing & chosen)
            tally.all_hit[strategy] += failing <= chosen
            marks.append(f"{strategy} {'ok' if failing & chosen else 'MISSED'}")
        print(
            f"  {shown}: {len(failing)} failing; impact selects {len(selections['impact'])}; "
            + ", ".join(marks)
        )
    return tally


def report(name: str, tally: Tally) -> None:
    print(f"\n{name}: {tally.caught} caught mutants")
    print(f"{'strategy':<14} {'recall':>8} {'all failing':>12} {'tests run':>10} {'files run':>10}")
    for strategy in STRATEGIES:
        recall = tally.hit[strategy] / tally.caught if tally.caught else float("nan")
        strict = tally.all_hit[strategy] / tally.caught if tally.caught else float("nan")
        tests = statistics.mean(tally.tests[strategy]) if tally.tests[strategy] else float("nan")
        files = statistics.mean(tally.files[strategy]) if tally.files[strategy] else float("nan")
        print(f"{strategy:<14} {recall:>8.0%} {strict:>12.0%} {tests:>10.1%} {files:>10.1%}")


# --- the synthetic 60,000-test map -------------------------------------------------------------


def synthetic_map(rng: random.Random, tests: int = 60_000) -> tuple[store.ImpactMap, select.Inputs]:
    modules, per_module = 3_000, 10
    units: list[str] = []
    spans: dict[str, tuple[tuple[int, int, int], ...]] = {}
    lines: dict[str, dict[int, int]] = {}
    imports: dict[str, tuple[str, ...]] = {}
    for m in range(modules):
        path = f"src/pkg{m // 100}/mod{m}.py"
        file_spans = []
        in_file = lines.setdefault(path, {})
        for f in range(per_module):
            first = 10 * f + 2
            file_spans.append((first, first + 7, len(units)))
            units.append(f"fn:{path}::func{f}@{first}")
            # Three line classes per function (branches different tests take): the
            # function's unit is followed by theirs, lines 2-4, 5-7 and 8-9 of it.
            for k, (a, b) in enumerate(((0, 2), (3, 5), (6, 7))):
                in_file.update(dict.fromkeys(range(first + a, first + b + 1), len(units)))
                units.append(f"fn:{path}::func{f}@{first}#{k}")
        units.append(f"mod:{path}")
        spans[path] = tuple(file_spans)
        imports[path] = tuple(
            f"pkg{(m + k) % modules // 100}.mod{(m + k) % modules}" for k in (1, 7, 31)
        )
    footprints: list[frozenset[int]] = []
    by_test: dict[str, frozenset[int]] = {}
    for t in range(tests):
        if t % 4 == 0:  # parametrized tests share a footprint, four by four
            home = rng.randrange(modules)
            # About 150 functions over 30 nearby modules: more than the unit tests of the
            # subjects below execute on average (printed with each subject's map).
            near = [(home + rng.randrange(-60, 61)) % modules for _ in range(30)]
            per = 4 * per_module + 1  # units per module: 4 per function, then mod:
            functions = {m * per + 4 * rng.randrange(per_module) for m in near for _ in range(5)}
            # Each function with the classes of the lines the test ran: one or two.
            chosen = functions | {f + 1 + rng.randrange(3) for f in functions}
            chosen |= {f + 1 + rng.randrange(3) for f in functions if rng.random() < 0.5}
            chosen |= {m * per + 4 * per_module for m in near}
            footprints.append(frozenset(chosen))
        test_file = f"tests/pkg{t // 2000}/test_{t // 20}.py"
        by_test[f"{test_file}::test_{t}[{t % 4}]"] = footprints[-1]
        imports.setdefault(test_file, (f"pkg{(t // 20) % 30}.mod{(t // 20) % modules}",))
    impact_map = store.ImpactMap(
        commit="0" * 40,
        clean=True,
        python="3.12.0",
        tiered_ci="0.2.0",
        units=tuple(units),
        spans=spans,
        tests=by_test,
        imports=imports,
        lines=lines,
        imported={},
    )
    changed = "src/pkg5/mod512.py"
    inputs = select.Inputs(
        changes=(ChangedFile(changed, "modified"),),
        hunks={changed: [(3, 3), (45, 46)]},  # two function bodies
        head_imports={changed: imports[changed]},
        texts={},
        config=config_module.Config(root=Path(), source=None),
    )
    return impact_map, inputs


def synthetic(rng: random.Random, tmp: Path) -> None:
    impact_map, inputs = synthetic_map(rng)
    path = tmp / "synthetic.json.gz"
    started = time.perf_counter()
    store.write(path, impact_map)
    write_seconds = time.perf_counter() - started
    timings, walls = [], []
    for _ in range(3):
        started, wall = time.process_time(), time.perf_counter()
        result = select.judge(store.read(path), inputs)
        timings.append(time.process_time() - started)
        walls.append(time.perf_counter() - wall)
    size = path.stat().st_size / 1e6
    print(
        f"\n== synthetic map: {len(impact_map.tests)} tests, {len(impact_map.units)} units, "
        f"{len(impact_map.spans)} modules"
    )
    print(f"map size: {size:.1f} MB (target < 20 MB); written in {write_seconds:.1f} s")
    print(
        f"select latency (read + judge), median of 3: {statistics.median(timings):.2f} s CPU, "
        f"{statistics.median(walls):.2f} s wall on this machine (load {os.getloadavg()[0]:.1f}) "
        f"(target < 1 s); selected {len(result.tests)} of {result.total_tests} tests"
    )


# --- real libraries, beside pytest-testmon -----------------------------------------------


@dataclass(frozen=True)
class Library:
    """A real library's layout: where faults go, what the tests import, the suite."""

    name: str
    sources: tuple[str, ...]  # folders whose .py files get faults
    pythonpath: str  # the folder the tests import the library from ("" the top)
    tests: tuple[str, ...]


# The corpus this benchmark was run on (commits in docs/performance.md). Any other
# library runs with `--library NAME=PATH` when it is listed here.
LIBRARIES = {
    "rich": Library("rich", ("rich",), "", ("tests",)),
    "click": Library("click", ("src/click",), "src", ("tests",)),
    "attrs": Library("attrs", ("src/attr", "src/attrs"), "src", ("tests",)),
    "packaging": Library("packaging", ("src/packaging",), "src", ("tests",)),
}
# Writes the node ids pytest will run, after every plugin (testmon, -m, -k) deselected.
RAN_PLUGIN = """\
import json, os

FAILED = []


def pytest_collectreport(report):
    if report.failed:
        FAILED.append(report.nodeid or "*")


def pytest_runtest_logreport(report):
    if report.failed:
        FAILED.append(report.nodeid)


def pytest_collection_finish(session):
    out = os.environ.get("BENCH_RAN")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump([item.nodeid for item in session.items], f)


def pytest_sessionfinish(session):
    out = os.environ.get("BENCH_RAN")
    if out:
        with open(out + ".failed", "w", encoding="utf-8") as f:
            json.dump(FAILED, f)
"""
HUNG = "<hung>"
TESTMON = ("--testmon", "--testmon-forceselect")  # forceselect: click's addopts has -m


@dataclass
class Bench:
    """One library cloned for the benchmark, and how to run its suite."""

    library: Library
    root: Path
    python: str
    tmp: Path
    # Tests failing before any fault (a newer dependency than the library expects):
    # left out of every run, so the suite starts green for both selectors.
    deselect: list[str] = field(default_factory=list)
    timeout: float | None = None  # seconds; set from the plain run

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("COVERAGE_", "GITHUB_", "PYTEST_", "TESTMON"))
        }
        env.update(IDENTITY)
        # This checkout's tiered_ci records, as it selects (not whatever the env holds).
        env["PYTHONPATH"] = os.pathsep.join(
            (str(self.root / self.library.pythonpath), str(self.tmp / "plugins"), str(ROOT / "ci"))
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # The environment's bin first, as nox, tox, `uv run` and an activated venv have it:
        # a test running `python -m rich` means the suite's Python (a version manager's
        # shim found instead runs another one, without the library's dependencies).
        env["PATH"] = os.pathsep.join(
            p for p in (str(Path(self.python).parent), os.environ.get("PATH")) if p
        )
        env["TESTMON_DATAFILE"] = str(self.tmp / f"{self.library.name}.testmondata")
        env.update(extra)
        return env

    def run(self, *extra: str, **env: str) -> tuple[float, set[str], list[str], int]:
        """(CPU seconds, failing node ids or files, node ids pytest ran, exit code)."""
        ran_file = self.tmp / f"{self.library.name}.ran.json"
        ran_file.unlink(missing_ok=True)
        ran_file.with_name(ran_file.name + ".failed").unlink(missing_ok=True)
        argv = [
            self.python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-p",
            "bench_ran",
            "-rfE",
            # rich's tests/pytest.ini makes tests/ the rootdir, and testmon watches only
            # files below the rootdir: it would never see a change to the library.
            f"--rootdir={self.root}",
            *self.library.tests,
            *(f"--deselect={test}" for test in self.deselect),
            *extra,
        ]
        started = _children_cpu()
        try:
            out = subprocess.run(
                argv,
                cwd=self.root,
                env=self.env(BENCH_RAN=str(ran_file), **env),
                capture_output=True,
                text=True,
                check=False,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            # A fault can make a loop endless: not a fault any test catches in time.
            return _children_cpu() - started, {HUNG}, [], -1
        seconds = _children_cpu() - started
        failed_file = ran_file.with_name(ran_file.name + ".failed")
        failing = set(_json_list(failed_file))
        ran = _json_list(ran_file)
        if out.returncode not in (0, 1, 5) and not failing:
            failing.add("*")  # the session itself broke (a conftest, an import): all fail
        return seconds, failing, ran, out.returncode


def clone_library(library: Library, path: Path, commit: str | None, tmp: Path) -> Path:
    root = tmp / library.name
    _git(tmp, "clone", "-q", "--no-hardlinks", str(path), str(root))
    if commit:
        _git(root, "checkout", "-q", commit)
    # What the runs leave behind stays out of `git status` (the map must be clean).
    exclude = root / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    with exclude.open("a", encoding="utf-8") as f:
        f.write("\n.impact/\n__pycache__/\n.hypothesis/\n.pytest_cache/\n.testmondata*\n")
    return root


def module_level_mutants(root: Path, path: str) -> list[Mutant]:
    """Faults in code that runs at import: constants assigned at module level or in a
    class body (an int off by one, a flag flipped, a string changed)."""
    text = (root / path).read_text(encoding="utf-8")
    lines = text.splitlines()
    spans = source.function_spans(text) or []
    found: list[Mutant] = []
    for node in ast.walk(ast.parse(text)):
        value = getattr(node, "value", None)
        if not isinstance(node, ast.Assign | ast.AnnAssign) or not isinstance(value, ast.Constant):
            continue
        line = node.lineno
        if node.end_lineno != line or source.innermost(spans, line) is not None:
            continue
        old = lines[line - 1]
        constant = value.value
        if isinstance(constant, bool):
            replacement = repr(not constant)
        elif isinstance(constant, int):
            replacement = repr(constant + 1)
        elif isinstance(constant, str):
            replacement = repr(constant + "~")
        else:
            continue
        start, end = value.col_offset, value.end_col_offset or value.col_offset
        new = old[:start] + replacement + old[end:]
        if new != old:
            found.append(Mutant(path, line, "Constant", old, new))
    return found


@dataclass
class Side:
    """One selector's figures over the caught faults of one library."""

    caught: int = 0
    files: list[float] = field(default_factory=list)
    tests: list[float] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)  # per fault: a failing test selected

    def share(self, values: list[float], only: list[bool] | None = None) -> float:
        kept = [v for v, keep in zip(values, only or [True] * len(values), strict=True) if keep]
        return statistics.mean(kept) if kept else float("nan")


class Suite:
    """One library's suite under both selectors: tiered-ci's map, testmon's database, and
    the cache of what does not depend on tiered-ci (each fault's failing tests, testmon's
    selection), per library and commit."""

    def __init__(self, bench: Bench, cache_dir: str | None) -> None:
        self.bench = bench
        self.head = _git(bench.root, "rev-parse", "HEAD").strip()
        name = bench.library.name
        self.cache_path = Path(cache_dir) / f"{name}-{self.head[:12]}.json" if cache_dir else None
        self.cache: dict[str, Any] = (
            json.loads(self.cache_path.read_text(encoding="utf-8"))
            if self.cache_path is not None and self.cache_path.exists()
            else {}
        )
        self.faults: dict[str, dict[str, list[str]]] = self.cache.setdefault("faults", {})
        self.map_path = bench.root / ".impact" / "map.json.gz"
        self.testmon_data = bench.tmp / f"{name}.testmondata"
        self.pristine = bench.tmp / f"{name}.testmondata.pristine"
        self.total: list[str] = []
        self.files_of: dict[str, set[str]] = {}

    def prepare(self) -> None:
        bench = self.bench
        if "baseline" not in self.cache:
            self.cache["baseline"] = sorted(bench.run()[1])
        bench.deselect = [t for t in self.cache["baseline"] if "::" in t]
        self.total = bench.run("--collect-only")[2]
        for test in self.total:
            self.files_of.setdefault(test.split("::")[0], set()).add(test)
        print(
            f"\n== {bench.library.name} at {self.head[:12]}: {len(self.total)} tests in "
            f"{len(self.files_of)} files ({len(bench.deselect)} failing before any fault "
            "left out)"
        )
        started = time.perf_counter()
        plain = bench.run()[0]
        bench.timeout = 10 * (time.perf_counter() - started) + 60
        recorded = bench.run(f"--impact-record={self.map_path}")[0]
        shown = "testmon cached"
        if not self.faults:
            shown = f"testmon {self.testmon_baseline() / plain:.2f}x"
        size = self.map_path.stat().st_size / 1024
        print(
            f"recording, CPU against a plain run: tiered-ci {recorded / plain:.2f}x, "
            f"{shown} (plain {plain:.1f} s); map {size:.0f} KiB"
        )

    def testmon_baseline(self) -> float:
        self.testmon_data.unlink(missing_ok=True)
        seconds = self.bench.run(*TESTMON)[0]
        _sqlite_copy(self.testmon_data, self.pristine)
        return seconds

    def judge(self, mutant: Mutant) -> tuple[set[str], set[str], set[str]]:
        """(failing tests, tiered-ci's selection, testmon's) with the fault applied."""
        key = f"{mutant.path}:{mutant.line}:{mutant.new}"
        if key not in self.faults and not self.pristine.exists():
            self.testmon_baseline()  # on the clean tree, before the fault
        original = apply(self.bench.root, mutant)
        try:
            known = self.faults.get(key)
            if known is None:
                failing = self.bench.run()[1]
                if HUNG in failing:
                    print(f"  {key}: the suite hangs; left out", flush=True)
                    failing = set()
                known = {"failing": sorted(_expand(failing, self.total, self.files_of))}
                if known["failing"]:
                    _sqlite_copy(self.pristine, self.testmon_data)
                    known["testmon"] = self.bench.run(*TESTMON)[2]
                self.faults[key] = known
            if not known["failing"]:
                return set(), set(), set()
            chosen = _tiered_selection(self.bench.root, self.map_path, self.total)
            return set(known["failing"]), chosen, set(known["testmon"])
        finally:
            (self.bench.root / mutant.path).write_text(original, encoding="utf-8")
            if self.cache_path is not None:
                self.cache_path.write_text(json.dumps(self.cache), encoding="utf-8")


def measure_library(
    library: Library, path: Path, commit: str | None, args: argparse.Namespace, tmp: Path
) -> tuple[int, Side, Side]:
    (tmp / "plugins").mkdir(exist_ok=True)
    (tmp / "plugins" / "bench_ran.py").write_text(RAN_PLUGIN, encoding="utf-8")
    root = clone_library(library, path, commit, tmp)
    suite = Suite(Bench(library, root, args.python, tmp), args.cache)
    suite.prepare()
    candidates = sorted(
        {
            m
            for rel in _git(root, "ls-files", *library.sources).split()
            if rel.endswith(".py")
            for m in mutants_of(root, rel) + module_level_mutants(root, rel)
        },
        key=lambda m: (m.path, m.line, m.new),
    )
    random.Random(f"{args.seed}-{library.name}").shuffle(candidates)
    ours, theirs = Side(), Side()
    faults = 0
    if args.kind:
        candidates = [m for m in candidates if m.kind == args.kind]
    for mutant in candidates[: 4 * args.faults]:
        if faults >= args.faults:
            break
        failing, chosen, testmon_ran = suite.judge(mutant)
        if not failing:
            continue
        faults += 1
        marks = []
        for side, ran in ((ours, chosen), (theirs, testmon_ran)):
            side.caught += bool(failing & ran)
            side.hits.append(bool(failing & ran))
            side.tests.append(len(ran) / len(suite.total))
            side.files.append(len({t.split("::")[0] for t in ran}) / len(suite.files_of))
            marks.append(f"{len(ran)}{'' if failing & ran else ' MISSED'}")
        print(
            f"  {mutant.path}:{mutant.line} {mutant.kind}: {len(failing)} failing; "
            f"tiered-ci runs {marks[0]}, testmon {marks[1]}",
            flush=True,
        )
    return faults, ours, theirs


def _json_list(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [str(x) for x in json.loads(path.read_text(encoding="utf-8"))]


def _sqlite_copy(source_db: Path, target: Path) -> None:
    """Copy testmon's database whole: it writes in WAL mode, so the file alone is stale."""
    for suffix in ("", "-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    with sqlite3.connect(source_db) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def _expand(failing: set[str], total: list[str], files_of: dict[str, set[str]]) -> set[str]:
    """Failing node ids; a failing file or a broken session stands for all its tests."""
    if "*" in failing:
        return set(total)
    found = {f for f in failing if "::" in f}
    for entry in failing - found:  # a module, a package or a folder that failed to collect
        for file, tests in files_of.items():
            if file == entry or file.startswith(f"{entry.rstrip('/')}/"):
                found |= tests
    return found


def _tiered_selection(root: Path, map_path: Path, total: list[str]) -> set[str]:
    """What `pytest --impact-select` runs: every collected test not judged unaffected."""
    from tiered_ci.commands.impact import select_for  # noqa: PLC0415

    result = select_for(
        root, config_module.load(root), Trigger(event="local", kind="local"), map_path, None
    )
    if result.mode == "all":
        print(f"    tiered-ci: everything, because {result.fallback_reason}")
        return set(total)
    unaffected = set(result.unaffected)
    return {t for t in total if t not in unaffected}


def corpus(args: argparse.Namespace, tmp: Path) -> None:
    rows = []
    for spec in args.library:
        name, _, rest = spec.partition("=")
        path, _, commit = rest.partition("@")
        if name not in LIBRARIES or not path:
            raise SystemExit(
                f"--library {spec!r}: write NAME=PATH[@COMMIT], NAME one of {', '.join(LIBRARIES)}"
            )
        (tmp / name).mkdir()
        faults, ours, theirs = measure_library(
            LIBRARIES[name], Path(path).resolve(), commit or None, args, tmp / name
        )
        rows.append((name, faults, ours, theirs))
    print(
        "\n| library | faults | caught (tiered-ci / testmon) | tiered-ci files / tests run "
        "| testmon files / tests run | ratio files / tests | ratio where testmon catches |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, faults, ours, theirs in rows:
        of, ot = ours.share(ours.files), ours.share(ours.tests)
        tf, tt = theirs.share(theirs.files), theirs.share(theirs.tests)
        # Over the faults testmon catches too: a fault it misses by running nothing
        # weighs on its share as 0 and on tiered-ci's as whatever caught it.
        both = theirs.hits
        ratio = (
            f"{ours.share(ours.files, both) / theirs.share(theirs.files, both):.2f} / "
            f"{ours.share(ours.tests, both) / theirs.share(theirs.tests, both):.2f}"
        )
        print(
            f"| {name} | {faults} | {ours.caught} / {theirs.caught} | {of:.1%} / {ot:.1%} "
            f"| {tf:.1%} / {tt:.1%} | {of / tf:.2f} / {ot / tt:.2f} | {ratio} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mutants", type=int, default=12, help="mutants per subject (default 12)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", choices=("example", "tiered-ci", "synthetic"))
    parser.add_argument(
        "--library",
        action="append",
        default=[],
        metavar="NAME=PATH[@COMMIT]",
        help=f"a local clone of a corpus library ({', '.join(LIBRARIES)}); measures only "
        "the libraries given, beside pytest-testmon (repeatable)",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter of the libraries' test env: pytest, coverage, pytest-testmon "
        "2.2, the libraries' test dependencies, tiered-ci (default: this one)",
    )
    parser.add_argument("--faults", type=int, default=30, help="caught faults per library")
    parser.add_argument(
        "--kind",
        choices=("Compare", "BoolOp", "Return", "Constant"),
        help="only faults of this kind (Constant: a module-level or class-body constant)",
    )
    parser.add_argument(
        "--cache",
        metavar="DIR",
        help="keep each fault's failing tests and testmon's selection here, per library and "
        "commit, and reuse them (they do not depend on tiered-ci)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-impact-") as tmp_text:
        tmp = Path(tmp_text)
        if args.library:
            corpus(args, tmp)
            return 0
        if args.only in (None, "synthetic"):
            synthetic(random.Random(f"{args.seed}-synthetic"), tmp)
        totals = Tally()
        for make in (make_example, make_tiered):
            subject = make(tmp)
            if args.only not in (None, subject.name):
                continue
            # One generator per subject: `--only` draws the same sample as a full run.
            tally = measure(subject, args.mutants, random.Random(f"{args.seed}-{subject.name}"))
            report(subject.name, tally)
            totals.add(tally)
        if args.only is None:
            report("all subjects", totals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
