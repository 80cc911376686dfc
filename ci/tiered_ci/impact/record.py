"""`pytest --impact-record=PATH`: what every test executes of the repository's own code.

Lines are measured with one dynamic context per phase of the run: on Python 3.12
and 3.13 with `sys.monitoring` (`tiered_ci.impact.monitor`), on other versions with
coverage.py's trace function (`TIERED_CI_IMPACT_TRACER=coverage|monitor` forces
one). The contexts are switched here, not by coverage's `dynamic_context` option, so
that each test's context holds its setup, call and teardown, and so that
fixtures wider than a function and collection get contexts of their own:

* `global`: everything outside a collector or a test (plugins, initial
  conftests): a change there can affect every test;
* `collect:<node id>`: importing a test module, a conftest, a package;
  every test under that node inherits it;
* `fixture:<name>#<n>`: a class/module/package/session fixture's setup;
  every test that uses a fixture of that name inherits it (it ran only once,
  inside whichever test came first);
* `test:<node id>`: setup, call and teardown of one test;
* `import:<path>`: executing the body of one of the repository's modules,
  whoever imported it first. What ran then made the module's namespace (a class
  built by a decorator, a table computed once), which every later user of the
  module reads without running it again: a change there reaches the module's
  dependents (`select`'s `import-time` rule), not only the test that imported it.

An audit hook (`tiered_ci.impact.audit`) adds two things lines do not show:
repository files opened as data (`file:` units), and processes started. A Python
child is measured itself (`tiered_ci.impact.children`): its lines and data files
join the context that started it. Any other start that may run the repository's
code (a shell, make, a fork, a Python child that could not report) is `spawn`.

Lines become units (`tiered_ci.impact.store`): a line in a function body is
that function, any other line is the module-level code of its file.
"""

from __future__ import annotations

import functools
import importlib.abc
import os
import sys
from collections.abc import Generator, Iterable, Mapping, Sequence
from importlib import metadata
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from tiered_ci import __version__
from tiered_ci.impact import audit, children, executed, monitor, source, store
from tiered_ci.impact.deps import NAME as _NAME
from tiered_ci.impact.deps import normalize

if TYPE_CHECKING:
    import coverage

__all__ = ["TRACERS", "TRACER_VAR", "WORKER_OUTPUT", "Recorder", "start", "trace_core", "tracer"]

WORKER_OUTPUT = "tiered_ci_impact"
GLOBAL = "global"
# The type of functools.lru_cache and functools.cache wrappers (private in functools).
_CACHED = type(functools.lru_cache(maxsize=None)(lambda: None))

_active: Recorder | None = None  # the audit hook cannot be removed; it reads this
# Bound now: a test may take it away (attrs deletes it to test its fallback), and the
# audit hook runs inside the test.
_getframe = sys._getframe  # noqa: SLF001 - the frame that opened a file
_hooked: list[bool] = []  # whether this process has the hook (set once)


# Which measures the lines: `coverage` (coverage.py's trace function) or `monitor`
# (sys.monitoring). Unset: monitor where it is trusted (`monitor.TRUSTED`: 3.12, 3.13).
TRACER_VAR = "TIERED_CI_IMPACT_TRACER"
COVERAGE = "coverage"
MONITOR = "monitor"
TRACERS = (COVERAGE, MONITOR)


def tracer(environ: Mapping[str, str]) -> str:
    """The tracer `environ` asks for, or the default for this Python."""
    raw = environ.get(TRACER_VAR, "").strip()
    chosen = raw.lower()
    if not chosen:
        return MONITOR if monitor.TRUSTED else COVERAGE
    if chosen not in TRACERS:
        raise pytest.UsageError(
            f"--impact-record: {TRACER_VAR}={raw!r} is not a tracer: use "
            f"{' or '.join(TRACERS)} (or leave it unset: {MONITOR} on Python 3.12 and "
            f"3.13, {COVERAGE} on other versions)"
        )
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if chosen == MONITOR and not monitor.AVAILABLE:
        raise pytest.UsageError(
            f"--impact-record: {TRACER_VAR}={MONITOR} needs sys.monitoring, Python 3.12 or "
            f"later (this is {version}): set it to {COVERAGE} or leave it unset"
        )
    if chosen == MONITOR and not monitor.TRUSTED:
        # Fail safe: a tracer that may lose lines makes a map that selects too few tests.
        raise pytest.UsageError(
            f"--impact-record: {TRACER_VAR}={MONITOR} is trusted on Python 3.12 and 3.13 "
            f"only: on {version} its lines have not been compared with coverage's (3.13 "
            f"needed a workaround not to lose lines), and a map missing lines misses "
            f"tests; set it to {COVERAGE} or leave it unset"
        )
    return chosen


