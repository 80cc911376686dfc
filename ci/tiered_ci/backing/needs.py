"""Who needs which backing service: pure functions over the config.

A session's needs are those of the tier and domain whose tests it runs:
`domain-shard(d)` the unit tier's and domain d's, `domain-integration(d)` the
integration tier's and d's, `unit` (it may run every domain's tests) and
`full-e2e` and `impact-record` (every test) the union of everything. A name with a Python version
(`unit-3.12`, `domain-shard(api-3.12)`) needs what its base session needs.
"""

from __future__ import annotations

from collections.abc import Iterable

from tiered_ci.model import Config

__all__ = ["entry_needs", "session_needs"]


def session_needs(config: Config, session: str) -> tuple[str, ...]:
    """The backing services the nox session `session` starts, in declaration order."""
    for prefix, tier in (("domain-shard(", "unit"), ("domain-integration(", "integration")):
        if session.startswith(prefix) and session.endswith(")"):
            domain = _domain(config, session[len(prefix) : -1])
            own = config.domains[domain].needs if domain is not None else ()
            return _ordered(config, (*config.tier(tier).needs, *own))
    base = _tier(config, session)
    if base in ("full-e2e", "impact-record"):
        return _ordered(config, _everything(config))
    if base == "unit":
        domains = (n for d in config.domains.values() for n in d.needs)
        return _ordered(config, (*config.tier("unit").needs, *domains))
    return _ordered(config, config.tiers[base].needs) if base in config.tiers else ()


def entry_needs(config: Config, session: str, args: str) -> tuple[str, ...]:
    """A matrix entry's needs; a packed job (`domain-pack`) needs what its sessions need."""
    if session == "domain-pack":
        return _ordered(config, (n for s in args.split() for n in session_needs(config, s)))
    return session_needs(config, session)


def _domain(config: Config, name: str) -> str | None:
    if name in config.domains:
        return name
    base, dash, _version = name.rpartition("-")
    return base if dash and base in config.domains else None


def _tier(config: Config, session: str) -> str:
    if session in config.tiers or session in ("unit", "full-e2e", "impact-record"):
        return session
    base, dash, _version = session.rpartition("-")
    return base if dash else session


def _everything(config: Config) -> Iterable[str]:
    for tier in config.tiers.values():
        yield from tier.needs
    for domain in config.domains.values():
        yield from domain.needs


def _ordered(config: Config, names: Iterable[str]) -> tuple[str, ...]:
    """Each once, in the order the services are declared (the order they start in)."""
    wanted = set(names)
    return tuple(name for name in config.backing if name in wanted)
