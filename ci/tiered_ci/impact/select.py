"""Pure: the tests a change can break, from an impact map and the diff from its commit.

Each changed file goes through the rule that can judge it, and every rule
says its name in the reasons. The rules, in the order they are tried:

* `function-lines`: a change inside a recorded function body whose statements
  keep their places (`source.changed_regions`) selects the tests that executed
  the changed statements, from the map's line classes.
* `function`: any other change inside a recorded function body selects the
  tests that executed that function (and the test itself when the function is
  a test).
* `assignment`: a change to the value of top-level assignments (`NAME = value`)
  and nothing else at module level selects the tests that ran a function whose
  body may read NAME (by name, in a string, or by a computed getattr/vars/dir),
  anywhere in the repository, and the doctests that name it. A read outside a
  function body, or by a function that ran while a module was imported, selects
  that module's dependents. It falls back to `module-level` when evaluating the
  new value may fail at import (anything new but constants as elements).
* `class-attribute`: the same for assignments in the body of a top-level class
  (outside test files): the tests that ran a function that may read the
  attribute, or the class itself when it has decorators, bases or keywords
  (a dataclass, an enum: their machinery reads every attribute for whoever uses
  the class); a name in an undecorated function's annotations counts as that
  function reading it. Such a class's machinery may refuse a value at import:
  a changed constant must keep its type, and stay distinct under enum.unique.
* `module-level`: any other changed line of a Python file (imports,
  constants, decorators, signatures, class bodies) selects every test that
  imports the file, transitively, and every test that ran code of a module
  that imports it (a dynamic import is seen by the recording).
* `unknown-module`: a Python file the map never saw executed, a new module,
  a deleted one: import-graph dependents as above.
* `import-time`: a changed function (or the changed lines of one) or data file
  that ran while one of the repository's modules was imported selects that
  module's dependents, as if its module-level code changed (a conftest: every test
  below its folder).
* `conftest`: a conftest.py selects every test below its folder.
* `subprocess`: tests that started a subprocess (any program but git) are selected by any
  change to Python code or to a file that is not ignored: the map cannot see
  what ran in the child.
* `data`: a non-Python file selects the tests that opened it; a new, deleted
  or never-read one falls back to its domain, then the tests of its folder,
  then the dependents of the package it sits in, then the `unmapped` policy.
* `pytest-config`: pytest.ini, .pytest.ini, tox.ini or setup.cfg in the rootdir
  select everything: pytest reads them before anything is recorded.
* `pyproject`: pyproject.toml is a diff of tables: linters' tables select no
  tests, dependency lists select by distribution, anything else everything.
* `dependencies`: a lock or requirements file selects the tests importing the
  distributions whose version changed, or that depend on them.
* `everything`: `run-all` files, code that ran outside any test, a pytest
  plugin changed, an unreadable file: mode "all", with the reason.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Literal

from tiered_ci.changes import ChangedFile
from tiered_ci.globs import PatternList
from tiered_ci.impact import deps, source
from tiered_ci.impact.store import SPAWN, ImpactMap
from tiered_ci.model import Config

__all__ = ["SELECT_VERSION", "Inputs", "Selection", "Sources", "fallback", "judge"]

SELECT_VERSION = 1
Mode = Literal["partial", "all", "none"]
TEST_PATTERNS = ("test_*.py", "*_test.py")
# Where pytest finds its configuration in the rootdir (pyproject.toml is diffed by table).
PYTEST_CONFIG = frozenset({"pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"})


@dataclass(frozen=True, slots=True)
class Selection:
    mode: Mode
    fallback_reason: str | None
    map_commit: str | None
    tests: tuple[str, ...]
    test_files: tuple[str, ...]
    total_tests: int
    reasons: tuple[Mapping[str, str], ...]
    # The map's tests judged unaffected: what `--impact-select` deselects. Every other
    # collected test runs, so a test the map has never seen is never skipped.
    unaffected: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "version": SELECT_VERSION,
            "mode": self.mode,
            "fallback_reason": self.fallback_reason,
            "map_commit": self.map_commit,
            "tests": list(self.tests),
            "test_files": list(self.test_files),
            "total_tests": self.total_tests,
            "reasons": [dict(r) for r in self.reasons],
            "unaffected_tests": list(self.unaffected),
        }

    def headline(self) -> str:
        if self.mode == "all":
            return f"all {self.total_tests} tests, because {self.fallback_reason}"
        if self.mode == "none":
            return f"0 of {self.total_tests} tests: no change can affect a test"
        because = "; ".join(r["why"] for r in self.reasons[:3] if "path" in r)
        return f"{len(self.tests)} of {self.total_tests} tests, because {because}"

    def to_text(self) -> str:
        lines = [f"impact: {self.headline()}"]
        lines += [f"  {r.get('path') or r.get('test')}: {r['why']}" for r in self.reasons]
        return "\n".join(lines) + "\n"


def fallback(impact_map: ImpactMap | None, reason: str) -> Selection:
    """No selection: every test runs, and the reason says why."""
    tests = tuple(sorted(impact_map.tests)) if impact_map is not None else ()
    return Selection(
        mode="all",
        fallback_reason=reason,
        map_commit=impact_map.commit if impact_map is not None else None,
        tests=tests,
        test_files=_files_of(tests),
        total_tests=len(tests),
        reasons=({"path": "*", "why": f"everything: {reason}"},),
    )


@dataclass(frozen=True, slots=True)
class Sources:
    """Python sources, read by the edge when a rule asks (the `assignment` rule)."""

    old: Callable[[str], str | None]  # a file at the map's commit
    new: Callable[[str], str | None]  # a file at head
    grep: Callable[[frozenset[str]], tuple[str, ...]]  # .py files at head with one word


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the edge read from git for one selection."""

    changes: tuple[ChangedFile, ...]
    hunks: Mapping[str, list[tuple[int, int]]]  # old path -> old-side line ranges
    head_imports: Mapping[str, tuple[str, ...] | None]  # added/modified .py at head
    texts: Mapping[str, tuple[str | None, str | None]]  # pyproject, dependency files
    config: Config
    sources: Sources | None = None  # without it, module-level changes are never narrowed


