"""The I/O edge of the images package: services from compose, watches from Dockerfiles.

* `resolve(config, tree)`: `config` with its services replaced by the
  configured ones merged with those the compose files build
  (`services-from`; explicit config keys win). Compose is read here, once per
  command; `Config.compose_inputs` remembers the files it read.
* `load_watches(config, tree, base=..., changed=...)`: every service's
  `Watch`, reading its Dockerfile and ignore files through `tree`. A changed
  compose input (a compose file, `.env`, an included or extended file) is
  compared between `base` and `tree`: it selects exactly the services whose
  build definition differs.

Everything is read through a `tiered_ci.tree.Tree`, so `--head REV` reads
REV's files. Whatever cannot be resolved widens a watch (the whole context,
or the whole repository for an unresolved service) with a note; nothing here
narrows on a guess.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from tiered_ci.errors import ConfigError
from tiered_ci.images.watch import (
    Rule,
    Watch,
    build_watch,
    escape_glob,
    ignore_files,
    shared_context,
    under,
    whole_repository,
)
from tiered_ci.model import COMPOSE_FILES, PREFIX, Config, Service

if TYPE_CHECKING:
    from tiered_ci.changes import ChangeSet
    from tiered_ci.images.dockerfile import IgnoreFile, Source
    from tiered_ci.tree import Tree

__all__ = [
    "describe",
    "discover",
    "load_watches",
    "resolve",
    "service_watch",
    "watches_for_change",
]

_MAX_LINKS = 16  # symlink hops followed from one COPY source before giving up


# --- services --------------------------------------------------------------------


def resolve(config: Config, tree: Tree, environ: Mapping[str, str] | None = None) -> Config:
    """`config` with its services replaced by `discover(config, tree)`."""
    if not config.services_from:
        return config
    services, inputs = discover(config, tree, environ)
    return dataclasses.replace(
        config, services=services, compose_inputs=inputs, declared_services=config.services
    )


def discover(
    config: Config, tree: Tree, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Service], tuple[str, ...]]:
    """Configured services merged with those of the compose files, and the files read."""
    declared = config.declared_services if config.declared_services is not None else config.services
    if not config.services_from:
        return dict(declared), ()
    from tiered_ci.images import compose  # noqa: PLC0415 - imports yaml; only compose users pay

    env = os.environ if environ is None else environ
    files, inputs = _compose_files(config, tree, env)
    project = compose.load(tree, files, env)
    merged = {name: build.to_service(name) for name, build in project.builds.items()}
    for name, explicit in declared.items():
        merged[name] = _merge(explicit, merged.get(name))
    for name, service in merged.items():
        for dep in service.depends_on:
            if dep not in merged:
                raise ConfigError(
                    f"{PREFIX}.services.{name}.depends-on: unknown service {dep!r}; "
                    f"known: {', '.join(sorted(merged)) or 'none'}"
                )
    return merged, tuple(dict.fromkeys([*inputs, *project.inputs]))


def _compose_files(
    config: Config, tree: Tree, environ: Mapping[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The compose files to read and the paths that decide which those are."""
    from tiered_ci.images import compose  # noqa: PLC0415

    if config.services_from == COMPOSE_FILES:
        files = compose.default_files(tree, environ)
        if not files:
            raise ConfigError(
                f'{PREFIX}.services-from = "compose": none of {", ".join(COMPOSE_FILES)} '
                f"is in {config.root}; add a compose file or remove services-from"
            )
        return files, (".env", *COMPOSE_FILES, *compose.OVERRIDE_FILES)
    for name in config.services_from:
        if tree.kind(name) not in ("file", "link"):
            raise ConfigError(
                f"{PREFIX}.services-from: {name}: no such file in {config.root}; "
                "fix the path or remove it from the list"
            )
    return config.services_from, ()


