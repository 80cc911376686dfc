"""The plan pipeline: config -> trigger -> changes -> selection -> plan.

`plan`, `build` and `filter` all start from the same question, "what changed,
and what does that select?", and they answer it here, so they cannot drift
apart (`build` with no service flags builds exactly the services `plan`
selects).

* `read_context` and `read_changes` are the I/O edge: the first finds the
  repository, loads its config (with compose-discovered services) and reads
  the trigger from the flags and the environment; the second diffs with git.
  `read_change` does both. `filter` stops here: it matches its own globs
  against the changed files; `build --all` needs only the context.
* `plan_change` is the pure core over plain data: the config, the trigger,
  the change set and the services' watch rules in, a `Plan` out.
* `plan_for` joins them for a `Change` read from disk, loading the watch rules
  (Dockerfiles, `.dockerignore`) from the repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from tiered_ci.changes import ChangeSet
    from tiered_ci.config import Config
    from tiered_ci.events import Trigger
    from tiered_ci.plan import Plan
    from tiered_ci.services import Watch

__all__ = [
    "Change",
    "Context",
    "Request",
    "plan_change",
    "plan_for",
    "read_change",
    "read_changes",
    "read_context",
]


@dataclass(frozen=True, slots=True)
class Request:
    """What to compare, as the shared diff flags give it (`--repo`, `--event`, `--base` ...)."""

    repo: Path = Path()
    config: Path | None = None  # a TOML file with [tool.tiered-ci]; default <repo>/pyproject.toml
    event: str | None = None
    event_path: Path | None = None
    base: str | None = None
    head: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Request:
        return cls(args.repo, args.config, args.event, args.event_path, args.base, args.head)


@dataclass(frozen=True, slots=True)
class Context:
    """Where, under which config, for which trigger."""

    root: Path
    config: Config
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class Change:
    """A change read from a repository: where, under which config, for which trigger, what."""

    root: Path
    config: Config
    trigger: Trigger
    changes: ChangeSet


def read_change(
    request: Request, environ: Mapping[str, str], *, discover_services: bool = True
) -> Change:
    """The I/O edge: repository, config, trigger (flags, then environment) and the git diff."""
    context = read_context(request, environ, discover_services=discover_services)
    return Change(context.root, context.config, context.trigger, read_changes(context, request))


def read_context(
    request: Request, environ: Mapping[str, str], *, discover_services: bool = True
) -> Context:
    """Repository root, its config and the trigger.

    `discover_services=False` skips compose discovery, for commands that never
    look at services (`filter`).
    """
    from tiered_ci import changes, events, services  # noqa: PLC0415 - keep --help fast
    from tiered_ci import config as config_module  # noqa: PLC0415

    root = changes.find_root(request.repo)
    config = config_module.load(root, request.config)
    if discover_services:
        config = services.resolve(config, root)
    trigger = events.from_environment(
        environ,
        event=request.event,
        event_path=request.event_path,
        default_branch=config.default_branch,
    )
    return Context(root, config, trigger)


def read_changes(context: Context, request: Request) -> ChangeSet:
    """The git diff for the context's trigger (or `--base` / `--head`); fail-safe inside."""
    from tiered_ci import changes  # noqa: PLC0415

    return changes.detect(
        context.root,
        context.trigger,
        default_branch=context.config.default_branch,
        base=request.base,
        head=request.head,
        deepen_budget=context.config.deepen_budget,
    )


def plan_change(
    config: Config,
    trigger: Trigger,
    changes: ChangeSet,
    watches: Mapping[str, Watch],
    *,
    shard_counts: Mapping[str, int] | None = None,
) -> Plan:
    """Pure: map the changed files through the config's rules and decide the plan."""
    from tiered_ci import mapping, plan  # noqa: PLC0415 - only commands that plan pay for them

    selection = mapping.select(changes.files, mapping.compile_rules(config, watches))
    return plan.build_plan(trigger, changes, selection, config, shard_counts=shard_counts)


def plan_for(change: Change, *, shard_counts: Mapping[str, int] | None = None) -> Plan:
    """The plan of a change read from disk: its services' watch rules come from the repository."""
    from tiered_ci import services  # noqa: PLC0415

    watches = services.load_watches(change.config, change.root)
    return plan_change(
        change.config, change.trigger, change.changes, watches, shard_counts=shard_counts
    )
