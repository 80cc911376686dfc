"""Executed lines per context with `sys.monitoring` (PEP 669, Python 3.12+), for `impact.record`.

On Python 3.11 and before, the only way to see lines is a trace function, which puts
the interpreter in its tracing mode for every instruction of every frame, pytest's
own included: on a suite of many tiny tests the tracer alone costs more than the
tests (docs/performance.md, "Recording overhead on many tiny tests"). With
`sys.monitoring` an event can be switched off per code location, and then costs
nothing at all:

* PY_START and PY_RESUME, for every code object, once: the first time a code object
  starts (or a generator made before the recording resumes), the file is judged, as
  coverage.py judges it, once per file name. Code of the repository gets LINE events
  of its own (`set_local_events`); any other code returns DISABLE and is never seen
  again, so pytest's frames, the standard library and installed packages run at full
  speed.
* LINE, only in the repository's code: the callback notes (code, line) and returns
  DISABLE, so a line costs one callback per context however often it runs.
* `switch` charges what was noted to the context that ends and re-arms the LINE
  events of the code objects that ran since the last switch (their local events are
  set off and on again), so the next context sees its lines again. Only those code
  objects: `sys.monitoring.restart_events()` would re-arm every location of every tool,
  pytest's included, and each would cost a callback again in every test.

The lines are coverage.py's: a LINE event is what Python 3.12's `sys.settrace` turns
into a "line" event, and the file names are judged and named as coverage judges and
names them (`_canonical`), so a map records the same units whichever measured it
(tests/e2e/test_impact_monitor.py records one project both ways and compares).
Generators and coroutines resumed, class and module bodies, `exec` of code compiled
with a repository file name: all are code objects that start, and are seen.

Threads: the callbacks fire in every thread, including threads started before the
recording (coverage's trace function reaches only threads started after it). A line
another thread runs goes to the context current when it runs; one noted while a
switch is under way waits for the next switch, as with coverage's tracer
(`executed.MemoryContexts`).
"""

from __future__ import annotations

import dis
import os
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from tiered_ci.impact.executed import ExecutedLines, KeptContexts, KeptLines

__all__ = ["AVAILABLE", "TOOL_IDS", "TRUSTED", "MonitorContexts", "NoToolError", "free_tool"]

AVAILABLE = sys.version_info >= (3, 12)
# Where its lines are known to be coverage's (maps of packaging, rich and attrs
# compared): 3.12 and 3.13. Elsewhere the recorder uses coverage's tracer (fail safe).
TRUSTED = (3, 12) <= sys.version_info < (3, 14)
# Python 3.13 reports no LINE event for a line that shares its code object's RESUME
# instruction's line (a lambda, a generator expression, `def f(): return 1`) once that
# code object's local events are set again (only the first run would be charged). Such
# a line is noted from PY_START and PY_RESUME instead (`_resume_line`), which keep
# firing for those code objects.
_RESUME_LINE_QUIRK = sys.version_info >= (3, 13)
# Bound now: a test may take it away (attrs' `monkeypatch.delattr(sys, "_getframe")`),
# and the callbacks run inside the test.
_getframe = sys._getframe  # noqa: SLF001 - the frame that runs a code object first
# Tool ids, in the order they are tried: coverage's own first (a recorder is a coverage
# tool; coverage's sysmon core takes it only when coverage measures, which the recorder
# does not do in the same process), then the two ids no one reserves, then the
# profiler's and the optimizer's; the debugger's last, so that a debugger started in a
# test finds its id free.
TOOL_IDS = (1, 3, 4, 2, 5, 0)
_NAME = "tiered-ci impact"


class NoToolError(RuntimeError):
    """Every sys.monitoring tool id is taken by another tool."""


def free_tool() -> int | None:
    """The first tool id in `TOOL_IDS` that no tool holds, or None."""
    monitoring: Any = getattr(sys, "monitoring", None)
    if monitoring is None:
        return None
    return next((tool for tool in TOOL_IDS if monitoring.get_tool(tool) is None), None)


