"""Inside a child Python process of a recording run: measure it, report at exit.

`tiered_ci.impact.children` puts a sitecustomize.py first on the PYTHONPATH of the
test process; every Python process started below it imports that file at startup,
which calls `measure` here. The child then runs under coverage.py with the
recorder's own settings (the repository's files, not installed code) and an audit
hook making the recorder's own judgements (`tiered_ci.impact.audit`): repository
files read as data, and processes it starts in turn (each gets a token of its own;
an unmeasurable one marks this report). At exit it writes one JSON report into the
run's folder:

    {"token": "s12", "pid": 4242, "argv": [...sys.orig_argv...],
     "lines": {"/abs/src/pkg/mod.py": [1, 2, 5]}, "files": ["data/x.csv"],
     "children": [["s12/4242.1", [...argv...]]], "unmeasured": false}

Anything that goes wrong writes nothing: the recorder then treats the start as
unmeasured (`spawn`), as it did before children were measured. A process that
never reaches its exit handlers (os._exit, a signal, exec) writes nothing too.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
import warnings
from typing import Any

from tiered_ci.impact import audit

__all__ = ["measure"]

_EVENTS = audit.SPAWN_EVENTS | {"sys.settrace"}


def measure(folder: str, root: str) -> None:
    """Start measuring this process for the recording whose folder and root these are."""
    token = os.environ.get(audit.TOKEN_VAR)
    if not token:
        return
    try:
        import coverage  # noqa: PLC0415 - only a measured child imports it
    except ImportError:
        return  # another interpreter or environment: no report, the start stays `spawn`
    if coverage.Coverage.current() is not None:
        return  # measured already (COVERAGE_PROCESS_START): not by our settings
    probe = _Probe(folder, audit.Repository(root), token, coverage)
    with warnings.catch_warnings():  # the child's output is the test's, not ours
        warnings.simplefilter("ignore")
        probe.cov.start()
    _patch_start(coverage, probe)
    setattr(probe.cov, audit.RELEASE, probe.release)
    sys.addaudithook(probe.audit)
    atexit.register(probe.write)  # after coverage's own handler: runs before it


class _Probe:
    def __init__(self, folder: str, repo: audit.Repository, token: str, module: Any) -> None:  # noqa: ANN401 - the coverage module
        self.folder = folder
        self.repo = repo
        self.token = token
        self.cov = module.Coverage(**repo.coverage_options())
        self.spawner = audit.Spawner(repo, folder)
        self.files: set[str] = set()
        self.children: list[tuple[str, tuple[str, ...]]] = []
        self.unmeasured = False
        self.done = False

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self.done or (event != "open" and event not in _EVENTS):
            return
        try:
            self.judge(event, args, sys._getframe(0).f_back)  # noqa: SLF001 - who caused it
        except Exception:  # noqa: BLE001 - an exception here would fail the child's call
            self.unmeasured = True

    def judge(self, event: str, args: tuple[Any, ...], frame: Any) -> None:  # noqa: ANN401 - a frame or None (the interpreter opening its script)
        if event == "open":
            rel = self.repo.data_read(args, frame)
            if rel is not None:
                self.files.add(rel)
        elif event in audit.SPAWN_EVENTS:
            fresh = f"{self.token}/{os.getpid()}.{len(self.children) + 1}"
            found = self.spawner.started(event, args, fresh, self.token)
            if found == audit.UNMEASURED:
                self.unmeasured = True
            elif isinstance(found, tuple):
                self.children.append(found)
        elif event == "sys.settrace" and not _coverage_installs(frame):
            # A debugger or another tracer replaces coverage's in this thread: lines
            # would go unseen.
            self.unmeasured = True

    def release(self) -> None:
        """This process needs coverage for itself (it records an impact map): what it
        runs from now on is not measured for the test that started it."""
        self.unmeasured = True
        self.write()

    def write(self) -> None:
        if self.done:
            return
        self.done = True
        temporary = os.path.join(self.folder, f".{os.getpid()}.{id(self)}.tmp")
        try:
            with warnings.catch_warnings():  # "no data collected" is no news to the test
                warnings.simplefilter("ignore")
                self.cov.stop()
                data = self.cov.get_data()
            report = {
                "token": self.token,
                "pid": os.getpid(),
                "argv": list(getattr(sys, "orig_argv", sys.argv)),
                "lines": {name: sorted(data.lines(name) or ()) for name in data.measured_files()},
                "files": sorted(self.files),
                "children": [[token, list(argv)] for token, argv in self.children],
                "unmeasured": self.unmeasured,
            }
            with open(temporary, "w", encoding="utf-8") as out:
                json.dump(report, out)
            os.replace(temporary, os.path.join(self.folder, f"{os.getpid()}.{id(self)}.json"))
        except Exception:  # noqa: BLE001 - never fail the child: no report means `spawn`
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _patch_start(module: Any, probe: _Probe) -> None:  # noqa: ANN401 - the coverage module
    """Another coverage.py measurement in this process (`coverage run`, pytest-cov) pauses
    ours while it runs: what runs then goes unseen, so the report says unmeasured."""
    original = module.Coverage.start

    def start(self: Any) -> None:  # noqa: ANN401
        if self is not probe.cov:
            probe.unmeasured = True
        original(self)

    module.Coverage.start = start


def _coverage_installs(frame: Any) -> bool:  # noqa: ANN401 - a frame or None
    """A new thread installs coverage's tracer through threading, then coverage swaps it
    for its real one (another Coverage's start is caught by `_patch_start`)."""
    name = frame.f_globals.get("__name__") if frame is not None else None
    return isinstance(name, str) and (name == "threading" or name.partition(".")[0] == "coverage")
