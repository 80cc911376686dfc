"""A tiny project whose `uv.lock` pins an older release of its one dependency.

Offline: the dependency (`tcpin`, a made-up name no index serves) is two wheels
written here into a find-links folder; the lock is made while only 1.0 is there,
then 2.0 "is released" (its wheel appears beside it). Sessions then install
with UV_OFFLINE=1 and UV_FIND_LINKS pointing at that folder: pytest, hatchling
and tiered-ci's own dependencies come from uv's cache.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from support import GitRepo

__all__ = ["LockedProject", "locked_project", "write_wheel"]

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["tcpin"]

[tool.hatch.build.targets.wheel]
packages = ["demo"]

[tool.tiered-ci]
run-all = ["pyproject.toml", "uv.lock"]

# pytest is not in the lock: the session adds it, unpinned, beside the project.
[tool.tiered-ci.tiers.unit]
paths = ["tests"]
install = { packages = ["pytest"] }

[tool.pytest.ini_options]
addopts = ["-p", "no:randomly", "-p", "no:cacheprovider"]
"""

NOXFILE = """\
import tiered_ci.nox

tiered_ci.nox.register()
"""

TEST = """\
import tcpin


def test_the_locked_release_is_installed():
    assert tcpin.VERSION == "1.0"
"""


def write_wheel(folder: Path, name: str, version: str) -> Path:
    """A pure-Python wheel of `name` whose module says its version (`VERSION`)."""
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'VERSION = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{path},sha256={encoded},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


class LockedProject:
    """The committed project, its find-links folder and the environment nox needs."""

    def __init__(self, repo: GitRepo, links: Path) -> None:
        self.repo = repo
        self.links = links

    @property
    def env(self) -> dict[str, str]:
        return {"UV_OFFLINE": "1", "UV_FIND_LINKS": str(self.links)}

    def lock(self) -> None:
        """`uv lock` with what the find-links folder holds now."""
        uv = shutil.which("uv")
        assert uv is not None, "the e2e tests need uv"
        subprocess.run(
            [uv, "lock", "--offline", "--find-links", str(self.links)],
            cwd=self.repo.path,
            check=True,
            capture_output=True,
        )


@pytest.fixture
def locked_project(repo: GitRepo, tmp_path: Path) -> LockedProject:
    """demo 0.1.0 depending on tcpin, locked at tcpin 1.0; tcpin 2.0 released since."""
    links = tmp_path / "links"
    links.mkdir()
    write_wheel(links, "tcpin", "1.0")
    repo.write_many(
        {
            "pyproject.toml": PYPROJECT,
            "noxfile.py": NOXFILE,
            "demo/__init__.py": "",
            "tests/test_pin.py": TEST,
            ".gitignore": ".nox/\nreports/\n.coverage*\n",
        }
    )
    project = LockedProject(repo, links)
    project.lock()
    repo.commit("demo, locked")
    write_wheel(links, "tcpin", "2.0")
    return project
