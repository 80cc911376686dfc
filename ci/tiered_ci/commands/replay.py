"""Replay the config over the last N first-parent commits: what would each have run?

Each commit is planned as a pull request from its first parent, with today's
config (the work tree's, or --config FILE), never the commit's own table, so a
commit from before adoption is planned as today's table would plan it. The
commit's files still count: generated domains are expanded from the commit's
own tree and service inputs read from it. One line per commit (mode, domains,
services, jobs), then a summary:

* the share of commits that ran everything, and the rules and paths that made
  them, ranked by how many commits each one cost;
* the mean share of domains selected;
* estimated runner minutes and critical path against running everything on
  every commit, from the recorded durations (`durations`) and
  `shard-overhead-seconds` per job.

A commit that cannot be planned is reported and counted, never fatal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci.commands._common import add_repo_arguments
from tiered_ci.errors import CIError, InputError

if TYPE_CHECKING:
    from tiered_ci.estimate import Costs, Estimate
    from tiered_ci.model import Config
    from tiered_ci.plan import Plan

__all__ = ["HELP", "add_arguments", "run"]

HELP = __doc__ or ""
FORMATS = ("text", "json")
MAX_COMMITS = 5000


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_COMMITS:
        msg = f"expected a whole number from 1 to {MAX_COMMITS}, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--last", metavar="N", type=_count, required=True, help="replay the last N commits"
    )
    parser.add_argument(
        "--head", metavar="REV", default="HEAD", help="replay back from REV (default: HEAD)"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    add_repo_arguments(parser)


@dataclass
class _Tally:
    lines: list[dict[str, object]] = field(default_factory=list)
    causes: Counter[str] = field(default_factory=Counter)
    cause_paths: dict[str, Counter[str]] = field(default_factory=dict)
    cause_tops: dict[str, Counter[str]] = field(default_factory=dict)  # per top-level entry
    domain_shares: list[float] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    errors: int = 0


def run(args: argparse.Namespace) -> int:
    from tiered_ci import changes, config, durations, estimate  # noqa: PLC0415

    root = changes.find_root(args.repo)
    config_file = args.config or root / "pyproject.toml"
    current = config.load(root, args.config)
    if not current.table_found:
        raise InputError(f"{config_file}: no [tool.tiered-ci] table to replay; run tiered-ci init")
    recorded = root / current.durations
    costs = estimate.costs(current, durations.read(recorded) if recorded.is_file() else None)
    pairs = _first_parent_pairs(root, args.head, args.last)
    tally = _Tally()
    for parent, sha, subject in pairs:
        tally.lines.append(_replay_one(root, config_file, parent, sha, subject, costs, tally))
    summary = _summary(tally, current)
    if args.format == "json":
        sys.stdout.write(json.dumps({"version": 1, "commits": tally.lines, "summary": summary}))
        sys.stdout.write("\n")
    else:
        sys.stdout.write(_text(tally, summary))
    return 0


def _first_parent_pairs(root: Path, head: str, count: int) -> list[tuple[str, str, str]]:
    """(parent, commit, subject) for the last `count` first-parent commits, oldest first."""
    from tiered_ci import _git  # noqa: PLC0415
    from tiered_ci.changes import check_revision, open_repo  # noqa: PLC0415

    check_revision(head, "--head")  # never an option (`--output=FILE` would write a file)
    repo = open_repo(root)
    try:
        log = _git.run(
            repo,
            "log",
            "--first-parent",
            f"-n{count}",
            "--format=%H %P%x00%s",
            "--end-of-options",
            head,
            "--",
        )
    except Exception as exc:  # noqa: BLE001 - GitPython raises several kinds; one message
        raise InputError(f"--head {head!r}: cannot read its history: {exc}") from None
    pairs = []
    for line in log.splitlines():
        ids, _, subject = line.partition("\0")
        parts = ids.split()
        if len(parts) >= 2:  # the root commit has no parent to diff against
            pairs.append((parts[1], parts[0], subject))
    return pairs[::-1]


def _replay_one(  # noqa: PLR0913, PLR0917 - one commit's context, plain values
    root: Path,
    config_file: Path,
    parent: str,
    sha: str,
    subject: str,
    costs: Costs,
    tally: _Tally,
) -> dict[str, object]:
    line: dict[str, object] = {"sha": sha, "subject": subject}
    try:
        the_plan, everything, cfg = _plans(root, config_file, parent, sha)
    except CIError as exc:
        tally.errors += 1
        line["error"] = str(exc)
        return line
    from tiered_ci import estimate  # noqa: PLC0415

    guess = estimate.estimate(the_plan, everything, costs)
    tally.estimates.append(guess)
    if cfg.domains:
        tally.domain_shares.append(len(the_plan.domains) / len(cfg.domains))
    if the_plan.mode == "all":
        for rule, paths in _causes(the_plan, cfg).items():
            tally.causes[rule] += 1
            tally.cause_paths.setdefault(rule, Counter())[paths[0]] += 1
            # Ranked by folder (`scripts/`, `tox.ini`): what a user would
            # add to `ignore` or a domain to stop that rule costing full runs.
            tally.cause_tops.setdefault(rule, Counter()).update({_top(p) for p in paths})
    line.update(
        mode=the_plan.mode,
        fallback_reason=the_plan.fallback_reason,
        domains=list(the_plan.domains),
        services=list(the_plan.services),
        jobs=len(the_plan.matrix),
        estimate=guess.to_json(),
    )
    return line


def _plans(root: Path, config_file: Path, parent: str, sha: str) -> tuple[Plan, Plan, Config]:
    from tiered_ci import changes, config, pipeline  # noqa: PLC0415
    from tiered_ci.changes import ChangeSet  # noqa: PLC0415
    from tiered_ci.events import Trigger  # noqa: PLC0415
    from tiered_ci.images import discover  # noqa: PLC0415
    from tiered_ci.tree import GitTree  # noqa: PLC0415

    tree = GitTree(root, sha)
    cfg = discover.resolve(config.load(root, config_file, tree), tree, {})
    trigger = Trigger(event="pull_request", kind="pull_request", base_sha=parent, head_sha=sha)
    found = changes.detect(
        root,
        trigger,
        default_branch=cfg.default_branch,
        base=parent,
        head=sha,
        deepen_budget=cfg.deepen_budget,
    )
    watches = discover.watches_for_change(cfg, tree, found)
    quiet = pipeline.lint_only_changes(root, found, tree)
    the_plan = pipeline.plan_change(cfg, trigger, found, watches, quiet=quiet)
    forced = ChangeSet(found.base, found.head, found.files, "replay: everything, for comparison")
    everything = pipeline.plan_change(cfg, trigger, forced, watches)
    return the_plan, everything, cfg


def _causes(plan: Plan, cfg: Config) -> dict[str, list[str]]:
    """Rule -> the paths that made a plan run everything through it."""
    out: dict[str, list[str]] = {}
    for reason in plan.reasons:
        if reason.target == "run-all" and reason.path is not None:
            index = int(reason.rule.removeprefix("run-all[").rstrip("]"))
            out.setdefault(f"{reason.rule} {cfg.run_all[index]!r}", []).append(reason.path)
        elif reason.target == "unmapped" and reason.path is not None:
            out.setdefault(reason.rule, []).append(reason.path)
    if not out:
        out[plan.fallback_reason or "mode all"] = ["-"]
    return out


def _top(path: str) -> str:
    """The folder `path` counts under, two levels deep at most: `scripts/` for
    `scripts/a/b.py`, `ci/tiered_ci/` for `ci/tiered_ci/x/y.py`; a top-level file itself."""
    parts = path.split("/")
    if len(parts) == 1:
        return path
    return "/".join(parts[: min(2, len(parts) - 1)]) + "/"


def _summary(tally: _Tally, cfg: Config) -> dict[str, object]:
    planned = [line for line in tally.lines if "mode" in line]
    everything = sum(1 for line in planned if line["mode"] == "all")
    runner = sum(e.runner_seconds for e in tally.estimates)
    all_runner = sum(e.all_runner_seconds for e in tally.estimates)
    n = len(tally.estimates) or 1
    return {
        "commits": len(tally.lines),
        "errors": tally.errors,
        "run_all_share": round(everything / len(planned), 4) if planned else 0.0,
        "run_all_causes": [
            {
                "rule": rule,
                "commits": count,
                "paths": [p for p, _ in tally.cause_paths[rule].most_common(3)],
                "top": [
                    {"path": top, "commits": n} for top, n in tally.cause_tops[rule].most_common(5)
                ],
            }
            for rule, count in tally.causes.most_common()
        ],
        "mean_domain_share": round(sum(tally.domain_shares) / len(tally.domain_shares), 4)
        if tally.domain_shares
        else None,
        "domains": len(cfg.domains),
        "runner_minutes": round(runner / 60, 2),
        "all_runner_minutes": round(all_runner / 60, 2),
        "saving": round(1 - runner / all_runner, 4) if all_runner > 0 else 0.0,
        "mean_critical_path_minutes": round(
            sum(e.critical_seconds for e in tally.estimates) / n / 60, 2
        ),
        "all_mean_critical_path_minutes": round(
            sum(e.all_critical_seconds for e in tally.estimates) / n / 60, 2
        ),
        "durations_recorded": any(e.recorded for e in tally.estimates),
    }


def _text(tally: _Tally, summary: dict[str, object]) -> str:
    out = []
    for line in tally.lines:
        head = f"{str(line['sha'])[:10]}  "
        subject = str(line["subject"])[:60]
        if "error" in line:
            out.append(f"{head}error    {line['error']}  | {subject}")
            continue
        domains = line["domains"]
        assert isinstance(domains, list)  # noqa: S101 - built above
        shown = ", ".join(domains[:4]) + (f" +{len(domains) - 4}" if len(domains) > 4 else "")
        services = line["services"]
        assert isinstance(services, list)  # noqa: S101
        out.append(
            f"{head}{line['mode']:<8} jobs {line['jobs']:>3}  domains [{shown or '-'}]"
            f"  services [{', '.join(services) or '-'}]  | {subject}"
        )
    out += ["", f"replayed {summary['commits']} commits ({summary['errors']} could not be planned)"]
    out.append(f"ran everything: {float(summary['run_all_share']):.0%} of commits")  # type: ignore[arg-type]
    causes = summary["run_all_causes"]
    assert isinstance(causes, list)  # noqa: S101
    for cause in causes:
        tops = ", ".join(f"{t['path']} ({t['commits']})" for t in cause["top"])
        out.append(f"  {cause['commits']:>4} commits  {cause['rule']}  (by path: {tops})")
    share = summary["mean_domain_share"]
    if share is not None:
        out.append(f"mean share of domains selected: {float(share):.0%} of {summary['domains']}")  # type: ignore[arg-type]
    basis = (
        "" if summary["durations_recorded"] else " (no recorded durations: jobs at their overhead)"
    )
    out.append(
        f"estimated runner time: {summary['runner_minutes']} min against "
        f"{summary['all_runner_minutes']} min running everything on every commit: "
        f"saving {float(summary['saving']):.0%}{basis}"  # type: ignore[arg-type]
    )
    out.append(
        f"mean critical path: {summary['mean_critical_path_minutes']} min against "
        f"{summary['all_mean_critical_path_minutes']} min"
    )
    return "\n".join(out) + "\n"
