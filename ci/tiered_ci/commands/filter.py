"""Which dorny/paths-filter filters match this change: a drop-in for the action, in pure git.

Reads dorny's filter YAML (--filters: a file, or inline YAML when the value
holds a newline or ':'), takes the changed files from git (same trigger logic
as `plan`: --event/--event-path, else $GITHUB_EVENT_NAME/$GITHUB_EVENT_PATH,
else local; --base/--head override) or from --files-json (rows of GitHub's
pull-request files API), and reports for every filter `<name>` (true/false),
`<name>_count`, `<name>_files` (with --list-files) and `changes` (the list of
matched filter names), exactly as dorny names them.

Differences from dorny, on purpose: no GitHub API and no token (so no 3000
file cap); an unknown status key (`add:` for `added:`) is an error; when git
cannot tell what changed, every filter is true (fail-safe) and the reason is
printed on stderr, while `_count`/`_files` list the tracked files that match.

Formats: json (default: one object on stdout) or github (appends the outputs
to $GITHUB_OUTPUT and prints a summary).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tiered_ci import github
from tiered_ci.commands._common import add_diff_arguments
from tiered_ci.errors import InputError

if TYPE_CHECKING:
    from tiered_ci.filters import FileChange, FilterResult

__all__ = [
    "FORMATS",
    "HELP",
    "add_arguments",
    "changed_files",
    "load_yaml",
    "read_files_json",
    "read_filters",
    "run",
    "summary",
    "write_github_output",
]

HELP = __doc__ or ""
FORMATS = ("json", "github")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filters",
        required=True,
        metavar="FILE_OR_YAML",
        help="dorny filter YAML: a file path, or the YAML itself when it holds a newline or ':'",
    )
    parser.add_argument(
        "--files-json",
        metavar="FILE",
        type=Path,
        help="take the changed files from this JSON list of {filename, status} "
        "(GitHub's pull-request files API) instead of git",
    )
    parser.add_argument(
        "--quantifier",
        choices=("some", "every"),
        default="some",
        help="a file matches a filter when some (default) or every one of its rules matches",
    )
    parser.add_argument(
        "--list-files",
        choices=("none", "csv", "json", "shell", "escape"),
        default="none",
        help="also output <name>_files in this format (default: none)",
    )
    parser.add_argument("--format", choices=FORMATS, default="json", help="default: json")
    add_diff_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from tiered_ci import filters as model  # noqa: PLC0415 - keep --help fast

    # checked before any work, so that bad input writes nothing anywhere
    output = (
        github.require_output(os.environ.get("GITHUB_OUTPUT")) if args.format == "github" else None
    )
    source, text = read_filters(args.filters)
    rules = model.parse_filters(load_yaml(text, source), source)
    if args.files_json is not None:
        files, reason = read_files_json(args.files_json), None
    else:
        files, reason = changed_files(args)
    results = model.match(rules, files, args.quantifier)
    if reason is not None:
        print(
            f"tiered-ci filter: warning: cannot tell what changed ({reason}); every filter is "
            "true (fail-safe); _count and _files list the tracked files that match",
            file=sys.stderr,
        )
        results = model.force_all(results)
    if output is not None:
        write_github_output(output, model.github_values(results, args.list_files))
        sys.stdout.write(summary(results))
    else:
        values = model.output_values(results, args.list_files)
        sys.stdout.write(json.dumps(values, indent=2, ensure_ascii=False) + "\n")
    return 0


# --- inputs ------------------------------------------------------------------------


def read_filters(value: str) -> tuple[str, str]:
    """(name for messages, YAML text): a path unless the value holds a newline or ':' (dorny)."""
    if "\n" in value or ":" in value:
        return "--filters (inline YAML)", value
    path = Path(value)
    source = f"--filters {value}"
    if not path.is_file():
        what = "is not a file" if path.exists() else "not found"
        raise InputError(f"{source}: {what}; pass a filter YAML file or inline YAML")
    try:
        return source, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read it ({exc.__class__.__name__})") from exc


def load_yaml(text: str, source: str) -> object:
    import yaml  # noqa: PLC0415 - PyYAML costs import time; only filter needs it

    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(f"{source}: not valid YAML ({where}{exc.problem}); fix the YAML") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML ({exc}); fix the YAML") from exc
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a filter file; fix the YAML") from None


def _loader() -> type:
    """A SafeLoader that reads the way dorny's js-yaml does where it matters for filters."""
    import yaml  # noqa: PLC0415

    class FilterLoader(yaml.SafeLoader):
        pass

    # YAML 1.2 booleans: `on`, `yes`, `no` stay text, as in js-yaml.
    FilterLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    FilterLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
        loader.flatten_mapping(node)  # YAML merge keys (<<), which js-yaml supports too
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in seen:
                # js-yaml rejects a duplicated key; PyYAML would keep the last one silently
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicated mapping key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return dict(loader.construct_pairs(node, deep=True))

    FilterLoader.add_constructor("tag:yaml.org,2002:map", mapping)
    return FilterLoader


def read_files_json(path: Path) -> list[FileChange]:
    from tiered_ci import filters as model  # noqa: PLC0415

    source = f"--files-json {path}"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read it ({exc.__class__.__name__})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError:
        raise InputError(f"{source}: nested too deeply; expected a list of files") from None
    return model.from_github_files(rows, source)


def changed_files(args: argparse.Namespace) -> tuple[list[FileChange], str | None]:
    """The diff for this trigger; on fallback, every tracked file as added (and why)."""
    from tiered_ci import changes, pipeline  # noqa: PLC0415
    from tiered_ci import filters as model  # noqa: PLC0415

    # the plan's first stage; filter matches its own globs, so services are never read
    request = pipeline.Request.from_args(args)
    change = pipeline.read_change(request, os.environ, discover_services=False)
    change_set = change.changes
    if change_set.fallback_reason is None:
        return model.from_git(change_set.files), None
    tracked = changes.tracked_files(change.root)
    return [model.FileChange(path, "added") for path in tracked], change_set.fallback_reason


# --- outputs -----------------------------------------------------------------------


def write_github_output(path: Path, values: dict[str, str]) -> None:
    github.append(path, github.output_text(values))  # rendered in full before appending


def summary(results: Sequence[FilterResult]) -> str:
    lines = []
    for result in results:
        why = " (fail-safe)" if result.forced else ""
        lines.append(
            f"{result.name} = {str(result.matched).lower()}{why}: {len(result.files)} file(s)"
        )
    return "\n".join(lines) + "\n"