def judge(impact_map: ImpactMap, inputs: Inputs) -> Selection:
    return _Judge(impact_map, inputs).run()


def _files_of(tests: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({t.split("::", 1)[0] for t in tests}))


class _All(Exception):
    """A rule decided that everything runs; the message is the reason."""


@dataclass
class _Acc:
    units: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)  # units the change itself touches
    files: set[str] = field(default_factory=set)  # test files all of whose tests run
    folders: set[str] = field(default_factory=set)  # folders all of whose tests run
    named: set[str] = field(default_factory=set)  # tests selected by name
    new_test_files: set[str] = field(default_factory=set)
    reasons: list[dict[str, str]] = field(default_factory=list)

    def merge(self, other: _Acc) -> None:
        self.units |= other.units
        self.changed |= other.changed
        self.files |= other.files
        self.folders |= other.folders
        self.named |= other.named
        self.new_test_files |= other.new_test_files
        self.reasons.extend(other.reasons)


class _Judge:
    def __init__(self, impact_map: ImpactMap, inputs: Inputs) -> None:
        self.map = impact_map
        self.inputs = inputs
        self.config = inputs.config
        self.ignore = PatternList(tuple(inputs.config.ignore))
        self.run_all = PatternList(tuple(inputs.config.run_all))
        self.acc = _Acc()
        self.unit_ids = {name: i for i, name in enumerate(impact_map.units)}
        self.spawn = self.unit_ids.get(SPAWN)
        self._tests_by_file: dict[str, list[str]] | None = None
        self._file_units: dict[str, set[int]] | None = None
        self._graph: _Graph | None = None
        # Files whose module-level code may read a changed assignment (`read_by`), the
        # files run as scripts that may, and classes whose fields name it.
        self.importing_readers: list[tuple[str, int]] = []
        self.main_readers: set[int] = set()
        self.holders: set[str] = set()
        # The changed file and its changed assignments' lines, while `read_by` searches.
        self.reading: tuple[str, frozenset[int]] = ("", frozenset())

    # --- driver --------------------------------------------------------------------

    def run(self) -> Selection:
        try:
            for change in self.inputs.changes:
                self.judge_change(change)
            self.import_time()
            self.outside_tests()
        except _All as exc:
            return fallback(self.map, str(exc))
        return self.result()

    def outside_tests(self) -> None:
        global_hit = self.acc.units & self.map.global_units
        if global_hit:
            unit = self.map.units[min(global_hit)]
            raise _All(f"{_describe(unit)} ran outside any test (plugins, conftest at start)")

    def import_time(self) -> None:
        """A changed unit that ran while a module's body executed changed what the module
        holds (a class a decorator built, a table computed once): every user of the
        module may see it, so the module's dependents run (rule: import-time)."""
        imported = self.map.imported
        if not imported:
            return
        done: set[str] = set()
        while True:  # a module imported while another was: that one's users too
            hits = {
                module: min(hit)
                for module, units in imported.items()
                if module not in done
                and (hit := units & self.acc.changed - {self.unit_ids.get(f"mod:{module}")})
            }
            if not hits:
                return
            for module, unit in sorted(hits.items()):
                done.add(module)
                self.import_reached(
                    module, f"{_describe(self.map.units[unit])} ran while {module} was imported"
                )

    def import_reached(self, module: str, why: str) -> None:
        if posixpath.basename(module) == "conftest.py":
            folder = posixpath.dirname(module)
            if not folder:
                raise _All(f"{why}: the root conftest.py reaches every test")
            self.acc.folders.add(folder)
            self.reason(module, f"{why}: every test below {folder}/ (rule: import-time)")
            return
        self.dependents([module], module, why, rule="import-time")

    @property
    def tests_by_file(self) -> dict[str, list[str]]:
        """Repository-relative test file -> its tests (node ids are relative to the rootdir)."""
        if self._tests_by_file is None:
            self._tests_by_file = {}
            root = f"{self.map.rootdir}/" if self.map.rootdir else ""
            for test in self.map.tests:
                file = f"{root}{test[: test.find('::')] if '::' in test else test}"
                self._tests_by_file.setdefault(file, []).append(test)
        return self._tests_by_file

    def count(self, unit: int) -> int:
        return len(self.map.tests_touching({unit}))

    def selected_by(self, acc: _Acc) -> set[str]:
        """The tests an accumulator selects."""
        selected = set(acc.named)
        selected |= self.map.tests_touching(acc.units)
        for file in acc.files:
            selected.update(self.tests_by_file.get(file, ()))
        for folder in acc.folders:
            prefix = f"{folder}/" if folder else ""
            for file, in_file in self.tests_by_file.items():
                if file.startswith(prefix):
                    selected.update(in_file)
        return selected

    def result(self) -> Selection:
        acc = self.acc
        selected = self.selected_by(acc)
        tests = tuple(sorted(selected))
        new_files = {self.node_path(f) for f in acc.new_test_files}
        files = tuple(sorted(set(_files_of(tests)) | new_files))
        return Selection(
            mode="partial" if files else "none",
            fallback_reason=None,
            map_commit=self.map.commit,
            tests=tests,
            test_files=files,
            total_tests=len(self.map.tests),
            reasons=tuple(acc.reasons),
            unaffected=tuple(sorted(t for t in self.map.tests if t not in selected)),
        )

    def node_path(self, path: str) -> str:
        """A repository path as pytest names it under the map's rootdir."""
        root = self.map.rootdir
        return path[len(root) + 1 :] if root and path.startswith(f"{root}/") else path

    def reason(self, path: str, why: str) -> None:
        self.acc.reasons.append({"path": path, "why": why})

    # --- one changed file ------------------------------------------------------------

    def judge_change(self, change: ChangedFile) -> None:
        if change.status in ("renamed", "copied") and change.old_path is not None:
            if change.status == "renamed":
                self.judge_path(change.old_path, "deleted")
            self.judge_path(change.path, "added")
            return
        self.judge_path(change.path, change.status)

    def judge_path(self, path: str, status: str) -> None:
        name = posixpath.basename(path)
        opened = self.openers(path)
        if path.endswith(".py"):
            if opened:
                self.reason(path, f"read as text by {opened} tests (rule: data)")
            self.python(path, status, name)
        elif name == "pyproject.toml" and path == "pyproject.toml":
            self.pyproject(path)
        elif deps.is_dependency_file(path):
            self.dependency_file(path)
        elif name in PYTEST_CONFIG and posixpath.dirname(path) == self.map.rootdir:
            # pytest reads it before any test or recording starts: no map can judge it.
            raise _All(
                f"{path} changed: pytest's configuration reaches every test (rule: pytest-config)"
            )
        elif self.ignore.claims(path):
            self.reason(path, f"ignored (tool.tiered-ci.ignore){_also(opened)}")
        else:
            self.data(path, status, opened)

    def openers(self, path: str) -> int:
        unit = self.unit_ids.get(f"file:{path}")
        if unit is None:
            return 0
        self.acc.units.add(unit)
        self.acc.changed.add(unit)
        return self.count(unit)

    def subprocesses(self) -> None:
        if self.spawn is not None:
            self.acc.units.add(self.spawn)

    # --- Python ------------------------------------------------------------------------

    def python(self, path: str, status: str, name: str) -> None:
        self.subprocesses()
        if status == "added" and _is_test_file(path):
            self.acc.new_test_files.add(path)
            self.reason(
                path, "new test file: its tests are new to the map and run (rule: new-test)"
            )
        if name == "conftest.py":
            folder = posixpath.dirname(path)
            if not folder:
                raise _All(
                    f"{path} changed: the root conftest.py reaches every test (rule: conftest)"
                )
            self.acc.folders.add(folder)
            self.reason(path, f"conftest.py: every test below {folder}/ (rule: conftest)")
        if name == "__init__.py" and status != "modified":
            folder = posixpath.dirname(path)
            self.dependents([*self.package_files(folder), path], path, "package layout changed")
            return
        spans = self.map.spans.get(path)
        if status != "modified" or spans is None:
            why = {"added": "new module", "deleted": "deleted module"}.get(
                status, "never executed in the recording"
            )
            self.dependents([path], path, why, rule="unknown-module")
            return
        self.changed_lines(path, spans)

    def changed_lines(self, path: str, spans: tuple[tuple[int, int, int], ...]) -> None:
        lookup = [source.Span(a, b, str(u)) for a, b, u in spans]
        functions: set[int] = set()
        module_lines: list[int] = []
        hunks = self.inputs.hunks.get(path)
        for first, last in hunks or ():
            for line in range(first, min(last, first + 10_000) + 1):
                found = source.innermost(lookup, line)
                if found is None:
                    module_lines.append(line)
                else:
                    functions.add(int(found.qualname))
        for unit in functions:
            self.function(path, unit, self.reached(path, unit))
        # No hunks: a mode change, or no text diff: judged as the whole module.
        if (module_lines or not hunks) and not self.assignment(path, module_lines):
            self.dependents([path], path, "module-level code changed", rule="module-level")

    def assignment(self, path: str, lines: list[int]) -> bool:
        """Judge a change to the values of top-level assignments by who reads the names
        (rule: assignment); False when it cannot, and the module-level rule judges it."""
        sources = self.inputs.sources
        if sources is None or self.map.import_units is None or not lines:
            return False
        old, new = sources.old(path), sources.new(path)
        if not old or not new:
            return False
        names = source.assigned_names(old, new, lines)
        if names:
            skip = source.assignment_lines(new, names)
            return self.smaller(path, lambda: self.read_by(path, names, names, skip, "assignment"))
        # Class attributes: a test file's classes are read by pytest and unittest
        # (`pytestmark`, `maxDiff`), code no grep of the repository finds.
        found = source.class_assigned(old, new, lines)
        if found is None or _is_test_file(path):
            return False
        searched = found.names | (found.classes if found.special else frozenset())
        skip = source.assignment_lines(new, found.names, found.classes)
        return self.smaller(
            path, lambda: self.read_by(path, searched, found.names, skip, "class-attribute")
        )

    def smaller(self, path: str, by_readers: Callable[[], bool]) -> bool:
        """Judge by readers and by the module-level rule, each on its own, and keep the
        one that selects fewer tests: each holds every test the change can affect (a
        dataclass field read by a widely run `getattr` loop may select more than the
        module's few importers). False when the readers cannot judge."""
        outer = self.acc
        self.acc = _Acc()
        try:
            if not by_readers():
                outer.reasons.extend(self.acc.reasons)
                return False
            readers = self.acc
            self.acc = _Acc()
            self.dependents([path], path, "module-level code changed", rule="module-level")
            module = self.acc
        finally:
            self.acc = outer
        # A selection that reaches code run outside any test runs everything.
        if self.size(module) < self.size(readers):
            readers, module = module, readers
        outer.merge(readers)
        return True

    def size(self, acc: _Acc) -> int:
        """How many tests an accumulator runs: all of them when it reaches code that ran
        outside any test (`outside_tests`)."""
        if acc.units & self.map.global_units:
            return len(self.map.tests)
        return len(self.selected_by(acc))

    def read_by(
        self,
        path: str,
        searched: frozenset[str],
        names: frozenset[str],
        skip: frozenset[int],
        rule: str,
    ) -> bool:
        """Select the tests that ran a function that may read one of `searched` (rule
        `assignment` or `class-attribute`); False, saying why, when any may be read
        where the map cannot follow it."""
        sources = self.inputs.sources
        assert sources is not None  # noqa: S101 - the caller had them
        shown = ", ".join(sorted(names))
        readers: set[int] = set()
        self.importing_readers, self.main_readers, self.holders = [], set(), set()
        pending = searched
        while pending:  # a class naming one in a field's annotation: its users too
            self.reading = (path, skip)
            for file in sorted({path, *sources.grep(pending | source.DYNAMIC_ACCESS)}):
                why = self.readers(file, searched, sources, readers)
                if why is not None:
                    self.reason(path, f"{shown} assigned, but {why}: falling back")
                    return False
            pending = frozenset(self.holders - searched)
            searched |= pending
            if len(searched) > _MAX_SEARCHED:
                self.reason(path, f"{shown} assigned, but read through too many classes")
                return False
        for file, line in self.importing_readers:
            self.dependents([file], file, f"{file}:{line} may read {shown} at import", rule=rule)
        self.acc.units.update(readers | self.main_readers)
        self.acc.changed.update(readers)
        if not _is_test_file(path):  # the module's own doctests
            self.acc.named.update(self.tests_by_file.get(path, ()))
        runs = len(self.map.tests_touching(readers)) if readers else 0
        via = "" if searched == names else f" (or {', '.join(sorted(searched - names))})"
        self.reason(
            path,
            f"{shown} assigned: {len(readers)} recorded functions may read it{via}, "
            f"{runs} tests ran them (rule: {rule})",
        )
        return True

    def readers(
        self, file: str, names: frozenset[str], sources: Sources, found: set[int]
    ) -> str | None:
        """Add the units of `file` that may read `names` to `found`; or say why the
        assignment rule cannot judge (a read at import time, an unreadable file)."""
        text = sources.new(file)
        if text is None:
            return f"{file} cannot be read"
        changed, skip = self.reading
        # `globals()` and a bare `vars()` or `dir()` see only their own module's names:
        # the changed module's, or another's that imports the name (or `*`) from it.
        own = file == changed or source.imports_any(text, names)
        mentioned = source.mentions(
            text, names, skip if file == changed else frozenset(), signatures=True, own=own
        )
        if mentioned is None:
            return f"{file} does not parse"
        if mentioned.module_level:
            if self.map.imported is None:  # an older map: import time is not per module
                return f"{file}:{mentioned.module_level[0]} may read it at import time"
            self.module_level_read(file, text, mentioned.module_level)
        self.holders |= mentioned.annotating
        if mentioned.docstrings and not _is_test_file(file):
            self.acc.named.update(self.tests_by_file.get(self.node_path(file), ()))
        units = self.function_units(file)
        # A reader that ran while a module was imported is judged by the import-time
        # rule (readers count as changed); older maps only know that it ran at import.
        import_units = (
            (self.map.import_units or frozenset()) if self.map.imported is None else frozenset()
        )
        for qualname in sorted(mentioned.functions):
            for unit in units.get(qualname, ()):
                if unit in import_units:
                    return f"{qualname}() in {file} reads it and ran while importing"
                found.add(unit)
        return None

    def module_level_read(self, file: str, text: str, lines: tuple[int, ...]) -> None:
        main = source.main_block_lines(text)
        if any(line not in main for line in lines):
            # What the module computes from it at import: the module's dependents.
            self.importing_readers.append((file, lines[0]))
        elif (unit := self.unit_ids.get(f"mod:{file}")) is not None:
            self.main_readers.add(unit)  # a `__main__` block: who ran the file as a script

    def function_units(self, file: str) -> dict[str, list[int]]:
        """Qualified name -> the map's units of the functions of `file`."""
        found: dict[str, list[int]] = {}
        for _, _, unit in self.map.spans.get(file, ()):
            qualname = self.map.units[unit].split("::", 1)[1].rsplit("@", 1)[0]
            found.setdefault(qualname, []).append(unit)
        return found

    def reached(self, path: str, unit: int) -> tuple[frozenset[int], set[int]] | None:
        """The changed lines of a function's body that tests must have run for the change
        to reach them, and the units of those lines (rule: function-lines); None when
        the map or the change does not allow narrowing below the whole function."""
        sources = self.inputs.sources
        lines = self.map.lines
        if sources is None or lines is None or path not in lines:
            return None
        old, new = sources.old(path), sources.new(path)
        end = next((b for _, b, u in self.map.spans.get(path, ()) if u == unit), None)
        if old is None or new is None or end is None:
            return None
        qualname = self.map.units[unit].split("::", 1)[1].rsplit("@", 1)[0]
        regions = source.changed_regions(old, new, qualname, end)
        if regions is None:
            return None
        executed = lines[path]
        return regions, {executed[line] for line in regions if line in executed}

    def function(
        self, path: str, unit: int, reached: tuple[frozenset[int], set[int]] | None = None
    ) -> None:
        name = self.map.units[unit]
        qualname = name.split("::", 1)[1].rsplit("@", 1)[0]
        runs = self.count(unit)
        module = not _is_test_file(path)
        for test in self.tests_by_file.get(path, ()):
            # A changed test runs even if its body never ran; the items pytest collects
            # from a module itself (doctests, linters' items) run on any change to it.
            if module or _test_qualname(test) == qualname:
                self.acc.named.add(test)
        if reached is None:
            self.acc.units.add(unit)
            self.acc.changed.add(unit)
            self.reason(path, f"{qualname}() changed: {runs} tests executed it (rule: function)")
            return
        regions, units = reached
        self.acc.units.update(units)
        self.acc.changed.update(units)
        ran = len(self.map.tests_touching(units)) if units else 0
        self.reason(
            path,
            f"{qualname}() changed at line {_ranges(regions)}: {ran} of the {runs} tests "
            "that executed it ran those lines (rule: function-lines)",
        )

    def dependents(
        self, targets: list[str], path: str, why: str, rule: str = "module-level"
    ) -> None:
        graph = self.graph()
        found = graph.dependents(targets)
        file_units = self.file_units()
        # The changed modules' own code, for the import-time rule: another module
        # that imported one of them while it was imported holds what it made.
        self.acc.changed.update(
            u for t in targets if (u := self.unit_ids.get(f"mod:{t}")) is not None
        )
        for file in found:
            if file in self.tests_by_file or _is_test_file(file):
                self.acc.files.add(file)
            self.acc.units.update(file_units.get(file, ()))
        importers = len(found - set(targets))
        self.reason(path, f"{why}: {importers} modules import it, transitively (rule: {rule})")

    def package_files(self, folder: str) -> list[str]:
        prefix = f"{folder}/" if folder else ""
        return [
            f for f in self.graph().files if f.startswith(prefix) and "/" not in f[len(prefix) :]
        ]

    def file_units(self) -> dict[str, set[int]]:
        if self._file_units is None:
            self._file_units = {}
            for index, name in enumerate(self.map.units):
                kind, _, rest = name.partition(":")
                if kind in ("fn", "mod"):
                    self._file_units.setdefault(rest.split("::", 1)[0], set()).add(index)
        return self._file_units

    def graph(self) -> _Graph:
        if self._graph is None:
            imports = dict(self.map.imports)
            gone = set()
            for change in self.inputs.changes:
                for path, status in _sides(change):
                    if not path.endswith(".py"):
                        continue
                    if status == "deleted":
                        imports.pop(path, None)
                        gone.add(path)
                    else:
                        imports[path] = self.inputs.head_imports.get(path) or ()
            self._graph = _Graph(imports, gone)
        return self._graph

    # --- other files ---------------------------------------------------------------------

    def data(self, path: str, status: str, opened: int) -> None:
        if self.run_all.claims(path):
            raise _All(f"{path} is a global input (tool.tiered-ci.run-all)")
        self.subprocesses()
        if status == "modified" and opened:
            self.reason(path, f"read by {opened} tests (rule: data)")
            return
        what = "never read by a recorded test" if status == "modified" else f"{status} file"
        for domain in self.config.domains.values():
            if domain.tests and PatternList(tuple(domain.paths)).claims(path):
                self.acc.folders.update(t.rstrip("/") for t in domain.tests)
                self.reason(path, f"{what}: the tests of domain {domain.name} (rule: data-domain)")
                return
        folder = posixpath.dirname(path)
        while folder:
            if any(f.startswith(f"{folder}/") for f in self.tests_by_file):
                self.acc.folders.add(folder)
                self.reason(path, f"{what}: every test below {folder}/ (rule: data-folder)")
                return
            package = self.package_files(folder)
            if package:
                self.dependents(
                    package, path, f"{what} beside the modules of {folder}/", rule="data-package"
                )
                return
            folder = posixpath.dirname(folder)
        if self.config.unmapped == "ignore":
            self.reason(path, f"{what}: claimed by no rule; unmapped = 'ignore'")
            return
        raise _All(
            f"{path} ({what}) is claimed by no rule and unmapped is {self.config.unmapped!r}"
        )

    def pyproject(self, path: str) -> None:
        old, new = self.inputs.texts.get(path, (None, None))
        try:
            keys, dists = deps.pyproject_changes(old, new)
        except deps.Unreadable as exc:
            raise _All(str(exc)) from None
        other = sorted(
            k for k in keys if not k.startswith(deps.DEPENDENCY_TABLES) and not _no_tests(k)
        )
        if other:
            raise _All(
                f"pyproject.toml: [{other[0]}] changed, which tests can observe (rule: pyproject)"
            )
        if dists:
            self.distributions(path, dists)
        else:
            shown = ", ".join(f"[{k}]" for k in sorted(keys)) or "nothing"
            self.reason(path, f"only {shown} changed: lint, no tests (rule: pyproject)")

    def dependency_file(self, path: str) -> None:
        old, new = self.inputs.texts.get(path, (None, None))
        try:
            dists = deps.changed_distributions(path, old, new)
        except deps.Unreadable as exc:
            raise _All(str(exc)) from None
        if dists:
            self.distributions(path, dists)
        else:
            self.reason(path, "no distribution's version changed (rule: dependencies)")

    def distributions(self, path: str, dists: set[str]) -> None:
        affected = _reverse_closure(self.map.requires, dists)
        # A plugin that changed reaches every test. A plugin that only requires what
        # changed is judged like any other distribution: by who imports its modules.
        for dist in sorted(dists):
            if dist in self.map.plugins:
                raise _All(f"{path}: pytest plugin {dist} changed; it reaches every test")
        unknown = sorted(d for d in dists if d not in self.map.distributions)
        if unknown:
            raise _All(
                f"{path}: distribution {unknown[0]} was not installed when the map was "
                "recorded, so which modules it provides is unknown (rule: dependencies)"
            )
        modules = {m for d in affected for m in self.map.distributions.get(d, ())}
        graph = self.graph()
        importers = [
            f
            for f, names in graph.imports.items()
            if any(n.split(".", 1)[0] in modules for n in names)
        ]
        self.subprocesses()
        self.dependents(
            importers,
            path,
            f"{', '.join(sorted(dists))} changed ({len(importers)} files import it)",
            rule="dependencies",
        )


