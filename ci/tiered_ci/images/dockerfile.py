"""Pure readers of the two files that decide what a Docker build reads from its context.

* `context_sources(text, named)`: the context paths a Dockerfile reads (COPY /
  ADD sources, and `RUN --mount` bind sources), or why they cannot be known
  for sure (a variable, a remote URL, a heredoc...). `--from=<name>` reads
  the named build context `<name>` when `named` has it and no stage is
  called so (a stage wins, as in BuildKit); any other `--from` reads an
  image, not a context.
* `IgnoreFile`: a `.dockerignore` with Docker's semantics: Go `filepath.Match`
  patterns plus `**`, relative to the context root, `!` re-includes, the last
  matching pattern wins, and a pattern that matches a folder excludes
  everything below it.

Both only ever make a service's watched inputs smaller when they are sure;
the caller watches the whole context whenever `Sources.unresolved` is set.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from tiered_ci.images.variables import Scope, known

__all__ = [
    "IgnoreFile",
    "IgnorePattern",
    "Instruction",
    "Source",
    "Sources",
    "context_sources",
    "go_pattern_to_glob",
    "instructions",
    "stage_names",
]

# ADD sources that are fetched, not read from the context.
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)
_UNKNOWN = "\x00"  # stands for an unknown stretch of a source while it is cut into folders
_MAX_PARTIAL = 3  # partly unknown folders in one source: 2**N patterns
_SHOWN_MAX = 160
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Source:
    """One context path a Dockerfile reads; `pattern` is relative to the context root."""

    kind: str  # "copy" (COPY / ADD) or "mount" (RUN --mount=type=bind)
    pattern: str  # Go filepath.Match syntax, as written (cleaned); "." is the whole context
    line: int
    context: str | None = None  # None: the build context; else a named (additional) context
    instruction: str = ""  # the instruction, on one line (what `plan --explain` quotes)
    widened: str = ""  # the source as written, when a variable in it stayed unknown


@dataclass(frozen=True, slots=True)
class Sources:
    sources: tuple[Source, ...] = ()
    unresolved: str | None = None  # why the sources cannot be known: watch the whole context


# --- Dockerfile ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper case
    arguments: str  # everything after the keyword, continuations joined
    line: int  # 1-based line the instruction starts on


def instructions(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions: comments dropped, continuation lines joined."""
    lines = text.splitlines()
    escape = _escape_char(lines)
    out: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if parts and (not stripped or stripped.startswith("#")):
            continue  # empty and comment lines inside a continued instruction are dropped
        if not parts:
            start = number
        body = raw.rstrip()
        if body.endswith(escape):
            parts.append(body[: -len(escape)])
            continue
        parts.append(body)
        if "".join(parts).strip():
            out.append(_instruction("".join(parts), start))
        parts = []
    if "".join(parts).strip():  # a continuation at end of file: Docker takes what is there
        out.append(_instruction("".join(parts), start))
    return out


def _instruction(joined: str, line: int) -> Instruction:
    keyword, *rest = joined.split(None, 1)
    return Instruction(keyword.upper(), rest[0].strip() if rest else "", line)


def _escape_char(lines: list[str]) -> str:
    """The `# escape=` parser directive (only valid before the first instruction)."""
    for raw in lines:
        match = _DIRECTIVE.match(raw.strip())
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            return match.group(2)
    return "\\"


def stage_names(parsed: Collection[Instruction]) -> frozenset[str]:
    """Names of the build stages (`FROM image AS name`, lower-cased as BuildKit does)."""
    names: set[str] = set()
    for inst in parsed:
        words = inst.arguments.split()
        if inst.keyword == "FROM" and len(words) >= 3 and words[-2].lower() == "as":  # FROM x AS y
            names.add(words[-1].lower())
    return frozenset(names)


def context_sources(
    text: str, named: Collection[str] = (), build_args: Mapping[str, str | None] | None = None
) -> Sources:
    """The context paths `text` (a Dockerfile) reads, or why they cannot be known.

    `named` are the additional build contexts the service defines, `build_args`
    the `--build-arg`s it is built with (compose `build.args`, the config's
    `args`; None: a value the build machine decides): variables in sources
    resolve from them, the ARG defaults and ENV values in scope
    (tiered_ci.images.variables); a stretch that stays unknown widens only the
    path segment it stands in.
    """
    lines = text.splitlines()
    parsed = instructions(text)
    origins = _Origins(stage_names(parsed), frozenset(named))
    scope = Scope(build_args or {}, escape=_escape_char(lines))
    found: list[Source] = []
    for inst in parsed:
        if inst.keyword == "FROM":
            scope.start_stage(inst.arguments)
            continue
        if inst.keyword == "ARG":
            scope.declare_args(inst.arguments)
            continue
        if inst.keyword == "ENV":
            scope.set_env(inst.arguments)
            continue
        if inst.keyword in ("COPY", "ADD"):
            sources, why = _copy_sources(inst, origins, scope)
        elif inst.keyword == "RUN":
            sources, why = _mount_sources(inst, origins, scope)
        else:
            continue
        if why is not None:
            return Sources((), f"line {inst.line}: {inst.keyword} {why}")
        found.extend(sources)
    return Sources(tuple(found))


