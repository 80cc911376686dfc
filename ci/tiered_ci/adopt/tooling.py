"""Where a package (or the root) keeps its test and lint tools, as install keys. Pure.

Test tooling is looked for in this order, the first found wins: a dependency
group (`test`, `tests`, `testing`, `dev`), a Poetry group of those names
(translated to requirements, `tiered_ci.adopt.poetry`), a test requirements file
(`requirements-test*.txt`, `test-requirements*.txt`, `requirements/test*.txt`,
then `requirements-dev*.txt`), an extra (`test`, `tests`, `testing`, `dev`, in
pyproject.toml, setup.cfg or a static setup.py), tox's `[testenv] deps`. Each
answer says where it came from, so init can say it in a `note:`; with nothing
found it says so, and the session installs bare pytest.
"""

from __future__ import annotations

import configparser
import posixpath
import re
from dataclasses import dataclass

from tiered_ci.adopt import poetry
from tiered_ci.adopt.proposal import Reader, is_test_file, read_toml

__all__ = [
    "TEST_NAMES",
    "Tooling",
    "async_gap",
    "lint_tooling",
    "requirements_file",
    "test_dependencies",
    "test_tooling",
    "tox_installs",
    "versioned",
]

TEST_NAMES = ("test", "tests", "testing", "dev")
_TEST_REQUIREMENTS = re.compile(r"(?:requirements[-_]?tests?|tests?[-_]requirements)\.txt")
_VERSIONED_REQUIREMENTS = re.compile(
    r"(?:tests?[-_.]?requirements|requirements[-_.]tests?)[-_.](?:\d+|latest)\.txt"
    r"|requirements[-_.]latest\.txt"
)
_DEV_REQUIREMENTS = re.compile(r"requirements[-_]dev[-_.\w]*\.txt|dev[-_]requirements\.txt")
_ASYNC_PLUGINS = re.compile(
    r"pytest[-_]asyncio|anyio|pytest[-_]trio|pytest[-_]tornasync", re.IGNORECASE
)


@dataclass(frozen=True)
class Tooling:
    """Install keys (TOML lines), where they came from ("" when nothing was found),
    and the text that declares them (to look for an async plugin in)."""

    keys: tuple[str, ...]
    source: str
    text: str = ""


def test_dependencies(member: str, files: set[str], read: Reader) -> list[str]:
    """How one package declares its test dependencies, as install keys (templated)."""
    return list(test_tooling(member, files, read).keys)


def test_tooling(folder: str, files: set[str], read: Reader) -> Tooling:
    """The test tooling of the package in `folder` (`""`: the root project).

    A package's keys are templates (`{folder}:dev`); the root's name the root.
    """
    prefix = f"{folder}/" if folder else ""
    at = "{folder}/" if folder else ""
    document = read_toml(read(f"{prefix}pyproject.toml"))
    groups = document.get("dependency-groups")
    groups = groups if isinstance(groups, dict) else {}
    for name in TEST_NAMES:
        if name in groups:
            group = f"{{folder}}:{name}" if folder else name
            return Tooling(
                (f'groups = ["{group}"]',), f"its `{name}` dependency group", str(groups)
            )
    poetry = _poetry_group(document)
    if poetry is not None:
        return poetry
    names = [posixpath.relpath(f, folder or ".") for f in files if f.startswith(prefix)]
    found = requirements_file([n for n in names if "/" not in n or n.startswith("requirements/")])
    if found:
        text = read(f"{prefix}{found}") or ""
        source = found
        wider = _including(found, names, prefix, read)
        if wider:
            # The repository's own development setup: the test file plus what the
            # project's extras bring (`-e .[all,server]`), which the tests may import.
            text = (read(f"{prefix}{wider}") or "") + text
            found, source = wider, f"{wider} (it includes {found})"
        return Tooling((f'requirements = ["{at}{found}"]', 'packages = ["pytest"]'), source, text)
    extra, text = _extra(document, prefix, read)
    if extra:
        return Tooling(
            (f'extras = ["{extra}"]', 'packages = ["pytest"]'), f"its `{extra}` extra", text
        )
    deps = _tox_deps(read(f"{prefix}tox.ini"))
    if deps:
        has_pytest = any(re.match(r"pytest\b(?![-_])", d) for d in deps)
        listed = (
            "packages = [" + ", ".join(f'"{d}"' for d in deps + ["pytest"] * (not has_pytest)) + "]"
        )
        return Tooling((listed,), "tox.ini's [testenv] deps", "\n".join(deps))
    return Tooling(('packages = ["pytest"]',), "")


