"""Which files a Docker service's image is built from, and which services a change affects.

`load_watches` is the I/O edge (it may read Dockerfiles and ignore files);
`claims` and `affected_services` are pure and used by the path mapper.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ci.changes import ChangedFile
from ci.config import Config, Service
from ci.globs import compile_glob


@dataclass(frozen=True, slots=True)
class Watch:
    """The inputs of one service: (rule id, glob) pairs, minus excluded globs."""

    service: str
    rules: tuple[tuple[str, str], ...]
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """Why a service is affected: the path, its status and the rule that matched."""

    service: str
    path: str
    status: str
    rule: str


def load_watches(config: Config, root: Path) -> dict[str, Watch]:
    """The watched inputs of every configured service (reads files under `root`)."""
    del root  # refined by the Docker issue: .dockerignore and Dockerfile COPY sources
    return {name: _default_watch(service) for name, service in config.services.items()}


def _default_watch(service: Service) -> Watch:
    key = f"services.{service.name}"
    context = "**" if service.context == "." else f"{service.context}/**"
    rules = [(f"{key}.context", context), (f"{key}.dockerfile", service.dockerfile)]
    rules += [(f"{key}.paths[{i}]", glob) for i, glob in enumerate(service.paths)]
    return Watch(service.name, tuple(rules))


def claims(watch: Watch, path: str) -> str | None:
    """The id of the rule of `watch` that claims `path`, or None."""
    if any(compile_glob(glob).fullmatch(path) for glob in watch.excludes):
        return None
    for rule, glob in watch.rules:
        if compile_glob(glob).fullmatch(path):
            return rule
    return None


def affected_services(
    watches: Mapping[str, Watch],
    depends_on: Mapping[str, Sequence[str]],
    files: Iterable[ChangedFile],
) -> dict[str, list[Hit]]:
    """Services whose inputs changed, plus (transitively) the services that depend on them."""
    direct: dict[str, list[Hit]] = {}
    for changed in files:
        for path in changed.paths():
            for name, watch in watches.items():
                if (rule := claims(watch, path)) is not None:
                    direct.setdefault(name, []).append(Hit(name, path, changed.status, rule))
    return _close_over_dependents(direct, depends_on)


def _close_over_dependents(
    direct: dict[str, list[Hit]], depends_on: Mapping[str, Sequence[str]]
) -> dict[str, list[Hit]]:
    result = {name: list(hits) for name, hits in direct.items()}
    changed = True
    while changed:  # a fixed point: depends-on graphs are small and acyclic (config checks)
        changed = False
        for name, deps in sorted(depends_on.items()):
            if name in result:
                continue
            for index, dep in enumerate(deps):
                if dep in result:
                    first = result[dep][0]
                    rule = f"services.{name}.depends-on[{index}]"
                    result[name] = [Hit(name, first.path, first.status, rule)]
                    changed = True
                    break
    return result
