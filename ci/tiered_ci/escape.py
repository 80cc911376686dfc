"""Untrusted text (file names, branch names, config names) in logs, Markdown and mermaid.

A pull request chooses its file names, so anything printed from a diff is
attacker-controlled. Three sinks interpret text:

* The Actions runner reads every line of a step's stdout and stderr, and a
  line that starts with `::` (after leading whitespace) or `##[` is a
  workflow command (`::error`, `::add-mask`, `::stop-commands` ...).
  `inline` keeps an untrusted string on one line; `log_line` neutralises a
  line that would start a command; `GuardedStream` applies it to every line a
  command prints.
* `$GITHUB_STEP_SUMMARY` is Markdown with HTML: `markdown_code` renders any
  text literally, as a code span that nothing can close early.
* Mermaid labels: `mermaid_label` keeps only plain characters and writes the
  rest as mermaid's `#<code>;` entities, so no quote, bracket, backtick or
  newline leaves the label (or the code fence around the diagram).

All pure except `GuardedStream`, a thin wrapper the CLI puts around its
output streams.
"""

from __future__ import annotations

import re
from typing import TextIO

__all__ = ["GuardedStream", "inline", "log_line", "markdown_code", "mermaid_id", "mermaid_label"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_COMMAND_START = re.compile(r"^(\s*)(::|##\[)")
_MERMAID_PLAIN = re.compile(r"[^A-Za-z0-9 _.,:/()+@=-]")
_MERMAID_ID = re.compile(r"[^A-Za-z0-9_]")


def inline(text: str) -> str:
    """`text` on one line: control characters (newline, CR, escape ...) as `\\n`, `\\x1b`."""
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def log_line(line: str) -> str:
    """`line`, with a backslash before a leading `::` or `##[` so the runner ignores it."""
    return _COMMAND_START.sub(r"\1\\\2", line)


def markdown_code(text: str) -> str:
    """`text` as a Markdown code span, literal inside a table cell.

    The fence is one backtick longer than the longest run inside; `|` is escaped
    because GitHub splits table cells on it even inside code.
    """
    text = inline(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def mermaid_label(text: str) -> str:
    """`text` for inside `["..."]`: plain characters kept, the rest as `#<code>;`."""
    return _MERMAID_PLAIN.sub(lambda m: f"#{ord(m.group())};", text)


def mermaid_id(text: str) -> str:
    """A node id made of letters, digits and `_` only."""
    return _MERMAID_ID.sub("_", text)


class GuardedStream:
    """A text stream that passes the start of every line through `log_line`.

    A workflow command is decided by the start of a whole line, and writes can split
    a line anywhere, so a line is held until its newline; a flush writes a held line
    only once its start is decided (more than `::` or `##[` could still become).
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = ""
        self._mid_line = False  # the current line's start is already written

    def write(self, text: str) -> int:
        data, self._pending = self._pending + text, ""
        out = []
        while data:
            line, newline, data = data.partition("\n")
            if not newline:
                self._pending = line
                break
            out.append(line if self._mid_line else log_line(line))
            out.append("\n")
            self._mid_line = False
        if out:
            self.stream.write("".join(out))
        return len(text)

    def flush(self) -> None:
        if self._pending and (self._mid_line or len(self._pending.lstrip()) > 3):
            self._write_pending()
        self.stream.flush()

    def close(self) -> None:
        """Write what is held (the end of the output) and flush; the stream stays open."""
        if self._pending:
            self._write_pending()
        self.stream.flush()

    def _write_pending(self) -> None:
        self.stream.write(self._pending if self._mid_line else log_line(self._pending))
        self._pending, self._mid_line = "", True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)
