"""The glob engine: one translator from globs to regexes, in two dialects.

* `compile_picomatch` (the `dorny` dialect) serves `tiered-ci filter`, which
  must decide exactly what dorny/paths-filter decides: dorny compiles every
  pattern with picomatch 2.3.1 and `{dot: true}`. The translator reproduces
  picomatch's decisions token by token (which `**` is a globstar, when a
  brace group is literal, what an extglob closes with), verified against
  picomatch itself (tests/unit/filter/test_picomatch.py).
* `compile_glob` (the config dialect) serves `[tool.tiered-ci]` path lists,
  read with GitHub `paths:` semantics through `PatternList`. It is the same
  translator with picomatch's regex-flavoured extras switched off: `*`, `?`,
  `**`, `{a,b}`, `[ab]`, `[!a]` (a negated class, as in gitignore) and `\\`
  escapes work; `( ) | + @ ! "` and `{1..3}` are plain text, POSIX classes
  (`[[:digit:]]`) are not read; a `[z-a]` that no regex can express raises
  `GlobError` instead of never matching.

Both are picomatch-shaped: `*` stays inside one path segment, `**` as a whole
segment spans any number of segments (zero included, so `src/**` matches
`src` itself and `**/**` matches any path), dot files are matched like any
other, and matching is case-sensitive against repo-relative POSIX paths.

Deliberate simplifications, all about paths git never produces: no `.` or
`..` segments, no empty segments, no leading or trailing `/`. picomatch's
guards against those (and its optional trailing slash) are left out, which
keeps each regex short and fast. Regexes use DOTALL: a path holding a line
break still matches `**` (picomatch's `.` would refuse it).

A glob compiles once (cached) to a regex run by `re`. A glob with many stars
(`**/*a*a*a*a*b`) would make `re` backtrack for minutes on a long path, so
such a regex runs on `tiered_ci._linear_re`'s NFA instead, in linear time.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

__all__ = [
    "Glob",
    "GlobError",
    "PatternList",
    "compile_glob",
    "compile_picomatch",
    "matches",
    "picomatch_matches",
]

_PM_STAR = "[^/]*?"
_PM_QMARK = "[^/]"
_PM_GLOBSTAR = ".*?"
_PM_ONE_CHAR = "(?=.)"
_JS_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# picomatch copies runs of these characters as plain text.
_PM_PLAIN_RUN = re.compile(r"[^@!\[\].,$*+?^{}()|\\/]+")
# A class body containing one of these is used only as a class, never also literally.
_PM_CLASS_SPECIAL = re.compile(r"[-*+?.^${}(|)\[\]]")
_PM_POSIX = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "ascii": "\\x00-\\x7F",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "\\x21-\\x7E",
    "lower": "a-z",
    "print": "\\x20-\\x7E ",
    "punct": "\\-!\"#$%&'()\\*+,./:;<=>?@[\\]^_`{|}~",
    "space": " \\t\\r\\n\\v\\f",
    "upper": "A-Z",
    "word": "A-Za-z0-9_",
    "xdigit": "A-Fa-f0-9",
}
# Extglob kind -> (regex opening, regex closing).
_PM_EXTGLOBS = {
    "negate": ("(?:(?!(?:", f")){_PM_STAR})"),
    "qmark": ("(?:", ")?"),
    "plus": ("(?:", ")+"),
    "star": ("(?:", ")*"),
}
_PM_EXTGLOB_CHAR = {"!": "negate", "?": "qmark", "+": "plus", "*": "star"}
_PM_WHOLE_REPLACEMENTS = {"***": "*", "**/**": "**", "**/**/**": "**"}
# Glob characters that only the dorny dialect reads as syntax; the config's are plain text.
_DORNY_ONLY = frozenset('"()|+@!')
# Regex escapes that mean the same in JavaScript and Python; any other `\<letter>`
# is an identity escape in JavaScript (non-unicode mode) and becomes the letter.
_JS_SAME_ESCAPES = frozenset("dDwWsSbBfnrtv")


# The parser's records are plain slotted classes, not dataclasses: config globs compile
# on every `tiered-ci plan`, and building dataclasses costs several ms of import time.
class _Tok:
    __slots__ = ("extglob", "kind", "out", "posix", "prev", "star_run", "value")

    def __init__(self, kind: str, value: str, out: str, *, extglob: bool = False) -> None:
        self.kind = kind  # bos text slash dot dots star globstar qmark bracket brace comma ...
        self.value = value  # the glob text behind the token
        self.out = out  # its regex
        self.prev: _Tok | None = None
        self.star_run = False  # a star that already swallowed further stars
        self.posix = False  # a bracket expression holding a POSIX class
        self.extglob = extglob


class _Brace:
    __slots__ = ("comma", "dots")

    def __init__(self) -> None:
        self.comma = False
        self.dots = False


class _Extglob:
    __slots__ = ("before", "close", "inner", "kind", "parens")

    def __init__(self, kind: str, close: str, parens: int, before: _Tok) -> None:
        self.kind = kind
        self.close = close
        self.parens = parens
        self.before = before
        self.inner = ""


class GlobError(ValueError):
    """A config glob no regex can express (e.g. the reversed range `[z-a]`)."""


class _PicomatchParser:
    """One pass over a glob, building the regex the way picomatch's parser decides it.

    `dorny=False` is the config dialect: the extras picomatch borrows from
    regexes and bash (extglobs, bare `( | ) +`, quotes, ranges) are plain text
    there, and `[!a]` negates the class.
    """

    def __init__(self, glob: str, *, dorny: bool = True) -> None:
        self.src = glob
        self.dorny = dorny
        self.i = -1
        self.start = 0
        self.bos = _Tok("bos", "", "")
        self.tokens: list[_Tok] = [self.bos]
        self.prev = self.bos
        self.parens = 0
        self.brackets = 0
        self.braces: list[_Brace] = []
        self.stack: list[str] = []
        self.extglobs: list[_Extglob] = []
        self.quoted = False
        self.negated = False
        self.invalid = False  # picomatch would build a regex JavaScript rejects

    # -- cursor ---------------------------------------------------------------

    def eos(self) -> bool:
        return self.i >= len(self.src) - 1

    def peek(self, n: int = 1) -> str:
        j = self.i + n
        return self.src[j] if j < len(self.src) else ""

    def advance(self) -> str:
        self.i += 1
        return self.src[self.i] if self.i < len(self.src) else ""

    def remaining(self) -> str:
        return self.src[self.i + 1 :]

    # -- tokens ---------------------------------------------------------------

    def push(self, tok: _Tok) -> None:
        prev = self.prev
        if prev.kind == "globstar":
            in_brace = bool(self.braces) and tok.kind in ("comma", "brace")
            in_ext = tok.extglob or (bool(self.extglobs) and tok.kind in ("pipe", "paren"))
            if tok.kind not in ("slash", "paren") and not in_brace and not in_ext:
                # `**` followed by anything but `/` (or a group boundary) is a plain `*`.
                prev.kind, prev.value, prev.out = "star", "*", _PM_STAR
        if self.extglobs and tok.kind != "paren":
            self.extglobs[-1].inner += tok.value
        if prev.kind == "text" and tok.kind == "text":
            prev.value += tok.value
            prev.out += tok.out
            return
        tok.prev = prev
        self.tokens.append(tok)
        self.prev = tok

    def text(self, value: str, out: str | None = None) -> None:
        self.push(_Tok("text", value, re.escape(value) if out is None else out))

    # -- the pass -------------------------------------------------------------

    def parse(self) -> str:
        while not self.eos():
            char = self.advance()
            if char == "\0":
                continue
            if char == "\\":
                escaped = self.backslash()
                if escaped is None:
                    continue
                char = escaped
            if self.brackets > 0 and (char != "]" or self.prev.value in ("[", "[^")):
                self.class_char(char)
            elif self.quoted and char != '"':
                self.text(char)
            else:
                self.dispatch(char)
        return self.finish()

    def backslash(self) -> str | None:
        """Handle `\\x`; returns the escape when it belongs inside a bracket expression."""
        nxt = self.peek()
        if nxt in ("/", ".", ";"):
            return None  # picomatch drops these backslashes and reads the next char normally
        if not nxt:
            self.text("\\")
            return None
        self.advance()
        if self.brackets > 0:
            return "\\" + nxt
        self.text("\\" + nxt, _js_escape(nxt) if self.dorny else re.escape(nxt))
        return None

    def dispatch(self, char: str) -> None:  # noqa: C901, PLR0912 - one branch per glob character, as in picomatch
        if not self.dorny and char in _DORNY_ONLY:
            self.text(char)
        elif char == '"':
            self.quoted = not self.quoted
        elif char == "(":
            self.open_paren()
        elif char == ")":
            self.close_paren()
        elif char == "[":
            self.open_bracket()
        elif char == "]":
            self.close_bracket()
        elif char == "{":
            self.braces.append(_Brace())
            self.stack.append("braces")
            self.push(_Tok("brace", "{", "("))
        elif char == "}":
            self.close_brace()
        elif char == "|":
            self.text("|", "|")  # picomatch passes `|` through as regex alternation
        elif char == ",":
            if self.braces and self.stack and self.stack[-1] == "braces":
                self.braces[-1].comma = True
                self.push(_Tok("comma", ",", "|"))
            else:
                self.push(_Tok("comma", ",", ","))
        elif char == "/":
            self.slash()
        elif char == ".":
            self.dot()
        elif char == "?":
            self.qmark()
        elif char == "*":
            self.star()
        elif char == "!" and self.bang():
            return
        elif char == "+":
            self.plus()
        elif char == "@":
            if self.peek() == "(" and self.peek(2) != "?":
                self.push(_Tok("at", "@", "", extglob=True))
            else:
                self.text("@")
        else:
            self.plain(char)

    def plain(self, char: str) -> None:
        match = _PM_PLAIN_RUN.match(self.src, self.i + 1)
        if match:
            char += match.group()
            self.i = match.end() - 1
        self.text(char)

    def slash(self) -> None:
        if self.prev.kind == "dot" and self.i == self.start + 1:
            # a leading `./` is dropped
            self.start = self.i + 1
            self.tokens.pop()
            self.prev = self.bos
            return
        self.push(_Tok("slash", "/", "/"))

    def dot(self) -> None:
        prev = self.prev
        if self.dorny and self.braces and prev.kind == "dot":
            prev.kind = "dots"
            prev.value += "."
            self.braces[-1].dots = True
            return
        kind = (
            "text"
            if not self.braces and self.parens == 0 and prev.kind not in ("bos", "slash")
            else "dot"
        )
        self.push(_Tok(kind, ".", "\\."))

    def qmark(self) -> None:
        prev = self.prev
        if not self.dorny:
            self.push(_Tok("qmark", "?", _PM_QMARK))
            return
        if prev.value != "(" and self.peek() == "(" and self.peek(2) != "?":
            self.open_extglob("?")
            return
        if prev.kind == "paren":
            nxt = self.peek()
            literal = (prev.value == "(" and nxt not in ("!", "=", "<", ":")) or (
                nxt == "<" and not re.match(r"<([!=]|\w+>)", self.remaining())
            )
            self.text("?", "\\?" if literal else "?")
            return
        self.push(_Tok("qmark", "?", _PM_QMARK))

    def bang(self) -> bool:
        """`!(` opens an extglob; a leading `!` negates. False: a literal `!`."""
        if self.peek() == "(" and (self.peek(2) != "?" or self.peek(3) not in ("!", "=", "<", ":")):
            self.open_extglob("!")
            return True
        if self.i == 0:
            count = 1
            while self.peek() == "!" and (self.peek(2) != "(" or self.peek(3) == "?"):
                self.advance()
                self.start += 1
                count += 1
            if count % 2:
                self.negated = True
                self.start += 1
            return True
        return False

    def plus(self) -> None:
        prev = self.prev
        if self.peek() == "(" and self.peek(2) != "?":
            self.open_extglob("+")
        elif prev.value == "(":
            self.push(_Tok("plus", "+", "\\+"))
        elif prev.kind in ("bracket", "paren", "brace") or self.parens > 0:
            # picomatch leaves a regex quantifier here; JavaScript rejects one right after
            # another quantifier (Python would read `)++` as possessive), so mark it invalid.
            if _ends_with_quantifier(prev.out):
                self.invalid = True
            self.push(_Tok("plus", "+", "+"))
        else:
            self.push(_Tok("plus", "\\+", "\\+"))

    # -- groups ---------------------------------------------------------------

    def open_paren(self) -> None:
        self.parens += 1
        self.stack.append("parens")
        self.push(_Tok("paren", "(", "("))

    def close_paren(self) -> None:
        if self.extglobs and self.parens == self.extglobs[-1].parens + 1:
            self.close_extglob(self.extglobs.pop())
            return
        self.push(_Tok("paren", ")", ")" if self.parens else "\\)"))
        self.parens -= 1
        if self.stack:
            self.stack.pop()

    def open_extglob(self, char: str) -> None:
        kind = _PM_EXTGLOB_CHAR[char]
        opening, closing = _PM_EXTGLOBS[kind]
        ext = _Extglob(kind, closing, self.parens, self.prev)
        self.parens += 1
        self.stack.append("parens")
        self.push(_Tok(kind, char, ""))
        self.advance()
        self.push(_Tok("paren", "(", opening, extglob=True))
        self.extglobs.append(ext)

    def close_extglob(self, ext: _Extglob) -> None:
        out = ext.close
        if ext.kind == "negate":
            ext_star = _PM_STAR
            if len(ext.inner) > 1 and "/" in ext.inner:
                ext_star = _PM_GLOBSTAR
            rest = self.remaining()
            if ext_star != _PM_STAR or self.eos() or re.fullmatch(r"\)+", rest):
                out = f")\\Z)){ext_star}"
            if "*" in ext.inner and rest and re.fullmatch(r"\.[^\\/.]+", rest):
                # `!(*.d).ts`: the text after the group joins the negative lookahead
                expression = _PicomatchParser(rest).parse()
                out = f"){expression}){ext_star})"
        self.push(_Tok("paren", ")", out, extglob=True))
        self.parens -= 1
        if self.stack:
            self.stack.pop()

    def close_brace(self) -> None:
        if not self.braces:
            self.text("}")
            return
        brace = self.braces[-1]
        out = ")"
        if brace.dots:
            out = self.brace_range()
        if not brace.comma and not brace.dots:
            opening = next(t for t in reversed(self.tokens) if t.kind == "brace" and t.out == "(")
            opening.value = opening.out = "\\{"
            out = "\\}"
        self.push(_Tok("brace", "}", out))
        self.braces.pop()
        if self.stack:
            self.stack.pop()

    def brace_range(self) -> str:
        """`{1..3}` -> a character class over the sorted ends, as picomatch 2.3.1 builds it."""
        ends: list[str] = []
        while len(self.tokens) > 1:
            tok = self.tokens.pop()
            if tok.kind == "brace":
                break
            if tok.kind != "dots":
                ends.insert(0, tok.value)
        ends.sort(key=_utf16_key)
        candidate = f"[{'-'.join(ends)}]"
        try:
            re.compile(candidate)
        except re.error:
            return "\\.\\.".join(re.escape(end) for end in ends)
        return candidate

    # -- bracket expressions --------------------------------------------------

    def open_bracket(self) -> None:
        if "]" not in self.remaining():
            self.push(_Tok("bracket", "\\[", "\\["))
            return
        self.brackets += 1
        self.stack.append("brackets")
        self.push(_Tok("bracket", "[", "["))

    def class_char(self, char: str) -> None:
        prev = self.prev
        if char == ":" and self.dorny:
            inner = prev.value[1:]
            if "[" in inner:
                prev.posix = True
                if ":" in inner:
                    cut = prev.value.rindex("[")
                    source = _PM_POSIX.get(prev.value[cut + 2 :])
                    if source is not None:
                        prev.value = prev.value[:cut] + source
                        self.advance()  # the `]` closing `[:name:]`
                        return
        if char == "!" and prev.value == "[" and not self.dorny:
            char = "^"  # `[!a]`: a negated class, as in gitignore and fnmatch
        if (char == "[" and self.peek() != ":") or (char == "-" and self.peek() == "]"):
            char = "\\" + char
        if char == "]" and prev.value in ("[", "[^"):
            char = "\\]"
        prev.value += char

    def close_bracket(self) -> None:
        prev = self.prev
        if prev.kind == "bracket" and len(prev.value) == 1:
            self.text("]")
            return
        if self.brackets == 0:
            self.text("]")
            return
        self.brackets -= 1
        if self.stack:
            self.stack.pop()
        body = prev.value[1:]
        closing = "/]" if not prev.posix and body.startswith("^") and "/" not in body else "]"
        prev.value += closing
        if _PM_CLASS_SPECIAL.search(body) or not self.dorny:
            prev.out = prev.value
        else:
            # picomatch lets `[abc]` match either one of a, b, c or the literal text `[abc]`
            prev.out = f"(?:{_js_escape_text(prev.value)}|{prev.value})"

    # -- stars ----------------------------------------------------------------

    def star(self) -> None:  # noqa: C901 - picomatch's globstar rules, one case each
        prev = self.prev
        if prev.kind == "globstar" or prev.star_run:
            prev.kind, prev.star_run, prev.out = "star", True, _PM_STAR
            prev.value += "*"
            return
        rest = self.remaining()
        if self.dorny and re.match(r"\([^?]", rest):
            self.open_extglob("*")
            return
        if prev.kind != "star":
            start = self.i == self.start or prev.kind in ("slash", "dot")
            out = _PM_STAR
            if start and self.peek() != "*":
                out = _PM_ONE_CHAR + out
            self.push(_Tok("star", "*", out))
            return
        prior = prev.prev if prev.prev is not None else self.bos
        before = prior.prev
        at_start = prior.kind in ("slash", "bos")
        after_star = before is not None and before.kind in ("star", "globstar")
        in_brace = bool(self.braces) and prior.kind in ("comma", "brace")
        in_ext = bool(self.extglobs) and prior.kind in ("pipe", "paren")
        if not at_start and prior.kind != "paren" and not in_brace and not in_ext:
            self.push(_Tok("star", "*", ""))  # `a**` is `a*`
            return
        while rest[:3] == "/**":
            after = self.src[self.i + 4] if self.i + 4 < len(self.src) else ""
            if after and after != "/":
                break
            rest = rest[3:]
            self.i += 3
        prev.value += "*"
        first_slash = prior.kind == "slash" and prior.prev is not None and prior.prev.kind != "bos"
        if prior.kind == "bos" and self.eos():
            prev.kind, prev.out = "globstar", _PM_GLOBSTAR
        elif first_slash and not after_star and self.eos():
            # `a/**` matches `a` itself and everything below it
            prior.out = "(?:/"
            prev.kind, prev.out = "globstar", f"{_PM_GLOBSTAR}|\\Z)"
        elif first_slash and rest[:1] == "/":
            end = "|\\Z" if len(rest) > 1 else ""
            prior.out = "(?:/"
            prev.kind, prev.out = "globstar", f"{_PM_GLOBSTAR}/|/{end})"
            self.i += 1
            self.push(_Tok("slash", "/", ""))
        elif prior.kind == "bos" and rest[:1] == "/":
            prev.kind, prev.out = "globstar", f"(?:/|{_PM_GLOBSTAR}/)?"
            self.i += 1
            self.push(_Tok("slash", "/", ""))
        else:
            prev.kind, prev.out = "globstar", _PM_GLOBSTAR

    # -- end ------------------------------------------------------------------

    def finish(self) -> str:
        out = "".join(tok.out for tok in self.tokens)
        for _ in range(self.brackets):
            out = _escape_last(out, "[")
        for _ in range(max(self.parens, 0)):
            out = _escape_last(out, "(")
        for _ in range(len(self.braces)):
            out = _escape_last(out, "{")
        return out


def _ends_with_quantifier(regex: str) -> bool:
    if not regex or regex[-1] not in "*+?":
        return False
    backslashes = len(regex) - 1 - len(regex[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _utf16_key(text: str) -> list[int]:
    """JavaScript's default sort order: by UTF-16 code units."""
    return list(text.encode("utf-16-be"))


