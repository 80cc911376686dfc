"""How a package declares its test dependencies, as install keys. Pure."""

from __future__ import annotations

import posixpath
import re

from tiered_ci.adopt.proposal import Reader, read_toml

__all__ = ["requirements_file", "test_dependencies", "versioned"]

_TEST_REQUIREMENTS = re.compile(r"(?:requirements[-_]?tests?|tests?[-_]requirements)\.txt")


_VERSIONED_REQUIREMENTS = re.compile(
    r"(?:tests?[-_.]?requirements|requirements[-_.]tests?)[-_.](?:\d+|latest)\.txt"
    r"|requirements[-_.]latest\.txt"
)


def test_dependencies(member: str, files: set[str], read: Reader) -> list[str]:
    """How one package declares its test dependencies, as install keys (templated)."""
    document = read_toml(read(f"{member}/pyproject.toml"))
    groups = document.get("dependency-groups", {})
    project = document.get("project", {})
    extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    if isinstance(groups, dict) and "test" in groups:
        return ['groups = ["{folder}:test"]']
    requirements = requirements_file(
        [posixpath.basename(f) for f in files if posixpath.dirname(f) == member]
    )
    if requirements:
        return [f'requirements = ["{{folder}}/{requirements}"]', 'packages = ["pytest"]']
    if (isinstance(extras, dict) and "test" in extras) or _setuptools_test_extra(member, read):
        return ['extras = ["test"]', 'packages = ["pytest"]']
    return ['packages = ["pytest"]']


def _setuptools_test_extra(member: str, read: Reader) -> bool:
    """A `test` extra declared in setup.cfg (`[options.extras_require]`) or a static
    setup.py (`extras_require={"test": [...]}`)."""
    cfg = read(f"{member}/setup.cfg") or ""
    if re.search(r"^\[options\.extras_require\][^\[]*^test\s*=", cfg, re.MULTILINE):
        return True
    setup_py = read(f"{member}/setup.py") or ""
    return re.search(r"""extras_require\s*=\s*\{[^}]*["']test["']\s*:""", setup_py) is not None


def requirements_file(names: list[str]) -> str | None:
    """The test requirements file among a package's files, if it has one. Pure.

    `test-requirements.txt` (or a spelling of it) first; else the newest of a
    versioned set (`test-requirements.latest.txt`, the highest
    `test-requirements-<N>.txt`), which tests against today's dependencies.
    """
    exact = sorted(n for n in names if _TEST_REQUIREMENTS.fullmatch(n))
    if exact:
        return exact[0]
    candidates = [n for n in names if _VERSIONED_REQUIREMENTS.fullmatch(n)]
    if not candidates:
        return None

    def rank(name: str) -> tuple[int, int, int]:
        number = re.search(r"(\d+)\.txt$", name)
        return ("latest" in name, int(number.group(1)) if number else -1, -len(name))

    return max(candidates, key=rank)


def versioned(keys: tuple[str, ...]) -> bool:
    return any(_VERSIONED_REQUIREMENTS.search(k) for k in keys)