def _merge(explicit: Service, found: Service | None) -> Service:
    """Explicit config keys win, key by key; compose fills the keys the config leaves out."""
    if found is None:
        return explicit
    keys = explicit.keys
    path_keys = {"context", "dockerfile"} & keys
    return dataclasses.replace(
        found,
        name=explicit.name,
        context=explicit.context if "context" in keys else found.context,
        dockerfile=explicit.dockerfile if "dockerfile" in keys else found.dockerfile,
        image=explicit.image if "image" in keys else found.image,
        paths=explicit.paths,
        target=explicit.target if "target" in keys else found.target,
        args=explicit.args if "args" in keys else found.args,
        open_args=() if "args" in keys else found.open_args,
        depends_on=tuple(dict.fromkeys([*explicit.depends_on, *found.depends_on])),
        contexts=explicit.contexts if "additional-contexts" in keys else found.contexts,
        keys=keys,
        # A configured context and Dockerfile replace whatever compose could not resolve.
        unresolved="" if path_keys == {"context", "dockerfile"} else found.unresolved,
    )


# --- watches ---------------------------------------------------------------------


def watches_for_change(config: Config, tree: Tree, changes: ChangeSet) -> dict[str, Watch]:
    """`load_watches` for one diff: `tree` is the head's files, the base is read from git."""
    from tiered_ci.tree import GitTree  # noqa: PLC0415

    base = GitTree(config.root, changes.base) if changes.base else None
    changed = (path for file in changes.files for path in file.paths())
    return load_watches(config, tree, base=base, changed=changed)


def load_watches(
    config: Config,
    tree: Tree,
    *,
    base: Tree | None = None,
    changed: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, Watch]:
    """The watched inputs of every service of `config` (already `resolve`d)."""
    contexts = [s.context for s in config.services.values()]
    redefined = _redefined(config, base, changed, environ)
    watches: dict[str, Watch] = {}
    for name, service in config.services.items():
        extra = [(f"services.{name}.compose", escape_glob(p)) for p in redefined.get(name, ())]
        if service.unresolved:
            watch = whole_repository(name, service.unresolved)
        else:
            watch = service_watch(
                service,
                shared=shared_context(service.context, contexts),
                dockerfile=tree.read_text(service.dockerfile),
                ignores=_ignores(service, tree),
                tree=tree,
            )
        if extra:
            watch = dataclasses.replace(watch, rules=(*watch.rules, *extra))
        watches[name] = watch
    return watches


def _redefined(
    config: Config,
    base: Tree | None,
    changed: Iterable[str],
    environ: Mapping[str, str] | None,
) -> dict[str, tuple[str, ...]]:
    """Services whose build definition a changed compose input changes, with those inputs.

    Compose is read a second time (at the base) only when one of its inputs changed.
    """
    inputs = set(config.compose_inputs)
    if not inputs:
        return {}  # no compose: nothing to compare (and no walk over a large diff)
    touched = tuple(p for p in changed if p in inputs)
    if not touched:
        return {}
    before: Mapping[str, Service] | None = None
    if base is not None:
        try:
            before, _ = discover(config, base, environ)
        except ConfigError:
            before = None  # the base's compose did not load: every service may have changed
    return {
        name: touched
        for name, service in config.services.items()
        if before is None or before.get(name) != service
    }


