"""Test impact selection: merge recorded maps, select the tests a change can break.

  tiered-ci impact merge MAP... -o PATH
      merge the maps of xdist workers or --shard=K/N jobs (same commit) into one.
  tiered-ci impact select --map PATH [--base REV] [--head REV] [plan's flags]
      the tests the diff from the map's commit to head can break, as JSON or text.

Record a map with `pytest --impact-record=PATH`; run a selection with
`pytest --impact-select=FILE`. When the map cannot judge a change it says so
and selects more (import-graph dependents, a folder, a domain, everything).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci.commands._common import add_diff_arguments

if TYPE_CHECKING:
    from tiered_ci.changes import ChangedFile
    from tiered_ci.events import Trigger
    from tiered_ci.impact.select import Selection, Sources
    from tiered_ci.impact.store import ImpactMap
    from tiered_ci.model import Config

__all__ = [
    "FORMATS",
    "HELP",
    "add_arguments",
    "plan_note",
    "run",
    "run_merge",
    "run_select",
    "select_for",
    "select_from_args",
]

HELP = __doc__ or ""
FORMATS = ("json", "text")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="impact_command", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    merge = sub.add_parser("merge", help="merge partial impact maps of one commit into one")
    merge.add_argument("maps", nargs="+", type=Path, metavar="MAP", help="partial maps")
    merge.add_argument(
        "-o", "--output", type=Path, required=True, metavar="PATH", help="merged map"
    )
    merge.set_defaults(_run=run_merge)
    select = sub.add_parser(
        "select", help="the tests a change can break, from the map's commit to head"
    )
    select.add_argument("--map", type=Path, required=True, metavar="PATH", help="the impact map")
    add_diff_arguments(select)
    select.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: text on a terminal, json otherwise)",
    )
    select.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="also write the JSON to FILE (for --impact-select)",
    )
    select.set_defaults(_run=run_select)


def run(args: argparse.Namespace) -> int:  # pragma: no cover - set_defaults picks the action
    code: int = args._run(args)  # noqa: SLF001
    return code


def run_merge(args: argparse.Namespace) -> int:
    from tiered_ci.impact import store  # noqa: PLC0415

    merged = store.merge(store.read(path) for path in args.maps)
    store.write(args.output, merged)
    print(
        f"impact: merged {len(args.maps)} maps: {len(merged.tests)} tests, commit "
        f"{merged.commit[:12]} -> {args.output}",
        file=sys.stderr,
    )
    return 0


def run_select(args: argparse.Namespace) -> int:
    result = select_from_args(args)
    fmt = args.format or ("text" if sys.stdout.isatty() else "json")
    document = json.dumps(result.to_json(), indent=1) + "\n"
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(document, encoding="utf-8")
    sys.stdout.write(document if fmt == "json" else result.to_text())
    return 0


def select_from_args(args: argparse.Namespace) -> Selection:
    """The selection for the command's flags."""
    import os  # noqa: PLC0415

    from tiered_ci import pipeline  # noqa: PLC0415

    context = pipeline.read_context(
        pipeline.Request.from_args(args), os.environ, discover_services=False
    )
    return select_for(context.root, context.config, context.trigger, args.map, args.head)


def select_for(
    root: Path, config: Config, trigger: Trigger, map_path: Path, head_rev: str | None
) -> Selection:
    """Read the map and the diff from its commit to head, then judge (the pure part)."""
    from tiered_ci import changes  # noqa: PLC0415
    from tiered_ci.errors import InputError  # noqa: PLC0415
    from tiered_ci.impact import select, store  # noqa: PLC0415

    try:
        impact_map = store.read(map_path)
    except InputError as exc:
        return select.fallback(None, f"the impact map cannot be used: {exc}")
    # Locally (no --head) the work tree is what runs, uncommitted edits included.
    head = changes.head_commit(root, head_rev)
    work_tree = trigger.kind == "local" and head_rev is None
    problem = _unusable(root, impact_map, head, config.impact.max_age_days)
    if problem is not None:
        return select.fallback(impact_map, problem)
    assert head is not None  # noqa: S101 - _unusable said so
    target = None if work_tree else head
    files = changes.diff_files(root, impact_map.commit, target)
    inputs = select.Inputs(
        changes=files,
        hunks=changes.changed_lines(root, impact_map.commit, target),
        head_imports=_head_imports(root, target, files),
        texts=_texts(root, impact_map.commit, target, files),
        config=config,
        sources=_sources(root, impact_map.commit, target),
    )
    return select.judge(impact_map, inputs)


