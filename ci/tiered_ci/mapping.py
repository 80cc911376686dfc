"""Pure path mapper: changed files x config rules -> what they select, and why.

Order of evaluation for every path a change touches (a rename touches two):

1. `ignore` globs: the path triggers nothing.
2. `run-all` globs: a global input; everything runs.
3. domain `paths` (ordered, `!` excludes, last match wins), domain `tests`, and
   domain `integration-tests` (which select only the domain's integration session).
4. service inputs (context, Dockerfile, extra paths; see tiered_ci.images.watch).
5. tier test `paths` (`tests/integration`, ...), for a test no domain owns.
6. nothing claimed it: the `unmapped` policy decides (run-all, warn or ignore).

Every selection carries Reasons naming the path, its status and the rule id
(`domains.billing.paths[0]`), so a plan can always say why.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from tiered_ci.changes import ChangedFile
from tiered_ci.globs import PatternList
from tiered_ci.model import Config

if TYPE_CHECKING:
    from collections.abc import Callable

    from tiered_ci.images.watch import Watch

__all__ = ["Owner", "Reason", "Rules", "Selection", "compile_rules", "literal_prefix", "select"]


class Reason(NamedTuple):
    """Why a target is selected. A NamedTuple: a large diff makes one per changed path."""

    target: str  # domain:, domain-integration:, service:, tier:, session: <name>; run-all
    path: str | None
    status: str | None
    rule: str
    # services: the Dockerfile line that reads `path` (`file:line: INSTRUCTION`), for --explain
    origin: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"target": self.target, "path": self.path, "status": self.status, "rule": self.rule}


# The tail of an `unmapped` rule for a path that image inputs claim but no domain or
# test tier does: every test runs, the images stay the ones that copy it.
IMAGE_INPUT_ONLY = "an image input no domain or test tier claims"


@dataclass(frozen=True, slots=True)
class Selection:
    domains: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)
    services: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)
    tiers: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)
    run_all: tuple[Reason, ...] = ()  # global inputs, or unmapped files under "run-all"
    unmapped: tuple[Reason, ...] = ()  # unmapped files under "warn" or "ignore"
    ignored: tuple[str, ...] = ()
    # Domains whose own integration tests changed (`domains.<d>.integration-tests`):
    # their `domain-integration(<d>)` runs, not their unit shard.
    integration: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.domains or self.services or self.tiers or self.run_all or self.integration)


@dataclass(frozen=True, slots=True)
class Rules:
    """The config's path rules, compiled once per plan."""

    ignore: PatternList
    run_all: PatternList
    domains: Mapping[str, PatternList]
    domain_tests: Mapping[str, tuple[str, ...]]
    integration_tests: Mapping[str, tuple[str, ...]]
    tier_paths: Mapping[str, tuple[str, ...]]
    watches: Mapping[str, Watch]
    index: _PrefixIndex  # which domains, tests and services a path can possibly concern
    depends_on: Mapping[str, tuple[str, ...]]
    unmapped: str
    # domain -> the domains that depend on it (transitively), from depends-on and metadata
    domain_dependents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # service -> `claims` for its watch, globs looked up once (images.watch.claimer)
    claimers: Mapping[str, Callable[[str], str | None]] = field(default_factory=dict)
    # (folder glob, domain-name template, family) of each domain family
    families: tuple[tuple[str, str, str], ...] = ()
    # Compose files and `.env`: the images package compares them between base and head,
    # so a change to one that alters no service's build is accounted for, not unmapped.
    compose_inputs: frozenset[str] = frozenset()
    # service -> the folders that are its own (a non-root context, its Dockerfile's folder)
    service_homes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # service -> its `paths` from the config: inputs the user declared the image's own
    service_paths: Mapping[str, PatternList] = field(default_factory=dict)


