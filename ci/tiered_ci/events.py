"""GitHub event context -> Trigger.

Reads the event name and payload the way GitHub Actions exposes them
(`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`), with `--event` / `--event-path`
taking precedence. Without either, the trigger is `local`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from tiered_ci.errors import InputError

ZERO_SHA = "0" * 40

# Events a user may name with --event. Everything not planned specially runs all.
KNOWN_EVENTS = (
    "local",
    "pull_request",
    "pull_request_target",
    "push",
    "merge_group",
    "schedule",
    "workflow_dispatch",
    "workflow_call",
    "workflow_run",
    "repository_dispatch",
    "release",
)


@dataclass(frozen=True, slots=True)
class Trigger:
    """What started the run, reduced to what change detection and the policy need."""

    event: str  # the GitHub event name, or "local"
    kind: str  # one of tiered_ci.config.TRIGGER_KINDS
    action: str | None = None
    ref: str | None = None  # push: the pushed ref
    base_ref: str | None = None  # pull_request / merge_group: the target branch name
    base_sha: str | None = None  # pull_request base.sha, merge_group base_sha
    head_sha: str | None = None
    before: str | None = None  # push: the previous tip (40 zeros for a new branch)
    forced: bool = False
    default_branch: str | None = None  # from the payload's repository, when present


def local() -> Trigger:
    return Trigger(event="local", kind="local")


def from_environment(
    env: Mapping[str, str],
    *,
    event: str | None = None,
    event_path: Path | None = None,
    default_branch: str = "main",
) -> Trigger:
    """Build the Trigger from flags (which win) and the GitHub Actions environment."""
    if event is not None and event not in KNOWN_EVENTS:
        raise InputError(
            f"--event {event!r}: unknown event; expected one of {', '.join(KNOWN_EVENTS)}"
        )
    name = event or env.get("GITHUB_EVENT_NAME") or "local"
    if name == "local" and event_path is None:
        return local()
    path = event_path
    if path is None and env.get("GITHUB_EVENT_PATH"):
        path = Path(env["GITHUB_EVENT_PATH"])
    payload = read_payload(path, flag=event_path is not None) if path is not None else {}
    return from_payload(name, payload, default_branch=default_branch)


def read_payload(path: Path, *, flag: bool = True) -> dict[str, object]:
    source = "--event-path" if flag else "GITHUB_EVENT_PATH"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{source} {path}: cannot read the event payload ({exc.__class__.__name__}); "
            "pass the JSON file GitHub wrote for this event"
        ) from exc
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source} {path}: not valid JSON (line {exc.lineno}, column {exc.colno}); "
            "pass the JSON file GitHub wrote for this event"
        ) from exc
    except RecursionError:
        # json's decoder recurses per nesting level; GitHub's payloads are a few levels deep.
        raise InputError(
            f"{source} {path}: nested too deeply to be a GitHub event payload; "
            "pass the JSON file GitHub wrote for this event"
        ) from None
    if not isinstance(payload, dict):
        raise InputError(f"{source} {path}: expected a JSON object, got {type(payload).__name__}")
    return cast("dict[str, object]", payload)


def from_payload(
    name: str, payload: Mapping[str, object], *, default_branch: str = "main"
) -> Trigger:
    """Pure: event name + payload -> Trigger."""
    repo_default = _str(_obj(payload, "repository"), "default_branch")
    branch = repo_default or default_branch
    action = _str(payload, "action")
    if name in ("pull_request", "pull_request_target"):
        pr = _obj(payload, "pull_request")
        base, head = _obj(pr, "base"), _obj(pr, "head")
        return Trigger(
            event=name,
            kind="ready_for_review" if action == "ready_for_review" else "pull_request",
            action=action,
            base_ref=_str(base, "ref"),
            base_sha=_str(base, "sha"),
            head_sha=_str(head, "sha"),
            default_branch=repo_default,
        )
    if name == "push":
        return _push(payload, branch, repo_default)
    if name == "merge_group":
        group = _obj(payload, "merge_group")
        base_ref = _str(group, "base_ref")
        return Trigger(
            event=name,
            kind="merge_group",
            action=action,
            base_ref=base_ref.removeprefix("refs/heads/") if base_ref else None,
            base_sha=_str(group, "base_sha"),
            head_sha=_str(group, "head_sha"),
            default_branch=repo_default,
        )
    if name in ("schedule", "workflow_dispatch"):
        return Trigger(event=name, kind=name, action=action, default_branch=repo_default)
    return Trigger(event=name, kind="other", action=action, default_branch=repo_default)


def _push(payload: Mapping[str, object], branch: str, repo_default: str | None) -> Trigger:
    ref = _str(payload, "ref")
    deleted = payload.get("deleted") is True
    # A tag push or a branch deletion has no diff worth planning: run everything.
    plain_branch = ref is not None and ref.startswith("refs/heads/") and not deleted
    if not plain_branch:
        kind = "other"
    elif ref == f"refs/heads/{branch}":
        kind = "push_default"
    else:
        kind = "push"
    return Trigger(
        event="push",
        kind=kind,
        ref=ref,
        before=_str(payload, "before"),
        head_sha=_str(payload, "after"),
        forced=payload.get("forced") is True,
        default_branch=repo_default,
    )


def _obj(payload: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = payload.get(key)
    return cast("Mapping[str, object]", value) if isinstance(value, dict) else {}


def _str(payload: Mapping[str, object], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) and value else None
