"""The pytest plugins a repository's `addopts` cannot run without. Pure.

A repository that runs pytest with `-n auto` or `--cov` in its settings' `addopts`
needs pytest-xdist or pytest-cov in every test environment: without them pytest
stops at once with "unrecognized arguments", on the first CI run. `check-config
--resolve` checks each resolved test environment against this table, and `init`
adds them when it found no test tooling to install them with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["missing", "needed"]

# Option (or, ending in "-", option prefix) -> the distribution that defines it.
_OPTIONS = {
    "-n": "pytest-xdist",
    "--numprocesses": "pytest-xdist",
    "--dist": "pytest-xdist",
    "--maxprocesses": "pytest-xdist",
    "--cov": "pytest-cov",
    "--cov-": "pytest-cov",
    "--no-cov": "pytest-cov",
    "--timeout": "pytest-timeout",
    "--reruns": "pytest-rerunfailures",
    "--only-rerun": "pytest-rerunfailures",
    "--benchmark-": "pytest-benchmark",
    "--asyncio-mode": "pytest-asyncio",
    "--ds": "pytest-django",
    "--reuse-db": "pytest-django",
    "--randomly-seed": "pytest-randomly",
    "--randomly-dont-reorganize": "pytest-randomly",
    "--html": "pytest-html",
    "--self-contained-html": "pytest-html",
    "--json-report": "pytest-json-report",
    "--mypy": "pytest-mypy",
    "--doctest-plus": "pytest-doctestplus",
    "--mpl": "pytest-mpl",
    "--snapshot-update": "syrupy",
    "--hypothesis-profile": "hypothesis",
    "--hypothesis-seed": "hypothesis",
}


def needed(addopts: Sequence[str]) -> list[tuple[str, str]]:
    """(option as written, distribution) for each plugin option in `addopts`, in order,
    one per distribution."""
    found: dict[str, str] = {}
    for arg in addopts:
        option = arg.split("=", 1)[0]
        if option.startswith("-n") and option != "-n" and option[2:].isalnum():
            option = "-n"  # `-n4`, `-nauto`
        dist = _OPTIONS.get(option) or next(
            (d for o, d in _OPTIONS.items() if o.endswith("-") and option.startswith(o)), None
        )
        if dist is not None and dist not in found:
            found[dist] = arg
    return [(arg, dist) for dist, arg in found.items()]


def missing(addopts: Sequence[str], installed: Iterable[str]) -> list[tuple[str, str]]:
    """The plugins `addopts` needs that `installed` (distribution names) lacks."""
    have = {_normal(name) for name in installed}
    return [(arg, dist) for arg, dist in needed(addopts) if _normal(dist) not in have]


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")
