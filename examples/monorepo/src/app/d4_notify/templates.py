"""A tiny template language: `{{ name }}` placeholders, HTML-escaped unless `| raw`."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*(\|\s*raw\s*)?\}\}")


class MissingValueError(KeyError):
    """A template names a value the context does not have."""


def placeholders(template: str) -> list[str]:
    """Names the template uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(template):
        seen.setdefault(match.group(1), None)
    return list(seen)


def render(template: str, context: Mapping[str, object], *, escape: bool = True) -> str:
    missing = [name for name in placeholders(template) if name not in context]
    if missing:
        raise MissingValueError(f"template needs {', '.join(missing)}")

    def substitute(match: re.Match[str]) -> str:
        value = str(context[match.group(1)])
        raw = match.group(2) is not None
        return value if raw or not escape else html.escape(value)

    return _PLACEHOLDER.sub(substitute, template)
