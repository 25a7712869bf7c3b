"""Panel 5: the incident timeline in the order things happened (occurred_at, then id: a
detection carried in at the declaration sits before it), each event with its number in the
incident (#1, #2 ... as the postmortem cites it), the newest at the bottom and followed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets.data_table import ColumnKey

from panels.base import Panel, fields_text
from panels.table import Cell, DiffTable
from tui.core.clock import utc_iso
from tui.core.untrusted import one_line

# The record's rules are loaded with the first snapshot (which the record's feed builds from
# them), not with the panel: the war room's first frame is drawn before the record is opened.
if TYPE_CHECKING:
    from tui.incident.events import Event
    from tui.incident.lifecycle import TimelineSnapshot

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
    "action_interrupted": ("✖", "bold yellow"),
    "rollout_complete": ("✔", "bold green"),
    "rollout_stalled": ("✖", "bold red"),
    "rollout_interrupted": ("?", "bold yellow"),
    "detected": ("!", "yellow"),
    "checklist_step": ("☑", "green"),
    "starred": ("★", "yellow"),
    "corrected": ("✎", "yellow"),
    "reopened": ("↺", "bold yellow"),
}


# Short labels keep the kind column narrow, so the text gets the room.
ALL_KINDS = "*"  # the kind filter's "every kind" choice

KIND_LABEL = {
    "severity_changed": "severity",
    "status_changed": "status",
    "role_assigned": "role",
    "status_update": "update",
    "action_requested": "action",
    "action_succeeded": "action ok",
    "action_failed": "action FAIL",
    "action_interrupted": "action stopped",
    "rollout_complete": "rolled out",
    "rollout_stalled": "roll STALL",
    "rollout_interrupted": "unfollowed",
    "checklist_step": "checklist",
    "starred": "star",
    "corrected": "correction",
}


# A detection by its level (data["level"], tui.domain.detection): a recovery must not read like an alarm.
DETECTION_MARK: dict[str, tuple[str, str]] = {
    "problem": ("!", "bold red"),
    "warning": ("!", "yellow"),
    "flapping": ("~", "bold yellow"),
    "ok": ("✔", "green"),
}


def kind_mark(event: Event) -> tuple[str, str, str]:
    """The mark, style and short label of an event's kind column."""
    if event.kind == "detected":
        from tui.domain.detection import LEVEL_LABEL

        level = str(event.data.get("level", "problem"))
        if level in DETECTION_MARK:
            return (*DETECTION_MARK[level], LEVEL_LABEL[level])
    mark, style = KIND_MARK.get(event.kind, ("·", ""))
    # A kind warroom does not know was written by another writer of the record: outside text.
    return mark, style, one_line(KIND_LABEL.get(event.kind, event.kind.replace("_", " ")), 40)


def short_actor(actor: str) -> str:
    """ "alice@bastion-1 (ssh 10.0.0.5)" -> "alice", "Alice Ng as root@bastion-1" -> "Alice Ng":
    the full actor is in the event's detail."""
    from tui.incident.actor import short_name

    return short_name(actor)


def local_zone_label() -> str:
    """The time column's title in local time: the zone's abbreviation when it fits, so a reader
    knows which clock the times are on."""
    name = datetime.now().astimezone().tzname() or ""
    return name if 0 < len(name) <= 8 else "Local"


