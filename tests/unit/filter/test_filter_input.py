"""Bad filter YAML and bad --files-json: exit-2 errors whose messages say what and how to fix."""

from __future__ import annotations

import pytest
from filter_support import filters_from

from tiered_ci.changes import ChangedFile
from tiered_ci.errors import InputError
from tiered_ci.filters import FileChange, from_git, from_github_files

SRC = "--filters (inline YAML)"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        # dorny test: throws if yaml is not a dictionary
        (
            "not a dictionary",
            f"{SRC}: expected a mapping of filter names to globs at the top level, got text; write e.g. 'backend: [\"src/**\"]'",
        ),
        (
            "",
            f"{SRC}: expected a mapping of filter names to globs at the top level, got nothing; write e.g. 'backend: [\"src/**\"]'",
        ),
        (
            "- a\n- b",
            f"{SRC}: expected a mapping of filter names to globs at the top level, got a list; write e.g. 'backend: [\"src/**\"]'",
        ),
        # dorny test: throws if pattern is not a string
        (
            "src:\n  - src/**/*.js\n  - dict:\n      some: value",
            f"{SRC}: filter 'src': unknown status 'dict' in 'dict'; use added, copied, deleted, modified, renamed or unmerged (dorny would silently never match it)",
        ),
        (
            "src:\n  - add: 'src/**'",
            f"{SRC}: filter 'src': unknown status 'add' in 'add'; use added, copied, deleted, modified, renamed or unmerged (dorny would silently never match it)",
        ),
        (
            "src:\n  - added|modifed: 'src/**'",
            f"{SRC}: filter 'src': unknown status 'modifed' in 'added|modifed'; use added, copied, deleted, modified, renamed or unmerged (dorny would silently never match it)",
        ),
        (
            "src:\n  - ' | ': 'src/**'",
            f"{SRC}: filter 'src': status key ' | ' names no status; use added, copied, deleted, modified, renamed or unmerged joined by '|'",
        ),
        (
            "src:",
            f"{SRC}: filter 'src': empty; give a glob, a list of globs or a mapping of statuses to globs",
        ),
        ("src: []", f"{SRC}: filter 'src': no globs; give at least one glob or remove the filter"),
        (
            "src: 12",
            f"{SRC}: filter 'src': expected a glob, a list or a mapping of statuses to globs, got a number; quote globs that YAML reads as numbers or booleans",
        ),
        ("src: ['']", f"{SRC}: filter 'src': empty glob; remove it or write a pattern"),
        ("1: 'src/**'", f"{SRC}: filter name 1 is a number, not text; quote it"),
        (
            "src: 'a'\nsrc: 'b'",
            f"{SRC}: not valid YAML (line 2, column 1: duplicated mapping key 'src'); fix the YAML",
        ),
        (
            "src: [a",
            f"{SRC}: not valid YAML (line 1, column 8: expected ',' or ']', but got '<stream end>'); fix the YAML",
        ),
    ],
)
def test_bad_filters_are_rejected_with_a_fix(yaml_text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        filters_from(yaml_text)
    assert str(info.value) == message
    assert info.value.exit_code == 2


def test_yaml_1_2_booleans_like_js_yaml() -> None:
    # PyYAML (YAML 1.1) would read `on` and `yes` as booleans; js-yaml keeps them as text
    filters = filters_from("on: yes\nno: 'n/**'")
    assert [(f.name, f.rules[0].globs) for f in filters] == [("on", ("yes",)), ("no", ("n/**",))]


def test_merge_keys_and_nested_aliases() -> None:
    filters = filters_from("a: &a ['x/**']\nb:\n  - modified: [*a, 'y/**']")
    assert filters[1].rules[0].globs == ("x/**", "y/**")


def test_github_files_map_like_dorny() -> None:
    rows = [
        {"filename": "a.py", "status": "added"},
        {"filename": "b.py", "status": "removed"},
        {"filename": "new.py", "status": "renamed", "previous_filename": "old.py"},
        {"filename": "c.py", "status": "changed"},
        {"filename": "d.py", "status": "copied"},
        {"filename": "e.py", "status": "unchanged"},
        {"filename": "f.py", "status": "modified"},
    ]
    assert from_github_files(rows, "f.json") == [
        FileChange("a.py", "added"),
        FileChange("b.py", "deleted"),
        FileChange("new.py", "added"),
        FileChange("old.py", "deleted"),
        FileChange("c.py", "changed"),
        FileChange("d.py", "copied"),
        FileChange("e.py", "unchanged"),
        FileChange("f.py", "modified"),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {"filename": "a"},
            'f.json: expected a JSON list of {"filename", "status"} objects, got a mapping',
        ),
        (["a.py"], "f.json: item 0: expected an object with filename and status, got text"),
        ([{"status": "added"}], "f.json: item 0: 'filename' must be a non-empty string"),
        (
            [{"filename": "a", "status": "gone"}],
            "f.json: item 0: unknown status 'gone'; expected one of added, removed, modified, renamed, copied, changed, unchanged",
        ),
        (
            [{"filename": "a", "status": "renamed"}],
            "f.json: item 0: a renamed file needs 'previous_filename'",
        ),
    ],
)
def test_bad_github_files(rows: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        from_github_files(rows, "f.json")
    assert str(info.value) == message


def test_git_renames_split_like_no_renames() -> None:
    changes = [
        ChangedFile("z.py", "modified"),
        ChangedFile("src/new.py", "renamed", old_path="lib/old.py"),
        ChangedFile("copy.py", "copied", old_path="orig.py"),
    ]
    assert from_git(changes) == [
        FileChange("copy.py", "added"),
        FileChange("lib/old.py", "deleted"),
        FileChange("src/new.py", "added"),
        FileChange("z.py", "modified"),
    ]
