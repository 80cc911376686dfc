"""Executed lines per dynamic context, for `impact.record`.

coverage.py's `switch_context` writes the lines run since the last switch into its
in-memory SQLite database, one query per measured file and a context row per new
context; reading them back (`contexts_by_lineno`) decodes them again. With a switch
or two per test, on a suite of many tiny tests that cost more than the tests (62,000
tests of packaging: about a fifth of the recording run). `MemoryContexts` keeps the
same data in dictionaries instead: at each switch it takes the lines the tracer
gathered since the last one and empties the tracer's sets, as coverage's own flush
does. The lines recorded are the same; only where they are kept differs.

That needs the collector's private attributes (`Coverage._collector`, its `data`
dictionary of filename -> set of lines, its `tracers`): `for_coverage` uses them only
for a coverage version and tracer whose layout is known (checked, not assumed), and
otherwise returns `CoverageContexts`, coverage's public API. Both answer the two
questions `record` asks at the end: `measured_files()` and `contexts_by_lineno()`,
with the meanings of coverage's CoverageData methods of the same names.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from itertools import compress
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import coverage

__all__ = [
    "Contexts",
    "CoverageContexts",
    "ExecutedLines",
    "KeptContexts",
    "KeptLines",
    "MemoryContexts",
    "for_coverage",
]

# Coverage versions whose collector layout `MemoryContexts` reads (checked at runtime
# too): 7.x keeps `Coverage._collector.data` as {filename: set of line numbers} shared
# with every tracer, emptied in place by `flush_data`.
_KNOWN_MAJOR = 7
# The tracers that record every line into that dictionary each time it runs (the
# sys.monitoring one stops reporting a line after its first run).
_TRACERS = frozenset({"CTracer", "PyTracer"})


class ExecutedLines(Protocol):
    """What ran, read back as from coverage's CoverageData."""

    def measured_files(self) -> Collection[str]: ...

    def contexts_by_lineno(self, filename: str) -> dict[int, list[str]]: ...


class Contexts(Protocol):
    """Where the lines a context ran go between switches."""

    def switch(self, context: str) -> None:
        """Charge the lines run since the last switch to the current context; make
        `context` current."""

    def stop(self) -> None:
        """Stop measuring; charge what is left to the current context."""

    def add(self, lines: Mapping[str, Mapping[str, Collection[int]]]) -> None:
        """Charge lines measured elsewhere (context -> filename -> line numbers)."""

    def read(self) -> ExecutedLines:
        """Everything charged, after `stop`."""


def for_coverage(cov: coverage.Coverage) -> Contexts:
    """The fastest way to keep `cov`'s contexts that this coverage supports.

    Call after `cov.start()`: the collector and its tracer exist only then."""
    collector = _collector(cov)
    if collector is None:
        return CoverageContexts(cov)
    return MemoryContexts(cov, collector)


class CoverageContexts:
    """coverage.py's own dynamic contexts, through its public API."""

    def __init__(self, cov: coverage.Coverage) -> None:
        self.cov = cov

    def switch(self, context: str) -> None:
        self.cov.switch_context(context)

    def stop(self) -> None:
        self.cov.stop()

    def add(self, lines: Mapping[str, Mapping[str, Collection[int]]]) -> None:
        data = self.cov.get_data()
        for context, files in lines.items():
            if files:
                data.set_context(context)
                data.add_lines({name: sorted(numbers) for name, numbers in files.items()})

    def read(self) -> ExecutedLines:
        return self.cov.get_data()


class KeptContexts:
    """Per raw filename, each distinct set of lines with the contexts that ran exactly
    it: the parametrized cases of a test mostly run the same lines, so the sets are
    shared and reading a file's lines back is one pass per distinct set. The part of
    `Contexts` every in-memory tracer shares (`add`)."""

    def __init__(self) -> None:
        self.files: dict[str, dict[frozenset[int], list[str]]] = {}

    def add(self, lines: Mapping[str, Mapping[str, Collection[int]]]) -> None:
        for context, files in lines.items():
            for name, numbers in files.items():
                if numbers:
                    self._keep(name, frozenset(numbers), context)

    def _keep(self, name: str, lines: frozenset[int], context: str) -> None:
        self.files.setdefault(name, {}).setdefault(lines, []).append(context)


class MemoryContexts(KeptContexts):
    """The tracer's lines per context, kept in dictionaries (see the module's docstring)."""

    def __init__(self, cov: coverage.Coverage, collector: Any) -> None:  # noqa: ANN401 - coverage's private Collector
        super().__init__()
        self.cov = cov
        self.collector = collector
        self.data: dict[str, set[int]] = collector.data
        # Lines run before the first switch belong to no context ("" in coverage's data).
        self.context = ""

    def switch(self, context: str) -> None:
        self._take()
        self.context = context

    def stop(self) -> None:
        self.cov.stop()
        self._take()

    def read(self) -> ExecutedLines:
        # coverage names files through its file mapper when it flushes: the same names.
        mapped: dict[str, list[dict[frozenset[int], list[str]]]] = {}
        for raw, kept in self.files.items():
            mapped.setdefault(self.collector.cached_mapped_file(raw), []).append(kept)
        return KeptLines(mapped)

    def _take(self) -> None:
        # Only the files that ran something since the last switch; `compress` keeps the
        # scan over every measured file in C. The live sets stay in place (the tracer
        # holds them for frames still running) and lose only what was snapshotted, so a
        # line another thread adds meanwhile waits for the next switch, as in coverage.
        data = self.data
        for name, live in list(compress(data.items(), data.values())):
            lines = frozenset(live)
            live.difference_update(lines)
            self._keep(name, lines, self.context)


class KeptLines:
    """Lines kept per file name: each distinct set of lines with the contexts that ran it
    (`MemoryContexts`, `monitor.MonitorContexts`), read back as coverage's data is."""

    def __init__(self, files: dict[str, list[dict[frozenset[int], list[str]]]]) -> None:
        self.files = files

    def measured_files(self) -> Collection[str]:
        return list(self.files)

    def contexts_by_lineno(self, filename: str) -> dict[int, list[str]]:
        by_line: dict[int, set[str]] = {}
        for kept in self.files.get(filename, ()):
            for lines, contexts in kept.items():
                for line in lines:
                    found = by_line.get(line)
                    if found is None:
                        by_line[line] = set(contexts)
                    else:
                        found.update(contexts)
        return {line: list(contexts) for line, contexts in by_line.items()}


def _collector(cov: coverage.Coverage) -> Any | None:  # noqa: ANN401 - coverage's private Collector
    """Coverage's collector when its layout is the one `MemoryContexts` reads, else None."""
    import coverage  # noqa: PLC0415 - present whenever a Coverage is

    if coverage.version_info[0] != _KNOWN_MAJOR:
        return None
    collector = getattr(cov, "_collector", None)
    data = getattr(collector, "data", None)
    tracers = getattr(collector, "tracers", None)
    if (
        collector is None
        or not isinstance(data, dict)
        or not tracers
        or not callable(getattr(collector, "cached_mapped_file", None))
        or getattr(collector, "branch", True)
        or getattr(collector, "static_context", None)
    ):
        return None
    # Every tracer must fill this very dictionary with sets of line numbers.
    if any(
        type(tracer).__name__ not in _TRACERS or getattr(tracer, "data", None) is not data
        for tracer in tracers
    ):
        return None
    return collector
