"""Panel 5: the incident timeline, newest at the bottom and followed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets.data_table import ColumnKey

from panels.base import Panel, fields_text
from panels.table import Cell, DiffTable
from tui.clock import utc_iso
from tui.incident.events import Event
from tui.incident.feed import TimelineSnapshot
from tui.untrusted import one_line

# One mark and colour per kind, so a glance down the column tells what happened.
KIND_MARK: dict[str, tuple[str, str]] = {
    "declared": ("◆", "bold red"),
    "severity_changed": ("▲", "bold yellow"),
    "status_changed": ("→", "bold cyan"),
    "role_assigned": ("@", "blue"),
    "note": ("✎", ""),
    "status_update": ("✉", "bold cyan"),
    "action_requested": ("»", "bold magenta"),
    "action_succeeded": ("✔", "green"),
    "action_failed": ("✖", "bold red"),
    "detected": ("!", "yellow"),
    "checklist_step": ("☑", "green"),
    "starred": ("★", "yellow"),
    "corrected": ("✎", "yellow"),
    "reopened": ("↺", "bold yellow"),
}


# Short labels keep the kind column narrow, so the text gets the room.
KIND_LABEL = {
    "severity_changed": "severity",
    "status_changed": "status",
    "role_assigned": "role",
    "status_update": "update",
    "action_requested": "action",
    "action_succeeded": "action ok",
    "action_failed": "action FAIL",
    "checklist_step": "checklist",
    "starred": "star",
    "corrected": "correction",
}


def short_actor(actor: str) -> str:
    """"alice@bastion-1 (ssh 10.0.0.5)" -> "alice": the full actor is in the event's detail."""
    return actor.split(" ", 1)[0].split("@", 1)[0]


def event_cells(event: Event, *, starred: bool, corrected_by: int | None, local: bool) -> tuple[Cell, ...]:
    mark, style = KIND_MARK.get(event.kind, ("·", ""))
    at = event.occurred_at.astimezone() if local else event.occurred_at
    text = Text(one_line(event.text, 400), style="dim strike" if corrected_by else "")
    if corrected_by:
        text.append(f"  (corrected by #{corrected_by})", style="dim")
    kind = Text(("★" if starred else " ") + mark + " ", style=style)
    kind.append(KIND_LABEL.get(event.kind, event.kind.replace("_", " ")), style=style)
    return (at.strftime("%H:%M:%S"), kind, text, one_line(short_actor(event.actor), 30))


class TimelinePanel(Panel):
    PANEL_ID = "timeline"
    TITLE = "Timeline"
    NUMBER = 5

    def body(self) -> DiffTable:
        self.table = DiffTable(
            [
                ("UTC", "time", 8),
                ("Event", "kind", 14),
                ("What", "text", None),
                ("Who", "actor", 9),
            ],
            id="timeline-table",
        )
        self.events: dict[int, Event] = {}
        self.local = False
        self.follow = True
        return self.table

    def show(self, snap: TimelineSnapshot, now: datetime) -> None:  # type: ignore[override]
        self.last = snap
        state = snap.state
        visible = {
            e.id
            for e in snap.events
            if self.matches(e.text, e.kind.replace("_", " "), e.actor)
        } if self.filter_text else None
        self.show_events(
            snap.events,
            now,
            starred=state.starred if state else frozenset(),
            corrected=dict(state.corrected) if state else None,
            visible=visible,
        )
        if state is None:
            held = f", {snap.pending} detection(s) held" if snap.pending else ""
            self.set_level("idle", f"no incident{held}")
        else:
            drill = "DRILL " if state.drill else ""
            self.set_level("ok", f"{drill}#{state.id} · {len(snap.events)} events")

    def show_events(
        self,
        events: Sequence[Event],
        now: datetime,
        *,
        starred: set[int] | frozenset[int] = frozenset(),
        corrected: dict[int, int] | None = None,
        visible: set[int] | None = None,
    ) -> None:
        """Show `events` (all of the incident, oldest first). `visible`: ids passing the filter."""
        corrected = corrected or {}
        at_end = self.table.cursor_row >= self.table.row_count - 1
        self.events = {e.id: e for e in events}
        rows = {
            str(e.id): event_cells(
                e, starred=e.id in starred, corrected_by=corrected.get(e.id), local=self.local
            )
            for e in events
            if visible is None or e.id in visible
        }
        self.table.set_rows(rows)
        if self.follow and at_end and self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
        self.table.columns[ColumnKey("time")].label = Text("Local" if self.local else "UTC")

    def selected(self) -> Event | None:
        key = self.table.selected_key()
        return None if key is None else self.events.get(int(key))

    def detail(self, key: str) -> tuple[str, str] | None:
        event = self.events.get(int(key))
        if event is None:
            return None
        rows: list[tuple[str, object]] = [
            ("kind", event.kind),
            ("occurred", utc_iso(event.occurred_at)),
            ("recorded", utc_iso(event.recorded_at)),
            ("actor", f"{event.actor} ({event.actor_kind}, {event.source})"),
            ("starred", "yes" if event.starred else None),
            ("supersedes", f"#{event.supersedes}" if event.supersedes else None),
            ("text", event.text),
        ]
        body = fields_text(rows)
        if event.data:
            body += "\n\n" + json.dumps(event.data, indent=2, ensure_ascii=False, sort_keys=True)
        return f"Event #{event.id}", body
