"""A single project's tiers, and domains where test folders name source folders. Pure."""

from __future__ import annotations

import json
import posixpath
import re

from tiered_ci.adopt.proposal import (
    NAME,
    Proposal,
    Reader,
    array,
    count,
    is_test_file,
    testpaths,
)

__all__ = ["tiers_and_domains"]


def tiers_and_domains(
    files: set[str], read: Reader, proposal: Proposal, *, owned: tuple[str, ...] = ()
) -> list[str]:
    """Tiers for the root's tests; domains for its test folders; `owned`: package
    folders whose tests their own domains run."""
    folders = {posixpath.dirname(f) for f in files}
    folders |= {p for f in folders for p in _parents(f)}
    unit = "tests/unit" if "tests/unit" in folders else "tests" if "tests" in folders else None
    lines: list[str] = []
    if unit:
        lines += _unit_tier(unit, files - _under(files, owned), folders, read, proposal)
    lines += _other_tiers(unit, folders, files, read, proposal)
    if unit is None:
        return lines
    sources = _sources(files, unit)
    chosen: dict[str, tuple[str, str]] = {}  # domain -> (source folder, test folder)
    for test_folder in sorted(f for f in folders if posixpath.dirname(f) == unit):
        name = _tested_name(posixpath.basename(test_folder))
        source = _source_for(name, sources)
        domain = NAME.sub("-", name.lower())
        if source is None or name.startswith((".", "_")) or domain in chosen:
            continue
        chosen[domain] = (source, test_folder)
    edges = _import_edges({d: s for d, (s, _) in chosen.items()}, files, read)
    for domain, (source, test_folder) in chosen.items():
        lines += [
            "",
            f"[tool.tiered-ci.domains.{domain}]",
            f'paths = ["{source}/**"]',
            f'tests = ["{test_folder}"]',
        ]
        proposal.why.append(f"domains.{domain}: {test_folder} tests {source}")
        if edges.get(domain):
            lines += array("depends-on", edges[domain])
        integration = f"tests/integration/{posixpath.basename(test_folder)}"
        if integration in folders and integration != test_folder:
            lines.append(f'integration-tests = ["{integration}"]')
            proposal.why.append(f"domains.{domain}.integration-tests: {integration}")
    if edges:
        linked = sum(1 for v in edges.values() if v)
        proposal.why.append(
            f"depends-on: {count(linked, 'domain')} import another domain's code, so a change "
            "to that one runs them too"
        )
    return lines


# Code that tests do not exercise as the library: examples, docs, scripts.
_NOT_LIBRARY = frozenset({"examples", "example", "docs", "doc", "scripts", "benchmarks"})


# How a test file or conftest gives tests the `integration` marker.
_INTEGRATION_MARK = re.compile(r"mark\.integration\b|add_marker\(\s*[\"']integration[\"']")


def _other_tiers(
    unit: str | None, folders: set[str], files: set[str], read: Reader, proposal: Proposal
) -> list[str]:
    """`tests/integration` as the integration tier, `tests/e2e` as the e2e tier."""
    lines: list[str] = []
    if "tests/integration" in folders:
        lines += ["", "[tool.tiered-ci.tiers.integration]", 'paths = ["tests/integration"]']
        if _marks_integration(files, read):
            lines.append('markers = "integration"')
            proposal.why.append("tiers.integration: tests/integration")
        else:
            # A marker filter would leave every one of them unrun, and say nothing.
            proposal.why.append(
                "tiers.integration: tests/integration, all of it (no test there is marked "
                "`integration`)"
            )
    if unit == "tests/unit" and _holds_tests("tests/e2e", files):
        # Whole-flow tests: the e2e tier (the full validation runs it), no marker filter.
        lines += ["", "[tool.tiered-ci.tiers.e2e]", 'paths = ["tests/e2e"]']
        proposal.why.append("tiers.e2e: tests/e2e")
    return lines


def _marks_integration(files: set[str], read: Reader) -> bool:
    """Whether a test under tests/integration, or a conftest above or in it, marks tests
    `integration`."""
    sources = sorted(
        f
        for f in files
        if f.endswith(".py")
        and (f.startswith("tests/integration/") or f in ("conftest.py", "tests/conftest.py"))
    )
    return any(_INTEGRATION_MARK.search(read(f) or "") for f in sources)


def _holds_tests(folder: str, files: set[str]) -> bool:
    return any(f.startswith(f"{folder}/") and is_test_file(f) for f in files)


def _under(files: set[str], folders: tuple[str, ...]) -> set[str]:
    return {f for f in files if any(f.startswith(f"{o}/") for o in folders)}


