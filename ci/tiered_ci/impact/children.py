"""Measure the Python processes a recording run's tests start, instead of giving up on them.

While `pytest --impact-record` runs, a private folder holding a sitecustomize.py
is first on PYTHONPATH (os.environ), so every Python process the tests start
imports it: it measures that process for the recording (`tiered_ci.impact.child`)
and then imports whatever sitecustomize the process would have imported without
it. A token in the child's environment names whom to charge: os.environ holds the
current context's (set on every switch), which a child started with `env=None`
inherits, and so does a process started without an audit event (multiprocessing's
spawn start method); an `env` dict gets a token of its own.

A start is *measured* when the program is itself Python (python*, pypy*, or a
script whose `#!` line names one) and a report of its own arrived (its token, its
arguments; two alike starts need two reports); its lines join the context that
started it, like any line the test ran itself, and the data files it read become
that context's `file:` units. Anything
else stays `spawn` (selected for every change): a shell or make (it may read the
repository's files where nothing sees it, even if a Python grandchild reported),
a Python started with -I, -S or -E or with an environment of the test's own
making (no report), another interpreter without coverage.py, a fork, and a
measured child that started an unmeasurable process itself.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tiered_ci.impact import audit, store

__all__ = ["SWITCH_VAR", "Children", "Found", "Report", "enabled", "judge"]

# `TIERED_CI_IMPACT_CHILDREN=off` in the recording run's environment: no child is
# measured, every start that may run the repository's code is `spawn` (as before).
SWITCH_VAR = "TIERED_CI_IMPACT_CHILDREN"


def enabled() -> bool:
    return os.environ.get(SWITCH_VAR, "").strip().lower() not in {"off", "0", "false", "no"}


# Written into the run's folder. Plain syntax: any Python the tests start imports it.
_SITECUSTOMIZE = '''\
"""Written by pytest --impact-record (tiered-ci) for the processes its tests start.

It measures this process for the recording, then imports the sitecustomize this
process would have imported without it. Removed when the recording ends.
"""
import os as _os
import sys as _sys

_HERE = _os.path.dirname(_os.path.abspath(__file__))


def _tiered_ci_measure():
    if _os.environ.get("{child_var}") != _HERE:
        return  # a copy of the environment without the recording: nothing to do
    before = set(_sys.modules)
    _sys.path.insert(0, {code!r})
    try:
        from tiered_ci.impact import child
    except Exception:
        return
    finally:
        _sys.path.remove({code!r})
        for name in set(_sys.modules) - before:  # the process's own import of tiered_ci
            if name == "tiered_ci" or name.startswith("tiered_ci."):  # finds its own
                del _sys.modules[name]
    try:
        child.measure(_HERE, {root!r})
    except Exception:
        pass  # never fail the process: no report, and the recorder counts it unmeasured


def _tiered_ci_chain():
    # This folder leaves sys.path for good: the process sees the path it would have.
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _HERE]
    ours = _sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401 - the next one, if any
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
        _sys.modules["sitecustomize"] = ours


_tiered_ci_measure()
_tiered_ci_chain()
'''


@dataclass
class Found:
    """What the measured children ran and read, per context that started them."""

    lines: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # context -> file
    units: dict[str, set[str]] = field(default_factory=dict)  # context -> file:/spawn


class Children:
    """The test process's side: the folder, the environment, the tokens, the reports."""

    def __init__(self, repo: audit.Repository) -> None:
        self.repo = repo
        self.folder = tempfile.mkdtemp(prefix="tiered-ci-children-")
        code = str(Path(__file__).resolve().parents[2])  # the folder holding tiered_ci
        root = repo.prefix[:-1]
        Path(self.folder, "sitecustomize.py").write_text(
            _SITECUSTOMIZE.format(child_var=audit.CHILD_VAR, code=code, root=root),
            encoding="utf-8",
        )
        self.saved = {name: os.environ.get(name) for name in _VARIABLES}
        paths = os.environ.get("PYTHONPATH")
        self.pythonpath = os.pathsep.join(p for p in (self.folder, paths) if p)
        os.environ["PYTHONPATH"] = self.pythonpath
        os.environ[audit.CHILD_VAR] = self.folder
        self.spawner = audit.Spawner(repo, self.folder)
        self.contexts: dict[str, str] = {}  # token -> the context it is charged to
        self.context_tokens: dict[str, str] = {}  # context -> its token
        self.expected: list[tuple[str, str, tuple[str, ...]]] = []  # context, token, argv
        self.starts = 0
        self.closed = False

    def enter(self, context: str) -> None:
        """The current context changed: a child started without an event is charged to it."""
        token = self.context_tokens.get(context)
        if token is None:
            token = self.context_tokens[context] = f"c{len(self.context_tokens)}"
            self.contexts[token] = context
        os.environ[audit.TOKEN_VAR] = token

    def started(self, event: str, args: tuple[Any, ...], context: str) -> bool:
        """A process start (an audit event) in `context`: True when it cannot be measured."""
        self.starts += 1
        fresh = f"s{self.starts}"
        found = self.spawner.started(event, args, fresh, self.context_tokens.get(context))
        if isinstance(found, tuple):
            token, argv = found
            self.contexts.setdefault(token, context)
            self.expected.append((context, token, argv))
            return False
        return found == audit.UNMEASURED

    def close(self) -> Found:
        """Stop handing out tokens, read the reports, remove the folder."""
        if self.closed:
            return Found()
        self.closed = True
        self._restore()
        try:
            reports = list(_reports(Path(self.folder)))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        return judge(reports, self.contexts, self.expected)

    def _restore(self) -> None:
        for name, saved in self.saved.items():
            value, current = saved, os.environ.get(name)
            if name == "PYTHONPATH" and current != self.pythonpath:
                paths = (current or "").split(os.pathsep)
                if self.folder not in paths:
                    continue  # the test process set a path of its own: leave it
                paths.remove(self.folder)
                value = os.pathsep.join(paths)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_VARIABLES = ("PYTHONPATH", audit.CHILD_VAR, audit.TOKEN_VAR)


