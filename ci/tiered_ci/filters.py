"""dorny/paths-filter's model: filter YAML -> rules, changed files -> matches per filter.

Pure functions over plain data; `tiered_ci.commands.filter` does the I/O. The rules
follow dorny/paths-filter v4 (shared/DORNY.md): a filter is a glob, a
mapping `"<status>|<status>": glob-or-list`, or a list of those (nested lists
flattened, which is how YAML anchors reuse lists); each glob is its own
picomatch matcher; under `some` a file counts when any rule matches, under
`every` when all do. One deliberate difference: an unknown status key is an
error here, where dorny silently never matches it.

Matching is set algebra over one sorted index of the changed paths: a glob
with a literal prefix only looks at the paths under it (two bisections), the
result of each distinct glob is computed once and shared by every filter, and
sets are Python ints used as bit masks, so `some` is `|` and `every` is `&`.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count
from typing import Literal

from tiered_ci.changes import ChangedFile
from tiered_ci.errors import InputError
from tiered_ci.globs import compile_picomatch

__all__ = [
    "GITHUB_STATUSES",
    "STATUS_KEYS",
    "FileChange",
    "Filter",
    "FilterResult",
    "ListFormat",
    "Quantifier",
    "Rule",
    "backslash_escape",
    "csv_escape",
    "force_all",
    "format_list",
    "from_git",
    "from_github_files",
    "github_values",
    "js_json",
    "match",
    "output_values",
    "parse_filters",
    "shell_escape",
]

Quantifier = Literal["some", "every"]
# Statuses a rule may name (dorny's ChangeStatus values).
STATUS_KEYS = ("added", "copied", "deleted", "modified", "renamed", "unmerged")
# Characters after which a glob's text is no longer a literal prefix of what it matches.
_GLOB_SPECIAL = frozenset('*?[]{}()!@+\\|"$^')


@dataclass(frozen=True, slots=True)
class FileChange:
    """One changed file as dorny sees it (renames already split into deleted + added)."""

    path: str
    status: str | None  # None (a type change in dorny) matches status-less rules only


@dataclass(frozen=True, slots=True)
class Rule:
    """Globs OR-ed together, optionally only for files with one of `statuses`."""

    globs: tuple[str, ...]
    statuses: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    name: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class FilterResult:
    name: str
    files: tuple[FileChange, ...]
    forced: bool = False  # fail-safe: the changes are unknown, so the filter reports true

    @property
    def matched(self) -> bool:
        return self.forced or bool(self.files)


# --- parsing ---------------------------------------------------------------------


def parse_filters(document: object, source: str, *, outputs: bool = True) -> tuple[Filter, ...]:
    """Validate a loaded filter YAML document; `source` names it in error messages.

    With `outputs` (the default: `filter` writes them), every name must make safe,
    distinct output names; `import-filters` turns names into domains instead.
    """
    if not isinstance(document, dict) or not document:
        got = "nothing" if document is None or document == {} else _type(document)
        raise InputError(
            f"{source}: expected a mapping of filter names to globs at the top level, "
            f"got {got}; write e.g. 'backend: [\"src/**\"]'"
        )
    filters = []
    for name, value in document.items():
        if not isinstance(name, str):
            raise InputError(f"{source}: filter name {name!r} is {_type(name)}, not text; quote it")
        where = f"{source}: filter {name!r}"
        if outputs and not _OUTPUT_NAME.fullmatch(name):
            # The name becomes a $GITHUB_OUTPUT key and an expression (steps.x.outputs.NAME):
            # a newline or '=' would let the filter file write outputs of its choosing.
            raise InputError(
                f"{where}: a filter name may hold only letters, digits, '_' and '-'; rename it"
            )
        rules = tuple(_rules(value, where))
        if not rules:
            raise InputError(f"{where}: no globs; give at least one glob or remove the filter")
        filters.append(Filter(name, rules))
    if outputs:
        _check_collisions([f.name for f in filters], source)
    return tuple(filters)


# Output names safe both in $GITHUB_OUTPUT and in `steps.<id>.outputs.<name>`.
_OUTPUT_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SUFFIXES = ("_count", "_files")


def _check_collisions(names: Sequence[str], source: str) -> None:
    """Two filters must not write the same output (`a_count` and `a`'s count)."""
    owner: dict[str, str] = {}
    for name in names:
        for output in (name, *(name + suffix for suffix in _SUFFIXES)):
            other = owner.setdefault(output, name)
            if other != name:
                first, second = sorted((other, name), key=names.index)
                raise InputError(
                    f"{source}: filters {first!r} and {second!r} both write the output "
                    f"{output!r}; rename one of them"
                )


def _rules(value: object, where: str) -> Iterable[Rule]:
    if isinstance(value, str):
        yield Rule((_glob(value, where),))
    elif isinstance(value, list):
        for item in value:
            yield from _rules(item, where)
    elif isinstance(value, dict):
        for key, globs in value.items():
            yield _status_rule(key, globs, where)
    elif value is None:
        raise InputError(
            f"{where}: empty; give a glob, a list of globs or a mapping of statuses to globs"
        )
    else:
        raise InputError(
            f"{where}: expected a glob, a list or a mapping of statuses to globs, got "
            f"{_type(value)}; quote globs that YAML reads as numbers or booleans"
        )


def _status_rule(key: object, globs: object, where: str) -> Rule:
    if not isinstance(key, str):
        raise InputError(
            f"{where}: status key {key!r} is {_type(key)}; write e.g. 'added|modified'"
        )
    statuses = [part.strip().lower() for part in key.split("|")]
    statuses = [status for status in statuses if status]
    if not statuses:
        raise InputError(
            f"{where}: status key {key!r} names no status; use {_status_list()} joined by '|'"
        )
    for status in statuses:
        if status not in STATUS_KEYS:
            raise InputError(
                f"{where}: unknown status {status!r} in {key!r}; use {_status_list()} "
                "(dorny would silently never match it)"
            )
    flat = [glob for glob in _flatten(globs) if isinstance(glob, str)]
    if not flat or len(flat) != len(list(_flatten(globs))):
        raise InputError(
            f"{where}: status key {key!r}: expected a glob or a list of globs, got "
            f"{_type(globs)}; write e.g. '{key}: \"src/**\"'"
        )
    return Rule(tuple(_glob(glob, where) for glob in flat), frozenset(statuses))


def _flatten(value: object) -> Iterable[object]:
    # picomatch accepts nested arrays (a YAML alias inside a status list)
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _glob(glob: str, where: str) -> str:
    if not glob:
        raise InputError(f"{where}: empty glob; remove it or write a pattern")
    compile_picomatch(glob)  # compiled once here, reused by every match
    return glob


def _status_list() -> str:
    return ", ".join(STATUS_KEYS[:-1]) + f" or {STATUS_KEYS[-1]}"


def _type(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    names.update({dict: "a mapping", str: "text"})
    return names.get(type(value), type(value).__name__)


# --- matching --------------------------------------------------------------------


def match(
    filters: Sequence[Filter], files: Sequence[FileChange], quantifier: Quantifier = "some"
) -> tuple[FilterResult, ...]:
    """Each filter's matching files, in the order of `files` (as dorny lists them)."""
    index = _Index(files)
    results = []
    for one in filters:
        masks = (index.rule(rule) for rule in one.rules)
        if quantifier == "every":
            mask = index.full
            for rule_mask in masks:
                mask &= rule_mask
        else:
            mask = 0
            for rule_mask in masks:
                mask |= rule_mask
        results.append(FilterResult(one.name, index.files_of(mask)))
    return tuple(results)


def force_all(results: Sequence[FilterResult]) -> tuple[FilterResult, ...]:
    """Fail-safe: every filter reports true, whatever it matched."""
    return tuple(FilterResult(r.name, r.files, forced=True) for r in results)


class _Index:
    """The changed files sorted by path; a set of files is an int with one bit per position."""

    def __init__(self, files: Sequence[FileChange]) -> None:
        self.files = list(files)
        self.order = sorted(range(len(self.files)), key=lambda i: self.files[i].path)
        self.paths = [self.files[i].path for i in self.order]
        self.full = (1 << len(self.paths)) - 1
        self._globs: dict[str, int] = {}
        self._statuses: dict[str, int] = {}
        by_status: dict[str | None, list[int]] = {}
        for position, i in enumerate(self.order):
            by_status.setdefault(self.files[i].status, []).append(position)
        for status, positions in by_status.items():
            if status is not None:
                self._statuses[status] = _mask(positions, len(self.paths))

    def rule(self, rule: Rule) -> int:
        mask = 0
        for glob in rule.globs:
            mask |= self.glob(glob)
        if rule.statuses is not None:
            allowed = 0
            for status in rule.statuses:
                allowed |= self._statuses.get(status, 0)
            mask &= allowed
        return mask

    def glob(self, glob: str) -> int:
        mask = self._globs.get(glob)
        if mask is None:
            mask = self._globs[glob] = self._match_glob(glob)
        return mask

    def _match_glob(self, glob: str) -> int:
        compiled = compile_picomatch(glob)
        if compiled.regex is None:
            return self._equal(glob)  # an invalid regex never matches; equal text still does
        body = glob.lstrip("!").removeprefix("./") if compiled.negated else glob
        lo, hi = self._range(_literal_prefix(body))
        shortcut = _subtree_shortcut(body)
        if shortcut is not None:
            hits = self._subtree(shortcut)
        else:
            candidates = self.paths[lo:hi]
            positions = compress(count(lo), map(compiled.fullmatch, candidates))
            hits = _mask(positions, len(self.paths))
        if compiled.negated:
            hits = self.full & ~hits
        return hits | self._equal(glob)  # picomatch: a path equal to the glob text matches

    def _range(self, prefix: str) -> tuple[int, int]:
        if not prefix:
            return 0, len(self.paths)
        lo = bisect.bisect_left(self.paths, prefix)
        if ord(prefix[-1]) == 0x10FFFF:
            return lo, len(self.paths)
        hi = bisect.bisect_left(self.paths, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)
        return lo, hi

    def _equal(self, text: str) -> int:
        lo = bisect.bisect_left(self.paths, text)
        hi = bisect.bisect_right(self.paths, text, lo)
        return _span(lo, hi)

    def _subtree(self, directory: str) -> int:
        """`dir/**`: the path `dir` itself and everything below it, by bisection alone."""
        lo, hi = self._range(directory + "/")
        return self._equal(directory) | _span(lo, hi)

    def files_of(self, mask: int) -> tuple[FileChange, ...]:
        chosen = sorted(self.order[position] for position in _positions(mask))
        return tuple(self.files[i] for i in chosen)


def _literal_prefix(glob: str) -> str:
    """Text every match of `glob` starts with ('' when unsure), cut at a folder boundary."""
    glob = glob.removeprefix("./")
    if "|" in glob:
        return ""  # picomatch reads a bare `|` as alternation of whole alternatives
    for i, char in enumerate(glob):
        if char in _GLOB_SPECIAL:
            return glob[: max(glob.rfind("/", 0, i), 0)]
    return glob


def _subtree_shortcut(glob: str) -> str | None:
    glob = glob.removeprefix("./")
    if not glob.endswith("/**"):
        return None
    directory = glob[:-3]
    if not directory or any(char in _GLOB_SPECIAL for char in directory):
        return None
    if "." in directory.split("/") or ".." in directory.split("/") or "//" in glob:
        return None
    return directory


def _span(lo: int, hi: int) -> int:
    return ((1 << (hi - lo)) - 1) << lo if hi > lo else 0


def _mask(positions: Iterable[int], size: int) -> int:
    bits = bytearray((size >> 3) + 1)
    for position in positions:
        bits[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")


def _positions(mask: int) -> Iterable[int]:
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    for byte_index, byte in enumerate(data):
        if byte:
            base = byte_index << 3
            for bit in range(8):
                if byte >> bit & 1:
                    yield base + bit


# --- changed files from their sources ---------------------------------------------

# GitHub's pull-request files API statuses -> dorny's (renamed is split, see below).
GITHUB_STATUSES: Mapping[str, str] = {
    "added": "added",
    "removed": "deleted",
    "modified": "modified",
    "renamed": "renamed",
    "copied": "copied",
    "changed": "changed",
    "unchanged": "unchanged",
}


def from_github_files(rows: object, source: str) -> list[FileChange]:
    """GitHub's `pulls/{n}/files` rows -> changes, the way dorny maps them."""
    if not isinstance(rows, list):
        raise InputError(
            f'{source}: expected a JSON list of {{"filename", "status"}} objects, got {_type(rows)}'
        )
    files: list[FileChange] = []
    for number, row in enumerate(rows):
        where = f"{source}: item {number}"
        if not isinstance(row, dict):
            raise InputError(
                f"{where}: expected an object with filename and status, got {_type(row)}"
            )
        filename, status = row.get("filename"), row.get("status")
        if not isinstance(filename, str) or not filename:
            raise InputError(f"{where}: 'filename' must be a non-empty string")
        if status not in GITHUB_STATUSES:
            raise InputError(
                f"{where}: unknown status {status!r}; expected one of {', '.join(GITHUB_STATUSES)}"
            )
        if status == "renamed":
            previous = row.get("previous_filename")
            if not isinstance(previous, str) or not previous:
                raise InputError(f"{where}: a renamed file needs 'previous_filename'")
            # dorny: a rename is an added new path plus a deleted old one
            files += [FileChange(filename, "added"), FileChange(previous, "deleted")]
        else:
            files.append(FileChange(filename, GITHUB_STATUSES[str(status)]))
    return files


def from_git(changes: Iterable[ChangedFile]) -> list[FileChange]:
    """`tiered_ci.changes` entries -> dorny's `git diff --no-renames` view of them."""
    files: list[FileChange] = []
    for change in changes:
        if change.status == "renamed" and change.old_path is not None:
            files += [FileChange(change.old_path, "deleted"), FileChange(change.path, "added")]
        elif change.status == "copied":
            files.append(FileChange(change.path, "added"))  # without -C a copy is a new file
        else:
            files.append(FileChange(change.path, change.status))
    # git lists paths in byte order; keep that order after splitting renames
    return sorted(files, key=lambda f: f.path.encode("utf-8", "surrogateescape"))


# --- outputs ---------------------------------------------------------------------

ListFormat = Literal["none", "csv", "json", "shell", "escape"]

_CSV_SAFE = re.compile(r"[a-zA-Z0-9._+:@%/-]+")
_SHELL_SAFE = re.compile(r"[a-zA-Z0-9,._+:@%/-]+")
# JavaScript's `\s`, which dorny's shell format uses (Python's `\s` differs slightly).
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SHELL_QUOTE_SAFE = re.compile(f"[a-zA-Z0-9,._+:@%/'{_JS_SPACE}-]+")
_ESCAPE_UNSAFE = re.compile(r"([^a-zA-Z0-9,._+:@%/-])")


def csv_escape(name: str) -> str:
    """RFC 4180: quoted (quotes doubled) only when the name has an unsafe character."""
    if not name or _CSV_SAFE.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def shell_escape(name: str) -> str:
    """As few quotes as a POSIX shell needs, in dorny's style."""
    if not name or _SHELL_SAFE.fullmatch(name):
        return name
    if "'" in name:
        if _SHELL_QUOTE_SAFE.fullmatch(name):
            return f'"{name}"'
        return "\\'".join(shell_escape(part) for part in name.split("'"))
    return f"'{name}'"


def backslash_escape(name: str) -> str:
    """A backslash before every character outside a small safe set."""
    return _ESCAPE_UNSAFE.sub(r"\\\1", name)


def format_list(names: Sequence[str], fmt: ListFormat) -> str:
    if fmt == "csv":
        return ",".join(csv_escape(name) for name in names)
    if fmt == "json":
        return js_json(list(names))
    if fmt == "shell":
        return " ".join(shell_escape(name) for name in names)
    if fmt == "escape":
        return " ".join(backslash_escape(name) for name in names)
    return ""


def js_json(value: object) -> str:
    """JSON text as JavaScript's JSON.stringify writes it (compact, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def output_values(results: Sequence[FilterResult], list_files: ListFormat) -> dict[str, object]:
    """dorny's outputs with JSON types: `<name>`, `<name>_count`, `<name>_files`, `changes`."""
    values: dict[str, object] = {}
    for result in results:
        values[result.name] = result.matched
        values[f"{result.name}_count"] = len(result.files)
        if list_files == "json":
            values[f"{result.name}_files"] = [f.path for f in result.files]
        elif list_files != "none":
            values[f"{result.name}_files"] = format_list([f.path for f in result.files], list_files)
    if not any(result.name == "changes" for result in results):
        values["changes"] = [result.name for result in results if result.matched]
    return values


def github_values(results: Sequence[FilterResult], list_files: ListFormat) -> dict[str, str]:
    """The same outputs as the strings GitHub Actions stores ("true", "2", JSON text)."""
    strings: dict[str, str] = {}
    for name, value in output_values(results, list_files).items():
        if isinstance(value, bool):
            strings[name] = "true" if value else "false"
        elif isinstance(value, str):
            strings[name] = value
        elif isinstance(value, int):
            strings[name] = str(value)
        else:
            strings[name] = js_json(value)
    return strings
