"""Read the `build:` sections of a compose file (compose.yaml / docker-compose.yml).

Only what decides an image build is read: `context`, `dockerfile`, `target`,
`args` and the service's `image`, in both the long form and the short form
(`build: ./dir`). Paths are resolved the way Compose does (the context relative
to the compose file's folder, the Dockerfile relative to the context) and
returned relative to the repository root. Services without `build:` are
pulled, not built, and are left out.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from tiered_ci.config import Service
from tiered_ci.errors import ConfigError

__all__ = ["ComposeBuild", "parse", "read"]


@dataclass(frozen=True, slots=True)
class ComposeBuild:
    """One service's build settings as a compose file states them (repo-relative paths)."""

    context: str | None = None
    dockerfile: str | None = None  # as written: relative to the (final) context
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    image: str | None = None

    def overlay(self, later: ComposeBuild) -> ComposeBuild:
        """A later compose file overrides key by key and adds build args (`-f a -f b`)."""
        return ComposeBuild(
            context=later.context or self.context,
            dockerfile=later.dockerfile or self.dockerfile,
            target=later.target or self.target,
            args={**self.args, **later.args},
            image=later.image or self.image,
        )

    def to_service(self, name: str, where: str) -> Service:
        context = self.context or "."
        dockerfile = posixpath.join(context, self.dockerfile or "Dockerfile")
        return Service(
            name=name,
            context=context,
            dockerfile=_inside(dockerfile, self.dockerfile or "Dockerfile", f"{where}.dockerfile"),
            image=self.image or name,
            target=self.target,
            args=dict(self.args),
        )


def read(path: Path, root: Path) -> dict[str, ComposeBuild]:
    """The built services of one compose file; ConfigError naming the file when invalid."""
    import yaml  # noqa: PLC0415 - only configs that use compose discovery pay for yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the compose file: {exc}") from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ConfigError(
            f"{path}: not valid YAML{at}: {problem}; fix the compose file or remove services-from"
        ) from None
    return parse(document, where=path, base=_relative_folder(path.parent, root))


def parse(document: object, *, where: Path | str, base: str = ".") -> dict[str, ComposeBuild]:
    """Pure: a parsed compose document -> the built services. `base` is the file's folder."""
    if not isinstance(document, dict):
        raise ConfigError(f"{where}: expected a compose file (a mapping with `services:`)")
    services = document.get("services", {})
    if not isinstance(services, dict):
        raise ConfigError(f"{where}: services: expected a mapping of service names")
    found: dict[str, ComposeBuild] = {}
    for name, spec in cast("dict[object, object]", services).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: services.{name}: expected a mapping")
        spec_map = cast("dict[str, object]", spec)
        build = spec_map.get("build")
        if build is None:
            continue
        found[str(name)] = _build(str(name), build, spec_map.get("image"), where, base)
    return found


def _build(name: str, build: object, image: object, where: Path | str, base: str) -> ComposeBuild:
    key = f"{where}: services.{name}.build"
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        raise ConfigError(f"{key}: expected a path or a mapping")
    spec = cast("dict[str, object]", build)
    if "dockerfile_inline" in spec:
        raise ConfigError(
            f"{key}.dockerfile_inline: not supported; move the Dockerfile to a file "
            "or configure the service in [tool.tiered-ci.services]"
        )
    raw_context = _text(spec, "context", key)
    if raw_context and ("://" in raw_context or raw_context.startswith("git@")):
        raise ConfigError(f"{key}.context: a remote context ({raw_context}) cannot be watched")
    context = None
    if raw_context is not None:
        context = _inside(posixpath.join(base, raw_context), raw_context, f"{key}.context")
    return ComposeBuild(
        context=context,
        dockerfile=_text(spec, "dockerfile", key),
        target=_text(spec, "target", key),
        args=_args(spec.get("args"), f"{key}.args"),
        image=image if isinstance(image, str) and image else None,
    )


def _args(value: object, key: str) -> dict[str, str]:
    """Compose args: a mapping, or a list of `KEY=VALUE`. A bare `KEY` takes the builder's
    environment, so it is left to the builder (not passed)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {
            str(k): _scalar(v, f"{key}.{k}")
            for k, v in cast("dict[object, object]", value).items()
            if v is not None
        }
    if isinstance(value, list):
        pairs = [str(item).partition("=") for item in cast("list[object]", value)]
        return {k: v for k, sep, v in pairs if sep}
    raise ConfigError(f"{key}: expected a mapping or a list of KEY=VALUE")


def _scalar(value: object, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ConfigError(f"{key}: expected a string, got {type(value).__name__}")


def _text(spec: Mapping[str, object], name: str, key: str) -> str | None:
    value = spec.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}.{name}: expected a non-empty string")
    return value


def _inside(path: str, written: str, key: str) -> str:
    cleaned = posixpath.normpath(path)
    if cleaned.startswith(("/", "../")) or cleaned == "..":
        raise ConfigError(f"{key}: {written} is outside the repository; tiered-ci cannot watch it")
    return cleaned


def _relative_folder(folder: Path, root: Path) -> str:
    try:
        rel = folder.resolve().relative_to(root.resolve())
    except ValueError:
        raise ConfigError(
            f"{folder}: the compose file is outside the repository {root}; list one inside it"
        ) from None
    return rel.as_posix() or "."
