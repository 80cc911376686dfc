"""The configuration's value types: frozen dataclasses and the constants they name.

A leaf below `config` (which loads and validates a table into these) and
`families` (which expands domain families into more of them), so that neither
imports the other: every arrow points down to here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tiered_ci.backing.model import BackingService

__all__ = [
    "CACHE_MODES",
    "COMPOSE_FILES",
    "DEFAULT_INSTALL",
    "DEFAULT_MARKERS",
    "DEFAULT_TRIGGERS",
    "MATRIX_LIMIT",
    "MAX_DEEPEN_BUDGET",
    "PREFIX",
    "SESSION_KINDS",
    "TRIGGER_KINDS",
    "UNMAPPED_POLICIES",
    "Config",
    "Domain",
    "Family",
    "Impact",
    "Install",
    "Labels",
    "Member",
    "Service",
    "Tier",
    "TriggerPolicy",
    "UnmappedPolicy",
]

PREFIX = "tool.tiered-ci"

UnmappedPolicy = Literal["run-all", "warn", "ignore"]
UNMAPPED_POLICIES: tuple[UnmappedPolicy, ...] = ("run-all", "warn", "ignore")
CACHE_MODES = ("none", "registry")
# `services-from = "compose"`: the first of these that exists (Compose's own lookup order).
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")

# `git fetch --deepen` takes an int; a budget past this is a typo, not a plan.
MAX_DEEPEN_BUDGET = 1_000_000

# Sessions a trigger can name (DESIGN section 6). `domain-shard` stands for
# every `domain-shard(<domain>)` the change selects.
SESSION_KINDS = (
    "quick",
    "unit",
    "integration",
    "domain-shard",
    "docker-changed-services",
    "full-e2e",
)

# Trigger kinds the planner tells apart (see tiered_ci.events.Trigger.kind).
TRIGGER_KINDS = (
    "local",
    "pull_request",
    "ready_for_review",
    "push",
    "push_default",
    "merge_group",
    "schedule",
    "workflow_dispatch",
    "other",
)


@dataclass(frozen=True, slots=True)
class Install:
    """How a session's environment is installed (`[...install]` of a domain or tier).

    With no table anywhere a session installs `DEFAULT_INSTALL`: the root project,
    editable, plus its `test` group. A table says everything: its groups default
    to none.
    """

    root: bool = True  # install the repository's own project (`-e .`)
    editable: tuple[str, ...] = ()  # folders installed with `-e`
    requirements: tuple[str, ...] = ()  # requirement files (`-r`)
    groups: tuple[str, ...] = ()  # dependency groups: `name` (root) or `folder:name`
    extras: tuple[str, ...] = ()  # extras of the root project and of each editable folder
    packages: tuple[str, ...] = ()  # more requirements, as written (`pytest>=8`)


DEFAULT_INSTALL = Install(groups=("test",))
# GitHub Actions refuses a matrix of more entries than this.
MATRIX_LIMIT = 256


# The tiers that choose their tests by marker while they have no table. A `quick` table
# that sets neither `markers` nor `paths` keeps them: `[tiers.quick.install]` alone must
# not make quick the whole suite. (An `integration` table without markers is what makes
# `domain-integration` run its folders unfiltered: unchanged.)
DEFAULT_MARKERS = {"quick": "critical or smoke", "integration": "integration"}


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    paths: tuple[str, ...] = ()  # test folders or files the tier runs (pytest args)
    markers: str | None = None
    workers: int | Literal["auto"] | None = None
    budget_seconds: float | None = None
    target_seconds: float | None = None
    install: Install | None = None
    python: tuple[str, ...] = ()  # one session per version; () = the Python running nox
    run_pytest: bool = True  # `quick` with false: lint only
    fan_out: bool = True  # `unit`: run as every domain shard (+ the rest), each in its env
    max_jobs: int | None = None  # `unit`: pack the shards into at most this many jobs
    needs: tuple[str, ...] = ()  # backing services its tests need (tiered_ci.backing)
    pytest_args: tuple[str, ...] = ()  # added to its sessions' (and its shards') arguments


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    paths: tuple[str, ...]  # globs of the sources it owns
    tests: tuple[str, ...] = ()  # test folders or files that cover it (pytest args)
    install: Install | None = None  # None: the unit tier's, else the default
    python: tuple[str, ...] = ()  # (): the unit tier's versions
    depends_on: tuple[str, ...] = ()  # domains whose change also runs this one
    family: str | None = None  # the domain-families entry that generated it
    # Integration tests the domain owns: `domain-integration(<name>)` runs them, with the
    # integration tier's markers, instead of the tier-wide `integration` session.
    integration_tests: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # backing services its tests need (tiered_ci.backing)
    pytest_args: tuple[str, ...] = ()  # added to its sessions' pytest arguments
    workers: int | Literal["auto"] | None = None  # None: the tier's
    # A dependency-version axis: package -> versions; each version is one more shard
    # session with that pin (`domain-shard(<name>@<package>==<version>)`).
    matrix: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def pins(self) -> tuple[str, ...]:
        """`package==version` for each entry of its version axis."""
        return tuple(f"{p}=={v}" for p, versions in self.matrix.items() for v in versions)


@dataclass(frozen=True, slots=True)
class Family:
    """`[tool.tiered-ci.domain-families.<name>]`: one domain per folder matching `folders`.

    Templates: `{folder}` is the folder's path (`packages/billing`), `{name}` its
    last part (`billing`). tiered_ci.families expands a family against a tree.
    """

    name: str
    folders: str  # a glob of folders, one `*` level per part: "packages/*"
    domain: str = "{name}"
    paths: tuple[str, ...] = ("{folder}/**",)
    tests: tuple[str, ...] = ("{folder}/tests",)
    # Kept for a folder only where the rendered path exists in the tree.
    integration_tests: tuple[str, ...] = ()
    install: Install | None = None
    python: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # folder globs left out
    dependencies: bool = True  # edges from the packages' own metadata
    depends_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by hand
    # Per-domain exceptions: a package whose test requirements file is named unlike
    # its siblings keeps its generated paths and metadata edges, only its install differs.
    members: Mapping[str, Member] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # backing services every member's tests need
    pytest_args: tuple[str, ...] = ()
    workers: int | Literal["auto"] | None = None
    matrix: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Member:
    """`[tool.tiered-ci.domain-families.<f>.members.<domain>]`: one member's own settings."""

    install: Install | None = None
    python: tuple[str, ...] | None = None
    needs: tuple[str, ...] | None = None  # None: the family's
    pytest_args: tuple[str, ...] | None = None  # None: the family's
    workers: int | Literal["auto"] | None = None  # None: the family's
    matrix: Mapping[str, tuple[str, ...]] | None = None  # None: the family's


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    context: str
    dockerfile: str
    image: str
    paths: tuple[str, ...] = ()  # extra input globs outside the context
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    # Keys the config table set; compose discovery (images.discover) fills the others.
    keys: frozenset[str] = frozenset()
    # Named build contexts (`COPY --from=<name>`): a repo-relative folder, or a URL,
    # `docker-image://...`, `service:<name>` (compose's `additional_contexts`).
    contexts: Mapping[str, str] = field(default_factory=dict)
    # Why the build inputs cannot be known (an unset compose variable...): watch everything.
    unresolved: str = ""
    # Build args whose value the build machine's environment decides (compose `args: [NAME]`,
    # or a value using an unset variable): unknown when a COPY source uses them.
    open_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TriggerPolicy:
    """Sessions a trigger always runs, and those it runs only when the change selects them."""

    always: tuple[str, ...]
    affected: tuple[str, ...]


