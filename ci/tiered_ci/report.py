"""Plan -> text table, JSON, `$GITHUB_OUTPUT` lines and a `$GITHUB_STEP_SUMMARY` page.

Renderers are pure (Plan -> str); `write_github` is the one function here
that writes files, and it builds everything before it appends anything, so a
failure never leaves half an output behind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from json.encoder import encode_basestring as _str  # json's (C) escaper for ensure_ascii=False

from tiered_ci import github
from tiered_ci.escape import inline, markdown_code, mermaid_id, mermaid_label
from tiered_ci.plan import Plan

__all__ = [
    "explain_lines",
    "github_outputs",
    "matrix_id",
    "mermaid",
    "step_summary",
    "to_json",
    "to_text",
    "write_github",
]

_MAX_CHANGED_SHOWN = 20


def to_json(plan: Plan, *, pretty: bool = False) -> str:
    # Compact by default: json's C encoder is ~10x faster than its indenting Python one,
    # which matters for a 10,000-file plan read by a workflow, not by a person.
    if pretty:
        return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
    return _compact_json(plan) + "\n"


def _compact_json(plan: Plan) -> str:
    """`json.dumps(plan.to_json(), ensure_ascii=False)`, byte for byte, made faster.

    A 10,000-file plan is two lists of 10,000 flat records (`changed`, `reasons`).
    json builds and walks a dict per record; here each record is one f-string of
    strings escaped by json's own C escaper, about four times faster. The rest of
    the plan, small, still goes through `json.dumps`.
    """
    head = replace(plan, changed=(), reasons=()).to_json()
    records = {
        "changed": [
            f'{{"path": {_str(f.path)}, "status": {_str(f.status)}, '
            f'"old_path": {_opt(f.old_path)}}}'
            for f in plan.changed
        ],
        "reasons": [
            f'{{"target": {_str(r.target)}, "path": {_opt(r.path)}, '
            f'"status": {_opt(r.status)}, "rule": {_str(r.rule)}}}'
            for r in plan.reasons
        ],
    }
    fields = [
        f"{_str(key)}: [{', '.join(records[key])}]"
        if key in records
        else f"{_str(key)}: {json.dumps(value, ensure_ascii=False)}"
        for key, value in head.items()
    ]
    return "{" + ", ".join(fields) + "}"


def _opt(text: str | None) -> str:
    return "null" if text is None else _str(text)


def to_text(plan: Plan, *, explain: bool | str = False) -> str:
    lines = [
        f"tiered-ci plan: {inline(plan.event)} ({plan.trigger}), mode {plan.mode}",
        f"  base {_short(plan.base)}  head {_short(plan.head)}  changed files {len(plan.changed)}",
    ]
    if plan.fallback_reason:
        lines.append(f"  running everything: {inline(plan.fallback_reason)}")
    lines += ["", *_table(plan)]
    lines += [f"warning: {inline(w)}" for w in plan.warnings]
    if explain:
        lines += ["", *explain_lines(plan, every=explain == "all")]
    return "\n".join(lines) + "\n"


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "-"


def _table(plan: Plan) -> list[str]:
    rows = [("sessions", ", ".join(plan.sessions) or "-")]
    rows.append(("domains", ", ".join(plan.domains) or "-"))
    rows.append(("services", ", ".join(plan.services) or "-"))
    matrix = ", ".join(f"{e.session} {e.args}".strip() for e in plan.matrix)
    rows.append(("matrix", matrix or "-"))
    width = max(len(name) for name, _ in rows)
    return [f"  {name:<{width}}  {inline(value)}" for name, value in rows]


def explain_lines(plan: Plan, *, every: bool = False) -> list[str]:
    """What runs and why, the near misses and every session; `every`: each target too.

    The compact form leaves out domains and services no changed file came near: in
    a 70-package repository those are almost all lines and say nothing.
    """
    lines = ["why:"]
    quiet: dict[str, int] = {}
    for decision in plan.decisions:
        kind = decision.target.partition(":")[0]
        if not (every or decision.selected or decision.near_miss or kind == "session"):
            quiet[kind] = quiet.get(kind, 0) + 1
            continue
        mark = "+" if decision.selected else "~" if decision.near_miss else "-"
        lines.append(f"  {mark} {inline(decision.target)}: {inline(decision.why)}")
    if quiet:
        counts = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in quiet.items())
        lines.append(f"  ({counts} not shown: no changed file is near them; --explain=all)")
    needing = [e for e in plan.matrix if e.needs]
    if needing:
        lines.append("backing services (started by the job, for its tests):")
        for entry in needing:
            job = f"{entry.session} {entry.args}".strip()
            lines.append(f"  {inline(job)}: {inline(', '.join(entry.needs))}")
    if plan.notes:
        lines.append("notes:")
        lines += [f"  {inline(note)}" for note in plan.notes]
    shown = plan.changed[:_MAX_CHANGED_SHOWN]
    if shown:
        lines.append("changed:")
        for changed in shown:
            origin = f" (from {inline(changed.old_path)})" if changed.old_path else ""
            ignored = " (ignored)" if changed.path in plan.ignored else ""
            lines.append(f"  {changed.status:<8} {inline(changed.path)}{origin}{ignored}")
        if len(plan.changed) > len(shown):
            lines.append(f"  ... and {len(plan.changed) - len(shown)} more")
    return lines


# --- GitHub Actions --------------------------------------------------------------


def github_outputs(plan: Plan, delimiter: str | None = None) -> str:
    """`$GITHUB_OUTPUT` lines: each value a JSON string inside a random heredoc delimiter."""
    data = plan.to_json()
    entries = [entry.to_json() for entry in plan.matrix]
    values = {
        "sessions": json.dumps(data["sessions"]),
        # Each entry's `id` names its artifacts: unique per entry, from the plan itself
        # (act leaves `strategy.job-index` empty, so names built on it collide there).
        "matrix": json.dumps(
            {"include": [{**e, "id": matrix_id(n, e)} for n, e in enumerate(entries, 1)]}
        ),
        # The run job's `if:`: an empty matrix is an error on GitHub, and
        # `fromJSON(m).include[0] != null` is true for an empty list under act.
        "has-matrix": "true" if entries else "false",
        "mode": plan.mode,
        "services": json.dumps(data["services"]),
        "domains": json.dumps(data["domains"]),
    }
    return github.output_text(values, delimiter)


def matrix_id(number: int, entry: Mapping[str, str]) -> str:
    """A matrix entry's artifact-safe id: its number in the plan (unique) and a readable
    slug of the session, its args and Python (`3-domain-shard-d2_catalog`)."""
    text = " ".join(v for v in (entry["session"], entry.get("args", ""), entry.get("python")) if v)
    slug = _UNSAFE.sub("-", text).strip("-")[:80]
    return f"{number}-{slug}" if slug else str(number)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")


def step_summary(plan: Plan, estimate: str | None = None) -> str:
    """A Markdown page: the decision table and a mermaid diagram trigger -> tiers -> sessions;
    `estimate` (tiered_ci.estimate) is the runner time against running everything.

    Every string that comes from the change or the config (paths, names, reasons) is a
    code span: a file name holding HTML or a link renders as text (issue 13, S4).
    """
    lines = [
        f"## tiered-ci plan: `{plan.mode}`",
        "",
        (
            f"Trigger {markdown_code(plan.event)} ({plan.trigger}), base `{_short(plan.base)}`, "
            f"head `{_short(plan.head)}`, {len(plan.changed)} changed file(s)."
        ),
    ]
    if plan.fallback_reason:
        lines += ["", f"> Running everything: {markdown_code(plan.fallback_reason)}"]
    if estimate:
        lines += ["", f"Runner time: {estimate}."]  # our own numbers: nothing to escape
    lines += ["", "| target | runs | why |", "|---|---|---|"]
    lines += [
        f"| {markdown_code(d.target)} | {'yes' if d.selected else 'no'} | {markdown_code(d.why)} |"
        for d in plan.decisions
    ]
    lines += ["", "```mermaid", *mermaid(plan), "```", ""]
    return "\n".join(lines)


def mermaid(plan: Plan) -> list[str]:
    """The diagram's lines; names are mermaid-escaped, so none can leave its label."""
    lines = ["flowchart LR", f'  trigger["{mermaid_label(plan.event)} ({plan.mode})"]']
    for index, session in enumerate(plan.sessions):
        tier = _tier_of(session)
        node = f"tier_{mermaid_id(tier)}"
        lines.append(f'  trigger --> {node}["{mermaid_label(tier)}"]')
        lines.append(f'  {node} --> s{index}["{mermaid_label(session)}"]')
    return list(dict.fromkeys(lines))  # the same tier edge once


def _tier_of(session: str) -> str:
    if session.startswith("domain-shard(") or session == "unit":
        return "unit"
    if session.startswith("domain-integration("):
        return "integration"
    if session == "docker-changed-services":
        return "docker"
    if session == "full-e2e":
        return "e2e"
    return session


def write_github(
    plan: Plan, output: str | None, summary: str | None, estimate: str | None = None
) -> None:
    """Append the outputs and the summary; both are rendered and both files checked and
    opened before anything is written."""
    items = [(github.require_output(output), github_outputs(plan))]
    if (summary_path := github.optional_summary(summary)) is not None:
        items.append((summary_path, step_summary(plan, estimate)))
    github.append_all(items)
