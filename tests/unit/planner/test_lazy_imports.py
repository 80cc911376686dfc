"""What a plan imports: the start-up work every CI run pays is kept to what it uses.

Structural checks, never timings: a fresh interpreter runs one command in-process
and reports which modules it loaded. Each module left out here is one a plain
plan does not need (GitPython, sharding, impact selection, the Dockerfile and
compose parsers); a change that imports one of them eagerly fails here, not in a
benchmark run later.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support import GitRepo, cli_env

# Runs one command, then prints which of the watched modules it loaded.
_PROBE = """
import contextlib, io, json, sys
from tiered_ci.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(repo: GitRepo, *args: str) -> set[str]:
    """The modules a fresh interpreter has loaded after `tiered-ci <args>` in `repo`."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=repo.path,
        # Not measured for an impact recording of this suite: that loads coverage.py's
        # modules into the interpreter whose modules this counts.
        env={k: v for k, v in cli_env().items() if k != "TIERED_CI_IMPACT_CHILD"},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return set(report["modules"])


def _feature_change(project: GitRepo) -> None:
    project.write("src/app/d0/a.py", "A = 2\n")
    project.write("services/api/app.py", "print('api 2')\n")
    project.commit("feature work")


@pytest.mark.parametrize("head", [[], ["--head", "HEAD"]], ids=["work tree", "--head"])
def test_a_plan_runs_git_without_gitpython(project: GitRepo, head: list[str]) -> None:
    _feature_change(project)
    modules = loaded_by(project, "plan", "--format", "json", "--base", "main", *head)
    assert "git" not in modules  # GitPython: only fetches and the impact reads import it
    assert "tiered_ci.impact" not in modules  # impact is not enabled
    assert "tiered_ci.shard" not in modules  # no tier has target-seconds
    assert "tiered_ci.images.compose" not in modules  # no services-from
    assert "shutil" not in modules  # argparse's width comes from os (cli._width)


def test_a_plan_without_services_imports_nothing_of_the_images_package(project: GitRepo) -> None:
    config = (project.path / "pyproject.toml").read_text(encoding="utf-8")
    no_services = config.split("[tool.tiered-ci.services.api]")[0]
    project.write("pyproject.toml", no_services)
    project.commit("no services")
    project.write("src/app/d1/b.py", "B = 3\n")

    modules = loaded_by(project, "plan", "--format", "json")

    assert not {m for m in modules if m.startswith("tiered_ci.images")}
    assert "git" not in modules


def test_a_service_without_a_dockerfile_needs_no_dockerfile_parser(project: GitRepo) -> None:
    project.remove("services/api/Dockerfile")
    project.commit("the api's Dockerfile moves elsewhere")
    project.write("services/api/app.py", "print('api 3')\n")

    modules = loaded_by(project, "plan", "--format", "json", "--head", "HEAD", "--base", "main")

    assert "tiered_ci.images.watch" in modules  # the service is still watched
    assert "tiered_ci.images.dockerfile" not in modules


_GC_PROBE = """
import contextlib, gc, io, json, sys
from tiered_ci import cli
cli._StartUp.pause_gc()  # what entry() does before main()
paused = not gc.isenabled()
with contextlib.redirect_stdout(io.StringIO()):
    code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "paused": paused, "enabled": gc.isenabled(),
                  "frozen": gc.get_freeze_count()}))
"""


def test_the_cli_collects_garbage_again_once_started(project: GitRepo) -> None:
    # Start-up runs without the cyclic collector; the command itself runs with it.
    done = subprocess.run(
        [sys.executable, "-c", _GC_PROBE, "plan", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=project.path,
        env=cli_env(),
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0
    assert report["paused"]
    assert report["enabled"]
    assert report["frozen"] > 0  # what start-up built is out of the collector's way