def compile_rules(config: Config, watches: Mapping[str, Watch]) -> Rules:
    claimers = {}
    if watches:  # the images package is imported only by a config with services
        from tiered_ci.images.watch import claimer  # noqa: PLC0415

        claimers = {name: claimer(watch) for name, watch in watches.items()}
    return Rules(
        # The recorded durations steer sharding, never what a test checks; sessions
        # rewrite the file (`--record-durations`), which must not make the next plan run all.
        ignore=PatternList((*config.ignore, config.durations)),
        run_all=PatternList(config.run_all),
        domains={name: PatternList(d.paths) for name, d in config.domains.items()},
        domain_tests={name: d.tests for name, d in config.domains.items()},
        integration_tests={n: d.integration_tests for n, d in config.domains.items()},
        tier_paths={name: t.paths for name, t in config.tiers.items() if t.paths},
        watches=watches,
        claimers=claimers,
        depends_on={name: s.depends_on for name, s in config.services.items()},
        domain_dependents=_domain_dependents(config),
        families=tuple((f.folders, f.domain, f.name) for f in config.families.values()),
        unmapped=config.unmapped,
        compose_inputs=frozenset(config.compose_inputs),
        service_homes={
            name: _homes(service.context, service.dockerfile)
            for name, service in config.services.items()
        },
        service_paths={
            name: PatternList(service.paths)
            for name, service in config.services.items()
            if service.paths
        },
        index=_PrefixIndex.build(
            [(("domain", n), d.paths) for n, d in config.domains.items()]
            + [(("tests", n), d.tests) for n, d in config.domains.items()]
            + [(("itests", n), d.integration_tests) for n, d in config.domains.items()]
            + [(("service", n), tuple(g for _, g in w.rules)) for n, w in watches.items()]
        ),
    )


def _domain_dependents(config: Config) -> Mapping[str, tuple[str, ...]]:
    if not any(d.depends_on for d in config.domains.values()):
        return {}
    from tiered_ci.families import Dependents  # noqa: PLC0415

    return Dependents(config.domains)


def select(
    files: Iterable[ChangedFile], rules: Rules, *, quiet: frozenset[str] = frozenset()
) -> Selection:
    """Map every changed path to what it selects. Pure.

    `quiet` paths changed in a way no test can see (a pyproject.toml whose
    linter tables alone changed, `tiered_ci.pyproject`): they count as ignored.
    """
    acc = _Accumulator()
    for changed in files:
        if changed.status == "modified" and changed.path in quiet:
            acc.ignored.append(changed.path)
            continue
        if changed.old_path is not None:  # a rename or copy touches its old path too
            _map_path(changed.old_path, changed.status, rules, acc)
        _map_path(changed.path, changed.status, rules, acc)
    _add_dependents(acc, rules.depends_on)
    _add_domain_dependents(acc, rules)
    return acc.freeze()


def _map_path(path: str, status: str, rules: Rules, acc: _Accumulator) -> None:
    if rules.ignore.decide(path) is not None:
        acc.ignored.append(path)
        return
    if (index := rules.run_all.decide(path)) is not None:
        acc.run_all.append(Reason("run-all", path, status, f"run-all[{index}]"))
        return
    in_domain, owned_test, claims = _map_candidates(path, status, rules, acc)
    # A test a domain owns runs in its shard, not as the remainder of its tier.
    in_tier = not owned_test and _map_tiers(path, status, rules, acc)
    if in_domain or owned_test or in_tier or _map_family(path, status, rules, acc):
        return
    if path in rules.compose_inputs:
        acc.ignored.append(path)  # compared: it changes no service's build
        return
    # An image input answers "which image", not "which tests". A file is a
    # service's own when it lies in the service's folder or the user listed it
    # under the service's `paths`; one a root-context build copies (`COPY app
    # /app`), a named context or a whole-repository watch is source any test may
    # import, so for the tests it is as unknown as an unclaimed file.
    if claims and all(_service_owns(path, name, rules) for name in claims):
        return
    _unmapped(path, status, rules.unmapped, acc, image_input=bool(claims))


def _map_candidates(
    path: str, status: str, rules: Rules, acc: _Accumulator
) -> tuple[bool, bool, list[str]]:
    """(claimed by a domain's paths, by a domain's test, the services that claim it)."""
    in_domain = owned_test = False
    claims: list[str] = []
    for kind, name in rules.index.candidates(path):
        if kind == "domain":
            in_domain |= _map_domain(name, path, status, rules, acc)
        elif kind == "tests":
            owned_test |= _map_domain_tests(name, path, status, rules, acc)
        elif kind == "itests":
            owned_test |= _map_integration_tests(name, path, status, rules, acc)
        elif _map_service(name, path, status, rules, acc):
            claims.append(name)
    return in_domain, owned_test, claims


def _service_owns(path: str, name: str, rules: Rules) -> bool:
    declared = rules.service_paths.get(name)
    if declared is not None and declared.decide(path) is not None:
        return True
    return any(path.startswith(f"{home}/") for home in rules.service_homes.get(name, ()))


def _homes(context: str, dockerfile: str) -> tuple[str, ...]:
    """A service's own folders: its context and its Dockerfile's folder, unless the root."""
    folders = (context.removeprefix("./").rstrip("/"), posixpath.dirname(dockerfile))
    return tuple(dict.fromkeys(f for f in folders if f not in ("", ".")))


