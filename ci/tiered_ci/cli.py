"""Command line: `main(argv) -> int` builds the parser and dispatches.

Every subcommand lives in `ci/commands/<name>.py` and exposes `HELP`,
`add_arguments(parser)` and `run(args) -> int`. This module is the only place
where exceptions become exit codes: 0 ok, 1 a check or build failed, 2 bad
usage, config or input, 3 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn, TextIO, cast

from tiered_ci import __version__, escape
from tiered_ci.errors import CIError

__all__ = ["COMMANDS", "build_parser", "entry", "main"]

# subcommand -> module under tiered_ci.commands; modules import heavy things (git) lazily.
COMMANDS: dict[str, str] = {
    "plan": "plan",
    "check-config": "check_config",
    "filter": "filter",
    "import-filters": "import_filters",
    "shard": "shard",
    "durations": "durations",
    "build": "build",
    "impact": "impact",
    "replay": "replay",
    "init": "init",
}


def _width() -> int:
    """The help width argparse takes from `shutil.get_terminal_size()`, found without
    importing shutil (argparse builds a formatter for every argument it adds, and
    shutil brings bz2, lzma and zlib along: a cost on every plan, for no output)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, **options: int | None) -> None:
        options.setdefault("width", _width())
        super().__init__(prog, **options)  # type: ignore[arg-type] # argparse's own keywords


class _RawFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse exits 2 on bad usage already; keep its one-line message and hint.
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that subcommand's module is imported (plan latency:
    every workflow starts with `tiered-ci plan`, which need not import the other six)."""
    parser = _Parser(
        prog="tiered-ci",
        description="Tiered CI for Python repositories: plan, filter, shard and build "
        "from a git diff.",
        epilog="Exit codes: 0 ok, 1 a check or build failed, 2 bad usage/config/input, "
        "3 internal error.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, formatter_class=_Formatter)  # a name for choices; never parsed
            continue
        module = _command(module_name)
        doc = module.HELP
        command = sub.add_parser(
            name,
            help=doc.splitlines()[0],
            description=doc,
            formatter_class=_RawFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def _command(module_name: str) -> ModuleType:
    return importlib.import_module(f"tiered_ci.commands.{module_name}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Everything it prints (stdout, stderr, argparse's messages) passes
    through `escape.GuardedStream`: a file or branch name can never start a line that
    the Actions runner reads as a workflow command."""
    out, err = sys.stdout, sys.stderr
    guarded = escape.GuardedStream(out), escape.GuardedStream(err)
    sys.stdout, sys.stderr = cast("TextIO", guarded[0]), cast("TextIO", guarded[1])
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err
        for stream in guarded:
            with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream
                stream.close()


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(wanted if wanted in COMMANDS else None).parse_args(argv)
    _StartUp.resume_gc()
    try:
        code: int = args._run(args)  # noqa: SLF001 - set by set_defaults above
    except CIError as exc:
        print(f"tiered-ci {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tiered-ci shard ... | head` closed our stdout: not an error of ours. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:  # noqa: BLE001 - the one place an unexpected error becomes exit 3
        _crash_report(args.command, argv)
        return 3
    return code


def _crash_report(command: str, argv: Sequence[str]) -> None:
    """What a bug report needs, then the traceback: version, Python, platform, command line."""
    import platform  # noqa: PLC0415 - only a crash pays for these
    import shlex  # noqa: PLC0415
    import traceback  # noqa: PLC0415

    print(
        f"tiered-ci {command}: internal error (a bug in tiered-ci); please report it with "
        "everything below\n"
        f"tiered-ci version: {__version__}\n"
        f"python: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})\n"
        f"platform: {platform.platform()}\n"
        f"command: {shlex.join(['tiered-ci', *argv])}",
        file=sys.stderr,
        flush=True,
    )
    traceback.print_exc()


class _StartUp:
    """A CLI process pauses the cyclic garbage collector while it imports and parses.

    Start-up allocates a few hundred thousand long-lived objects (modules, classes,
    the functions dataclasses generate), and each collection walks them again: about
    a tenth of a small plan's time. None of them is garbage. Once the command line is
    parsed they are frozen out of the collector's reach and it runs as usual for the
    command itself. In-process callers of `main` (tests, the nox sessions) keep
    their own collector settings.
    """

    gc_paused = False

    @classmethod
    def pause_gc(cls) -> None:
        if gc.isenabled():
            gc.disable()
            cls.gc_paused = True

    @classmethod
    def resume_gc(cls) -> None:
        if cls.gc_paused:
            gc.freeze()
            gc.enable()
            cls.gc_paused = False


def entry() -> NoReturn:
    """Console-script entry point (and `python -m tiered_ci`)."""
    _StartUp.pause_gc()
    sys.exit(main())
