"""The whole flow on a copy of examples/monorepo: plan, then the planned nox sessions for real.

One copy serves the module: a repository made from the example (committed on
main), cloned so that origin/main exists as in CI. Each scenario resets the
branch `feature` to origin/main, makes one kind of change, plans it the way the
workflow's plan job does (`--event pull_request` with a stored payload), and runs
every entry of the plan's matrix with `nox -s <session> -- <args>` in the copy,
with this checkout installed as tiered-ci (the sessions install the tiered-ci that runs nox). What ran is read
back from the junit XML the sessions write and from the local image store:
images are really built (the example's Dockerfiles are `FROM scratch` + COPY).

The sessions' virtualenvs live in the copy's .nox/ and are reused across
scenarios, so only the first run of each session pays for its installs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest
from support import PROJECT_ROOT, GitRepo, git_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = PROJECT_ROOT / "examples" / "monorepo"
EVENTS = PROJECT_ROOT / "tests" / "fixtures" / "events"
SERVICES = ("api", "web", "reports-worker")
DOCKER_SESSION = "docker-changed-services"
IMAGE_STORE = shutil.which("buildah")
needs_buildah = pytest.mark.skipif(
    IMAGE_STORE is None, reason="no buildah to list the built images: apt-get install -y buildah"
)

Plan = dict[str, Any]


@dataclass(slots=True)
class Shop:
    """The clone of the example in which the scenarios plan and run their sessions."""

    repo: GitRepo
    scratch: Path  # event payloads live here, outside the work tree

    @property
    def path(self) -> Path:
        return self.repo.path

    def start(self) -> None:
        """Branch `feature` afresh from origin/main; keep .nox (ignored) for reuse."""
        self.repo.git.checkout("-q", "-B", "feature", "origin/main")
        self.repo.git.reset("-q", "--hard")
        self.repo.git.clean("-q", "-f", "-d")  # untracked, not ignored: no -x
        shutil.rmtree(self.path / "reports", ignore_errors=True)

    def append(self, rel: str, text: str = "# reviewed\n") -> None:
        target = self.path / rel
        self.repo.write(rel, target.read_text(encoding="utf-8") + text)

    def pull_request_event(self) -> Path:
        """A synchronize payload for `feature` -> main pointed at the real commits."""
        data = json.loads((EVENTS / "pull_request.synchronize.json").read_text(encoding="utf-8"))
        base = str(self.repo.git.rev_parse("origin/main"))
        head = self.repo.head()
        data["pull_request"]["base"]["sha"], data["pull_request"]["head"]["sha"] = base, head
        data["before"], data["after"] = base, head
        event = self.scratch / f"pull_request-{head[:12]}.json"
        event.write_text(json.dumps(data), encoding="utf-8")
        return event

    def plan(self) -> Plan:
        """`tiered-ci plan` as the workflow's plan job runs it, from this checkout."""
        event = self.pull_request_event()
        result = subprocess.run(
            (
                *(sys.executable, "-m", "tiered_ci", "plan", "--format", "json"),
                *("--event", "pull_request", "--event-path", str(event), "--repo", str(self.path)),
            ),
            env={**session_env(), "PYTHONPATH": str(PROJECT_ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        plan: Plan = json.loads(result.stdout)
        return plan

    def nox(self, *args: str) -> str:
        """Run nox in the copy; returns stdout + stderr, failing the test on a non-zero exit."""
        result = subprocess.run(
            (sys.executable, "-m", "nox", *args),
            cwd=self.path,
            env=session_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"nox {' '.join(args)} exited {result.returncode}:\n{output}"
        return output

    def run_matrix(self, plan: Plan, *, docker_args: Sequence[str] = ()) -> str:
        """Every matrix entry with `nox -s <session> -- <args>`, as the matrix jobs do.

        Test sessions with the same args share one nox call (one startup, same
        result); the image build gets `docker_args` after its own args.
        """
        by_args: dict[str, list[str]] = {}
        docker_entry: dict[str, str] | None = None
        for entry in plan["matrix"]["include"]:
            if entry["session"] == DOCKER_SESSION:
                docker_entry = entry
            else:
                by_args.setdefault(entry["args"], []).append(entry["session"])
        outputs = [
            self.nox("-s", *sessions, "--", *args.split()) for args, sessions in by_args.items()
        ]
        if docker_entry is not None:
            extra = [*docker_entry["args"].split(), *docker_args]
            outputs.append(self.nox("-s", DOCKER_SESSION, "--", *extra))
        return "\n".join(outputs)

    def junit_cases(self, session: str) -> list[str]:
        """`classname::name` of every testcase in reports/junit-<session slug>.xml."""
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", session).strip("-")  # noxfile.data_slug
        tree = ET.parse(self.path / "reports" / f"junit-{slug}.xml")  # noqa: S314 - our own file
        return [f"{c.get('classname')}::{c.get('name')}" for c in tree.iter("testcase")]

    def reports(self) -> list[str]:
        return sorted(p.name for p in (self.path / "reports").glob("junit-*.xml"))


def session_env() -> dict[str, str]:
    """nox's environment: pinned git identity, no CI or outer-pytest variables."""
    env = {k: v for k, v in git_env().items() if not k.startswith(("PYTEST_", "COV_"))}
    # The sessions install this checkout as tiered-ci (noxfile.tiered_ci()).
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE"):
        env.pop(name, None)  # the copy's runs are not this suite's coverage
    return env


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """The example committed on main in an upstream repository, and a clone of it."""
    base = tmp_path_factory.mktemp("sessions")
    upstream = base / "upstream"
    shutil.copytree(
        EXAMPLE,
        upstream,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", ".nox", ".pytest_cache", ".ruff_cache", "reports"
        ),
    )
    GitRepo(upstream).commit("the example monorepo")
    git.Repo.clone_from(str(upstream), str(base / "work"))
    (base / "events").mkdir()
    return Shop(GitRepo(base / "work"), base / "events")


@pytest.fixture
def tag() -> Iterator[str]:
    """A tag no other run uses; every image carrying it is removed afterwards."""
    unique = f"e2e-{uuid.uuid4().hex[:12]}"
    yield unique
    tagged = [ref for ref in images() if ref.endswith(f":{unique}")]
    if tagged and IMAGE_STORE:
        subprocess.run([IMAGE_STORE, "rmi", "-f", *tagged], capture_output=True, check=False)


def images() -> list[str]:
    """`name:tag` of every image in the local store (buildah and podman share it)."""
    if IMAGE_STORE is None:
        return []
    listing = subprocess.run(
        [IMAGE_STORE, "images", "--format", "{{.Name}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return listing.stdout.split()


def with_tag(tag: str) -> list[str]:
    return sorted(ref for ref in images() if ref.endswith(f":{tag}"))


def domain_of(case: str) -> str:
    """The unit-test folder a junit testcase comes from: tests.unit.<folder>.<module>..."""
    parts = case.split("::", maxsplit=1)[0].split(".")
    assert parts[:2] == ["tests", "unit"], case
    return parts[2]


def ran_sessions(output: str) -> list[str]:
    prefix = "nox > Running session "
    return [line.removeprefix(prefix) for line in output.splitlines() if line.startswith(prefix)]


# --- (a) one domain's module --------------------------------------------------------


def test_a_domain_change_runs_only_that_domains_tests(shop: Shop) -> None:
    shop.start()
    shop.append("src/app/d2_catalog/index.py")
    shop.repo.commit("catalog: tweak the index")
    plan = shop.plan()
    assert (plan["mode"], plan["domains"], plan["services"]) == ("partial", ["d2_catalog"], [])
    sessions = [entry["session"] for entry in plan["matrix"]["include"]]
    assert sessions == ["domain-shard(d2_catalog)", "integration"]

    output = shop.run_matrix(plan)

    assert ran_sessions(output) == sessions
    assert DOCKER_SESSION not in output
    shard = shop.junit_cases("domain-shard(d2_catalog)")
    assert shard
    assert {domain_of(case) for case in shard} == {"d2_catalog"}
    integration = shop.junit_cases("integration")
    assert integration
    assert all(case.startswith("tests.integration.") for case in integration)
    assert shop.reports() == ["junit-domain-shard-d2_catalog.xml", "junit-integration.xml"]


# --- (b) one service's Dockerfile ---------------------------------------------------


@needs_buildah
def test_b_a_dockerfile_change_builds_exactly_that_image(shop: Shop, tag: str) -> None:
    shop.start()
    shop.append("services/api/Dockerfile", 'LABEL org.opencontainers.image.version="2"\n')
    shop.repo.commit("api: label the version")
    plan = shop.plan()
    assert (plan["mode"], plan["domains"], plan["services"]) == ("partial", [], ["api"])
    assert DOCKER_SESSION in [entry["session"] for entry in plan["matrix"]["include"]]
    assert not [s for s in plan["sessions"] if s.startswith("domain-shard")]

    # The build job passes the trigger on too: it must select what the plan selected.
    event = ["--event", "pull_request", "--event-path", str(shop.pull_request_event())]
    output = shop.run_matrix(plan, docker_args=["--tag", tag, *event])

    assert "tiered-ci build: building the services the change affects" in output
    assert "  api: services/api/Dockerfile (services.api.dockerfile)" in output
    assert f"tiered-ci build: built 1 image: ghcr.io/your-org/monorepo-api:{tag}" in output
    assert with_tag(tag) == [f"ghcr.io/your-org/monorepo-api:{tag}"]


# --- (c) the shared library ---------------------------------------------------------


@needs_buildah
def test_c_a_shared_library_change_runs_its_users_and_builds_the_worker(
    shop: Shop, tag: str
) -> None:
    shop.start()
    shop.append("libs/common/common/money.py")
    shop.repo.commit("common: money tweak")
    plan = shop.plan()
    users = ["d1_targeting", "d3_billing", "d5_reports", "common"]
    assert (plan["mode"], plan["domains"], plan["services"]) == (
        "partial",
        users,
        ["reports-worker"],
    )

    # Locally (no event flags) the build compares the branch with origin/main.
    output = shop.run_matrix(plan, docker_args=["--tag", tag])

    assert ran_sessions(output) == [entry["session"] for entry in plan["matrix"]["include"]]
    for domain in users:
        cases = shop.junit_cases(f"domain-shard({domain})")
        assert cases, domain
        assert {domain_of(case) for case in cases} == {domain}
    # The root-context image copies libs/common: its Dockerfile's COPY (or paths) claims it.
    assert "  reports-worker: libs/common/common/money.py (services.reports-worker." in output
    assert with_tag(tag) == [f"ghcr.io/your-org/monorepo-reports-worker:{tag}"]


# --- (d) `nox -s ci` ------------------------------------------------------------------


def test_d_ci_session_prints_the_plan_and_runs_exactly_its_sessions(shop: Shop) -> None:
    shop.start()
    # Not committed: a local run sees the work tree. Formatted, because `quick` checks that.
    shop.append("src/app/d4_notify/templates.py", "\n\nREVIEWED = True\n")

    output = shop.nox("-s", "ci")

    printed, _ = json.JSONDecoder().raw_decode(output[output.index('{\n  "version"') :])
    assert printed["event"] == "local"
    assert printed["domains"] == ["d4_notify"]
    assert printed["sessions"] == ["quick", "domain-shard(d4_notify)", "integration"]
    assert ran_sessions(output) == ["ci", *printed["sessions"]]
    assert "nox > * domain-shard(d4_notify): success" in output
    cases = shop.junit_cases("domain-shard(d4_notify)")
    assert cases
    assert {domain_of(case) for case in cases} == {"d4_notify"}
    assert shop.reports() == [
        "junit-domain-shard-d4_notify.xml",
        "junit-integration.xml",
        "junit-quick.xml",
    ]
