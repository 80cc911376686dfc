"""Pure planner: Trigger + ChangeSet + Selection + Config -> Plan.

The plan is a first-class frozen object: the workflows read its JSON
(`to_json()`, DESIGN section 5), the text report and `--explain` read its
`decisions`. Nothing here touches git, files or the environment.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from tiered_ci import full_validation, labels
from tiered_ci.backing.needs import entry_needs
from tiered_ci.changes import ChangedFile, ChangeSet
from tiered_ci.events import Trigger
from tiered_ci.mapping import IMAGE_INPUT_ONLY, Reason, Selection, literal_prefix
from tiered_ci.model import MATRIX_LIMIT, SESSION_KINDS, Config, TriggerPolicy

__all__ = [
    "NOT_IN_MATRIX",
    "PLAN_VERSION",
    "Decision",
    "MatrixEntry",
    "Mode",
    "Plan",
    "build_plan",
    "versioned_sessions",
]

Mode = Literal["partial", "all", "none"]
PLAN_VERSION = 1

# The workflow runs `quick` in a job of its own, so it never appears in the matrix.
NOT_IN_MATRIX = frozenset({"quick"})


@dataclass(frozen=True, slots=True)
class MatrixEntry:
    session: str
    args: str = ""
    python: str | None = None  # the version a per-version session needs (the job's setup)
    needs: tuple[str, ...] = ()  # backing services its tests need (tiered_ci.backing)

    def to_json(self) -> dict[str, str]:
        data = {"session": self.session, "args": self.args}
        if self.python is not None:
            data["python"] = self.python
        if self.needs:
            data["needs"] = " ".join(self.needs)
        return data


@dataclass(frozen=True, slots=True)
class Decision:
    """One line of `--explain`: a domain, service or session, whether it runs, and why."""

    target: str
    selected: bool
    why: str
    near_miss: bool = False  # not selected, but a changed file sits in a folder its rules name


@dataclass(frozen=True, slots=True)
class Plan:
    event: str
    trigger: str  # the trigger kind the policy was chosen by
    base: str | None
    head: str | None
    mode: Mode
    fallback_reason: str | None
    changed: tuple[ChangedFile, ...]
    sessions: tuple[str, ...]
    domains: tuple[str, ...]
    services: tuple[str, ...]
    matrix: tuple[MatrixEntry, ...]
    reasons: tuple[Reason, ...]
    decisions: tuple[Decision, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    ignored: frozenset[str] = field(default=frozenset())
    # mode `all` for the tests only: `services` are exactly those whose inputs changed
    images_exact: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "version": PLAN_VERSION,
            "event": self.event,
            "base": self.base,
            "head": self.head,
            "mode": self.mode,
            "fallback_reason": self.fallback_reason,
            "changed": [
                {"path": f.path, "status": f.status, "old_path": f.old_path} for f in self.changed
            ],
            "sessions": list(self.sessions),
            "domains": list(self.domains),
            "services": list(self.services),
            "matrix": {"include": [entry.to_json() for entry in self.matrix]},
            "reasons": [reason.to_json() for reason in self.reasons],
        }


def build_plan(  # noqa: PLR0913 - plain data in, keyword-only extras
    trigger: Trigger,
    changes: ChangeSet,
    selection: Selection,
    config: Config,
    *,
    shard_counts: Mapping[str, int] | None = None,
    domain_seconds: Mapping[str, float] | None = None,
    empty_remainders: frozenset[str] = frozenset(),
    unowned_tests: tuple[str, ...] | None = None,
) -> Plan:
    """Decide the sessions, domains and services for one run, with a reason for each.

    `empty_remainders`: tier-wide sessions (`unit`, `integration`) whose tests no
    domain owns are none at all (`tiered_ci.remainders`): they are left out.
    `unowned_tests`: the repository's test files no domain owns (None: not listed);
    a full validation that fans out runs them in `full-e2e` (tiered_ci.full_validation).
    """
    policy = config.triggers[trigger.kind]
    policy_key = f"triggers.{trigger.kind}"
    selection, label_warnings = labels.with_label_domains(trigger.labels, config, selection)
    mode, fallback = _mode(trigger, changes, selection, policy, policy_key)
    if mode != "all" and (forced := labels.forced_all(trigger.labels, config)) is not None:
        mode, fallback = "all", forced
    images_exact = mode == "all" and _tests_only(changes, selection, policy)
    if mode == "all" and not images_exact:
        domains, services = tuple(config.domains), tuple(config.services)
    elif mode == "all":
        # Only image inputs no test rule claims made it `all`: every test runs, and
        # the images are still exactly those whose inputs changed.
        domains = tuple(config.domains)
        services = tuple(s for s in config.services if s in selection.services)
    else:
        domains = tuple(d for d in config.domains if d in selection.domains)
        services = tuple(s for s in config.services if s in selection.services)
    chooser = _SessionChooser(
        config=config,
        selection=selection,
        policy=policy,
        policy_key=policy_key,
        mode=mode,
        domains=domains,
        services=services,
        empty_remainders=empty_remainders,
        unowned_tests=unowned_tests,
    )
    sessions, session_reasons, session_decisions = chooser.choose()
    counts = {s: n for s, n in (shard_counts or {}).items() if s in sessions and n > 1}
    versioned = versioned_sessions(sessions, config)
    sessions = tuple(name for name, _ in versioned)
    session_reasons += [
        Reason(f"session:{s}", None, None, f"tiers.{s}.target-seconds: split into {n} shards")
        for s, n in counts.items()
    ]
    extra_args = {
        session: " ".join(rest)
        for session, rest in (
            ("unit", chooser.unit_rest),
            ("integration", chooser.integration_rest),
            ("full-e2e", chooser.full_rest),
        )
        if rest
    }
    matrix, packing = pack_matrix(
        _matrix(versioned, counts, extra_args),
        max_jobs=config.tier("unit").max_jobs,
        integration_max_jobs=config.tier("integration").max_jobs,
        seconds=domain_seconds or {},
    )
    session_reasons += [Reason("matrix", None, None, note) for note in packing]
    matrix = tuple(replace(e, needs=entry_needs(config, e.session, e.args)) for e in matrix)
    reasons = [*session_reasons, *_selection_reasons(selection, domains, services, mode)]
    if fallback is not None and mode == "all":
        reasons.insert(0, Reason("mode:all", None, None, fallback))
    near = _NearMisses(changes.files, config, selection.ignored) if mode != "all" else None
    return Plan(
        event=trigger.event,
        trigger=trigger.kind,
        base=changes.base,
        head=changes.head,
        mode=mode,
        fallback_reason=fallback,
        changed=changes.files,
        sessions=sessions,
        domains=domains,
        services=services,
        matrix=matrix,
        reasons=tuple(reasons),
        decisions=(
            *_target_decisions("domain", config.domains, domains, selection.domains, mode, near),
            *_target_decisions(
                "service", config.services, services, selection.services, mode, near
            ),
            *session_decisions,
        ),
        warnings=(
            *label_warnings,
            *(
                f"{r.path}: no rule claims it (unmapped = {config.unmapped!r}); "
                "add it to a domain, a service, ignore or run-all"
                for r in selection.unmapped
                if config.unmapped == "warn"
            ),
        ),
        notes=(*changes.notes, *_gone_domains(selection, config)),
        ignored=frozenset(selection.ignored),
        images_exact=images_exact,
    )


def _mode(
    trigger: Trigger,
    changes: ChangeSet,
    selection: Selection,
    policy: TriggerPolicy,
    policy_key: str,
) -> tuple[Mode, str | None]:
    if changes.fallback_reason is not None:
        return "all", changes.fallback_reason
    if "full-e2e" in policy.always:
        return "all", f"{trigger.kind} runs the full suite ({policy_key}.always has full-e2e)"
    if selection.run_all:
        first = selection.run_all[0]
        more = len(selection.run_all) - 1
        extra = f" (and {more} more)" if more else ""
        if first.target == "unmapped" and first.rule.endswith(f"({IMAGE_INPUT_ONLY})"):
            unmapped = first.rule.removesuffix(f" ({IMAGE_INPUT_ONLY})")
            why = (
                f"{first.path} is an image input no domain or test tier claims, so every "
                f"test runs ({unmapped}); the images built are those it is an input of{extra}"
            )
        elif first.target == "unmapped":
            why = f"{first.path} is claimed by no rule and {first.rule}{extra}"
        else:
            why = f"{first.path} is a global input ({first.rule}){extra}"
        return "all", why
    if selection.empty:
        return "none", None
    return "partial", None


def _tests_only(changes: ChangeSet, selection: Selection, policy: TriggerPolicy) -> bool:
    """Is the plan `all` only because image inputs lie outside every test rule?"""
    return (
        changes.fallback_reason is None
        and "full-e2e" not in policy.always
        and bool(selection.run_all)
        and all(r.rule.endswith(f"({IMAGE_INPUT_ONLY})") for r in selection.run_all)
    )


class _SessionChooser:
    """Turns the trigger policy and the selection into an ordered session list."""

    def __init__(  # noqa: PLR0913 - plain data in, no behaviour hidden in the arguments
        self,
        *,
        config: Config,
        selection: Selection,
        policy: TriggerPolicy,
        policy_key: str,
        mode: Mode,
        domains: tuple[str, ...],
        services: tuple[str, ...],
        empty_remainders: frozenset[str] = frozenset(),
        unowned_tests: tuple[str, ...] | None = None,
    ) -> None:
        self.config = config
        self.empty_remainders = empty_remainders
        self.unowned_tests = unowned_tests
        self.selection = selection
        self.policy = policy
        self.key = policy_key
        self.mode = mode
        self.domains = domains
        self.services = services
        self.sessions: list[str] = []
        self.reasons: list[Reason] = []
        self.decisions: list[Decision] = []
        self.unit_rest: tuple[str, ...] | None = None  # set: `unit` runs only the remainder
        # Set: `integration` runs only the integration tests no domain owns.
        self.integration_rest: tuple[str, ...] | None = None
        self.owners = tuple(n for n, d in config.domains.items() if d.integration_tests)
        # Set: `full-e2e` runs only the tests no domain owns (the full validation fans out).
        self.full_rest: tuple[str, ...] | None = None

    def choose(self) -> tuple[tuple[str, ...], list[Reason], list[Decision]]:
        for kind in self.policy.always:
            self._add(kind, f"{self.key}.always")
        for kind in self.policy.affected:
            if kind not in self.policy.always:
                self._affected(kind)
        for kind in SESSION_KINDS:
            if kind not in self.policy.always and kind not in self.policy.affected:
                self._skip(kind, f"not in {self.key} (always or affected)")
        if self.config.tier("unit").fan_out and self.config.domains:
            self._fan_out()
        else:
            self._drop_shards_covered_by_unit()
        if "full-e2e" in self.sessions and full_validation.fans_out(self.config):
            self._full_fan_out()
        return tuple(self.sessions), self.reasons, self.decisions

    def _full_fan_out(self) -> None:
        """`full-e2e` as every domain's shard and integration session, each in its own
        environment, plus `full-e2e` for the tests no domain owns, if any: the domains
        install themselves, so one job in the root environment cannot run them all."""
        at = self.sessions.index("full-e2e")
        rule = next(r.rule for r in self.reasons if r.target == "session:full-e2e")
        self.sessions.remove("full-e2e")
        self.reasons = [r for r in self.reasons if r.target != "session:full-e2e"]
        self.decisions = [d for d in self.decisions if d.target != "session:full-e2e"]
        why = (
            "full validation fans out: domains with their own install run in their own environment"
        )
        names = [
            *(f"domain-shard({d})" for d in self.config.domains),
            *(f"domain-integration({d})" for d in self.owners),
        ]
        added = [n for n in names if n not in self.sessions]
        self.sessions[at:at] = added
        for name in added:
            self.reasons.append(Reason(f"session:{name}", None, None, f"{rule} (fan-out)"))
            self.decisions.append(Decision(f"session:{name}", selected=True, why=why))
        unowned = self.unowned_tests
        if unowned is not None and not unowned:
            self._skip(
                "full-e2e",
                f"{why}; no test file lies outside the domains' tests, so nothing runs in "
                "the root environment",
            )
            return
        self.full_rest = full_validation.remainder_args(unowned, self.config)
        self.sessions.insert(at + len(added), "full-e2e")
        self.reasons.append(Reason("session:full-e2e", None, None, f"{rule} (the rest)"))
        if unowned is None:
            rest = "the test files were not listed, so the root environment runs pytest's own"
            rest += " collection minus every domain's tests (fail-safe)"
        else:
            more = f" (+{len(unowned) - 1} more)" if len(unowned) > 1 else ""
            rest = f"the tests no domain owns, in the root environment: {unowned[0]}{more}"
        self.decisions.append(Decision("session:full-e2e", selected=True, why=rest))

    def _fan_out(self) -> None:
        """`unit` runs as every domain's shard, each in its own environment, plus the
        tests no domain owns (`unit` with the domains' tests ignored), never as one job
        that would need every domain's dependencies at once."""
        if "unit" not in self.sessions:
            return
        at = self.sessions.index("unit")
        why = "unit fans out: every domain shard in its own environment (tiers.unit.fan-out)"
        # In a partial plan `unit` is there for a changed test no domain owns: the
        # remainder alone; the whole tier (mode all, or `always`) is every shard too.
        whole = self.mode == "all" or "unit" in self.policy.always
        shards = [f"domain-shard({d})" for d in self.config.domains] if whole else []
        self.sessions.remove("unit")
        self.reasons = [r for r in self.reasons if r.target != "session:unit"]
        self.decisions = [d for d in self.decisions if d.target != "session:unit"]
        for offset, shard in enumerate(s for s in shards if s not in self.sessions):
            self.sessions.insert(at + offset, shard)
            self.reasons.append(Reason(f"session:{shard}", None, None, "tiers.unit.fan-out"))
            self.decisions.append(Decision(f"session:{shard}", selected=True, why=why))
        self.unit_rest = unit_remainder(self.config)
        if self.unit_rest is None:
            self._skip("unit", "every unit test path belongs to a domain: the shards are all of it")
            return
        if "unit" in self.empty_remainders:
            self.unit_rest = None
            self._skip("unit", _EMPTY_REST.format(tier="unit", shards="the shards are all of it"))
            return
        self.sessions.insert(at + len(shards), "unit")
        self.reasons.append(Reason("session:unit", None, None, "tiers.unit.fan-out"))
        rest = "the unit tests no domain owns (the domains' tests are --ignore'd)"
        self.decisions.append(Decision("session:unit", selected=True, why=rest))

    def _integration_tier(self, rule: str, *, whole: bool) -> None:
        """`integration` when domains own integration tests: each selected owner's
        `domain-integration(<d>)`, and the tier-wide session for the tests no domain owns
        (its args `--ignore` the owned ones). `whole`: every owner and the remainder."""
        config, sel = self.config, self.selection
        for name in self.owners:
            session = f"domain-integration({name})"
            if whole:
                why = "mode is all" if self.mode == "all" else f"{rule}: the whole tier"
                self._append(session, rule, f"{why}: every domain's integration tests")
            elif name in self.domains:
                self._append(session, rule, f"domain {name} is selected")
            elif name in sel.integration:
                first = sel.integration[name][0]
                self._append(session, rule, f"its integration test changed: {first.path}")
            else:
                self._skip(session, f"domain {name} is not selected")
        rest = integration_remainder(config)
        if rest is None:
            self._skip(
                "integration",
                "every integration test path belongs to a domain: domain-integration runs it"
                if "integration" in config.tiers
                else "no [tool.tiered-ci.tiers.integration] table: the domains' own "
                "integration sessions are the tier",
            )
            return
        if "integration" in self.empty_remainders:
            self._skip(
                "integration",
                _EMPTY_REST.format(tier="integration", shards="domain-integration runs them all"),
            )
            return
        reason = self._why_remainder(whole=whole)
        if reason is None:
            self._skip(
                "integration",
                "no integration test outside a domain changed, and every selected domain "
                "runs its own (domain-integration)",
            )
            return
        self.integration_rest = rest
        self._append("integration", rule, f"{reason} (the integration tests no domain owns)")

    def _why_remainder(self, *, whole: bool) -> str | None:
        sel = self.selection
        if whole:
            return "mode is all" if self.mode == "all" else "the whole tier"
        if hit := _first_path(
            "an integration test no domain owns changed", sel.tiers.get("integration")
        ):
            return hit
        unowned = [d for d in self.domains if d not in self.owners]
        if unowned:
            return f"domain {unowned[0]} is selected and owns no integration tests"
        if self.services:
            return f"service {self.services[0]} is selected; integration tests cross services"
        return None

    def _add(self, session: str, rule: str, why: str | None = None) -> None:
        if session == "integration" and self.owners:
            self._integration_tier(rule, whole=True)
            return
        if session == "domain-shard":
            for domain in self.domains if self.mode != "all" else ():
                self._add(f"domain-shard({domain})", rule, f"domain {domain} is selected")
            if self.mode == "all":
                fans = self.config.tier("unit").fan_out
                why = (
                    "mode is all: unit fans out into every shard"
                    if fans
                    else ("mode is all: the unit session runs every shard")
                )
                self._skip("domain-shard", why)
                self._add("unit", rule, "mode is all: unit is the union of every domain shard")
            return
        if session == "docker-changed-services" and not self.config.services:
            self._skip(session, "no services are configured")
            return
        self._append(session, rule, why)

    def _append(self, session: str, rule: str, why: str | None = None) -> None:
        if session in self.sessions:
            return
        self.sessions.append(session)
        self.reasons.append(Reason(f"session:{session}", None, None, rule))
        self.decisions.append(Decision(f"session:{session}", selected=True, why=why or rule))

    def _skip(self, session: str, why: str) -> None:
        if not any(d.target == f"session:{session}" for d in self.decisions):
            self.decisions.append(Decision(f"session:{session}", selected=False, why=why))

    def _affected(self, kind: str) -> None:
        rule = f"{self.key}.affected"
        if kind == "integration" and self.owners:
            # Without an integration table the tier-wide session has nothing to run in
            # mode all either (as without owners); the domains' own sessions still do.
            whole = self.mode == "all"
            self._integration_tier(rule, whole=whole)
            return
        if self.mode == "all" and (kind != "integration" or "integration" in self.config.tiers):
            self._add(kind, rule, f"mode is all ({rule})")
            return
        why = self._why_affected(kind)
        if why is None:
            self._skip(kind, self._why_not(kind))
        else:
            self._add(kind, rule, why)

    def _why_affected(self, kind: str) -> str | None:  # noqa: PLR0911 - one answer per session kind
        sel = self.selection
        if kind == "domain-shard":
            return "domains selected" if self.domains else None
        if kind == "docker-changed-services":
            return f"services selected: {', '.join(self.services)}" if self.services else None
        if kind == "unit":
            return _first_path("a unit test no domain owns changed", sel.tiers.get("unit"))
        if kind == "integration":
            # Without a declared integration tier there is nothing the tier-wide session
            # is for: unit (or the shards) has no marker filter that would leave them out.
            if "integration" not in self.config.tiers:
                return None
            if hit := _first_path("an integration test changed", sel.tiers.get("integration")):
                return hit
            if self.domains or self.services:
                return "a domain or service is selected; integration tests cross them"
            return None
        # quick / full-e2e named in `affected`: run when anything is selected.
        return None if sel.empty else "the change selects something"

    def _why_not(self, kind: str) -> str:
        if kind == "domain-shard":
            return "no domain is selected"
        if kind == "docker-changed-services":
            return "no service's inputs changed"
        if kind == "unit":
            return "no unit test outside a domain changed (domain shards cover the rest)"
        if kind == "integration" and "integration" not in self.config.tiers:
            return "no [tool.tiered-ci.tiers.integration] table and no integration test changed"
        if kind == "integration":
            return "no domain, service or integration test is selected"
        return "the change selects nothing"

    def _drop_shards_covered_by_unit(self) -> None:
        if "unit" not in self.sessions:
            return
        for session in [s for s in self.sessions if s.startswith("domain-shard(")]:
            self.sessions.remove(session)
            self.reasons = [r for r in self.reasons if r.target != f"session:{session}"]
            self.decisions = [d for d in self.decisions if d.target != f"session:{session}"]
            self.decisions.append(
                Decision(
                    f"session:{session}",
                    selected=False,
                    why="unit runs it (the union of every shard)",
                )
            )


def _gone_domains(selection: Selection, config: Config) -> list[str]:
    """Domains a family names by folder that do not exist at head (a deleted package)."""
    return [
        f"domain {name}: {reasons[0].path} ({reasons[0].status}) is in its folder "
        f"({reasons[0].rule}), which has no package at head: nothing of its own to run"
        for name, reasons in selection.domains.items()
        if name not in config.domains
    ]


_EMPTY_REST = (
    "no {tier} test file is outside the domains' tests (the remainder would collect "
    "nothing): {shards}"
)


def unit_remainder(config: Config) -> tuple[str, ...] | None:
    """pytest `--ignore` arguments that leave the unit tests no domain owns; None: none.

    Without `tiers.unit.paths` nothing says where unit tests live beyond the
    domains' own tests, so the shards are taken as the whole tier. A domain's
    integration tests are owned too: its `domain-integration` session runs them.
    """
    owned = [t for d in config.domains.values() for t in (*d.tests, *d.integration_tests)]
    unit_paths = config.tier("unit").paths
    return _remainder(unit_paths, owned) if unit_paths else None


def integration_remainder(config: Config) -> tuple[str, ...] | None:
    """pytest `--ignore` arguments that leave the integration tests no domain owns (the
    tier-wide `integration` session's share); None: there is no such session.

    Without a `[tool.tiered-ci.tiers.integration]` table the tier-wide session never
    runs (as before domains could own integration tests). With a table but no `paths`
    the tier is pytest's own collection, minus every owned folder.
    """
    if "integration" not in config.tiers:
        return None
    owned = [t for d in config.domains.values() for t in d.integration_tests]
    return _remainder(config.tier("integration").paths or (".",), owned)


def _remainder(paths: tuple[str, ...], owned_paths: list[str]) -> tuple[str, ...] | None:
    """`--ignore` of each owned path inside `paths`; None when the owned cover `paths`."""
    roots = [p.removeprefix("./").rstrip("/") or "." for p in paths]
    owned = [t.removeprefix("./").rstrip("/") for t in owned_paths]

    def covered(path: str) -> bool:
        return any(path == t or path.startswith(f"{t}/") for t in owned)

    if all(covered(p) for p in roots):
        return None
    inside = [t for t in owned if any(p in (".", t) or t.startswith(f"{p}/") for p in roots)]
    return tuple(f"--ignore={t}" for t in dict.fromkeys(inside))


def _first_path(what: str, reasons: tuple[Reason, ...] | None) -> str | None:
    return f"{what}: {reasons[0].path}" if reasons else None


def _selection_reasons(
    selection: Selection, domains: tuple[str, ...], services: tuple[str, ...], mode: Mode
) -> list[Reason]:
    if mode == "all":
        # The services' own reasons too: in a tests-only `all` they say which images build.
        return [*selection.run_all, *(r for n in services for r in selection.services.get(n, ()))]
    out: list[Reason] = []
    for name in domains:
        out.extend(selection.domains.get(name, ()))
    for name in services:
        out.extend(selection.services.get(name, ()))
    for reasons in selection.tiers.values():
        out.extend(reasons)
    for reasons in selection.integration.values():
        out.extend(reasons)
    return out


class _NearMisses:
    """Targets a change came close to: a changed file lies in a folder their globs name.

    `--explain` shows these next to what was selected, so a glob that is one
    folder or one extension off is visible without listing every other domain.
    """

    # A plan of thousands of files needs no more examples than this.
    _MAX_FILES = 2000

    def __init__(
        self, files: tuple[ChangedFile, ...], config: Config, ignored: tuple[str, ...]
    ) -> None:
        folders: dict[str, str] = {}
        skip = frozenset(ignored)
        for changed in files[: self._MAX_FILES]:
            for path in changed.paths():
                if path in skip:
                    continue
                parts = path.split("/")
                for depth in range(1, len(parts)):
                    folders.setdefault("/".join(parts[:depth]), path)
        self._folders = folders
        self._globs = {
            ("domain", name): domain.paths for name, domain in config.domains.items()
        } | {
            ("service", name): (*((s.context,) if s.context != "." else ()), *s.paths)
            for name, s in config.services.items()
        }

    def example(self, kind: str, name: str) -> tuple[str, str] | None:
        """(changed path, folder) for the first glob of `name` whose folder holds a change."""
        for glob in self._globs.get((kind, name), ()):
            prefix = "" if glob.startswith("!") else literal_prefix(glob)
            if prefix and (path := self._folders.get(prefix)) is not None:
                return path, prefix
        return None


def _target_decisions(  # noqa: PLR0913, PLR0917 - plain data in, one call per kind
    kind: str,
    configured: Mapping[str, object],
    chosen: tuple[str, ...],
    selected: Mapping[str, tuple[Reason, ...]],
    mode: Mode,
    near: _NearMisses | None,
) -> list[Decision]:
    out: list[Decision] = []
    for name in configured:
        reasons = selected.get(name, ())
        if reasons:
            first = reasons[0]
            why = (
                f"{first.path} ({first.status}) matches {first.rule}"
                if first.path is not None
                else first.rule
            )
            if first.origin:
                why += f", read by {first.origin}"
            if len(reasons) > 1:
                why += f" (+{len(reasons) - 1} more)"
            out.append(Decision(f"{kind}:{name}", selected=True, why=why))
        elif name in chosen and mode == "all":
            out.append(Decision(f"{kind}:{name}", selected=True, why="mode is all"))
        elif near is not None and (hit := near.example(kind, name)) is not None:
            why = f"near miss: {hit[0]} is under {hit[1]}/ but matches none of its rules"
            out.append(Decision(f"{kind}:{name}", selected=False, why=why, near_miss=True))
        else:
            out.append(
                Decision(f"{kind}:{name}", selected=False, why="no changed file matches its rules")
            )
    return out


def versioned_sessions(
    sessions: tuple[str, ...], config: Config
) -> tuple[tuple[str, str | None], ...]:
    """(nox session name, Python) per planned session and version, as nox names them.

    `unit` on ["3.11", "3.12"] is `unit-3.11` and `unit-3.12`; a domain's shard is
    `domain-shard(api-3.12)` (tiered_ci.nox registers the same names).
    """
    out: list[tuple[str, str | None]] = []
    for session in sessions:
        versions = config.versions(session)
        for name in (session, *_pinned(session, config)):
            if not versions:
                out.append((name, None))
            elif name.endswith(")"):
                out.extend((f"{name[:-1]}-{python})", python) for python in versions)
            else:
                out.extend((f"{name}-{python}", python) for python in versions)
    return tuple(out)


def _pinned(session: str, config: Config) -> list[str]:
    """A domain shard's version-axis variants: `domain-shard(api@dbt-core==1.7.0)`."""
    if not (session.startswith("domain-shard(") and session.endswith(")")):
        return []
    domain = config.domains.get(session[len("domain-shard(") : -1])
    return [f"{session[:-1]}@{pin})" for pin in domain.pins()] if domain else []


def _base_session(name: str, python: str | None) -> str:
    if python is None:
        return name
    if name.endswith(f"-{python})"):
        return f"{name[: -len(python) - 2]})"
    return name.removesuffix(f"-{python}")


def _matrix(
    sessions: tuple[tuple[str, str | None], ...],
    shard_counts: Mapping[str, int],
    extra_args: Mapping[str, str],
) -> tuple[MatrixEntry, ...]:
    entries: list[MatrixEntry] = []
    shard_counts = _capped_counts(sessions, shard_counts)
    for session, python in sessions:
        if _base_session(session, python) in NOT_IN_MATRIX:
            continue
        count = shard_counts.get(_base_session(session, python), 1)
        args = extra_args.get(_base_session(session, python), "")
        if count <= 1:
            entries.append(MatrixEntry(session, args, python))
        else:
            entries.extend(
                MatrixEntry(session, f"{args} --shard={k}/{count}".strip(), python)
                for k in range(1, count + 1)
            )
    # One job per (session, args, python): a session reached twice (a trigger's `always`
    # and its fan-out, say) must not run twice.
    return tuple(dict.fromkeys(entries))


def _capped_counts(
    sessions: tuple[tuple[str, str | None], ...], counts: Mapping[str, int]
) -> dict[str, int]:
    """`target-seconds` shard counts scaled down so the matrix stays within the limit."""
    bases = [_base_session(s, p) for s, p in sessions if _base_session(s, p) not in NOT_IN_MATRIX]
    plain = sum(1 for b in bases if counts.get(b, 1) <= 1)
    split = sum(counts.get(b, 1) for b in bases if counts.get(b, 1) > 1)
    room = MATRIX_LIMIT - plain
    if split <= room or split == 0:
        return dict(counts)
    scale = max(room, 1) / split
    return {name: max(1, int(n * scale)) for name, n in counts.items()}


PACK_SESSION = "domain-pack"
# Sessions a `domain-pack` job can hold, with the tier whose `max-jobs` bounds them.
_PACKABLE = (
    ("domain-shard(", "unit", "domain shards"),
    ("domain-integration(", "integration", "domain integration sessions"),
)


def pack_matrix(
    entries: tuple[MatrixEntry, ...],
    *,
    max_jobs: int | None,
    seconds: Mapping[str, float],
    integration_max_jobs: int | None = None,
) -> tuple[tuple[MatrixEntry, ...], list[str]]:
    """Domain shards packed into at most `max_jobs` jobs, domain integration sessions into
    at most `integration_max_jobs`, and the whole matrix into GitHub's 256; longest first
    onto the least loaded job, by recorded seconds.

    `seconds` holds a domain's unit seconds under its name and its integration seconds
    under `domain-integration(<name>)`. A packed job is `domain-pack` with the sessions as
    its arguments; it runs each in its own environment (tiered_ci.nox). Sessions of
    different Pythons, and shards and integration sessions, never share a job. Returns
    the entries and a note for each packing done.
    """
    limits = {"unit": max_jobs, "integration": integration_max_jobs}
    groups = {
        prefix: [e for e in entries if e.session.startswith(prefix) and not e.args]
        for prefix, _, _ in _PACKABLE
    }
    packable = {e for group in groups.values() for e in group}
    others = [e for e in entries if e not in packable]
    room = MATRIX_LIMIT - len(others)
    wanted = {
        prefix: min(limits[tier] or len(groups[prefix]), len(groups[prefix]))
        for prefix, tier, _ in _PACKABLE
    }
    allowed = wanted if sum(wanted.values()) <= room else _apportion(wanted, max(room, 1))
    if all(len(groups[prefix]) <= allowed[prefix] for prefix in groups):
        return entries, []
    out: list[MatrixEntry] = []
    notes: list[str] = []
    for prefix, tier, what in _PACKABLE:
        group, jobs = groups[prefix], max(allowed[prefix], 1)
        if len(group) <= jobs:
            out += group
            continue
        limit = limits[tier]
        cause = (
            f"tiers.{tier}.max-jobs = {limit}"
            if limit and jobs == limit
            else f"a GitHub matrix holds at most {MATRIX_LIMIT} entries"
        )
        notes.append(f"{len(group)} {what} packed into {jobs} jobs ({cause})")
        out += _pack_group(group, jobs, seconds)
    return (*out, *others), notes


def _apportion(wanted: Mapping[str, int], room: int) -> dict[str, int]:
    """`wanted` scaled down to sum to at most `room` (largest remainder; each >= 1 if
    wanted), so rounding never pushes a matrix past the limit."""
    total = sum(wanted.values())
    exact = {k: room * n / total for k, n in wanted.items()}
    shares = {k: min(wanted[k], max(1 if wanted[k] else 0, int(v))) for k, v in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
        if sum(shares.values()) >= room:
            break
        if shares[key] < wanted[key]:
            shares[key] += 1
    return shares


def _pack_group(
    group: list[MatrixEntry], jobs: int, seconds: Mapping[str, float]
) -> list[MatrixEntry]:
    by_python: dict[str | None, list[MatrixEntry]] = {}
    for entry in group:
        by_python.setdefault(entry.python, []).append(entry)
    known = [seconds[k] for e in group if (k := _cost_key(e)) in seconds]
    default = sum(known) / len(known) if known else 1.0
    per_python = _apportion({str(py): len(g) for py, g in by_python.items()}, jobs)
    packed: list[MatrixEntry] = []
    for python, members in by_python.items():
        packed += _lpt(
            members,
            per_python[str(python)],
            lambda e: seconds.get(_cost_key(e), default),
            python,
        )
    return packed


def _cost_key(entry: MatrixEntry) -> str:
    """The `seconds` key of a packable entry: the domain of a shard (`domain-shard(core)`
    and `domain-shard(core-3.12)` -> `core`), else the session without its version."""
    base = _base_session(entry.session, entry.python)
    if base.startswith("domain-shard("):
        # A version-axis variant (`api@dbt-core==1.7.0`) costs what its domain does.
        return base.removeprefix("domain-shard(").removesuffix(")").split("@", 1)[0]
    return base


def _lpt(
    group: list[MatrixEntry],
    jobs: int,
    cost: Callable[[MatrixEntry], float],
    python: str | None,
) -> list[MatrixEntry]:
    bins: list[tuple[float, int, list[str]]] = [(0.0, i, []) for i in range(min(jobs, len(group)))]
    for entry in sorted(group, key=lambda e: (-cost(e), e.session)):
        load, index, names = heapq.heappop(bins)
        names.append(entry.session)
        heapq.heappush(bins, (load + cost(entry), index, names))
    out = []
    for _, _, names in sorted(bins, key=lambda b: b[1]):
        if len(names) == 1:
            out.append(MatrixEntry(names[0], "", python))
        else:
            out.append(MatrixEntry(PACK_SESSION, " ".join(names), python))
    return out
