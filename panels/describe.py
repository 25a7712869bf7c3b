"""`enter` on a pod or a workload, as `kubectl describe` would say it: a pod's containers (state,
last state with its reason and exit code, restarts, image), conditions and events; a workload's
revision history (which one `rollout undo` goes back to) and events. Plain text, shown
literally by the detail dialog; every outside string cut to one line here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from panels.fmt import human_duration
from panels.kube_events import event_line
from tui.core.model import ContainerDetail, KubeEvent, PodDescription, RevisionInfo, WorkloadCondition
from tui.core.untrusted import one_line

EVENTS_SHOWN = 20
INDENT = "  "


def _ago(at: datetime | None, now: datetime) -> str:
    return "" if at is None else f"{human_duration(now - at)} ago"


def _state(kind: str, reason: str, exit_code: int | None, at: datetime | None, now: datetime) -> str:
    parts = [kind or "unknown"]
    if reason:
        parts.append(one_line(reason, 60))
    text = " ".join(parts)
    more = []
    if exit_code is not None:
        more.append(f"exit code {exit_code}")
    if at is not None:
        more.append(
            ("since " if kind == "Running" else "") + _ago(at, now)
            if kind != "Running"
            else f"started {_ago(at, now)}"
        )
    return text + (f", {', '.join(more)}" if more else "")


def container_lines(c: ContainerDetail, now: datetime) -> list[str]:
    head = f"{INDENT}{one_line(c.name, 60)}{' (init)' if c.init else ''}  {one_line(c.image, 200)}"
    lines = [head, f"{INDENT * 2}state       {_state(c.state, c.reason, c.exit_code, c.since, now)}"]
    if c.message:
        lines.append(f"{INDENT * 2}message     {one_line(c.message, 300)}")
    if c.last_state:
        last = _state(c.last_state, c.last_reason, c.last_exit_code, c.last_finished_at, now)
        lines.append(f"{INDENT * 2}last state  {last}")
    lines.append(f"{INDENT * 2}restarts    {c.restarts}, {'ready' if c.ready else 'not ready'}")
    return lines


def condition_lines(conditions: Sequence[WorkloadCondition], now: datetime) -> list[str]:
    width = max((len(one_line(c.type, 40)) for c in conditions), default=0)
    lines = []
    for c in conditions:
        text = f"{INDENT}{one_line(c.type, 40):<{width}}  {one_line(c.status, 10)}"
        if c.reason:
            text += f" {one_line(c.reason, 60)}"
        if c.changed_at is not None:
            text += f", {_ago(c.changed_at, now)}"
        if c.message:
            text += f": {one_line(c.message, 300)}"
        lines.append(text)
    return lines


def event_lines(events: Sequence[KubeEvent], now: datetime) -> list[str]:
    if not events:
        return [f"{INDENT}none (or none in the newest kept)"]
    lines = [f"{INDENT}{'⚠ ' if e.warning else ''}{event_line(e, now)}" for e in events[:EVENTS_SHOWN]]
    if len(events) > EVENTS_SHOWN:
        lines.append(f"{INDENT}… {len(events) - EVENTS_SHOWN} older")
    return lines


def pod_sections(
    desc: PodDescription | None, error: str | None, events: Sequence[KubeEvent], now: datetime
) -> str:
    """The parts of a pod's description beyond its row: containers and conditions (from one GET
    of the pod: None while it is read, `error` if it could not be), then its events."""
    lines: list[str] = ["", "containers"]
    if desc is not None:
        for c in desc.containers:
            lines += container_lines(c, now)
        if desc.owner:
            lines += ["", f"controlled by  {one_line(desc.owner, 120)}"]
        if desc.qos:
            lines.append(f"QoS class      {one_line(desc.qos, 40)}")
        if desc.reason or desc.message:
            lines.append(f"pod reason     {one_line(desc.reason, 60)} {one_line(desc.message, 300)}".rstrip())
        lines += ["", "conditions", *condition_lines(desc.conditions, now)]
    elif error is not None:
        lines.append(f"{INDENT}could not read the pod: {one_line(error, 200)}")
    else:
        lines.append(f"{INDENT}reading the pod…")
    lines += ["", "events (warnings first, newest first)", *event_lines(events, now)]
    return "\n".join(lines)


def revision_lines(
    history: Sequence[RevisionInfo], current: int | None, undo: RevisionInfo | None, now: datetime
) -> list[str]:
    if not history:
        return [f"{INDENT}none known"]
    lines = []
    for r in history:
        mark = (
            "  ← current"
            if r.revision == current
            else ("  ← rollout undo goes back here" if r is undo else "")
        )
        age = f"  {human_duration(now - r.created_at)}" if r.created_at is not None else ""
        lines.append(f"{INDENT}{r.revision:>4}  {one_line(r.image, 200)}{age}{mark}")
    return lines


def workload_sections(
    history: Sequence[RevisionInfo],
    current: int | None,
    undo: RevisionInfo | None,
    events: Sequence[KubeEvent],
    now: datetime,
) -> str:
    lines = [
        "",
        "revisions (newest first: revision, image, age)",
        *revision_lines(history, current, undo, now),
    ]
    lines += ["", "events (warnings first, newest first)", *event_lines(events, now)]
    return "\n".join(lines)
