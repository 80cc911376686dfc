"""The impact map file: what every test executed of the repository's own code.

Format (version 1), a JSON object, gzip-compressed when written by tiered-ci
(reading accepts plain JSON too):

    {"format": "tiered-ci-impact-map", "version": 1,
     "commit": sha, "clean": bool, "python": "3.12.4", "tiered_ci": "0.2.0",
     "units": ["fn:src/a.py::f", "mod:src/a.py", "file:data/x.csv", "spawn", ...],
     "spans": {"src/a.py": [[start, end, unit], ...]},
     "footprints": ["<base64 of varint unit deltas>", ...],
     "postings": ["<base64 of varint footprint deltas>", ...],  (one per unit)
     "tests": {"tests/test_a.py": {"test_f": footprint, "TestA::test_g[1]": footprint}},
     "global": footprint,
     "import_time": footprint,   (optional: what ran while collecting, i.e. importing)
     "imports": {"src/a.py": ["json", "pkg.b", ...]},
     "distributions": {"requests": ["requests"]},
     "requires": {"requests": ["urllib3", ...]}, "plugins": ["pytest-xdist"]}

A *unit* is what a footprint is made of: a function body (`fn:`), the
module-level code of a file (`mod:`), a non-Python file opened (`file:`), or
`spawn` (the test started a process that may run the repository's code where
nothing measured it: a shell, a fork, a Python child that sent no report).
Footprints are deduplicated (parametrized tests share one) and stored
as sorted deltas, which keeps a 60,000-test map small (see bench_impact).
`global` is what ran outside any test and any collector: a change there can
affect every test. `import_time` is what ran while pytest collected (imported
test modules and conftests): a value computed then is seen by every later
importer, not only by the tests charged with it. A map without it (older
tiered-ci) is read as "unknown", and the rules that need it fall back.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from tiered_ci.errors import InputError

__all__ = [
    "FORMAT",
    "SPAWN",
    "VERSION",
    "ImpactMap",
    "decode",
    "encode",
    "merge",
    "read",
    "write",
]

FORMAT = "tiered-ci-impact-map"
V = TypeVar("V")
VERSION = 1
SPAWN = "spawn"


@dataclass(frozen=True, slots=True)
class ImpactMap:
    commit: str
    clean: bool
    python: str
    tiered_ci: str
    units: tuple[str, ...]
    spans: Mapping[str, tuple[tuple[int, int, int], ...]]
    tests: Mapping[str, frozenset[int]]
    global_units: frozenset[int] = frozenset()
    imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    distributions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    # pytest's rootdir, repository-relative ("" at the top): node ids are relative to it.
    rootdir: str = ""
    # Units that ran while collecting; None when the map does not say (older maps).
    import_units: frozenset[int] | None = None
    # Per file, the executed lines of function bodies -> the unit of the line's class
    # (or of its function); None when the map does not say (older maps): a change is
    # then judged by whole functions.
    lines: Mapping[str, Mapping[int, int]] | None = None
    # Per module of the repository, what ran while its body executed (import time):
    # None when the map does not say (older maps).
    imported: Mapping[str, frozenset[int]] | None = None

    def test_path(self, test: str) -> str:
        """The repository-relative file of a test node id."""
        file = test.split("::", 1)[0]
        return f"{self.rootdir}/{file}" if self.rootdir else file

    def tests_touching(self, units: set[int]) -> set[str]:
        """The tests whose footprint holds one of `units`."""
        if isinstance(self.tests, _Footprints):
            return self.tests.touching(units)
        return {test for test, footprint in self.tests.items() if not units.isdisjoint(footprint)}

    def named_tests(self) -> dict[str, set[str]]:
        """Footprints as unit names (for merging maps with different unit tables)."""
        return {test: {self.units[u] for u in units} for test, units in self.tests.items()}

    def by_name(self) -> dict[str, object]:
        """Everything the map says, with units by name: two recordings of the same run
        compare equal whatever order they met the units in (and so whichever tracer)."""
        name = self.units.__getitem__
        return {
            "tests": self.named_tests(),
            "global": {name(u) for u in self.global_units},
            "import": {name(u) for u in self.import_units or ()},
            "imported": {k: {name(u) for u in v} for k, v in (self.imported or {}).items()},
            "lines": {
                rel: {line: name(u) for line, u in found.items()}
                for rel, found in (self.lines or {}).items()
            },
            "spans": {
                rel: {(a, b, name(u)) for a, b, u in found} for rel, found in self.spans.items()
            },
            "commit": self.commit,
            "clean": self.clean,
            "units": set(self.units),
        }

    def to_json(self) -> dict[str, object]:
        footprints: dict[frozenset[int], int] = {}
        # Grouped by file: a file's path is written once, not once per test.
        tests: dict[str, dict[str, int]] = {}
        for test, units in sorted(self.tests.items()):
            file, _, rest = test.partition("::")
            tests.setdefault(file, {})[rest] = footprints.setdefault(units, len(footprints))
        glob = footprints.setdefault(self.global_units, len(footprints))
        imported = (
            footprints.setdefault(self.import_units, len(footprints))
            if self.import_units is not None
            else None
        )
        imported_at = (
            {
                path: footprints.setdefault(units, len(footprints))
                for path, units in sorted(self.imported.items())
            }
            if self.imported is not None
            else None
        )
        postings: list[list[int]] = [[] for _ in self.units]
        for index, units in enumerate(footprints):
            for unit in units:
                postings[unit].append(index)
        return {
            "format": FORMAT,
            "version": VERSION,
            "commit": self.commit,
            "clean": self.clean,
            "python": self.python,
            "tiered_ci": self.tiered_ci,
            "units": list(self.units),
            "spans": {path: [list(s) for s in spans] for path, spans in sorted(self.spans.items())},
            "footprints": [encode(sorted(units)) for units in footprints],
            # Per unit, the footprints that hold it: a selection decodes only the
            # postings of the units a change touches, not 60,000 footprints.
            "postings": [encode(found) for found in postings],
            "tests": tests,
            "global": glob,
            **({"import_time": imported} if imported is not None else {}),
            "imports": {path: list(names) for path, names in sorted(self.imports.items())},
            "distributions": {d: list(m) for d, m in sorted(self.distributions.items())},
            "requires": {d: list(r) for d, r in sorted(self.requires.items())},
            "plugins": sorted(self.plugins),
            "rootdir": self.rootdir,
            **({"lines": _runs(self.lines)} if self.lines is not None else {}),
            **({"imported": imported_at} if imported_at is not None else {}),
        }


def _runs(lines: Mapping[str, Mapping[int, int]]) -> dict[str, list[list[int]]]:
    """Per file, [first, last, unit] for each run of consecutive lines of one unit."""
    runs: dict[str, list[list[int]]] = {}
    for path, units in sorted(lines.items()):
        found: list[list[int]] = []
        for line, unit in sorted(units.items()):
            if found and found[-1][1] == line - 1 and found[-1][2] == unit:
                found[-1][1] = line
            else:
                found.append([line, line, unit])
        runs[path] = found
    return runs


def encode(ordered: Iterable[int]) -> str:
    """Sorted non-negative ints as base64 of LEB128 varints of their deltas."""
    out = bytearray()
    last = 0
    for value in ordered:
        delta = value - last
        last = value
        while delta >= 0x80:
            out.append((delta & 0x7F) | 0x80)
            delta >>= 7
        out.append(delta)
    return base64.b64encode(bytes(out)).decode("ascii")


def decode(text: str) -> list[int]:
    """The inverse of `encode`; ValueError on a malformed text."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad encoded list: {exc}") from None
    values: list[int] = []
    current = shift = total = 0
    for byte in raw:
        current |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        total += current
        values.append(total)
        current = shift = 0
    if shift:
        raise ValueError("bad encoded list: truncated")
    return values


