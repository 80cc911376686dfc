"""Dockerfile variables: what `$VAR` in a COPY / ADD source stands for. Pure.

Docker expands `$VAR`, `${VAR}`, `${VAR:-word}` (VAR when set and not
empty, else word) and `${VAR:+word}` (word when VAR is set and not empty,
else nothing) in COPY / ADD sources, from the stage's environment: `ENV`
values (inherited from the stage it is built `FROM`), then its `ARG`s. An
`ARG` takes the `--build-arg` of the same name, else its own default, else
(declared without one) the value of the global `ARG` of that name declared
before the first `FROM`. Global ARGs are visible inside a stage only when the
stage declares them again. Single quotes keep `$` literal, double quotes
do not; the escape character before `$` makes it literal.

A value is a `Word`: literal text and `None` stretches that cannot be known
(a variable nobody declares may come from the base image's environment, an
`ARG` without default or build arg may be set by whoever builds, a platform
ARG such as `TARGETARCH` depends on the machine, any other operator). The
caller widens only the stretch that is unknown.

One assumption, stated in docs/docker.md: an `ARG` with a default is not
shadowed by an `ENV` of the same name that the base image (not this
Dockerfile) sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Scope", "Word", "expand", "known", "split_words"]

Piece = str | None  # None: text that cannot be known
Word = tuple[Piece, ...]
Lookup = Callable[[str], "Word | None"]  # None: the variable's value is unknown

_NAME = re.compile(r"[A-Za-z0-9_]+")
_UNKNOWN: Word = (None,)


def known(word: Word) -> str | None:
    """The text of `word` when every piece of it is known."""
    if any(piece is None for piece in word):
        return None
    return "".join(piece for piece in word if piece is not None)


def expand(text: str, lookup: Lookup, escape: str = "\\") -> Word:
    """`text` with its variables replaced and quotes removed, as Docker's shell lexer does."""
    word, _ = _Lexer(text, lookup, escape).run(0, stop=None)
    return word


class _Lexer:
    def __init__(self, text: str, lookup: Lookup, escape: str) -> None:
        self.text = text
        self.lookup = lookup
        self.escape = escape

    def run(self, start: int, *, stop: str | None) -> tuple[Word, int]:
        """Expand from `start` up to `stop` (an unquoted `}`) or the end."""
        text, out = self.text, _Builder()
        i = start
        while i < len(text):
            char = text[i]
            if stop is not None and char == stop:
                return out.word(), i
            if char == self.escape and i + 1 < len(text):
                out.text(text[i + 1] if text[i + 1] == "$" else text[i : i + 2])
                i += 2
            elif char == "'":
                end = text.find("'", i + 1)
                end = len(text) if end < 0 else end
                out.text(text[i + 1 : end])
                i = end + 1
            elif char == '"':
                i = self.double_quoted(i + 1, out)
            elif char == "$":
                i = self.dollar(i, out)
            else:
                out.text(char)
                i += 1
        return out.word(), i

    def double_quoted(self, start: int, out: _Builder) -> int:
        text = self.text
        i = start
        while i < len(text) and text[i] != '"':
            if text[i] == self.escape and text[i + 1 : i + 2] in ('"', "$", self.escape):
                out.text(text[i + 1])
                i += 2
            elif text[i] == "$":
                i = self.dollar(i, out)
            else:
                out.text(text[i])
                i += 1
        return i + 1

    def dollar(self, start: int, out: _Builder) -> int:
        text = self.text
        nxt = text[start + 1 : start + 2]
        if nxt == "{":
            return self.braced(start + 2, out)
        match = _NAME.match(text, start + 1)
        if match is None:
            out.text("$")  # not a variable: a literal dollar
            return start + 1
        out.extend(self.value(match.group()))
        return match.end()

    def braced(self, start: int, out: _Builder) -> int:
        text = self.text
        match = _NAME.match(text, start)
        if match is None:  # `${` not followed by a name: Docker rejects it; assume nothing
            out.extend(_UNKNOWN)
            return self._skip(start)
        name, i = match.group(), match.end()
        if text[i : i + 1] == "}":
            out.extend(self.value(name))
            return i + 1
        operator = text[i : i + 2]
        if operator not in (":-", ":+"):
            out.extend(_UNKNOWN)  # another operator (`#`, `%`, `/`, `?`...): not worked out
            return self._skip(i)
        word, end = self.run(i + 2, stop="}")
        out.extend(_operate(operator, self.value(name), word))
        return end + 1

    def value(self, name: str) -> Word:
        found = self.lookup(name)
        return _UNKNOWN if found is None else found

    def _skip(self, start: int) -> int:
        """The index after the `}` that closes the group open before `start`."""
        depth, i = 1, start
        while i < len(self.text):
            if self.text.startswith("${", i):
                depth += 1
                i += 1
            elif self.text[i] == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i


