"""examples/monorepo as an adopter has it, copied into its own repository with no
edits, runs every trigger end to end under act (issue 18). Each test asserts which
jobs ran (the others were skipped), how each ended, and which nox sessions ran with
which arguments, from act's JSON log."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import MARKS, PROJECT, ActRun, Scenario, Shared

pytestmark = list(MARKS)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """This checkout as `your-org/tiered-ci`, the stand-ins and the tool folder."""
    return Shared(tmp_path_factory.mktemp("act"))


EXAMPLE = PROJECT / "examples" / "monorepo"
PACKAGES = PROJECT / "examples" / "packages-monorepo"
SHARDS = [
    f"domain-shard({d})"
    for d in (
        "common",
        "d0_gateway",
        "d1_targeting",
        "d2_catalog",
        "d3_billing",
        "d4_notify",
        "d5_reports",
    )
]


@pytest.fixture
def shop(shared: Shared, tmp_path: Path) -> Scenario:
    return Scenario(shared, tmp_path, "acme/shop", EXAMPLE)


def passed(act_run: ActRun, /, **jobs: int) -> None:
    """Exactly these jobs ran (every other job of the workflow was skipped), each of
    their `count` matrix entries succeeded, and act exited 0."""
    expected = {job: ["success"] * count for job, count in jobs.items()}
    assert (act_run.returncode, act_run.results()) == (0, expected), act_run.summary()


def entries(*sessions: str) -> list[dict[str, str]]:
    return sorted(({"session": s, "args": ""} for s in sessions), key=lambda m: m["session"])


def test_pull_request_touching_one_domain(shop: Scenario) -> None:
    git_branch(shop, "catalog")
    shop.commit(shop.append("src/app/d2_catalog/index.py", "# tweak\n"))

    run = shop.act("pull_request", ".github/workflows/ci.yml", shop.pull_request("catalog"))

    passed(run, plan=1, quick=1, run=2, coverage=1, gate=1)
    assert run.matrix_of("run") == entries("domain-shard(d2_catalog)", "integration")
    assert run.sessions() == {
        "plan": ["plan"],
        "quick": ["quick"],
        "run": ["domain-shard(d2_catalog)", "integration"],
        "coverage": ["coverage"],
        "gate": ["gate"],
    }


def test_docs_only_pull_request_runs_quick_and_the_gate(shop: Scenario) -> None:
    git_branch(shop, "docs")
    shop.commit(shop.append("docs/architecture.md", "\nMore prose.\n"))

    run = shop.act("pull_request", ".github/workflows/ci.yml", shop.pull_request("docs"))

    # The matrix is empty: `run` is skipped (has-matrix), so is coverage after it.
    passed(run, plan=1, quick=1, gate=1)
    assert run.sessions() == {"plan": ["plan"], "quick": ["quick"], "gate": ["gate"]}


def test_partial_push_to_main_runs_every_shard_and_no_empty_unit(shop: Scenario) -> None:
    before = shop.head()
    shop.commit(shop.append("src/app/d2_catalog/index.py", "# tweak\n"))

    run = shop.act("push", ".github/workflows/ci.yml", shop.push_event(before))

    # Issue 18's red row: `unit` with every folder --ignore'd collected nothing (exit 5).
    passed(run, plan=1, quick=1, run=8, coverage=1, gate=1)
    assert run.matrix_of("run") == entries(*SHARDS, "integration")
    assert "unit" not in run.sessions()["run"]


def test_push_to_main_of_a_run_all_file_builds_and_pushes_to_the_login_registry(
    shop: Scenario,
) -> None:
    before = shop.head()
    shop.commit(shop.append("Makefile", "\n# touched\n"))  # `run-all`: everything runs

    run = shop.act("push", ".github/workflows/ci.yml", shop.push_event(before))

    # push_default runs quick and unit always: mode all makes that every shard, plus
    # integration and every image (no e2e: that is merge queue and nightly).
    sessions = sorted([*SHARDS, "integration", "docker-changed-services"])
    passed(run, plan=1, quick=1, run=len(sessions), images=1, coverage=1, gate=1)
    assert [m["session"] for m in run.matrix_of("run")] == sessions
    # The run job leaves building to the images job on a push that publishes.
    assert "docker-changed-services" not in run.sessions()["run"]
    assert run.sessions()["images"] == ["docker-changed-services"]
    logins = [r["registry"] for r in run.records if r["action"] == "login"]
    pushes = [r["args"] for r in run.records if r["action"] == "buildah push"]
    # (No password under act: a called workflow gets no secrets.GITHUB_TOKEN there.)
    assert logins == ["ghcr.io"]
    # Issue 18's red row: the images were named localhost/..., pushed where no login was.
    assert sorted({p.split(":")[0] for p in pushes}) == [
        f"ghcr.io/your-org/monorepo-{name}" for name in ("api", "reports-worker", "web")
    ]
    assert {p.split("/")[0] for p in pushes} == set(logins)


def test_ready_for_review_runs_the_whole_suite(shop: Scenario) -> None:
    git_branch(shop, "feature")
    shop.commit(shop.append("src/app/d4_notify/__init__.py", "# x\n"))
    payload = shop.pull_request("feature", action="ready_for_review")

    run = shop.act("pull_request", ".github/workflows/ready-for-review.yml", payload)

    assert run.returncode == 0, run.summary()
    ran = run.sessions()
    assert set(run.results()) == {"plan", "quick", "run", "coverage", "gate"}, run.summary()
    assert all(r == ["success"] * len(r) for r in run.results().values()), run.summary()
    whole = {"full-e2e"} <= set(ran["run"]) or set(SHARDS) <= set(ran["run"])
    assert whole, ran


def test_merge_group_runs_the_whole_suite(shop: Scenario) -> None:
    git_branch(shop, "queued")
    shop.commit(shop.append("src/app/d1_targeting/segments.py", "# x\n"))

    run = shop.act("merge_group", ".github/workflows/ci.yml", shop.merge_group("queued"))

    assert run.returncode == 0, run.summary()
    assert set(run.results()) == {"plan", "quick", "run", "coverage", "gate"}, run.summary()
    assert all(r == ["success"] * len(r) for r in run.results().values()), run.summary()
    ran = set(run.sessions()["run"])
    assert {"full-e2e"} <= ran or set(SHARDS) <= ran, ran


def test_nightly_runs_everything_and_builds_every_image(shop: Scenario) -> None:
    run = shop.act("schedule", ".github/workflows/nightly.yml", shop.schedule())

    assert run.returncode == 0, run.summary()
    assert set(run.results()) == {"plan", "quick", "run", "coverage", "gate"}, run.summary()
    assert all(r == ["success"] * len(r) for r in run.results().values()), run.summary()
    assert "docker-changed-services" in run.sessions()["run"]
    built = run.output("run")
    assert "tiered-ci build: built 3 images" in built, built[-3000:]
    # No push: only a push to the default branch publishes.
    assert not [r for r in run.records if r["action"] == "buildah push"]


def test_a_plan_that_fails_makes_the_gate_red(shop: Scenario) -> None:
    git_branch(shop, "bad-config")
    config = (shop.work / "pyproject.toml").read_text()
    shop.commit({"pyproject.toml": config.replace('unmapped = "run-all"', "unmapped = 3")})

    run = shop.act("pull_request", ".github/workflows/ci.yml", shop.pull_request("bad-config"))

    assert run.returncode != 0
    results = run.results()
    assert results["plan"] == ["failure"], run.summary()
    assert results["gate"] == ["failure"], run.summary()
    # The gate's session loads the same config: it fails on it too (or, with a
    # config it can read, on the failed plan). Either way the required check is red.
    assert "tool.tiered-ci.unmapped: expected one of run-all" in run.output("gate")


def test_mode_all_pull_request_in_the_packages_monorepo_fans_out(
    shared: Shared, tmp_path: Path
) -> None:
    repo = Scenario(shared, tmp_path, "acme/packages", PACKAGES)
    callers = EXAMPLE / ".github" / "workflows"
    repo.commit({f".github/workflows/{p.name}": p.read_text() for p in callers.glob("*.yml")}, "CI")
    git_branch(repo, "touch-root")
    repo.commit(repo.append("noxfile.py", "\n# touched\n"))  # `run-all`: mode all

    run = repo.act("pull_request", ".github/workflows/ci.yml", repo.pull_request("touch-root"))

    assert run.returncode == 0, run.summary()
    ran = run.sessions()["run"]
    # Every package in its own environment: one job per domain shard (or packed ones).
    assert len(run.matrix_of("run")) > 1, run.summary()
    assert all(s.startswith(("domain-", "integration", "unit", "e2e", "full-e2e")) for s in ran), (
        ran
    )
    assert run.results()["gate"] == ["success"]


def git_branch(scenario: Scenario, name: str) -> None:
    from harness import git  # noqa: PLC0415

    git(scenario.work, "checkout", "-q", "-b", name, "main")