def service_watch(
    service: Service,
    *,
    shared: bool,
    dockerfile: str | None,
    ignores: Sequence[IgnoreFile] = (),
    tree: Tree | None = None,
) -> Watch:
    """A service's Watch from its Dockerfile's text (None: unreadable) and ignore files.

    `tree` is asked only whether COPY sources are symlinks; without it this is pure.
    """
    local = {n: c for n, c in service.contexts.items() if _local(c)}
    whole_named = [_whole_named(service, n, c) for n, c in local.items()]
    if dockerfile is None:
        return build_watch(service, shared=shared, sources=None, ignores=ignores, extra=whole_named)
    from tiered_ci.images.dockerfile import context_sources  # noqa: PLC0415 - only a Dockerfile read pays

    build_args: dict[str, str | None] = {**service.args}
    build_args.update(dict.fromkeys(service.open_args))  # None: the build machine decides
    found = context_sources(dockerfile, named=service.contexts, build_args=build_args)
    if found.unresolved is not None:
        return build_watch(
            service,
            shared=shared,
            sources=(),
            unsure=found.unresolved,
            ignores=ignores,
            extra=whole_named,
        )
    rules, extra, unsure, lines = _source_rules(service, found.sources, tree)
    widened = _widened(found.sources)
    if (bad := _first_invalid([*rules, *extra])) is not None:
        # A source pattern no glob can express (`[z-a]`): watch the whole context instead.
        unsure, extra, lines = f"COPY source glob {bad!r} cannot match anything", whole_named, []
    return build_watch(
        service,
        shared=shared,
        sources=rules,
        unsure=unsure,
        ignores=ignores,
        extra=extra,
        lines=lines,
        widened=widened,
    )


def _widened(sources: Sequence[Source]) -> list[str]:
    """`line N: SOURCE as GLOB, GLOB` for each source a variable left partly unknown."""
    grouped: dict[tuple[int, str], list[str]] = {}
    for source in sources:
        if source.widened:
            grouped.setdefault((source.line, source.widened), []).append(source.pattern)
    return [
        f"line {line}: {raw} as {', '.join(patterns)}" for (line, raw), patterns in grouped.items()
    ]


def _first_invalid(rules: Sequence[Rule]) -> str | None:
    from tiered_ci.globs import GlobError, compile_glob  # noqa: PLC0415

    for _, glob in rules:
        try:
            compile_glob(glob)
        except GlobError:
            return glob
    return None


def _source_rules(
    service: Service, sources: Sequence[Source], tree: Tree | None
) -> tuple[list[Rule], list[Rule], str | None, list[tuple[str, str, str]]]:
    """Context rules, extra rules (named contexts, symlink targets), a reason to widen, and
    (rule id, glob, `Dockerfile:line: INSTRUCTION`) per source for `plan --explain`."""
    from tiered_ci.images.dockerfile import go_pattern_to_glob  # noqa: PLC0415

    key = f"services.{service.name}"
    rules: list[Rule] = []
    extra: list[Rule] = []
    unsure: str | None = None
    counters: dict[str, int] = {}
    lines: list[tuple[str, str, str]] = []
    for source in sources:
        root = service.context if source.context is None else service.contexts[source.context]
        if source.context is not None and not _local(root):
            continue  # an image or a remote context: nothing in the repository to watch
        kind = source.kind if source.context is None else f"additional_contexts.{source.context}"
        index = counters.get(kind, 0)
        counters[kind] = index + 1
        glob = under(
            root, "**" if source.pattern == "." else go_pattern_to_glob(source.pattern) + "/**"
        )
        (rules if source.context is None else extra).append((f"{key}.{kind}[{index}]", glob))
        where = f"{service.dockerfile}:{source.line}: {source.instruction}"
        lines.append((f"{key}.{kind}[{index}]", glob, where))
        targets = [] if tree is None else _link_targets(tree, root, source.pattern)
        if targets is None:
            unsure = f"line {source.line}: a COPY source goes through a symlink loop"
            continue
        extra += [
            (f"{key}.{kind}[{index}].symlink", under(root, _link_glob(literal, rest)))
            for literal, rest in targets
        ]
    return rules, extra, unsure, lines


def _link_glob(literal: str, rest: str) -> str:
    """A symlink target (literal) plus the rest of a COPY source (a Go pattern) as a glob."""
    from tiered_ci.images.dockerfile import go_pattern_to_glob  # noqa: PLC0415

    tail = go_pattern_to_glob(rest) + "/**" if rest else "**"
    return tail if literal == "." else f"{escape_glob(literal)}/{tail}"


