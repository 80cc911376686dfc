"""Which tracer `pytest --impact-record` measures with (`TIERED_CI_IMPACT_TRACER`)."""

from __future__ import annotations

import sys

import pytest

from tiered_ci.impact import monitor, record


def test_unset_is_the_monitor_on_python_312_and_coverage_elsewhere() -> None:
    expected = "monitor" if sys.version_info[:2] == (3, 12) else "coverage"
    assert record.tracer({}) == expected
    assert record.tracer({record.TRACER_VAR: "  "}) == expected


def test_coverage_can_be_asked_for_anywhere() -> None:
    assert record.tracer({record.TRACER_VAR: "coverage"}) == "coverage"
    assert record.tracer({record.TRACER_VAR: " Coverage "}) == "coverage"


def test_a_bad_value_names_the_variable_and_the_accepted_values() -> None:
    with pytest.raises(pytest.UsageError) as raised:
        record.tracer({record.TRACER_VAR: "sysmon"})
    assert str(raised.value) == (
        "--impact-record: TIERED_CI_IMPACT_TRACER='sysmon' is not a tracer: use coverage "
        "or monitor (or leave it unset: monitor on Python 3.12, coverage on other versions)"
    )


@pytest.mark.skipif(monitor.AVAILABLE, reason="Python 3.12+ has sys.monitoring")
def test_the_monitor_before_python_312_is_refused() -> None:
    with pytest.raises(pytest.UsageError) as raised:
        record.tracer({record.TRACER_VAR: "monitor"})
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert str(raised.value) == (
        "--impact-record: TIERED_CI_IMPACT_TRACER=monitor needs sys.monitoring, Python 3.12 "
        f"or later (this is {version}): set it to coverage or leave it unset"
    )


@pytest.mark.skipif(
    not monitor.AVAILABLE or monitor.TRUSTED, reason="Python 3.13+ (sys.monitoring untrusted)"
)
def test_the_monitor_where_its_lines_are_not_trusted_is_refused() -> None:
    with pytest.raises(pytest.UsageError) as raised:
        record.tracer({record.TRACER_VAR: "monitor"})
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert str(raised.value) == (
        "--impact-record: TIERED_CI_IMPACT_TRACER=monitor is trusted on Python 3.12 only: "
        f"on {version} sys.monitoring may drop the line of a one-line function (a lambda, "
        "a generator expression) after its first test, and the map would miss tests; set "
        "it to coverage or leave it unset"
    )


@pytest.mark.skipif(not monitor.TRUSTED, reason="sys.monitoring is trusted on Python 3.12")
def test_the_monitor_can_be_asked_for_on_python_312() -> None:
    assert record.tracer({record.TRACER_VAR: "monitor"}) == "monitor"
