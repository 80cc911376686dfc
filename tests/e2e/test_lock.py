"""Sessions install the versions the repository's lock pins (real nox, offline).

`tcpin` 2.0 is the newest release in the find-links folder; the project's
`uv.lock` pins 1.0 and its test asserts 1.0: it passes only if the session
installed what the lock says.
"""

from __future__ import annotations

import subprocess

import pytest
from lock_fixtures import LockedProject
from support import run_nox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def unit(project: LockedProject) -> subprocess.CompletedProcess[str]:
    return run_nox(project.repo.path, "-s", "unit", extra=project.env)


def test_a_session_installs_the_locked_version_not_the_newest(
    locked_project: LockedProject,
) -> None:
    done = unit(locked_project)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "installing with the 1 pins of uv.lock" in done.stderr
    assert "1 passed" in done.stdout + done.stderr


def test_lock_false_installs_the_newest_release(locked_project: LockedProject) -> None:
    pyproject = locked_project.repo.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.tiered-ci]\n", "[tool.tiered-ci]\nlock = false\n")
    )

    done = unit(locked_project)

    # The newest tcpin (2.0) went in: the test that wants the locked 1.0 fails.
    assert done.returncode != 0
    assert "assert '2.0' == '1.0'" in done.stdout + done.stderr
    assert "pins of uv.lock" not in done.stderr


def test_a_stale_lock_is_named_and_its_pins_still_used(locked_project: LockedProject) -> None:
    pyproject = locked_project.repo.path / "pyproject.toml"
    text = pyproject.read_text().replace('dependencies = ["tcpin"]', 'dependencies = ["tcpin<3"]')
    pyproject.write_text(text)

    done = unit(locked_project)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "uv.lock is stale: it does not match the project's requirements" in done.stderr
    assert "run `uv lock` and commit uv.lock" in done.stderr
    # A reused environment says it again: the pins it holds are still the stale lock's.
    again = unit(locked_project)
    assert "environment up to date" in again.stderr
    assert "uv.lock is stale" in again.stderr


def test_a_relocked_version_rebuilds_the_environment(locked_project: LockedProject) -> None:
    assert unit(locked_project).returncode == 0
    locked_project.lock()  # `uv lock` now sees 2.0 and keeps 1.0 (no upgrade asked)
    (locked_project.repo.path / "uv.lock").write_text(
        (locked_project.repo.path / "uv.lock").read_text() + "\n"
    )

    done = unit(locked_project)

    assert "install inputs changed" in done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