def _js_escape(char: str) -> str:
    """A `\\<char>` escape, read the way a JavaScript regex (non-unicode mode) reads it."""
    if char in _JS_SAME_ESCAPES:
        return "\\" + char
    return re.escape(char)


def _js_escape_text(text: str) -> str:
    """picomatch's escapeRegex: a backslash before each regex-special character."""
    return re.sub(r"([-*+?.^${}(|)\[\]])", r"\\\1", text)


def _escape_last(out: str, char: str) -> str:
    index = out.rfind(char)
    while index > 0 and out[index - 1] == "\\":
        index = out.rfind(char, 0, index - 1)
    if index < 0:
        return out
    return f"{out[:index]}\\{out[index:]}"


def _fast_simple(glob: str) -> str:
    """picomatch's shortcut for globs without `/ ( ) [ ] { } "` and not starting `*` or `!`."""

    def replace(match: re.Match[str]) -> str:
        esc, chars, first, rest = match.group(1), match.group(2), match.group(3), match.group(4)
        if first == "?":
            return ("\\?" if esc else _PM_QMARK) + _PM_QMARK * len(rest)
        if first == ".":
            return "\\." * len(chars)
        if first == "*":
            return ("\\*" + (_PM_STAR if rest else "")) if esc else _PM_STAR
        # picomatch escapes the first of a run of equal characters and copies the rest
        return re.escape(first) + rest.replace("$", "\\Z")

    return re.sub(r"(\\?)(([^A-Za-z0-9_\\])(\3*))", replace, _unescape_simple(glob))


