"""Who needs what (pure), the plan's matrix carrying it, templates, and secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tiered_ci import config
from tiered_ci.backing import render, secret_env, worker
from tiered_ci.backing.needs import entry_needs, session_needs
from tiered_ci.plan import MatrixEntry

CONFIG: dict[str, Any] = {
    "backing-services": {
        "db": {"command": ["postgres"]},
        "cache": {"command": ["redis-server"]},
        "broker": {"command": ["rabbitmq-server"]},
    },
    "tiers": {"unit": {"needs": ["broker"]}, "integration": {"needs": ["cache"]}},
    "domains": {
        "api": {"paths": ["api/**"], "needs": ["db"], "python": ["3.11", "3.12"]},
        "web": {"paths": ["web/**"]},
    },
}


@pytest.fixture
def loaded() -> config.Config:
    return config.parse(CONFIG, root=Path())


@pytest.mark.parametrize(
    ("session", "needs"),
    [
        ("domain-shard(api)", ("db", "broker")),
        ("domain-shard(api-3.12)", ("db", "broker")),
        ("domain-shard(web)", ("broker",)),
        ("domain-integration(api)", ("db", "cache")),
        ("integration", ("cache",)),
        ("unit", ("db", "broker")),  # it may run every domain's tests
        ("full-e2e", ("db", "cache", "broker")),  # in declaration order
        ("quick", ()),
        ("docker-changed-services", ()),
        ("plan", ()),
    ],
)
def test_a_session_needs_what_its_tests_need(
    loaded: config.Config, session: str, needs: tuple[str, ...]
) -> None:
    assert session_needs(loaded, session) == needs


def test_a_packed_job_needs_what_its_sessions_need(loaded: config.Config) -> None:
    args = "domain-shard(web) domain-shard(api)"
    assert entry_needs(loaded, "domain-pack", args) == ("db", "broker")


def test_a_matrix_entry_carries_its_needs_as_one_string() -> None:
    entry = MatrixEntry("domain-integration(api)", "", None, ("db", "cache"))
    assert entry.to_json() == {
        "session": "domain-integration(api)",
        "args": "",
        "needs": "db cache",
    }
    assert MatrixEntry("quick").to_json() == {"session": "quick", "args": ""}


def test_templates_render_in_two_stages() -> None:
    url = "postgresql://u@{host}:{port}/app_{worker}?opt={{x}}"
    first = render.render(url, {"host": "127.0.0.1", "port": "5432"})
    assert first == "postgresql://u@127.0.0.1:5432/app_{worker}?opt={{x}}"
    assert render.finish(first, "gw1") == "postgresql://u@127.0.0.1:5432/app_gw1?opt={x}"


def test_each_worker_finishes_its_own_environment() -> None:
    env = {"DATABASE_URL": "pg://h:1/app_{worker}", "REDIS_URL": "redis://h:2/0"}
    setup = [("db", ("createdb", "app_{worker}"))]
    exported = render.session_environment(env, setup)
    assert exported["DATABASE_URL"] == "pg://h:1/app_main"  # what a plain process sees
    assert exported["REDIS_URL"] == "redis://h:2/0"
    assert json.loads(exported[render.WORKER_ENV]) == {"DATABASE_URL": "pg://h:1/app_{worker}"}
    for worker_id in ("gw0", "gw1"):
        environ = {**exported, "PYTEST_XDIST_WORKER": worker_id}
        assert worker.apply_environment(environ) == worker_id
        assert environ["DATABASE_URL"] == f"pg://h:1/app_{worker_id}"


def test_a_failing_worker_setup_says_which_service_worker_and_command() -> None:
    environ = {
        render.WORKER_SETUP: json.dumps(
            [{"service": "db", "argv": ["sh", "-c", "echo nope {worker} >&2; exit 3"]}]
        ),
        "PYTEST_XDIST_WORKER": "gw1",
        "PATH": "/usr/bin:/bin",
    }
    assert worker.run_setup(environ) == (
        "backing service 'db': worker-setup for worker gw1: sh -c \"echo nope gw1 >&2; "
        'exit 3" exited 3: nope gw1'
    )


def test_only_the_named_secrets_are_exported() -> None:
    warnings: list[str] = []
    environ = {
        secret_env.NAMES: "API_TOKEN, DB_PASSWORD MISSING",
        secret_env.CARRIER: json.dumps(
            {
                "API_TOKEN": "t0k",
                "DB_PASSWORD": "line1\nline2",
                "OTHER": "never",
                "github_token": "g",
            }
        ),
    }
    assert secret_env.exported(environ, warnings.append) == {
        "API_TOKEN": "t0k",
        "DB_PASSWORD": "line1\nline2",
    }
    assert warnings == [
        (
            "secret MISSING (listed in the secrets-env input) was not passed to the workflow: "
            "call it with `secrets: inherit` and define the secret in the repository or organisation"
        )
    ]
    assert secret_env.mask_lines({"A": "t0k", "B": "line1\nline2"}) == [
        "::add-mask::t0k",
        "::add-mask::line1",
        "::add-mask::line2",
    ]
    assert secret_env.CARRIER not in secret_env.without_carrier(environ)


def test_no_names_export_nothing() -> None:
    assert secret_env.exported({secret_env.CARRIER: '{"A": "b"}'}, print) == {}
