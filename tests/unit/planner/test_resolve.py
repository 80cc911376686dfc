"""`check-config --resolve`: each session's install, resolved by the real uv, offline.

uv resolves against a local wheel folder (`UV_FIND_LINKS`, `UV_NO_INDEX`, `UV_OFFLINE`)
and in-repo path requirements, so these tests need no package index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import TOOL_GROUPS, GitRepo, cli_env

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv on PATH")

CONFIG = """\
[tool.tiered-ci]

[tool.tiered-ci.tiers.quick]
run-pytest = false

[tool.tiered-ci.tiers.quick.install]
root = false
packages = ["localdep"]

[tool.tiered-ci.domain-families.pkgs]
folders = "pkgs/*"
python = ["3.11"]

[tool.tiered-ci.domain-families.pkgs.install]
root = false
editable = ["{folder}"]

[tool.tiered-ci.domain-families.pkgs.members.old.install]
root = false
editable = ["{folder}"]

[tool.tiered-ci.domain-families.pkgs.members.old]
python = ["3.10"]
"""


def wheel(folder: Path, name: str, version: str) -> None:
    """A minimal pure-Python wheel: what a `--find-links` folder holds."""
    dist = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(
            f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        archive.writestr(
            f"{dist}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{dist}/RECORD", "")


def package(name: str, *, requires: str = "", python: str = ">=3.9") -> dict[str, str]:
    return {
        f"pkgs/{name}/pyproject.toml": (
            f'[project]\nname = "{name}"\nversion = "1"\nrequires-python = "{python}"\n'
            f"dependencies = [{requires}]\n"
        ),
        f"pkgs/{name}/src/{name}/__init__.py": "",
        f"pkgs/{name}/tests/test_{name}.py": "def test(): pass\n",
    }


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    wheel(folder, "localdep", "1.0")
    return folder


def check(repo: GitRepo, wheels: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"UV_OFFLINE": "1", "UV_NO_INDEX": "1", "UV_FIND_LINKS": str(wheels)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "tiered_ci", "check-config", "--resolve", "--repo", str(repo.path)],
        capture_output=True,
        text=True,
        env=cli_env(env),
        check=False,
    )


def test_every_session_resolves(repo: GitRepo, wheels: Path) -> None:
    repo.write_many(
        {
            "pyproject.toml": TOOL_GROUPS + CONFIG,
            **package("a", requires='"localdep>=1"'),
            **package("old", requires='"a"'),
        }
    )
    # `old` needs `a`, which no index serves: it resolves as an in-repo path requirement.
    repo.write(
        "pkgs/old/pyproject.toml",
        (repo.path / "pkgs/old/pyproject.toml")
        .read_text()
        .replace('["a"]', f'["a @ file://{repo.path}/pkgs/a"]'),
    )
    repo.commit("packages")

    done = check(repo, wheels)

    source = repo.path / "pyproject.toml"
    assert done.stdout.splitlines() == [
        f"{source}: resolve: quick (Python {sys.version_info.major}.{sys.version_info.minor}): OK",
        f"{source}: resolve: domain-shard(a-3.11) (Python 3.11): OK",
        f"{source}: resolve: domain-shard(old-3.10) (Python 3.10): OK",
        f"{source}: OK (2 domains, 0 services, 1 tiers)",
    ], done.stderr
    assert done.returncode == 0


def test_what_cannot_resolve_is_reported_per_session(repo: GitRepo, wheels: Path) -> None:
    repo.write_many(
        {
            "pyproject.toml": TOOL_GROUPS + CONFIG,
            **package("a", requires='"localdep>=2"'),  # the folder holds 1.0 only
            **package("old", python=">=3.12"),  # its session runs on 3.10
        }
    )
    repo.commit("packages")

    done = check(repo, wheels)

    source = repo.path / "pyproject.toml"
    lines = done.stdout.splitlines()
    assert done.returncode == 1
    # Seen without uv too: the session's Python is one its project excludes.
    assert lines[0] == (
        f"{source}: tool.tiered-ci.domain-families.pkgs.members.old.python: "
        "domain-shard(old-3.10) runs on Python 3.10, but pkgs/old/pyproject.toml has "
        "requires-python '>=3.12', so its install fails: use 3.12"
    )
    lines = lines[1:]
    assert lines[1] == f"{source}: resolve: domain-shard(a-3.11) (Python 3.11): cannot resolve:"
    assert "localdep>=2" in "\n".join(lines[2:])
    at = next(i for i, line in enumerate(lines) if "domain-shard(old-3.10)" in line)
    assert lines[at] == f"{source}: resolve: domain-shard(old-3.10) (Python 3.10): cannot resolve:"
    assert "3.12" in lines[at + 1] or "3.12" in "\n".join(lines[at + 1 : at + 6])
    assert lines[-1] == f"3 finding(s) in {source} (2 domains, 0 services, 1 tiers)"


def test_no_uv_is_exit_2_before_any_output(repo: GitRepo, wheels: Path, tmp_path: Path) -> None:
    repo.write_many({"pyproject.toml": TOOL_GROUPS + CONFIG, **package("a")})
    repo.commit("packages")
    bare = tmp_path / "bin"
    bare.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bare / "git").symlink_to(git)

    done = check(repo, wheels, path=str(bare))

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "tiered-ci check-config: error: check-config --resolve: uv is not on PATH; install it "
        "(`pip install uv`, or see its documentation) or run check-config without --resolve\n"
    )


def tiers(*, quick: str, unit: str) -> str:
    """A table whose quick and unit sessions install one requirement each, no root."""
    return (
        "[tool.tiered-ci]\n\n[tool.tiered-ci.tiers.quick]\nrun-pytest = false\n\n"
        f'[tool.tiered-ci.tiers.quick.install]\nroot = false\npackages = ["{quick}"]\n\n'
        f'[tool.tiered-ci.tiers.unit.install]\nroot = false\npackages = ["{unit}"]\n'
    )


def lock(repo: GitRepo, wheels: Path) -> None:
    """`uv lock` offline, against the wheel folder as it is now."""
    env = cli_env({"UV_OFFLINE": "1", "UV_NO_INDEX": "1", "UV_FIND_LINKS": str(wheels)})
    subprocess.run(["uv", "lock", "--directory", str(repo.path)], env=env, check=True)


LOCKED = """\
[project]
name = "app"
version = "1"
requires-python = ">=3.10"
dependencies = ["localdep"]