def start(rootdir: Path, path: Path) -> Recorder:
    """Start measuring now (from pytest_load_initial_conftests, before conftests import)."""
    chosen = tracer(os.environ)
    if chosen == COVERAGE:
        try:
            import coverage  # noqa: PLC0415 - only a recording run needs it
        except ImportError:
            raise pytest.UsageError(
                "--impact-record needs coverage.py in the test environment: "
                "install coverage (or tiered-ci[impact])"
                + (f", or record with {TRACER_VAR}={MONITOR}" if monitor.TRUSTED else "")
            ) from None
        coverage_module: Any = coverage
    else:
        # sys.monitoring needs no coverage here; it is imported only if something in
        # this process measures with it already (see below).
        coverage_module = sys.modules.get("coverage")
    if coverage_module is not None:
        _release_child_measurement(coverage_module)
    # coverage.py's trace function is one per thread: a second Coverage would pause the
    # first one's, and either this run's map or the other measurement would miss lines.
    # sys.monitoring shares nothing with it (its own tool id, its own callbacks, never a
    # restart of other tools' events), so the monitor records beside pytest-cov; only a
    # process with every tool id taken is refused (`Recorder.begin`).
    if (
        chosen == COVERAGE
        and coverage_module is not None
        and coverage_module.Coverage.current() is not None
    ):
        raise pytest.UsageError(
            "--impact-record: coverage is already measuring this run (pytest-cov, "
            "coverage run, or COVERAGE_PROCESS_START); record without it (e.g. -p no:cov)"
            + (f", or with {TRACER_VAR}={MONITOR}" if monitor.TRUSTED else "")
        )
    root = _repo_root(rootdir)
    recorder = Recorder(root, path, coverage_module if chosen == COVERAGE else None)
    relative = rootdir.resolve().relative_to(root).as_posix()
    recorder.rootdir = "" if relative == "." else relative
    recorder.begin()
    return recorder


def _release_child_measurement(coverage_module: Any) -> None:  # noqa: ANN401 - the module
    """A recording run started by a test of another recording (tiered-ci's own suite
    does that) is measured as that test's child: it stops that measurement, which
    reports itself unmeasured (`spawn`), and records with coverage of its own."""
    release = getattr(coverage_module.Coverage.current(), audit.RELEASE, None)
    if callable(release):
        release()


def _repo_root(rootdir: Path) -> Path:
    from tiered_ci.changes import find_root  # noqa: PLC0415 - GitPython only when recording
    from tiered_ci.errors import CIError  # noqa: PLC0415

    try:
        return find_root(rootdir).resolve()
    except CIError as exc:
        raise pytest.UsageError(f"--impact-record: {exc}") from None


