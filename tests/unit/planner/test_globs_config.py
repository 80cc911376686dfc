"""Glob semantics the config relies on (GitHub `paths:` / picomatch shaped)."""

from __future__ import annotations

import pytest

from tiered_ci.globs import PatternList, matches


@pytest.mark.critical
@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/**", "src", True),
        ("src/**", "src/a/b.py", True),
        ("src/**", "srcx/a.py", False),
        ("**/*.md", "README.md", True),
        ("**/*.md", "docs/deep/a.md", True),
        ("*.md", "docs/a.md", False),
        ("src/app", "src/app/x.py", False),
        ("src/*/x.py", "src/a/b/x.py", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("{src,lib}/*.py", "lib/x.py", True),
        ("[ab].py", "c.py", False),
        ("?.py", "a.py", True),
        ("**", ".github/workflows/ci.yml", True),
        ("./src/*", "src/a", True),
        ("Src/**", "src/a", False),
    ],
)
def test_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


def test_pattern_list_last_match_wins() -> None:
    rules = PatternList(("src/**", "!src/gen/**", "src/gen/keep.py"))
    assert rules.decide("src/a.py") == 0
    assert rules.decide("src/gen/x.py") is None
    assert rules.decide("src/gen/keep.py") == 2
    assert rules.decide("other.py") is None
