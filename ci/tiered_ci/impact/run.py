"""`pytest --impact-select=FILE`: run what a `tiered-ci impact select` JSON selects.

Only the tests the selection names as unaffected are deselected: a test the
map has never seen (new, renamed, parametrized differently) runs. The filter
runs with pytest's own `-m`/`-k` deselection and before `--shard=K/N` splits
(so shards balance the selected tests); under xdist every worker filters the
same way, and the controller prints the count the workers report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

__all__ = ["WORKER_OUTPUT", "Selector", "load"]

WORKER_OUTPUT = "tiered_ci_impact_select"


def load(path: Path) -> Selector:
    """Read a select JSON; a bad file is a usage error naming it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise pytest.UsageError(
            f"--impact-select={path}: not a readable selection ({exc}); write one with "
            "`tiered-ci impact select --map MAP --output FILE`"
        ) from None
    if not isinstance(document, dict) or document.get("version") != 1 or "mode" not in document:
        raise pytest.UsageError(
            f"--impact-select={path}: not a `tiered-ci impact select` JSON (version 1)"
        )
    unaffected = document.get("unaffected_tests") or []
    if document["mode"] == "all":
        unaffected = []
    return Selector(frozenset(str(t) for t in unaffected), document)


class Selector:
    def __init__(self, unaffected: frozenset[str], document: dict[str, Any]) -> None:
        self.unaffected = unaffected
        self.document = document
        self.counts: tuple[int, int] | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep = [item for item in items if item.nodeid not in self.unaffected]
        dropped = [item for item in items if item.nodeid in self.unaffected]
        self.counts = (len(keep), len(items))
        if dropped:
            items[:] = keep
            config.hook.pytest_deselected(items=dropped)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:  # noqa: ANN401, ARG002 - xdist's hook signature
        counts = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
        if self.counts is None and counts:
            self.counts = (int(counts[0]), int(counts[1]))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(session.config, "workerinput") and self.counts is not None:
            session.config.workeroutput[WORKER_OUTPUT] = list(self.counts)  # type: ignore[attr-defined]
        ran, total = self.counts or (0, 0)
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and total and not ran:
            # Nothing the change can break in this session: that is a pass, not exit 5.
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.counts is None:
            return
        ran, total = self.counts
        mode = self.document.get("mode")
        why = f" (mode all: {self.document.get('fallback_reason')})" if mode == "all" else ""
        terminalreporter.write_line(f"impact: ran {ran} of {total} tests{why}")
