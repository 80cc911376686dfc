"""The stand-in actions cover every action the workflows pin, and parse (a broken
stand-in would fail a scenario for the wrong reason)."""

from __future__ import annotations

from pathlib import Path

import yaml
from harness import ACTIONS, STAND_INS, pinned_actions


def test_every_pinned_action_has_a_stand_in() -> None:
    assert set(pinned_actions()) == set(STAND_INS)


def test_every_stand_in_is_a_composite_action_whose_inputs_have_descriptions() -> None:
    files = sorted(ACTIONS.rglob("action.yml"))
    assert {p.parent.relative_to(ACTIONS).parts[0] for p in files} == set(STAND_INS.values())
    for path in files:
        action = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        assert action["runs"]["using"] == "composite", path
        assert all(spec.get("description") for spec in (action.get("inputs") or {}).values()), path
        assert all("shell" in step for step in action["runs"]["steps"]), path