class MonitorContexts(KeptContexts):
    """`executed.Contexts` measured with sys.monitoring (see the module's docstring).

    `ours(canonical_filename)` says whether a file is measured; measuring starts at
    once. Lines run before the first `switch` belong to no context ("")."""

    def __init__(self, ours: Callable[[str], bool]) -> None:
        monitoring: Any = getattr(sys, "monitoring", None)
        if monitoring is None:
            raise RuntimeError("sys.monitoring needs Python 3.12 or later")
        super().__init__()
        tool = free_tool()
        if tool is None:
            raise NoToolError(_taken(monitoring))
        monitoring.use_tool_id(tool, _NAME)
        self.monitoring = monitoring
        self.tool = tool
        self.ours = ours
        self.context = ""
        self.judged: dict[str, str | None] = {}  # co_filename -> canonical name, or None
        # The repository's code objects seen, by id: code objects compare equal by
        # content, file name aside, so two files defining the same function at the
        # same lines would be one key. The code object is kept, so its id stays its own.
        self.names: dict[int, tuple[CodeType, str]] = {}
        self.noted: list[tuple[CodeType, int]] = []
        # Python 3.13+: the code objects (by id) whose first line is their RESUME line,
        # and that line; the lines so noted since the last switch.
        self.resume_lines: dict[int, int] = {}
        self.started: set[tuple[int, int]] = set()
        self.stopped = False
        events = monitoring.events
        self.line_event = events.LINE
        disable = monitoring.DISABLE
        note = self.noted.append
        resume_lines = self.resume_lines
        mark = self.started.add

        def line(code: CodeType, number: int) -> object:
            note((code, number))
            return disable

        def start(code: CodeType, offset: int) -> object:  # noqa: ARG001 - the event's signature
            key = id(code)
            if key not in self.names:
                self._judge(code)
            found = resume_lines.get(key)
            if found is None:
                return disable
            mark((key, found))
            return None  # every start: its LINE event cannot be re-armed

        monitoring.register_callback(tool, events.LINE, line)
        monitoring.register_callback(tool, events.PY_START, start)
        monitoring.register_callback(tool, events.PY_RESUME, start)
        monitoring.set_events(tool, events.PY_START | events.PY_RESUME)

    def switch(self, context: str) -> None:
        self._take()
        self.context = context

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        monitoring, tool = self.monitoring, self.tool
        monitoring.set_events(tool, 0)
        for code, _ in self.names.values():
            monitoring.set_local_events(tool, code, 0)
        events = monitoring.events
        for event in (events.LINE, events.PY_START, events.PY_RESUME):
            monitoring.register_callback(tool, event, None)
        monitoring.free_tool_id(tool)
        self._take()

    def read(self) -> ExecutedLines:
        return KeptLines({name: [kept] for name, kept in self.files.items()})

    def _judge(self, code: CodeType) -> None:
        """A code object starts for the first time: measure its lines if its file is ours."""
        filename = code.co_filename
        if filename in self.judged:
            name = self.judged[filename]
        else:
            # coverage judges a file name once, with the frame that first runs it.
            frame = _getframe(2)  # _judge, the callback, the code's frame
            try:
                name = _canonical(filename, frame)
            except (OSError, ValueError):  # a name no file can have (a NUL byte): not ours
                name = None
            if name is not None and not self.ours(name):
                name = None
            self.judged[filename] = name
        if name is not None and not self.stopped:
            self.names[id(code)] = (code, name)
            self.monitoring.set_local_events(self.tool, code, self.line_event)
            resume = _resume_line(code) if _RESUME_LINE_QUIRK else None
            if resume is not None:
                self.resume_lines[id(code)] = resume

    def _take(self) -> None:
        """Charge the lines noted since the last switch to the current context, and re-arm
        the LINE events of their code objects."""
        noted = self.noted
        count = len(noted)  # a line another thread notes from here on waits for the next
        taken = noted[:count]
        del noted[:count]
        starts = set(self.started)
        self.started.difference_update(starts)
        by_code: dict[int, set[int]] = {}
        for code, number in taken:
            found = by_code.get(id(code))
            if found is None:
                by_code[id(code)] = {number}
            else:
                found.add(number)
        for key, number in starts:
            by_code.setdefault(key, set()).add(number)
        by_file: dict[str, set[int]] = {}
        for key, numbers in by_code.items():
            code, name = self.names[key]
            by_file.setdefault(name, set()).update(numbers)
            if not self.stopped:
                # Off and on again: every line of the code object is armed once more.
                self.monitoring.set_local_events(self.tool, code, 0)
                self.monitoring.set_local_events(self.tool, code, self.line_event)
        for name, numbers in by_file.items():
            self._keep(name, frozenset(numbers), self.context)


def _resume_line(code: CodeType) -> int | None:
    """The line of `code`'s first RESUME when the instruction after it is on that line
    too (a lambda, a generator expression, `def f(): return 1`), else None."""
    instructions = dis.get_instructions(code)
    for instruction in instructions:
        if instruction.opname == "RESUME":
            # `positions` is 3.11+ (mypy checks this package as 3.10).
            line = getattr(getattr(instruction, "positions", None), "lineno", None)
            after = getattr(getattr(next(instructions, None), "positions", None), "lineno", None)
            return line if line is not None and after == line else None
    return None


def _taken(monitoring: Any) -> str:  # noqa: ANN401 - sys.monitoring (absent before 3.12)
    held = ", ".join(f"{tool}: {monitoring.get_tool(tool)!r}" for tool in range(6))
    return f"every sys.monitoring tool id is taken ({held})"


def _canonical(filename: str, frame: FrameType | None) -> str | None:
    """The file a code object's lines belong to, named as coverage.py names it (its
    `should_trace` and `canonical_filename`), or None for code that is no file."""
    if filename.startswith("<"):
        return None
    if frame is not None:
        # A compiled file moved after compilation: its __file__ says where it is now,
        # unless the base names differ (code exec'd under another name).
        dunder = frame.f_globals.get("__file__") if frame.f_globals else None
        if dunder:
            loaded = _source_for(str(dunder))
            if os.path.basename(filename) == os.path.basename(loaded):
                filename = loaded
    if not filename or filename.startswith(("<", "memory:")):
        return None
    if not os.path.isabs(filename):
        for folder in [os.curdir, *sys.path]:
            candidate = os.path.join(folder, filename)
            if os.path.exists(candidate):
                filename = candidate
                break
    return os.path.abspath(os.path.realpath(filename))


def _source_for(filename: str) -> str:
    if filename.endswith((".pyc", ".pyo")):
        return filename[:-1]
    return filename