def _poetry_group(document: dict[str, object]) -> Tooling | None:
    """A Poetry test group (`[tool.poetry.group.test.dependencies]`, ...), translated:
    the sessions install with uv, which does not read Poetry's tables."""
    name, found, skipped = poetry.group_requirements(document.get("tool"), TEST_NAMES)
    if not name:
        return None
    if not any(re.match(r"pytest\b(?![-_])", r) for r in found):
        found.append("pytest")
    source = f"its Poetry `{name}` group, translated to requirements"
    if skipped:
        source += (
            f"; left out: {', '.join(skipped)} (a path dependency or a constraint with no "
            "PEP 440 form): add them to the install by hand if the tests need them"
        )
    listed = "packages = [" + ", ".join(_toml_string(r) for r in found) + "]"
    return Tooling((listed,), source, "\n".join(found))


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _including(test_file: str, names: list[str], prefix: str, read: Reader) -> str | None:
    """A development requirements file that includes `test_file` (`-r test_file`)."""
    for name in sorted(n for n in names if "/" not in n and _DEV_REQUIREMENTS.fullmatch(n)):
        text = read(f"{prefix}{name}") or ""
        if re.search(
            rf"^\s*(?:-r|--requirement)[\s=]+(?:\./)?{re.escape(test_file)}\s*$", text, re.MULTILINE
        ):
            return name
    return None


def _extra(document: dict[str, object], prefix: str, read: Reader) -> tuple[str, str]:
    """The first test extra (`test`, ...) of pyproject.toml, setup.cfg or setup.py."""
    project = document.get("project", {})
    extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    cfg = read(f"{prefix}setup.cfg") or ""
    setup_py = read(f"{prefix}setup.py") or ""
    for name in TEST_NAMES:
        if isinstance(extras, dict) and name in extras:
            return name, str(extras[name])
        if re.search(rf"^\[options\.extras_require\][^\[]*^{name}\s*=", cfg, re.MULTILINE):
            return name, cfg
        if re.search(rf"""extras_require\s*=\s*\{{[^}}]*["']{name}["']\s*:""", setup_py):
            return name, setup_py
    return "", ""


def _tox_deps(text: str | None) -> list[str]:
    """tox.ini's `[testenv] deps`, the plain requirement lines (no `-r`, no `{...}`)."""
    if not text:
        return []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
        deps = parser.get("testenv", "deps", fallback="")
    except configparser.Error:
        return []
    lines = [line.split(" #")[0].strip() for line in deps.splitlines()]
    return [line for line in lines if line and not line.startswith(("-", "#")) and "{" not in line]


_TOX_INSTALL = re.compile(
    r"^\s*(?:(?P<factors>[^:\s]+):\s*)?(?:python -m )?pip install\b(?P<args>.*)$"
)


