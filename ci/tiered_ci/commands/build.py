"""Build the Docker images of the services this change affects (or those named).

Without --services or --all it builds exactly the services `tiered-ci plan`
selects for the same trigger flags; when the change cannot be trusted (no
base, shallow clone, git failure) or a global input changed, it builds every
service and says why. Images are tagged <image>:<head sha> and
<image>:<first 12 of it> unless --tag is given.

Builders: docker buildx bake (one call, registry cache when cache =
"registry") when docker has buildx and an engine answers; else docker build,
podman build or buildah bud, independent builds in parallel (--jobs).
--dry-run prints each builder argv, one a line, and builds nothing.

Exit codes: 0 built (or nothing to build), 1 a build failed (all others
still finish), 2 bad flags or config (unknown service, missing Dockerfile,
no builder).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci.commands._common import add_diff_arguments
from tiered_ci.errors import CheckFailed, InputError, UsageError
from tiered_ci.escape import inline
from tiered_ci.model import Config, Service

if TYPE_CHECKING:
    from tiered_ci.images import builders
    from tiered_ci.pipeline import Change, Context, Request

__all__ = ["HELP", "Selected", "add_arguments", "run", "select_for_change"]

HELP = __doc__ or ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("what to build (default: what the plan selects)")
    what.add_argument(
        "--services", nargs="+", metavar="NAME", help="build these services (and only these)"
    )
    what.add_argument("--all", action="store_true", help="build every configured service")
    how = parser.add_argument_group("how")
    how.add_argument(
        "--builder",
        choices=("docker", "podman", "buildah"),
        help="force a builder (default: the first that works: docker buildx, docker, "
        "podman, buildah)",
    )
    how.add_argument(
        "--tag",
        action="append",
        metavar="TAG",
        help="image tag (repeatable; default: the head commit SHA and its 12-char prefix)",
    )
    how.add_argument("--push", action="store_true", help="push the images after building")
    how.add_argument(
        "--dry-run", action="store_true", help="print the builder commands, build nothing"
    )
    how.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        default=os.cpu_count() or 1,
        help="builds to run at once (default: the CPU count)",
    )
    add_diff_arguments(parser)


@dataclass(frozen=True, slots=True)
class Selected:
    services: tuple[Service, ...]
    why: str  # one line for the log
    head: str | None  # the commit the images are built from, when known


def run(args: argparse.Namespace) -> int:
    from tiered_ci.images import builders  # noqa: PLC0415 - keep --help fast and light

    if args.services and args.all:
        raise UsageError("--services and --all: pass one of them, not both")
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: expected at least 1")
    tags = [builders.check_tag(t) for t in args.tag or ()]
    from tiered_ci import pipeline  # noqa: PLC0415

    request = pipeline.Request.from_args(args)
    context = pipeline.read_context(request, os.environ)  # with compose-discovered services
    root, config = context.root, context.config
    selected = _with_image_contexts(_select(args, config, context, request), config)
    _log(selected.why)
    if not selected.services:
        _log("nothing to build")
        return 0
    _check_dockerfiles(root, selected.services)
    tags = tags or _default_tags(root, args.head, selected.head)
    choice = _choose_builder(args.builder, dry_run=args.dry_run)
    for note in choice.notes:
        _log(note)
    if config.cache == "registry" and choice.tool != "bake":
        _log(f'cache = "registry" applies to docker buildx only; {choice.tool} builds without it')
    if args.dry_run:
        _print_dry_run(choice.tool, selected.services, tags, push=args.push, cache=config.cache)
        return 0
    return _build(root, choice, selected.services, tags, args=args, cache=config.cache)


def _choose_builder(forced: str | None, *, dry_run: bool) -> builders.Choice:
    from tiered_ci.images import builders  # noqa: PLC0415

    probe = builders.SystemProbe()
    try:
        return builders.choose(forced, probe, os.environ, in_container=builders.in_container())
    except UsageError:
        if not (dry_run and forced):
            raise
    # --dry-run --builder X prints X's commands even where X is not installed: argv are pure.
    tools: dict[str | None, builders.Tool] = {"docker": "bake", "podman": "podman"}
    return builders.Choice(tools.get(forced, "buildah"))


def _print_dry_run(
    tool: builders.Tool, chosen: Sequence[Service], tags: Sequence[str], *, push: bool, cache: str
) -> None:
    from tiered_ci.images import builders  # noqa: PLC0415

    if tool == "bake":
        definition = builders.bake_file(chosen, tags, cache=cache)
        _log(f"bake file {builders.BAKE_FILE}:\n{json.dumps(definition, indent=2)}")
    for job in builders.make_jobs(tool, chosen, tags, push=push):
        for argv in job.commands:
            print(shlex.join(argv))


def _build(  # noqa: PLR0913 - the pieces of one build run
    root: Path,
    choice: builders.Choice,
    chosen: Sequence[Service],
    tags: Sequence[str],
    *,
    args: argparse.Namespace,
    cache: str,
) -> int:
    from tiered_ci.images import builders  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="tiered-ci-") as folder:
        bake_path = builders.BAKE_FILE
        if choice.tool == "bake":
            written = builders.write_bake_file(
                Path(folder), builders.bake_file(chosen, tags, cache=cache, root=root.resolve())
            )
            bake_path = str(written)
        jobs = builders.make_jobs(choice.tool, chosen, tags, push=args.push, bake_path=bake_path)
        names = ", ".join(s.name for s in chosen)
        _log(f"{choice.tool}: building {names} ({args.jobs} at once)")

        def execute(argv: builders.Argv) -> str:
            return builders.run(argv, cwd=root, env=choice.env)

        outcomes = builders.run_jobs(jobs, execute, workers=args.jobs, on_done=_report)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        what = ", ".join(name for o in failed for name in o.job.services)
        raise CheckFailed(f"{len(failed)} of {len(outcomes)} builds failed: {what}")
    refs = [ref for s in chosen for ref in builders.image_refs(s, tags)]
    _log(f"built {len(chosen)} image{'s' * (len(chosen) != 1)}: {' '.join(refs)}")
    return 0


def _report(outcome: builders.Outcome) -> None:
    names = ", ".join(outcome.job.services)
    if outcome.ok:
        _log(f"built {names} in {outcome.seconds:.1f}s")
    elif outcome.skipped is not None:
        _log(f"skipped {names}: {outcome.skipped}")
    else:
        command = shlex.join(outcome.failed_command)
        rule = "-" * 20
        sys.stderr.write(
            f"{rule} {names}: {command} exited {outcome.returncode} {rule}\n"
            f"{outcome.output.rstrip()}\n{rule} end of {names} {rule}\n"
        )
        _log(f"FAILED {names} ({command} exited {outcome.returncode})")


def _select(
    args: argparse.Namespace, config: Config, context: Context, request: Request
) -> Selected:
    known = config.services
    if args.services:
        unknown = [n for n in args.services if n not in known]
        if unknown:
            raise UsageError(
                f"--services: unknown service {unknown[0]!r}; "
                f"known: {', '.join(known) or 'none (configure [tool.tiered-ci.services.NAME])'}"
            )
        wanted = set(args.services)
        chosen = tuple(s for n, s in known.items() if n in wanted)
        return Selected(chosen, f"building the services named: {', '.join(args.services)}", None)
    if args.all:
        return Selected(tuple(known.values()), "building every service (--all)", None)
    from tiered_ci import pipeline  # noqa: PLC0415

    changes = pipeline.read_changes(context, request)  # only now: --services/--all need no diff
    return select_for_change(
        pipeline.Change(
            root=context.root,
            config=config,
            trigger=context.trigger,
            changes=changes,
            tree=context.tree,
        )
    )


def select_for_change(change: Change) -> Selected:
    """The plan's services for `change`: the same pipeline as `tiered-ci plan`, so they agree."""
    from tiered_ci import pipeline  # noqa: PLC0415

    the_plan = pipeline.plan_for(change)
    chosen = tuple(change.config.services[n] for n in the_plan.services)
    head_sha = change.changes.head
    if the_plan.mode == "all" and not the_plan.images_exact:
        reason = inline(the_plan.fallback_reason or "")
        return Selected(chosen, f"building every service: {reason}", head_sha)
    reasons = [r for r in the_plan.reasons if r.target.startswith("service:")]
    # File names come from the change: one line each (issue 13, S3).
    lines = [
        f"{r.target.removeprefix('service:')}: {inline(r.path or '-')} ({r.rule})" for r in reasons
    ]
    head = "building the services the change affects"
    why = "\n  ".join([head, *lines]) if lines else "no service's inputs changed"
    return Selected(chosen, why, head_sha)