# Names the assignment rules follow (an attribute, its class, classes whose fields name
# them) before they judge the module-level way instead.
_MAX_SEARCHED = 12


def _sides(change: ChangedFile) -> list[tuple[str, str]]:
    if change.old_path is not None and change.status == "renamed":
        return [(change.old_path, "deleted"), (change.path, "added")]
    return [(change.path, change.status)]


def _also(opened: int) -> str:
    return f"; read by {opened} tests, which run (rule: data)" if opened else ""


def _no_tests(key: str) -> bool:
    return any(key == t or key.startswith(f"{t}.") for t in deps.NO_TEST_TABLES)


def _is_test_file(path: str) -> bool:
    name = posixpath.basename(path)
    return any(fnmatch(name, pattern) for pattern in TEST_PATTERNS)


def _test_qualname(test: str) -> str:
    parts = test.split("::")[1:]
    return ".".join(parts).split("[", 1)[0]


def _ranges(lines: Iterable[int]) -> str:
    """`3-5, 9` for lines 3, 4, 5 and 9."""
    runs: list[list[int]] = []
    for line in sorted(lines):
        if runs and runs[-1][1] == line - 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs) or "none"


def _describe(unit: str) -> str:
    kind, _, rest = unit.partition(":")
    if kind == "fn":
        file, _, qual = rest.partition("::")
        return f"{qual.rsplit('@', 1)[0]}() in {file}"
    if kind == "mod":
        return f"module-level code of {rest}"
    return rest or unit