""" + tiers(quick="localdep>=2", unit="localdep")


def test_sessions_resolve_under_the_lock_they_install_with(repo: GitRepo, wheels: Path) -> None:
    # The lock pins localdep 1.0 (locked while the folder held only 1.0). The sessions
    # install with its pins as constraints, so `localdep>=2` fails in CI although 2.0
    # is available: --resolve must say so, and must pass once the lock is switched off.
    repo.write("pyproject.toml", LOCKED)
    lock(repo, wheels)
    wheel(wheels, "localdep", "2.0")
    repo.commit("locked")

    done = check(repo, wheels)

    source = repo.path / "pyproject.toml"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert lines[0] == f"{source}: resolve: quick (Python {python}): cannot resolve:"
    assert "localdep" in "\n".join(lines[1:-1])

    repo.write(
        "pyproject.toml", LOCKED.replace("[tool.tiered-ci]\n", "[tool.tiered-ci]\nlock = false\n")
    )
    repo.commit("no lock")

    done = check(repo, wheels)

    assert done.stdout.splitlines()[0] == f"{source}: resolve: quick (Python {python}): OK"
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_lock_uv_cannot_export_is_a_resolve_failure(repo: GitRepo, wheels: Path) -> None:
    repo.write_many({"pyproject.toml": LOCKED, "uv.lock": "this is no lock\n"})
    repo.commit("broken lock")
    wheel(wheels, "localdep", "2.0")  # without the lock, every session would resolve

    done = check(repo, wheels)

    source = repo.path / "pyproject.toml"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        f"{source}: resolve: quick (Python {python}): cannot resolve:",
        "    uv.lock: `uv export` failed:",
    ]
    assert done.returncode == 1


CONFLICTING = """\
[project]
name = "app"
version = "1"
requires-python = ">=3.10"
dependencies = ["lib"]

[dependency-groups]
dev = ["localdep==1.0"]

[tool.uv.sources]
lib = { workspace = true }

[tool.uv.workspace]
members = ["lib"]

[tool.uv]
conflicts = [[{ package = "lib", extra = "new" }, { package = "app", group = "dev" }]]

""" + tiers(quick="localdep", unit="localdep>=2")

LIB = """\
[project]
name = "lib"
version = "1"
requires-python = ">=3.10"
dependencies = []

