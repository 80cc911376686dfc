"""A matrix never runs one thing twice: a push to the default branch (its `always`
sessions) meets fan-out, domain selection, Python versions and packing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.model import MATRIX_LIMIT
from tiered_ci.plan import MatrixEntry, pack_matrix

PACKAGES = ["api", "cli", "core", "models", "storage"]

ALWAYS_EVERYTHING = """
[tool.tiered-ci.triggers.push_default]
always = ["quick", "unit", "domain-shard", "integration"]
affected = ["domain-shard", "unit", "integration", "docker-changed-services"]
"""
TWO_PYTHONS = '\n[tool.tiered-ci.tiers.unit]\npython = ["3.11", "3.12"]\n'
PACKED = "\n[tool.tiered-ci.tiers.unit]\nmax-jobs = 3\n"


def push(repo: GitRepo, event_file: Callable[..., Path], plan: PlanRunner) -> dict[str, Any]:
    """Plan the last commit as GitHub's push to main would."""
    event = event_file(
        "push", before=str(repo.git.rev_parse("HEAD~1")), after=repo.head(), ref="refs/heads/main"
    )
    return plan(repo, "--event", "push", "--event-path", str(event))


def runs(result: dict[str, Any]) -> Counter[tuple[str, str | None]]:
    """(session, python) of every job, a `domain-pack` counted once per session it holds."""
    out: Counter[tuple[str, str | None]] = Counter()
    for entry in result["matrix"]["include"]:
        names = entry["args"].split() if entry["session"] == "domain-pack" else [entry["session"]]
        out.update((name, entry.get("python")) for name in names)
    return out


@pytest.mark.parametrize(
    ("extra", "change"),
    [
        ("", "packages/core/src/acme_core/__init__.py"),
        (ALWAYS_EVERYTHING, "packages/core/src/acme_core/__init__.py"),
        (ALWAYS_EVERYTHING + TWO_PYTHONS, "packages/cli/src/acme_cli/__init__.py"),
        (ALWAYS_EVERYTHING + PACKED, "packages/models/src/acme_models/__init__.py"),
        (ALWAYS_EVERYTHING + PACKED, "pyproject.toml"),
        (ALWAYS_EVERYTHING + TWO_PYTHONS, "pyproject.toml"),
    ],
    ids=["default", "always-all-kinds", "two-pythons", "packed", "packed-mode-all", "mode-all-py"],
)
def test_a_push_to_main_runs_every_shard_exactly_once(
    packages_repo: GitRepo,
    event_file: Callable[..., Path],
    plan: PlanRunner,
    extra: str,
    change: str,
) -> None:
    pyproject = packages_repo.path / "pyproject.toml"
    packages_repo.write("pyproject.toml", pyproject.read_text() + extra)
    packages_repo.commit("the trigger policy")
    packages_repo.write(change, (packages_repo.path / change).read_text() + "\n# changed\n")
    packages_repo.commit("a change on main")

    result = push(packages_repo, event_file, plan)

    entries = [tuple(sorted(e.items())) for e in result["matrix"]["include"]]
    assert len(entries) == len(set(entries)), result["matrix"]
    pythons = ["3.11", "3.12"] if TWO_PYTHONS in extra else [None]
    expected = Counter(
        (f"{session}({p}-{py})" if py else f"{session}({p})", py)
        for session, packages in (
            ("domain-shard", PACKAGES),
            # The example's storage and api own integration tests: every shard runs, so
            # does each owner's integration session (the unit tier's Pythons).
            ("domain-integration", ["api", "storage"]),
        )
        for p in packages
        for py in pythons
    )
    assert runs(result) == expected
    assert len(result["sessions"]) == len(set(result["sessions"]))


def test_owned_integration_tests_and_shards_each_run_once_on_a_push_to_main(
    packages_repo: GitRepo, event_file: Callable[..., Path], plan: PlanRunner
) -> None:
    packages_repo.write("packages/core/tests/integration/test_flow.py", "def test_flow(): pass\n")
    text = (packages_repo.path / "pyproject.toml").read_text()
    packages_repo.write("pyproject.toml", text + ALWAYS_EVERYTHING + PACKED)
    packages_repo.commit("integration tests of core too")
    packages_repo.write("packages/core/src/acme_core/__init__.py", "X = 2\n")
    packages_repo.commit("core changes")

    result = push(packages_repo, event_file, plan)

    expected = Counter((f"domain-shard({p})", None) for p in PACKAGES)
    expected.update((f"domain-integration({p})", None) for p in ("api", "core", "storage"))
    # No integration tier table: the owners' sessions are the tier, even in `always`.
    assert runs(result) == expected
    assert len(result["matrix"]["include"]) == 3 + 3


def test_packing_across_pythons_never_rounds_past_the_limit() -> None:
    shards = tuple(
        MatrixEntry(f"domain-shard(p{n:03}-{py})", python=py)
        for n in range(100)
        for py in ("3.10", "3.11", "3.12")
    )
    others = (MatrixEntry("integration"), MatrixEntry("docker-changed-services"))

    entries, notes = pack_matrix((*shards, *others), max_jobs=None, seconds={})

    # 254 jobs for 300 shards: each Python's third (84.67) rounded would make 255.
    assert len(entries) == MATRIX_LIMIT
    assert notes == [
        "300 domain shards packed into 254 jobs (a GitHub matrix holds at most 256 entries)"
    ]
    assert Counter(e.python for e in entries if e.python) == {"3.10": 85, "3.11": 85, "3.12": 84}
    held = Counter(n for e in entries if e.python for n in (e.args.split() or [e.session]))
    assert held == Counter(s.session for s in shards)


def test_shards_and_integration_sessions_share_the_room_left_in_the_matrix() -> None:
    shards = tuple(MatrixEntry(f"domain-shard(p{n:03})") for n in range(200))
    owned = tuple(MatrixEntry(f"domain-integration(p{n:03})") for n in range(100))

    entries, notes = pack_matrix((*shards, *owned), max_jobs=None, seconds={})

    assert len(entries) == MATRIX_LIMIT
    assert notes == [
        "200 domain shards packed into 171 jobs (a GitHub matrix holds at most 256 entries)",
        (
            "100 domain integration sessions packed into 85 jobs (a GitHub matrix holds at most "
            "256 entries)"
        ),
    ]
    packs = [e.args.split() for e in entries if e.session == "domain-pack"]
    assert not [p for p in packs if len({n.split("(")[0] for n in p}) > 1]
