"""Parts of the recorder: the import watch (which loaders it wraps, what a wrapped one does)
and the coverage core it asks for."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import cast

import pytest

from tiered_ci.impact import record


class _Recorder:
    """What the watch asks of the recorder: whose file it is, and the contexts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.contexts: list[str] = []
        self.held: list[str] = []

    def ours(self, filename: str) -> bool:
        return filename.startswith(f"{self.root}/")

    def importing(self, module: object) -> str:
        return f"import:{Path(str(getattr(module, '__file__', ''))).name}"

    def push(self, context: str) -> None:
        self.contexts.append(context)

    def pop(self) -> None:
        self.contexts.append("pop")

    def imported(self, rel: str) -> None:
        self.held.append(rel)


def test_only_the_repository_s_modules_run_in_an_import_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "watched_sample.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fake = _Recorder(tmp_path)
    watch = record._ImportWatch(cast("record.Recorder", fake))
    spec = watch.find_spec("watched_sample", None)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == 1
    assert fake.contexts == ["import:watched_sample.py", "pop"]
    assert fake.held == ["watched_sample.py"]  # the importer holds the module
    # A built-in module's loader is a class shared by every built-in: left alone.
    builtin = watch.find_spec("itertools", None)
    assert builtin is not None
    assert builtin.loader is not None
    assert not hasattr(builtin.loader, "_tiered_ci_impact_watched")
    assert next(itertools.count(3)) == 3  # still works as ever


@pytest.mark.unmeasured
def test_recording_asks_coverage_for_a_trace_function_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coverage = pytest.importorskip("coverage")
    # What a user's environment may ask for: the core that switches no context.
    monkeypatch.setenv("COVERAGE_CORE", "sysmon")
    cov = coverage.Coverage(data_file=None, config_file=False)
    record.trace_core(cov)
    assert cov.get_option("run:core") in {"ctrace", "pytrace"}
