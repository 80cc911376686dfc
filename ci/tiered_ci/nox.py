"""The tier sessions as code: `register()` adds them to the calling noxfile.

An adopter's noxfile is a PEP 723 block plus two lines:

    # /// script
    # dependencies = ["nox>=2025.2.9", "tiered-ci>=0.2"]
    # ///
    import tiered_ci.nox

    tiered_ci.nox.register()

Every session reads the one validated `Config` (`tiered_ci.config.load`), so
there is one parser. A session the noxfile defined *before* `register()` keeps
its own definition: that is how a tier is replaced. Sessions install the
tiered-ci that runs nox (see `sessions.self_install_spec`), so a checkout or a
wheel works with no package index.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import nox

from tiered_ci import config as config_module
from tiered_ci import environments, escape, locks
from tiered_ci._toml import tomllib
from tiered_ci.backing import needs, secret_env
from tiered_ci.backing.model import ServiceError
from tiered_ci.backing.runner import Services
from tiered_ci.errors import ConfigError
from tiered_ci.model import DEFAULT_INSTALL, DEFAULT_MARKERS, Config, Install, Tier
from tiered_ci.sessions import (
    budget_verdict,
    coverage_enforced,
    data_slug,
    domain_args,
    gate_problems,
    impact_fallback_line,
    impact_summary_line,
    inside_ignores,
    marker_names,
    self_install_spec,
    shard_id,
    shard_index,
    split_posargs,
    tier_args,
)

__all__ = ["TIER_SESSIONS", "register"]

# Every name register() may add; `domain-shard` stands for all its parametrized ids.
TIER_SESSIONS = (
    "quick",
    "unit",
    "integration",
    "domain-shard",
    "domain-integration",
    "docker-changed-services",
    "full-e2e",
    "plan",
    "coverage",
    "ci",
    "lint",
    "bench",
    "gate",
    "impact-record",
    "domain-pack",
    "service-logs",
)
# The tier's marker names, for the plugin in `_pytest_markers/` (its VARIABLE).
MARKERS_VARIABLE = "TIERED_CI_MARKERS"
MARKER_PLUGIN = "_tiered_ci_markers"

# Variables through which coverage follows subprocesses (see _run_pytest).
_COVERAGE_VARIABLES = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE")


class _Project:
    """The repository the noxfile lives in: its pyproject, its validated config."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pyproject_file = root / "pyproject.toml"
        self.reports = root / "reports"
        try:
            text = self.pyproject_file.read_text(encoding="utf-8")
            self.pyproject: dict[str, Any] = tomllib.loads(text)
        except FileNotFoundError:
            self.pyproject = {}
        self.config: Config = config_module.load(root)

    @property
    def has_project(self) -> bool:
        """Whether the root is an installable project: a `[project]` table, or setuptools'
        own files (a setup.py, a setup.cfg with `[metadata]`) when pyproject.toml has none."""
        if "project" in self.pyproject or (self.root / "setup.py").is_file():
            return True
        cfg = self.root / "setup.cfg"
        return cfg.is_file() and "[metadata]" in cfg.read_text(encoding="utf-8", errors="replace")

    @property
    def groups_available(self) -> dict[str, Any]:
        groups = self.pyproject.get("dependency-groups", {})
        return groups if isinstance(groups, dict) else {}

    def tier(self, name: str, markers: str | None = None) -> Tier:
        """The configured tier, or one with these default markers."""
        return self.config.tiers.get(name) or Tier(name, markers=markers)


def register(root: str | Path | None = None) -> None:
    """Register every tier session the noxfile has not defined itself.

    `root` is the repository (default: the noxfile's folder, which nox makes the
    working directory before it loads the noxfile).
    """
    try:
        project = _Project(Path(root) if root is not None else Path.cwd())
    except ConfigError as exc:
        # nox prints a traceback for an exception at load; one line is the fix.
        raise SystemExit(f"tiered-ci: {exc}") from None
    nox.needs_version = ">=2025.2.9"
    nox.options.default_venv_backend = "uv|virtualenv"
    # Keep venvs between runs: installs still run (uv makes a no-op install cheap),
    # so a changed dependency group is picked up; `nox -R` skips them entirely.
    nox.options.reuse_venv = "yes"
    if not nox.options.sessions:
        nox.options.sessions = ["quick"]
    taken = set(nox.registry.get())
    for name, add in _SESSIONS.items():
        if name not in taken:
            add(project)


