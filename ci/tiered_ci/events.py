"""GitHub event context -> Trigger.

Reads the event name and payload the way GitHub Actions exposes them
(`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`), with `--event` / `--event-path`
taking precedence. Without either, the trigger is `local`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from tiered_ci.errors import InputError

__all__ = [
    "KNOWN_EVENTS",
    "ZERO_SHA",
    "Trigger",
    "from_environment",
    "from_payload",
    "local",
    "read_payload",
]

ZERO_SHA = "0" * 40

# A full commit id: SHA-1 (40 hex digits) or SHA-256 (64). GitHub always writes one of
# these; anything else (a ref name, `HEAD`, an option such as `--upload-pack=...`) in a
# SHA field is a forged or broken payload, and would reach git as a revision or option.
_SHA = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})")
# What `git check-ref-format` forbids anywhere in a ref name.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")

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
    labels: tuple[str, ...] = ()  # pull_request: the names of its labels


def is_sha(value: str) -> bool:
    """A full SHA-1 or SHA-256 commit id in lower-case hex. Pure."""
    return _SHA.fullmatch(value) is not None


def is_ref_name(name: str) -> bool:
    """`name` is a valid ref name by `git check-ref-format` rules, and not option-shaped.

    Checked: no control characters, space, `~ ^ : ? * [ \\`, `..`, `@{` or `//`;
    no leading or trailing `/`, no trailing `.`; no component starting with `.` or
    ending with `.lock`; not `@`; and (unlike git, which takes it after `refs/heads/`)
    no leading `-`, so the name can never be read as an option. Pure.
    """
    if not name or name == "@" or name.startswith(("-", "/")) or name.endswith(("/", ".")):
        return False
    if _REF_FORBIDDEN.search(name):
        return False
    return not any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))


def is_branch_name(name: str) -> bool:
    """A short branch name (`main`, `feat/x`) as `git check-ref-format --branch` takes it:
    a valid ref name that is not `HEAD` and not a full ref. Pure."""
    return is_ref_name(name) and name != "HEAD" and not name.startswith("refs/")


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
    try:
        return from_payload(name, payload, default_branch=default_branch)
    except InputError as exc:
        source = "--event-path" if event_path is not None else "GITHUB_EVENT_PATH"
        raise InputError(f"{source} {path}: {exc}") from None


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
    """Pure: event name + payload -> Trigger.

    Every SHA and ref the trigger takes from the payload is validated (InputError
    naming the key): they become git revisions, refspecs and fetch arguments.
    """
    return _validated(_trigger(name, payload, default_branch=default_branch))


_SHA_FIELDS = {
    "before": "before",
    "head_sha": "the head SHA (after, pull_request.head.sha, merge_group.head_sha)",
    "base_sha": "the base SHA (pull_request.base.sha, merge_group.base_sha)",
}
_BRANCH_FIELDS = {
    "base_ref": "the base branch (pull_request.base.ref, merge_group.base_ref)",
    "default_branch": "repository.default_branch",
}


def _validated(trigger: Trigger) -> Trigger:
    for field, key in _SHA_FIELDS.items():
        value = getattr(trigger, field)
        if value is not None and not is_sha(value):
            raise InputError(
                f"event payload: {key}: {value[:80]!r} is not a commit SHA (40 or 64 lower-case "
                "hex digits, as GitHub writes it); pass the payload GitHub wrote for this event"
            )
    invalid = [
        (key, value)
        for field, key in _BRANCH_FIELDS.items()
        if (value := getattr(trigger, field)) is not None and not is_branch_name(value)
    ]
    if trigger.ref is not None and not is_ref_name(trigger.ref):
        invalid.append(("ref", trigger.ref))
    if invalid:
        key, value = invalid[0]
        raise InputError(
            f"event payload: {key}: {value[:80]!r} is not a valid git "
            f"{'ref' if key == 'ref' else 'branch'} name; pass the payload GitHub wrote for "
            "this event"
        )
    return trigger


def _trigger(name: str, payload: Mapping[str, object], *, default_branch: str) -> Trigger:
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
            labels=_labels(pr),
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


def _labels(pr: Mapping[str, object]) -> tuple[str, ...]:
    """`pull_request.labels[].name`; anything else in the list is no label."""
    found = pr.get("labels")
    names = (
        [_str(item, "name") for item in found if isinstance(item, Mapping)]
        if isinstance(found, list)
        else []
    )
    return tuple(n for n in names if n)


def _obj(payload: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = payload.get(key)
    return cast("Mapping[str, object]", value) if isinstance(value, dict) else {}


def _str(payload: Mapping[str, object], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) and value else None
