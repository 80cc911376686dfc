"""Which files a Docker service's image is built from, and which services a change affects.

* `discover(config, root)`: the services of `[tool.tiered-ci.services]` merged
  with those a compose file declares (`services-from`); explicit keys win.
* `load_watches(config, root)`: the I/O edge. For every service it reads the
  Dockerfile and the context's ignore files and returns a `Watch`: the
  Dockerfile, the ignore files, the context (minus what `.dockerignore`
  excludes) or, for a shared context, only the paths its COPY / ADD read, and
  the extra `paths`.
* `claims(watch, path)` and `dependents(...)`: pure, used by the path mapper
  (and through it by `tiered-ci build`).

A watch is only ever narrowed when the Dockerfile says for sure what it reads;
any doubt (a variable, a remote URL, an unreadable Dockerfile) keeps the whole
context.
"""

from __future__ import annotations

import dataclasses
import graphlib
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci.config import COMPOSE_FILES, PREFIX, Config, Service
from tiered_ci.errors import ConfigError
from tiered_ci.globs import compile_glob

if TYPE_CHECKING:
    from tiered_ci.dockerfile import IgnoreFile

__all__ = [
    "Watch",
    "build_watch",
    "claims",
    "dependents",
    "discover",
    "escape_glob",
    "ignore_files",
    "load_watches",
    "resolve",
    "shared_context",
]


@dataclass(frozen=True, slots=True)
class Watch:
    """The inputs of one service.

    `rules` are (rule id, glob) pairs tried in order; the rules named in
    `filtered` (the context, or the COPY sources) do not claim a path that
    every one of `ignores` excludes. `excludes` are globs never claimed.
    """

    service: str
    rules: tuple[tuple[str, str], ...]
    excludes: tuple[str, ...] = ()
    context: str = "."
    ignores: tuple[IgnoreFile, ...] = ()
    filtered: frozenset[str] = frozenset()
    note: str = ""  # how the context inputs were decided (shown by `build`)


# --- discovery -------------------------------------------------------------------


def resolve(config: Config, root: Path) -> Config:
    """`config` with its services replaced by `discover(config, root)`."""
    if not config.services_from:
        return config
    return dataclasses.replace(config, services=discover(config, root))


def discover(config: Config, root: Path) -> dict[str, Service]:
    """Configured services merged with those of the compose files (`services-from`)."""
    if not config.services_from:
        return dict(config.services)
    from tiered_ci import compose  # noqa: PLC0415 - imports yaml; only configs that use compose pay

    found: dict[str, compose.ComposeBuild] = {}
    origin: dict[str, Path] = {}
    for path in _compose_paths(config, root):
        for name, build in compose.read(path, root).items():
            found[name] = found[name].overlay(build) if name in found else build
            origin[name] = path
    merged = {
        name: build.to_service(name, f"{origin[name]}: services.{name}.build")
        for name, build in found.items()
    }
    for name, explicit in config.services.items():
        merged[name] = _merge(explicit, merged.get(name))
    for name, service in merged.items():
        _check_discovered(name, service, merged, from_compose=name in found)
    # No cycle check here: only configured services have depends-on, and config.load
    # has already rejected cycles among them.
    return merged


def _compose_paths(config: Config, root: Path) -> list[Path]:
    if config.services_from == COMPOSE_FILES:
        for name in COMPOSE_FILES:
            if (root / name).is_file():
                return [root / name]
        raise ConfigError(
            f'{PREFIX}.services-from = "compose": none of {", ".join(COMPOSE_FILES)} '
            f"is in {root}; add a compose file or remove services-from"
        )
    paths = [root / name for name in config.services_from]
    for name, path in zip(config.services_from, paths, strict=True):
        if not path.is_file():
            raise ConfigError(
                f"{PREFIX}.services-from: {name}: no such file in {root}; "
                "fix the path or remove it from the list"
            )
    return paths


def _merge(explicit: Service, found: Service | None) -> Service:
    """Explicit config keys win, key by key; compose fills the keys the config leaves out."""
    if found is None:
        return explicit
    keys = explicit.keys

    def pick(key: str, mine: object, theirs: object) -> object:
        return mine if key in keys else theirs

    return Service(
        name=explicit.name,
        context=str(pick("context", explicit.context, found.context)),
        dockerfile=str(pick("dockerfile", explicit.dockerfile, found.dockerfile)),
        image=str(pick("image", explicit.image, found.image)),
        paths=explicit.paths,
        target=explicit.target if "target" in keys else found.target,
        args=explicit.args if "args" in keys else found.args,
        depends_on=explicit.depends_on,
        keys=keys,
    )


def _check_discovered(
    name: str, service: Service, services: Mapping[str, Service], *, from_compose: bool
) -> None:
    for dep in service.depends_on:
        if dep not in services:
            raise ConfigError(
                f"{PREFIX}.services.{name}.depends-on: unknown service {dep!r}; "
                f"known: {', '.join(sorted(services)) or 'none'}"
            )
    if from_compose and "$" in service.context + service.dockerfile:
        raise ConfigError(
            f"compose service {name!r}: build context or dockerfile uses a variable "
            f"({service.context}, {service.dockerfile}), which tiered-ci does not expand; "
            f"set context and dockerfile in [{PREFIX}.services.{name}]"
        )


# --- watches ---------------------------------------------------------------------


def _parse_ignore(text: str) -> IgnoreFile:
    # tiered_ci.dockerfile is imported only when a repository has something for it to read:
    # `plan` starts every workflow, and most plans read no Dockerfile at all.
    from tiered_ci.dockerfile import IgnoreFile  # noqa: PLC0415

    return IgnoreFile.parse(text)