def _map_family(path: str, status: str, rules: Rules, acc: _Accumulator) -> bool:
    """A path in a family's folder selects the domain named by the folder, even when the
    folder is gone at head (a deleted package) or its rules miss the file."""
    if not rules.families:
        return False
    from tiered_ci.families import folder_of, render  # noqa: PLC0415

    for pattern, template, family in rules.families:
        if (folder := folder_of(pattern, path)) is not None:
            name = render(template, folder)
            rule = f"domain-families.{family}.folders"
            acc.add(acc.domains, name, Reason(f"domain:{name}", path, status, rule))
            return True
    return False


def _map_domain(name: str, path: str, status: str, rules: Rules, acc: _Accumulator) -> bool:
    if (index := rules.domains[name].decide(path)) is None:
        return False
    if _under(path, rules.integration_tests[name]) is not None:
        # Its own integration test (a family's `{folder}/**` holds them): that selects
        # its domain-integration session, not its shard and its dependents.
        return False
    rule = _rule("domains", name, "paths", index)
    acc.add(acc.domains, name, Reason(f"domain:{name}", path, status, rule))
    return True


def _map_domain_tests(name: str, path: str, status: str, rules: Rules, acc: _Accumulator) -> bool:
    if (index := _under(path, rules.domain_tests[name])) is None:
        return False
    if _under(path, rules.integration_tests[name]) is not None:
        return False  # its integration tests, inside its tests folder: those run them
    rule = _rule("domains", name, "tests", index)
    acc.add(acc.domains, name, Reason(f"domain:{name}", path, status, rule))
    return True


def _map_integration_tests(
    name: str, path: str, status: str, rules: Rules, acc: _Accumulator
) -> bool:
    if (index := _under(path, rules.integration_tests[name])) is None:
        return False
    rule = _rule("domains", name, "integration-tests", index)
    acc.add(acc.integration, name, Reason(f"domain-integration:{name}", path, status, rule))
    return True


def _map_service(name: str, path: str, status: str, rules: Rules, acc: _Accumulator) -> bool:
    if (rule := rules.claimers[name](path)) is None:
        return False
    where = None
    if name not in acc.services:  # --explain shows the first reason: look its line up once
        from tiered_ci.images.watch import origin  # noqa: PLC0415 - only configs with services

        where = origin(rules.watches[name], rule, path)
    acc.add(acc.services, name, Reason(f"service:{name}", path, status, rule, where))
    return True


def _map_tiers(path: str, status: str, rules: Rules, acc: _Accumulator) -> bool:
    claimed = False
    for name, paths in rules.tier_paths.items():
        if (index := _under(path, paths)) is not None:
            rule = _rule("tiers", name, "paths", index)
            acc.add(acc.tiers, name, Reason(f"tier:{name}", path, status, rule))
            claimed = True
    return claimed


def _unmapped(
    path: str, status: str, policy: str, acc: _Accumulator, *, image_input: bool = False
) -> None:
    rule = f"unmapped = {policy!r}"
    if image_input:
        rule += f" ({IMAGE_INPUT_ONLY})"
    reason = Reason("unmapped", path, status, rule)
    if policy == "run-all":
        acc.run_all.append(reason)
    else:
        acc.unmapped.append(reason)


def _rule(section: str, name: str, key: str, index: int) -> str:
    return f"{section}.{name}.{key}[{index}]"


def _under(path: str, roots: tuple[str, ...]) -> int | None:
    """Index of the first test path that is `path` or one of its parent folders."""
    if not roots or not path.startswith(_prefixes(roots)):
        return None
    for index, raw in enumerate(roots):
        root = raw.rstrip("/")
        if path == root or path.startswith(f"{root}/") or root in ("", "."):
            return index
    return None


@functools.lru_cache(maxsize=256)
def _prefixes(roots: tuple[str, ...]) -> tuple[str, ...]:
    """Cheap pre-check for `_under`: every string a matching path starts with."""
    if any(root.rstrip("/") in ("", ".") for root in roots):
        return ("",)
    return tuple(root.rstrip("/") for root in roots)


def _add_domain_dependents(acc: _Accumulator, rules: Rules) -> None:
    """A domain runs when a domain it depends on (in-repo package metadata) changes.

    Only a change to the domain's code counts: its own tests are not an input of
    the packages that depend on it, so a changed test runs its shard alone.
    """
    for name in list(acc.domains):
        code = [r for r in acc.domains[name] if not _own_test(r.path, name, rules)]
        if not code:
            continue
        first = code[0]
        for dependent in rules.domain_dependents.get(name, ()):
            rule = f"domains.{dependent}.depends-on: {name}"
            reason = Reason(f"domain:{dependent}", first.path, first.status, rule)
            acc.domains.setdefault(dependent, []).append(reason)