def _with_image_contexts(selected: Selected, config: Config) -> Selected:
    """`selected` plus the services whose image a selected one builds on (`service:<name>`
    build contexts), as `docker compose build` does: that image must exist in this run."""
    chosen = {s.name: s for s in selected.services}
    added: list[str] = []
    pending = list(selected.services)
    while pending:
        for value in pending.pop().contexts.values():
            name = value.removeprefix("service:")
            if value.startswith("service:") and name in config.services and name not in chosen:
                chosen[name] = config.services[name]
                pending.append(chosen[name])
                added.append(name)
    if not added:
        return selected
    order = [s for n, s in config.services.items() if n in chosen]
    why = f"{selected.why}\n  also building {', '.join(added)}: a build context of a service above"
    return Selected(tuple(order), why, selected.head)


def _check_dockerfiles(root: Path, chosen: Sequence[Service]) -> None:
    for service in chosen:
        if service.unresolved:
            raise InputError(
                f"service {service.name!r}: cannot build: {service.unresolved}; set the variable, "
                f"or set context and dockerfile in [tool.tiered-ci.services.{service.name}]"
            )
        if not (root / service.dockerfile).is_file():
            raise InputError(
                f"service {service.name!r}: Dockerfile {service.dockerfile} not found in {root}; "
                f"fix tool.tiered-ci.services.{service.name}.dockerfile or add the file"
            )


def _default_tags(root: Path, head_flag: str | None, head: str | None) -> list[str]:
    from tiered_ci import changes  # noqa: PLC0415

    sha = head or changes.head_commit(root, head_flag)
    if sha is None:
        raise InputError(f"{root}: no commit to tag the images with; commit first or pass --tag")
    return [sha, sha[:12]]


def _log(message: str) -> None:
    print(f"tiered-ci build: {message}", file=sys.stderr)
