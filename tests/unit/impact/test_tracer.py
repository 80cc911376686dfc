"""Which tracer `pytest --impact-record` measures with (`TIERED_CI_IMPACT_TRACER`)."""

from __future__ import annotations

import sys

import pytest

from tiered_ci.impact import monitor, record


def test_unset_is_the_monitor_on_python_312_and_313_and_coverage_elsewhere() -> None:
    expected = "monitor" if (3, 12) <= sys.version_info < (3, 14) else "coverage"
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
        "or monitor (or leave it unset: monitor on Python 3.12 and 3.13, coverage on other "
        "versions)"
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
    not monitor.AVAILABLE or monitor.TRUSTED, reason="Python 3.14+ (sys.monitoring untried)"
)
def test_the_monitor_where_its_lines_are_not_trusted_is_refused() -> None:
    with pytest.raises(pytest.UsageError) as raised:
        record.tracer({record.TRACER_VAR: "monitor"})
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert str(raised.value) == (
        "--impact-record: TIERED_CI_IMPACT_TRACER=monitor is trusted on Python 3.12 and "
        f"3.13 only: on {version} its lines have not been compared with coverage's (3.13 "
        "needed a workaround not to lose lines), and a map missing lines misses tests; set "
        "it to coverage or leave it unset"
    )


@pytest.mark.skipif(not monitor.TRUSTED, reason="sys.monitoring is trusted on 3.12, 3.13")
def test_the_monitor_can_be_asked_for_on_python_312_and_313() -> None:
    assert record.tracer({record.TRACER_VAR: "monitor"}) == "monitor"
