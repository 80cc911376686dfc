from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tiered_ci import durations as store

__all__ = ["HELP", "add_arguments", "run"]

HELP = """\
Manage recorded test durations (the {node_id: seconds} JSON file).

merge: combine durations files, e.g. the committed file and what each shard
job recorded with `pytest --shard=K/N --record-durations-to=PATH`. Later files
on the command line win for a test recorded in several; with --tests-from,
tests no longer collected are dropped. Every input is validated before
anything is written.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = sub.add_parser(
        "merge",
        help="merge durations files; later files win",
        description="Merge durations files; for a test in several, the later file wins.",
    )
    merge.add_argument("files", nargs="+", type=Path, metavar="FILE")
    merge.add_argument(
        "-o", "--output", type=Path, metavar="OUT", help="write here (default: stdout)"
    )
    merge.add_argument(
        "--tests-from",
        type=Path,
        metavar="FILE",
        help="keep only these tests (one node id a line, `pytest --collect-only -q` output)",
    )


def run(args: argparse.Namespace) -> int:
    if args.output is None:
        return _merge(args)
    # Locked from the first read to the replace: the output is often also an input
    # (`merge .test_durations shard-*.json -o .test_durations`), and two jobs doing
    # that at once must each see the other's result.
    with store.locked(args.output):
        return _merge(args)


def _merge(args: argparse.Namespace) -> int:
    documents = [store.read(path) for path in args.files]
    keep = None
    if args.tests_from is not None:
        keep = store.parse_node_ids(
            store.read_text(args.tests_from, "tests file"), str(args.tests_from)
        )
    merged = store.merge(documents, keep)
    recorded = len(set().union(*documents))
    dropped = f", {recorded - len(merged)} no longer collected dropped" if keep else ""
    if args.output is None:
        sys.stdout.write(store.dumps(merged))
    else:
        store.write(args.output, merged)
    print(
        f"tiered-ci durations: merged {len(args.files)} file(s): {len(merged)} test(s){dropped}",
        file=sys.stderr,
    )
    return 0