def _link_targets(
    tree: Tree, root: str, pattern: str, depth: int = 0
) -> list[tuple[str, str]] | None:
    """What a COPY of `pattern` (relative to the context `root`) reads through symlinks.

    Builders follow a source that is a symlink, or sits below one, and resolve
    the link inside the context as if it were the file system root (a `..`
    stops at the context, `/x` means `<context>/x`; buildah and BuildKit
    agree). Each result is (the link target, the rest of the pattern), both
    relative to `root`. None: the links loop.
    """
    from tiered_ci.images.dockerfile import IgnoreFile  # noqa: PLC0415

    if depth > _MAX_LINKS:
        return None
    parts = [] if pattern == "." else pattern.split("/")
    prefix: list[str] = []
    for i, part in enumerate(parts):
        rest = parts[i + 1 :]
        if any(c in part for c in "*?[\\"):
            matcher = IgnoreFile.parse(part)  # Go filepath.Match, as builders match sources
            found: list[tuple[str, str]] = []
            for name in sorted(tree.children(_join(root, "/".join(prefix) or ".")) or {}):
                if not matcher.excludes(name):
                    continue
                sub = _link_targets(tree, root, "/".join([*prefix, name, *rest]), depth)
                if sub is None:
                    return None
                found += sub
            return found
        path = _join(root, "/".join([*prefix, part]))
        kind = tree.kind(path)
        if kind != "link":
            if kind != "dir":
                return []  # a file, or nothing: no link on the way
            prefix.append(part)
            continue
        link = tree.readlink(path) or ""
        target = "/".join(_scoped([] if link.startswith("/") else prefix, link)) or "."
        further = _link_targets(
            tree, root, "/".join([target, *rest]) if rest else target, depth + 1
        )
        return None if further is None else [(target, "/".join(rest)), *further]
    return []


def _scoped(start: list[str], link: str) -> list[str]:
    """`link` resolved from the folder `start` without ever leaving the context root."""
    parts = list(start)
    for part in link.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return parts


def _whole_named(service: Service, name: str, context: str) -> Rule:
    return (f"services.{service.name}.additional_contexts.{name}", under(context, "**"))


def _local(context: str) -> bool:
    return not ("://" in context or context.startswith(("git@", "service:", "target:")))


def _ignores(service: Service, tree: Tree) -> list[IgnoreFile]:
    """The ignore file each kind of builder reads; a path counts out only when all exclude it.

    BuildKit reads `<Dockerfile>.dockerignore` when it exists, instead of the context's
    `.dockerignore`; buildah and podman read the context's `.containerignore`, else its
    `.dockerignore`. A builder with no ignore file sees the whole context.
    """
    per_dockerfile, container, docker = (tree.read_text(rel) for rel in ignore_files(service))
    texts = [
        per_dockerfile if per_dockerfile is not None else docker,
        container if container is not None else docker,
    ]
    if all(text is None for text in texts):
        return []  # the parser's module is imported only when there is something to parse
    from tiered_ci.images.dockerfile import IgnoreFile  # noqa: PLC0415

    return [IgnoreFile.parse(text or "") for text in dict.fromkeys(texts)]


def _join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else f"{folder}/{name}"


def describe(config: Config, tree: Tree) -> list[str]:
    """One line per service whose watch is not plain (for `check-config`): what widened it,
    which additional contexts and symlink targets it watches. Reads like `load_watches`."""
    lines: list[str] = []
    for name, watch in load_watches(config, tree).items():
        extra = sorted(
            {
                glob
                for rule, glob in watch.rules
                if ".additional_contexts." in rule or rule.endswith(".symlink")
            }
        )
        if "(" in watch.note or extra:
            watched = f"; also watches {', '.join(extra)}" if extra else ""
            lines.append(f"services.{name}: watches {watch.note}{watched}")
    return lines
