"""Compose files read the way Compose reads them: the build definition of every service.

Rules (compose-spec: "Compose file", "Interpolation", "Merge", "Include",
`extends`, `build`):

* Files: the listed ones, else `COMPOSE_FILE` (from the environment or the
  project's `.env`), else the first of compose.yaml, compose.yml,
  docker-compose.yaml, docker-compose.yml plus the first override file
  (compose.override.yaml, ...) beside it. Later files override earlier ones
  key by key; `build.args` and `build.additional_contexts` merge as mappings.
* The project folder is the first file's folder: relative paths in every
  listed file resolve from it, and its `.env` defines variables, which the
  environment overrides.
* Interpolation applies per file, before merging, to the values read here.
  A path (context, dockerfile, additional contexts) that uses an unset
  variable without a default is not guessed: the service is `unresolved`.
* `include:` loads each entry as its own project (its folder, its `.env` or
  `env_file`, the including project's variables first) and adds its services.
* `extends:` (same file or `file:`) merges the base service under the
  service; paths in another file resolve from that file's folder.
* Services in `profiles` are discovered like any other: their images are
  built from the same repository.

Only what decides an image build is read (`build` and `image`); the rest of
a service (environment, secrets, ports...) is never interpolated, so a secret
the CI does not have cannot fail a plan. `Project.inputs` lists every file
the result depends on (including a missing `.env`), so a change to one of
them can be compared between base and head.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from tiered_ci.errors import ConfigError
from tiered_ci.images.interpolation import Unresolved, interpolate, parse_env_file
from tiered_ci.model import COMPOSE_FILES, Service

if TYPE_CHECKING:
    from tiered_ci.tree import Tree

__all__ = ["OVERRIDE_FILES", "ComposeBuild", "Project", "default_files", "load"]

OVERRIDE_FILES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
)
_MAX_DEPTH = 32  # include / extends nesting: deeper is a loop


@dataclass(frozen=True, slots=True)
class ComposeBuild:
    """One service's build settings (repo-relative paths), after interpolation."""

    where: str  # "compose.yaml: services.api"
    context: str | None = None
    dockerfile: str | None = None  # as written: relative to the (final) context
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    image: str | None = None
    contexts: Mapping[str, str] = field(default_factory=dict)
    unresolved: str | None = None  # why the build inputs cannot be known
    open_args: tuple[str, ...] = ()  # build args the build machine's environment decides

    def overlay(self, later: ComposeBuild) -> ComposeBuild:
        """`later` (an override file, or the extending service) wins key by key."""
        return ComposeBuild(
            where=later.where,
            context=later.context or self.context,
            dockerfile=later.dockerfile or self.dockerfile,
            target=later.target or self.target,
            args={
                **{k: v for k, v in self.args.items() if k not in later.open_args},
                **later.args,
            },
            image=later.image or self.image,
            contexts={**self.contexts, **later.contexts},
            unresolved=later.unresolved or self.unresolved,
            open_args=tuple(
                dict.fromkeys(
                    [*(n for n in self.open_args if n not in later.args), *later.open_args]
                )
            ),
        )

    def to_service(self, name: str) -> Service:
        context = self.context or "."
        written = self.dockerfile or "Dockerfile"
        dockerfile = posixpath.normpath(posixpath.join(context, written))
        unresolved = self.unresolved or ""
        if not unresolved and _outside(dockerfile):
            unresolved = f"{self.where}: build.dockerfile {written} is outside the repository"
        depends = tuple(
            v.removeprefix("service:") for v in self.contexts.values() if v.startswith("service:")
        )
        return Service(
            name=name,
            context=context,
            dockerfile=dockerfile,
            image=self.image or name,
            target=self.target,
            args=dict(self.args),
            depends_on=depends,
            contexts=dict(self.contexts),
            unresolved=unresolved,
            open_args=self.open_args,
        )


@dataclass(frozen=True, slots=True)
class Project:
    """What the compose files build: services by name, and every file that decided it."""

    builds: Mapping[str, ComposeBuild]
    inputs: tuple[str, ...]  # repo-relative paths read (or looked for: a missing .env counts)


Lookup = Callable[[str], "str | None"]