def event_cells(
    event: Event,
    *,
    starred: bool,
    corrected_by: int | None,
    local: bool,
    others: dict[int, Event] | None = None,
    numbers: Mapping[int, int] | None = None,
    unfinished: str | None = None,
) -> tuple[Cell, ...]:
    """One timeline row. `others`: the shown events by id; `numbers`: their numbers in the
    incident (id -> #), shown, and used to name what a correction or a star refers to.
    `unfinished`: an action request with no outcome yet, "running" or "outcome unknown"; an
    action whose rollout is followed, "rolling out 2/3" (or "rollout outcome unknown")."""
    from tui.incident.outcomes import ROLLOUT_UNKNOWN, UNKNOWN

    others = others or {}
    numbers = numbers or {}
    mark, style, label = kind_mark(event)
    at = event.occurred_at.astimezone() if local else event.occurred_at

    def cite(event_id: int | None) -> str:
        number = numbers.get(event_id) if event_id is not None else None
        return f"#{number}" if number is not None else "an event not shown"

    ref = event.data.get("event") if event.kind == "starred" else None
    target = others.get(ref) if isinstance(ref, int) else None
    if isinstance(ref, int):
        # The record's text ("starred #12") names the record's id: name the row by its number.
        verb = "starred" if event.data.get("starred", True) else "unstarred"
        what = f": {one_line(target.text, 200)}" if target is not None else ""
        text = Text(f"{verb} {cite(ref)}{what}")
    else:
        text = Text(one_line(event.text, 400), style="dim strike" if corrected_by else "")
    if event.kind == "action_succeeded" and unfinished is not None:
        # Its rollout, first: the row's text is long and the column narrow, and how far the
        # rollout is is what the reader is waiting for.
        head = Text(unfinished, style="bold yellow" if unfinished == ROLLOUT_UNKNOWN else "bold cyan")
        text = head + Text(" · ") + text
    elif unfinished in (UNKNOWN, ROLLOUT_UNKNOWN):
        text.append(f"  · {unfinished}", style="bold yellow")
    elif unfinished is not None:
        text.append(f"  · {unfinished}", style="dim")
    if corrected_by:
        text.append(f"  (corrected by {cite(corrected_by)})", style="dim")
    elif event.kind == "corrected" and event.supersedes is not None:
        text.append(f"  (corrects {cite(event.supersedes)})", style="dim")
    kind = Text(("★" if starred else " ") + mark + " ", style=style)
    kind.append(label, style=style)
    number = numbers.get(event.id)
    cited = Text(str(number) if number is not None else "", style="dim", justify="right")
    return (cited, at.strftime("%H:%M:%S"), kind, text, one_line(short_actor(event.actor), 30))