class _PerFile(Mapping[str, V]):
    """A table per file, checked and parsed when a file is looked up (a selection reads
    few); a malformed entry is an InputError naming the file and what it holds."""

    def __init__(self, raw: dict[str, object], what: str, parse: Callable[[object], V]) -> None:
        self._raw = raw
        self._what = what
        self._parse = parse
        self._parsed: dict[str, V] = {}

    def __getitem__(self, path: str) -> V:
        if path not in self._parsed:
            try:
                self._parsed[path] = self._parse(self._raw[path])
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"impact map: bad {self._what} for {path} ({exc}); record again"
                ) from None
        return self._parsed[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, path: object) -> bool:
        return path in self._raw


def _spans(value: object) -> tuple[tuple[int, int, int], ...]:
    return tuple(_span(s) for s in _list(value))


def _lines_of(units: int) -> Callable[[object], Mapping[int, int]]:
    """Runs of [first, last, unit] expanded to line -> unit."""

    def parse(value: object) -> Mapping[int, int]:
        found: dict[int, int] = {}
        for run in _list(value):
            first, last, unit = _run(run, units)
            found.update(dict.fromkeys(range(first, last + 1), unit))
        return found

    return parse


class _Footprints(Mapping[str, frozenset[int]]):
    """Tests -> footprints, decoded on demand (a selection reads few of them)."""

    def __init__(self, tests: dict[str, int], codes: list[str], postings: list[str]) -> None:
        self._units = len(postings)  # one posting list per unit
        self._tests = tests
        self._codes = codes
        self._postings = postings
        self._decoded: dict[int, frozenset[int]] = {}

    def footprint(self, index: int) -> frozenset[int]:
        found = self._decoded.get(index)
        if found is None:
            found = self._decoded[index] = frozenset(decode(self._codes[index]))
            if found and max(found) >= self._units:
                raise InputError(
                    "impact map: a footprint names a unit it does not have; record again"
                )
        return found

    def __getitem__(self, test: str) -> frozenset[int]:
        return self.footprint(self._tests[test])

    def __iter__(self) -> Iterator[str]:
        return iter(self._tests)

    def __len__(self) -> int:
        return len(self._tests)

    def __contains__(self, test: object) -> bool:
        return test in self._tests

    def touching(self, units: set[int]) -> set[str]:
        wanted: set[int] = set()
        for unit in units:
            if 0 <= unit < len(self._postings):
                wanted.update(decode(self._postings[unit]))
        return {test for test, index in self._tests.items() if index in wanted}


