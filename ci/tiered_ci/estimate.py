"""Runner time of a plan against running everything, from recorded durations. Pure.

Each matrix entry is one job: `shard-overhead-seconds` (checkout, setup,
install) plus the recorded seconds of the tests it runs. A domain shard runs
its domain's tests, a `domain-integration` its domain's integration tests, a
`domain-pack` its sessions', `unit` and `integration` the tests no domain owns,
a `--shard=K/N` entry 1/N of its tier. With nothing recorded a job costs its
overhead alone, and the estimate says so. The critical path is the
longest job (the jobs run side by side), plus the plan job before them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from tiered_ci.model import Config
from tiered_ci.plan import PACK_SESSION, MatrixEntry, Plan
from tiered_ci.shard import tier_durations

__all__ = ["Costs", "Estimate", "costs", "estimate"]

_VERSION = re.compile(r"-(?:pypy)?\d+(?:\.\d+)*t?$")


@dataclass(frozen=True, slots=True)
class Costs:
    """Recorded seconds per domain and per tier (the remainder of `unit` when fanned out,
    of `integration` when domains own integration tests)."""

    overhead: float
    domains: Mapping[str, float]
    tiers: Mapping[str, float]
    recorded: bool  # False: no durations file, every job is overhead only
    integration: Mapping[str, float] = field(default_factory=dict)  # per owning domain


@dataclass(frozen=True, slots=True)
class Estimate:
    jobs: int
    runner_seconds: float
    critical_seconds: float
    all_jobs: int
    all_runner_seconds: float
    all_critical_seconds: float
    recorded: bool

    @property
    def saving(self) -> float:
        """Share of runner time saved against running everything (0..1)."""
        if self.all_runner_seconds <= 0:
            return 0.0
        return max(0.0, 1 - self.runner_seconds / self.all_runner_seconds)

    def to_json(self) -> dict[str, object]:
        return {
            "jobs": self.jobs,
            "runner_minutes": round(self.runner_seconds / 60, 2),
            "critical_path_minutes": round(self.critical_seconds / 60, 2),
            "all_jobs": self.all_jobs,
            "all_runner_minutes": round(self.all_runner_seconds / 60, 2),
            "all_critical_path_minutes": round(self.all_critical_seconds / 60, 2),
            "saving": round(self.saving, 4),
            "durations_recorded": self.recorded,
        }

    def summary(self) -> str:
        basis = "" if self.recorded else " (no recorded durations: each job counts its overhead)"
        return (
            f"estimated runner time {self.runner_seconds / 60:.1f} min in {self.jobs} jobs, "
            f"critical path {self.critical_seconds / 60:.1f} min; everything: "
            f"{self.all_runner_seconds / 60:.1f} min in {self.all_jobs} jobs, critical path "
            f"{self.all_critical_seconds / 60:.1f} min; saving {self.saving:.0%}{basis}"
        )


def costs(config: Config, durations: Mapping[str, float] | None) -> Costs:
    """Per-domain and per-tier seconds from a durations mapping (None: none recorded)."""
    recorded = dict(durations or {})
    owned: dict[str, float] = {}
    domains: dict[str, float] = {}
    integration: dict[str, float] = {}
    for name, domain in config.domains.items():
        itests = (
            tier_durations(recorded, domain.integration_tests) if domain.integration_tests else {}
        )
        tests = tier_durations(recorded, domain.tests) if domain.tests else {}
        tests = {node: s for node, s in tests.items() if node not in itests}
        domains[name] = sum(tests.values())
        owned.update(tests)
        if itests:
            integration[name] = sum(itests.values())
            owned.update(itests)
    tiers: dict[str, float] = {}
    for name in ("unit", "integration", "e2e", "quick"):
        tier = config.tier(name)
        tests = tier_durations(recorded, tier.paths)
        if (name == "unit" and tier.fan_out and config.domains) or name == "integration":
            tests = {node: s for node, s in tests.items() if node not in owned}
        tiers[name] = sum(tests.values())
    return Costs(config.shard_overhead_seconds, domains, tiers, bool(recorded), integration)


def _entry_seconds(entry: MatrixEntry, costs: Costs) -> float:
    args = shlex.split(entry.args)
    if entry.session == PACK_SESSION:
        return sum(_test_seconds(name, [], costs) for name in args) + costs.overhead
    return _test_seconds(entry.session, args, costs) + costs.overhead


def _test_seconds(session: str, args: list[str], costs: Costs) -> float:
    if session.startswith("domain-shard(") and session.endswith(")"):
        name = session[len("domain-shard(") : -1]
        if "@" in name:  # a version-axis variant: `core@dbt-core==1.7.0-3.12`
            name = name.split("@", 1)[0]
        if name not in costs.domains:
            name = _VERSION.sub("", name)  # `core-3.12`: the version suffix
        return costs.domains.get(name, 0.0)
    if session.startswith("domain-integration(") and session.endswith(")"):
        name = session[len("domain-integration(") : -1]
        if name not in costs.integration:
            name = _VERSION.sub("", name)
        return costs.integration.get(name, 0.0)
    base = _VERSION.sub("", session)  # `unit-3.12` is the unit tier
    seconds = costs.tiers.get(base, 0.0)
    for arg in args:
        if arg.startswith("--shard=") and "/" in arg:
            seconds /= max(1, int(arg.rsplit("/", 1)[1]))
    return seconds


def _jobs(plan: Plan, costs: Costs) -> tuple[int, float, float]:
    seconds = [_entry_seconds(e, costs) for e in plan.matrix]
    return len(seconds), sum(seconds), max(seconds, default=0.0)


def estimate(plan: Plan, everything: Plan, costs: Costs) -> Estimate:
    """`plan` against `everything` (the same trigger in mode all)."""
    jobs, runner, critical = _jobs(plan, costs)
    all_jobs, all_runner, all_critical = _jobs(everything, costs)
    return Estimate(jobs, runner, critical, all_jobs, all_runner, all_critical, costs.recorded)
