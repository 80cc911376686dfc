"""What an impact recording's audit hook judges, in the test process and in its children.

Two judgements, made where coverage.py cannot see:

* an `open` event: is it the repository's code (or a test) reading a file of the
  repository as data (a `file:` unit), or machinery (imports, tracebacks,
  pytest, coverage) reading source for itself;
* a process start: does it run no code of ours (git, text filters), is it a
  Python program whose own measurement can report back (the token reached its
  environment), or is it unmeasurable (a shell, make, uv, a fork, a Python started
  with an environment we may not touch).

Standard library only: `tiered_ci.impact.child` imports this module inside child
processes, which must not import pytest or anything else they would not import
themselves.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import MutableMapping
from types import FrameType
from typing import Any

__all__ = [
    "CHILD_VAR",
    "FORK_EVENTS",
    "IGNORE",
    "NOT_OURS",
    "RELEASE",
    "SPAWN_EVENTS",
    "TOKEN_VAR",
    "UNMEASURED",
    "Repository",
    "Spawner",
    "fsname",
    "is_python",
    "started_by",
]

# The folder of the run's sitecustomize.py (and of the children's reports), and the
# token naming who started a child: the context of the test process, or one start.
CHILD_VAR = "TIERED_CI_IMPACT_CHILD"
# The attribute of a child's Coverage object that stops measuring the child for the
# recording that started it (a recording run inside a recorded test needs coverage).
RELEASE = "tiered_ci_release"
TOKEN_VAR = "TIERED_CI_IMPACT_TOKEN"  # noqa: S105 - a name, not a secret

FORK_EVENTS = frozenset({"os.fork", "os.forkpty"})
SPAWN_EVENTS = (
    frozenset({"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system"})
    | FORK_EVENTS
)
# Programs known never to run the repository's code: git (GitPython and test helpers
# start it constantly), the text filters and pagers that tests of command-line tools
# pipe output through (a pager test runs `less` or `cat`, an editor test `sed -i`), and
# `which` (tests look for a program before they run it). None of them starts a program
# of the test's choosing. Any other child may: python and
# console scripts directly, a shell, make, uv, an editor or a container through them.
_NEVER_OURS = frozenset(
    {"git", "cat", "head", "tail", "less", "more", "sed", "sort", "uniq", "wc", "tr", "cut"}
    | {"grep", "true", "false", "echo", "printf", "tee", "diff", "cmp", "which"}
)
# Folders under the root that hold installed code, not the repository's own.
NOT_OURS = frozenset({".venv", "venv", ".nox", ".tox", "site-packages", "node_modules", ".git"})

# Python source is what the import system executes and coverage measures. Other readers
# of it are machinery, not a test reading data: tracebacks and warnings (linecache),
# inspect, pytest's assertion rewriting and doctest collection, coverage's own stack
# checks, and hypothesis, which mines every local module's constants at collection
# (that made every .py file a data input of every test: select-all for any change).
_SOURCE_SUFFIXES = (".py", ".pyw")
# The import system and runpy execute the source they read: coverage measures that.
_EXECUTES = frozenset({"importlib._bootstrap", "importlib._bootstrap_external", "zipimport"})
_EXECUTES_DIRECTLY = frozenset({"runpy"})
# Modules that only show source (tracebacks, warnings, introspection): data when the
# repository's own code asked them, machinery when anything else did.
_SOURCE_READERS = frozenset({"linecache", "tokenize", "inspect", "traceback", "doctest"})
# Test-run tools whose reading of source never decides a test's outcome. Any other
# reader (a type checker run by a test, a copy into a fixture) reads data: a read
# recorded too many selects a test too many, never one too few.
_TOOLS = frozenset(
    {"_pytest", "pytest", "pluggy", "coverage", "hypothesis", "_hypothesis_pytestplugin"}
    | {"xdist", "execnet"}
)
_WRAPPERS = frozenset({"pathlib", "io", "_pyio", "codecs"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# A Python interpreter by name: python, python3, python3.12, python3.13t, pypy3.
_PYTHON = re.compile(r"(python|pypy)(\d+(\.\d+)*)?t?(\.exe)?")

# What a process start means for the measurement (Spawner.started).
IGNORE = "ignore"  # runs no code of ours
UNMEASURED = "unmeasured"  # may run our code where no report can come from


class Repository:
    """The audit hook's judgements for one repository root."""

    def __init__(self, root: str) -> None:
        self.prefix = f"{root}{os.sep}"
        self.busy = False  # reading a program's first line: not the test's read

    def coverage_options(self) -> dict[str, Any]:
        """What coverage.py measures: the repository's files, not installed code."""
        return {
            "data_file": None,
            "config_file": False,
            "branch": False,
            "include": [f"{self.prefix}*"],
            "omit": [f"*{os.sep}{name}{os.sep}*" for name in NOT_OURS],
        }

    def relative(self, filename: str) -> str | None:
        name = os.path.normpath(filename)
        if not name.startswith(self.prefix):
            return None
        rel = name[len(self.prefix) :].replace(os.sep, "/")
        return None if NOT_OURS.intersection(rel.split("/")) else rel

    def data_read(self, args: tuple[Any, ...], frame: FrameType | None) -> str | None:
        """The repository file an `open` event reads as data, if any; `frame` opened it."""
        if self.busy or not _reads(args):
            return None
        name = fsname(args[0])
        if name is None:
            return None
        if not os.path.isabs(name):
            name = os.path.join(os.getcwd(), name)
        name = os.path.normpath(name)
        if not name.startswith(self.prefix) or "__pycache__" in name:
            return None
        rel = name[len(self.prefix) :].replace(os.sep, "/")
        if NOT_OURS.intersection(rel.split("/")):
            return None
        if rel.endswith(_SOURCE_SUFFIXES) and not self.reads_source(frame):
            return None
        return rel

    def reads_source(self, frame: FrameType | None) -> bool:
        """Whether this read of a Python source file is the test reading it as data.

        The caller decides, below the file wrappers (pathlib, io): the import system
        executes what it reads; a source reader (linecache, inspect) reads for whoever
        called it; a test-run tool (pytest, coverage, hypothesis) reads for itself.
        Anything else, the repository's own code first, reads data.
        """
        frame = _skip(frame, _WRAPPERS)
        if frame is None:
            return True  # opened from C code: assume data
        module = _module(frame)
        if module in _EXECUTES_DIRECTLY or (module in _EXECUTES and _importing(frame)):
            return False
        if module.partition(".")[0] in _SOURCE_READERS:
            caller = _skip(frame, _WRAPPERS | _SOURCE_READERS)
            return caller is not None and self.is_ours(caller)
        return not _is_tool(module)

    def is_ours(self, frame: FrameType) -> bool:
        """Code of the repository (tests, conftests, the project), not installed code."""
        name = os.path.normpath(frame.f_code.co_filename)
        if not name.startswith(self.prefix):
            return False
        return not NOT_OURS.intersection(name[len(self.prefix) :].split(os.sep))

    def may_run_our_code(self, event: str, args: tuple[Any, ...]) -> bool:
        if event in FORK_EVENTS:
            return True  # the copy runs this process's code, unmeasured
        text = fsname(_program(event, args))
        # An unknown shape may run our code; so may anything not known never to, and any
        # program of the repository itself (a `bin/cat` script is no cat).
        if text is None or (os.sep in text and self.relative(os.path.abspath(text))):
            return True
        name = os.path.basename(text)
        return name.removesuffix(".exe").lower() not in _NEVER_OURS


