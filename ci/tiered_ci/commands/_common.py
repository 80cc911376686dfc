"""Flags shared by the commands that look at a diff (plan, build, filter).

The steps they share live in `tiered_ci.pipeline`; `Request.from_args` reads these flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tiered_ci.events import KNOWN_EVENTS

__all__ = ["add_diff_arguments", "add_repo_arguments"]


def add_diff_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "what to compare (default: from the GitHub event, else local)"
    )
    group.add_argument(
        "--event",
        metavar="NAME",
        help="GitHub event name (default: $GITHUB_EVENT_NAME, else local); "
        f"one of {', '.join(KNOWN_EVENTS)}",
    )
    group.add_argument(
        "--event-path",
        metavar="FILE",
        type=Path,
        help="the event payload JSON (default: $GITHUB_EVENT_PATH)",
    )
    group.add_argument("--base", metavar="REV", help="compare from merge-base(REV, head) instead")
    group.add_argument(
        "--head", metavar="REV", help="compare to REV instead of HEAD / the work tree"
    )
    add_repo_arguments(group)


def add_repo_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--repo` and `--config`, for every command that reads the repository's config."""
    parser.add_argument(
        "--repo", metavar="DIR", type=Path, default=Path(), help="the repository (default: .)"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="a TOML file with a [tool.tiered-ci] table (default: <repo>/pyproject.toml)",
    )
