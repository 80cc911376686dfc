"""Every key the config parser knows has an entry in docs/configuration.md."""

from __future__ import annotations

import re

import pytest
from support import PROJECT_ROOT

from tiered_ci import config

DOC = PROJECT_ROOT / "docs" / "configuration.md"
KEY_SETS = [name for name in dir(config) if re.fullmatch(r"_[A-Z]+_KEYS", name)]


@pytest.mark.parametrize("key_set", KEY_SETS)
def test_every_parser_key_is_documented(key_set: str) -> None:
    documented = set(
        re.findall(r"^\| `([a-z-]+)` \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    )
    keys: frozenset[str] = getattr(config, key_set)
    assert not keys - documented, f"{key_set}: document these in {DOC.name}"


def test_the_key_sets_are_found() -> None:
    assert {"_TOP_KEYS", "_TIER_KEYS", "_DOMAIN_KEYS", "_INSTALL_KEYS"} <= set(KEY_SETS)