# --- installing ------------------------------------------------------------------


def _groups(session: nox.Session, project: _Project, *names: str) -> list[str]:
    """Requirements of `[dependency-groups]` groups; a missing group is named."""
    for name in names:
        if name not in project.groups_available:
            session.error(f"{project.pyproject_file}: [dependency-groups] has no {name!r} group")
    return list(nox.project.dependency_groups(project.pyproject, *names)) if names else []


def _tiered_ci_spec(project: _Project) -> list[str]:
    """The tiered-ci that runs nox: this checkout when the project is tiered-ci."""
    if project.pyproject.get("project", {}).get("name") == "tiered-ci":
        return ["-e", "."]
    try:
        dist = metadata.distribution("tiered-ci")
    except metadata.PackageNotFoundError:
        # Imported from a source tree (PYTHONPATH): install that tree.
        source = Path(__file__).resolve().parents[2]
        return ["-e", str(source)]
    direct = dist.read_text("direct_url.json")
    return self_install_spec(dist.version, json.loads(direct) if direct else None)


def _install(
    session: nox.Session,
    project: _Project,
    *group_names: str,
    install_project: bool = False,
    tools: bool = False,
) -> None:
    """The project (editable: coverage maps to the checkout), groups, tiered-ci."""
    _install_spec(
        session,
        project,
        Install(root=install_project, groups=group_names),
        tools=tools,
        check_groups=True,
    )


def _install_spec(  # noqa: PLR0913 - keyword flags, one per caller's need
    session: nox.Session,
    project: _Project,
    install: Install,
    *,
    tools: bool = False,
    check_groups: bool = False,
    isolated: bool = False,
) -> None:
    """Install `install` unless the environment already holds exactly that.

    The key (tiered_ci.environments) covers the commands, the Python and the files
    they read: the same key skips the installer, another one rebuilds the
    environment from scratch, so a dropped requirement does not linger.
    """
    # A nox started by a test of an outer nox run (the e2e tests do this) must not
    # write into the outer run's coverage data; None unsets a variable.
    for variable in _COVERAGE_VARIABLES:
        session.env[variable] = None
    if check_groups:
        _groups(session, project, *install.groups)
    spec = environments.env_spec(
        install,
        has_project=project.has_project,
        groups=lambda folder, name: _folder_group(session, project, folder, name),
        tiered_ci=_tiered_ci_spec(project) if tools else (),
        isolated=isolated,
        sources=_SourceReader(project.root),
    )
    if not spec.commands:
        return
    lock = _find_lock(session, project)
    if lock is not None:
        # The lock keys the environment too: a re-locked version reinstalls.
        spec = replace(spec, inputs=(*spec.inputs, lock.path))
    location = getattr(session.virtualenv, "location", None)
    stamp = Path(location) / environments.STAMP if location else None
    contents = {
        path: _fingerprint(project.root, path)
        if path.endswith("/")
        else _read_bytes(project.root / path)
        for path in spec.inputs
    }
    key = environments.stamp_key(spec, _python_of(session), contents)
    recorded, warnings = _read_stamp(stamp)
    if recorded == key:
        session.log(f"environment up to date (install key {key[:12]}): no install")
        for warning in warnings:  # what the install said (a stale lock) still holds
            _warn(session, warning)
        return
    if recorded is not None:
        session.log(f"install inputs changed (key {recorded[:12]} -> {key[:12]}): rebuilding")
        _recreate(session)
    constraints, warnings = (
        _constraints(session, project, lock, location) if lock is not None else (None, [])
    )
    _forget_copies(session, spec.copies)
    for command in spec.commands:
        session.install(*command, *(("-c", constraints) if constraints else ()))
    if stamp is not None and stamp.parent.is_dir():
        record = {"key": key, "commands": spec.commands, "warnings": warnings}
        stamp.write_text(json.dumps(record) + "\n")


