"""examples/backing-services as an adopter has it, calling the reusable workflow under
act: the `run` job's session starts the PostgreSQL its tests need through tiered-ci
(a local process, no `services:`), and a failing job shows the services' logs
(issue 19). postgresql and redis-server must be installed, as `.ci/run` ensures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import MARKS, PROJECT, ActRun, Scenario, Shared, git

pytestmark = list(MARKS)

EXAMPLE = PROJECT / "examples" / "backing-services"
CALLER = PROJECT / "examples" / "monorepo" / ".github" / "workflows" / "ci.yml"
# The example's noxfile names tiered-ci by version (an index); the caller's `tiered-ci`
# input names this checkout's snapshot instead (the harness's `your-org/tiered-ci`).
TIERED_CI = "git+https://github.com/your-org/tiered-ci@v0.2.0"
ORDERS = ["domain-integration(orders)", "domain-shard(orders)"]
# A change quick's ruff check and ruff format --check accept.
TWEAK = "\n\nTWEAKED = True\n"
READY = "backing service db: command ready on"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """This checkout as `your-org/tiered-ci`, the stand-ins and the tool folder."""
    return Shared(tmp_path_factory.mktemp("act"))


@pytest.fixture
def shop(shared: Shared, tmp_path: Path) -> Scenario:
    repo = Scenario(shared, tmp_path, "acme/shop-services", EXAMPLE)
    caller = CALLER.read_text(encoding="utf-8")
    assert "      push-images: true\n" in caller
    caller = caller.replace("      push-images: true\n", f'      tiered-ci: "{TIERED_CI}"\n')
    repo.commit({".github/workflows/ci.yml": caller}, "CI by reference")
    git(repo.work, "checkout", "-q", "-b", "orders", "main")
    return repo


def run_started_postgres(run: ActRun) -> None:
    """Each `run` job (one per session) started the db service, and only that one."""
    for job in (j for j in run.jobs if j.job_id == "run"):
        text = "\n".join(job.lines)
        assert READY in text, (job.matrix, text[-3000:])
        assert "backing service cache" not in text, job.matrix


def test_pull_request_touching_the_postgres_domain_starts_it_in_the_run_jobs(
    shop: Scenario,
) -> None:
    shop.commit(shop.append("src/shop/orders/store.py", TWEAK))

    run = shop.act("pull_request", ".github/workflows/ci.yml", shop.pull_request("orders"))

    expected = {"plan": 1, "quick": 1, "run": 2, "coverage": 1, "gate": 1}
    assert (run.returncode, run.results()) == (
        0,
        {job: ["success"] * n for job, n in expected.items()},
    ), run.summary()
    assert run.matrix_of("run") == [
        {"session": s, "args": "", "needs": "db"} for s in sorted(ORDERS)
    ]
    assert run.sessions()["run"] == ORDERS  # no service-logs: nothing failed
    run_started_postgres(run)
    # The integration tests ran against it: two workers (xdist), each with its database.
    integration = next(j for j in run.jobs if j.matrix.get("session") == ORDERS[0])
    text = "\n".join(integration.lines)
    assert "2 workers" in text, text[-3000:]
    assert re.search(r"\b10 passed\b", text), text[-3000:]


def test_a_failing_integration_test_shows_the_service_logs_and_fails_the_gate(
    shop: Scenario,
) -> None:
    broken = '\n\ndef test_broken_on_purpose() -> None:\n    raise AssertionError("broken")\n'
    shop.commit(shop.append("tests/integration/orders/test_order_store.py", broken))
    shop.commit(shop.append("src/shop/orders/store.py", TWEAK))

    run = shop.act("pull_request", ".github/workflows/ci.yml", shop.pull_request("orders"))

    assert run.returncode != 0
    assert run.results()["gate"] == ["failure"], run.summary()
    entries = {j.matrix["session"]: j for j in run.jobs if j.job_id == "run"}
    assert sorted(entries) == ["domain-integration(orders)", "domain-shard(orders)"]
    assert entries["domain-integration(orders)"].result == "failure", run.summary()
    assert entries["domain-integration(orders)"].failed_steps == ["Run the session"]
    # act keeps one result for a whole matrix: an entry that ends after a failed sibling
    # is logged "failure" though every step of its own passed (docs/workflows.md, act's
    # differences). GitHub reports each entry alone, so the shard is judged by its steps.
    shard = entries["domain-shard(orders)"]
    assert shard.failed_steps == [], run.summary()
    assert shard.sessions == ["domain-shard(orders)"], run.summary()
    failed = [entries["domain-integration(orders)"]]
    # The session itself printed the db's last lines, then the workflow's step did.
    assert failed[0].sessions == ["domain-integration(orders)", "service-logs"], run.summary()
    # Only the step's full log has postgres's shutdown (the session's tail ends before it).
    step = "\n".join(failed[0].lines).split("Show the backing services' logs", 1)
    assert len(step) == 2, run.summary()
    assert "db.log" in step[1], step[1][-3000:]
    assert "database system is shut down" in step[1], step[1][-3000:]
    run_started_postgres(run)
