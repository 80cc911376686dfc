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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from tiered_ci.changes import ChangeSet
    from tiered_ci.events import Trigger
    from tiered_ci.images.watch import Watch
    from tiered_ci.model import Config
    from tiered_ci.plan import Plan
    from tiered_ci.tree import Tree

__all__ = [
    "Change",
    "Context",
    "Request",
    "lint_only_changes",
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
    """Where, under which config, for which trigger; `tree` holds the head's files."""

    root: Path
    config: Config
    trigger: Trigger
    tree: Tree | None = None  # None: the work tree under `root`


@dataclass(frozen=True, slots=True)
class Change:
    """A change read from a repository: where, under which config, for which trigger, what."""

    root: Path
    config: Config
    trigger: Trigger
    changes: ChangeSet
    tree: Tree | None = None  # the head's files (`--head REV`'s tree); None: the work tree


def read_change(
    request: Request, environ: Mapping[str, str], *, discover_services: bool = True
) -> Change:
    """The I/O edge: repository, config, trigger (flags, then environment) and the git diff."""
    context = read_context(request, environ, discover_services=discover_services)
    changes = read_changes(context, request)
    return Change(context.root, context.config, context.trigger, changes, context.tree)


def read_context(
    request: Request, environ: Mapping[str, str], *, discover_services: bool = True
) -> Context:
    """Repository root, its config and the trigger.

    `discover_services=False` skips compose discovery, for commands that never
    look at services (`filter`). With `--head REV` the config, compose files and
    `.env` are REV's (`tiered_ci.tree`), so a replayed plan is the plan REV had.
    """
    from tiered_ci import changes, events  # noqa: PLC0415 - keep --help fast
    from tiered_ci import config as config_module  # noqa: PLC0415
    from tiered_ci.tree import open_tree  # noqa: PLC0415

    root = changes.find_root(request.repo)
    tree = open_tree(root, request.head)
    config = config_module.load(root, request.config, tree)
    if discover_services and config.services_from:  # else discovery changes nothing
        from tiered_ci.images import discover  # noqa: PLC0415

        config = discover.resolve(config, tree, environ)
    trigger = events.from_environment(
        environ,
        event=request.event,
        event_path=request.event_path,
        default_branch=config.default_branch,
    )
    return Context(root, config, trigger, tree)


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


def plan_change(  # noqa: PLR0913 - plain data in, keyword-only extras
    config: Config,
    trigger: Trigger,
    changes: ChangeSet,
    watches: Mapping[str, Watch],
    *,
    shard_counts: Mapping[str, int] | None = None,
    domain_seconds: Mapping[str, float] | None = None,
    quiet: Mapping[str, str] | None = None,
    empty_remainders: frozenset[str] = frozenset(),
    unowned_tests: tuple[str, ...] | None = None,
) -> Plan:
    """Pure: map the changed files through the config's rules and decide the plan.

    `quiet`: path -> note, for files changed in a way no test can see
    (`lint_only_changes`); they are ignored and the note goes into the plan.
    `unowned_tests`: the test files no domain owns (`unowned_tests_at`; None: unknown).
    """
    from tiered_ci import mapping, plan  # noqa: PLC0415 - only commands that plan pay for them

    quiet = quiet or {}
    selection = mapping.select(
        changes.files, mapping.compile_rules(config, watches), quiet=frozenset(quiet)
    )
    if quiet:
        changes = replace(changes, notes=(*changes.notes, *quiet.values()))
    return plan.build_plan(
        trigger,
        changes,
        selection,
        config,
        shard_counts=shard_counts,
        domain_seconds=domain_seconds,
        empty_remainders=empty_remainders,
        unowned_tests=unowned_tests,
    )


def plan_for(
    change: Change,
    *,
    shard_counts: Mapping[str, int] | None = None,
    domain_seconds: Mapping[str, float] | None = None,
) -> Plan:
    """The plan of a change read from disk: its services' watch rules come from the head's
    files (Dockerfiles, ignore files; compose inputs compared with the base's)."""
    from tiered_ci.remainders import empty_remainders  # noqa: PLC0415
    from tiered_ci.tree import WorkTree  # noqa: PLC0415

    tree = change.tree or WorkTree(change.root)
    watches: Mapping[str, Watch] = {}
    if change.config.services:  # the images package is imported only by a config with services
        from tiered_ci.images import discover  # noqa: PLC0415

        watches = discover.watches_for_change(change.config, tree, change.changes)
    return plan_change(
        change.config,
        change.trigger,
        change.changes,
        watches,
        shard_counts=shard_counts,
        domain_seconds=domain_seconds,
        quiet=lint_only_changes(change.root, change.changes, change.tree),
        empty_remainders=empty_remainders(change.config, tree)
        if change.config.domains
        else frozenset(),
        unowned_tests=unowned_tests_at(change),
    )


def unowned_tests_at(change: Change) -> tuple[str, ...] | None:
    """The I/O edge of `tiered_ci.full_validation`: the head's test files no domain owns,
    read only when this trigger's full validation fans out (None: not needed, or git
    could not list the files; the plan then runs the rest fail-safe)."""
    from tiered_ci import full_validation  # noqa: PLC0415

    policy = change.config.triggers[change.trigger.kind]
    wanted = "full-e2e" in (*policy.always, *policy.affected)
    if not wanted or not full_validation.fans_out(change.config):
        return None
    from tiered_ci import _git  # noqa: PLC0415
    from tiered_ci._toml import tomllib  # noqa: PLC0415
    from tiered_ci.tree import GitTree, WorkTree  # noqa: PLC0415

    tree = change.tree or WorkTree(change.root)
    for ini in ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"):
        text = tree.read_text(ini) or ""
        if "python_files" in text or "testpaths" in text:
            return None  # collection settings this does not parse: unsure, run the rest
    try:
        if isinstance(tree, GitTree):
            listing = _git.call(change.root, "ls-tree", "-r", "-z", "--name-only", tree.sha)
        else:
            args = ("ls-files", "-z", "--cached", "--others", "--exclude-standard")
            listing = _git.call(change.root, *args)
    except (_git.GitFailed, OSError):
        return None
    try:
        document = tomllib.loads(tree.read_text("pyproject.toml") or "")
    except tomllib.TOMLDecodeError:
        document = {}
    collection = full_validation.collection_of(document)
    files = [f for f in listing.split("\0") if f]
    return full_validation.unowned_tests(files, change.config, collection)


def lint_only_changes(root: Path, changes: ChangeSet, head: Tree | None) -> dict[str, str]:
    """The I/O edge of `tiered_ci.pyproject`: each modified pyproject.toml whose change
    touches linter tables only, with the note that says so. Reads base and head texts
    (`head` None: the work tree)."""
    candidates = [
        f.path
        for f in changes.files
        if f.status == "modified" and f.path.rsplit("/", 1)[-1] == "pyproject.toml"
    ]
    if not candidates or changes.base is None or changes.fallback_reason is not None:
        return {}
    from tiered_ci.pyproject import lint_only_note  # noqa: PLC0415
    from tiered_ci.tree import GitTree, WorkTree  # noqa: PLC0415

    head = head or WorkTree(root)
    base = GitTree(root, changes.base)
    notes = {
        path: lint_only_note(path, base.read_text(path), head.read_text(path))
        for path in candidates
    }
    return {path: note for path, note in notes.items() if note is not None}
