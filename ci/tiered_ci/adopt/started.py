"""Services a repository's own test workflows start before their tests. Pure.

A web app's test job runs `docker compose up -d db` (or declares a `services:`
container) and then pytest: its tests need a database. tiered-ci's sessions start
only the backing services the table declares, so with none declared the first CI
run fails at the first test that connects. init cannot know the environment and
migrations those tests expect, so it says what it saw and what to declare.
"""

from __future__ import annotations

import re

import yaml

from tiered_ci.adopt.proposal import Proposal, Reader

__all__ = ["started_services"]

_COMPOSE_UP = re.compile(r"docker[ -]compose\b[^\n;&|]*?\bup\b(?P<args>[^\n;&|]*)")
# A step that runs tests: pytest, a test runner driving it (tox, nox), a test script.
_TESTS = re.compile(r"pytest|\btox\b|\bnox\b|\btests?\b|tests?[-_.]|[-_]tests?\b")


def started_services(files: set[str], read: Reader, proposal: Proposal) -> None:
    """A note per workflow job that starts services, then runs tests."""
    for path in sorted(f for f in files if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", f)):
        try:
            data = yaml.safe_load(read(path) or "")
        except yaml.YAMLError:
            continue
        jobs = data.get("jobs") if isinstance(data, dict) else None
        for job_id, job in jobs.items() if isinstance(jobs, dict) else ():
            if not isinstance(job, dict):
                continue
            found = _job_services(job)
            if found:
                proposal.notes.append(_note(path, str(job_id), found))


def _job_services(job: dict[object, object]) -> list[str]:
    """The services a job starts (`services:` containers, `docker compose up` names)
    when one of its later steps runs tests; else none."""
    containers = job.get("services")
    named = [str(n) for n in containers] if isinstance(containers, dict) else []
    steps = job.get("steps")
    runs = (
        [str(s.get("run", "")) for s in steps if isinstance(s, dict)]
        if isinstance(steps, list)
        else []
    )
    tests_from = None
    for index, run in enumerate(runs):
        for match in _COMPOSE_UP.finditer(run):
            names = [t for t in match["args"].split() if not t.startswith("-")]
            named += [n for n in names if n not in named]
            tests_from = index if tests_from is None else tests_from
    if containers and tests_from is None:
        tests_from = 0
    if tests_from is None:
        return []
    later = "\n".join(_COMPOSE_UP.sub("", run) for run in runs[tests_from:])
    return named if _TESTS.search(later) else []


def _note(path: str, job: str, names: list[str]) -> str:
    return (
        f"{path} (job {job}) starts {', '.join(names)} before its tests; tiered-ci's "
        "sessions start only declared services, so tests that connect to them fail: "
        f"declare each one the tests use as [tool.tiered-ci.backing-services.<name>] "
        '(`compose = "<service>"` with `container-port`, or `image`, or a local '
        "`command`), list it in `needs` of the tier or family whose tests use it, and run "
        "a migration or seed step as its `worker-setup` (docs/configuration.md)"
    )