def _own_test(path: str | None, name: str, rules: Rules) -> bool:
    if path is None:
        return False
    tests = (*rules.domain_tests.get(name, ()), *rules.integration_tests.get(name, ()))
    return _under(path, tests) is not None


def _add_dependents(acc: _Accumulator, depends_on: Mapping[str, tuple[str, ...]]) -> None:
    """A service is rebuilt when a service it depends on is (transitively)."""
    if not acc.services:
        return
    from tiered_ci.images.watch import dependents  # noqa: PLC0415

    for name, (dep, index) in dependents(acc.services, depends_on).items():
        first = acc.services[dep][0]
        rule = f"services.{name}.depends-on[{index}]"
        acc.services[name] = [Reason(f"service:{name}", first.path, first.status, rule)]


_GLOB_CHARS = frozenset("*?[]{}()!+@\\")


Owner = tuple[str, str]  # ("domain" | "tests" | "itests" | "service", name)


class _PrefixIndex:
    """Rule owners keyed by the literal folder their globs start with.

    Most globs begin with a literal folder (`src/app/billing/**`), so a path
    can only match the rules keyed by one of its own ancestors (or by itself).
    Looking those up, once per folder, replaces a regex match per rule and per
    path; globs with no literal start are keyed by "" and always tried.
    Owners come back in config order, so reasons keep a stable order.
    """

    def __init__(self, owners: list[tuple[Owner, tuple[str, ...]]]) -> None:
        by_key: dict[str, dict[Owner, int]] = {}
        for order, (owner, globs) in enumerate(owners):
            for glob in globs:
                if not glob.startswith("!"):
                    by_key.setdefault(literal_prefix(glob), {})[owner] = order
        self._by_key = by_key
        self._folders: dict[str, tuple[Owner, ...]] = {}

    @staticmethod
    def build(owners: list[tuple[Owner, tuple[str, ...]]]) -> _PrefixIndex:
        return _PrefixIndex(owners)

    def candidates(self, path: str) -> tuple[Owner, ...]:
        slash = path.rfind("/")
        folder = path[:slash] if slash >= 0 else ""
        found = self._folders.get(folder)
        if found is None:
            found = self._folders[folder] = self._collect(folder, with_self=bool(folder))
        exact = self._by_key.get(path)
        return found if exact is None else self._merge(found, exact)

    def _collect(self, folder: str, *, with_self: bool) -> tuple[Owner, ...]:
        merged: dict[Owner, int] = dict(self._by_key.get("", {}))
        end = folder.find("/")
        while with_self:
            key = folder if end < 0 else folder[:end]
            merged.update(self._by_key.get(key, {}))
            if end < 0:
                break
            end = folder.find("/", end + 1)
        return tuple(sorted(merged, key=merged.__getitem__))

    def _merge(self, found: tuple[Owner, ...], exact: dict[Owner, int]) -> tuple[Owner, ...]:
        extra = [owner for owner in exact if owner not in found]
        return found + tuple(extra) if extra else found


def literal_prefix(glob: str) -> str:
    """The leading folders of `glob` that hold no glob character (`./` ignored)."""
    parts = glob.removeprefix("./").rstrip("/").split("/")
    if parts in ([""], ["."]):
        return ""  # the whole repository
    literal: list[str] = []
    for part in parts:
        if _GLOB_CHARS.intersection(part):
            break
        literal.append(part)
    return "/".join(literal)


@dataclass
class _Accumulator:
    domains: dict[str, list[Reason]] = field(default_factory=dict)
    services: dict[str, list[Reason]] = field(default_factory=dict)
    tiers: dict[str, list[Reason]] = field(default_factory=dict)
    run_all: list[Reason] = field(default_factory=list)
    unmapped: list[Reason] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    integration: dict[str, list[Reason]] = field(default_factory=dict)

    @staticmethod
    def add(bucket: dict[str, list[Reason]], name: str, reason: Reason) -> None:
        bucket.setdefault(name, []).append(reason)

    def freeze(self) -> Selection:
        return Selection(
            domains={k: tuple(v) for k, v in self.domains.items()},
            services={k: tuple(v) for k, v in self.services.items()},
            tiers={k: tuple(v) for k, v in self.tiers.items()},
            run_all=tuple(self.run_all),
            unmapped=tuple(self.unmapped),
            ignored=tuple(self.ignored),
            integration={k: tuple(v) for k, v in self.integration.items()},
        )