DEFAULT_TRIGGERS: Mapping[str, TriggerPolicy] = {
    "local": TriggerPolicy(
        ("quick",), ("domain-shard", "unit", "integration", "docker-changed-services")
    ),
    "pull_request": TriggerPolicy(
        ("quick",), ("domain-shard", "unit", "integration", "docker-changed-services")
    ),
    "push": TriggerPolicy(
        ("quick",), ("domain-shard", "unit", "integration", "docker-changed-services")
    ),
    "push_default": TriggerPolicy(("quick", "unit"), ("integration", "docker-changed-services")),
    "ready_for_review": TriggerPolicy(("full-e2e",), ()),
    "merge_group": TriggerPolicy(("full-e2e",), ()),
    "schedule": TriggerPolicy(("full-e2e", "docker-changed-services"), ()),
    "workflow_dispatch": TriggerPolicy(("full-e2e", "docker-changed-services"), ()),
    "other": TriggerPolicy(
        ("quick",), ("domain-shard", "unit", "integration", "docker-changed-services")
    ),
}


@dataclass(frozen=True, slots=True)
class Impact:
    """`[tool.tiered-ci.impact]`: test impact selection (tiered_ci.impact)."""

    enabled: bool = False
    map: str = ".impact/map.json.gz"  # where CI restores the recorded map, repo-relative
    max_age_days: float = 30.0  # an older map (head's commit date - the map's) is not used