def _unescape_simple(glob: str) -> str:
    # A backslash makes the next character literal; `_fast_simple` then escapes it again.
    return re.sub(r"\\(.)", lambda m: m.group(1) if m.group(1) in _JS_WORD else m.group(), glob)


def _fast_named(glob: str) -> str | None:
    """picomatch's prebuilt regexes for globs such as `*`, `**/*.*`, `**.js` (else None)."""
    bases = {
        "*": _PM_ONE_CHAR + _PM_STAR,
        ".*": "\\." + _PM_ONE_CHAR + _PM_STAR,
        "*.*": _PM_STAR + "\\." + _PM_ONE_CHAR + _PM_STAR,
        "*/*": _PM_STAR + "/" + _PM_ONE_CHAR + _PM_STAR,
        "**": _PM_GLOBSTAR,
        "**/*": f"(?:{_PM_GLOBSTAR}/)?{_PM_ONE_CHAR}{_PM_STAR}",
        "**/*.*": f"(?:{_PM_GLOBSTAR}/)?{_PM_STAR}\\.{_PM_ONE_CHAR}{_PM_STAR}",
        "**/.*": f"(?:{_PM_GLOBSTAR}/)?\\.{_PM_ONE_CHAR}{_PM_STAR}",
    }
    suffix = ""
    while glob not in bases:
        match = re.fullmatch(r"(.*?)\.([A-Za-z0-9_]+)", glob, re.DOTALL)
        if match is None:
            return None
        glob, suffix = match.group(1), f"\\.{match.group(2)}{suffix}"
    return bases[glob] + suffix