class Spawner:
    """Hands each process start that may run our code a token, where the child can read it.

    A child Python process measured by `tiered_ci.impact.child` writes a report naming
    the token it found in its environment. Only `subprocess.Popen` can carry one: its
    audit event comes before the environment is read. With `env=None` the child
    inherits os.environ and the token already there (the current context's, which
    os.environ holds between starts: nothing changes under the test's feet); an `env`
    dict copied from os.environ gets a token of its own, and this run's folder first
    on its PYTHONPATH. A dict built without this run's variables is left alone: no
    report comes, the start stays unmeasured.
    os.exec*, os.posix_spawn and os.spawn* read their environment before the event,
    and a fork copies this process where its measurement cannot follow.
    """

    def __init__(self, repo: Repository, folder: str) -> None:
        self.repo = repo
        self.folder = folder
        self._pending: tuple[str, list[str]] | None = None  # the last Popen

    def started(  # noqa: PLR0911 - one outcome per kind of start
        self, event: str, args: tuple[Any, ...], fresh: str, inherited: str | None
    ) -> str | tuple[str, tuple[str, ...]]:
        """IGNORE, UNMEASURED, or the token and argv of a Python child that may report.

        `fresh` is the token an `env` dict gets; `inherited` is the one os.environ should
        hold (a different one there, and the child would be charged elsewhere)."""
        pending, self._pending = self._pending, None
        if event == "os.posix_spawn" and pending == (fsname(args[0]), _argv(args[1])):
            return IGNORE  # subprocess's own posix_spawn path: the Popen event counted
        if not self.repo.may_run_our_code(event, args):
            return IGNORE
        if event != "subprocess.Popen":
            return UNMEASURED
        executable, argv, cwd, env = args
        program, arguments = fsname(executable), _argv(argv)
        if program is None or arguments is None:
            return UNMEASURED
        self._pending = (program, arguments)
        target: MutableMapping[str, str] = os.environ if env is None else env
        if not isinstance(target, MutableMapping) or target.get(CHILD_VAR) is None:
            return UNMEASURED  # an environment of the test's own making
        self.repo.busy = True  # the first-line read below is not the test's
        try:
            python = is_python(program, target.get("PATH"), fsname(cwd) if cwd else None)
        finally:
            self.repo.busy = False
        if not python:
            return UNMEASURED
        if env is None:
            if inherited is None or os.environ.get(TOKEN_VAR) != inherited:
                return UNMEASURED
            return inherited, tuple(arguments)
        target[TOKEN_VAR] = fresh
        target[CHILD_VAR] = self.folder
        paths = target.get("PYTHONPATH", "")
        if self.folder not in paths.split(os.pathsep):
            target["PYTHONPATH"] = os.pathsep.join(p for p in (self.folder, paths) if p)
        return fresh, tuple(arguments)


