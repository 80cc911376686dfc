"""`tiered-ci import-filters`: valid TOML that tiered_ci.config accepts, with the untranslatable marked."""

from __future__ import annotations

from pathlib import Path

from filter_support import filters_from

from tiered_ci import config
from tiered_ci._toml import tomllib
from tiered_ci.commands.import_filters import to_toml

DORNY = """
shared: &shared
  - 'libs/common/**'
backend:
  - *shared
  - 'src/backend/**'
  - '!**/*.md'
migrations:
  - added|modified: 'db/migrations/**'
notdocs: '!docs/**'
ui:
  - '!(**/*.tsx|**/*.less)'
  - 'web/**'
"my app":
  - 'apps/my app/**'
"""


def _domains(text: str) -> dict[str, list[str]]:
    table = tomllib.loads(text)["tool"]["tiered-ci"]
    parsed = config.parse(table, root=Path())
    return {name: list(domain.paths) for name, domain in parsed.domains.items()}


def test_fragment_is_valid_config() -> None:
    text = to_toml(filters_from(DORNY, outputs=False), "some", "filters.yml")
    assert _domains(text) == {
        "shared": ["libs/common/**"],
        "backend": ["libs/common/**", "src/backend/**", "!**/*.md"],
        "migrations": ["db/migrations/**"],
        "notdocs": ["**", "!docs/**"],
        "ui": ["web/**"],
        "my app": ["apps/my app/**"],
    }


def test_untranslatable_rules_are_marked() -> None:
    text = to_toml(filters_from(DORNY, outputs=False), "some", "filters.yml")
    assert (
        '"db/migrations/**",  # not translated: only for added|modified files in dorny; here for any change'
        in text
    )
    assert (
        '# "!(**/*.tsx|**/*.less)",  # not translated: picomatch-only syntax; rewrite as plain globs'
        in text
    )
    assert (
        "# check: dorny ('some') OR-ed each '!glob' (it matched every other file); here '!glob' excludes, which is usually what was meant"
        in text
    )
    assert '[tool.tiered-ci.domains."my app"]' in text


def test_every_with_several_positives_is_marked() -> None:
    text = to_toml(filters_from("both: ['a/**', '**/*.py']"), "every", "f.yml")
    assert (
        "# not translated: under 'every' a file had to match ALL of these globs; tiered-ci runs the domain when ANY matches"
        in text
    )
    assert _domains(text) == {"both": ["a/**", "**/*.py"]}


def test_every_with_one_positive_and_exclusions_is_exact() -> None:
    text = to_toml(filters_from("pkg: ['pkg/**', '!**/*.md']"), "every", "f.yml")
    assert "# not translated:" not in text
    assert "# check:" not in text
    assert _domains(text) == {"pkg": ["pkg/**", "!**/*.md"]}