class Recorder:
    def __init__(self, root: Path, path: Path, coverage_module: Any) -> None:  # noqa: ANN401 - the coverage module
        """Measure with coverage.py when `coverage_module` is given, else sys.monitoring."""
        self.root = root
        self.prefix = f"{root}{os.sep}"
        self.path = path
        self.repo = audit.Repository(str(root))
        self.cov: coverage.Coverage | None = None
        if coverage_module is not None:
            self.cov = coverage_module.Coverage(**self.repo.coverage_options())
            trace_core(self.cov)
        self.children: children.Children | None = None  # measures the child processes
        self.rootdir = ""  # pytest's rootdir, repository-relative
        self.stack: list[str] = [GLOBAL]
        self.extra: dict[str, set[str]] = {}  # context -> file:/spawn units (audit hook)
        self.test_contexts: dict[str, list[str]] = {}  # test -> collect/test contexts
        self.test_fixtures: dict[str, frozenset[str]] = {}
        self.fixture_contexts: dict[str, list[str]] = {}  # fixture name -> its contexts
        self.current_test: str | None = None
        self.recording = False
        self.parts: list[str] = []  # xdist controller: partial maps of the workers
        self.summary: str | None = None
        self.caches: list[Any] = []  # the repository's lru_cache'd functions
        self.modules_seen = 0
        self.kept: executed.Contexts  # from `begin`
        self.imports = _ImportWatch(self)

    # --- contexts --------------------------------------------------------------

    def begin(self) -> None:
        global _active  # noqa: PLW0603 - the one audit hook per process reads it
        if self.cov is None:
            try:
                self.kept = monitor.MonitorContexts(self.ours)
            except monitor.NoToolError as exc:
                raise pytest.UsageError(
                    f"--impact-record: {exc}; record without the tools that hold them, "
                    f"or with {TRACER_VAR}={COVERAGE}"
                ) from None
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked.append(True)
        _active = self
        self.children = children.Children(self.repo) if children.enabled() else None
        self.recording = True
        if self.cov is not None:
            self.cov.start()
            self.kept = executed.for_coverage(self.cov)
        self.kept.switch(GLOBAL)
        self._enter(GLOBAL)
        sys.meta_path.insert(0, self.imports)

    def push(self, context: str) -> None:
        self.stack.append(context)
        self.kept.switch(context)
        self._enter(context)

    def pop(self) -> None:
        self.stack.pop()
        self.kept.switch(self.stack[-1])
        self._enter(self.stack[-1])

    def abandon(self) -> None:
        """The xdist controller runs no tests: it only merges what the workers record."""
        global _active  # noqa: PLW0603
        self.recording = False
        _active = None
        self.kept.stop()
        if self.children is not None:  # its workers start without this run's variables
            self.children.close()
        self.imports.remove()

    def ours(self, filename: str) -> bool:
        return self._relative(filename) is not None

    def imported(self, rel: str) -> None:
        if self.recording:
            self.extra.setdefault(self.stack[-1], set()).add(f"mod:{rel}")

    def importing(self, module: ModuleType) -> str | None:
        """The context for executing `module`'s body: None when it is not the
        repository's own code (installed code's import-time work is not ours)."""
        if not self.recording:
            return None
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        rel = self._relative(origin) if isinstance(origin, str) else None
        return f"import:{rel}" if rel is not None and rel.endswith((".py", ".pyw")) else None

    # --- pytest hooks ------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if session.config.pluginmanager.has_plugin("dsession"):
            self.abandon()

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        if not self.recording or not collector.nodeid:
            return (yield)
        self.push(f"collect:{collector.nodeid}")
        try:
            return (yield)
        finally:
            self.pop()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        if not self.recording:
            return (yield)
        test = item.nodeid
        self.test_contexts[test] = [
            *(f"collect:{node.nodeid}" for node in item.listchain() if node.nodeid),
            f"test:{test}",
        ]
        self.test_fixtures[test] = frozenset(getattr(item, "fixturenames", ()))
        self.current_test = test
        self.clear_caches()
        self.push(f"test:{test}")
        try:
            return (yield)
        finally:
            self.pop()
            self.current_test = None

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, Any]:
        if not self.recording or fixturedef.scope == "function":
            return (yield)
        contexts = self.fixture_contexts.setdefault(fixturedef.argname, [])
        context = f"fixture:{fixturedef.argname}#{len(contexts)}"
        contexts.append(context)
        if self.current_test is not None:  # also requested dynamically (getfixturevalue)
            self.test_contexts[self.current_test].append(context)
        self.push(context)
        try:
            return (yield)
        finally:
            self.pop()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:  # noqa: ANN401, ARG002 - xdist's hook signature
        part = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
        if part:
            self.parts.append(part)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        if not self.recording:  # the xdist controller
            self._merge_parts()
            return
        impact_map = self.finish()
        worker = getattr(config, "workerinput", None)
        if worker is not None:
            part = self.path.with_name(f"{self.path.name}.{worker['workerid']}.part")
            store.write(part, impact_map)
            config.workeroutput[WORKER_OUTPUT] = str(part)  # type: ignore[attr-defined]
            return
        store.write(self.path, impact_map)
        self.summary = _summary(impact_map, self.path)

    def _merge_parts(self) -> None:
        maps = [store.read(Path(part)) for part in self.parts]
        if not maps:
            return
        merged = store.merge(maps)
        store.write(self.path, merged)
        for part in self.parts:
            Path(part).unlink(missing_ok=True)
        self.summary = _summary(merged, self.path) + f" (merged from {len(maps)} workers)"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.summary:
            terminalreporter.write_line(self.summary)

    def clear_caches(self) -> None:
        """Empty the repository's memoized functions (lru_cache, cache) before a test.

        A result cached during one test is served to the next without running the
        function's code, so coverage would not charge that code to the second test and a
        change to it would not select it. Cold caches record what each test needs, as if
        it ran alone."""
        if len(sys.modules) != self.modules_seen:  # new modules: look for new caches
            self.modules_seen = len(sys.modules)
            self.caches = _cached_functions(self.prefix, list(sys.modules.values()))
        for cached in self.caches:
            cached.cache_clear()

    # --- the audit hook --------------------------------------------------------

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            # audit, _audit, then the frame that called open()
            rel = self.repo.data_read(args, _getframe(2))
            if rel is not None:
                self.extra.setdefault(self.stack[-1], set()).add(f"file:{rel}")
        elif event in audit.SPAWN_EVENTS:
            self._spawned(event, args)

    # --- child processes (tiered_ci.impact.children) -------------------------------

    def _enter(self, context: str) -> None:
        if self.children is not None:
            self.children.enter(context)

    def _spawned(self, event: str, args: tuple[Any, ...]) -> None:
        """A process start: measured if it is Python and reports, else `spawn`."""
        if self.children is None:
            unmeasured = self.repo.may_run_our_code(event, args)
        else:
            unmeasured = self.children.started(event, args, self.stack[-1])
        if unmeasured:
            self.extra.setdefault(self.stack[-1], set()).add(store.SPAWN)

    def _fold_children(self) -> None:
        """What the measured children ran joins the coverage data of the contexts that
        started them; their data files and unmeasurable starts join `extra`."""
        if self.children is None:
            return
        found = self.children.close()
        self.kept.add(found.lines)
        for context, units in found.units.items():
            self.extra.setdefault(context, set()).update(units)

    # --- the map -----------------------------------------------------------------

    def finish(self) -> store.ImpactMap:
        global _active  # noqa: PLW0603
        self.recording = False
        _active = None
        self.kept.stop()
        self.imports.remove()
        self._fold_children()
        data = self.kept.read()
        ours = self._own_files()
        context_units: dict[str, set[str]] = {
            k: {u for u in v if not u.startswith("file:") or u[5:] in ours}
            for k, v in self.extra.items()
        }
        spans: dict[str, list[tuple[int, int, str]]] = {}
        lines: dict[str, dict[int, str]] = {}
        for filename in data.measured_files():
            rel = self._relative(filename)
            if rel is None:
                continue
            file_spans = _file_spans(Path(filename), rel)
            spans[rel] = file_spans
            lines[rel] = _line_units(
                [source.Span(a, b, u) for a, b, u in file_spans],
                f"mod:{rel}",
                data.contexts_by_lineno(filename),
                context_units,
            )
        return _build_map(self, context_units, spans, lines)

    def _own_files(self) -> frozenset[str]:
        from tiered_ci import changes  # noqa: PLC0415

        return frozenset(changes.repo_files(self.root))

    def _relative(self, filename: str) -> str | None:
        return self.repo.relative(filename)