def default_files(tree: Tree, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The files `docker compose` reads in the repository root with no `-f`."""
    lookup = _lookup(environ, parse_env_file(tree.read_text(".env") or "", environ))
    listed = lookup("COMPOSE_FILE")
    if listed:
        separator = lookup("COMPOSE_PATH_SEPARATOR") or ":"
        return tuple(posixpath.normpath(p) for p in listed.split(separator) if p)
    base = next((name for name in COMPOSE_FILES if tree.kind(name) in ("file", "link")), None)
    if base is None:
        return ()
    override = next((n for n in OVERRIDE_FILES if tree.kind(n) in ("file", "link")), None)
    return (base,) if override is None else (base, override)


def load(tree: Tree, files: Iterable[str], environ: Mapping[str, str]) -> Project:
    """The built services of the compose project made of `files` (repo-relative)."""
    files = tuple(files)
    loader = _Loader(tree)
    project_dir = posixpath.dirname(files[0]) or "."
    env_path = _join(project_dir, ".env")
    dotenv = parse_env_file(loader.read_optional(env_path), environ)
    builds = loader.project(files, project_dir, _lookup(environ, dotenv), depth=0)
    return Project(builds, tuple(dict.fromkeys(loader.inputs)))


def _lookup(first: Mapping[str, str], then: Mapping[str, str]) -> Lookup:
    def lookup(name: str) -> str | None:
        value = first.get(name)
        return value if value is not None else then.get(name)

    return lookup


class _Loader:
    """Reads compose files through a Tree, remembering every path it read."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.inputs: list[str] = []
        self._documents: dict[str, dict[str, object]] = {}

    def read_optional(self, path: str) -> str:
        self.inputs.append(path)
        return self.tree.read_text(path) or ""

    def document(self, path: str) -> dict[str, object]:
        if path in self._documents:
            return self._documents[path]
        self.inputs.append(path)
        text = self.tree.read_text(path)
        if text is None:
            raise ConfigError(
                f"{path}: no such compose file in {self.tree.label}; fix the path or remove it"
            )
        document = _parse_yaml(text, path)
        self._documents[path] = document
        return document

    def project(
        self, files: tuple[str, ...], project_dir: str, lookup: Lookup, *, depth: int
    ) -> dict[str, ComposeBuild]:
        """Merge `files` (one project): includes first, then the files' own services."""
        if depth > _MAX_DEPTH:
            raise ConfigError(f"{files[0]}: include nests deeper than {_MAX_DEPTH}: a loop?")
        merged: dict[str, ComposeBuild] = {}
        included: dict[str, ComposeBuild] = {}
        for path in files:
            document = self.document(path)
            for entry in _list(document.get("include"), f"{path}: include"):
                included.update(self.include(entry, path, lookup, depth=depth))
            for name, build in self.services(path, project_dir, lookup).items():
                merged[name] = merged[name].overlay(build) if name in merged else build
        return {**included, **merged}

    def include(
        self, entry: object, parent: str, lookup: Lookup, *, depth: int
    ) -> dict[str, ComposeBuild]:
        key = f"{parent}: include"
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict):
            raise ConfigError(f"{key}: expected a path or a mapping with `path`")
        spec = cast("dict[str, object]", entry)
        here = posixpath.dirname(parent) or "."
        paths = [
            _repo_path(here, self._text(v, lookup, key))
            for v in _strings(spec.get("path"), f"{key}.path")
        ]
        if not paths:
            raise ConfigError(f"{key}: an entry has no `path`")
        raw_dir = spec.get("project_directory")
        project_dir = (
            _repo_path(here, self._text(raw_dir, lookup, key))
            if isinstance(raw_dir, str)
            else posixpath.dirname(paths[0]) or "."
        )
        env_files = [
            _repo_path(here, self._text(v, lookup, key))
            for v in _strings(spec.get("env_file"), f"{key}.env_file")
        ] or [_join(project_dir, ".env")]
        values: dict[str, str] = {}
        for env_file in env_files:
            values.update(parse_env_file(self.read_optional(env_file), {}))
        # The including project's variables win over the included project's own .env.
        return self.project(tuple(paths), project_dir, _chain(lookup, values), depth=depth + 1)

    def services(self, path: str, base: str, lookup: Lookup) -> dict[str, ComposeBuild]:
        """The built services one file declares (extends resolved), paths from `base`."""
        specs = _services(self.document(path), path)
        out: dict[str, ComposeBuild] = {}
        for name in specs:
            build = self.service(path, name, base, lookup, seen=())
            if build is not None:
                out[name] = build
        return out

    def service(
        self, path: str, name: str, base: str, lookup: Lookup, *, seen: tuple[tuple[str, str], ...]
    ) -> ComposeBuild | None:
        where = f"{path}: services.{name}"
        if (path, name) in seen or len(seen) > _MAX_DEPTH:
            return ComposeBuild(where, unresolved=f"{where}.extends: a cycle")
        spec = _services(self.document(path), path).get(name)
        if spec is None:
            return ComposeBuild(where, unresolved=f"{where}: no such service to extend")
        own = _build(spec, where, base, lookup)
        extends = spec.get("extends")
        if extends is None:
            return own
        parent = self._extended(extends, path, base, where, lookup, seen=(*seen, (path, name)))
        if parent is None:
            return own
        return parent if own is None else parent.overlay(own)

    def _extended(  # noqa: PLR0913 - the extending service's position, passed down
        self,
        extends: object,
        path: str,
        base: str,
        where: str,
        lookup: Lookup,
        *,
        seen: tuple[tuple[str, str], ...],
    ) -> ComposeBuild | None:
        key = f"{where}.extends"
        if isinstance(extends, str):  # the old short form: a service of the same file
            extends = {"service": extends}
        if not isinstance(extends, dict):
            return ComposeBuild(where, unresolved=f"{key}: expected a mapping with `service`")
        spec = cast("dict[str, object]", extends)
        try:
            service = interpolate(str(spec.get("service") or ""), lookup)
            raw_file = spec.get("file")
            other = interpolate(raw_file, lookup) if isinstance(raw_file, str) else None
        except Unresolved as exc:
            return ComposeBuild(where, unresolved=f"{key}: {exc}")
        if not service:
            return ComposeBuild(where, unresolved=f"{key}: no `service`")
        if other is None:
            return self.service(path, service, base, lookup, seen=seen)
        target = _repo_path(posixpath.dirname(path) or ".", other)
        if _outside(target) or self.tree.kind(target) is None:
            self.inputs.append(target)
            return ComposeBuild(where, unresolved=f"{key}.file: {other} is not in the repository")
        # A service taken from another file keeps that file's folder for its paths.
        return self.service(target, service, posixpath.dirname(target) or ".", lookup, seen=seen)

    @staticmethod
    def _text(value: object, lookup: Lookup, key: str) -> str:
        try:
            return interpolate(str(value), lookup, strict=True)
        except Unresolved as exc:
            raise ConfigError(f"{key}: {exc}; set the variable or fix the compose file") from None


