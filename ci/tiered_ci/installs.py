"""What each session installs, and whether what it names exists (`check-config`). Pure.

The sessions (tiered_ci.nox) install a domain's or tier's `Install`; this module
lists, for a config, every session a plan can run with the install it uses (the
same `Config` methods and `environments.quick_install` the sessions call), and
checks the names in them against the repository's files: each dependency group
must be in its `pyproject.toml`'s `[dependency-groups]`, each extra in the
`[project.optional-dependencies]` of every project it applies to, each editable
folder a Python project. Missing requirement files are `tiered_ci.lint`'s finding.
A session that names a missing group aborts at its first install in CI; a missing
extra installs without its packages, so the tests fail later, further from the cause.

`requirement_lines` turns one install into the lines of a requirements file (what
`environments.env_spec` would pass to `uv pip install`), for `check-config --resolve`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tiered_ci import environments
from tiered_ci._toml import tomllib
from tiered_ci.lint import Finding
from tiered_ci.model import DEFAULT_INSTALL, PREFIX, Config, Install
from tiered_ci.sessions import shard_id

__all__ = [
    "SessionInstall",
    "group_requirements",
    "install_findings",
    "requirement_lines",
    "session_installs",
]

Reader = Callable[[str], "str | None"]  # repository path -> text, None when absent

_SHOWN = 3  # sessions a finding names before "and N more"
_METADATA = ("pyproject.toml", "setup.py", "setup.cfg")
_GROUP_HINTS = {"test": "pytest and your test tools", "lint": "ruff"}


@dataclass(frozen=True, slots=True)
class SessionInstall:
    """One session a plan can run, the install it uses and the key that states it."""

    session: str  # as nox names it: `unit`, `unit-3.12`, `domain-shard(api-3.12)`
    key: str  # tool.tiered-ci...install, or the tier it defaults from
    install: Install
    python: str | None = None  # the session's Python version; None: the one running nox
    default: bool = False  # no install table anywhere: the root project and its `test` group


def session_installs(config: Config, collected: Sequence[str] = ()) -> list[SessionInstall]:
    """Every session a plan can run (quick, unit, integration, domain shards and
    integration sessions, full-e2e) with its install, one entry per Python version.

    `collected`: the test files pytest would collect (tiered_ci.collection). A family's
    package with none of them under its tests has no shard: it skips before installing.
    When the full validation fans out (tiered_ci.full_validation) `full-e2e` runs only the
    tests no domain owns: with none, it never runs, and its install does not matter.
    """
    from tiered_ci import full_validation  # noqa: PLC0415 - only check-config needs them
    from tiered_ci.plan import unit_remainder  # noqa: PLC0415

    quick = config.tier("quick")
    found = [
        SessionInstall(
            "quick",
            f"{PREFIX}.tiers.quick.install" if quick.install else f"{PREFIX}.tiers.quick",
            environments.quick_install(quick),
        )
    ]
    unit = config.tier("unit")
    if not (unit.fan_out and config.domains) or unit_remainder(config) is not None:
        found += _versions("unit", unit.python, *_tier_install(config, "unit"))
    if "integration" in config.tiers:
        found += _versions(
            "integration", config.tier("integration").python, *_tier_install(config, "integration")
        )
    for name in config.domains:
        key, install, default = _domain_install(config, name)
        domain = config.domains[name]
        # A family's package without tests: its shard skips before installing.
        shard_runs = (
            domain.family is None
            or not collected
            or any(_under(t, owned) for t in collected for owned in domain.tests)
        )
        for python in (config.domain_python(name) or (None,)) if shard_runs else ():
            found.append(
                SessionInstall(
                    f"domain-shard({shard_id(name, python)})", key, install, python, default
                )
            )
        if config.domains[name].integration_tests:
            key, install, default = _integration_install(config, name)
            for python in config.integration_python(name) or (None,):
                session = f"domain-integration({shard_id(name, python)})"
                found.append(SessionInstall(session, key, install, python, default))
    owned = full_validation.owned_tests(config)
    rest = [t for t in collected if not any(_under(t, o) for o in owned)]
    full_runs = rest or not full_validation.fans_out(config)
    if full_runs and any("full-e2e" in (*p.always, *p.affected) for p in config.triggers.values()):
        tier, _ = environments.full_e2e_install(config)
        key, install, default = _tier_install(config, tier)
        found.append(SessionInstall("full-e2e", key, install, default=default))
    return found


def _versions(
    session: str, pythons: tuple[str, ...], key: str, install: Install, default: bool
) -> list[SessionInstall]:
    if not pythons:
        return [SessionInstall(session, key, install, None, default)]
    return [SessionInstall(f"{session}-{p}", key, install, p, default) for p in pythons]


def _tier_install(config: Config, name: str) -> tuple[str, Install, bool]:
    tier = config.tier(name)
    if tier.install is not None:
        return f"{PREFIX}.tiers.{name}.install", tier.install, False
    return f"{PREFIX}.tiers.{name}.install", DEFAULT_INSTALL, True


def _domain_install(config: Config, name: str) -> tuple[str, Install, bool]:
    """As `Config.domain_install`: the domain's table, else the unit tier's, else the default."""
    domain = config.domains[name]
    if domain.install is None:
        return _tier_install(config, "unit")
    if domain.family is None:
        return f"{PREFIX}.domains.{name}.install", domain.install, False
    family = config.families.get(domain.family)
    member = family.members.get(name) if family else None
    where = f"members.{name}.install" if member and member.install else "install"
    return f"{PREFIX}.domain-families.{domain.family}.{where}", domain.install, False


def _integration_install(config: Config, name: str) -> tuple[str, Install, bool]:
    """As `Config.integration_install`: the domain's, the integration tier's, the shard's."""
    if config.domains[name].install is None and config.tier("integration").install is not None:
        return _tier_install(config, "integration")
    return _domain_install(config, name)