def trace_core(cov: coverage.Coverage) -> None:
    """Measure with a trace function, never with sys.monitoring: coverage's sysmon core
    (its default on Python 3.14+ since coverage 7.9, and what COVERAGE_CORE=sysmon
    asks for) switches no dynamic context, so each test would be charged with an
    incomplete set of lines and a change could select too few tests. The C tracer
    when coverage has it, else its Python one; coverage without the `core` option
    (before 7.9) has no sysmon default to avoid."""
    try:
        from coverage.tracer import CTracer  # noqa: F401, PLC0415 - is the C tracer built?
    except ImportError:
        core = "pytrace"
    else:
        core = "ctrace"
    try:
        cov.set_option("run:core", core)
    except Exception:  # noqa: BLE001 - coverage's ConfigError moved between versions
        return


class _ImportWatch(importlib.abc.MetaPathFinder):
    """First on sys.meta_path while recording: finds nothing itself, but gives the loader
    of every module the others find an `exec_module` that runs the module's body in an
    `import:<path>` context. Only the instance is changed (a loader shared by many
    modules, like pytest's assertion rewriter, is wrapped once), so isinstance checks,
    resource readers and the module's `__loader__` keep working. Modules executed
    without the import system's finders (pytest's importlib mode for test files) run
    in whatever context is current: their collector's, which their tests inherit."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.finding: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname in self.finding:  # a finder below imports the same name: not ours
            return None
        self.finding.add(fullname)
        try:
            spec = _find_below(self, fullname, path, target)
        finally:
            self.finding.discard(fullname)
        # Only the repository's own modules: a class used as a loader (built-in and
        # frozen modules) or an installed package's loader is left as it is.
        if (
            spec is not None
            and spec.loader is not None
            and not isinstance(spec.loader, type)
            and isinstance(spec.origin, str)
            and self.recorder.ours(spec.origin)
        ):
            _watch(spec.loader, self.recorder)
        return spec

    def remove(self) -> None:
        while self in sys.meta_path:
            sys.meta_path.remove(self)


def _find_below(
    watch: _ImportWatch, fullname: str, path: Sequence[str] | None, target: ModuleType | None
) -> ModuleSpec | None:
    for finder in list(sys.meta_path):
        find = getattr(finder, "find_spec", None)
        if finder is watch or find is None:
            continue
        spec: ModuleSpec | None = find(fullname, path, target)
        if spec is not None:
            return spec
    return None


_WATCHED = "_tiered_ci_impact_watched"


def _watch(loader: Any, recorder: Recorder) -> None:  # noqa: ANN401 - any loader
    """Give `loader` an exec_module that switches to the module's import context."""
    original = getattr(loader, "exec_module", None)
    if original is None or getattr(loader, _WATCHED, False):
        return

    def exec_module(module: ModuleType) -> None:
        context = recorder.importing(module)
        if context is None:
            original(module)
            return
        recorder.push(context)
        try:
            original(module)
        finally:
            recorder.pop()
            # Whoever imported it holds the module (`mod:`), as if its body ran there:
            # a test that imports a module by a name no import statement shows
            # (importlib.import_module) is found by the module's changes.
            recorder.imported(context.removeprefix("import:"))

    try:
        loader.exec_module = exec_module
        setattr(loader, _WATCHED, True)
    except (AttributeError, TypeError):  # a loader with __slots__ or a frozen one
        return