def _chain(first: Lookup, then: Mapping[str, str]) -> Lookup:
    def lookup(name: str) -> str | None:
        value = first(name)
        return value if value is not None else then.get(name)

    return lookup


def _build(
    spec: Mapping[str, object], where: str, base: str, lookup: Lookup
) -> ComposeBuild | None:
    """The `build:` (and `image:`) of one service as one file states it; None: no build."""
    build = spec.get("build")
    if build is None:
        return None
    key = f"{where}.build"
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        return ComposeBuild(where, unresolved=f"{key}: expected a path or a mapping")
    raw = cast("dict[str, object]", build)
    try:
        return _interpolated_build(raw, where, base, lookup, spec.get("image"))
    except Unresolved as exc:
        return ComposeBuild(where, unresolved=f"{key}: {exc}")


def _interpolated_build(
    raw: Mapping[str, object], where: str, base: str, lookup: Lookup, image: object
) -> ComposeBuild:
    key = f"{where}.build"
    unresolved = None
    if "dockerfile_inline" in raw:
        unresolved = f"{key}.dockerfile_inline: an inline Dockerfile is not read by tiered-ci"
    context = None
    raw_context = _scalar(raw.get("context"), lookup, strict=True)
    if raw_context:
        if _remote(raw_context):
            unresolved = f"{key}.context: a remote context ({raw_context}) cannot be watched"
        else:
            context = _repo_path(base, raw_context)
            if _outside(context):
                unresolved = f"{key}.context: {raw_context} is outside the repository"
    contexts = {}
    for name, value in _pairs(raw.get("additional_contexts"), f"{key}.additional_contexts").items():
        written = _scalar(value, lookup, strict=True) or ""
        local = not (
            _remote(written)
            or written.startswith(("service:", "docker-image://", "oci-layout://", "target:"))
        )
        contexts[name] = _repo_path(base, written) if local else written
        if local and _outside(contexts[name]):
            unresolved = f"{key}.additional_contexts.{name}: {written} is outside the repository"
    args, open_args = _args(raw.get("args"), key, lookup)
    return ComposeBuild(
        where=where,
        context=context,
        dockerfile=_scalar(raw.get("dockerfile"), lookup, strict=True) or None,
        target=_scalar(raw.get("target"), lookup) or None,
        args=args,
        image=_scalar(image, lookup) or None,
        contexts=contexts,
        unresolved=unresolved,
        open_args=open_args,
    )


