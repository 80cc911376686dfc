"""Dockerfile context sources and .dockerignore semantics."""

from __future__ import annotations

import pytest

from tiered_ci.globs import matches
from tiered_ci.images.dockerfile import (
    IgnoreFile,
    Source,
    Sources,
    context_sources,
    go_pattern_to_glob,
    instructions,
)


def sources(text: str) -> list[tuple[str, str]]:
    found = context_sources(text)
    assert found.unresolved is None, found.unresolved
    return [(s.kind, s.pattern) for s in found.sources]


def unresolved(text: str) -> str | None:
    return context_sources(text).unresolved


def test_instructions_join_continuations_and_drop_comments() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM scratch\n"
        "\n"
        "COPY a \\\n"
        "  # a comment inside the instruction\n"
        "  b /dst/\n"
        "label x=1\n"
    )
    assert [(i.keyword, i.arguments, i.line) for i in instructions(text)] == [
        ("FROM", "scratch", 2),
        ("COPY", "a   b /dst/", 4),
        ("LABEL", "x=1", 7),
    ]


def test_escape_directive_changes_the_continuation_character() -> None:
    text = "# escape=`\nFROM scratch\nCOPY a `\n  b C:\\dst\\\n"
    assert sources(text) == [("copy", "a"), ("copy", "b")]


@pytest.mark.critical
def test_copy_and_add_sources_skip_other_stages() -> None:
    text = (
        "FROM scratch AS build\n"
        "COPY --chown=1000:1000 --chmod=644 --link libs/common /app/common\n"
        "copy --from=build /out /out\n"
        "ADD --link=true ./src/*.py weird/../cfg.toml /app/\n"
        "COPY --parents --exclude=*.pyc a/ b/ /dst/\n"
    )
    assert sources(text) == [
        ("copy", "libs/common"),
        ("copy", "src/*.py"),
        ("copy", "cfg.toml"),
        ("copy", "a"),
        ("copy", "b"),
    ]


def test_json_array_form_keeps_spaces() -> None:
    text = 'FROM scratch\nCOPY ["my file.txt", "/x/y", "/dst/"]\n'
    assert sources(text) == [("copy", "my file.txt"), ("copy", "x/y")]


def test_dot_is_the_whole_context() -> None:
    assert sources("FROM scratch\nCOPY . /app\n") == [("copy", ".")]


def test_bind_mounts_read_the_context_unless_from_another_stage() -> None:
    text = (
        "FROM scratch\n"
        "RUN --mount=type=cache,target=/root/.cache "
        "--mount=type=bind,source=requirements.txt,target=/r.txt "
        "--mount=from=build,source=/out,target=/o --mount=target=/whole pip install\n"
        "RUN --mount=type=secret,id=token make\n"
    )
    assert sources(text) == [("mount", "requirements.txt"), ("mount", ".")]


@pytest.mark.critical
@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "FROM scratch\nARG DIR\nCOPY $DIR /app\n",
            "line 3: COPY source '$DIR' uses a variable whose value is not known",
        ),
        (
            "FROM scratch\nCOPY ${SRC:-x} /app\n",
            "line 2: COPY source '${SRC:-x}' uses a variable whose value is not known",
        ),
        (
            "FROM scratch\nCOPY https://example.invalid/a.tgz /a\n",
            "line 2: COPY source 'https://example.invalid/a.tgz' is a URL, which COPY cannot fetch",
        ),
        ("FROM scratch\nCOPY <<EOF /x\nhi\nEOF\n", "line 2: COPY uses a heredoc"),
        (
            "FROM scratch\nCOPY ../outside /x\n",
            "line 2: COPY source '../outside' leaves the context",
        ),
        ("FROM scratch\nCOPY --from build /x /y\n", "line 2: COPY has --from without a value"),
        ("FROM scratch\nCOPY onlyone\n", "line 2: COPY has no source and destination"),
        ('FROM scratch\nCOPY ["a", \n', "line 2: COPY has a JSON array that does not parse"),
        (
            "FROM scratch\nRUN --mount=type=bind,source=$X,target=/x true\n",
            "line 2: RUN --mount source '$X' uses a variable whose value is not known",
        ),
    ],
)
def test_anything_unsure_gives_up(text: str, why: str) -> None:
    assert context_sources(text) == Sources((), why)


def test_source_records_its_line() -> None:
    assert context_sources("FROM scratch\n\nCOPY a  /a\n").sources == (
        Source("copy", "a", 3, instruction="COPY a /a"),
    )


# --- .dockerignore ------------------------------------------------------------------


