from __future__ import annotations

from tiered_ci.commands.filter import load_yaml
from tiered_ci.filters import FileChange, Filter, parse_filters


def filters_from(text: str, *, outputs: bool = True) -> tuple[Filter, ...]:
    source = "--filters (inline YAML)"
    return parse_filters(load_yaml(text, source), source, outputs=outputs)


def modified(*paths: str) -> list[FileChange]:
    return [FileChange(path, "modified") for path in paths]
