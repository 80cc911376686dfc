"""Generated domains: one domain per folder of a `domain-families` entry, with edges.

A family (`[tool.tiered-ci.domain-families.packages]`, `folders = "packages/*"`)
expands against a tree: the working tree for `plan` and the sessions, a commit's
tree for `replay`. Each matching folder becomes a domain whose paths, tests and
install spec are the family's templates with `{folder}` and `{name}` filled in.
Edges come from the packages' own metadata: a package that lists another
in-repo package (`[project.dependencies]`, optional dependencies, dependency
groups, `tool.uv.sources`, setup.cfg `install_requires`/`extras_require`, a
static setup.py's `install_requires`/`extras_require`/`tests_require`, read
with `ast` and never executed) depends on it, so its domain runs when that one
changes. Expansion is pure over a `Tree`.
"""

from __future__ import annotations

import ast
import fnmatch
import graphlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from tiered_ci._toml import tomllib
from tiered_ci.errors import ConfigError
from tiered_ci.model import PREFIX, Config, Domain, Family, Install

if TYPE_CHECKING:
    from tiered_ci.tree import Tree

__all__ = [
    "Dependents",
    "dependency_names",
    "dependents",
    "expand",
    "folder_of",
    "match_folders",
    "normalize",
    "render",
    "setup_cfg_metadata",
    "setup_py_metadata",
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
    _prefetch(config, tree)
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


_METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def _prefetch(config: Config, tree: Tree) -> None:
    """A commit's tree reads each object through git: ask for every package's metadata
    files (and integration test folders) in one batch first, when the tree can."""
    prefetch = getattr(tree, "prefetch", None)
    if prefetch is None:
        return
    paths = [
        path
        for family in config.families.values()
        for folder in match_folders(family.folders, tree)
        for path in (
            *(f"{folder}/{name}" for name in _METADATA_FILES),
            *(render(t, folder) for t in family.integration_tests),
        )
    ]
    prefetch(paths)


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
        needs=member.needs if member and member.needs is not None else family.needs,
        pytest_args=(
            member.pytest_args if member and member.pytest_args is not None else family.pytest_args
        ),
        workers=member.workers if member and member.workers is not None else family.workers,
        matrix=member.matrix if member and member.matrix is not None else family.matrix,
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
    """(project name, normalized names it depends on) from pyproject.toml, setup.cfg and
    setup.py together: a pyproject may hold only `[build-system]` (or list its
    dependencies as dynamic) and leave the metadata to setuptools' files."""
    names: list[str | None] = []
    dependencies: list[str] = []
    text = tree.read_text(f"{folder}/pyproject.toml")
    if text is not None:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            document = {}
        project = document.get("project", {})
        name = project.get("name") if isinstance(project, dict) else None
        names.append(name if isinstance(name, str) else None)
        dependencies += dependency_names(document)
    for file_name, read in zip(
        _METADATA_FILES[1:], (setup_cfg_metadata, setup_py_metadata), strict=True
    ):
        setup_text = tree.read_text(f"{folder}/{file_name}")
        if setup_text is not None:
            name, found = read(setup_text)
            names.append(name)
            dependencies += found
    return next((n for n in names if n), None), list(dict.fromkeys(dependencies))


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


def setup_cfg_metadata(text: str) -> tuple[str | None, list[str]]:
    """(name, normalized dependencies) of a setup.cfg: `[options] install_requires` and
    `tests_require`, and every extra of `[options.extras_require]`. Pure."""
    import configparser  # noqa: PLC0415 - only setup.cfg packages need it

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None, []
    name = parser.get("metadata", "name", fallback=None) or None
    values = [
        parser.get("options", key, fallback="") for key in ("install_requires", "tests_require")
    ]
    if parser.has_section("options.extras_require"):
        values += [value for _, value in parser.items("options.extras_require")]
    # One requirement a line (or `;`-free comma lists, which setuptools also accepts).
    lines = [part for value in values for line in value.splitlines() for part in line.split(",")]
    names = [_requirement_name(line) for line in lines if line.strip()]
    return name, list(dict.fromkeys(normalize(n) for n in names if n))


_SETUP_KEYS = ("install_requires", "tests_require", "extras_require")


def setup_py_metadata(text: str) -> tuple[str | None, list[str]]:
    """(name, normalized dependencies) of a static setup.py, read with `ast`, never run.

    The keywords of a `setup(...)` call (`setuptools.setup` too): `name`,
    `install_requires`, `tests_require`, `extras_require`, given as literals, as
    module-level names bound to literals, as `list + list`, or through `**kwargs`
    of a literal dict. Anything computed is left out (the family's `depends-on`
    adds such edges by hand). Pure.
    """
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, []
    constants = _module_constants(module)
    keywords: dict[str, object] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and _called_name(node.func) == "setup":
            for keyword in node.keywords:
                value = _literal(keyword.value, constants)
                if keyword.arg is not None:
                    keywords[keyword.arg] = value
                elif isinstance(value, dict):
                    keywords.update({str(k): v for k, v in value.items()})
    name = keywords.get("name")
    requirements: list[object] = []
    for key in _SETUP_KEYS:
        value = keywords.get(key)
        if isinstance(value, dict):
            for extra in value.values():
                requirements += _as_list(extra)
        else:
            requirements += _as_list(value)
    names = [_requirement_name(r) for r in requirements if isinstance(r, str)]
    return (name if isinstance(name, str) and name else None), list(
        dict.fromkeys(normalize(n) for n in names if n)
    )


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _module_constants(module: ast.Module) -> dict[str, object]:
    """Module-level `NAME = <literal>` bindings (the last one wins, as when run)."""
    constants: dict[str, object] = {}
    for node in module.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                constants[target.id] = _literal(value, constants)
    return constants


def _literal(node: ast.expr, constants: dict[str, object]) -> object:
    """The value of a literal expression, a known name, or `a + b` of those; else None."""
    value: object = None
    if isinstance(node, ast.Name):
        value = constants.get(node.id)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, constants), _literal(node.right, constants)
        if isinstance(left, list | tuple) and isinstance(right, list | tuple):
            value = [*left, *right]
    elif isinstance(node, ast.List | ast.Tuple):
        value = [_literal(item, constants) for item in node.elts]
    elif isinstance(node, ast.Dict):
        pairs = zip(node.keys, node.values, strict=True)
        keys_values = [(_literal(k, constants), v) for k, v in pairs if k is not None]
        value = {k: _literal(v, constants) for k, v in keys_values if isinstance(k, str)}
    else:
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = None
    return value


