"""Which plugins a repository's pytest `addopts` cannot run without (pure)."""

from __future__ import annotations

from tiered_ci import plugin_options


def test_plugin_options_name_their_distribution_once_each() -> None:
    addopts = ["-ra", "-nauto", "--dist=loadfile", "--cov=src", "--cov-report", "xml", "-x"]
    assert plugin_options.needed(addopts) == [
        ("-nauto", "pytest-xdist"),
        ("--cov=src", "pytest-cov"),
    ]
    assert plugin_options.needed(["--benchmark-disable", "--strict-markers"]) == [
        ("--benchmark-disable", "pytest-benchmark")
    ]
    assert plugin_options.needed(["-q", "--tb=short", "--no-header"]) == []


def test_missing_compares_normalised_distribution_names() -> None:
    addopts = ["-n", "4", "--timeout=60"]
    assert plugin_options.missing(addopts, ["pytest", "Pytest_Xdist"]) == [
        ("--timeout=60", "pytest-timeout")
    ]
