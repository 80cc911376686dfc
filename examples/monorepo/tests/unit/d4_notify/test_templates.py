from __future__ import annotations

import pytest

from app.d4_notify.templates import MissingValueError, placeholders, render


@pytest.mark.smoke
def test_values_are_html_escaped() -> None:
    assert render("<p>{{ name }}</p>", {"name": "<Ann & Bo>"}) == "<p>&lt;Ann &amp; Bo&gt;</p>"


def test_raw_filter_skips_escaping() -> None:
    assert render("{{ link | raw }}", {"link": "<a href='/x'>x</a>"}) == "<a href='/x'>x</a>"


def test_missing_values_are_named() -> None:
    with pytest.raises(MissingValueError, match="template needs total, due"):
        render("{{ total }} by {{due}} for {{ name }}", {"name": "Ann"})


def test_placeholders_in_order_of_first_use() -> None:
    assert placeholders("{{b}} {{ a }} {{ b | raw }}") == ["b", "a"]


def test_unescaped_rendering_for_plain_text() -> None:
    assert render("{{ x }}", {"x": "a&b"}, escape=False) == "a&b"
