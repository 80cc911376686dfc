"""Glob semantics the config relies on (GitHub `paths:` / picomatch shaped)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiered_ci import _linear_re
from tiered_ci.globs import (
    Glob,
    GlobError,
    PatternList,
    compile_glob,
    compile_picomatch,
    matches,
)


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
        # `**/**` is `**` (it used to match nothing)
        ("**/**", "a", True),
        ("**/**", "a/b", True),
        ("src/**/**", "src/a/b", True),
        ("src/**/**/x", "src/x", True),
        # the config dialect: `[!a]` negates, picomatch's regex extras are plain text
        ("[!a].py", "b.py", True),
        ("[!a].py", "a.py", False),
        ("[!a].py", "!.py", True),
        ("[^a].py", "a.py", False),
        ("(a|b)/x", "(a|b)/x", True),
        ("(a|b)/x", "a/x", False),
        ("@(a)/x", "@(a)/x", True),
        ("c++", "c++", True),
        ("c++", "c+", False),
        ("{1..3}.txt", "{1..3}.txt", True),
        ("{1..3}.txt", "2.txt", False),
        ("a!b", "a!b", True),
        ('"a"', '"a"', True),
        ("\\d.txt", "d.txt", True),
        ("\\d.txt", "1.txt", False),
        ("src/\\*.py", "src/*.py", True),
        ("src/\\*.py", "src/a.py", False),
        ("[[:digit:]].txt", "5.txt", False),  # POSIX classes are dorny-only
        ("[ab]", "[ab]", False),  # a class, never its own text (picomatch accepts both)
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


def _last_match(patterns: tuple[str, ...], path: str) -> int | None:
    """The rule, spelled out: the last pattern matching `path` decides (`!` unclaims)."""
    decided = None
    for index, pattern in enumerate(patterns):
        if matches(pattern.removeprefix("!"), path):
            decided = None if pattern.startswith("!") else index
    return decided


@pytest.mark.parametrize(
    "patterns",
    [
        ("src/**",),
        ("!src/gen/**", "src/**", "!src/tmp/**"),  # one positive, `!` on both sides
        ("src/**", "!src/gen/**", "src/gen/keep.py", "!**/*.md"),
        ("**/*.md", "docs/**"),  # two positives, no `!`
        ("!src/**",),  # nothing positive claims anything
    ],
)
def test_pattern_list_decides_as_the_last_matching_pattern(patterns: tuple[str, ...]) -> None:
    rules = PatternList(patterns)
    paths = ["src/a.py", "src/gen/x.py", "src/gen/keep.py", "src/tmp/t.py", "src/r.md"]
    paths += ["docs/r.md", "docs/a.py", "other.py", "src"]
    for path in paths:
        assert rules.decide(path) == _last_match(patterns, path), path


@pytest.mark.parametrize("glob", ["src/[z-a]*", "[b-a]"])
def test_a_glob_no_regex_can_express_is_an_error(glob: str) -> None:
    with pytest.raises(GlobError, match=re.escape(f"invalid glob {glob!r}: bad character range")):
        compile_glob(glob)


MANY_STARS = "**/" + "*a" * 20 + "*b"  # issue 13 C7


@pytest.mark.parametrize("compile_", [compile_glob, compile_picomatch])
def test_many_stars_run_on_the_linear_matcher(compile_: Callable[[str], Glob]) -> None:
    glob = compile_(MANY_STARS)
    assert glob.linear
    # `re` would try every split of the `a`s between twenty stars here
    assert not glob.matches("src/" + "a" * 60 + ".py")
    assert glob.matches("src/" + "a" * 60 + "b")
    assert not glob.matches("src/" + "a" * 19 + "b")


def test_pattern_list_with_a_linear_glob() -> None:
    rules = PatternList(("docs/**", MANY_STARS, "!x/**"))
    assert rules.decide("docs/a") == 0
    assert rules.decide("q/" + "a" * 30 + "b") == 1
    assert rules.decide("x/" + "a" * 30 + "b") is None
    assert rules.decide("q/" + "a" * 60) is None


def test_few_stars_stay_on_re() -> None:
    assert not compile_glob("src/**/*.py").linear
    assert not compile_picomatch("src/**/*.py").linear


# Glob pieces covering both dialects' syntax: stars, globstars, classes, braces,
# extglobs (dorny) and literals, over a small alphabet so that matches are common.
_PIECES = st.sampled_from(
    ["a", "b", "/", "*", "**", "**/", "/**", "?", "[ab]", "[!a]", "[^b]", "{a,b}", "{a,}",
     "@(a|b)", "!(a)", "+(a)", "*(b)", "?(a)", ".", "a*b", "(a|b)"]
)  # fmt: skip
_PATHS = st.text(alphabet="ab/.", max_size=12)


@given(pieces=st.lists(_PIECES, min_size=1, max_size=8), path=_PATHS)
def test_linear_matcher_agrees_with_re(pieces: list[str], path: str) -> None:
    glob = "".join(pieces)
    for compiled in (compile_picomatch(glob), _config_or_none(glob)):
        if compiled is None or compiled.regex is None:
            continue
        program = _linear_re.parse(compiled.regex.pattern)
        if program is not None:
            assert program.fullmatch(path) is (compiled.regex.fullmatch(path) is not None), glob


def _config_or_none(glob: str) -> Glob | None:
    try:
        return compile_glob(glob)
    except GlobError:
        return None


@pytest.mark.parametrize(
    "source",
    [
        "(?=.)[^/]*?\\.py",
        "(?:(?!(?:a))[^/]*?)/x",
        "a(?:/.*?|\\Z)",
        "(?:a|b)+c?",
        "\\d[\\w.]\\s",
    ],
)
def test_linear_parser_reads_the_emitted_subset(source: str) -> None:
    assert _linear_re.parse(source) is not None


@pytest.mark.parametrize("source", ["a{2}", "(?<=a)b", "\\bx", "(a)\\1", "a*+", "^a"])
def test_linear_parser_declines_other_syntax(source: str) -> None:
    assert _linear_re.parse(source) is None
