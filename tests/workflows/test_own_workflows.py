"""tiered-ci's own callers (.github/workflows/ci.yml) under act: the same reusable
workflow, called by `./` at the same commit, with `tiered-ci: "."` (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import MARKS, Scenario, Shared, git

pytestmark = list(MARKS)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """This checkout as `your-org/tiered-ci`, the stand-ins and the tool folder."""
    return Shared(tmp_path_factory.mktemp("act"))


def test_docs_only_pull_request_of_tiered_ci_itself(shared: Shared, tmp_path: Path) -> None:
    own = Scenario(shared, tmp_path, "acme/tiered-ci", shared.tiered_ci)
    git(own.work, "checkout", "-q", "-b", "docs", "main")
    own.commit(own.append("docs/sessions.md", "\nA clarification.\n"))

    run = own.act("pull_request", ".github/workflows/ci.yml", own.pull_request("docs"))

    # Nothing but quick and the gate: the matrix is empty (has-matrix is false), so
    # `run` and `coverage` are skipped, as are images and impact-record (no push).
    assert (run.returncode, run.results()) == (
        0,
        {"plan": ["success"], "quick": ["success"], "gate": ["success"]},
    ), run.summary()
    assert run.sessions() == {"plan": ["plan"], "quick": ["quick"], "gate": ["gate"]}
