"""Per-domain pytest arguments and workers: on a domain, a family and a member."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GitRepo

from tiered_ci.config import load, parse
from tiered_ci.errors import ConfigError
from tiered_ci.model import Domain, Tier
from tiered_ci.sessions import domain_args

FAMILY = """\
[tool.tiered-ci.domain-families.packages]
folders = "packages/*"
pytest-args = ["-p", "no:randomly"]
workers = 4

[tool.tiered-ci.domain-families.packages.members.slow]
pytest-args = ["--reruns", "2"]
workers = 1
"""


def test_a_member_overrides_its_familys_arguments_and_workers(repo: GitRepo) -> None:
    repo.write_many(
        {
            "pyproject.toml": "[tool.tiered-ci]\n" + FAMILY,
            "packages/fast/tests/test_a.py": "def test_a(): pass\n",
            "packages/slow/tests/test_b.py": "def test_b(): pass\n",
        }
    )
    repo.commit("two packages")

    domains = load(repo.path).domains

    assert (domains["fast"].pytest_args, domains["fast"].workers) == (("-p", "no:randomly"), 4)
    assert (domains["slow"].pytest_args, domains["slow"].workers) == (("--reruns", "2"), 1)


def test_a_domains_session_runs_with_its_own_workers_and_arguments() -> None:
    tier = Tier("unit", markers="not slow", workers="auto")
    serial = Domain("db", ("db/**",), pytest_args=("--reruns", "2"), workers=1)

    assert domain_args(tier, serial, ["tests/db"]) == [
        "tests/db",
        "-m",
        "not slow",
        "-n",
        "1",
        "--reruns",
        "2",
    ]
    plain = Domain("web", ("web/**",))
    assert domain_args(tier, plain, ["tests/web"]) == ["tests/web", "-m", "not slow", "-n", "auto"]


def test_a_domain_table_takes_both_keys() -> None:
    config = parse(
        {"domains": {"db": {"paths": ["db/**"], "pytest-args": ["-x"], "workers": "auto"}}},
        root=Path(),
    )

    assert (config.domains["db"].pytest_args, config.domains["db"].workers) == (("-x",), "auto")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"pytest-args": "-x"},
            (
                "tool.tiered-ci.domains.db.pytest-args: expected a list of pytest arguments "
                '(strings, one argument each, e.g. ["-p", "no:randomly"]), got \'-x\''
            ),
        ),
        ({"workers": 0}, "tool.tiered-ci.domains.db.workers: expected at least 1, got 0"),
        (
            {"workers": "many"},
            'tool.tiered-ci.domains.db.workers: expected a whole number or "auto", got str',
        ),
    ],
)
def test_bad_values_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse({"domains": {"db": {"paths": ["db/**"], **table}}}, root=Path())

    assert str(caught.value) == message
