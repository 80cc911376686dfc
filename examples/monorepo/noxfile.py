"""tiered-ci sessions: one file for any repository with a `[tool.tiered-ci]` table.

Everything repository-specific (tiers, domains, dependency groups) is read from
./pyproject.toml with tomllib. This file never imports `ci`: in a user's
repository nox runs outside the project's environment, and tiered-ci is
installed into the sessions that call it. Copy it unchanged (lines fit in 88
columns, so any ruff or black line length accepts it);
examples/monorepo/noxfile.py is a byte-identical copy.

    nox -s quick                      # before a push: lint + critical/smoke tests
    nox -s ci                         # what CI would run for this change
    nox -s "domain-shard(api)" -- -x  # after --: arguments for pytest
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import nox

# `requires=` and nox.project.dependency_groups appeared in 2025.02.09.
nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
# Keep venvs between runs: installs still run (uv makes a no-op install cheap), so
# a changed dependency group is picked up; `nox -R` skips them for the fastest loop.
nox.options.reuse_venv = "yes"
nox.options.sessions = ["quick"]

ROOT = Path(__file__).resolve().parent
PYPROJECT_FILE = ROOT / "pyproject.toml"
PYPROJECT: dict[str, Any] = tomllib.loads(PYPROJECT_FILE.read_text(encoding="utf-8"))
SETTINGS: dict[str, Any] = PYPROJECT.get("tool", {}).get("tiered-ci", {})
TIERS: dict[str, dict[str, Any]] = SETTINGS.get("tiers", {})
DOMAINS: dict[str, dict[str, Any]] = SETTINGS.get("domains", {})
DOMAIN_NAMES = list(DOMAINS)
REPORTS = ROOT / "reports"
Table = Mapping[str, Any]
ACCEPTED_RESULTS = frozenset({"success", "skipped"})
# Variables through which coverage follows subprocesses (see run_pytest).
COVERAGE_VARIABLES = (
    "COVERAGE_PROCESS_START",
    "COVERAGE_PROCESS_CONFIG",
    "COVERAGE_FILE",
)


# --- pure helpers (unit-tested in tests/unit/sessions) ------------------------------


def tier_args(tier: Table, *, paths: Sequence[str] | None = None) -> list[str]:
    """pytest arguments of a tier: its paths (or `paths`), -m markers, -n workers."""
    args = list(tier.get("paths", ()) if paths is None else paths)
    if markers := tier.get("markers"):
        args += ["-m", str(markers)]
    if (workers := tier.get("workers")) is not None:
        args += ["-n", str(workers)]
    return args


def shard_index(posargs: Sequence[str]) -> str | None:
    """K of a `--shard=K/N` (or `--shard K/N`) in the pytest arguments, else None."""
    for position, arg in enumerate(posargs):
        value = arg.removeprefix("--shard=") if arg.startswith("--shard=") else None
        if arg == "--shard" and position + 1 < len(posargs):
            value = posargs[position + 1]
        if value is not None and (match := re.fullmatch(r"(\d+)/\d+", value)):
            return match.group(1)
    return None


def data_slug(session_name: str, posargs: Sequence[str]) -> str:
    """A file-name-safe run id: `domain-shard(api)` + `--shard=2/4` -> `...-api.2`."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", session_name).strip("-")
    index = shard_index(posargs)
    return f"{slug}.{index}" if index else slug


def budget_verdict(seconds: float, budget: float | None) -> tuple[bool, str]:
    """(over budget?, message) for the quick tier's wall time."""
    key = "tool.tiered-ci.tiers.quick.budget-seconds"
    if budget is None:
        return False, f"quick tier took {seconds:.1f} s (no budget: set {key})"
    if seconds <= budget:
        return False, f"quick tier took {seconds:.1f} s, within its {budget:g} s budget"
    return True, (
        f"OVER BUDGET: the quick tier took {seconds:.1f} s, more than its {budget:g} s "
        f"budget ({key}); move slow tests out of the quick markers or raise the budget"
    )


def gate_problems(needs_json: str | None) -> list[str]:
    """Why the workflow's gate must fail (empty: pass), from `toJSON(needs)`.

    Fails on a failed or cancelled job; a skipped job passes only when the plan
    succeeded (skipped because the plan selected nothing), because branch
    protection counts skipped as passed and a crashed plan must never skip tests.
    """
    if not needs_json:
        usage = "pass `NEEDS_JSON: ${{ toJSON(needs) }}` to the gate step"
        return [f"NEEDS_JSON is empty: {usage}"]
    try:
        needs = json.loads(needs_json)
    except json.JSONDecodeError as exc:
        return [f"NEEDS_JSON is not JSON ({exc}); pass toJSON(needs)"]
    if not isinstance(needs, dict) or not needs:
        return ["NEEDS_JSON names no job: list the gated jobs in the gate job's needs"]
    problems = []
    for job, data in needs.items():
        result = data.get("result") if isinstance(data, dict) else None
        if job == "plan" and result != "success":
            why = "no trustworthy plan: everything must run"
            problems.append(f"plan: {result} ({why})")
        elif result not in ACCEPTED_RESULTS:
            problems.append(f"{job}: {result}")
    return problems


