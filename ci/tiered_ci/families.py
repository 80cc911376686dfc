"""Generated domains: one domain per folder of a `domain-families` entry, with edges.

A family (`[tool.tiered-ci.domain-families.packages]`, `folders = "packages/*"`)
expands against a tree: the working tree for `plan` and the sessions, a commit's
tree for `replay`. Each matching folder becomes a domain whose paths, tests and
install spec are the family's templates with `{folder}` and `{name}` filled in.
Edges come from the packages' own metadata: a package that lists another
in-repo package (`[project.dependencies]`, optional dependencies, dependency
groups, `tool.uv.sources`, setup.cfg `install_requires`) depends on it, so its
domain runs when that one changes. Expansion is pure over a `Tree`.
"""

from __future__ import annotations

import fnmatch
import graphlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from tiered_ci._toml import tomllib
from tiered_ci.config import PREFIX, Config, Domain, Family, Install
from tiered_ci.errors import ConfigError

if TYPE_CHECKING:
    from tiered_ci.tree import Tree

__all__ = [
    "dependency_names",
    "dependents",
    "expand",
    "folder_of",
    "match_folders",
    "normalize",
    "render",
]

_GLOB_CHARS = frozenset("*?[")
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def match_folders(pattern: str, tree: Tree) -> list[str]:
    """Folders matching `pattern` (`packages/*`), level by level; hidden ones only if named."""
    found = [""]
    for part in pattern.split("/"):
        next_level: list[str] = []
        for parent in found:
            entries = tree.children(parent or ".") or {}
            names = sorted(name for name, kind in entries.items() if kind == "dir")
            if _GLOB_CHARS.intersection(part):
                hidden_ok = part.startswith(".")
                chosen = [
                    n
                    for n in names
                    if fnmatch.fnmatchcase(n, part) and (hidden_ok or not n.startswith("."))
                ]
            else:
                chosen = [part] if part in names else []
            next_level += [f"{parent}/{n}" if parent else n for n in chosen]
        found = next_level
    return sorted(found)


def folder_of(pattern: str, path: str) -> str | None:
    """The folder of `pattern` that holds `path` (`packages/a/x.py` -> `packages/a`), if any."""
    depth = pattern.count("/") + 1
    parts = path.split("/")
    if len(parts) <= depth:
        return None
    folder = "/".join(parts[:depth])
    pairs = zip(pattern.split("/"), parts[:depth], strict=True)
    return folder if all(fnmatch.fnmatchcase(p, g) for g, p in pairs) else None


def render(template: str, folder: str) -> str:
    return template.replace("{folder}", folder).replace("{name}", folder.rsplit("/", 1)[-1])


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def expand(config: Config, tree: Tree) -> Config:
    """`config` with every family's domains added (explicit domains win) and edges set."""
    if not config.families:
        return config
    generated: dict[str, tuple[Domain, str]] = {}
    for family in config.families.values():
        for folder in match_folders(family.folders, tree):
            if any(fnmatch.fnmatchcase(folder, g.rstrip("/")) for g in family.exclude):
                continue
            domain = _domain(family, folder, tree)
            if domain.name in config.domains:
                continue  # written out by hand: that definition wins
            if domain.name in generated:
                other = generated[domain.name][1]
                raise ConfigError(
                    f"{PREFIX}.domain-families.{family.name}.name: {other} and {folder} both "
                    f"make domain {domain.name!r}; use '{{folder}}' in the name template"
                )
            generated[domain.name] = (domain, folder)
    domains = dict(config.domains)
    domains.update(_with_edges(config, generated, tree))
    return replace(config, domains=domains)


def _domain(family: Family, folder: str, tree: Tree) -> Domain:
    def each(templates: Iterable[str]) -> tuple[str, ...]:
        return tuple(render(t, folder) for t in templates)

    name = render(family.domain, folder)
    member = family.members.get(name)
    install = member.install if member and member.install else family.install
    if install is not None:
        install = Install(
            root=install.root,
            editable=each(install.editable),
            requirements=each(install.requirements),
            groups=each(install.groups),
            extras=install.extras,
            packages=each(install.packages),
        )
    python = member.python if member and member.python is not None else family.python
    return Domain(
        name=name,
        paths=each(family.paths),
        tests=each(family.tests),
        install=install,
        python=python,
        depends_on=family.depends_on.get(name, ()),
        family=family.name,
        # Templates fit most packages, not all: one without the folder owns none, so
        # its integration tests (if any elsewhere) stay with the tier-wide session.
        integration_tests=tuple(p for p in each(family.integration_tests) if tree.kind(p)),
    )