def judge(
    reports: list[Report],
    contexts: dict[str, str],
    expected: list[tuple[str, str, tuple[str, ...]]],
) -> Found:
    """Fold the reports into their contexts; every start no report accounts for is `spawn`.

    `expected` holds the test process's own Python starts (context, token, argv); each
    report adds the Python starts it saw in turn (their tokens extend its own)."""
    found = Found()
    by_token: dict[str, list[list[str]]] = {}  # the argv of each report, per token
    waiting = list(expected)
    for report in reports:
        context = contexts.get(report.token.partition("/")[0])
        if context is None:
            continue  # not this run's token
        by_token.setdefault(report.token, []).append(report.argv)
        lines = found.lines.setdefault(context, {})
        for filename, numbers in report.lines.items():
            lines.setdefault(filename, set()).update(numbers)
        units = found.units.setdefault(context, set())
        units.update(f"file:{rel}" for rel in report.files)
        if report.unmeasured:
            units.add(store.SPAWN)
        waiting.extend((context, token, argv) for token, argv in report.children)
    # Each start needs a report of its own: two alike starts and one report (the other
    # killed) leave one unmeasured. The most specific arguments choose first.
    for context, token, argv in sorted(waiting, key=lambda w: -len(w[2])):
        candidates = by_token.get(token, [])
        match = next((seen for seen in candidates if audit.started_by(argv, seen)), None)
        if match is None:
            found.units.setdefault(context, set()).add(store.SPAWN)
        else:
            candidates.remove(match)
    return found


@dataclass(frozen=True)
class Report:
    """One child's report, checked: a report that is not well-formed is left out (its
    start then stays unmeasured)."""

    token: str
    argv: list[str]
    lines: dict[str, set[int]]
    files: list[str]
    children: list[tuple[str, tuple[str, ...]]]
    unmeasured: bool

    @classmethod
    def parse(cls, text: str) -> Report | None:
        try:
            raw = json.loads(text)
            report = cls(
                token=_text(raw["token"]),
                argv=[_text(a) for a in raw["argv"]],
                lines={_text(f): {_number(n) for n in ns} for f, ns in raw["lines"].items()},
                files=[_text(f) for f in raw["files"]],
                children=[(_text(t), tuple(_text(a) for a in argv)) for t, argv in raw["children"]],
                unmeasured=raw["unmeasured"] is not False,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return report


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _number(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(value)
    return value


def _reports(folder: Path) -> Iterator[Report]:
    for path in sorted(folder.glob("*.json")):  # each renamed into place when complete
        try:
            report = Report.parse(path.read_text(encoding="utf-8"))
        except OSError:
            continue
        if report is not None:
            yield report