# --- do the names exist? ----------------------------------------------------------------


def install_findings(
    installs: Sequence[SessionInstall], read: Reader, files: frozenset[str]
) -> list[Finding]:
    """One finding per missing group, extra or project folder, naming the sessions it breaks."""
    documents: dict[str, Mapping[str, object] | None] = {}

    def document(folder: str) -> Mapping[str, object] | None:
        path = _join(folder, "pyproject.toml")
        if path not in documents:
            documents[path] = _toml(read(path))
        return documents[path]

    broken: dict[tuple[str, str], list[str]] = {}
    for entry in installs:
        for key, message in _problems(entry, document, files):
            broken.setdefault((key, message), []).append(entry.session)
    return [
        Finding(key, message.replace("{sessions}", _sessions(sessions)))
        for (key, message), sessions in broken.items()
    ]


def _problems(
    entry: SessionInstall,
    document: Callable[[str], Mapping[str, object] | None],
    files: frozenset[str],
) -> Iterator[tuple[str, str]]:
    install = entry.install
    for i, group in enumerate(install.groups):
        folder, name = environments.group_source(group)
        problem = _missing_group(folder, name, document(folder))
        if problem is None:
            continue
        if entry.default:
            yield (
                entry.key,
                (
                    f"not set, so {{sessions}} install the root project and its {name!r} "
                    f"dependency group, but {problem}; add the group "
                    f"({_GROUP_HINTS.get(name, 'its tools')}) or write this install table"
                ),
            )
        elif entry.key == f"{PREFIX}.tiers.quick":
            yield (
                entry.key,
                (
                    f"{{sessions}} installs the root's {name!r} dependency group (no "
                    f"tiers.quick.install table), but {problem}; add the group "
                    f"({_GROUP_HINTS.get(name, 'its tools')}) or write tiers.quick.install"
                ),
            )
        else:
            yield (
                f"{entry.key}.groups[{i}]",
                (
                    f"{group!r}: {problem}, so {{sessions}} cannot install; add it there or "
                    "name a group it has"
                ),
            )
    projects = (["."] if install.root and _has_project(document(".")) else []) + [
        f.rstrip("/") for f in install.editable
    ]
    for i, written in enumerate(install.editable):
        folder = written.rstrip("/") or "."
        inside = any(p.startswith(f"{folder}/") for p in files) or folder == "."
        if inside and not any(_join(folder, m) in files for m in _METADATA):
            yield (
                f"{entry.key}.editable[{i}]",
                (
                    f"{folder!r} has no pyproject.toml, setup.py or setup.cfg, so {{sessions}} "
                    f"cannot install it (`-e {folder}`); name the package's own folder"
                ),
            )
    for i, extra in enumerate(install.extras):
        for folder in projects:
            problem = _missing_extra(folder, extra, document(folder))
            if problem is not None:
                yield (
                    f"{entry.key}.extras[{i}]",
                    (
                        f"{extra!r}: {problem}, so {{sessions}} install {folder!r} without it "
                        "(uv only warns); add the extra there or drop it"
                    ),
                )