def _audit(event: str, args: tuple[Any, ...]) -> None:
    recorder = _active
    if (
        recorder is not None
        and recorder.recording
        and (event == "open" or event in audit.SPAWN_EVENTS)
    ):
        recorder.audit(event, args)


def _cached_functions(prefix: str, modules: list[Any]) -> list[Any]:
    """The memoized functions and methods the repository's own modules define."""
    found: dict[int, Any] = {}
    for module in modules:
        name = os.path.normpath(str(getattr(module, "__file__", None) or ""))
        if not name.startswith(prefix) or audit.NOT_OURS.intersection(
            name[len(prefix) :].split(os.sep)
        ):
            continue
        try:
            values = list(vars(module).values())
        except TypeError:
            continue
        for value in values:
            members = (
                list(vars(value).values())
                if isinstance(value, type) and value.__module__ == module.__name__
                else [value]
            )
            for member in members:
                target = getattr(member, "__func__", member)  # staticmethod, classmethod
                if isinstance(target, _CACHED):
                    found[id(target)] = target
    return list(found.values())


def _file_spans(path: Path, rel: str) -> list[tuple[int, int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    spans = source.function_spans(text) or []
    return [(s.start, s.end, f"fn:{rel}::{s.qualname}@{s.start}") for s in spans]


def _line_units(
    lookup: list[source.Span],
    module: str,
    contexts_by_line: dict[int, list[str]],
    context_units: dict[str, set[str]],
) -> dict[int, str]:
    """Charge one file's executed lines to their contexts; return line -> unit for the
    lines of function bodies.

    A function's unit goes to every context that ran any of its lines. Its lines are
    also split by the contexts that ran them: lines run by the same contexts form one
    class (`fn:...#k`), which goes to those contexts too, so that a change to lines only
    some of the function's tests reach selects only those (`select.changed_regions`).
    A function all of whose lines ran in the same contexts needs no class: its lines
    map to the function's unit."""
    classes: dict[str, dict[frozenset[str], list[int]]] = {}
    for line, contexts in contexts_by_line.items():
        found = source.innermost(lookup, line)
        if found is None:
            for context in contexts:
                context_units.setdefault(context, set()).add(module)
            continue
        classes.setdefault(found.qualname, {}).setdefault(frozenset(contexts), []).append(line)
    lines: dict[int, str] = {}
    for function, by_contexts in classes.items():
        ordered = sorted(by_contexts.items(), key=lambda item: min(item[1]))
        for index, (ran_in, members) in enumerate(ordered):
            unit = function if len(ordered) == 1 else f"{function}#{index}"
            lines.update(dict.fromkeys(members, unit))
            for context in ran_in:
                charged = context_units.setdefault(context, set())
                charged.add(function)
                charged.add(unit)
    return lines


def _build_map(
    recorder: Recorder,
    context_units: dict[str, set[str]],
    spans: dict[str, list[tuple[int, int, str]]],
    lines: dict[str, dict[int, str]],
) -> store.ImpactMap:
    units: dict[str, int] = {}

    def ids(names: Iterable[str]) -> set[int]:
        return {units.setdefault(name, len(units)) for name in names}

    tests: dict[str, frozenset[int]] = {}
    for test, contexts in recorder.test_contexts.items():
        names: set[str] = set()
        for context in contexts:
            names |= context_units.get(context, set())
        for fixture in recorder.test_fixtures.get(test, ()):
            for context in recorder.fixture_contexts.get(fixture, ()):
                names |= context_units.get(context, set())
        tests[test] = frozenset(ids(names))
    global_units = frozenset(ids(context_units.get(GLOBAL, set())))
    import_units = frozenset(ids(_import_time(context_units)))
    imported = {
        context.removeprefix("import:"): frozenset(ids(found))
        for context, found in context_units.items()
        if context.startswith("import:")
    }
    file_spans = {
        rel: tuple((a, b, next(iter(ids([u])))) for a, b, u in found)
        for rel, found in spans.items()
    }
    line_units = {
        rel: {line: next(iter(ids([unit]))) for line, unit in sorted(found.items())}
        for rel, found in lines.items()
    }
    commit, clean, imports = _repository_state(recorder.root, recorder.path)
    distributions, requires, plugins = _distributions()
    return store.ImpactMap(
        commit=commit,
        clean=clean,
        python=".".join(map(str, sys.version_info[:3])),
        tiered_ci=__version__,
        units=tuple(units),
        spans=file_spans,
        tests=tests,
        global_units=global_units,
        imports=imports,
        distributions=distributions,
        requires=requires,
        plugins=plugins,
        rootdir=recorder.rootdir,
        import_units=import_units,
        lines=line_units,
        imported=imported,
    )


def _import_time(context_units: dict[str, set[str]]) -> set[str]:
    """Units that may have run while a module was being imported: everything collection
    ran, and everything of a test or fixture that imported a module (module-level code
    ran in it). A value computed at import is seen by every later importer, whoever was
    charged with computing it; coverage cannot tell import time from the rest of a
    context, so the whole context counts."""
    found: set[str] = set()
    for context, units in context_units.items():
        if context.startswith(("collect:", "import:")) or any(u.startswith("mod:") for u in units):
            found |= units
    return found


def _repository_state(root: Path, path: Path) -> tuple[str, bool, dict[str, tuple[str, ...]]]:
    from tiered_ci import changes  # noqa: PLC0415

    commit = changes.head_commit(root)
    if commit is None:
        raise pytest.UsageError(f"--impact-record: {root} has no commit; commit, then record")
    imports: dict[str, tuple[str, ...]] = {}
    for rel in changes.repo_files(root):
        if rel.endswith(".py"):
            try:
                text = (root / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            found = source.imported_modules(text, rel)
            if found is not None:
                imports[rel] = tuple(found)
    own: tuple[str, ...] = ()
    if path.resolve().is_relative_to(root):  # the map (and workers' parts) in the work tree
        own = (path.resolve().relative_to(root).as_posix(),)
    return commit, changes.is_clean(root, own), imports


def _distributions() -> tuple[
    dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], tuple[str, ...]
]:
    """Per installed distribution of the test env: the top-level modules it provides and
    the distributions it requires; and which distributions are pytest plugins."""
    provided: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            provided.setdefault(normalize(dist), set()).add(module)
    requires: dict[str, tuple[str, ...]] = {}
    for installed in metadata.distributions():
        name = normalize(installed.metadata["Name"] or "")
        # Requirements under an extra are left out: whether the extra is installed is not
        # recorded, and following them joins nearly every distribution to pytest's extras.
        needed = {
            normalize(m.group(0))
            for r in installed.requires or ()
            if "extra ==" not in r.replace("extra==", "extra ==") and (m := _NAME.match(r))
        }
        requires[name] = tuple(sorted(needed))
    plugins = {
        normalize(ep.dist.name)
        for ep in metadata.entry_points(group="pytest11")
        if ep.dist is not None
    }
    return (
        {d: tuple(sorted(m)) for d, m in provided.items()},
        requires,
        tuple(sorted(plugins)),
    )


def _summary(impact_map: store.ImpactMap, path: Path) -> str:
    size = path.stat().st_size if path.exists() else 0
    return (
        f"impact: recorded {len(impact_map.tests)} tests over {len(impact_map.spans)} files "
        f"in {path} ({size / 1024:.0f} KiB, commit {impact_map.commit[:12]}"
        f"{'' if impact_map.clean else ', modified work tree'})"
    )