def _operate(operator: str, value: Word, word: Word) -> Word:
    """`${VAR:-word}` and `${VAR:+word}`: both treat an empty VAR as unset."""
    set_and_not_empty: bool | None
    if any(piece for piece in value):
        set_and_not_empty = True  # some known text: not empty whatever the rest is
    elif known(value) == "":
        set_and_not_empty = False
    else:
        set_and_not_empty = None  # only unknown stretches: may be empty
    if set_and_not_empty is None:
        return _UNKNOWN
    if operator == ":-":
        return value if set_and_not_empty else word
    return word if set_and_not_empty else ("",)


@dataclass
class _Builder:
    pieces: list[Piece] = field(default_factory=list)

    def text(self, text: str) -> None:
        if self.pieces and isinstance(self.pieces[-1], str):
            self.pieces[-1] += text
        else:
            self.pieces.append(text)

    def extend(self, word: Word) -> None:
        for piece in word:
            if piece is None:
                if not self.pieces or self.pieces[-1] is not None:
                    self.pieces.append(None)
            else:
                self.text(piece)

    def word(self) -> Word:
        return tuple(self.pieces) if self.pieces else ("",)


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split on whitespace outside quotes (ARG / ENV `a=b c="d e"`), quotes kept."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == escape and quote != "'" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char.isspace():
            if current:
                words.append("".join(current))
                current = []
            i += 1
            continue
        current.append(char)
        i += 1
    if current:
        words.append("".join(current))
    return words


@dataclass
class Scope:
    """The variables in scope at one point of a Dockerfile, instruction by instruction.

    `build_args` are the `--build-arg`s the build is given (compose `build.args`,
    the config's `args`).
    """

    build_args: Mapping[str, str | None]  # None: given, with a value nobody knows yet
    escape: str = "\\"
    global_args: dict[str, Word | None] = field(default_factory=dict)
    stage_envs: dict[str, dict[str, Word | None]] = field(default_factory=dict)
    env: dict[str, Word | None] | None = None  # None: before the first FROM
    args: dict[str, Word | None] = field(default_factory=dict)
    stages: int = 0

    def lookup(self, name: str) -> Word | None:
        if self.env is None:
            return self.global_args.get(name)
        if name in self.env:
            return self.env[name]  # ENV wins over an ARG of the same name
        return self.args.get(name)

    def expand(self, text: str) -> Word:
        return expand(text, self.lookup, self.escape)

    def start_stage(self, arguments: str) -> None:
        """`FROM [--platform=...] base [AS name]`: a stage built from another keeps its ENV."""
        words = [w for w in arguments.split() if not w.startswith("--")]
        base = known(expand(words[0], self.global_args.get, self.escape)) if words else None
        inherited = self.stage_envs.get(base.lower()) if base is not None else None
        self.env = dict(inherited) if inherited is not None else {}
        self.args = {}
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        self.stage_envs[str(self.stages)] = self.env
        if name is not None:
            self.stage_envs[name] = self.env
        self.stages += 1

    def declare_args(self, arguments: str) -> None:
        """`ARG NAME[=default] ...`."""
        for item in split_words(arguments, self.escape):
            name, sep, default = item.partition("=")
            value: Word | None
            if name in self.build_args:
                given = self.build_args[name]
                value = None if given is None else (given,)
            elif sep:
                value = self.expand(default)
            elif self.env is not None and name in self.global_args:
                value = self.global_args[name]
            else:
                value = None  # no default and no build arg: whoever builds may set it
            if self.env is None:
                self.global_args[name] = value
            else:
                self.args[name] = value

    def set_env(self, arguments: str) -> None:
        """`ENV NAME=value ...`, or the old `ENV NAME value with spaces`."""
        if self.env is None:
            return  # not valid before FROM
        words = split_words(arguments, self.escape)
        if words and "=" not in words[0]:
            name, _, rest = arguments.strip().partition(" ")
            self.env[name] = self.expand(rest.strip())
            return
        updates = {}
        for item in words:
            name, _, value = item.partition("=")
            updates[name] = self.expand(value)  # one ENV line expands against the old values
        self.env.update(updates)
