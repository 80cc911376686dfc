"""Docker services: a compose file that builds images, else the Dockerfiles. Pure."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from tiered_ci.adopt.proposal import NAME, Proposal, Reader, read_toml

__all__ = ["Services", "compose_contexts", "compose_with_builds", "services"]

_COMPOSE = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# Folders of tests and their fixtures: a Dockerfile there is test data (often built
# to fail on purpose), not an image the repository ships.
_FIXTURE_PART = re.compile(
    r"tests?|testing|tests?[-_].+|fixtures?|__fixtures__|testdata|test[-_]data", re.IGNORECASE
)
# `docker build -f api/Dockerfile .` or `docker buildx build --file=... ctx` in a
# Makefile recipe or a workflow's `run:` step.
_DOCKER_BUILD = re.compile(r"docker\s+(?:buildx\s+)?build\b([^\n;&|]*)")


@dataclass
class Services:
    """The service tables init writes, and each service's build context (`""`: the root)."""

    lines: list[str] = field(default_factory=list)
    contexts: set[str] = field(default_factory=set)


def services(files: set[str], read: Reader, proposal: Proposal) -> Services:
    """A service per Dockerfile: its folder is the context unless a Makefile or
    workflow builds it from another one; a root `Dockerfile` is the root project's
    image; Dockerfiles under test or fixture folders are left out."""
    found = Services()
    seen: set[str] = set()
    built_from = _build_contexts(files, read)
    skipped: list[str] = []
    for dockerfile in sorted(f for f in files if posixpath.basename(f) == "Dockerfile"):
        folder = posixpath.dirname(dockerfile)
        if any(_FIXTURE_PART.fullmatch(part) for part in folder.split("/") if folder):
            skipped.append(dockerfile)
            continue
        context, by = built_from.get(dockerfile, (folder, ""))
        name = _name(folder, read) if not folder else posixpath.basename(folder)
        name = NAME.sub("-", name.lower()).strip("-")
        if not name or name in seen:
            continue
        seen.add(name)
        found.contexts.add(context)
        found.lines += ["", f"[tool.tiered-ci.services.{name}]", f'context = "{context or "."}"']
        if context != folder:
            found.lines.append(f'dockerfile = "{dockerfile}"')
        whence = f" (built from {context or '.'}/ by {by})" if by else ""
        proposal.why.append(f"services.{name}: {dockerfile}{whence}")
    if skipped:
        proposal.notes.append(
            f"{', '.join(skipped)}: under a test or fixture folder, so test data, not a "
            "service (add a [tool.tiered-ci.services.<name>] table if one ships)"
        )
    return found


def _name(folder: str, read: Reader) -> str:
    """A root Dockerfile's service name: the root project's name, else `app`."""
    project = read_toml(read("pyproject.toml")).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str) and name.strip():
        return name
    metadata = re.search(
        r"^\[metadata\][^\[]*?^name\s*=\s*(\S+)", read("setup.cfg") or "", re.MULTILINE | re.DOTALL
    )
    return metadata.group(1) if metadata else folder or "app"


def _build_contexts(files: set[str], read: Reader) -> dict[str, tuple[str, str]]:
    """Dockerfile -> (the context a Makefile or workflow builds it from, that file)."""
    found: dict[str, tuple[str, str]] = {}
    sources = ["Makefile"] if "Makefile" in files else []
    sources += sorted(f for f in files if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", f))
    for source in sources:
        for match in _DOCKER_BUILD.finditer(read(source) or ""):
            dockerfile, context = _parse_build(match.group(1).split())
            if dockerfile and context is not None and dockerfile not in found:
                found[dockerfile] = (context, source)
    return found


def _parse_build(words: list[str]) -> tuple[str | None, str | None]:
    """(the -f file, the context) of `docker build` arguments; None where unsaid."""
    dockerfile: str | None = None
    positional: list[str] = []
    tokens = iter(words)
    for word in tokens:
        if word in ("-f", "--file"):
            dockerfile = next(tokens, None)
        elif word.startswith("--file="):
            dockerfile = word.split("=", 1)[1]
        elif word.startswith("-"):
            if "=" not in word and word in ("-t", "--tag", "--target", "--build-arg", "--platform"):
                next(tokens, None)
        else:
            positional.append(word)
    if not positional or any(c in positional[-1] for c in "$`{"):
        return None, None
    context = posixpath.normpath(positional[-1].removeprefix("./"))
    context = "" if context == "." else context
    if dockerfile is None:
        dockerfile = posixpath.join(context, "Dockerfile") if context else "Dockerfile"
    return posixpath.normpath(dockerfile.removeprefix("./")), context


def compose_contexts(name: str | None, read: Reader) -> set[str]:
    """The build contexts a compose file names (`build: ./api`, `context: .`)."""
    if name is None:
        return set()
    text = read(name) or ""
    written = re.findall(
        r"^[ \t]+(?:build|context)[ \t]*:[ \t]*['\"]?([^\s'\"#]+)", text, re.MULTILINE
    )
    contexts = {posixpath.normpath(w) for w in written if not w.startswith(("$", "http", "git"))}
    return {"" if c == "." else c for c in contexts}


def compose_with_builds(files: set[str], read: Reader) -> str | None:
    """The top-level compose file when one builds an image (a `build:` key), else None."""
    for name in _COMPOSE:
        text = read(name) if name in files else None
        if isinstance(text, str) and re.search(r"^\s+build\s*:", text, re.MULTILINE):
            return name
    return None