@dataclass(frozen=True, slots=True)
class _Origins:
    stages: frozenset[str]
    named: frozenset[str]

    def context(self, origin: str, scope: Scope) -> tuple[bool, str | None]:
        """(reads a context, which one) for a `--from` / `from=` value."""
        if "$" in origin:
            resolved = known(scope.expand(origin))
            if resolved is None:
                return True, "$"  # decided at build time: the caller gives up
            origin = resolved
        if origin.isdigit() or origin.lower() in self.stages:
            return False, None  # another stage
        if origin in self.named:
            return True, origin
        return False, None  # an image


def _copy_sources(
    inst: Instruction, origins: _Origins, scope: Scope
) -> tuple[list[Source], str | None]:
    words, why = _words(inst.arguments)
    if why is not None:
        return [], why
    flags = [w for w in words if w.startswith("--")]
    paths = [w for w in words if not w.startswith("--")]
    context: str | None = None
    if froms := [f.removeprefix("--from=") for f in flags if f.startswith("--from=")]:
        reads, context = origins.context(froms[-1], scope)
        if context == "$":
            return [], f"has --from={froms[-1]}, which uses a variable"
        if not reads:
            return [], None  # reads another stage or an image, not a context
    if "--from" in flags:
        return [], "has --from without a value"
    if len(paths) < 2:
        return [], "has no source and destination"
    return _path_sources(inst, paths[:-1], context, scope)


def _path_sources(
    inst: Instruction, raws: list[str], context: str | None, scope: Scope
) -> tuple[list[Source], str | None]:
    sources: list[Source] = []
    shown = _shown(inst)
    for raw in raws:
        if _REMOTE.match(raw):
            if inst.keyword == "ADD":
                continue  # fetched from the network: no file of the repository is read
            return [], f"source {raw!r} is a URL, which COPY cannot fetch"
        patterns, why = _context_patterns(raw, scope)
        if why is not None:
            return [], why
        widened = _widened_from(raw, scope)
        sources += [Source("copy", p, inst.line, context, shown, widened) for p in patterns]
    return sources, None


def _widened_from(raw: str, scope: Scope) -> str:
    return raw if "$" in raw and known(scope.expand(raw)) is None else ""


def _shown(inst: Instruction) -> str:
    """The instruction as `--explain` quotes it: one line, whitespace squeezed, bounded."""
    text = " ".join(f"{inst.keyword} {inst.arguments}".split())
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "..."


def _mount_sources(
    inst: Instruction, origins: _Origins, scope: Scope
) -> tuple[list[Source], str | None]:
    """`RUN --mount=type=bind[,source=X]` reads the context (bind is the default type), or the
    named context `from=` names."""
    sources: list[Source] = []
    for word in inst.arguments.split():
        if not word.startswith("--"):
            break  # flags come first; the rest is the command
        if not word.startswith("--mount="):
            continue
        options = dict(_option(item) for item in word.removeprefix("--mount=").split(","))
        if options.get("type", "bind") != "bind":
            continue
        context: str | None = None
        if "from" in options:
            reads, context = origins.context(options["from"], scope)
            if context == "$":
                return [], f"--mount from={options['from']} uses a variable"
            if not reads:
                continue
        raw = options.get("source") or options.get("src") or "."
        patterns, why = _context_patterns(raw, scope)
        if why is not None:
            return [], f"--mount {why}"
        widened = _widened_from(raw, scope)
        sources += [Source("mount", p, inst.line, context, _shown(inst), widened) for p in patterns]
    return sources, None


def _option(item: str) -> tuple[str, str]:
    key, _, value = item.partition("=")
    return key.strip().lower(), value.strip()


def _words(arguments: str) -> tuple[list[str], str | None]:
    """COPY/ADD arguments: flags, then paths in shell form or JSON-array form."""
    words: list[str] = []
    rest = arguments
    while rest.startswith("--"):
        flag, *tail = rest.split(None, 1)
        words.append(flag)
        rest = tail[0] if tail else ""
    if "<<" in rest:
        return [], "uses a heredoc"
    if rest.startswith("["):
        try:
            array = json.loads(rest)
        except json.JSONDecodeError:
            return [], "has a JSON array that does not parse"
        if not isinstance(array, list) or not all(isinstance(a, str) for a in array):
            return [], "has a JSON array of non-strings"
        return [*words, *array], None
    return [*words, *rest.split()], None