def _unit_tier(
    unit: str, files: set[str], folders: set[str], read: Reader, proposal: Proposal
) -> list[str]:
    """The unit tier: pytest's own testpaths when set (a test file beside the CI
    scripts included), else the folder found; a note on test-named files outside."""
    configured = testpaths(read)
    listed = [p for p in configured if p in files or p in folders] if unit == "tests" else []
    paths = listed if unit in listed else [unit]
    if unit == "tests/unit":
        # The other test folders beside tests/unit run with it: no test is left unrun.
        taken = {"tests/unit", "tests/integration", "tests/e2e"}
        paths += sorted(
            {
                f"tests/{f.split('/')[1]}"
                for f in files
                if f.startswith("tests/") and f.count("/") >= 2 and is_test_file(f)
            }
            - taken
        )
        paths += sorted(
            f for f in files if f.count("/") == 1 and f.startswith("tests/") and is_test_file(f)
        )
    proposal.why.append(
        f"tiers.unit: {', '.join(paths)}" + (" (pytest's testpaths)" if listed[1:] else "")
    )
    outside = sorted(
        f
        for f in files
        if is_test_file(f) and not any(f == p or f.startswith(f"{p}/") for p in paths)
    )
    if outside and not configured:
        proposal.notes.append(
            f"{count(len(outside), 'file')} named like tests outside {', '.join(paths)} "
            f"({', '.join(outside[:3])}{', ...' if len(outside) > 3 else ''}): pytest "
            "run from the root collects them; if they are no tests, set testpaths = "
            f"{json.dumps(paths)} in the pytest config, else give their folder to a tier"
        )
    return ["", "[tool.tiered-ci.tiers.unit]", *array("paths", paths)]


def _tested_name(folder: str) -> str:
    """`test_s3` and `tests_s3` test `s3`; `billing` tests `billing`."""
    for prefix in ("tests_", "test_"):
        if folder.startswith(prefix) and len(folder) > len(prefix):
            return folder[len(prefix) :]
    return folder


def _sources(files: set[str], unit: str) -> dict[str, str]:
    """Python package folders (an `__init__.py`) outside the tests, by name: the
    shallowest of each name, and none for a name two folders share at that depth."""
    found: dict[str, list[str]] = {}
    for path in sorted(files):
        folder, base = posixpath.split(path)
        if base != "__init__.py" or not folder or folder.startswith(("tests/", f"{unit}/")):
            continue
        if any(part.startswith((".", "_")) or part in _NOT_LIBRARY for part in folder.split("/")):
            continue
        found.setdefault(posixpath.basename(folder), []).append(folder)
    sources: dict[str, str] = {}
    for name, candidates in found.items():
        depth = min(c.count("/") for c in candidates)
        shallowest = [c for c in candidates if c.count("/") == depth]
        if len(shallowest) == 1:
            sources[name] = shallowest[0]
    return sources


def _source_for(name: str, sources: dict[str, str]) -> str | None:
    """The source folder `name` tests: the one of that name, else the one only
    whose name ends in `_<name>` (`tests/evals` tests `pydantic_evals/pydantic_evals`)."""
    if name in sources:
        return sources[name]
    suffixed = [folder for key, folder in sources.items() if key.endswith(f"_{name}")]
    return suffixed[0] if len(suffixed) == 1 else None


_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.MULTILINE
)


def _import_edges(sources: dict[str, str], files: set[str], read: Reader) -> dict[str, list[str]]:
    """Domain -> the other domains whose modules its source files import."""
    modules = {domain: _module(folder, files) for domain, folder in sources.items()}
    edges: dict[str, list[str]] = {}
    for domain, folder in sources.items():
        imported: set[str] = set()
        for path in sorted(f for f in files if f.startswith(f"{folder}/") and f.endswith(".py")):
            package = _module(posixpath.dirname(path), files)
            for written, plain in _IMPORT.findall(read(path) or ""):
                imported.add(_resolve(written, package) if written else plain)
        edges[domain] = sorted(
            other
            for other, module in modules.items()
            if other != domain
            and any(name == module or name.startswith(f"{module}.") for name in imported)
        )
    return edges


def _module(folder: str, files: set[str]) -> str:
    """`moto/s3` -> `moto.s3`: the folder's parts from the outermost package holding it;
    in a src layout, from below `src/` (`src/poetry/vcs` -> `poetry.vcs`: a namespace
    package has no `__init__.py` to climb by, and `vcs` alone would also match the
    standard library's or another distribution's module of that name)."""
    parts = folder.split("/")
    top = len(parts) - 1
    while top > 0 and "/".join(parts[:top]) + "/__init__.py" in files:
        top -= 1
    if "src" in parts[:top]:
        top = len(parts) - parts[::-1].index("src")
    return ".".join(parts[top:])


def _resolve(written: str, package: str) -> str:
    """A relative import's module: `..core` from `moto.s3` is `moto.core`."""
    dots = len(written) - len(written.lstrip("."))
    if not dots:
        return written
    base = package.split(".")
    base = base[: len(base) - (dots - 1)] if dots > 1 else base
    rest = written[dots:]
    return ".".join([*base, rest] if rest else base)


def _parents(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