@dataclass(frozen=True, slots=True)
class Labels:
    """`[tool.tiered-ci.labels]`: pull-request labels that force what runs (tiered_ci.labels)."""

    run_all: tuple[str, ...] = ()  # any of these labels: everything runs
    domains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # label -> domains


@dataclass(frozen=True, slots=True)
class Config:
    root: Path  # the repository the config describes
    source: Path | None  # the file it was read from (None: defaults only)
    default_branch: str = "main"
    ignore: tuple[str, ...] = ()
    run_all: tuple[str, ...] = ()
    unmapped: UnmappedPolicy = "run-all"
    tiers: Mapping[str, Tier] = field(default_factory=dict)
    domains: Mapping[str, Domain] = field(default_factory=dict)
    families: Mapping[str, Family] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)
    triggers: Mapping[str, TriggerPolicy] = field(default_factory=lambda: dict(DEFAULT_TRIGGERS))
    durations: str = ".test_durations"
    shard_overhead_seconds: float = 30.0
    deepen_budget: int = 500  # commits `git fetch --deepen` may add in a shallow clone
    services_from: tuple[str, ...] = ()  # compose files to discover services from
    # Set by tiered_ci.images.discover.resolve: the files compose discovery read, and the
    # services as configured (before compose filled them in), to redo it at another revision.
    compose_inputs: tuple[str, ...] = ()
    declared_services: Mapping[str, Service] | None = None
    cache: str = "none"
    coverage_fail_under: float | None = None
    impact: Impact = field(default_factory=Impact)
    # `lock`: True installs with uv.lock's pins when there is one; a path names the lock
    # or constraints file (tiered_ci.locks); False installs the newest versions.
    lock: str | bool = True
    labels: Labels = field(default_factory=Labels)
    # `[tool.tiered-ci.backing-services]`: what tests need running (tiered_ci.backing).
    backing: Mapping[str, BackingService] = field(default_factory=dict)
    unknown_keys: tuple[str, ...] = ()
    # False when the file has no [tool.tiered-ci] table: plan then runs on defaults
    # (everything is unmapped, so everything runs) and check-config fails.
    table_found: bool = True

    def tier(self, name: str) -> Tier:
        return self.tiers.get(name) or Tier(name, markers=DEFAULT_MARKERS.get(name))

    def domain_install(self, name: str) -> Install:
        """A domain's install: its own table, else the unit tier's, else the default."""
        return self.domains[name].install or self.tier("unit").install or DEFAULT_INSTALL

    def domain_python(self, name: str) -> tuple[str, ...]:
        return self.domains[name].python or self.tier("unit").python

    def integration_install(self, name: str) -> Install:
        """`domain-integration(<name>)`'s install: the domain's own table, else the
        integration tier's, else what its shard installs."""
        return (
            self.domains[name].install
            or self.tier("integration").install
            or self.domain_install(name)
        )

    def integration_python(self, name: str) -> tuple[str, ...]:
        """`domain-integration(<name>)`'s versions: the domain's, the integration tier's,
        else the unit tier's."""
        return (
            self.domains[name].python or self.tier("integration").python or self.tier("unit").python
        )

    def versions(self, session: str) -> tuple[str, ...]:
        """Python versions a planned session runs on (`domain-shard(d)`,
        `domain-integration(d)` or a tier name)."""
        for prefix, versions in (
            ("domain-shard(", self.domain_python),
            ("domain-integration(", self.integration_python),
        ):
            if session.startswith(prefix) and session.endswith(")"):
                name = session[len(prefix) : -1]
                return versions(name) if name in self.domains else ()
        return self.tiers[session].python if session in self.tiers else ()
