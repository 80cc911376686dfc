"""The plan's JSON: `report.to_json` writes exactly what `json.dumps` of `Plan.to_json()`
writes, however odd the file names (it encodes the long lists by hand, for speed)."""

from __future__ import annotations

import json

import pytest
from test_pipeline import PR, _config, _plan, _watches

from tiered_ci import report
from tiered_ci.changes import ChangedFile, ChangeSet
from tiered_ci.pipeline import plan_change

ODD = [
    'src/billing/quote"d.py',
    "src/billing/back\\slash.py",
    "src/billing/ünïcode ✓.py",
    "src/billing/tab\tnew\nline\x01.py",
    "src/billing/\udcffraw.py",  # a non-UTF-8 byte, as git's output decodes it
    "docs/notes.md",  # ignored: a path with no reason
    "unclaimed/x.py",  # unmapped: run-all with a reason
]


def _odd_files() -> tuple[ChangedFile, ...]:
    files = [ChangedFile(path, "modified") for path in ODD]
    files.append(ChangedFile("src/search/new.py", "renamed", old_path="src/billing/old ✓.py"))
    files.append(ChangedFile("src/search/gone.py", "deleted"))
    return tuple(files)


@pytest.mark.parametrize("fallback", [None, "base unreachable: run everything"])
def test_compact_json_is_json_dumps_byte_for_byte(fallback: str | None) -> None:
    plan = _plan(*_odd_files(), fallback=fallback)
    assert plan.changed
    assert plan.reasons
    assert any(r.path is None for r in plan.reasons)  # session reasons name no path

    text = report.to_json(plan)

    assert text == json.dumps(plan.to_json(), ensure_ascii=False) + "\n"
    assert json.loads(text)["changed"][3]["path"] == ODD[3]


def test_an_empty_plan_is_json_dumps_too() -> None:
    config = _config()
    plan = plan_change(config, PR, ChangeSet("a" * 40, "b" * 40, ()), _watches(config))

    assert report.to_json(plan) == json.dumps(plan.to_json(), ensure_ascii=False) + "\n"
    assert (
        report.to_json(plan, pretty=True)
        == json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
    )