def started_by(expected: tuple[str, ...] | list[str], argv: list[str]) -> bool:
    """Whether a report's `sys.orig_argv` is the process started with argv `expected`.

    The interpreter sees the arguments after argv[0] at the end of its own argv (a
    script adds its path, a shebang line its options before it); a process that merely
    inherited the token (multiprocessing's children, started without an audit event)
    runs other arguments."""
    tail = list(expected[1:])
    if not tail:
        return len(argv) <= 2  # the interpreter alone, or a script by its shebang
    return len(argv) > len(tail) and argv[-len(tail) :] == tail


def is_python(program: str, path: str | None, cwd: str | None) -> bool:
    """Whether a program is a Python interpreter: a binary named like one, or a script
    whose `#!` line names one. A script named `python` (a version manager's shim) is
    judged by its own first line: a shell that may read the repository's files."""
    if os.sep in program:
        found: str | None = os.path.join(cwd or os.getcwd(), program)
    else:
        found = shutil.which(program, path=path)
    first = b""
    if found is not None:
        try:
            with open(found, "rb") as script:
                first = script.readline(256)
        except OSError:
            return False
    if not first.startswith(b"#!"):  # a binary (or not found): by its name
        return _PYTHON.fullmatch(os.path.basename(program).lower()) is not None
    words = first[2:].split()
    if words and os.path.basename(words[0]) == b"env":
        words = words[1:]  # `env -S ...` and other options: not plainly python
    interpreter = os.fsdecode(os.path.basename(words[0])).lower() if words else ""
    return _PYTHON.fullmatch(interpreter) is not None


def fsname(target: object) -> str | None:
    if isinstance(target, str | bytes | os.PathLike):
        return os.fsdecode(os.fspath(target))
    return None  # a file descriptor


def _argv(argv: object) -> list[str] | None:
    if isinstance(argv, str | bytes | os.PathLike):
        return [os.fsdecode(os.fspath(argv))]
    try:
        found = [fsname(a) for a in argv]  # type: ignore[attr-defined]
    except TypeError:
        return None
    return None if None in found else [a for a in found if a is not None]


def _program(event: str, args: tuple[Any, ...]) -> object:
    if event == "os.system":
        return str(args[0]).split(maxsplit=1)[0] if str(args[0]).strip() else ""
    if event == "subprocess.Popen":
        executable, argv = args[0], args[1]
        if executable is None:
            argv = argv.split(maxsplit=1) if isinstance(argv, str | bytes) else list(argv)
            executable = argv[0] if argv else ""
        return executable
    if event == "os.spawn":
        return args[1]
    return args[0]  # os.exec, os.posix_spawn


def _module(frame: FrameType) -> str:
    """The module a frame runs in: "importlib._bootstrap" even for frozen code."""
    name = frame.f_globals.get("__name__")
    return name if isinstance(name, str) else ""


def _skip(frame: FrameType | None, modules: frozenset[str]) -> FrameType | None:
    """The first frame, outward, whose top-level module is not one of `modules`."""
    while frame is not None and _module(frame).partition(".")[0] in modules:
        frame = frame.f_back
    return frame


def _is_tool(module: str) -> bool:
    return module.partition(".")[0] in _TOOLS


def _importing(frame: FrameType) -> bool:
    """Whether a loader's get_data serves an import (get_code) rather than a caller
    asking for a resource (pkgutil.get_data), which is data."""
    caller = frame.f_back
    return frame.f_code.co_name != "get_data" or (
        caller is not None and _module(caller) in _EXECUTES
    )


def _reads(args: tuple[Any, ...]) -> bool:
    """Whether an `open` audit event reads: open() passes a mode, os.open() flags."""
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return "r" in mode or "+" in mode
    return isinstance(flags, int) and not flags & _WRITE_FLAGS