def load_watches(config: Config, root: Path) -> dict[str, Watch]:
    """The watched inputs of every service (reads Dockerfiles and ignore files under `root`).

    `config` is the one `resolve` returned: its services already hold the compose-discovered
    ones, so compose files are read once per run.
    """
    services = config.services
    contexts = [s.context for s in services.values()]
    watches: dict[str, Watch] = {}
    for name, service in services.items():
        shared = shared_context(service.context, contexts)
        dockerfile = _read(root / service.dockerfile) if shared else None
        ignores = [
            _parse_ignore(text)
            for rel in ignore_files(service)
            if (text := _read(root / rel)) is not None
        ]
        watches[name] = build_watch(service, shared=shared, dockerfile=dockerfile, ignores=ignores)
    return watches


def shared_context(context: str, all_contexts: Iterable[str]) -> bool:
    """Whether `context` is the repository root or holds another service's context.

    Such a context is mostly other services' files, so only what the
    Dockerfile COPYs counts; a service's own folder counts whole.
    """
    if context in ("", "."):
        return True
    return any(other.startswith(f"{context}/") for other in all_contexts)


def ignore_files(service: Service) -> tuple[str, ...]:
    """Ignore files that may shape the context: BuildKit's `<Dockerfile>.dockerignore`,
    buildah/podman's `.containerignore` and everyone's `.dockerignore`."""
    return (
        f"{service.dockerfile}.dockerignore",
        _join(service.context, ".containerignore"),
        _join(service.context, ".dockerignore"),
    )


def build_watch(
    service: Service,
    *,
    shared: bool,
    dockerfile: str | None,
    ignores: Sequence[IgnoreFile] = (),
) -> Watch:
    """Pure: a service's Watch from what `load_watches` read.

    `dockerfile` is the Dockerfile's text (None: not read or unreadable);
    `ignores` the ignore files that exist in the context.
    """
    key = f"services.{service.name}"
    rules: list[tuple[str, str]] = [(f"{key}.dockerfile", escape_glob(service.dockerfile))]
    for rel in ignore_files(service):
        kind = "containerignore" if rel.endswith(".containerignore") else "dockerignore"
        rules.append((f"{key}.{kind}", escape_glob(rel)))
    context_rules, note = _context_rules(service, shared=shared, dockerfile=dockerfile)
    rules += context_rules
    rules += [(f"{key}.paths[{i}]", glob) for i, glob in enumerate(service.paths)]
    return Watch(
        service=service.name,
        rules=tuple(rules),
        context=service.context,
        ignores=tuple(ignores),
        filtered=frozenset(rule for rule, _ in context_rules),
        note=note,
    )


def _context_rules(
    service: Service, *, shared: bool, dockerfile: str | None
) -> tuple[list[tuple[str, str]], str]:
    key = f"services.{service.name}"
    whole = [(f"{key}.context", _under(service.context, "**"))]
    if not shared:
        return whole, f"the whole context {service.context}"
    if dockerfile is None:
        return whole, f"the whole context {service.context} (cannot read {service.dockerfile})"
    from tiered_ci.dockerfile import context_sources, go_pattern_to_glob  # noqa: PLC0415 - see _parse_ignore

    found = context_sources(dockerfile)
    if found.unresolved is not None:
        return whole, f"the whole context {service.context} ({found.unresolved})"
    counters = {"copy": 0, "mount": 0}
    rules: list[tuple[str, str]] = []
    for source in found.sources:
        index = counters[source.kind]
        counters[source.kind] += 1
        glob = _under(service.context, go_pattern_to_glob(source.pattern) + "/**")
        if source.pattern == ".":
            glob = _under(service.context, "**")
        rules.append((f"{key}.{source.kind}[{index}]", glob))
    count = len(rules)
    return rules, f"{count} COPY/ADD/mount source{'s' * (count != 1)} in {service.dockerfile}"


def claims(watch: Watch, path: str) -> str | None:
    """The id of the rule of `watch` that claims `path`, or None."""
    if any(compile_glob(glob).fullmatch(path) for glob in watch.excludes):
        return None
    for rule, glob in watch.rules:
        if not compile_glob(glob).fullmatch(path):
            continue
        if rule in watch.filtered and _ignored(watch, path):
            continue
        return rule
    return None


def _ignored(watch: Watch, path: str) -> bool:
    """Every ignore file excludes `path` (builders disagree on which one they read)."""
    if not watch.ignores:
        return False
    if watch.context in ("", "."):
        relative = path
    elif path.startswith(f"{watch.context}/"):
        relative = path[len(watch.context) + 1 :]
    else:
        return False
    return all(ignore.excludes(relative) for ignore in watch.ignores)


def dependents(
    affected: Iterable[str], depends_on: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, int]]:
    """Services affected only through `depends-on`, transitively, each with the first
    dependency in its list (and that index) that is affected. Pure. Walked in build
    order (graphlib), so a dependant's dependency is always reported before it."""
    seen = set(affected)
    found: dict[str, tuple[str, int]] = {}
    # a graph that config checks to be acyclic; names outside it have no dependencies
    for name in graphlib.TopologicalSorter(depends_on).static_order():
        if name in seen:
            continue
        deps = depends_on.get(name, ())
        index = next((i for i, dep in enumerate(deps) if dep in seen), None)
        if index is not None:
            found[name] = (deps[index], index)
            seen.add(name)
    return found


# --- small helpers ---------------------------------------------------------------


def escape_glob(path: str) -> str:
    """A literal path as a glob of tiered_ci.globs that matches only that path."""
    return "".join(f"\\{c}" if c in "\\*?[]{}," else c for c in path)


def _under(context: str, glob: str) -> str:
    if context in ("", "."):
        return glob
    return f"{escape_glob(context)}/{glob}"


def _join(context: str, name: str) -> str:
    return name if context in ("", ".") else posixpath.join(context, name)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