def _args(value: object, key: str, lookup: Lookup) -> tuple[dict[str, str], tuple[str, ...]]:
    """Build args, and the names whose value the build machine decides.

    A bare `NAME` (or `NAME:` with no value) takes its value from the environment of
    whoever runs the build, and so does a value using a variable that is set neither
    in `.env` nor here: Compose would use an empty string at plan time, but the build
    machine may have it. Such args are still passed as Compose reads them; only the
    Dockerfile's sources treat them as unknown.
    """
    args: dict[str, str] = {}
    open_args: list[str] = []
    for name, raw in _pairs(value, f"{key}.args").items():
        if raw is None:
            open_args.append(name)
            continue
        try:
            args[name] = _scalar(raw, lookup, strict=True) or ""
        except Unresolved:
            args[name] = _scalar(raw, lookup) or ""  # a required variable still fails here
            open_args.append(name)
    return args, tuple(open_args)


def _scalar(value: object, lookup: Lookup, *, strict: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return interpolate(value, lookup, strict=strict)
    if isinstance(value, int | float):
        return str(value)
    raise Unresolved(f"expected a string, got {type(value).__name__}")


def _pairs(value: object, key: str) -> dict[str, object]:
    """A mapping, or a list of `NAME=VALUE` (a bare `NAME` has no value here: None)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in cast("dict[object, object]", value).items()}
    if isinstance(value, list):
        out: dict[str, object] = {}
        for item in cast("list[object]", value):
            name, sep, rest = str(item).partition("=")
            out[name] = rest if sep else None
        return out
    raise Unresolved(f"{key}: expected a mapping or a list of NAME=VALUE")


def _services(document: Mapping[str, object], path: str) -> dict[str, dict[str, object]]:
    services = document.get("services") or {}
    if not isinstance(services, dict):
        raise ConfigError(f"{path}: services: expected a mapping of service names")
    out: dict[str, dict[str, object]] = {}
    for name, raw in cast("dict[object, object]", services).items():
        spec = {} if raw is None else raw
        if not isinstance(spec, dict):
            raise ConfigError(f"{path}: services.{name}: expected a mapping")
        out[str(name)] = cast("dict[str, object]", spec)
    return out


def _parse_yaml(text: str, path: str) -> dict[str, object]:
    import yaml  # noqa: PLC0415 - only configs that use compose discovery pay for yaml

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ConfigError(
            f"{path}: not valid YAML{at}: {problem}; fix the compose file or remove services-from"
        ) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a compose file (a mapping with `services:`)")
    return cast("dict[str, object]", document)


def _list(value: object, key: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list")
    return cast("list[object]", value)


def _strings(value: object, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in cast("list[object]", value)):
        return cast("list[str]", value)
    raise ConfigError(f"{key}: expected a path or a list of paths")


def _remote(value: str) -> bool:
    return "://" in value or value.startswith("git@")


def _repo_path(base: str, written: str) -> str:
    """`written` (relative to the folder `base`, or absolute) as a cleaned repo path."""
    return posixpath.normpath(posixpath.join(base, written))


def _outside(path: str) -> bool:
    return path == ".." or path.startswith(("/", "../"))


def _join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else f"{folder}/{name}"