def with_tiered_ci(requirements: list[str], spec: list[str]) -> list[str]:
    """`requirements` plus tiered-ci's install `spec`, unless the spec is the same.

    Compared whole, not token by token: `-e ../tiered-ci` next to the project's
    `-e .` keeps its `-e` (dropping it would install tiered-ci non-editable).
    """
    return list(requirements) if spec == requirements else [*requirements, *spec]


def coverage_enforced(data_files: Iterable[str]) -> bool:
    """A whole-suite floor applies only to data that holds a whole-suite run."""
    return any(name.startswith(".coverage.full-e2e") for name in data_files)


# --- installing ---------------------------------------------------------------------


def groups(session: nox.Session, *names: str) -> list[str]:
    """Requirements of `[dependency-groups]` groups; a missing group is named."""
    available = PYPROJECT.get("dependency-groups", {})
    for name in names:
        if name not in available:
            message = f"[dependency-groups] has no {name!r} group; add it"
            session.error(f"pyproject.toml: {message}")
    return list(nox.project.dependency_groups(PYPROJECT, *names))


def tiered_ci(session: nox.Session) -> list[str]:
    """How to install tiered-ci: $TIERED_CI_SPEC, this project, or the `ci` group."""
    if spec := os.environ.get("TIERED_CI_SPEC"):
        return shlex.split(spec)
    if PYPROJECT.get("project", {}).get("name") == "tiered-ci":
        return ["-e", "."]
    return groups(session, "ci")


def install(
    session: nox.Session,
    *group_names: str,
    project: bool = False,
    tools: bool = False,
) -> None:
    """The project (editable: coverage maps to the checkout), groups, tiered-ci."""
    # A nox started by a test of an outer nox run (the e2e tests do this) must not
    # write into the outer run's coverage data; None unsets a variable.
    for variable in COVERAGE_VARIABLES:
        session.env[variable] = None
    requirements = ["-e", "."] if project and "project" in PYPROJECT else []
    if tools:
        requirements = with_tiered_ci(requirements, tiered_ci(session))
    requirements += groups(session, *group_names)
    if requirements:
        session.install(*requirements)


# --- running tests ------------------------------------------------------------------


def run_pytest(session: nox.Session, args: list[str], *, cover: bool = True) -> None:
    """pytest with junit XML under reports/ and, if `cover`, its own coverage data."""
    slug = data_slug(session.name, session.posargs)
    REPORTS.mkdir(exist_ok=True)
    env: dict[str, str] = {}
    if cover:
        remove_coverage_data(f".coverage.{slug}")
        # coverage's .pth hook starts it in pytest and in every Python subprocess
        # (xdist workers, CLI runs); `parallel = true` gives each its own file.
        env["COVERAGE_PROCESS_START"] = str(PYPROJECT_FILE)
        env["COVERAGE_FILE"] = str(ROOT / f".coverage.{slug}")
    # An intentionally split run may get an empty shard: exit 5 is then success.
    codes = [0, 5] if shard_index(session.posargs) else [0]
    junit = f"--junitxml={REPORTS.name}/junit-{slug}.xml"
    pytest = ["python", "-m", "pytest", *args, junit, *session.posargs]
    session.run(*pytest, env=env, success_codes=codes)


def remove_coverage_data(prefix: str) -> None:
    for stale in ROOT.glob(f"{prefix}*"):
        if stale.name == prefix or stale.name.startswith(f"{prefix}."):
            stale.unlink()


def run_test_session(session: nox.Session, args: list[str]) -> None:
    install(session, "test", project=True, tools=True)
    run_pytest(session, args)


def unit_tier() -> dict[str, Any]:
    return TIERS.get("unit", {})


# --- sessions -----------------------------------------------------------------------


@nox.session
def quick(session: nox.Session) -> None:
    """Lint and the critical/smoke tests: the under-a-minute tier; warns when over."""
    install(session, "test", "lint", project=True)
    tier = TIERS.get("quick", {"markers": "critical or smoke"})
    started = time.perf_counter()
    try:
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
        # pytest-randomly would seed each CI job differently: keep this tier stable.
        run_pytest(session, [*tier_args(tier), "-p", "no:randomly"], cover=False)
    finally:
        seconds = time.perf_counter() - started
        report_budget(session, seconds, tier.get("budget-seconds"))


def report_budget(session: nox.Session, seconds: float, budget: float | None) -> None:
    over, message = budget_verdict(seconds, budget)
    if not over:
        session.log(message)
        return
    banner = "!" * 80
    session.warn(banner)
    session.warn(message)
    session.warn(banner)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning title=quick tier OVER BUDGET::{message}")
        if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write(f"> [!WARNING]\n> {message}\n\n")


@nox.session
def unit(session: nox.Session) -> None:
    """Every unit test: the union of all domain shards and the tests no domain owns."""
    run_test_session(session, tier_args(unit_tier()))


