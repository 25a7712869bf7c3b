"""The Pods panel's events view (`e`): the selected pod's or workload's events, warnings first and
the newest first, then the recent warnings of its namespace; each with its count and how long
ago it was last seen ("BackOff ×7, 2m ago: Back-off restarting failed container")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.text import Text

from panels.fmt import human_duration, middle_ellipsis
from panels.table import Cell, DiffTable
from tui.core.model import KubeEvent
from tui.core.untrusted import one_line
from tui.domain.kube_events import is_trouble

HEADING = "§"  # the key prefix of a section's heading row
OBJECT_KIND = {"Pod": "pod", "Deployment": "deploy", "StatefulSet": "sts", "ReplicaSet": "rs", "Node": "node"}
EVENT_MESSAGE_NEED = 30  # the message's room before the optional columns give way
NAMESPACE_WARNINGS = 30  # the namespace's warnings shown under a selection's own events


def reason_text(ev: KubeEvent) -> str:
    """ "BackOff ×7", or the reason alone when it happened once."""
    reason = one_line(ev.reason or "(no reason)", 40)
    return f"{reason} ×{ev.count}" if ev.count > 1 else reason


def seen_ago(ev: KubeEvent, now: datetime) -> str:
    return "-" if ev.last_at is None else human_duration(now - ev.last_at)


def object_ref(ev: KubeEvent, width: int | None = None) -> str:
    """ "pod/web-7d4b9c8f6-x2k4p", cut in the middle to `width` (a workload's pods differ at
    the end)."""
    kind = OBJECT_KIND.get(ev.kind, one_line(ev.kind.lower(), 20))
    ref = f"{kind}/{one_line(ev.object, 80)}" if kind else one_line(ev.object, 80)
    return middle_ellipsis(ref, width)


def event_line(ev: KubeEvent, now: datetime) -> str:
    """One event in a line: "BackOff ×7, 2m ago: Back-off restarting failed container"."""
    ago = "" if ev.last_at is None else f", {human_duration(now - ev.last_at)} ago"
    return f"{reason_text(ev)}{ago}: {one_line(ev.message, 300)}"


def event_style(ev: KubeEvent) -> str:
    if is_trouble(ev):
        return "bold red"
    return "yellow" if ev.warning else ""


def event_cells(
    ev: KubeEvent, now: datetime, dim: bool = False, object_width: int | None = None
) -> tuple[Cell, ...]:
    style = event_style(ev)
    return (
        Text(reason_text(ev), style=style),
        seen_ago(ev, now),
        object_ref(ev, object_width),
        Text(one_line(ev.message, 300), style="dim" if dim else ""),
        one_line(ev.namespace, 20),
    )


def heading_cells(text: str) -> tuple[Cell, ...]:
    return (Text("──", style="dim"), "", "", Text(text, style="bold"), "")


def events_table() -> DiffTable:
    table = DiffTable(
        [
            ("Reason", "reason", 28),
            ("Seen", "age", 7),  # kubectl's LAST SEEN
            ("Object", "object", 40),
            ("Message", "message", None),
            ("Namespace", "ns", 20),
        ],
        optional=("ns", ("object", 12)),
        id="events-table",
    )
    table.display = False
    return table


def event_rows(
    sections: Sequence[tuple[str, Sequence[KubeEvent]]], now: datetime, object_width: int | None = None
) -> Mapping[str, tuple[Cell, ...]]:
    """The rows of the sections given (title, events), a heading before each but a lone first
    one's; an event shown in an earlier section is not shown again."""
    rows: dict[str, tuple[Cell, ...]] = {}
    shown = 0
    for i, (title, events) in enumerate(sections):
        fresh = [e for e in events if e.key not in rows]
        if not fresh and i:
            continue
        if i or len(sections) > 1:
            rows[f"{HEADING}{i}"] = heading_cells(title if fresh else f"{title}: none")
        for ev in fresh:
            rows[ev.key] = event_cells(ev, now, dim=i > 0, object_width=object_width)
        shown += len(fresh)
    return rows


def event_detail(ev: KubeEvent, now: datetime) -> tuple[str, str]:
    """`enter` on an event: every field, as `kubectl describe event` would list it."""
    from panels.base import fields_text
    from tui.core.clock import utc_iso

    def when(at: datetime | None) -> str | None:
        return None if at is None else f"{utc_iso(at)} ({human_duration(now - at)} ago)"

    rows: list[tuple[str, object]] = [
        ("type", one_line(ev.type, 20)),
        ("reason", one_line(ev.reason, 80)),
        ("object", object_ref(ev)),
        ("namespace", one_line(ev.namespace, 80)),
        ("count", ev.count),
        ("first seen", when(ev.first_at)),
        ("last seen", when(ev.last_at)),
        ("from", one_line(ev.component, 80)),
        ("message", one_line(ev.message, 2000)),
    ]
    return f"Event {one_line(ev.reason, 60)} of {object_ref(ev)}", fields_text(rows)
