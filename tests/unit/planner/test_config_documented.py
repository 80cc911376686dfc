"""Every key the config parser accepts is documented in docs/configuration.md."""

from __future__ import annotations

import re

from support import PROJECT_ROOT

from tiered_ci import config

SECTIONS = {
    "_TOP_KEYS": "## Top level",
    "_TIER_KEYS": "## `[tool.tiered-ci.tiers.<name>]`",
    "_DOMAIN_KEYS": "## `[tool.tiered-ci.domains.<name>]`",
    "_SERVICE_KEYS": "## `[tool.tiered-ci.services.<name>]`",
    "_TRIGGER_KEYS": "## `[tool.tiered-ci.triggers.<kind>]`",
    "_COVERAGE_KEYS": "## `[tool.tiered-ci.coverage]`",
    "_IMPACT_KEYS": "## `[tool.tiered-ci.impact]`",
}
TABLES = {"tiers", "domains", "services", "triggers", "coverage", "impact"}


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_parser_key_has_a_row_in_its_section() -> None:
    text = (PROJECT_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    known = {name for name in vars(config) if re.fullmatch(r"_[A-Z]+_KEYS", name)}
    assert known == set(SECTIONS), "a new key set: give it a section in docs/configuration.md"
    missing = []
    for name, heading in SECTIONS.items():
        rows = set(re.findall(r"^\| `([a-z-]+)` \|", _section(text, heading), re.MULTILINE))
        keys: frozenset[str] = getattr(config, name)
        if name == "_TOP_KEYS":
            keys = keys - TABLES  # tables have sections of their own
        missing += [f"{heading}: {key}" for key in sorted(keys - rows)]
    assert missing == []
