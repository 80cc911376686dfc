"""Variables in COPY / ADD sources, remote ADD, and what an unknown value widens.

Expected outcomes are written from Docker's documented rules (Dockerfile reference:
"Environment replacement", "ARG" and its scope, "ENV", "ADD"), not from the code.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tiered_ci.globs import matches
from tiered_ci.images.dockerfile import context_sources, go_pattern_to_glob
from tiered_ci.images.variables import Scope, expand, known, split_words


def patterns(text: str, args: Mapping[str, str] | None = None) -> list[str]:
    found = context_sources(text, build_args=args)
    assert found.unresolved is None, found.unresolved
    return [s.pattern for s in found.sources]


def one(source: str, prelude: str = "", args: Mapping[str, str] | None = None) -> list[str]:
    return patterns(f"FROM scratch\n{prelude}COPY {source} /dst/\n", args)


# --- where a value comes from ----------------------------------------------------


@pytest.mark.critical
def test_an_arg_default_names_the_file() -> None:
    assert one("config/${MIX_ENV}.exs", "ARG MIX_ENV=prod\n") == ["config/prod.exs"]
    assert one("config/$MIX_ENV.exs", "ARG MIX_ENV=prod\n") == ["config/prod.exs"]


@pytest.mark.critical
def test_a_build_arg_wins_over_the_default() -> None:
    assert one("config/${E}.exs", "ARG E=prod\n", {"E": "test"}) == ["config/test.exs"]


def test_a_build_arg_for_an_undeclared_arg_is_not_used() -> None:
    # Docker warns "[E] were not consumed" and expands nothing from it.
    assert one("config/${E}.exs", "", {"E": "test"}) == ["config/*.exs", "config/*/**/*.exs"]


def test_a_global_arg_is_seen_in_a_stage_only_when_declared_again() -> None:
    text = "ARG DIR=lib\nFROM scratch\nCOPY $DIR/a /\n"
    assert patterns(text) == ["**/a"]
    text = "ARG DIR=lib\nFROM scratch\nARG DIR\nCOPY $DIR/a /\n"
    assert patterns(text) == ["lib/a"]
    # a build arg overrides the global default, and the stage's ARG takes it
    assert patterns(text, {"DIR": "src"}) == ["src/a"]


def test_a_stage_default_wins_over_the_global_one() -> None:
    text = "ARG DIR=lib\nFROM scratch\nARG DIR=own\nCOPY $DIR/a /\n"
    assert patterns(text) == ["own/a"]


def test_an_arg_goes_out_of_scope_at_the_end_of_its_stage() -> None:
    text = "FROM scratch AS one\nARG DIR=lib\nFROM scratch\nCOPY $DIR/a /\n"
    assert patterns(text) == ["**/a"]


def test_env_overrides_an_arg_of_the_same_name() -> None:
    assert one("$V", "ARG V=a\nENV V=b\n") == ["b"]


def test_env_is_inherited_by_a_stage_built_from_another() -> None:
    text = 'FROM scratch AS base\nENV D="lib"\nFROM base AS next\nCOPY $D /x\n'
    assert patterns(text) == ["lib"]
    # ... and not by a stage built from an image
    assert patterns("FROM scratch AS base\nENV D=lib\nFROM alpine\nCOPY $D/a /x\n") == ["**/a"]


def test_env_on_one_line_expands_against_the_values_before_it() -> None:
    # The Dockerfile reference's own example: def is "hello", ghi is "bye".
    prelude = "ENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n"
    assert one("$def $ghi", prelude) == ["hello", "bye"]


def test_the_old_env_form_takes_the_rest_of_the_line() -> None:
    assert one("${D}", "ENV D lib/x\n") == ["lib/x"]


def test_an_arg_without_default_or_build_arg_is_unknown() -> None:
    assert one("bin/${TARGETARCH}/tool", "ARG TARGETARCH\n") == ["bin/**/tool"]


def test_an_arg_value_may_use_earlier_variables() -> None:
    assert one("$B", "ARG A=x\nARG B=$A/y\n") == ["x/y"]


@pytest.mark.parametrize(
    ("prelude", "source", "expected"),
    [
        ("ARG V=\n", "a${V:-dflt}", ["adflt"]),  # empty counts as unset for :-
        ("ARG V=set\n", "a${V:-dflt}", ["aset"]),
        ("ARG V=set\n", "a${V:+alt}", ["aalt"]),
        ("ARG V=\n", "a${V:+alt}", ["a"]),
        ("ARG V=\nARG W=w\n", "${V:-$W}/x", ["w/x"]),  # the word is expanded too
        ("ARG V=x\n", "'$V'", ["$V"]),  # single quotes keep $ literal
        ("ARG V=x\n", '"$V"', ["x"]),
        ("ARG V=x\n", "\\$V", ["$V"]),  # an escaped dollar is literal
        ("ARG V=x\n", "a$/b", ["a$/b"]),  # a dollar not followed by a name
    ],
)
def test_docker_substitution_rules(prelude: str, source: str, expected: list[str]) -> None:
    assert one(source, prelude) == expected


def test_json_form_sources_are_expanded_too() -> None:
    assert patterns('FROM scratch\nARG D=lib\nCOPY ["$D/a b", "/x"]\n') == ["lib/a b"]


def test_from_with_a_known_variable_reads_the_named_context_or_a_stage() -> None:
    text = "FROM scratch AS build\nARG SRC=build\nCOPY --from=$SRC /out /out\n"
    assert patterns(text) == []  # a stage: nothing from the context


def test_bind_mount_sources_resolve_like_copy_sources() -> None:
    text = "FROM scratch\nARG REQ=requirements.txt\nRUN --mount=source=$REQ,target=/r pip\n"
    assert patterns(text) == ["requirements.txt"]


# --- remote ADD ------------------------------------------------------------------


@pytest.mark.critical
def test_a_remote_add_reads_no_file_of_the_repository() -> None:
    text = (
        "FROM scratch\n"
        "ARG VERSION\n"
        "ADD --chmod=644 https://example.invalid/v$VERSION/agent.jar /agent.jar\n"
        "ADD git@example.invalid:a/b.git /b\n"
        "ADD https://example.invalid/x.tgz local.tgz /\n"
        "COPY src /src\n"
    )
    assert patterns(text) == ["local.tgz", "src"]


# --- what an unknown value widens ---------------------------------------------------


@pytest.mark.critical
@pytest.mark.parametrize(
    ("source", "path", "read"),
    [
        # a partly unknown segment: `*` there, or folders if the value holds a `/`
        ("config/${E}.exs", "config/prod.exs", True),
        ("config/${E}.exs", "config/.exs", True),  # E empty
        ("config/${E}.exs", "config/a/b.exs", True),  # E = "a/b"
        ("config/${E}.exs", "config/prod.ex", False),
        ("config/${E}.exs", "lib/prod.exs", False),
        ("config/${E}.exs", "config/prod.exs.bak", False),
        # a segment that is all unknown: any number of folders, none included
        ("${A}/x", "x", True),
        ("${A}/x", "a/x", True),
        ("${A}/x", "a/b/x", True),
        ("${A}/x", "a/y", False),
        ("src/${A}${B}/lib", "src/one/lib/m.py", True),
        ("src/${A}${B}/lib", "other/one/lib/m.py", False),
    ],
)
def test_an_unknown_value_widens_only_its_own_segment(source: str, path: str, read: bool) -> None:
    globs = [go_pattern_to_glob(p) + "/**" for p in one(source)]
    assert any(matches(glob, path) for glob in globs) is read


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("$NOPE", "uses a variable whose value is not known"),
        ("${NOPE}/${ALSO}", "uses a variable whose value is not known"),
        ("${A}/../x", "climbs out of a folder a variable names"),
        ("${A:?required}", "uses a variable whose value is not known"),
    ],
)
def test_what_cannot_be_narrowed_keeps_the_whole_context(source: str, why: str) -> None:
    found = context_sources(f"FROM scratch\nCOPY {source} /dst/\n")
    assert found.unresolved == f"line 2: COPY source {source!r} {why}"


def test_an_unsupported_operator_is_an_unknown_stretch() -> None:
    assert one("a/${V%.txt}.txt", "ARG V=x.txt\n") == ["a/*.txt", "a/*/**/*.txt"]


# --- the lexer on its own ------------------------------------------------------------


def test_expand_keeps_unknown_stretches_apart_from_known_text() -> None:
    def lookup(name: str) -> tuple[str | None, ...] | None:
        return {"K": ("k",)}.get(name)

    assert expand("a$K${U}b", lookup) == ("ak", None, "b")
    assert known(expand("a$K", lookup)) == "ak"
    assert known(expand("$U", lookup)) is None


def test_split_words_keeps_quoted_spaces() -> None:
    assert split_words('A="x y" B=z') == ['A="x y"', "B=z"]


def test_the_escape_directive_escapes_dollars_too() -> None:
    scope = Scope({}, escape="`")
    scope.start_stage("scratch")
    scope.declare_args("V=x")
    assert scope.expand("`$V/$V") == ("$V/x",)