@pytest.mark.critical
def test_dockerignore_last_match_wins_and_folders_cover_their_files() -> None:
    ignore = IgnoreFile.parse(
        "# keep the context small\n"
        "*\n"
        "!libs/common/common/\n"
        "!/src/app/d5_reports\n"
        "**/__pycache__\n"
        "  \n"
    )
    assert ignore.excludes("libs/x.py")
    assert ignore.excludes("README.md")
    assert not ignore.excludes("libs/common/common/money.py")
    assert not ignore.excludes("src/app/d5_reports/revenue.py")
    assert ignore.excludes("src/app/d5_reports/__pycache__/revenue.pyc")
    assert ignore.excludes("src/app/d0_gateway/app.py")


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/guide.md", False),  # unlike .gitignore: no implicit **/
        ("**/*.md", "docs/deep/guide.md", True),
        ("docs", "docs/deep/guide.md", True),
        ("temp?", "temp1/x", True),
        ("temp?", "temp12", False),
        ("[a-c].txt", "b.txt", True),
        ("[^a-c].txt", "b.txt", False),
        ("[^a-c].txt", "d.txt", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        ("./build/", "build/out.o", True),
        (".env", ".env", True),
    ],
)
def test_dockerignore_pattern_semantics(pattern: str, path: str, excluded: bool) -> None:
    assert IgnoreFile.parse(pattern).excludes(path) is excluded


def test_reinclude_then_exclude_again() -> None:
    ignore = IgnoreFile.parse("logs\n!logs/keep\nlogs/keep/tmp\n")
    assert ignore.excludes("logs/a")
    assert not ignore.excludes("logs/keep/a")
    assert ignore.excludes("logs/keep/tmp/a")


def test_empty_ignore_file_excludes_nothing() -> None:
    assert not IgnoreFile.parse("# nothing\n\n").excludes("a")


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("src/*.py/**", "src/a.py", True),
        ("src/*.py/**", "src/sub/a.py", False),
        ("cfg/**", "cfg/a/b.toml", True),
        ("{a,b}/**", "{a,b}/x", True),
        ("{a,b}/**", "a/x", False),
    ],
)
def test_copy_patterns_translate_to_config_globs(pattern: str, path: str, hit: bool) -> None:
    assert matches(go_pattern_to_glob(pattern), path) is hit


# --- .dockerignore: the cases Docker's documentation spells out -----------------------


@pytest.mark.critical
@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        # "*/temp*": names starting with temp in any immediate subfolder of the root
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/temp*", "somedir/temp/x", True),
        ("*/temp*", "temporary.txt", False),
        ("*/temp*", "a/b/temporary.txt", False),
        # "*/*/temp*": two levels below the root
        ("*/*/temp*", "somedir/subdir/temporary.txt", True),
        ("*/*/temp*", "somedir/temporary.txt", False),
        # "temp?": a one-character extension of temp, in the root
        ("temp?", "tempa", True),
        ("temp?", "tempab", False),
        ("temp?", "sub/tempa", False),
        # "**" matches any number of folders, zero included
        ("**/*.go", "main.go", True),
        ("**/*.go", "a/b/c.go", True),
        ("a/**/b", "a/b", True),
        ("a/**", "a/x/y", True),
        # "!" makes exceptions, and the last line that matches decides
        ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
        ("*.md\n!README*.md\nREADME-secret.md", "README-public.md", False),
        ("*.md\n!README*.md\nREADME-secret.md", "notes.md", True),
        ("*.md\nREADME-secret.md\n!README*.md", "README-secret.md", False),
        # a leading "/" or "./" changes nothing; patterns are cleaned (filepath.Clean)
        ("/foo/bar", "foo/bar", True),
        ("./foo/bar", "foo/bar/x", True),
        ("foo/../bar", "bar", True),
        ("foo//bar/", "foo/bar", True),
        # a comment is a line whose first column is "#"
        ("# *.md", "a.md", False),
        ("  # x", "  # x", False),
        ("  # x", "# x", True),  # not a comment: a pattern, trimmed
        # a matched folder excludes everything below it; an exception re-includes
        ("logs\n!logs/keep.txt", "logs/keep.txt", False),
        ("logs\n!logs/keep.txt", "logs/other.txt", True),
    ],
)
def test_dockerignore_documented_cases(patterns: str, path: str, excluded: bool) -> None:
    assert IgnoreFile.parse(patterns + "\n").excludes(path) is excluded


def test_a_byte_order_mark_does_not_hide_the_first_pattern() -> None:
    assert IgnoreFile.parse("\ufeffsecret\n").excludes("secret")