def _context_patterns(  # noqa: PLR0911 - one exit per reason a source is unknowable
    raw: str, scope: Scope
) -> tuple[list[str], str | None]:
    """A source as patterns relative to the context root, variables resolved.

    Without a variable: one pattern, cleaned as Docker cleans it. An unknown
    stretch widens only its own path segment: a segment that is all unknown
    becomes `**` (any number of folders, none included: the value may be empty
    or hold a `/`); one that is partly unknown, `pre${X}post`, becomes
    `pre*post` plus `pre*/**/*post` for a value that holds a `/`.
    """
    if "$" not in raw:
        return _context_path(raw)
    word = scope.expand(raw)
    if (text := known(word)) is not None:
        if _REMOTE.match(text):
            return [], f"source {raw!r} is a remote URL once its variables are set"
        return _context_path(text)
    joined = "".join(_UNKNOWN if piece is None else piece for piece in word)
    segments = _clean_segments(joined)
    if segments is None:
        return [], f"source {raw!r} climbs out of a folder a variable names"
    if all(not segment.strip(_UNKNOWN) for segment in segments):
        return [], f"source {raw!r} uses a variable whose value is not known"  # all of it
    partial = [i for i, s in enumerate(segments) if _UNKNOWN in s and s.strip(_UNKNOWN)]
    if len(partial) > _MAX_PARTIAL:
        return [], f"source {raw!r} has too many partly unknown folders"
    variants: list[str] = []
    for mask in range(2 ** len(partial)):
        spanning = {index for bit, index in enumerate(partial) if mask >> bit & 1}
        parts = [_widened(s, spanning=i in spanning) for i, s in enumerate(segments)]
        variants.append("/".join(parts) or ".")
    return list(dict.fromkeys(variants)), None


def _clean_segments(joined: str) -> list[str] | None:
    """The folders of a source with unknown stretches, cleaned as a path; None: a `..`
    climbs out of a folder that is (partly) unknown, where it lands cannot be said."""
    segments: list[str] = []
    for segment in joined.lstrip("/").split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments or _UNKNOWN in segments[-1]:
                return None
            segments.pop()
            continue
        segments.append(segment)
    return segments


def _widened(segment: str, *, spanning: bool) -> str:
    if _UNKNOWN not in segment:
        return segment
    if not segment.strip(_UNKNOWN):
        return "**"
    if spanning:
        first, last = segment.index(_UNKNOWN), segment.rindex(_UNKNOWN)
        return f"{segment[:first]}*/**/*{segment[last + 1 :]}"
    return re.sub(f"{_UNKNOWN}+", "*", segment)


def _context_path(raw: str) -> tuple[list[str], str | None]:
    """A source path cleaned to be relative to the context root, as Docker resolves it."""
    cleaned = posixpath.normpath(raw.lstrip("/") or ".")
    if cleaned == ".." or cleaned.startswith("../"):
        # Docker clamps such paths to the context; refuse to guess what was meant.
        return [], f"source {raw!r} leaves the context"
    return [cleaned], None


# --- .dockerignore --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    exclusion: bool  # False: a `!` re-include
    regex: re.Pattern[str]
    text: str


@dataclass(frozen=True, slots=True)
class IgnoreFile:
    """A parsed `.dockerignore`; paths given to `excludes` are relative to the context root."""

    patterns: tuple[IgnorePattern, ...]

    @staticmethod
    def parse(text: str) -> IgnoreFile:
        patterns: list[IgnorePattern] = []
        for raw in text.removeprefix("\ufeff").splitlines():
            if raw.startswith("#"):
                continue  # a comment only in the first column, as Docker reads it
            line = raw.strip()
            if not line:
                continue
            exclusion = not line.startswith("!")
            if not exclusion:
                line = line[1:].strip()
            cleaned = posixpath.normpath(line).lstrip("/")
            if cleaned in ("", "."):
                continue
            patterns.append(IgnorePattern(exclusion, _go_pattern_regex(cleaned), cleaned))
        return IgnoreFile(tuple(patterns))

    def excludes(self, path: str) -> bool:
        """Docker's rule: the last pattern matching the path or one of its folders decides."""
        parents = _ancestors(path)
        excluded = False
        for pattern in self.patterns:
            if pattern.exclusion == excluded:
                continue  # cannot change the outcome
            if any(pattern.regex.fullmatch(p) for p in parents):
                excluded = pattern.exclusion
        return excluded


def _ancestors(path: str) -> tuple[str, ...]:
    parts = path.split("/")
    return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))


@functools.lru_cache(maxsize=1024)
def _go_pattern_regex(pattern: str) -> re.Pattern[str]:
    """Go `filepath.Match` syntax plus Docker's `**` (any number of folders) -> regex."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            # Docker's reading: `**` eats one `/` after it; at the end it matches anything,
            # elsewhere any number of whole folders (none included): `**.md` is `.md`
            # in any folder, not every Markdown file.
            i += 3 if pattern.startswith("**/", i) else 2
            out.append(".*" if i >= len(pattern) else "(?:.*/)?")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 1
        elif char == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            out.append(f"[^/{body}]" if negate else f"[{body}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def go_pattern_to_glob(pattern: str) -> str:
    """A COPY source pattern in the picomatch-shaped syntax of tiered_ci.globs (same matches).

    Go's syntax has no braces or `!` classes, so those are escaped; `*`, `?`,
    `**` and `[...]` mean the same in both.
    """
    out: list[str] = []
    for index, char in enumerate(pattern):
        if char in "{},":
            out.append("\\" + char)
        elif char == "!" and index > 0 and pattern[index - 1] == "[":
            out.append("\\!")
        else:
            out.append(char)
    return "".join(out)