def plan_note(
    root: Path, config: Config, trigger: Trigger, head_rev: str | None
) -> tuple[str | None, Selection | None]:
    """The plan's line about impact selection (when `[tool.tiered-ci.impact]` enables it),
    and the selection when a map was there to make one."""
    if not config.impact.enabled:
        return None, None
    map_path = root / config.impact.map
    if not map_path.is_file():
        return (
            f"impact: no map at {config.impact.map}: the plan falls back to the domain rules "
            "(every test of the planned sessions runs)"
        ), None
    selection = select_for(root, config, trigger, map_path, head_rev)
    return f"impact: {selection.headline()}", selection


def _unusable(
    root: Path, impact_map: ImpactMap, head: str | None, max_age_days: float
) -> str | None:
    from tiered_ci import changes  # noqa: PLC0415

    if head is None:
        return "the repository has no commit to compare the map with"
    if not impact_map.clean:
        return (
            f"the map was recorded on a modified work tree (commit {impact_map.commit[:12]}), "
            "so its lines are not the commit's; record it on a clean checkout"
        )
    if (why := changes.related(root, impact_map.commit, head)) is not None:
        return f"the map cannot be compared with head: {why}"
    days = (changes.commit_time(root, head) - changes.commit_time(root, impact_map.commit)) / 86400
    if days > max_age_days:
        return (
            f"the map's commit {impact_map.commit[:12]} is {days:.0f} days older than head, "
            f"more than tool.tiered-ci.impact.max-age-days = {max_age_days:g}; record a new map"
        )
    return None


def _head_imports(
    root: Path, head: str | None, files: tuple[ChangedFile, ...]
) -> dict[str, tuple[str, ...] | None]:
    from tiered_ci import changes  # noqa: PLC0415
    from tiered_ci.impact import source  # noqa: PLC0415

    found: dict[str, tuple[str, ...] | None] = {}
    for change in files:
        if change.status != "deleted" and change.path.endswith(".py"):
            text = changes.read_at(root, head, change.path)
            names = source.imported_modules(text, change.path) if text is not None else None
            found[change.path] = tuple(names) if names is not None else None
    return found


def _sources(root: Path, base: str, head: str | None) -> Sources:
    """Python sources at the map's commit and at head (None: the work tree), read only
    when a rule asks."""
    from tiered_ci import changes  # noqa: PLC0415
    from tiered_ci.impact.select import Sources as _Sources  # noqa: PLC0415

    def grep(words: frozenset[str]) -> tuple[str, ...]:
        import git  # noqa: PLC0415

        args = ["-l", "-w", "-I", *(a for w in sorted(words) for a in ("-e", w))]
        args += ["--untracked"] if head is None else [head]
        try:
            out = str(changes.open_repo(root).git.grep(*args, "--", "*.py"))
        except git.GitCommandError as exc:
            if exc.status == 1:  # no file holds any of the words
                return ()
            raise
        prefix = f"{head}:" if head is not None else ""
        return tuple(line.removeprefix(prefix) for line in out.splitlines() if line)

    return _Sources(
        old=lambda path: changes.read_at(root, base, path),
        new=lambda path: changes.read_at(root, head, path),
        grep=grep,
    )


def _texts(
    root: Path, base: str, head: str | None, files: tuple[ChangedFile, ...]
) -> dict[str, tuple[str | None, str | None]]:
    from tiered_ci import changes  # noqa: PLC0415
    from tiered_ci.impact import deps  # noqa: PLC0415

    texts: dict[str, tuple[str | None, str | None]] = {}
    for change in files:
        path = change.path
        if path == "pyproject.toml" or deps.is_dependency_file(path):
            old = changes.read_at(root, base, change.old_path or path)
            new = None if change.status == "deleted" else changes.read_at(root, head, path)
            texts[path] = (old, new)
    return texts