class TimelinePanel(Panel):
    """The followed incident's events. View settings (local time, a kind, starred only) change
    what is shown, never the record: they are this panel's own actions (`t`, `k`, `F`). The keys
    that write (star, correct) go to `tui.controllers.incident_keys` through the app's check."""

    PANEL_ID = "timeline"
    TITLE = "Timeline"
    NUMBER = 5

    # Active while the timeline has the focus: they act on its selected event or its view.
    # `app.incident(...)`: the app's one read-only check sees them (star and correct write).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("asterisk", "app.incident('star')", "Star", id="incident.star"),
        Binding("c", "app.incident('correct')", "Correct", id="incident.correct"),
        Binding("t", "local_time", "UTC/local time", show=False, id="timeline.local_time"),
        Binding("k", "kind", "Show one kind", show=False, id="timeline.kind"),
        Binding("F", "starred_only", "Starred only", show=False, id="timeline.starred_only"),
    ]

    # ---- the view's own keys: nothing recorded ---------------------------------------------
    def _say(self, message: str) -> None:
        self.app.notify(message, markup=False)

    def action_local_time(self) -> None:
        self.set_local(not self.local)
        if self.local:
            here = datetime.now().astimezone()
            self._say(f"timeline in local time ({here.tzname()}, UTC{here.strftime('%z')}); t for UTC")
        else:
            self._say("timeline in UTC; t for local time")

    def action_kind(self) -> None:
        from panels.modals import ChoiceScreen  # the dialog: only when asked

        counts: dict[str, int] = {}
        for event in self.events.values():
            counts[event.kind] = counts.get(event.kind, 0) + 1
        labels = {kind: KIND_LABEL.get(kind, kind.replace("_", " ")) for kind in counts}
        choices = [(ALL_KINDS, "every kind")] + [
            (kind, f"{labels[kind]} ({counts[kind]})") for kind in sorted(counts, key=labels.__getitem__)
        ]

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self.set_kind(None if choice == ALL_KINDS else choice)

        screen = ChoiceScreen("Show one kind of event", choices, selected=self.kind_filter or ALL_KINDS)
        self.app.push_screen(screen, chosen)

    def action_starred_only(self) -> None:
        self.set_starred_only(not self.starred_only)
        state = getattr(self.last, "state", None)
        if self.starred_only and (state is None or not state.starred):
            self._say("no starred event yet: * stars the selected one")

    def body(self) -> DiffTable:
        self.table = DiffTable(
            [
                ("#", "number", 4),
                ("UTC", "time", 8),
                ("Event", "kind", 14),
                ("What", "text", None),
                ("Who", "actor", 9),
            ],
            id="timeline-table",
        )
        self.events: dict[int, Event] = {}
        self.numbers: dict[int, int] = {}  # event id -> its number in the incident
        self.local = False
        self.kind_filter: str | None = None
        self.starred_only = False
        self.past = False  # a past incident opened from the history, shown read-only
        self.follow = True
        self.progress: dict[int, str] = {}  # request id -> "rolling out 2/3", while followed here
        return self.table

    # ---- view settings -------------------------------------------------------------------
    def set_local(self, local: bool) -> None:
        self.local = local
        self._again()

    def set_kind(self, kind: str | None) -> None:
        self.kind_filter = kind
        self._again()

    def set_starred_only(self, starred_only: bool) -> None:
        self.starred_only = starred_only
        self._again()

    def set_progress(self, progress: Mapping[int, str]) -> None:
        """The rollouts this screen follows, by the request that set each going: each shows on
        its action's row ("rolling out 2/3") until its end is on the record."""
        progress = dict(progress)
        if progress != self.progress:
            self.progress = progress
            self._again()

    def set_past(self, past: bool) -> None:
        self.past = past
        self._again()

    def _again(self) -> None:
        if self.last is not None and self.is_mounted:
            self.show(self.last, self.app.clock.now())  # type: ignore[arg-type, attr-defined]

    def show(self, snap: TimelineSnapshot, now: datetime) -> None:  # type: ignore[override]
        from tui.incident.events import event_numbers

        self.last = snap
        state = snap.state
        starred = state.starred if state else frozenset()
        visible = None
        if self.filter_text or self.kind_filter or self.starred_only:
            visible = {
                e.id
                for e in snap.events
                if self.matches(e.text, e.kind.replace("_", " "), e.actor)
                and (self.kind_filter is None or e.kind == self.kind_filter)
                and (not self.starred_only or e.id in starred)
            }
        # The feed shows the newest events only: numbered from the state's count, which was
        # read no later than they were.
        numbers = (
            event_numbers(snap.events, count=state.event_count, last_id=state.last_event_id) if state else {}
        )
        self.show_events(
            snap.events,
            now,
            starred=starred,
            corrected=dict(state.corrected) if state else None,
            visible=visible,
            numbers=numbers,
        )
        if visible is not None:
            failed = {e.id for e in snap.events if e.kind == "action_failed"}
            self.count_filtered(len(visible), len(snap.events), len(failed - visible))
        else:
            self.count_filtered(len(snap.events), len(snap.events))
        view = ""
        if self.kind_filter:
            label = KIND_LABEL.get(self.kind_filter, self.kind_filter.replace("_", " "))
            view += f" · only {one_line(label, 40)}"
        if self.starred_only:
            view += " · ★ only"
        if state is None:
            held = f", {snap.pending} detection(s) held" if snap.pending else ""
            self.set_level("idle", f"no incident{held}{view}")
        else:
            drill = "DRILL " if state.drill else ""
            past = f" · past, {state.status}, read-only" if self.past else ""
            # The incident's count (the last number), not the shown window's.
            total = max(numbers.values(), default=state.event_count)
            count = f"{total} event{'' if total == 1 else 's'}"
            if len(snap.events) < total:
                count += f" (newest {len(snap.events)} shown)"
            # Several open: said where the incident is named, with the way to switch.
            others = [f"#{i}" for i in snap.open_ids if i != state.id]
            more = " …" if len(others) > 4 else ""
            also = f" · also open: {' '.join(others[:4])}{more} (ctrl+p)" if others else ""
            self.set_level("ok", f"{drill}#{state.id}{past}{also} · {count}{view}")

    def show_events(
        self,
        events: Sequence[Event],
        now: datetime,
        *,
        starred: set[int] | frozenset[int] = frozenset(),
        corrected: dict[int, int] | None = None,
        visible: set[int] | None = None,
        numbers: Mapping[int, int] | None = None,
    ) -> None:
        """Show `events` (the incident's, in id order), in time order. `visible`: ids passing the
        filter; `numbers`: each event's number in the incident (default: `events` are all of it)."""
        from tui.incident.events import event_numbers, in_time_order
        from tui.incident.outcomes import pending, rollouts_pending

        corrected = corrected or {}
        at_end = self.table.cursor_row >= self.table.row_count - 1
        self.events = {e.id: e for e in events}
        self.numbers = dict(numbers) if numbers is not None else event_numbers(events)
        # Shown events hold every outcome of a shown request (an outcome is newer than it).
        running = pending(events, now)
        # An action whose rollout is followed: its progress here, or what the record says.
        for event_id, state in rollouts_pending(events, now).items():
            request = self.events[event_id].data.get("request")
            running[event_id] = self.progress.get(request, state) if isinstance(request, int) else state
        rows = {
            str(e.id): event_cells(
                e,
                starred=e.id in starred,
                corrected_by=corrected.get(e.id),
                local=self.local,
                others=self.events,
                numbers=self.numbers,
                unfinished=running.get(e.id),
            )
            for e in in_time_order(events)
            if visible is None or e.id in visible
        }
        self.table.set_rows(rows)
        if self.follow and at_end and self.table.row_count:
            self.table.move_cursor(row=self.table.row_count - 1, animate=False)
        label = local_zone_label() if self.local else "UTC"
        column = self.table.columns.get(ColumnKey("time"))
        if column is not None and column.label.plain != label:
            column.label = Text(label)
            self.table.refresh()

    def selected(self) -> Event | None:
        key = self.table.selected_key()
        return None if key is None else self.events.get(int(key))

    def detail(self, key: str) -> tuple[str, str] | None:
        event = self.events.get(int(key))
        if event is None:
            return None
        from tui.incident.lifecycle import TimelineSnapshot

        state = self.last.state if isinstance(self.last, TimelineSnapshot) else None
        starred = event.id in state.starred if state is not None else event.starred
        corrected_by = state.corrected.get(event.id) if state is not None else None
        number = self.numbers.get(event.id)
        rows: list[tuple[str, object]] = [
            ("kind", event.kind),
            ("record id", event.id),
            ("occurred", utc_iso(event.occurred_at)),
            ("recorded", utc_iso(event.recorded_at)),
            ("actor", f"{event.actor} ({event.actor_kind}, {event.source})"),
            ("starred", "yes" if starred else None),
            ("supersedes", f"#{event.supersedes}" if event.supersedes else None),
            ("corrected by", f"#{corrected_by}" if corrected_by else None),
            ("text", event.text),
        ]
        if self.local:
            rows.insert(2, ("local", event.occurred_at.astimezone().isoformat(timespec="seconds")))
        body = fields_text(rows)
        if event.data:
            body += "\n\n" + json.dumps(event.data, indent=2, ensure_ascii=False, sort_keys=True)
        return (f"Event #{number}" if number is not None else "Event"), body