class _SourceReader:
    """`environments.SourceResolver` over the files: a folder's `[tool.uv.sources]`, with
    the workspace's members (`[tool.uv.workspace] members` of the root) read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._members: dict[str, str] | None = None

    def __call__(self, folder: str) -> list[tuple[str, bool, str]]:
        document = _toml_document(self.root / folder / "pyproject.toml")
        if not document:
            return []
        return environments.uv_sources(folder, document, self._workspace())

    def _workspace(self) -> dict[str, str]:
        if self._members is None:
            self._members = {}
            tool = _toml_document(self.root / "pyproject.toml").get("tool", {})
            uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
            workspace = uv.get("workspace", {}) if isinstance(uv, dict) else {}
            globs = workspace.get("members", []) if isinstance(workspace, dict) else []
            for glob in globs if isinstance(globs, list) else []:
                for member in sorted(self.root.glob(str(glob))):
                    project = _toml_document(member / "pyproject.toml").get("project", {})
                    name = project.get("name") if isinstance(project, dict) else None
                    if isinstance(name, str):
                        key = re.sub(r"[-_.]+", "-", name).lower()
                        self._members[key] = member.relative_to(self.root).as_posix()
        return self._members


def _toml_document(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _fingerprint(root: Path, folder: str) -> bytes | None:
    """The state of an in-repo package installed as a copy: each of its files (tracked or
    untracked, not ignored) with size and modification time; a stat per file, no read."""
    from tiered_ci import _git  # noqa: PLC0415 - only a copied in-repo dependency needs it

    where = folder.rstrip("/") or "."
    args = ("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", where)
    try:
        names = sorted(n for n in _git.call(root, *args).split("\0") if n)
    except (_git.GitFailed, OSError):
        return None  # not a git work tree: the metadata files still key the environment
    lines = []
    for name in names:
        try:
            info = (root / name).stat()
        except OSError:
            continue  # deleted in the work tree: its absence is the state
        lines.append(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


def _forget_copies(session: nox.Session, names: tuple[str, ...]) -> None:
    """Drop uv's built wheels of the in-repo packages installed as a copy: uv keys a local
    package's build by its metadata files, so a changed module would come back from the
    cache unchanged. (`--refresh-package` would do it too, but not offline.)"""
    uv = _uv() if names and getattr(session.virtualenv, "venv_backend", "") == "uv" else None
    if uv is not None:
        session.run(uv, "cache", "clean", *names, external=True, silent=True)


def _find_lock(session: nox.Session, project: _Project) -> locks.LockFile | None:
    """The lock this session installs with (`tool.tiered-ci.lock`); a named file that
    does not exist stops the session."""
    python = _python_of(session) or f"{sys.version_info.major}.{sys.version_info.minor}"
    lock, error = locks.find_lock(
        setting=project.config.lock,
        python=python,
        exists=lambda path: (project.root / path).is_file(),
    )
    if error is not None:
        session.error(error)
    return lock


def _constraints(
    session: nox.Session, project: _Project, lock: locks.LockFile, location: str | None
) -> tuple[str | None, list[str]]:
    """The constraints file of `lock` (a uv.lock exported into the environment's folder;
    None when there is no uv to read it) and the warnings said on the way."""
    if lock.poetry:
        return _poetry_constraints(session, project, lock, location)
    if not lock.uv:
        session.log(f"installing with the constraints of {lock.path} (tool.tiered-ci.lock)")
        return lock.path, []
    uv = _uv()
    if uv is None:
        warning = (
            f"{lock.path}: no uv to export it, so this session installs the newest "
            "versions; install uv, or set lock = false in [tool.tiered-ci] to say so"
        )
        _warn(session, warning)
        return None, [warning]
    warnings = []
    check = _run_quiet(locks.check_command(uv, lock), project.root)
    if check.returncode != 0:
        warnings.append(locks.stale_message(lock, check.stderr + check.stdout))
        _warn(session, warnings[-1])
    pins, said = locks.export_pins(uv, lock, lambda argv: _run_quiet(argv, project.root))
    if pins is None:
        session.error(f"{lock.path}: `uv export` failed: {said}")
    if said:
        warnings.append(said)
        _warn(session, said)
    target = Path(location) if location else project.root / ".nox"
    target.mkdir(parents=True, exist_ok=True)
    path = target / "tiered-ci-constraints.txt"
    path.write_text(pins, encoding="utf-8")
    count = len(pins.splitlines())
    session.log(
        f"installing with the {count} pins of {lock.path} "
        "(lock = false in [tool.tiered-ci] installs the newest versions)"
    )
    return str(path), warnings


def _poetry_constraints(
    session: nox.Session, project: _Project, lock: locks.LockFile, location: str | None
) -> tuple[str | None, list[str]]:
    """A poetry.lock's pins as the constraints file, read without Poetry."""
    try:
        text = (project.root / lock.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        session.error(f"{lock.path}: cannot read it: {exc}")
    pins, clashing = locks.poetry_pins(text)
    if pins is None:
        session.error(f"{lock.path}: not TOML; fix it, or set lock = false in [tool.tiered-ci]")
    warnings = []
    if clashing:
        warnings.append(
            f"{lock.path}: locked at two versions with no marker between them, so installed "
            f"unpinned: {', '.join(clashing)}"
        )
        _warn(session, warnings[-1])
    target = Path(location) if location else project.root / ".nox"
    target.mkdir(parents=True, exist_ok=True)
    path = target / "tiered-ci-constraints.txt"
    path.write_text(pins, encoding="utf-8")
    session.log(
        f"installing with the {len(pins.splitlines())} pins of {lock.path} "
        "(lock = false in [tool.tiered-ci] installs the newest versions)"
    )
    return str(path), warnings


def _uv() -> str | None:
    """The uv nox creates environments with (nox's own lookup), else uv on PATH."""
    from nox.virtualenv import find_uv  # noqa: PLC0415 - only a uv.lock needs it

    found = find_uv()
    return str(found[1]) if found[0] else shutil.which("uv")


def _run_quiet(command: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)


def _warn(session: nox.Session, message: str) -> None:
    session.warn(message)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning title=tiered-ci lock::{message}")  # noqa: T201


def _folder_group(session: nox.Session, project: _Project, folder: str, name: str) -> list[str]:
    if folder == ".":
        return _groups(session, project, name)
    path = project.root / folder / "pyproject.toml"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        session.error(f"{path}: cannot read the dependency group {name!r}: {exc}")
    if name not in document.get("dependency-groups", {}):
        session.error(f"{path}: [dependency-groups] has no {name!r} group")
    return list(nox.project.dependency_groups(document, name))


def _python_of(session: nox.Session) -> str | None:
    python = session.python
    return python if isinstance(python, str) else None


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_stamp(stamp: Path | None) -> tuple[str | None, list[str]]:
    """(the key an environment was installed with, the warnings its install said)."""
    if stamp is None:
        return None, []
    try:
        record = json.loads(stamp.read_text(encoding="utf-8"))
        key, warnings = record.get("key"), record.get("warnings", [])
    except (OSError, ValueError, AttributeError):
        return None, []
    if not isinstance(warnings, list):
        warnings = []
    return (key if isinstance(key, str) else None), [w for w in warnings if isinstance(w, str)]


def _recreate(session: nox.Session) -> None:
    """A fresh environment in place of a reused one (nox only recreates on request)."""
    from nox.virtualenv import VirtualEnv  # noqa: PLC0415 - only a rebuild needs it

    venv = session.virtualenv
    if isinstance(venv, VirtualEnv):
        venv.reuse_existing = False
        venv.create()


# --- running tests ---------------------------------------------------------------


def _run_pytest(  # noqa: PLR0913 - keyword switches, one per caller's need
    session: nox.Session,
    project: _Project,
    args: list[str],
    *,
    cover: bool = True,
    none_ok: bool = False,
    impact: bool = False,
) -> None:
    """pytest with junit XML under reports/ and, if `cover`, its own coverage data;
    with `impact`, only the tests the change can break (tiered_ci.impact)."""
    slug = data_slug(session.name, session.posargs)
    project.reports.mkdir(exist_ok=True)
    if impact:
        args = [*args, *_impact_args(session, project, slug)]
    env: dict[str, str] = {}
    if cover:
        _remove_coverage_data(project.root, f".coverage.{slug}")
        # coverage's .pth hook starts it in pytest and in every Python subprocess
        # (xdist workers, CLI runs); `parallel = true` gives each its own file.
        env["COVERAGE_PROCESS_START"] = str(project.pyproject_file)
        env["COVERAGE_FILE"] = str(project.root / f".coverage.{slug}")
    # An intentionally split run may get an empty shard, and a tier chosen by markers
    # may match no test in this repository: exit 5 (nothing collected) is then success.
    codes = [0, 5] if none_ok or shard_index(session.posargs) else [0]
    junit = f"--junitxml={project.reports.name}/junit-{slug}.xml"
    names = marker_names(args)
    if names:
        # pytest 9 with strict markers refuses a `-m` naming a marker the repository
        # never registered (`critical or smoke`): the plugin registers the tier's own.
        _install_marker_plugin(session)
        env[MARKERS_VARIABLE] = ",".join(names)
        args = ["-p", MARKER_PLUGIN, *args]
    with _backing(session, project) as backing_env:
        session.run(
            "python",
            "-m",
            "pytest",
            *args,
            junit,
            *session.posargs,
            env={**env, **backing_env},
            success_codes=codes,
        )


def _install_marker_plugin(session: nox.Session) -> None:
    """Put the marker plugin into the session environment's site-packages: there pytest
    imports it by name, and coverage counts it as installed code, never the project's
    (on PYTHONPATH from a folder inside the repository, coverage measured it, and the
    `coverage` job, elsewhere, stopped on "No source for code")."""
    found = session.run(
        "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", silent=True
    )
    if not isinstance(found, str) or not found.strip():
        session.error("cannot find the session environment's site-packages for the marker plugin")
    source = Path(__file__).parent / "_pytest_markers" / f"{MARKER_PLUGIN}.py"
    target = Path(found.strip().splitlines()[-1]) / f"{MARKER_PLUGIN}.py"
    text = source.read_text(encoding="utf-8")
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def _backing(session: nox.Session, project: _Project) -> Iterator[dict[str, str | None]]:
    """The secrets the workflow hands over, and the backing services this session's
    tests need (tiered_ci.backing), running until pytest is done, failed or interrupted."""
    secrets = secret_env.exported(os.environ, session.warn)
    if secrets and os.environ.get("GITHUB_ACTIONS") == "true":
        print("\n".join(secret_env.mask_lines(secrets)))  # noqa: T201 - runner commands
    env: dict[str, str | None] = {**secrets, secret_env.CARRIER: None}
    wanted = needs.session_needs(project.config, session.name)
    if not wanted:
        yield env
        return
    running = Services(
        [project.config.backing[name] for name in wanted],
        root=project.root,
        logs=project.reports / "services",
        say=session.log,
        environ={**secret_env.without_carrier(os.environ), **secrets},
    )
    try:
        running.__enter__()
    except ServiceError as exc:
        session.error(str(exc))
    try:
        yield {**env, **running.env}
    except BaseException:
        running.show_logs()
        raise
    finally:
        running.stop()


def _remove_coverage_data(root: Path, prefix: str) -> None:
    for stale in root.glob(f"{prefix}*"):
        if stale.name == prefix or stale.name.startswith(f"{prefix}."):
            stale.unlink()


def _run_tests(  # noqa: PLR0913 - keyword switches, one per caller's need
    session: nox.Session,
    project: _Project,
    args: list[str],
    install: Install | None = None,
    *,
    none_ok: bool = False,
    impact: bool = False,
    pin: str | None = None,
) -> None:
    """Install the tier's or domain's environment (default: root + `test`), then pytest;
    with `impact`, only the tests the change can break (tiered_ci.impact); with `pin`
    (a version-axis variant, `dbt-core==1.7.0`), that version over the environment."""
    install = install or DEFAULT_INSTALL
    _install_spec(session, project, install, tools=True, isolated=not install.root)
    if pin is not None:
        # Not under the lock's constraints: the pin is the point of this variant.
        session.install(pin)
    _run_pytest(session, project, args, none_ok=none_ok, impact=impact)


def _pythons(versions: tuple[str, ...]) -> list[str] | None:
    """nox's `python=`: a list makes one session per version (`unit-3.12`)."""
    return list(versions) or None


def _impact_args(session: nox.Session, project: _Project, slug: str) -> list[str]:
    """`--impact-select=FILE` from the map CI restored, or nothing, said out loud."""
    settings = project.config.impact
    if not settings.enabled:
        return []
    if os.environ.get("TIERED_CI_IMPACT") == "off":
        session.log("impact: TIERED_CI_IMPACT=off: running the tier's tests as planned")
        return []
    impact_map = project.root / settings.map
    if not impact_map.is_file():
        message = impact_fallback_line(session.name, settings.map)
        session.log(message)
        _append_summary(f"{message}\n\n")
        return []
    selection = project.reports / f"impact-{slug}.json"
    command = ["tiered-ci", "impact", "select", "--map", str(impact_map)]
    session.run(*command, f"--output={selection}", "--format", "text")
    document = json.loads(selection.read_text(encoding="utf-8"))
    line = impact_summary_line(session.name, document, project.config, session.posargs)
    _append_summary(f"{line}\n\n")
    return [f"--impact-select={selection}"]


def _unit(project: _Project) -> Tier:
    return project.tier("unit")


# --- the sessions ----------------------------------------------------------------


def _quick(project: _Project) -> None:
    @nox.session
    def quick(session: nox.Session) -> None:
        """Lint and the critical/smoke tests: the under-a-minute tier; warns when over."""
        tier = project.tier("quick", markers=DEFAULT_MARKERS["quick"])
        # A table states the whole environment, lint tools included (init writes one
        # for a repository with no `test` or `lint` group); the default groups are checked.
        install = environments.quick_install(tier)
        _install_spec(session, project, install, check_groups=tier.install is None)
        started = time.perf_counter()
        try:
            session.run("ruff", "check", ".")
            session.run("ruff", "format", "--check", ".")
            if tier.run_pytest:
                # pytest-randomly would seed each CI job differently: keep this tier stable.
                args = [*tier_args(tier), "-p", "no:randomly"]
                _run_pytest(session, project, args, cover=False, none_ok=True)
        finally:
            _report_budget(session, time.perf_counter() - started, tier.budget_seconds)


def _report_budget(session: nox.Session, seconds: float, budget: float | None) -> None:
    over, message = budget_verdict(seconds, budget)
    if not over:
        session.log(message)
        return
    banner = "!" * 80
    session.warn(banner)
    session.warn(message)
    session.warn(banner)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::warning title=quick tier OVER BUDGET::{message}")  # noqa: T201
        _append_summary(f"> [!WARNING]\n> {message}\n\n")


def _append_summary(text: str) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and not Path(summary).is_dir():
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(text)


def _unit_session(project: _Project) -> None:
    tier = _unit(project)

    @nox.session(python=_pythons(tier.python))
    def unit(session: nox.Session) -> None:
        """Every unit test: the union of all domain shards and the tests no domain owns."""
        _run_tests(session, project, tier_args(tier), tier.install, impact=True)


def _integration(project: _Project) -> None:
    tier = project.tier("integration", markers=DEFAULT_MARKERS["integration"])

    @nox.session(python=_pythons(tier.python))
    def integration(session: nox.Session) -> None:
        """The integration tier (its paths and markers, limited workers)."""
        _run_tests(session, project, tier_args(tier), tier.install, none_ok=True, impact=True)


def _domain_shard(project: _Project) -> None:
    config = project.config
    if not config.domains:
        return
    # One session per domain and Python version: `domain-shard(api)`, or
    # `domain-shard(api-3.12)` for a domain (or unit tier) that lists versions.
    # A domain's version axis (`matrix`) adds one session per pin: `domain-shard(api@x==1)`.
    params = [
        nox.param(python, name, pin, id=shard_id(name, python, pin))
        for name in config.domains
        for pin in (None, *config.domains[name].pins())
        for python in config.domain_python(name) or (None,)
    ]

    @nox.session(name="domain-shard")
    @nox.parametrize(("python", "domain", "pin"), params)
    def domain_shard(session: nox.Session, domain: str, pin: str | None) -> None:
        """The unit tests of one domain, in the domain's own environment."""
        tests = list(config.domains[domain].tests)
        if config.domains[domain].family is not None:
            # Templated from a family: a package without the tests folder has none.
            tests = [t for t in tests if (project.root / t).exists()]
        if not tests:
            session.skip(f"domain {domain} has no tests (tool.tiered-ci): nothing to run")
        # Its integration tests may sit inside its tests folder: domain-integration runs them.
        ignores = inside_ignores(tests, config.domains[domain].integration_tests)
        args = [*domain_args(_unit(project), config.domains[domain], tests), *ignores]
        _run_tests(session, project, args, config.domain_install(domain), impact=True, pin=pin)


def _domain_integration(project: _Project) -> None:
    config = project.config
    owners = [name for name, domain in config.domains.items() if domain.integration_tests]
    if not owners:
        return
    params = [
        nox.param(python, name, id=shard_id(name, python))
        for name in owners
        for python in config.integration_python(name) or (None,)
    ]
    # The integration tier's table, if any: its markers and workers. Without one the
    # folders themselves say what is an integration test, so no marker filter applies.
    tier = config.tiers.get("integration") or Tier("integration")

    @nox.session(name="domain-integration")
    @nox.parametrize(("python", "domain"), params)
    def domain_integration(session: nox.Session, domain: str) -> None:
        """The integration tests one domain owns, in the domain's own environment."""
        tests = list(config.domains[domain].integration_tests)
        args = domain_args(tier, config.domains[domain], tests)
        install = config.integration_install(domain)
        # A marker filter may leave nothing in a folder: exit 5 then says "none marked".
        _run_tests(session, project, args, install, none_ok=tier.markers is not None, impact=True)


def _docker(project: _Project) -> None:
    @nox.session(name="docker-changed-services")
    def docker_changed_services(session: nox.Session) -> None:
        """Build the images of the services the change touches (-- --all: every one)."""
        _install(session, project, tools=True)
        # The workflow sets TIERED_CI_PUSH=true only where it has logged in to a registry.
        push = ["--push"] if os.environ.get("TIERED_CI_PUSH") == "true" else []
        session.run("tiered-ci", "build", *push, *session.posargs)


def _full_e2e(project: _Project) -> None:
    @nox.session(name="full-e2e")
    def full_e2e(session: nox.Session) -> None:
        """Everything: every test incl. integration, slow and e2e, then coverage."""
        # The whole picture replaces parts; with arguments (the tests no domain owns, when
        # the full validation fans out) it is one part, and `_run_pytest` clears its own.
        if not session.posargs:
            _remove_coverage_data(project.root, ".coverage")
        workers = _unit(project).workers
        args = ["-n", str(workers)] if workers is not None else []
        # Every tier's own arguments (`--integration` that a conftest asks for): all run here.
        for name in ("unit", "integration", "e2e"):
            args += [a for a in project.config.tier(name).pytest_args if a not in args]
        _, install = environments.full_e2e_install(project.config)
        _run_tests(session, project, args, install)
        if not any(project.root.glob(".coverage.full-e2e*")):
            session.error(
                "the tests recorded no coverage data: set `parallel = true` in "
                "[tool.coverage.run] and list coverage in the `test` dependency group"
            )
        session.notify("coverage")


def _plan(project: _Project) -> None:
    @nox.session
    def plan(session: nox.Session) -> None:
        """Print the plan for this change (`-- --format github` in a workflow)."""
        _install(session, project, tools=True)
        session.run("tiered-ci", "plan", *session.posargs)


def _coverage(project: _Project) -> None:
    @nox.session
    def coverage(session: nox.Session) -> None:
        """Combine the sessions' .coverage.* data, report it and write coverage.xml."""
        data = sorted(p.name for p in project.root.glob(".coverage.*"))
        combined = project.reports / ".coverage"
        if not data and not combined.exists():
            # Not an error: a workflow run that only built images has no data.
            session.skip("no coverage data (.coverage.*): run a test session first")
        test_group = _groups(session, project, "test") if "test" in project.groups_available else []
        wanted = [r for r in test_group if re.match(r"coverage\b", r)]
        session.install(*(wanted or ["coverage"]))
        # The combined file lives under reports/ and the per-session files are kept: a
        # job uploads them after full-e2e has reported, and recent coverage versions
        # combine (and delete) the `<data file>.*` siblings on every report.
        project.reports.mkdir(exist_ok=True)
        session.env["COVERAGE_FILE"] = str(combined)
        if data:
            session.run("coverage", "combine", "--keep", "--quiet", ".")
        session.run("coverage", "xml", "-o", "coverage.xml")
        floor = project.config.coverage_fail_under
        enforce = floor is not None and coverage_enforced(data)
        if floor is not None and not enforce:
            session.log(f"fail-under {floor:g} not enforced: partial run ({', '.join(data)})")
        session.run("coverage", "report", *([f"--fail-under={floor:g}"] if enforce else []))
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            markdown = ["coverage", "report", "--format=markdown"]
            table = session.run(*markdown, silent=True, stderr=None)
            _append_summary(f"## Coverage\n\n{table or ''}\n")


def _ci(project: _Project) -> None:
    @nox.session
    def ci(session: nox.Session) -> None:
        """What CI would run for this change: print the plan, then run its sessions.

        `nox -s ci -- --base main` passes the flags to the planner; pytest arguments
        for the sessions it runs go after a second `--`.
        """
        _install(session, project, tools=True)
        plan_args, test_args = split_posargs(session.posargs)
        command = ["tiered-ci", "plan", "--format", "json", *plan_args]
        the_plan = json.loads(session.run(*command, silent=True, stderr=None) or "{}")
        print(json.dumps(the_plan, indent=2))  # noqa: T201
        # A session's own matrix arguments (the unit remainder's --ignore list) come
        # first; a session split into --shard=K/N entries runs whole here.
        entries: dict[str, list[str]] = {}
        for entry in the_plan.get("matrix", {}).get("include", []):
            entries.setdefault(entry["session"], []).append(entry.get("args", ""))
        for name in the_plan.get("sessions", []):
            own = entries.get(name, [""])
            args = shlex.split(own[0]) if len(own) == 1 else []
            session.notify(name, posargs=[*args, *test_args])


def _lint(project: _Project) -> None:
    @nox.session
    def lint(session: nox.Session) -> None:
        """ruff check, ruff format --check, and mypy when the lint group has it."""
        _install(session, project, "lint", install_project=True)
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
        if any(re.match(r"mypy\b", r) for r in _groups(session, project, "lint")):
            session.run("mypy")


def _bench(project: _Project) -> None:
    scripts = sorted(project.root.glob("benchmarks/bench_*.py"))
    if not scripts:
        return

    @nox.session
    def bench(session: nox.Session) -> None:
        """Run every benchmarks/bench_*.py; each prints its table of ratios."""
        extra = ["bench"] if "bench" in project.groups_available else []
        _install(session, project, "test", *extra, install_project=True, tools=True)
        for script in scripts:
            session.run("python", str(script.relative_to(project.root)), *session.posargs)


def _domain_pack(project: _Project) -> None:
    if not project.config.domains:
        return

    @nox.session(name="domain-pack", venv_backend="none")
    def domain_pack(session: nox.Session) -> None:
        """Several domain shards in one job (`-- SESSION... [-- pytest args]`), each in its env."""
        names, pytest_args = split_posargs(session.posargs)
        if not names:
            session.error("name the domain-shard sessions to run: nox -s domain-pack -- NAME...")
        extra = ["--", *pytest_args] if pytest_args else []
        # A nested nox gives every shard its own environment, as its own job would.
        # sys.executable: the interpreter running this nox (PATH's python may lack nox).
        session.run(sys.executable, "-m", "nox", "-s", *names, *extra, external=True)


def _gate(_project: _Project) -> None:
    @nox.session(venv_backend="none")
    def gate(session: nox.Session) -> None:
        """Last workflow job: fails if a needed job failed, was cancelled, or no plan."""
        problems = gate_problems(os.environ.get("NEEDS_JSON"))
        for problem in problems:
            session.warn(f"gate: {problem}")
        if problems:
            session.error(f"{len(problems)} needed job(s) did not pass")
        session.log("gate: every needed job passed or was skipped by the plan")


def _impact_record(project: _Project) -> None:
    @nox.session(name="impact-record")
    def impact_record(session: nox.Session) -> None:
        """Record the impact map: every test, what it executes (default branch, nightly)."""
        _install(session, project, "test", install_project=True, tools=True)
        session.install("coverage>=7.6")  # the recorder measures with coverage.py
        target = project.root / project.config.impact.map
        workers = _unit(project).workers
        args = ["-n", str(workers)] if workers is not None else []
        # No coverage data of our own: the recorder is the measurement, and a second
        # one would pause it. pytest-randomly stays off so the map does not depend on order.
        _run_pytest(
            session,
            project,
            [*args, "-p", "no:randomly", f"--impact-record={target}"],
            cover=False,
        )


def _service_logs(project: _Project) -> None:
    @nox.session(name="service-logs", venv_backend="none")
    def service_logs(session: nox.Session) -> None:
        """Print the backing services' logs (reports/services/*.log) of the last session."""
        logs = sorted((project.reports / "services").glob("*.log"))
        if not logs:
            session.skip("no backing service logs under reports/services/")
        actions = os.environ.get("GITHUB_ACTIONS") == "true"
        for log in logs:
            text = log.read_text(encoding="utf-8", errors="replace")
            # A log line must not become a workflow command (tiered_ci.escape guards ours).
            lines = text.splitlines()
            body = "\n".join(escape.log_line(line) for line in lines) if actions else text
            print(f"::group::{log.name}" if actions else f"--- {log} ---")  # noqa: T201
            print(body.rstrip())  # noqa: T201
            if actions:
                print("::endgroup::")  # noqa: T201


_SESSIONS: dict[str, Callable[[_Project], None]] = {
    "quick": _quick,
    "unit": _unit_session,
    "integration": _integration,
    "domain-shard": _domain_shard,
    "domain-integration": _domain_integration,
    "docker-changed-services": _docker,
    "full-e2e": _full_e2e,
    "plan": _plan,
    "coverage": _coverage,
    "ci": _ci,
    "lint": _lint,
    "bench": _bench,
    "gate": _gate,
    "impact-record": _impact_record,
    "domain-pack": _domain_pack,
    "service-logs": _service_logs,
}
