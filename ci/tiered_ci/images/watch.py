"""Pure watch rules: which changed paths make a service's image need a rebuild.

A `Watch` is plain data built by `tiered_ci.images.discover` (the I/O edge
that reads compose files, Dockerfiles and ignore files); this module only
matches paths against it. `tiered_ci.mapping` imports nothing else from the
images package.

* `build_watch(...)`: a service's Watch from what the edge read: the
  Dockerfile, the ignore files, the context (minus what `.dockerignore`
  excludes) or, for a shared context, only the paths its COPY / ADD read,
  plus extra rules (symlink targets, additional contexts, compose inputs)
  and the configured `paths`.
* `claims(watch, path)` (`claimer(watch)` for many paths) and `dependents(...)`:
  used by the path mapper (and through it by `tiered-ci build`).

A watch is only ever narrowed when the Dockerfile says for sure what it
reads; any doubt keeps the whole context (and an unresolvable service
watches the whole repository).
"""

from __future__ import annotations

import graphlib
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tiered_ci.globs import compile_glob

if TYPE_CHECKING:
    from tiered_ci.images.dockerfile import IgnoreFile
    from tiered_ci.model import Service

__all__ = [
    "Rule",
    "Watch",
    "build_watch",
    "claimer",
    "claims",
    "dependents",
    "escape_glob",
    "ignore_files",
    "origin",
    "shared_context",
    "under",
    "whole_repository",
]

Rule = tuple[str, str]  # (rule id, glob)


@dataclass(frozen=True, slots=True)
class Watch:
    """The inputs of one service.

    `rules` are (rule id, glob) pairs tried in order; the rules named in
    `filtered` (the context, or the COPY sources) do not claim a path that
    every one of `ignores` excludes. `excludes` are globs never claimed.
    """

    service: str
    rules: tuple[Rule, ...]
    excludes: tuple[str, ...] = ()
    context: str = "."
    ignores: tuple[IgnoreFile, ...] = ()
    filtered: frozenset[str] = frozenset()
    note: str = ""  # how the context inputs were decided (shown by `build`)
    # (rule id, glob, "Dockerfile:line: INSTRUCTION") per COPY / ADD / mount source, used
    # or not (a service's own folder is watched whole): what `plan --explain` quotes
    lines: tuple[tuple[str, str, str], ...] = ()


def whole_repository(name: str, why: str) -> Watch:
    """The watch of a service whose inputs cannot be known: every path claims it."""
    return Watch(
        name, ((f"services.{name}.unresolved", "**"),), note=f"the whole repository ({why})"
    )


def build_watch(  # noqa: PLR0913 - the pieces the I/O edge read, each plain data
    service: Service,
    *,
    shared: bool,
    sources: Sequence[Rule] | None,
    unsure: str | None = None,
    ignores: Sequence[IgnoreFile] = (),
    extra: Sequence[Rule] = (),
    lines: Sequence[tuple[str, str, str]] = (),
    widened: Sequence[str] = (),
) -> Watch:
    """Pure: a service's Watch.

    `sources` are the context rules the Dockerfile's COPY / ADD / mount
    sources give (repo-relative globs; None: the Dockerfile was not read),
    `unsure` why they cannot be trusted; a service whose context is its own
    (not `shared`) watches the whole context either way. `extra` rules
    (symlink targets, additional contexts, compose inputs) always claim.
    """
    key = f"services.{service.name}"
    rules: list[Rule] = [(f"{key}.dockerfile", escape_glob(service.dockerfile))]
    for rel in ignore_files(service):
        kind = "containerignore" if rel.endswith(".containerignore") else "dockerignore"
        rules.append((f"{key}.{kind}", escape_glob(rel)))
    context_rules, note = _context_rules(service, shared=shared, sources=sources, unsure=unsure)
    if widened and shared and sources is not None and unsure is None:
        # the variables' values are not known: say which sources were read wider
        note += f" ({'; '.join(widened)}: a variable's value is not known)"
    rules += context_rules
    rules += extra
    rules += [(f"{key}.paths[{i}]", glob) for i, glob in enumerate(service.paths)]
    return Watch(
        service=service.name,
        rules=tuple(rules),
        context=service.context,
        ignores=tuple(ignores),
        filtered=frozenset(rule for rule, _ in context_rules),
        note=note,
        lines=tuple(lines),
    )


def _context_rules(
    service: Service, *, shared: bool, sources: Sequence[Rule] | None, unsure: str | None
) -> tuple[list[Rule], str]:
    key = f"services.{service.name}"
    whole = [(f"{key}.context", under(service.context, "**"))]
    if not shared:
        return whole, f"the whole context {service.context}"
    if sources is None:
        return whole, f"the whole context {service.context} (cannot read {service.dockerfile})"
    if unsure is not None:
        return whole, f"the whole context {service.context} ({unsure})"
    count = len(sources)
    note = f"{count} COPY/ADD/mount source{'s' * (count != 1)} in {service.dockerfile}"
    return list(sources), note


def origin(watch: Watch, rule: str, path: str) -> str | None:
    """The Dockerfile line behind `rule` claiming `path` (`file:line: INSTRUCTION`), or None.

    A COPY rule (or a symlink it goes through) is its own line; a whole context
    names the first source line that reads `path`, if any; a changed Dockerfile
    or ignore file is itself the reason.
    """
    key = f"services.{watch.service}"
    if rule in (f"{key}.dockerfile", f"{key}.dockerignore", f"{key}.containerignore"):
        return None
    wanted = rule.removesuffix(".symlink")
    for line_rule, _, text in watch.lines:
        if line_rule == wanted:
            return text
    if rule == f"{key}.context":
        for _, glob, text in watch.lines:
            if compile_glob(glob).fullmatch(path):
                return text
    return None


def claims(watch: Watch, path: str) -> str | None:
    """The id of the rule of `watch` that claims `path`, or None."""
    return claimer(watch)(path)


def claimer(watch: Watch) -> Callable[[str], str | None]:
    """`claims` for one watch with its globs looked up once: the path mapper asks it
    for every changed path under the service's folders."""
    excludes = [compile_glob(glob).fullmatch for glob in watch.excludes]
    rules = [
        (rule, compile_glob(glob).fullmatch, rule in watch.filtered) for rule, glob in watch.rules
    ]

    def claim(path: str) -> str | None:
        if excludes and any(match(path) for match in excludes):
            return None
        for rule, match, filtered in rules:
            if match(path) and not (filtered and _ignored(watch, path)):
                return rule
        return None

    return claim


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


def escape_glob(path: str) -> str:
    """A literal path as a glob of tiered_ci.globs that matches only that path."""
    return "".join(f"\\{c}" if c in "\\*?[]{}," else c for c in path)


def under(folder: str, glob: str) -> str:
    """`glob` (already a glob) below the literal folder `folder`."""
    if folder in ("", "."):
        return glob
    return f"{escape_glob(folder)}/{glob}"


def _join(context: str, name: str) -> str:
    return name if context in ("", ".") else posixpath.join(context, name)