def _reverse_closure(requires: Mapping[str, tuple[str, ...]], changed: set[str]) -> set[str]:
    """`changed` and every distribution that requires one of them, transitively."""
    needed_by: dict[str, set[str]] = {}
    for dist, needs in requires.items():
        for need in needs:
            needed_by.setdefault(need, set()).add(dist)
    found, stack = set(changed), list(changed)
    while stack:
        for parent in needed_by.get(stack.pop(), ()):
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


class _Graph:
    """The repository's import graph at head: map's imports, changed files re-read."""

    def __init__(self, imports: Mapping[str, tuple[str, ...]], gone: set[str]) -> None:
        self.imports = imports
        self.files = set(imports)
        index: dict[str, set[str]] = {}
        for file in self.files | gone:
            for name in source.module_names(file):
                index.setdefault(name, set()).add(file)
        self.importers: dict[str, set[str]] = {}
        for file, names in imports.items():
            for name in names:
                for target in _resolve(index, name):
                    self.importers.setdefault(target, set()).add(file)

    def dependents(self, targets: Iterable[str]) -> set[str]:
        found = set(targets)
        stack = list(found)
        while stack:
            for importer in self.importers.get(stack.pop(), ()):
                if importer not in found:
                    found.add(importer)
                    stack.append(importer)
        return found


def _resolve(index: Mapping[str, set[str]], name: str) -> set[str]:
    """Files `import a.b.c` runs: a, a.b and a.b.c (packages' __init__ run on the way)."""
    parts = name.split(".")
    found: set[str] = set()
    for end in range(1, len(parts) + 1):
        found |= index.get(".".join(parts[:end]), set())
    return found
