"""`tiered-ci plan` on a real copy of examples/monorepo, one pull request per scenario.

Each test clones a repository made from the example (committed on main), commits
one kind of change on a branch `feature`, and runs the CLI the way the workflow's
plan job does: `python -m tiered_ci plan --format json --event pull_request --event-path
<payload>`, with a payload shaped like GitHub's (tests/fixtures/events/).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest
from support import PROJECT_ROOT, GitRepo, cli_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = PROJECT_ROOT / "examples" / "monorepo"
EVENTS = PROJECT_ROOT / "tests" / "fixtures" / "events"

ALL_DOMAINS = [
    "d0_gateway",
    "d1_targeting",
    "d2_catalog",
    "d3_billing",
    "d4_notify",
    "d5_reports",
    "common",
]
ALL_SERVICES = ["api", "web", "reports-worker"]
# What a pull request runs when it cannot narrow anything down (triggers.pull_request):
# `unit` stands for the union of every domain shard.
# Mode all fans out: every domain shard in its own job, then the other tiers. The
# example's domains own every folder of tests/unit, so there is no `unit` remainder:
# it would --ignore every folder and collect nothing (issue 18).
PR_ALL_SESSIONS = [
    "quick",
    *(f"domain-shard({d})" for d in ALL_DOMAINS),
    "integration",
    "docker-changed-services",
]

Plan = dict[str, Any]
PlanRunner = Callable[..., Plan]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example as a repository with one commit on main: what a team's remote holds."""
    path = tmp_path_factory.mktemp("upstream") / "monorepo"
    shutil.copytree(
        EXAMPLE,
        path,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", ".nox", ".pytest_cache", ".ruff_cache", "*.egg-info"
        ),
    )
    repo = GitRepo(path)
    repo.commit("the example monorepo")
    return path


@pytest.fixture
def monorepo(upstream: Path, tmp_path: Path) -> GitRepo:
    """A clone of upstream (so origin/main exists, as in CI) on a new branch `feature`."""
    git.Repo.clone_from(str(upstream), str(tmp_path / "work"))
    repo = GitRepo(tmp_path / "work")
    repo.branch("feature")
    return repo