def _as_list(value: object) -> list[object]:
    if isinstance(value, str):
        return [line for line in value.splitlines() if line.strip()]
    return list(value) if isinstance(value, list | tuple) else []


def dependents(domains: Mapping[str, Domain]) -> dict[str, tuple[str, ...]]:
    """Domain -> the domains that depend on it, directly or not, in a stable order."""
    return dict(Dependents(domains))


class Dependents(Mapping[str, tuple[str, ...]]):
    """Domain -> the domains that depend on it, directly or not, each closure computed
    when first asked: a plan needs those of the selected domains only, and every
    closure of a 500-package graph with a shared core is a quarter million entries.

    graphlib gives a topological order of the edges (so a report reads from the
    changed package outward); a cycle between packages is legal for selection,
    so on a CycleError the order falls back to configuration order.
    """

    def __init__(self, domains: Mapping[str, Domain]) -> None:
        graph = {
            name: tuple(d for d in domain.depends_on if d in domains)
            for name, domain in domains.items()
        }
        try:
            order = list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError:
            order = list(domains)
        self._rank = {name: index for index, name in enumerate(order)}
        self._reverse: dict[str, set[str]] = {name: set() for name in domains}
        for name, edges in graph.items():
            for edge in edges:
                self._reverse[edge].add(name)
        # Only a domain something depends on has dependents: iteration needs no closure.
        self._names = [name for name in domains if self._reverse[name] - {name}]
        self._closures: dict[str, tuple[str, ...]] = {}

    def __getitem__(self, name: str) -> tuple[str, ...]:
        if name not in self._closures:
            if name not in self._reverse or not self._reverse[name] - {name}:
                raise KeyError(name)
            self._closures[name] = self._closure(name)
        return self._closures[name]

    def _closure(self, name: str) -> tuple[str, ...]:
        seen: set[str] = set()
        stack = list(self._reverse[name])
        while stack:
            current = stack.pop()
            if current not in seen and current != name:
                seen.add(current)
                stack.extend(self._reverse[current])
        return tuple(sorted(seen, key=self._rank.__getitem__))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
