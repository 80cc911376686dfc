"""Glob patterns -> compiled matchers.

Two flavours. `compile_glob` serves the config (`[tool.tiered-ci]` path
lists, GitHub `paths:` semantics); `compile_picomatch` (from `tiered_ci.picomatch`)
serves `tiered-ci filter` and reproduces picomatch 2.3.1 with `dot: true`, as
dorny/paths-filter uses it. Both are picomatch-shaped: `*` stays inside one path segment,
`**` as a whole segment spans any number of segments (zero included, so
`src/**` matches `src` itself), dot files are matched like any other, and
matching is case-sensitive against repo-relative POSIX paths.

Patterns compile to one regular expression each, cached, so matching a path
is a single `re.fullmatch`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Matcher = Callable[[str], bool]


@functools.lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile one glob (without a leading `!`) to an anchored regex."""
    pattern = pattern.removeprefix("./")
    return re.compile(_translate(pattern), re.DOTALL)


def matches(pattern: str, path: str) -> bool:
    """True when `path` matches the glob `pattern` (a leading `!` is not special here)."""
    return compile_glob(pattern).fullmatch(path) is not None


def _translate(pattern: str) -> str:
    segments = pattern.split("/")
    out: list[str] = []
    need_sep = False  # whether the next literal segment must be preceded by `/`
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # `a/**` matches `a` and everything below; `**/b` and `a/**/b` skip any depth.
            if last:
                out.append("(?:/.*)?" if out else ".*")
            else:
                out.append("(?:/.*)?/" if out else "(?:.*/)?")
            need_sep = False
            continue
        if need_sep:
            out.append("/")
        out.append(_translate_segment(segment))
        need_sep = True
    return "".join(out)


def _translate_segment(segment: str) -> str:  # noqa: C901 - a small tokenizer reads best as one loop
    out: list[str] = []
    i = 0
    depth = 0  # open `{` groups
    while i < len(segment):
        char = segment[i]
        if char == "\\" and i + 1 < len(segment):
            out.append(re.escape(segment[i + 1]))
            i += 2
            continue
        if char == "*":
            if segment.startswith("**", i):
                out.append(".*")  # `**` inside a segment crosses folders, as in picomatch
                i += 2
                continue
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = _class_end(segment, i)
            if end < 0:
                out.append(re.escape(char))
            else:
                out.append(_translate_class(segment[i + 1 : end]))
                i = end
        elif char == "{" and _brace_end(segment, i) > 0:
            depth += 1
            out.append("(?:")
        elif char == "," and depth:
            out.append("|")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_end(segment: str, start: int) -> int:
    i = start + 1
    if i < len(segment) and segment[i] in "!^":
        i += 1
    if i < len(segment) and segment[i] == "]":
        i += 1
    return segment.find("]", i)


def _translate_class(body: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    body = body.replace("\\", "\\\\").replace("[", "\\[")
    return f"[^/{body}]" if negate else f"[{body}]"


def _brace_end(segment: str, start: int) -> int:
    depth = 0
    for i in range(start, len(segment)):
        if segment[i] == "{":
            depth += 1
        elif segment[i] == "}":
            depth -= 1
            if depth == 0:
                return i if "," in segment[start:i] else -1
    return -1


@dataclass(frozen=True, slots=True)
class PatternList:
    """An ordered list of globs with `!` exclusions: the last pattern that matches decides.

    This is the semantics of GitHub's `on.<event>.paths` filters: `["src/**",
    "!src/vendor/**"]` claims `src/a.py` but not `src/vendor/b.py`.
    """

    patterns: tuple[str, ...]
    # Compiled once: (negated, regex) per pattern, and one alternation of the
    # positive patterns so that the common "claims nothing" answer costs one match.
    _compiled: tuple[tuple[bool, re.Pattern[str]], ...] = field(
        init=False, repr=False, compare=False
    )
    _any: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple(
            (p.startswith("!"), compile_glob(p.removeprefix("!"))) for p in self.patterns
        )
        positives = [regex.pattern for negated, regex in compiled if not negated]
        combined = (
            re.compile("|".join(f"(?:{p})" for p in positives), re.DOTALL) if positives else None
        )
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_any", combined)

    def decide(self, path: str) -> int | None:
        """Index of the positive pattern that claims `path`, or None when unclaimed."""
        if self._any is None or self._any.fullmatch(path) is None:
            return None
        decided: int | None = None
        for index, (negated, regex) in enumerate(self._compiled):
            if regex.fullmatch(path) is not None:
                decided = None if negated else index
        return decided

    def claims(self, path: str) -> bool:
        return self.decide(path) is not None


def pattern_list(patterns: Sequence[str]) -> PatternList:
    return PatternList(tuple(patterns))


__all__ = [
    "Matcher",
    "PatternList",
    "compile_glob",
    "matches",
    "pattern_list",
]
