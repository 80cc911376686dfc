"""`plan_change`, the pure core of plan and build, on plain data (no git, no files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiered_ci import config as config_module
from tiered_ci._toml import tomllib
from tiered_ci.changes import ChangedFile, ChangeSet
from tiered_ci.commands.build import select_for_change
from tiered_ci.events import Trigger
from tiered_ci.images.discover import service_watch
from tiered_ci.images.watch import Watch
from tiered_ci.mapping import Reason
from tiered_ci.pipeline import Change, plan_change
from tiered_ci.plan import Plan

CONFIG = """
[tool.tiered-ci]
ignore = ["**/*.md"]
run-all = ["pyproject.toml"]

[tool.tiered-ci.domains.billing]
paths = ["src/billing/**", "!src/billing/gen/**"]
tests = ["tests/unit/billing"]

[tool.tiered-ci.domains.search]
paths = ["src/search/**"]
tests = ["tests/unit/search"]

[tool.tiered-ci.services.api]
context = "services/api"
paths = ["src/billing/**"]

[tool.tiered-ci.services.worker]
context = "services/worker"
depends-on = ["api"]
"""
PR = Trigger(event="pull_request", kind="pull_request", base_ref="main")
BASE, HEAD = "a" * 40, "b" * 40


def _config() -> config_module.Config:
    table = tomllib.loads(CONFIG)["tool"]["tiered-ci"]
    return config_module.parse(table, root=Path("/repo"))


def _watches(config: config_module.Config) -> dict[str, Watch]:
    # services with their own folder as context: no Dockerfile needs reading
    return {
        name: service_watch(service, shared=False, dockerfile=None)
        for name, service in config.services.items()
    }


def _plan(*files: ChangedFile, fallback: str | None = None) -> Plan:
    config = _config()
    changes = ChangeSet(BASE, HEAD, files, fallback_reason=fallback)
    return plan_change(config, PR, changes, _watches(config))


@pytest.mark.critical
def test_a_domain_source_selects_its_domain_and_the_services_that_watch_it() -> None:
    plan = _plan(ChangedFile("src/billing/invoice.py", "modified"))

    assert plan.mode == "partial"
    assert plan.domains == ("billing",)
    assert plan.services == ("api", "worker")  # worker depends on api
    assert "domain-shard(billing)" in plan.sessions
    reason = Reason(
        "domain:billing", "src/billing/invoice.py", "modified", "domains.billing.paths[0]"
    )
    assert reason in plan.reasons


def test_an_excluded_path_selects_nothing_of_its_domain() -> None:
    plan = _plan(ChangedFile("src/billing/gen/x.py", "modified"))

    assert plan.domains == ()
    assert plan.services == ("api", "worker")  # the service's own glob has no exclusion


def test_only_ignored_files_plan_nothing() -> None:
    plan = _plan(ChangedFile("docs/a.md", "added"))

    assert plan.mode == "none"
    assert plan.domains == plan.services == ()


def test_a_global_input_plans_everything() -> None:
    plan = _plan(ChangedFile("pyproject.toml", "modified"))

    assert plan.mode == "all"
    assert plan.domains == ("billing", "search")
    assert plan.services == ("api", "worker")


def test_an_untrusted_diff_plans_everything_with_its_reason() -> None:
    plan = _plan(fallback="shallow clone: base not reachable")

    assert plan.mode == "all"
    assert plan.fallback_reason == "shallow clone: base not reachable"


def test_a_rename_counts_on_both_paths() -> None:
    plan = _plan(ChangedFile("src/search/q.py", "renamed", old_path="src/billing/q.py"))

    assert plan.domains == ("billing", "search")


def test_build_selects_the_plans_services() -> None:
    config = _config()
    files = (ChangedFile("services/worker/main.py", "modified"),)
    change = Change(Path("/repo"), config, PR, ChangeSet(BASE, HEAD, files))

    selected = select_for_change(change)

    assert [s.name for s in selected.services] == ["worker"]
    assert selected.head == HEAD
    assert "worker: services/worker/main.py (services.worker.context)" in selected.why