@nox.session
def integration(session: nox.Session) -> None:
    """The integration tier (its paths and markers, limited workers)."""
    tier = TIERS.get("integration", {"markers": "integration"})
    run_test_session(session, tier_args(tier))


@nox.session(name="domain-shard")
@nox.parametrize("domain", DOMAIN_NAMES, ids=DOMAIN_NAMES)
def domain_shard(session: nox.Session, domain: str) -> None:
    """The unit tests of one domain (its `tests`, with the unit tier's markers)."""
    tests = DOMAINS[domain].get("tests", [])
    if not tests:
        session.skip(f"tool.tiered-ci.domains.{domain}.tests is empty: nothing to run")
    run_test_session(session, tier_args(unit_tier(), paths=tests))


@nox.session(name="docker-changed-services")
def docker_changed_services(session: nox.Session) -> None:
    """Build the images of the services the change touches (-- --all: every one)."""
    install(session, tools=True)
    # The workflow sets TIERED_CI_PUSH=true only where it has logged in to a registry.
    push = ["--push"] if os.environ.get("TIERED_CI_PUSH") == "true" else []
    session.run("tiered-ci", "build", *push, *session.posargs)


@nox.session(name="full-e2e")
def full_e2e(session: nox.Session) -> None:
    """Everything: every test incl. integration, slow and e2e, then coverage."""
    remove_coverage_data(".coverage")  # the whole picture replaces partial ones
    workers = unit_tier().get("workers")
    run_test_session(session, ["-n", str(workers)] if workers is not None else [])
    if not any(ROOT.glob(".coverage.full-e2e*")):
        session.error(
            "the tests recorded no coverage data: set `parallel = true` in "
            "[tool.coverage.run] and list coverage in the `test` dependency group"
        )
    session.notify("coverage")


@nox.session
def plan(session: nox.Session) -> None:
    """Print the plan for this change (`-- --format github` in a workflow)."""
    install(session, tools=True)
    session.run("tiered-ci", "plan", *session.posargs)


@nox.session
def coverage(session: nox.Session) -> None:
    """Combine the sessions' .coverage.* data, report it and write coverage.xml."""
    data = sorted(p.name for p in ROOT.glob(".coverage.*"))
    if not data and not (REPORTS / ".coverage").exists():
        # Not an error: a workflow run that only built images has no data.
        session.skip("no coverage data (.coverage.*): run a test session first")
    wanted = [r for r in groups(session, "test") if re.match(r"coverage\b", r)]
    session.install(*(wanted or ["coverage"]))
    # The combined file lives under reports/ and the per-session files are kept: a
    # job uploads them after full-e2e has reported, and recent coverage versions
    # combine (and delete) the `<data file>.*` siblings on every report.
    REPORTS.mkdir(exist_ok=True)
    session.env["COVERAGE_FILE"] = str(REPORTS / ".coverage")
    if data:
        session.run("coverage", "combine", "--keep", "--quiet", ".")
    session.run("coverage", "xml", "-o", "coverage.xml")
    floor = SETTINGS.get("coverage", {}).get("fail-under")
    enforce = floor is not None and coverage_enforced(data)
    if floor is not None and not enforce:
        session.log(f"fail-under {floor} not enforced: partial run ({', '.join(data)})")
    session.run("coverage", "report", *([f"--fail-under={floor}"] if enforce else []))
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        markdown = ["coverage", "report", "--format=markdown"]
        table = session.run(*markdown, silent=True, stderr=None)
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(f"## Coverage\n\n{table or ''}\n")


@nox.session
def ci(session: nox.Session) -> None:
    """What CI would run for this change: print the plan, then run its sessions."""
    install(session, tools=True)
    command = ["tiered-ci", "plan", "--format", "json", *session.posargs]
    the_plan = json.loads(session.run(*command, silent=True, stderr=None) or "{}")
    print(json.dumps(the_plan, indent=2))
    for name in the_plan.get("sessions", []):
        session.notify(name)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and mypy when the lint group has it."""
    install(session, "lint", project=True)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    if any(re.match(r"mypy\b", r) for r in groups(session, "lint")):
        session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmarks/bench_*.py; each prints its table of ratios."""
    scripts = sorted(ROOT.glob("benchmarks/bench_*.py"))
    if not scripts:
        session.skip("no benchmarks/bench_*.py")
    extra = ["bench"] if "bench" in PYPROJECT.get("dependency-groups", {}) else []
    install(session, "test", *extra, project=True, tools=True)
    for script in scripts:
        session.run("python", str(script.relative_to(ROOT)))


@nox.session(venv_backend="none")
def gate(session: nox.Session) -> None:
    """Last workflow job: fails if a needed job failed, was cancelled, or no plan."""
    problems = gate_problems(os.environ.get("NEEDS_JSON"))
    for problem in problems:
        session.warn(f"gate: {problem}")
    if problems:
        session.error(f"{len(problems)} needed job(s) did not pass")
    session.log("gate: every needed job passed or was skipped by the plan")