def tox_installs(text: str | None, files: set[str]) -> list[str]:
    """In-repo package folders tox.ini's `[testenv]` installs for its default test
    environments (`pip install "{toxinidir}/plugins/x"` in `commands` or `deps`): a
    plugin the core's tests exercise. Lines for a named factor other than `py`
    (`dbt170: pip install ...`) are another environment's. Pure."""
    if not text:
        return []
    section = re.search(r"^\[testenv\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    found: list[str] = []
    for line in (section.group(1) if section else "").splitlines():
        match = _TOX_INSTALL.match(line)
        if match is None or (match["factors"] and "py" not in match["factors"]):
            continue
        for arg in match["args"].split():
            path = arg.strip("\"'").replace("{toxinidir}/", "").removeprefix("./").rstrip("/")
            if (
                path
                and not path.startswith("-")
                and any(
                    f"{path}/{name}" in files
                    for name in ("pyproject.toml", "setup.py", "setup.cfg")
                )
            ):
                found += [path] if path not in found else []
    return found


def requirements_file(names: list[str]) -> str | None:
    """The test requirements file among a package's files, if it has one. Pure.

    `test-requirements.txt` (or a spelling of it) first; else the newest of a
    versioned set (`test-requirements.latest.txt`, the highest
    `test-requirements-<N>.txt`), which tests against today's dependencies;
    else `requirements/test*.txt`; else a `requirements-dev*.txt`.
    """
    exact = sorted(n for n in names if _TEST_REQUIREMENTS.fullmatch(n))
    if exact:
        return exact[0]
    candidates = [n for n in names if _VERSIONED_REQUIREMENTS.fullmatch(n)]
    if candidates:

        def rank(name: str) -> tuple[int, int, int]:
            number = re.search(r"(\d+)\.txt$", name)
            return ("latest" in name, int(number.group(1)) if number else -1, -len(name))

        return max(candidates, key=rank)
    nested = sorted(n for n in names if re.fullmatch(r"requirements/tests?[-_.\w]*\.txt", n))
    if nested:
        return nested[0]
    dev = sorted(n for n in names if _DEV_REQUIREMENTS.fullmatch(n))
    return dev[0] if dev else None


def versioned(keys: tuple[str, ...]) -> bool:
    return any(_VERSIONED_REQUIREMENTS.search(k) for k in keys)


def async_gap(tooling: Tooling, tests: list[str], read: Reader) -> bool:
    """Whether async tests exist that no installed plugin (pytest-asyncio, anyio) runs."""
    if _ASYNC_PLUGINS.search(tooling.text):
        return False
    return any("async def test" in (read(t) or "") for t in tests if is_test_file(t))


def lint_tooling(files: set[str], read: Reader) -> tuple[tuple[str, ...], str]:
    """The root's lint tools for `quick` (install keys) and where they came from.

    A `lint` group first; else ruff, pinned to the pre-commit hook's `rev` when
    one runs it, when the repository configures ruff anywhere. A repository that
    lints with something else gets ruff anyway (quick runs ruff), and says so.
    """
    groups = read_toml(read("pyproject.toml")).get("dependency-groups")
    if isinstance(groups, dict) and "lint" in groups:
        return ('groups = ["lint"]',), "the root's `lint` dependency group"
    hooks = read(".pre-commit-config.yaml") or ""
    pinned = re.search(r"ruff-pre-commit\s*\n\s*rev:\s*['\"]?v?([\w.]+)", hooks)
    if pinned:
        return (f'packages = ["ruff=={pinned.group(1)}"]',), (
            f".pre-commit-config.yaml (its ruff hook, rev {pinned.group(1)})"
        )
    for name in sorted(f for f in files if re.fullmatch(r"[\w.-]*requirements[\w.-]*\.txt", f)):
        listed = re.search(r"^ruff\s*(==\s*[\w.]+)?\s*$", read(name) or "", re.MULTILINE)
        if listed:
            return (f'packages = ["{listed.group(0).strip().replace(" ", "")}"]',), name
    # ruff reads the settings nearest each file: a package's own pyproject.toml
    # (`backend/pyproject.toml` of a web app) configures it as much as the root's.
    settings = sorted(
        f
        for f in files
        if f.rsplit("/", 1)[-1] in ("ruff.toml", ".ruff.toml")
        or (f.rsplit("/", 1)[-1] == "pyproject.toml" and "[tool.ruff" in (read(f) or ""))
    )
    if settings:
        where = (
            ""
            if settings[0] in ("pyproject.toml", "ruff.toml", ".ruff.toml")
            else (f" in {settings[0]}")
        )
        return ('packages = ["ruff"]',), f"the repository's ruff settings{where} (ruff unpinned)"
    other = [
        name for name in (".flake8", "setup.cfg", "tox.ini") if "[flake8]" in (read(name) or "")
    ]
    if other:
        return ('packages = ["ruff"]',), (
            f"nothing for ruff: {other[0]} configures flake8, and quick runs `ruff check` and "
            "`ruff format --check`; expect findings until ruff is configured"
        )
    return ('packages = ["ruff"]',), (
        "nothing: no lint group, no ruff settings, no pre-commit ruff hook; quick runs "
        "`ruff check` and `ruff format --check` with ruff's defaults"
    )
