"""Flags and steps shared by the commands that look at a diff (plan, build, filter)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tiered_ci.changes import ChangeSet
from tiered_ci.config import Config
from tiered_ci.events import KNOWN_EVENTS, Trigger

if TYPE_CHECKING:
    from tiered_ci.tree import Tree


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


def head_tree(args: argparse.Namespace, root: Path) -> Tree:
    """The files the plan reads: `--head REV`'s tree, else the work tree (same object per run)."""
    from tiered_ci.tree import open_tree  # noqa: PLC0415

    cached = getattr(args, "_head_tree", None)
    if cached is None:
        cached = open_tree(root, getattr(args, "head", None))
        args._head_tree = cached  # noqa: SLF001 - one Tree per command run, kept on its args
    return cast("Tree", cached)


def load_context(args: argparse.Namespace) -> tuple[Path, Config, Trigger]:
    """Repository root, its config and the trigger, from the shared flags and the environment.

    With `--head REV`, the config, compose files and `.env` are REV's (W7).
    """
    from tiered_ci import config as config_module  # noqa: PLC0415 - keep --help fast
    from tiered_ci import events  # noqa: PLC0415
    from tiered_ci.changes import find_root  # noqa: PLC0415
    from tiered_ci.images import discover  # noqa: PLC0415

    root = find_root(args.repo)
    tree = head_tree(args, root)
    # Compose-discovered services join the configured ones here (compose is read once per
    # run), so plan and build agree.
    config = discover.resolve(config_module.load(root, args.config, tree), tree)
    trigger = events.from_environment(
        os.environ,
        event=args.event,
        event_path=args.event_path,
        default_branch=config.default_branch,
    )
    return root, config, trigger


def detect_changes(
    args: argparse.Namespace, root: Path, config: Config, trigger: Trigger
) -> ChangeSet:
    from tiered_ci import changes  # noqa: PLC0415

    return changes.detect(
        root,
        trigger,
        default_branch=config.default_branch,
        base=args.base,
        head=args.head,
        deepen_budget=config.deepen_budget,
    )