def write_event(name: str, dest: Path, *, base: str, head: str) -> Path:
    """A stored payload (tests/fixtures/events/<name>.json) pointed at real commits."""
    data = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    data["pull_request"]["base"]["sha"] = base
    data["pull_request"]["head"]["sha"] = head
    if "after" in data:  # synchronize: the push that updated the pull request
        data["before"], data["after"] = base, head
    path = dest / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_plan(repo_path: Path, event_path: Path) -> Plan:
    result = subprocess.run(
        (
            sys.executable,
            "-m",
            "tiered_ci",
            "plan",
            "--format",
            "json",
            "--event",
            "pull_request",
            "--event-path",
            str(event_path),
            "--repo",
            str(repo_path),
        ),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    plan: Plan = json.loads(result.stdout)
    return plan


@pytest.fixture
def plan_pr(monorepo: GitRepo, tmp_path: Path) -> PlanRunner:
    """Plan the branch as the pull request `feature` -> main, for a given payload."""

    def run(event: str = "pull_request.synchronize") -> Plan:
        base = str(monorepo.git.rev_parse("origin/main"))
        event_path = write_event(event, tmp_path, base=base, head=monorepo.head())
        return run_plan(monorepo.path, event_path)

    return run


def append(repo: GitRepo, rel: str, text: str = "# reviewed\n") -> None:
    target = repo.path / rel
    before = target.read_text(encoding="utf-8") if target.exists() else ""
    repo.write(rel, before + text)


def reason(target: str, path: str, status: str, rule: str) -> dict[str, str]:
    return {"target": target, "path": path, "status": status, "rule": rule}


# --- (a)-(d): partial plans --------------------------------------------------------


def test_a_domain_module_selects_only_its_shard(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    append(monorepo, "src/app/d2_catalog/index.py")
    monorepo.commit("catalog: tweak the index")
    plan = plan_pr()
    assert plan["mode"] == "partial"
    assert plan["fallback_reason"] is None
    assert plan["domains"] == ["d2_catalog"]
    assert plan["services"] == []
    assert plan["sessions"] == ["quick", "domain-shard(d2_catalog)", "integration"]
    assert plan["matrix"] == {
        "include": [
            {"session": "domain-shard(d2_catalog)", "args": ""},
            {"session": "integration", "args": ""},
        ]
    }
    assert plan["changed"] == [
        {"path": "src/app/d2_catalog/index.py", "status": "modified", "old_path": None}
    ]
    assert (
        reason(
            "domain:d2_catalog",
            "src/app/d2_catalog/index.py",
            "modified",
            "domains.d2_catalog.paths[0]",
        )
        in plan["reasons"]
    )


def test_b_a_domain_test_file_selects_only_its_shard(
    monorepo: GitRepo, plan_pr: PlanRunner
) -> None:
    append(monorepo, "tests/unit/d4_notify/test_templates.py")
    monorepo.commit("notify: one more template test")
    plan = plan_pr()
    assert (plan["mode"], plan["domains"], plan["services"]) == ("partial", ["d4_notify"], [])
    assert "domain-shard(d4_notify)" in plan["sessions"]
    assert [s for s in plan["sessions"] if s.startswith("domain-shard")] == [
        "domain-shard(d4_notify)"
    ]
    assert "docker-changed-services" not in plan["sessions"]
    assert (
        reason(
            "domain:d4_notify",
            "tests/unit/d4_notify/test_templates.py",
            "modified",
            "domains.d4_notify.tests[0]",
        )
        in plan["reasons"]
    )


def test_c_shared_library_selects_its_users(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    append(monorepo, "libs/common/common/money.py")
    monorepo.commit("common: money tweak")
    plan = plan_pr()
    assert plan["mode"] == "partial"
    assert plan["domains"] == ["d1_targeting", "d3_billing", "d5_reports", "common"]
    assert plan["services"] == ["reports-worker"]
    assert plan["sessions"] == [
        "quick",
        "domain-shard(d1_targeting)",
        "domain-shard(d3_billing)",
        "domain-shard(d5_reports)",
        "domain-shard(common)",
        "integration",
        "docker-changed-services",
    ]
    worker_reasons = [r for r in plan["reasons"] if r["target"] == "service:reports-worker"]
    assert [r["path"] for r in worker_reasons] == ["libs/common/common/money.py"]


def test_d_one_dockerfile_selects_that_service_only(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    append(monorepo, "services/web/Dockerfile", 'LABEL org.opencontainers.image.version="2"\n')
    monorepo.commit("web: label the version")
    plan = plan_pr()
    assert (plan["mode"], plan["domains"], plan["services"]) == ("partial", [], ["web"])
    assert "docker-changed-services" in plan["sessions"]
    assert not [s for s in plan["sessions"] if s.startswith("domain-shard")]
    rules = {r["rule"] for r in plan["reasons"] if r["target"] == "service:web"}
    assert rules <= {"services.web.context", "services.web.dockerfile"}
    assert rules


# --- (e)-(h): everything or nothing --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "rule", "text"),
    [
        # A comment alone in pyproject.toml runs nothing (a diff of tables); a table does.
        ("pyproject.toml", "run-all[0]", "\n[tool.touched]\nby-test = 1\n"),
        ("noxfile.py", "run-all[1]", "# touched\n"),
    ],
)
def test_e_a_global_input_runs_everything(
    monorepo: GitRepo, plan_pr: PlanRunner, path: str, rule: str, text: str
) -> None:
    append(monorepo, path, text)
    monorepo.commit(f"touch {path}")
    plan = plan_pr()
    assert plan["mode"] == "all"
    assert plan["fallback_reason"] == f"{path} is a global input ({rule})"
    assert (plan["domains"], plan["services"]) == (ALL_DOMAINS, ALL_SERVICES)
    assert plan["sessions"] == PR_ALL_SESSIONS


def test_f_docs_only_selects_nothing_but_quick(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    append(monorepo, "docs/architecture.md", "\nA note on the outbox.\n")
    append(monorepo, "README.md", "\nSee docs/.\n")
    monorepo.write("docs/faq.md", "# FAQ\n")
    monorepo.commit("docs only")
    plan = plan_pr()
    assert plan["mode"] == "none"
    assert plan["fallback_reason"] is None
    assert (plan["domains"], plan["services"]) == ([], [])
    assert plan["sessions"] == ["quick"]  # triggers.pull_request.always
    assert plan["matrix"] == {"include": []}
    assert len(plan["changed"]) == 3


def test_g_a_rename_across_domains_selects_both(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    monorepo.git.mv("src/app/d2_catalog/index.py", "src/app/d4_notify/index.py")
    monorepo.commit("move the index to notify")
    plan = plan_pr()
    # The planner diffs with --no-renames (rename detection reads blobs, which a partial
    # clone fetches one by one): a move is a delete plus an add, which selects the same.
    assert sorted(plan["changed"], key=lambda c: c["path"]) == [
        {"path": "src/app/d2_catalog/index.py", "status": "deleted", "old_path": None},
        {"path": "src/app/d4_notify/index.py", "status": "added", "old_path": None},
    ]
    assert (plan["mode"], plan["domains"]) == ("partial", ["d2_catalog", "d4_notify"])
    assert {"domain-shard(d2_catalog)", "domain-shard(d4_notify)"} <= set(plan["sessions"])


def test_h_an_unmapped_new_folder_runs_everything(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    monorepo.write("tools/release.py", '"""Cut a release."""\n')
    monorepo.commit("add a release tool")
    plan = plan_pr()
    assert plan["mode"] == "all"
    assert plan["fallback_reason"] == (
        "tools/release.py is claimed by no rule and unmapped = 'run-all'"
    )
    assert (plan["domains"], plan["services"]) == (ALL_DOMAINS, ALL_SERVICES)
    assert (
        reason("unmapped", "tools/release.py", "added", "unmapped = 'run-all'") in (plan["reasons"])
    )


# --- (i)-(j): trigger and clone shapes -----------------------------------------------


def test_i_ready_for_review_runs_the_full_suite(monorepo: GitRepo, plan_pr: PlanRunner) -> None:
    append(monorepo, "src/app/d2_catalog/index.py")
    monorepo.commit("catalog: tweak the index")
    opened = plan_pr("pull_request.opened")
    assert "full-e2e" not in opened["sessions"]
    plan = plan_pr("pull_request.ready_for_review")
    assert plan["mode"] == "all"
    assert "full-e2e" in plan["sessions"]
    assert (plan["domains"], plan["services"]) == (ALL_DOMAINS, ALL_SERVICES)
    assert plan["fallback_reason"] == (
        "ready_for_review runs the full suite (triggers.ready_for_review.always has full-e2e)"
    )


def test_j_shallow_clone_without_the_base_runs_everything(
    monorepo: GitRepo, tmp_path: Path
) -> None:
    append(monorepo, "src/app/d2_catalog/index.py")
    head = monorepo.commit("catalog: tweak the index")
    base = str(monorepo.git.rev_parse("origin/main"))
    shallow = tmp_path / "shallow"
    git.Repo.clone_from(
        f"file://{monorepo.path}", str(shallow), depth=1, branch="feature", no_tags=True
    )
    clone = git.Repo(shallow)
    assert clone.git.rev_parse("--is-shallow-repository") == "true"
    # The runner's origin is gone (e.g. no token left to fetch with): nothing can be deepened.
    clone.git.remote("set-url", "origin", str(tmp_path / "missing-remote"))
    event = write_event("pull_request.synchronize", tmp_path, base=base, head=head)
    plan = run_plan(shallow, event)
    assert plan["mode"] == "all"
    assert plan["fallback_reason"] == (
        "branch 'main' is not in this clone (neither origin/main nor main) and cannot be "
        "fetched; fetch it (actions/checkout fetch-depth: 0) or pass --base"
    )
    assert plan["head"] == head
    assert plan["base"] is None
    assert (plan["domains"], plan["services"]) == (ALL_DOMAINS, ALL_SERVICES)
    assert plan["sessions"] == PR_ALL_SESSIONS
