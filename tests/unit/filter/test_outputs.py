"""Output formats: dorny's list formats byte for byte, its output names, the GitHub heredocs."""

from __future__ import annotations

import pytest

from tiered_ci import github
from tiered_ci.filters import (
    FileChange,
    FilterResult,
    backslash_escape,
    csv_escape,
    format_list,
    github_values,
    output_values,
    shell_escape,
)

# (name, csv, shell, escape, json): produced by dorny's csvEscape / shellEscape /
# backslashEscape and JSON.stringify under Node 20, except where marked.
FORMATS = [
    ("simple.txt", "simple.txt", "simple.txt", "simple.txt", '["simple.txt"]'),
    (
        "path/to/file.txt",
        "path/to/file.txt",
        "path/to/file.txt",
        "path/to/file.txt",
        '["path/to/file.txt"]',
    ),
    (
        "file with space",
        '"file with space"',
        "'file with space'",
        "file\\ with\\ space",
        '["file with space"]',
    ),
    (
        "file, with coma",
        '"file, with coma"',
        "'file, with coma'",
        "file,\\ with\\ coma",
        '["file, with coma"]',
    ),
    (
        'file " with double quote',
        '"file "" with double quote"',
        "'file \" with double quote'",
        'file\\ \\"\\ with\\ double\\ quote',
        '["file \\" with double quote"]',
    ),
    (
        "file'with quote",
        '"file\'with quote"',
        '"file\'with quote"',
        "file\\'with\\ quote",
        '["file\'with quote"]',
    ),
    (
        "'file-leading-quote",
        '"\'file-leading-quote"',
        '"\'file-leading-quote"',
        "\\'file-leading-quote",
        '["\'file-leading-quote"]',
    ),
    ("$HOME.txt", '"$HOME.txt"', "'$HOME.txt'", "\\$HOME.txt", '["$HOME.txt"]'),
    ("é.txt", '"é.txt"', "'é.txt'", "\\é.txt", '["é.txt"]'),
    ("it's $x.md", '"it\'s $x.md"', "it\\''s $x.md'", "it\\'s\\ \\$x.md", '["it\'s $x.md"]'),
    ("tab\tx", '"tab\tx"', "'tab\tx'", "tab\\\tx", '["tab\\tx"]'),
    # Differences, on purpose: dorny tests "safe" line by line (a JavaScript /m regex), so
    # a name with a newline can leave unquoted; and it escapes the two UTF-16 halves of an
    # emoji separately, which Node then writes as two U+FFFD. Here both stay intact.
    ("a\nb c.txt", '"a\nb c.txt"', "'a\nb c.txt'", "a\\\nb\\ c.txt", '["a\\nb c.txt"]'),
    ("emoji😀.txt", '"emoji😀.txt"', "'emoji😀.txt'", "emoji\\😀.txt", '["emoji😀.txt"]'),
]


@pytest.mark.parametrize(
    ("name", "csv", "shell", "escape", "json_text"), FORMATS, ids=[row[0] for row in FORMATS]
)
def test_list_formats(name: str, csv: str, shell: str, escape: str, json_text: str) -> None:
    assert csv_escape(name) == csv
    assert shell_escape(name) == shell
    assert backslash_escape(name) == escape
    assert format_list([name], "json") == json_text


def test_lists_are_joined_as_dorny_joins_them() -> None:
    names = ["a b", "c"]
    assert format_list(names, "csv") == '"a b",c'
    assert format_list(names, "shell") == "'a b' c"
    assert format_list(names, "escape") == "a\\ b c"
    assert format_list(names, "json") == '["a b","c"]'
    assert format_list(names, "none") == ""


def _results() -> list[FilterResult]:
    return [
        FilterResult(
            "src", (FileChange("src/a b.py", "added"), FileChange("src/c.py", "modified"))
        ),
        FilterResult("docs", ()),
    ]


@pytest.mark.critical
def test_output_values_json_shape() -> None:
    assert output_values(_results(), "json") == {
        "src": True,
        "src_count": 2,
        "src_files": ["src/a b.py", "src/c.py"],
        "docs": False,
        "docs_count": 0,
        "docs_files": [],
        "changes": ["src"],
    }


def test_files_output_only_with_list_files() -> None:
    assert output_values(_results(), "none") == {
        "src": True,
        "src_count": 2,
        "docs": False,
        "docs_count": 0,
        "changes": ["src"],
    }
    assert output_values(_results(), "shell")["src_files"] == "'src/a b.py' src/c.py"


def test_changes_output_omitted_when_a_filter_is_named_changes() -> None:
    results = [FilterResult("changes", (FileChange("a", "added"),))]
    assert output_values(results, "none") == {"changes": True, "changes_count": 1}


def test_forced_result_is_true_whatever_it_matched() -> None:
    result = FilterResult("src", (), forced=True)
    assert output_values([result], "none") == {"src": True, "src_count": 0, "changes": ["src"]}


def test_github_values_are_the_strings_dorny_sets() -> None:
    assert github_values(_results(), "json") == {
        "src": "true",
        "src_count": "2",
        "src_files": '["src/a b.py","src/c.py"]',
        "docs": "false",
        "docs_count": "0",
        "docs_files": "[]",
        "changes": '["src"]',
    }


def test_github_output_heredocs() -> None:
    text = github.output_text({"src": "true", "src_files": "a\nb"}, delimiter="EOF_x")
    assert text == "src<<EOF_x\ntrue\nEOF_x\nsrc_files<<EOF_x\na\nb\nEOF_x\n"


def test_github_output_delimiter_is_random() -> None:
    first = github.output_text({"a": "true"}).splitlines()[0]
    second = github.output_text({"a": "true"}).splitlines()[0]
    assert first.startswith("a<<ghadelimiter_")
    assert first != second
