"""The docs keep up with the code: every command and flag in docs/cli.md, links that resolve.

The command and flag sets are read from the parser itself (`tiered_ci.cli.build_parser`),
so a command or flag added later fails here until docs/cli.md names it. The config
keys have their own check (tests/unit/planner/test_config_docs.py).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import PROJECT_ROOT

from tiered_ci import cli

DOCS = PROJECT_ROOT / "docs"
CLI_DOC = DOCS / "cli.md"
README = PROJECT_ROOT / "README.md"
PAGES = [README, PROJECT_ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
# issue 10: a README for users of about 150 lines, never more than 200.
README_MAX_LINES = 200


def subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """(`plan`, parser), (`durations merge`, parser), ...: every leaf command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = list(subparsers(sub))
                yield from ((f"{name} {n}", p) for n, p in nested) if nested else [(name, sub)]


def long_flags(parser: argparse.ArgumentParser) -> list[str]:
    flags = (o for a in parser._actions for o in a.option_strings if o.startswith("--"))
    return sorted(set(flags) - {"--help"})


COMMANDS = dict(subparsers(cli.build_parser()))


def cli_sections() -> dict[str, str]:
    """`## \\`tiered-ci NAME ...\\`` heading -> the section's text."""
    text = CLI_DOC.read_text(encoding="utf-8")
    parts = re.split(
        r"^## `tiered-ci ([a-z-]+(?: [a-z]+)?)(?: [A-Z][^`]*)?`$", text, flags=re.MULTILINE
    )
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_parser_has_the_known_commands() -> None:
    assert {"plan", "check-config", "filter", "shard", "durations merge", "build"} <= set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_section_naming_its_flags(command: str) -> None:
    sections = cli_sections()
    assert command in sections, f"docs/cli.md has no '## `tiered-ci {command}`' section"
    # Flags shared by plan, filter and build are documented once, in their own table.
    shared = CLI_DOC.read_text(encoding="utf-8").split("## `tiered-ci ")[0]
    missing = [f for f in long_flags(COMMANDS[command]) if f not in sections[command] + shared]
    assert missing == [], f"tiered-ci {command}: document {missing} in docs/cli.md"


def test_exit_codes_are_documented() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3"):
        assert f"| {code} |" in text


@pytest.mark.smoke
def test_readme_is_short_and_starts_users_off() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    assert "pipx install tiered-ci" in text
    assert "uv tool install tiered-ci" in text
    assert "tiered_ci.nox.register()" in text


def test_ci_entry_point_runs_the_readmes_test_command() -> None:
    """.ci/run ends with the command the README gives for the whole suite."""
    run = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert run[-1] == "make test"
    assert re.search(r"^make test +# the whole suite", README.read_text("utf-8"), re.MULTILINE)


def links(page: Path) -> Iterator[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    yield from re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    broken = [
        target
        for target in links(page)
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert broken == [], f"{page.name}: no such file: {broken}"
