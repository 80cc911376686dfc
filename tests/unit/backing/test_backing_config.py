"""`[tool.tiered-ci.backing-services]` and `needs`: what loads, and what is refused with
a message naming the key and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from support import PROJECT_ROOT

from tiered_ci import config
from tiered_ci.backing.model import BackingService
from tiered_ci.backing.parse import KEYS
from tiered_ci.errors import ConfigError

POSTGRES = {
    "path": ["/usr/lib/postgresql/*/bin"],
    "prepare": [["initdb", "--pgdata={dir}/data", "--username=postgres", "--auth=trust"]],
    "command": ["postgres", "-D", "{dir}/data", "-h", "{host}", "-p", "{port}", "-k", "{dir}"],
    "ready-command": ["pg_isready", "--host={host}", "--port={port}"],
    "stop-signal": "SIGINT",
    "env": {"DATABASE_URL": "postgresql://postgres@{host}:{port}/app_{worker}"},
    "worker-setup": ["createdb", "--port={port}", "app_{worker}"],
}


def parse(table: dict[str, Any]) -> config.Config:
    return config.parse(table, root=Path())


def refused(table: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(table)
    return str(caught.value)


def test_a_local_postgres_loads_with_every_key() -> None:
    loaded = parse({"backing-services": {"db": POSTGRES}}).backing["db"]
    assert loaded == BackingService(
        name="db",
        command=("postgres", "-D", "{dir}/data", "-h", "{host}", "-p", "{port}", "-k", "{dir}"),
        prepare=(("initdb", "--pgdata={dir}/data", "--username=postgres", "--auth=trust"),),
        path=("/usr/lib/postgresql/*/bin",),
        ready_command=("pg_isready", "--host={host}", "--port={port}"),
        stop_signal="SIGINT",
        env={"DATABASE_URL": "postgresql://postgres@{host}:{port}/app_{worker}"},
        worker_setup=(("createdb", "--port={port}", "app_{worker}"),),
    )
    assert loaded.sources == ("command",)
    assert loaded.run_as == "nobody"
    assert loaded.timeout_seconds == 30.0


def test_a_compose_service_with_a_command_fallback() -> None:
    table = {"compose": "db", "container-port": 5432, "command": ["postgres"], "port": 5433}
    loaded = parse({"backing-services": {"db": table}}).backing["db"]
    assert loaded.sources == ("compose", "command")
    assert (loaded.container_port, loaded.port) == (5432, 5433)


def test_needs_on_tiers_domains_families_and_members() -> None:
    loaded = parse(
        {
            "backing-services": {"db": POSTGRES, "cache": {"command": ["redis-server"]}},
            "tiers": {"integration": {"needs": ["cache"]}},
            "domains": {"api": {"paths": ["api/**"], "needs": ["db"]}},
            "domain-families": {
                "pkgs": {
                    "folders": "packages/*",
                    "needs": ["db"],
                    "members": {"cli": {"needs": []}, "web": {"python": "3.12"}},
                }
            },
        }
    )
    assert loaded.tiers["integration"].needs == ("cache",)
    assert loaded.domains["api"].needs == ("db",)
    assert loaded.families["pkgs"].needs == ("db",)
    assert loaded.families["pkgs"].members["cli"].needs == ()
    assert loaded.families["pkgs"].members["web"].needs is None  # the family's


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"tiers": {"integration": {"needs": ["db"]}}},
            (
                "tool.tiered-ci.tiers.integration.needs[0]: unknown backing service 'db'; declare it "
                "as [tool.tiered-ci.backing-services.db] (known: none)"
            ),
        ),
        (
            {"backing-services": {"db": {"env": {"A": "x"}}}},
            (
                "tool.tiered-ci.backing-services.db: say where it comes from: compose = "
                '"<compose service>", image = "<image>", or command = [...] (a local process; '
                "the only way without a container engine)"
            ),
        ),
        (
            {"backing-services": {"db": {"compose": "db"}}},
            (
                "tool.tiered-ci.backing-services.db.container-port: missing; a compose or image "
                "service needs the port it listens on inside the container (e.g. container-port "
                "= 5432), to find its published port"
            ),
        ),
        (
            {"backing-services": {"db": {"command": ["x", "{prot}"]}}},
            (
                "tool.tiered-ci.backing-services.db.command: '{prot}' uses {prot}; the templates here "
                "are {dir}, {host}, {name}, {port} (write {{ and }} for literal braces)"
            ),
        ),
        (
            {"backing-services": {"db": {"command": ["pg", "{worker}"]}}},
            (
                "tool.tiered-ci.backing-services.db.command: '{worker}' uses {worker}; the "
                "templates here are {dir}, {host}, {name}, {port} (write {{ and }} for literal "
                "braces)"
            ),
        ),
        (
            {"backing-services": {"db": {"command": "postgres -p 1"}}},
            (
                "tool.tiered-ci.backing-services.db.command: expected a command as a list of "
                'strings (["redis-server", "--port", "{port}"]), got str'
            ),
        ),
        (
            {"backing-services": {"db": {"command": ["x"], "port": 70000}}},
            (
                "tool.tiered-ci.backing-services.db.port: expected a port number from 1 to 65535, "
                "got 70000"
            ),
        ),
        (
            {"backing-services": {"db": {"command": ["x"], "timeout-seconds": 0}}},
            "tool.tiered-ci.backing-services.db.timeout-seconds: expected a number > 0, got 0",
        ),
        (
            {"backing-services": {"db": {"command": ["x"], "stop-signal": "SIGKILL"}}},
            (
                "tool.tiered-ci.backing-services.db.stop-signal: expected one of SIGTERM, SIGINT, "
                "SIGQUIT, got 'SIGKILL'"
            ),
        ),
        (
            {"backing-services": {"db": {"command": ["x"], "worker-setup": [["a"], "b"]}}},
            (
                "tool.tiered-ci.backing-services.db.worker-setup: expected a command (a list of "
                "strings) or a list of commands, got list"
            ),
        ),
        (
            {"backing-services": {"my db": {"command": ["x"]}}},
            (
                "tool.tiered-ci.backing-services.'my db': a service name is letters, digits, '.', "
                "'_' and '-' (it names log files and containers); rename it"
            ),
        ),
    ],
)
def test_bad_tables_name_the_key_and_the_fix(table: dict[str, Any], message: str) -> None:
    assert refused(table) == message


def test_unknown_keys_are_kept_for_check_config() -> None:
    loaded = parse({"backing-services": {"db": {"command": ["x"], "helth": "y"}}})
    assert loaded.unknown_keys == ("tool.tiered-ci.backing-services.db.helth",)


def test_every_key_is_documented() -> None:
    doc = (PROJECT_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", doc, re.MULTILINE))
    assert KEYS - documented == set()
    assert "`needs`" in doc