[project.optional-dependencies]
new = ["localdep==2.0"]
"""


def test_a_lock_with_conflicting_extras_pins_what_uv_can_export(
    repo: GitRepo, wheels: Path
) -> None:
    # The shape of a real uv workspace: the root's `dev` group and a member's extra are
    # declared conflicting, so uv refuses to export every group and extra at once. The
    # sessions then install with the pins of the widest export uv accepts (here: the
    # groups, so localdep 1.0), instead of failing on `uv export`.
    wheel(wheels, "localdep", "2.0")
    repo.write_many({"pyproject.toml": CONFLICTING, "lib/pyproject.toml": LIB})
    lock(repo, wheels)
    repo.commit("locked with conflicts")

    done = check(repo, wheels)

    source = repo.path / "pyproject.toml"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines = done.stdout.splitlines()
    assert lines[0] == f"{source}: resolve: quick (Python {python}): OK", done.stdout
    # unit asks localdep>=2, which the groups' pin (1.0) rules out, as it would in CI.
    assert lines[1] == f"{source}: resolve: unit, full-e2e (Python {python}): cannot resolve:"
    assert "localdep" in "\n".join(lines[2:-1])
    assert done.returncode == 1


def test_sessions_naming_no_python_resolve_on_the_callers(repo: GitRepo, wheels: Path) -> None:
    """CI runs a session that names no Python on the caller's `python-version`: that
    is the version to resolve on, not the one running check-config."""
    repo.write_many(
        {
            "pyproject.toml": tiers(quick="localdep", unit="localdep"),
            ".github/workflows/ci.yml": (
                "on: push\njobs:\n  tiered-ci:\n"
                "    uses: acme/tiered-ci/.github/workflows/tiered-ci.yml@v1\n"
                '    with:\n      python-version: "3.13"\n'
            ),
        }
    )
    repo.commit("a caller on 3.13")

    done = check(repo, wheels)

    source = repo.path / "pyproject.toml"
    assert f"{source}: resolve: quick, unit, full-e2e (Python 3.13): OK" in done.stdout, done.stdout
    assert done.returncode == 0, done.stdout


def test_a_familys_package_without_tests_is_not_resolved(repo: GitRepo, wheels: Path) -> None:
    """A package of a family with no tests (a Rust crate's Python packaging beside
    the plugins) has a shard that skips before installing: resolving its install
    would build it for nothing, and fail where its toolchain is missing."""
    repo.write_many(
        {
            "pyproject.toml": (
                "[tool.tiered-ci]\n\n[tool.tiered-ci.tiers.quick]\nrun-pytest = false\n\n"
                '[tool.tiered-ci.tiers.quick.install]\nroot = false\npackages = ["localdep"]\n\n'
                '[tool.tiered-ci.domain-families.pkgs]\nfolders = "pkgs/*"\n\n'
                "[tool.tiered-ci.domain-families.pkgs.install]\nroot = false\n"
                'editable = ["{folder}"]\n'
            ),
            **package("a", requires='"localdep>=1"'),
            "pkgs/native/pyproject.toml": (
                '[project]\nname = "native"\nversion = "1"\ndependencies = ["nowhere>=1"]\n'
            ),
            "pkgs/native/src/native/__init__.py": "",
        }
    )
    repo.commit("a package with tests and one without")

    done = check(repo, wheels)

    assert "domain-shard(native)" not in done.stdout, done.stdout
    assert "resolve: domain-shard(a)" in done.stdout
    assert done.returncode == 0, done.stdout


ADDOPTS = """\
[project]
name = "shop"
version = "1"
requires-python = ">=3.9"

[tool.pytest.ini_options]
addopts = "-n 2 --cov=shop"

[tool.tiered-ci]

[tool.tiered-ci.tiers.quick]
run-pytest = false

[tool.tiered-ci.tiers.quick.install]
root = false
packages = ["localdep"]

[tool.tiered-ci.tiers.unit]
paths = ["tests"]

[tool.tiered-ci.tiers.unit.install]
root = true
packages = ["pytest", "pytest-cov"]
"""


def test_an_install_that_lacks_a_plugin_pytests_addopts_need_is_a_finding(
    repo: GitRepo, wheels: Path
) -> None:
    """It resolves, but pytest would stop at once: `-n 2` with no pytest-xdist."""
    for name in ("pytest", "pytest-cov", "pytest-xdist"):
        wheel(wheels, name.replace("-", "_"), "1.0")
    repo.write_many({"pyproject.toml": ADDOPTS, "tests/test_shop.py": "def test(): pass\n"})
    repo.commit("addopts with xdist, an install without it")

    done = check(repo, wheels)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "pytest would stop:\n    pyproject.toml: -n needs pytest-xdist\n" in done.stdout
    assert "--cov=shop needs" not in done.stdout  # pytest-cov is there
    repo.write("pyproject.toml", ADDOPTS.replace('"pytest-cov"]', '"pytest-cov", "pytest-xdist"]'))
    repo.commit("xdist added")
    fixed = check(repo, wheels)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