def _with_edges(
    config: Config, generated: Mapping[str, tuple[Domain, str]], tree: Tree
) -> dict[str, Domain]:
    """Each generated domain, with the in-repo packages its metadata names as edges."""
    metadata = {name: _metadata(tree, folder) for name, (_, folder) in generated.items()}
    by_project: dict[str, str] = {}
    for name, (_, folder) in generated.items():
        project = metadata[name][0] or folder.rsplit("/", 1)[-1]
        by_project.setdefault(normalize(project), name)
    out: dict[str, Domain] = {}
    for name, (domain, _) in generated.items():
        family = config.families[domain.family or ""]
        edges = list(domain.depends_on)
        if family.dependencies:
            edges += [by_project[d] for d in metadata[name][1] if d in by_project]
        unique = tuple(e for e in dict.fromkeys(edges) if e != name)
        out[name] = replace(domain, depends_on=unique)
    return out


def _metadata(tree: Tree, folder: str) -> tuple[str | None, list[str]]:
    """(project name, normalized names it depends on) from pyproject.toml or setup.cfg."""
    text = tree.read_text(f"{folder}/pyproject.toml")
    if text is not None:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            document = {}
        project = document.get("project", {})
        name = project.get("name") if isinstance(project, dict) else None
        return (name if isinstance(name, str) else None), dependency_names(document)
    setup_cfg = tree.read_text(f"{folder}/setup.cfg")
    if setup_cfg is not None:
        return _setup_cfg(setup_cfg)
    return None, []


def dependency_names(document: Mapping[str, object]) -> list[str]:
    """Every distribution a pyproject document names as a dependency, normalized. Pure."""
    requirements: list[object] = []
    project = document.get("project")
    if isinstance(project, dict):
        requirements += project.get("dependencies", []) or []
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            for extra in optional.values():
                requirements += extra if isinstance(extra, list) else []
    groups = document.get("dependency-groups", {})
    if isinstance(groups, dict):
        for group in groups.values():
            requirements += group if isinstance(group, list) else []
    tool = document.get("tool", {})
    uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
    sources = uv.get("sources", {}) if isinstance(uv, dict) else {}
    names = [_requirement_name(r) for r in requirements if isinstance(r, str)]
    names += list(sources) if isinstance(sources, dict) else []
    return list(dict.fromkeys(normalize(n) for n in names if n))


def _requirement_name(requirement: str) -> str | None:
    match = _NAME.match(requirement)
    return match.group(1) if match else None


def _setup_cfg(text: str) -> tuple[str | None, list[str]]:
    import configparser  # noqa: PLC0415 - only setup.cfg packages need it

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None, []
    name = parser.get("metadata", "name", fallback=None)
    lines = parser.get("options", "install_requires", fallback="").splitlines()
    names = [_requirement_name(line) for line in lines if line.strip()]
    return name, [normalize(n) for n in names if n]


def dependents(domains: Mapping[str, Domain]) -> dict[str, tuple[str, ...]]:
    """Domain -> the domains that depend on it, directly or not, in a stable order.

    graphlib gives a topological order of the edges (so a report reads from the
    changed package outward); a cycle between packages is legal for selection,
    so on a CycleError the order falls back to configuration order.
    """
    graph = {
        name: tuple(d for d in domain.depends_on if d in domains)
        for name, domain in domains.items()
    }
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        order = list(domains)
    rank = {name: index for index, name in enumerate(order)}
    reverse: dict[str, set[str]] = {name: set() for name in domains}
    for name, edges in graph.items():
        for edge in edges:
            reverse[edge].add(name)
    out: dict[str, tuple[str, ...]] = {}
    for name in domains:
        seen: set[str] = set()
        stack = list(reverse[name])
        while stack:
            current = stack.pop()
            if current not in seen and current != name:
                seen.add(current)
                stack.extend(reverse[current])
        if seen:
            out[name] = tuple(sorted(seen, key=rank.__getitem__))
    return out
