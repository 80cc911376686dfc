"""dorny/paths-filter's own test suite, case by case (`__tests__/filter.test.ts`).

Every test of dorny's filter suite that can be written as (filter YAML,
files with statuses) -> matched files per filter is here under its dorny
name. The suite is the released v3/v4 one (per-pattern matching, `some` ORs
every rule, so a lone `!glob` matches every other file). Tests of dorny's
unreleased grouped-negation change (PR #310, issue #260) are deliberately left
out: they contradict the released behaviour this command reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from filter_support import filters_from, modified

from tiered_ci.filters import FileChange, Quantifier, match


@dataclass(frozen=True)
class Case:
    name: str  # the dorny test name
    yaml: str
    files: list[FileChange]
    expected: dict[str, list[str]]  # filter -> matched paths, in input order
    quantifier: Quantifier = "some"


SHARED = """
shared: &shared
  - common/**/*
  - config/**/*
"""

CASES = [
    Case(
        "matches single inline rule",
        'src: "src/**/*.js"',
        modified("src/app/module/file.js"),
        {"src": ["src/app/module/file.js"]},
    ),
    Case(
        "matches single rule in single group",
        "src:\n  - src/**/*.js",
        modified("src/app/module/file.js"),
        {"src": ["src/app/module/file.js"]},
    ),
    Case(
        "no match when file is in different folder",
        "src:\n  - src/**/*.js",
        modified("not_src/other_file.js"),
        {"src": []},
    ),
    Case(
        "match only within second groups",
        "src:\n  - src/**/*.js\ntest:\n  - test/**/*.js",
        modified("test/test.js"),
        {"src": [], "test": ["test/test.js"]},
    ),
    Case(
        "match only withing second rule of single group",
        "src:\n  - src/**/*.js\n  - test/**/*.js",
        modified("test/test.js"),
        {"src": ["test/test.js"]},
    ),
    Case("matches anything", 'any:\n  - "**"', modified("test/test.js"), {"any": ["test/test.js"]}),
    Case(
        "globbing matches path where file or folder name starts with dot",
        'dot:\n  - "**/*.js"',
        modified(".test/.test.js"),
        {"dot": [".test/.test.js"]},
    ),
    Case(
        "matches all except tsx and less files (negate a group with or-ed parts) [tsx]",
        "backend:\n  - '!(**/*.tsx|**/*.less)'",
        modified("src/ui.tsx"),
        {"backend": []},
    ),
    Case(
        "matches all except tsx and less files (negate a group with or-ed parts) [less]",
        "backend:\n  - '!(**/*.tsx|**/*.less)'",
        modified("src/ui.less"),
        {"backend": []},
    ),
    Case(
        "matches all except tsx and less files (negate a group with or-ed parts) [py]",
        "backend:\n  - '!(**/*.tsx|**/*.less)'",
        modified("src/server.py"),
        {"backend": ["src/server.py"]},
    ),
    Case(
        "matches only files that are matching EVERY pattern when set to PredicateQuantifier.EVERY [typescript]",
        "backend:\n  - 'pkg/a/b/c/**'\n  - '!**/*.jpeg'\n  - '!**/*.md'",
        modified("pkg/a/b/c/some-class.ts", "pkg/a/b/c/src/main/some-class.ts"),
        {"backend": ["pkg/a/b/c/some-class.ts", "pkg/a/b/c/src/main/some-class.ts"]},
        "every",
    ),
    Case(
        "matches only files that are matching EVERY pattern when set to PredicateQuantifier.EVERY [other package]",
        "backend:\n  - 'pkg/a/b/c/**'\n  - '!**/*.jpeg'\n  - '!**/*.md'",
        modified(
            "pkg/x/y/z/some-class.ts",
            "pkg/x/y/z/src/main/some-class.ts",
            "pkg/x/y/z/some-pic.jpeg",
            "pkg/x/y/z/src/main/jpeg/some-pic.jpeg",
        ),
        {"backend": []},
        "every",
    ),
    Case(
        "matches only files that are matching EVERY pattern when set to PredicateQuantifier.EVERY [docs]",
        "backend:\n  - 'pkg/a/b/c/**'\n  - '!**/*.jpeg'\n  - '!**/*.md'",
        modified(
            "pkg/a/b/c/some-pics.jpeg",
            "pkg/a/b/c/src/main/jpeg/some-pic.jpeg",
            "pkg/a/b/c/src/main/some-docs.md",
            "pkg/a/b/c/some-docs.md",
        ),
        {"backend": []},
        "every",
    ),
    Case(
        "matches path based on rules included using YAML anchor",
        SHARED + "src:\n  - *shared\n  - src/**/*",
        modified("config/settings.yml"),
        {"src": ["config/settings.yml"]},
    ),
    Case(
        "does not match modified file as added",
        'add:\n  - added: "**/*"',
        modified("file.js"),
        {"add": []},
    ),
    Case(
        "match added file as added",
        'add:\n  - added: "**/*"',
        [FileChange("file.js", "added")],
        {"add": ["file.js"]},
    ),
    Case(
        "matches when multiple statuses are configured",
        'addOrModify:\n  - added|modified: "**/*"',
        modified("file.js"),
        {"addOrModify": ["file.js"]},
    ),
    Case(
        "matches when using an anchor",
        SHARED + "src:\n  - modified: *shared",
        modified("config/file.js", "common/anotherFile.js"),
        {"src": ["config/file.js", "common/anotherFile.js"]},
    ),
    Case(
        "ignores exclusions when using the default predicate quantifier",
        "src:\n  - 'src/**'\n  - '!**/*.md'",
        modified("src/README.md", "other/file.txt"),
        {"src": ["src/README.md", "other/file.txt"]},
    ),
    Case(
        "or-es patterns of single change status when using the default predicate quantifier",
        "src:\n  - added|modified: ['src/**', '!**/*.md']",
        [
            FileChange("src/README.md", "added"),
            FileChange("other/file.txt", "added"),
            FileChange("src/index.ts", "deleted"),
        ],
        {"src": ["src/README.md", "other/file.txt"]},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_dorny_filter_suite(case: Case) -> None:
    results = {
        r.name: [f.path for f in r.files]
        for r in match(filters_from(case.yaml), case.files, case.quantifier)
    }
    for name, expected in case.expected.items():
        assert results[name] == expected


@pytest.mark.critical
def test_some_ors_a_lone_negation_every_subtracts_it() -> None:
    """DORNY.md: under `some` a lone `!docs/**` matches every file outside docs."""
    files = modified("docs/a.md", "src/a.py", "src/b.md", "other/x.txt")
    filters = filters_from("notdocs: '!docs/**'\nsrc: ['src/**', '!**/*.md']")
    some = {r.name: [f.path for f in r.files] for r in match(filters, files, "some")}
    every = {r.name: [f.path for f in r.files] for r in match(filters, files, "every")}
    outside_docs = ["src/a.py", "src/b.md", "other/x.txt"]
    assert some == {"notdocs": outside_docs, "src": outside_docs}
    assert every == {"notdocs": outside_docs, "src": ["src/a.py"]}


def test_status_less_file_matches_only_status_less_rules() -> None:
    # dorny: a type change (git `T`) has no status, so `modified:` rules skip it
    files = [FileChange("src/link", None)]
    filters = filters_from("any: 'src/**'\nmod:\n  - modified: 'src/**'")
    assert [(r.name, len(r.files)) for r in match(filters, files)] == [("any", 1), ("mod", 0)]


def test_status_keys_are_trimmed_and_lower_cased() -> None:
    filters = filters_from("x:\n  - ' Added | MODIFIED ': '**'")
    assert filters[0].rules[0].statuses == frozenset({"added", "modified"})


def test_files_keep_input_order_and_duplicates() -> None:
    files = [FileChange("b/x", "deleted"), FileChange("a/x", "added"), FileChange("b/x", "added")]
    (result,) = match(filters_from("all: '**'"), files)
    assert result.files == tuple(files)