def _picomatch_source(glob: str) -> tuple[str, bool]:
    """(regex source, negated) for one picomatch glob with `{dot: true}`."""
    if glob[:1] in (".", "*"):
        named = _fast_named(glob.removeprefix("./"))
        if named is not None:
            return named, False
    glob = _PM_WHOLE_REPLACEMENTS.get(glob, glob).removeprefix("./")
    if not re.search(r'(^[*!]|[/()\[\]{}"])', glob):
        return _fast_simple(glob), False
    parser = _PicomatchParser(glob)
    out = parser.parse()
    if parser.invalid:
        return "(", parser.negated  # fails to compile, so it never matches, like picomatch
    return out, parser.negated


def _config_source(glob: str) -> str:
    """The regex source of one config glob (no leading `!`: PatternList reads that)."""
    # picomatch's shortcuts carry quirks of their own (`c++` matching `c+`); the parser
    # alone reads a glob the way the config documents it.
    glob = _PM_WHOLE_REPLACEMENTS.get(glob, glob).removeprefix("./")
    return _PicomatchParser(glob, dorny=False).parse()


class Glob(NamedTuple):
    """One compiled glob. `fullmatch(path)` is truthy when the regex matches the whole path.

    `matches(path)` adds picomatch's rules around the regex (a `!` negation, a
    path equal to the glob text); `fullmatch` is the bare regex, for callers
    that apply those themselves over many paths.
    """

    glob: str
    regex: re.Pattern[str] | None  # None: picomatch builds an invalid regex, which never matches
    negated: bool
    dorny: bool
    linear: bool  # True: `fullmatch` runs the NFA, because `re` could backtrack for minutes
    # A re.Match (always truthy) or None from `re`, a bool from the NFA.
    fullmatch: Callable[[str], object]

    def matches(self, path: str) -> bool:
        if not self.dorny:
            return bool(self.fullmatch(path))
        if not path:
            return False
        if path == self.glob:
            return True  # picomatch compares the text before it tries the regex
        if self.regex is None:
            return False
        return bool(self.fullmatch(path)) is not self.negated


