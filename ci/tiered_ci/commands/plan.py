"""Decide which sessions, domains and services run for this change, and why.

Reads the trigger from --event/--event-path (else $GITHUB_EVENT_NAME and
$GITHUB_EVENT_PATH, else local), diffs base...head with git, maps every
changed path through [tool.tiered-ci] and prints the plan. When it cannot be
sure what changed (base unreachable, shallow clone, git failure) it plans
everything (mode "all") and says why in fallback_reason.

Formats: text (the default on a terminal), json (the default otherwise; the
contract the workflows read), github (appends sessions, matrix, mode, services
and domains to $GITHUB_OUTPUT and a summary to $GITHUB_STEP_SUMMARY).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci.commands._common import add_diff_arguments
from tiered_ci.events import Trigger
from tiered_ci.model import Config

if TYPE_CHECKING:
    from tiered_ci.impact.select import Selection
    from tiered_ci.plan import Plan

if TYPE_CHECKING:
    from tiered_ci import pipeline
    from tiered_ci.plan import Plan

__all__ = ["EXPLAIN", "FORMATS", "HELP", "SHARDABLE_TIERS", "add_arguments", "run", "shard_counts"]

HELP = __doc__ or ""
FORMATS = ("text", "json", "github")
EXPLAIN = ("compact", "all")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_diff_arguments(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: text on a terminal, json otherwise)",
    )
    parser.add_argument(
        "--explain",
        nargs="?",
        const="compact",
        choices=EXPLAIN,
        help="say why: what runs, near misses (~) and every session; "
        "--explain=all lists every domain and service too",
    )


# Tiers whose session has the tier's name, so `--shard=K/N` can be passed straight to it.
SHARDABLE_TIERS = ("unit", "integration")


def shard_counts(config: Config, root: Path) -> dict[str, int]:
    """Shards per session for tiers whose recorded durations exceed `target-seconds`."""
    targets = {
        name: tier
        for name in SHARDABLE_TIERS
        if (tier := config.tiers.get(name)) is not None and tier.target_seconds is not None
    }
    path = root / config.durations
    if not targets or not path.is_file():
        return {}
    from tiered_ci import durations, shard  # noqa: PLC0415 - only plans with sharded tiers pay for it

    recorded = durations.read(path)
    counts = {}
    for name, tier in targets.items():
        assert tier.target_seconds is not None  # noqa: S101 - narrowed by the filter above
        tests = shard.tier_durations(recorded, tier.paths)
        owners = [
            t
            for d in config.domains.values()
            for t in ((*d.tests, *d.integration_tests) if name == "unit" else d.integration_tests)
        ]
        if owners and (name == "integration" or tier.fan_out):
            # Fanned out, `unit` runs only the tests no domain owns (plan.unit_remainder);
            # `integration` only those no domain's integration-tests hold.
            owned = shard.tier_durations(recorded, owners)
            tests = {node: s for node, s in tests.items() if node not in owned}
        counts[name] = shard.shards_needed(
            tests, tier.target_seconds, config.shard_overhead_seconds
        )
    return counts


def _impact_note(
    args: argparse.Namespace, root: Path, config: Config, trigger: Trigger, mode: str
) -> tuple[str | None, Selection | None]:
    """What impact selection will make of the planned test sessions (each session
    selects again from the same restored map)."""
    if mode == "none" or not config.impact.enabled:
        return None, None
    from tiered_ci.commands.impact import plan_note  # noqa: PLC0415

    return plan_note(root, config, trigger, args.head)


def widen_for_impact(the_plan: Plan, selection: Selection | None, config: Config) -> Plan:
    """Add `unit` (or `integration`) when impact selects tests no planned session runs.

    Domains are drawn by hand: a change in one can break a test of another. The map
    knows; the session then runs only the selected tests, so widening is cheap.
    """
    if selection is None or selection.mode != "partial" or the_plan.mode != "partial":
        return the_plan
    covered = [t for name in the_plan.domains for t in config.domains[name].tests]
    integration = list(config.tier("integration").paths)
    wanted: dict[str, str] = {}
    for file in selection.test_files:
        # A domain's own integration test runs in its domain-integration session (its
        # shard --ignores it, the tier-wide session too).
        owner = next(
            (
                n
                for n, d in config.domains.items()
                if any(_under(file, t) for t in d.integration_tests)
            ),
            None,
        )
        if owner is not None:
            session = f"domain-integration({owner})"
        elif any(_under(file, path) for path in covered):
            continue
        else:
            session = "integration" if any(_under(file, p) for p in integration) else "unit"
        if not _planned(session, the_plan.sessions, config):
            wanted.setdefault(session, file)
    if not wanted:
        return the_plan
    from dataclasses import replace  # noqa: PLC0415

    from tiered_ci.mapping import Reason  # noqa: PLC0415
    from tiered_ci.plan import MatrixEntry  # noqa: PLC0415

    reasons = [
        Reason(f"session:{s}", f, None, "impact: a selected test lies outside the planned sessions")
        for s, f in wanted.items()
    ]
    return replace(
        the_plan,
        sessions=(*the_plan.sessions, *wanted),
        matrix=(*the_plan.matrix, *(MatrixEntry(s) for s in wanted)),
        reasons=(*the_plan.reasons, *reasons),
    )


def _planned(session: str, sessions: tuple[str, ...], config: Config) -> bool:
    """`session` is planned, on any of its Pythons (`unit-3.12`, `domain-integration(a-3.12)`):
    widening must not add the same tests again as an unversioned job."""
    from tiered_ci.plan import versioned_sessions  # noqa: PLC0415

    names = {name for name, _ in versioned_sessions((session,), config)} | {session}
    return not names.isdisjoint(sessions)


def _under(file: str, path: str) -> bool:
    path = path.rstrip("/")
    return file == path or file.startswith(f"{path}/") or path in ("", ".")


def domain_seconds(config: Config, root: Path) -> dict[str, float]:
    """Recorded seconds of each domain's tests (the sum over its test paths), if any, and
    of its integration tests under `domain-integration(<name>)` (plan.pack_matrix)."""
    path = root / config.durations
    if not config.domains or not path.is_file():
        return {}
    from tiered_ci import durations, estimate  # noqa: PLC0415

    costs = estimate.costs(config, durations.read(path))
    out = {name: seconds for name, seconds in costs.domains.items() if seconds}
    out.update({f"domain-integration({n})": s for n, s in costs.integration.items() if s})
    return out


def _estimate(change: pipeline.Change, the_plan: Plan) -> str:
    """Runner time of this plan against running everything (the step summary's line)."""
    from tiered_ci import durations, estimate, pipeline  # noqa: PLC0415
    from tiered_ci.changes import ChangeSet  # noqa: PLC0415

    found = change.changes
    forced = ChangeSet(found.base, found.head, found.files, "for comparison: everything")
    everything = pipeline.plan_for(replace(change, changes=forced))
    path = change.root / change.config.durations
    recorded = durations.read(path) if path.is_file() else None
    return estimate.estimate(
        the_plan, everything, estimate.costs(change.config, recorded)
    ).summary()


def _with_config_notes(change: pipeline.Change, the_plan: Plan, *, explained: bool) -> Plan:
    """Notes on what the config leaves out: no table at the planned revision, or a
    change to code that has tests while the plan runs none (tiered_ci.orphans).
    Printed to stderr unless `--explain` lists them."""
    from tiered_ci.plan_notes import config_notes  # noqa: PLC0415

    notes = config_notes(change, the_plan)
    if not explained:
        for line in notes:
            print(f"tiered-ci plan: note: {line}", file=sys.stderr)
    return replace(the_plan, notes=(*the_plan.notes, *notes)) if notes else the_plan


def run(args: argparse.Namespace) -> int:
    from tiered_ci import github, pipeline, report  # noqa: PLC0415

    fmt = args.format or ("text" if sys.stdout.isatty() else "json")
    output = os.environ.get("GITHUB_OUTPUT")
    if fmt == "github":
        # before any work: a bad path for either file writes nothing anywhere
        github.require_output(output)
        github.optional_summary(os.environ.get("GITHUB_STEP_SUMMARY"))
    change = pipeline.read_change(pipeline.Request.from_args(args), os.environ)
    the_plan = pipeline.plan_for(
        change,
        shard_counts=shard_counts(change.config, change.root),
        domain_seconds=domain_seconds(change.config, change.root),
    )
    for warning in the_plan.warnings:
        print(f"tiered-ci plan: warning: {warning}", file=sys.stderr)
    note, selection = _impact_note(args, change.root, change.config, change.trigger, the_plan.mode)
    the_plan = widen_for_impact(the_plan, selection, change.config)
    the_plan = _with_config_notes(change, the_plan, explained=bool(args.explain))
    if note is not None:
        print(f"tiered-ci plan: {note}", file=sys.stderr)
    if fmt == "github":
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        guess = _estimate(change, the_plan) if summary else None
        report.write_github(the_plan, output, summary, guess)
        if note is not None and summary:
            from tiered_ci.impact.share import plan_section  # noqa: PLC0415

            document = selection.to_json() if selection is not None else None
            from tiered_ci.plan import PACK_SESSION  # noqa: PLC0415

            # A packed job runs several domains' sessions: each gets its own line.
            matrix = [
                (name, "") if e.session == PACK_SESSION else (e.session, e.args)
                for e in the_plan.matrix
                for name in (e.args.split() if e.session == PACK_SESSION else [e.session])
            ]
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write(plan_section(note, document, matrix, change.config))
        sys.stdout.write(report.to_text(the_plan, explain=args.explain))
    elif fmt == "json":
        sys.stdout.write(report.to_json(the_plan))
        if args.explain:
            every = args.explain == "all"
            sys.stderr.write("\n".join(report.explain_lines(the_plan, every=every)) + "\n")
    else:
        sys.stdout.write(report.to_text(the_plan, explain=args.explain))
    return 0