def write(path: Path, impact_map: ImpactMap) -> None:
    """Write atomically (a reader never sees half a map), gzip-compressed."""
    data = json.dumps(impact_map.to_json(), separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    partial.replace(path)


def read(path: Path) -> ImpactMap:
    """Read and check a map; InputError names the file and what is wrong with it."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        document = json.loads(raw)
    except FileNotFoundError:
        raise InputError(
            f"{path}: impact map not found; record one with pytest --impact-record={path}"
        ) from None
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(f"{path}: not a readable impact map ({exc}); record it again") from None
    try:
        return _parse(document)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(
            f"{path}: not a tiered-ci impact map version {VERSION} ({exc!r}); record it again"
        ) from None


def _parse(doc: dict[str, object]) -> ImpactMap:
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ValueError(f"format {doc.get('format')!r} version {doc.get('version')!r}")
    units = tuple(str(u) for u in _list(doc["units"]))
    codes = [_str(f) for f in _list(doc["footprints"])]
    postings = [_str(p) for p in _list(doc["postings"])]
    if len(postings) != len(units):
        raise ValueError(f"{len(postings)} postings for {len(units)} units")
    raw_index: dict[str, object] = {
        f"{file}::{rest}" if rest else file: f
        for file, in_file in _dict(doc["tests"]).items()
        for rest, f in _dict(in_file).items()
    }
    test_index = cast("dict[str, int]", raw_index)
    indexes = set(raw_index.values())
    if not all(type(i) is int for i in indexes):
        raise ValueError("a test's footprint is not a whole number")
    if indexes and not (min(test_index.values()) >= 0 and max(test_index.values()) < len(codes)):
        raise ValueError("a test names a footprint the map does not have")
    tests = _Footprints(test_index, codes, postings)
    global_units = tests.footprint(_int(doc["global"]))
    import_units = tests.footprint(_int(doc["import_time"])) if "import_time" in doc else None
    return ImpactMap(
        commit=str(doc["commit"]),
        clean=bool(doc["clean"]),
        python=str(doc["python"]),
        tiered_ci=str(doc["tiered_ci"]),
        units=units,
        spans=_PerFile(_dict(doc["spans"]), "spans", _spans),
        tests=tests,
        global_units=global_units,
        imports={str(p): tuple(str(n) for n in _list(v)) for p, v in _dict(doc["imports"]).items()},
        distributions={
            str(d): tuple(str(m) for m in _list(v)) for d, v in _dict(doc["distributions"]).items()
        },
        requires={
            str(d): tuple(str(r) for r in _list(v)) for d, v in _dict(doc["requires"]).items()
        },
        plugins=tuple(str(p) for p in _list(doc["plugins"])),
        rootdir=str(doc.get("rootdir", "")),
        import_units=import_units,
        lines=(
            _PerFile(_dict(doc["lines"]), "lines", _lines_of(len(units)))
            if "lines" in doc
            else None
        ),
        imported=(
            {str(p): tests.footprint(_int(i)) for p, i in _dict(doc["imported"]).items()}
            if "imported" in doc
            else None
        ),
    )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _span(value: object) -> tuple[int, int, int]:
    start, end, unit = _list(value)
    return _int(start), _int(end), _int(unit)


def _run(value: object, units: int) -> tuple[int, int, int]:
    first, last, unit = _span(value)
    if not 0 <= unit < units or not 0 < first <= last or last - first > 100_000:
        raise ValueError(f"bad run {value!r}")
    return first, last, unit


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _dict(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def merge(maps: Iterable[ImpactMap]) -> ImpactMap:
    """One map from the partial maps of xdist workers or `--shard=K/N` jobs.

    They must describe the same commit: a map mixes the code of one tree only. A
    test recorded in several maps keeps the union of its footprints.
    """
    maps = list(maps)
    _check_mergeable(maps)
    first = maps[0]
    units: dict[str, int] = {}
    tests: dict[str, set[int]] = {}
    spans: dict[str, set[tuple[int, int, str]]] = {}
    global_units: set[int] = set()
    import_units: set[int] = set()
    imported: dict[str, set[int]] = {}
    lines, translations = _merged_lines(maps)
    for one, translate in zip(maps, translations, strict=True):
        index = [{units.setdefault(n, len(units)) for n in translate(name)} for name in one.units]
        for test, footprint in one.tests.items():
            tests.setdefault(test, set()).update(*(index[u] for u in footprint))
        global_units.update(*(index[u] for u in one.global_units))
        import_units.update(*(index[u] for u in one.import_units or ()))
        for path, ran in (one.imported or {}).items():
            imported.setdefault(path, set()).update(*(index[u] for u in ran))
        for path, found in one.spans.items():
            spans.setdefault(path, set()).update((a, b, one.units[u]) for a, b, u in found)
    # Unknown in any part: unknown in the whole.
    known = all(m.import_units is not None for m in maps)
    for named in spans.values():
        for _, _, name in named:
            units.setdefault(name, len(units))
    return ImpactMap(
        commit=first.commit,
        clean=all(m.clean for m in maps),
        python=first.python,
        tiered_ci=first.tiered_ci,
        units=tuple(units),
        spans={p: tuple(sorted((a, b, units[n]) for a, b, n in s)) for p, s in spans.items()},
        tests={t: frozenset(u) for t, u in tests.items()},
        global_units=frozenset(global_units),
        imports={k: v for m in maps for k, v in m.imports.items()},
        distributions={k: v for m in maps for k, v in m.distributions.items()},
        requires={k: v for m in maps for k, v in m.requires.items()},
        plugins=tuple(sorted({p for m in maps for p in m.plugins})),
        rootdir=first.rootdir,
        import_units=frozenset(import_units) if known else None,
        lines=(
            {p: {line: units[n] for line, n in found.items()} for p, found in lines.items()}
            if lines is not None
            else None
        ),
        imported=(
            {p: frozenset(found) for p, found in imported.items()}
            if all(m.imported is not None for m in maps)
            else None
        ),
    )


def _check_mergeable(maps: list[ImpactMap]) -> None:
    if not maps:
        raise InputError("impact merge: no maps given")
    first = maps[0]
    for other in maps[1:]:
        if other.rootdir != first.rootdir:
            raise InputError(
                f"impact merge: maps of two pytest rootdirs ({first.rootdir or '.'} and "
                f"{other.rootdir or '.'}); merge only the maps of one run"
            )
        if other.commit != first.commit:
            raise InputError(
                f"impact merge: maps from different commits ({first.commit[:12]} and "
                f"{other.commit[:12]}); merge only the maps of one run"
            )


def _merged_lines(
    maps: list[ImpactMap],
) -> tuple[dict[str, dict[int, str]] | None, list[Callable[[str], set[str]]]]:
    """Line classes of the maps together, and per map how its unit names translate.

    Each map split a function's lines by the contexts of its own run; together a line's
    class is the tuple of its classes in every map (the common refinement). A map's
    class unit becomes the merged classes of its lines; a function's unit stays, plus
    the merged classes of the lines it stood for. Without lines in every map the
    merged map has none (function units judge), and names pass through."""
    keys = _line_keys(maps)
    if keys is None:
        return None, [lambda name: {name} for _ in maps]
    lines: dict[str, dict[int, str]] = {}
    targets: list[dict[str, set[str]]] = [{} for _ in maps]
    for path, by_line in keys.items():
        groups: dict[str, dict[tuple[str | None, ...], list[int]]] = {}
        for line, names in by_line.items():
            function = _function_of(next(n for n in names if n is not None))
            groups.setdefault(function, {}).setdefault(names, []).append(line)
        merged = lines.setdefault(path, {})
        for function, by_names in groups.items():
            ordered = sorted(by_names.items(), key=lambda item: min(item[1]))
            for k, (names, members) in enumerate(ordered):
                unit = function if len(ordered) == 1 else f"{function}#{k}"
                merged.update(dict.fromkeys(members, unit))
                for i, name in enumerate(names):
                    if name is not None:
                        targets[i].setdefault(name, set()).add(unit)

    def translator(found: dict[str, set[str]]) -> Callable[[str], set[str]]:
        def translate(name: str) -> set[str]:
            own = set() if _function_of(name) != name else {name}
            return own | found.get(name, set())

        return translate

    return lines, [translator(found) for found in targets]


def _line_keys(maps: list[ImpactMap]) -> dict[str, dict[int, tuple[str | None, ...]]] | None:
    """Per file and line, the unit each map gives the line (None: not run there)."""
    keys: dict[str, dict[int, list[str | None]]] = {}
    for i, one in enumerate(maps):
        if one.lines is None:
            return None
        for path, found in one.lines.items():
            in_file = keys.setdefault(path, {})
            for line, unit in found.items():
                in_file.setdefault(line, [None] * len(maps))[i] = one.units[unit]
    return {p: {line: tuple(n) for line, n in found.items()} for p, found in keys.items()}


def _function_of(unit: str) -> str:
    """`fn:a.py::f@3` for a class unit `fn:a.py::f@3#1`; any other unit itself."""
    head, hash_, index = unit.rpartition("#")
    return head if hash_ and unit.startswith("fn:") and index.isdigit() and "@" in head else unit