def _never(_: str) -> None:
    return None


def _build(glob: str, source: str | None, *, negated: bool, dorny: bool) -> Glob:
    if source is None:
        return Glob(glob, None, negated, dorny, linear=False, fullmatch=_never)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # `[[`-style sets are literal here
        regex = re.compile(f"(?:{source})", re.DOTALL)
    if _may_backtrack(source):
        from tiered_ci import _linear_re  # noqa: PLC0415 - only many-star globs need it

        program = _linear_re.parse(source)
        if program is not None and program.backtracks:
            return Glob(glob, regex, negated, dorny, linear=True, fullmatch=program.fullmatch)
    return Glob(glob, regex, negated, dorny, linear=False, fullmatch=regex.fullmatch)


def _may_backtrack(source: str) -> bool:
    """A cheap pre-check: fewer than three repeats and none after a group cannot blow up."""
    repeats = source.count("*") + source.count("+")
    return repeats >= 3 or (repeats >= 1 and re.search(r"\)[*+]", source) is not None)


@functools.lru_cache(maxsize=4096)
def compile_picomatch(glob: str) -> Glob:
    """Compile `glob` with dorny/paths-filter's semantics (picomatch 2.3.1, `dot: true`)."""
    if not glob:
        raise ValueError("a glob must be a non-empty string")
    source, negated = _picomatch_source(glob)
    try:
        return _build(glob, source, negated=negated, dorny=True)
    except re.error:
        return _build(glob, None, negated=negated, dorny=True)


