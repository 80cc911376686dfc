"""Compose variable interpolation and `.env` files, as the compose-spec defines them. Pure.

Interpolation (compose-spec "Interpolation"): `$VAR` and `${VAR}`, with
`${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
`${VAR:?error}` / `${VAR?error}` (required), `${VAR:+replacement}` /
`${VAR+replacement}` (set), nesting inside the default, error and
replacement, and `$$` for a literal `$`. A `$` not followed by a name or
`{` stays as it is.

Compose substitutes an unset variable with an empty string and a warning.
For the values that decide which files a build reads (context, dockerfile,
additional contexts) that would be a guess about the build machine's
environment, so `strict` interpolation reports it as `Unresolved` instead
and the caller watches more.

`.env` (compose-spec "env_file" format): `KEY=VALUE` lines, `export `
prefixes, `#` comments, single-quoted values taken literally, double-quoted
values with `\\n`-style escapes and interpolation, unquoted values trimmed,
with an inline ` #` comment removed and interpolation applied; a bare `KEY`
takes its value from the environment. Earlier lines feed later ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["Unresolved", "interpolate", "parse_env_file"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
# `\$` stays a literal dollar: it becomes `$$`, which interpolation turns into `$`.
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$$"}


class Unresolved(Exception):
    """A value that cannot be known: a required variable is missing, a template is
    malformed, or (strict) a variable is unset with no default."""


Lookup = Callable[[str], "str | None"]


def interpolate(template: str, lookup: Lookup, *, strict: bool = False) -> str:
    """`template` with every variable substituted; Unresolved says why it cannot be."""
    scan = _Scan(template, lookup, strict=strict)
    value, end = scan.expand(0, stop=None, live=True)
    assert end == len(template)  # noqa: S101 - without a stop character the scan reads all
    return value


class _Scan:
    """One left-to-right pass over a template. `live=False` scans a branch that is not
    taken (a default that is not used): its end is found, nothing is looked up."""

    def __init__(self, text: str, lookup: Lookup, *, strict: bool) -> None:
        self.text = text
        self.lookup = lookup
        self.strict = strict

    def expand(self, start: int, *, stop: str | None, live: bool) -> tuple[str, int]:
        text = self.text
        out: list[str] = []
        i = start
        while i < len(text):
            char = text[i]
            if stop is not None and char == stop:
                return "".join(out), i
            if char != "$":
                out.append(char)
                i += 1
                continue
            nxt = text[i + 1 : i + 2]
            if nxt == "$":
                out.append("$")
                i += 2
            elif nxt == "{":
                value, i = self.braced(i + 2, live=live)
                out.append(value)
            elif match := _NAME.match(text, i + 1):
                out.append(self.value(match.group(), live=live))
                i = match.end()
            else:
                out.append("$")  # not a variable: kept as written
                i += 1
        if stop is not None:
            raise Unresolved(f"invalid template {text!r}: a '${{' is not closed")
        return "".join(out), i

    def braced(self, start: int, *, live: bool) -> tuple[str, int]:
        """`${...}` from just after the `{`; the value and the index after the `}`."""
        text = self.text
        match = _NAME.match(text, start)
        if match is None:
            raise Unresolved(f"invalid template {text!r}: '${{' must be followed by a name")
        name, i = match.group(), match.end()
        if text[i : i + 1] == "}":
            return self.value(name, live=live), i + 1
        operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if operator is None:
            what = "is not closed" if i >= len(text) else f"has an unsupported {text[i]!r}"
            raise Unresolved(f"invalid template {text!r}: '${{{name}' {what}")
        current = self.lookup(name) if live else ""
        use_word = live and _uses_word(operator, current)
        # The word after the operator is a template too (nesting); only a branch that is
        # taken is evaluated, so a required variable in an unused default does not fail.
        word, end = self.expand(i + len(operator), stop="}", live=use_word)
        if use_word and operator in (":?", "?"):
            raise Unresolved(f"required variable {name} is missing a value: {word or name}")
        if use_word:
            return word, end + 1
        if operator in (":+", "+"):
            return "", end + 1
        return current or "", end + 1

    def value(self, name: str, *, live: bool) -> str:
        if not live:
            return ""
        value = self.lookup(name)
        if value is None:
            if self.strict:
                raise Unresolved(f"variable {name} is not set (in .env or the environment)")
            return ""  # Compose's behaviour: an empty string, with a warning
        return value


def _uses_word(operator: str, current: str | None) -> bool:
    if operator in (":-", ":?"):
        return not current
    if operator in ("-", "?"):
        return current is None
    if operator == ":+":
        return bool(current)
    return current is not None  # "+"


# --- .env ------------------------------------------------------------------------

_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:([=:])(.*))?$", re.DOTALL)


def parse_env_file(text: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of a `.env` file. Values may use the environment and earlier keys.

    Lines that are not `KEY=VALUE` are skipped: Compose rejects them, and a
    variable that is then missing makes its service watch everything.
    """
    found: dict[str, str] = {}

    def lookup(name: str) -> str | None:
        return found.get(name, environ.get(name))

    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        key, sep, raw = match.group(1), match.group(2), match.group(3)
        if sep is None:
            if key in environ:
                found[key] = environ[key]
            continue
        raw = raw.lstrip()
        quote = raw[:1]
        if quote in ("'", '"'):
            while _closing(raw, quote) < 0 and i < len(lines):  # a quoted value may span lines
                raw += "\n" + lines[i]
                i += 1
            end = _closing(raw, quote)
            body = raw[1:end] if end > 0 else raw[1:]
            value = body if quote == "'" else _double_quoted(body, lookup)
        else:
            value = _unquoted(raw, lookup)
        if value is not None:
            found[key] = value
    return found


def _closing(raw: str, quote: str) -> int:
    i = 1
    while i < len(raw):
        if raw[i] == "\\" and quote == '"':
            i += 2
            continue
        if raw[i] == quote:
            return i
        i += 1
    return -1


def _double_quoted(body: str, lookup: Lookup) -> str | None:
    unescaped = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
    try:
        return interpolate(unescaped, lookup)
    except Unresolved:
        return None


def _unquoted(raw: str, lookup: Lookup) -> str | None:
    value = re.split(r"\s#", raw, maxsplit=1)[0].strip()
    try:
        return interpolate(value, lookup)
    except Unresolved:
        return None
