"""Linear-time full matching for the regular expressions `tiered_ci.globs` builds.

Python's `re` backtracks. A glob such as `**/*a*a*a*a*a*a*a*a*b` becomes a
regex with one lazy star per `*`, and against a long path without the final
`b` the engine tries every way to split the path between the stars: with
twenty stars that does not finish. This module runs the same regex as a
Thompson NFA, one pass over the path with a set of states, so a full match
costs O(len(path) x len(regex)) whatever the pattern.

It reads only the subset of regex syntax the glob translator emits
(literals, `.`, classes, `\\d`-style escapes, groups, `|`, the quantifiers
`*` `+` `?` and their lazy forms, `(?=...)`, `(?!...)` and `\\Z`); `parse`
returns None for anything else and the caller keeps `re` for it. Laziness
changes which match a backtracking engine finds first, never whether a full
match exists, so it is ignored here. A lookahead is answered by a run of its
own NFA from that position, memoised per position, which keeps the whole
match polynomial (lookaheads appear only in the rare `!(...)` extglobs).

`re` stays the default, because it runs in C: `Program.backtracks` tells the
caller when a regex has enough unbounded repeats to be worth this slower,
safe path.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Program", "parse"]

# A regex with this many unbounded repeats (`*`, `+`), or with one repeat inside
# another, can backtrack for a long time; below it `re` is quick on any path.
_BACKTRACK_REPEATS = 3
_CLASS_ESCAPES = frozenset("dDwWsS")
_CONTROL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}


class _Unsupported(Exception):
    """Syntax outside the subset; the caller falls back to `re`."""


class _State:
    """One NFA state. kind: char, split, end (`\\Z`), look, match."""

    __slots__ = ("kind", "look", "negative", "next", "other", "test")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.test: Callable[[str], bool] | None = None
        self.next: _State | None = None
        self.other: _State | None = None  # the second branch of a split
        self.look: _State | None = None  # the start of a lookahead's own NFA
        self.negative = False


@dataclass(slots=True)
class _Frag:
    """A fragment under construction: its start and the states whose `next` is still open."""

    start: _State
    outs: list[_State]


def _patch(outs: list[_State], target: _State) -> None:
    for state in outs:
        if state.kind == "split" and state.other is None and state.next is not None:
            state.other = target
        else:
            state.next = target


def _empty() -> _Frag:
    state = _State("split")  # an epsilon: a split whose two branches are the same state
    return _Frag(state, [state])


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.i = 0
        self.repeats = 0  # unbounded repeats (`*`, `+`) read so far
        self.nested = False

    def peek(self) -> str:
        return self.src[self.i] if self.i < len(self.src) else ""

    def alternation(self) -> _Frag:
        frag = self.sequence()
        while self.peek() == "|":
            self.i += 1
            right = self.sequence()
            split = _State("split")
            split.next, split.other = frag.start, right.start
            frag = _Frag(split, frag.outs + right.outs)
        return frag

    def sequence(self) -> _Frag:
        frag: _Frag | None = None
        while self.peek() not in ("", "|", ")"):
            piece = self.repeat()
            if frag is None:
                frag = piece
            else:
                _patch(frag.outs, piece.start)
                frag = _Frag(frag.start, piece.outs)
        return frag if frag is not None else _empty()

    def repeat(self) -> _Frag:
        start = self.i
        repeats_before = self.repeats
        atom = self.atom()
        char = self.peek()
        if char not in ("*", "+", "?"):
            return atom
        self.i += 1
        if self.peek() == "?":
            self.i += 1  # lazy: same language
        if self.peek() in ("*", "+", "?", "{"):
            raise _Unsupported(self.src[start : self.i + 1])  # possessive or stacked repeats
        split = _State("split")
        split.next = atom.start
        if char == "?":
            return _Frag(split, [*atom.outs, split])
        # `(a*)*`: a repeat around a repeat is what makes `re` take exponential time
        self.nested |= self.repeats > repeats_before
        self.repeats += 1
        _patch(atom.outs, split)
        return _Frag(split if char == "*" else atom.start, [split])

    def atom(self) -> _Frag:  # noqa: PLR0911 - one case per regex construct
        char = self.peek()
        if not char or char in "*+?{}^$":
            raise _Unsupported(char or "end")
        if char == "(":
            return self.group()
        if char == "[":
            return self.char_class()
        self.i += 1
        if char == ".":
            return _char(_any_char)
        if char != "\\":
            return _char(char.__eq__)
        escaped = self.peek()
        self.i += 1
        if escaped == "Z":
            state = _State("end")
            return _Frag(state, [state])
        if escaped in _CLASS_ESCAPES:
            return _char(_class_test("\\" + escaped))
        if escaped in _CONTROL_ESCAPES:
            return _char(_CONTROL_ESCAPES[escaped].__eq__)
        if not escaped or escaped.isalnum():
            raise _Unsupported("\\" + escaped)  # \b, \A, back references, \x..: not emitted
        return _char(escaped.__eq__)

    def group(self) -> _Frag:
        self.i += 1
        look: bool | None = None  # None: a plain group; True/False: a negative/positive lookahead
        if self.src.startswith("?:", self.i):
            self.i += 2
        elif self.src.startswith(("?=", "?!"), self.i):
            look = self.src[self.i + 1] == "!"
            self.i += 2
        elif self.peek() == "?":
            raise _Unsupported("(?" + self.src[self.i + 1 : self.i + 2])
        inner = self.alternation()
        if self.peek() != ")":
            raise _Unsupported("unbalanced (")
        self.i += 1
        if look is None:
            return inner
        _patch(inner.outs, _State("match"))
        state = _State("look")
        state.look, state.negative = inner.start, look
        return _Frag(state, [state])

    def char_class(self) -> _Frag:
        end = self.i + 1
        if self.src[end : end + 1] == "^":
            end += 1
        if self.src[end : end + 1] == "]":
            end += 1  # a `]` first in a class is a literal
        while end < len(self.src) and self.src[end] != "]":
            end += 2 if self.src[end] == "\\" else 1
        if end >= len(self.src):
            raise _Unsupported("unterminated [")
        text = self.src[self.i : end + 1]
        self.i = end + 1
        return _char(_class_test(text))


def _any_char(_: str) -> bool:
    return True


def _char(test: Callable[[str], bool]) -> _Frag:
    state = _State("char")
    state.test = test
    return _Frag(state, [state])


def _class_test(text: str) -> Callable[[str], bool]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # `[[`-style sets are literal here
        try:
            compiled = re.compile(text, re.DOTALL)
        except re.error as error:
            raise _Unsupported(text) from error
    fullmatch = compiled.fullmatch
    return lambda char: fullmatch(char) is not None


@dataclass(frozen=True, slots=True)
class Program:
    """A regex compiled to an NFA: `fullmatch(text)` answers as `re.fullmatch` would."""

    start: _State
    backtracks: bool  # whether `re` could take super-linear time on this regex

    def fullmatch(self, text: str) -> bool:
        looks: dict[tuple[int, int], bool] = {}
        current = _closure([self.start], text, 0, looks)
        for position, char in enumerate(text):
            following = [
                state.next
                for state in current
                if state.kind == "char" and state.next is not None and _test(state, char)
            ]
            if not following:
                return False
            current = _closure(following, text, position + 1, looks)
        return any(state.kind == "match" for state in current)


def _test(state: _State, char: str) -> bool:
    return state.test is not None and state.test(char)


def _closure(
    states: list[_State], text: str, position: int, looks: dict[tuple[int, int], bool]
) -> list[_State]:
    """The states reachable without reading a character, deduplicated, in a stable order."""
    seen: set[int] = set()
    out: list[_State] = []
    stack = list(reversed(states))
    while stack:
        state = stack.pop()
        if id(state) in seen:
            continue
        seen.add(id(state))
        if state.kind == "split":
            stack.extend(s for s in (state.other, state.next) if s is not None)
        elif state.kind == "end":
            if position == len(text) and state.next is not None:
                stack.append(state.next)
        elif state.kind == "look":
            if _look(state, text, position, looks) and state.next is not None:
                stack.append(state.next)
        else:
            out.append(state)
    return out


def _look(state: _State, text: str, position: int, looks: dict[tuple[int, int], bool]) -> bool:
    key = (id(state), position)
    if key not in looks:
        assert state.look is not None  # noqa: S101 - set with kind "look"
        looks[key] = _prefix_matches(state.look, text, position, looks) is not state.negative
    return looks[key]


def _prefix_matches(
    start: _State, text: str, position: int, looks: dict[tuple[int, int], bool]
) -> bool:
    """Whether the NFA from `start` matches some prefix of `text[position:]`."""
    current = _closure([start], text, position, looks)
    for index in range(position, len(text)):
        if any(state.kind == "match" for state in current):
            return True
        char = text[index]
        following = [
            state.next
            for state in current
            if state.kind == "char" and state.next is not None and _test(state, char)
        ]
        if not following:
            return False
        current = _closure(following, text, index + 1, looks)
    return any(state.kind == "match" for state in current)


def parse(source: str) -> Program | None:
    """The NFA of `source` (read with re.DOTALL), or None when it uses syntax outside the subset."""
    parser = _Parser(source)
    try:
        frag = parser.alternation()
        if parser.i != len(source):
            return None  # a stray `)`
    except _Unsupported:
        return None
    _patch(frag.outs, _State("match"))
    backtracks = parser.nested or parser.repeats >= _BACKTRACK_REPEATS
    return Program(frag.start, backtracks)