@functools.lru_cache(maxsize=4096)
def compile_glob(glob: str) -> Glob:
    """Compile one config glob (without a leading `!`); GlobError when it cannot match anything."""
    try:
        return _build(glob, _config_source(glob), negated=False, dorny=False)
    except re.error as error:
        raise GlobError(f"invalid glob {glob!r}: {error.msg}") from None


def matches(glob: str, path: str) -> bool:
    """True when `path` matches the config glob `glob` (a leading `!` is not special here)."""
    return compile_glob(glob).matches(path)


def picomatch_matches(glob: str, path: str) -> bool:
    return compile_picomatch(glob).matches(path)


class PatternList:
    """An ordered list of config globs with `!` exclusions: the last pattern that matches decides.

    This is the semantics of GitHub's `on.<event>.paths` filters: `["src/**",
    "!src/vendor/**"]` claims `src/a.py` but not `src/vendor/b.py`.
    """

    __slots__ = ("_any", "_compiled", "_last_first", "_otherwise", "patterns")

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        # Compiled once: (negated, glob) per pattern, and one alternation of the positive
        # patterns so that the common "claims nothing" answer costs one match. Globs that
        # run on the linear-time NFA stay out of the alternation, which `re` runs.
        self._compiled = tuple(
            (p.startswith("!"), compile_glob(p.removeprefix("!"))) for p in self.patterns
        )
        self._any = _any_of([glob for negated, glob in self._compiled if not negated])
        # The last pattern that matches decides: tried from the end, the first match does.
        # With one positive pattern, `_any` has matched it already: only the `!` patterns
        # after it are left to try (none, for a plain glob), and it decides otherwise.
        last_first = [(i, neg, glob.fullmatch) for i, (neg, glob) in enumerate(self._compiled)]
        positive = [i for i, (negated, _) in enumerate(self._compiled) if not negated]
        self._otherwise = positive[0] if len(positive) == 1 else None
        if self._otherwise is not None:
            last_first = last_first[self._otherwise + 1 :]
        self._last_first = tuple(reversed(last_first))

    def __repr__(self) -> str:
        return f"PatternList({self.patterns!r})"

    def decide(self, path: str) -> int | None:
        """Index of the positive pattern that claims `path`, or None when unclaimed."""
        if not self._any(path):
            return None
        for index, negated, match in self._last_first:
            if match(path):
                return None if negated else index
        return self._otherwise

    def claims(self, path: str) -> bool:
        return self.decide(path) is not None


def _any_of(globs: Sequence[Glob]) -> Callable[[str], object]:
    """One predicate, truthy when any of `globs` matches: one `re` alternation where it
    is safe (a single glob's own regex when there is one)."""
    fast = [g for g in globs if g.regex is not None and not g.linear]
    slow = [g.fullmatch for g in globs if g.linear]
    if len(fast) == 1:
        combined = fast[0].fullmatch
    elif fast:
        combined = re.compile(
            "|".join(g.regex.pattern for g in fast if g.regex), re.DOTALL
        ).fullmatch
    else:
        combined = _never
    if not slow:
        return combined
    return lambda path: combined(path) is not None or any(match(path) for match in slow)
