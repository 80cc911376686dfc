"""Lines per context kept in memory match coverage.py's own dynamic contexts."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import coverage
import pytest

from tiered_ci.impact import executed

# Coverage objects of its own: never in a process the suite's coverage measures.
pytestmark = pytest.mark.unmeasured

WORKLOAD = """\
def shared(x):
    if x > 1:
        return x * 2
    return x


def switching(contexts, into):
    first = shared(1)
    contexts.switch(into)  # this frame goes on running in the next context
    second = shared(3)
    return first + second


def only_b():
    total = 0
    for i in range(3):
        total += i
    return total
"""


def _module(tmp_path: Path) -> ModuleType:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "workload.py"
    path.write_text(WORKLOAD, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("impact_contexts_workload", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(
    tmp_path: Path,
    make: Callable[[coverage.Coverage], executed.Contexts],
    *,
    branch: bool = False,
) -> tuple[executed.Contexts, dict[str, dict[int, set[str]]]]:
    module = _module(tmp_path)
    cov = coverage.Coverage(
        data_file=None, config_file=False, include=[f"{tmp_path}/*"], branch=branch
    )
    cov.start()
    try:
        kept = make(cov)
        kept.switch("a")
        module.shared(1)
        kept.switch("b")
        module.only_b()
        module.shared(5)
        kept.switch("a")  # a context run twice holds both runs' lines
        module.shared(7)
        module.switching(kept, "c")
        kept.switch("a")
    finally:
        kept.stop()
    if not branch:  # lines measured elsewhere, e.g. by a child process
        kept.add({"d": {str(tmp_path / "workload.py"): [1, 2]}, "e": {}})
    lines = kept.read()
    found = {
        name: {line: set(ran) for line, ran in lines.contexts_by_lineno(name).items()}
        for name in lines.measured_files()
    }
    return kept, found


def test_memory_contexts_hold_what_coverage_contexts_hold(tmp_path: Path) -> None:
    kept, in_memory = _run(tmp_path / "memory", executed.for_coverage)
    assert isinstance(kept, executed.MemoryContexts)
    _, in_coverage = _run(tmp_path / "coverage", executed.CoverageContexts)
    assert in_memory == {
        name.replace("/coverage/", "/memory/"): lines for name, lines in in_coverage.items()
    }
    (lines,) = in_memory.values()
    assert lines[3] == {"b", "a", "c"}  # shared's `x * 2`: b (5), a (7), c (3)
    assert lines[4] == {"a"}  # shared's `return x`: only ever x == 1, in a
    assert lines[15] == {"b"}
    assert lines[1] == {"d"}
    assert lines[8] == {"a"}  # one frame, two contexts
    assert lines[10] == {"c"}


def test_coverage_measuring_branches_keeps_coverage_contexts(tmp_path: Path) -> None:
    kept, found = _run(tmp_path, executed.for_coverage, branch=True)
    assert isinstance(kept, executed.CoverageContexts)
    (lines,) = found.values()
    assert lines[4] == {"a"}


def test_an_unknown_coverage_version_keeps_coverage_contexts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coverage, "version_info", (8, 0, 0, "final", 0))
    kept, found = _run(tmp_path, executed.for_coverage)
    assert isinstance(kept, executed.CoverageContexts)
    (lines,) = found.values()
    assert lines[15] == {"b"}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is Python 3.12+")
@pytest.mark.filterwarnings("ignore::coverage.exceptions.CoverageWarning")
def test_sys_monitoring_keeps_coverage_contexts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COVERAGE_CORE", "sysmon")
    cov = coverage.Coverage(data_file=None, config_file=False, include=[f"{tmp_path}/*"])
    cov.start()
    try:
        kept = executed.for_coverage(cov)
    finally:
        cov.stop()
    assert isinstance(kept, executed.CoverageContexts)