def _missing_group(folder: str, name: str, document: Mapping[str, object] | None) -> str | None:
    path = _join(folder, "pyproject.toml")
    if document is None:
        return f"{path} does not exist or is not valid TOML"
    groups = document.get("dependency-groups")
    names = sorted(groups) if isinstance(groups, dict) else []
    if _normalize(name) in {_normalize(n) for n in names}:
        return None
    has = f"it has {', '.join(repr(n) for n in names)}" if names else "it has none"
    return f"{path} has no [dependency-groups] {name!r} group ({has})"


def _missing_extra(folder: str, extra: str, document: Mapping[str, object] | None) -> str | None:
    project = document.get("project") if document is not None else None
    if not isinstance(project, dict):
        return None  # setup.py/setup.cfg metadata: not read here; uv will say
    if "optional-dependencies" in _strings(project.get("dynamic")):
        return None
    extras = project.get("optional-dependencies")
    names = sorted(extras) if isinstance(extras, dict) else []
    if _normalize(extra) in {_normalize(n) for n in names}:
        return None
    path = _join(folder, "pyproject.toml")
    has = f"it has {', '.join(repr(n) for n in names)}" if names else "it has none"
    return f"{path} has no [project.optional-dependencies] {extra!r} ({has})"


def _sessions(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    shown = ", ".join(unique[:_SHOWN])
    more = f" and {len(unique) - _SHOWN} more" if len(unique) > _SHOWN else ""
    return f"{shown}{more}"


# --- requirements, as the session would install them ------------------------------------


def group_requirements(document: Mapping[str, object], name: str) -> list[str]:
    """A PEP 735 group's requirements, `{include-group = ...}` followed; [] if absent."""
    groups = document.get("dependency-groups")
    if not isinstance(groups, dict):
        return []
    by_name = {_normalize(str(k)): v for k, v in groups.items()}
    out: list[str] = []
    seen: set[str] = set()

    def add(group: str) -> None:
        if group in seen:
            return  # a cycle: PEP 735 makes it an error; the session's installer says so
        seen.add(group)
        items = by_name.get(group)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
                add(_normalize(item["include-group"]))

    add(_normalize(name))
    return out


def requirement_lines(install: Install, root: Path, read: Reader) -> list[str]:
    """The lines of a requirements file holding what the session installs (tiered-ci
    itself aside), paths made absolute: `-e /repo/pkg[test]`, `-r /repo/req.txt`."""
    root_document = _toml(read("pyproject.toml")) or {}

    def groups(folder: str, name: str) -> list[str]:
        return group_requirements(_toml(read(_join(folder, "pyproject.toml"))) or {}, name)

    spec = environments.env_spec(install, has_project=_has_project(root_document), groups=groups)
    lines: list[str] = []
    for command in spec.commands:
        args = iter(command)
        for arg in args:
            if arg in {"-e", "-r"}:
                value = next(args, "")
                path, bracket, extras = value.partition("[")
                lines.append(f"{arg} {(root / path).resolve().as_posix()}{bracket}{extras}")
            else:
                lines.append(arg)
    return lines


# --- small helpers --------------------------------------------------------------------


def _has_project(document: Mapping[str, object] | None) -> bool:
    return document is not None and isinstance(document.get("project"), dict)


def _toml(text: str | None) -> dict[str, object] | None:
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _normalize(name: str) -> str:
    """PEP 503/685 name normalization (groups and extras compare this way)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _under(path: str, folder: str) -> bool:
    return folder in (".", path) or path.startswith(f"{folder}/")


def _join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else posixpath.join(folder, name)
