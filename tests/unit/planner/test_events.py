"""GitHub payload shapes -> Trigger (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from planner_fixtures import payload

from tiered_ci import events
from tiered_ci.errors import InputError


def test_pull_request_opened() -> None:
    trigger = events.from_payload("pull_request", payload("pull_request.opened"))
    assert trigger == events.Trigger(
        event="pull_request",
        kind="pull_request",
        action="opened",
        base_ref="master",
        base_sha="f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        default_branch="master",
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pull_request.synchronize", "pull_request"),
        ("pull_request.ready_for_review", "ready_for_review"),
    ],
)
def test_pull_request_actions(name: str, kind: str) -> None:
    assert events.from_payload("pull_request", payload(name)).kind == kind


def test_push_to_the_default_branch() -> None:
    trigger = events.from_payload("push", payload("push", ref="refs/heads/master"))
    assert trigger.kind == "push_default"
    assert trigger.before is not None
    assert not trigger.forced


def test_push_to_another_branch() -> None:
    trigger = events.from_payload("push", payload("push"))
    assert (trigger.kind, trigger.ref) == ("push", "refs/heads/bkeepers-patch-3")


def test_push_of_a_new_branch_keeps_the_zero_before() -> None:
    trigger = events.from_payload("push", payload("push.new_branch", ref="refs/heads/topic"))
    assert trigger.before == events.ZERO_SHA
    assert trigger.kind == "push"


def test_forced_push() -> None:
    trigger = events.from_payload("push", payload("push.forced"))
    assert trigger.forced
    assert trigger.kind == "push_default"  # refs/heads/master on a repo whose default is master


def test_tag_push_and_branch_deletion_run_everything() -> None:
    assert events.from_payload("push", payload("push", ref="refs/tags/v1")).kind == "other"
    deleted = payload("push", deleted=True)
    assert events.from_payload("push", deleted).kind == "other"


def test_merge_group() -> None:
    trigger = events.from_payload("merge_group", payload("merge_group.checks_requested"))
    assert trigger.kind == "merge_group"
    assert trigger.base_ref == "main"
    assert trigger.base_sha == "380387fbc80638b734a49e1be1c4dfec1c01b33c"
    assert trigger.head_sha == "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"


@pytest.mark.parametrize("name", ["schedule", "workflow_dispatch"])
def test_schedule_and_dispatch(name: str) -> None:
    assert events.from_payload(name, payload(name)).kind == name


def test_unknown_environment_event_runs_everything() -> None:
    trigger = events.from_environment({"GITHUB_EVENT_NAME": "deployment"})
    assert trigger.kind == "other"


def test_no_environment_is_local() -> None:
    assert events.from_environment({}) == events.local()


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"schedule": "0 3 * * *"}')
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nonexistent"}
    trigger = events.from_environment(env, event="schedule", event_path=path)
    assert trigger.kind == "schedule"


def test_unknown_event_flag_is_a_usage_error() -> None:
    with pytest.raises(InputError) as info:
        events.from_environment({}, event="pull-request")
    assert str(info.value).startswith(
        "--event 'pull-request': unknown event; expected one of local, "
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "not valid JSON (line 1, column 2); pass the JSON file GitHub wrote for this event",
        ),
        ("[1, 2]", "expected a JSON object, got list"),
    ],
)
def test_malformed_event_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        events.from_environment({}, event="push", event_path=path)
    assert str(info.value) == f"--event-path {path}: {message}"


def test_unreadable_event_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        events.from_environment({}, event="push", event_path=tmp_path / "missing.json")
    assert str(info.value) == (
        f"--event-path {tmp_path / 'missing.json'}: cannot read the event payload "
        "(FileNotFoundError); pass the JSON file GitHub wrote for this event"
    )
