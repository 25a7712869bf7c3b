"""The header line: where we are, the incident at a glance, the [R]/[RW] badge and the UTC clock.
Split into parts so the clock's once-a-second repaint touches eight cells, not the whole line."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal

from panels.base import ChangedText
from panels.fmt import since
from tui.core.untrusted import one_line

if TYPE_CHECKING:  # annotations only: the header is drawn before the record is opened
    from tui.incident.lifecycle import IncidentState

WARN_BEFORE_S = 120  # the countdown turns to a warning this long before an update is due
# Below this width the badge is "[R]" alone: at 80 columns "[R] read-only" took the room of the
# incident's status word. Below it too the other parts shorten before the incident's title does:
# no "warroom" brand, no age and commander (in the timeline), "upd 12:34".
BADGE_FULL_FROM = 120
COMPACT_BELOW = 120


def incident_text(state: IncidentState | None, now: datetime, *, compact: bool = False) -> Text:
    """`#12 DRILL SEV2 investigating · API gateway crash loop · 4m · IC alice@bastion`;
    `compact` (a narrow terminal) keeps the title and leaves out the age and the commander."""
    if state is None:
        return Text("no incident declared", style="dim")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"#{state.id} ", style="bold")
    if state.drill:
        text.append("DRILL ", style="bold reverse")
    severity_style = "bold white on red" if state.severity in ("SEV1", "SEV2") else "bold reverse"
    pad = "" if compact else " "  # the badges' padding is the first room given to the title
    text.append(f"{pad}{one_line(state.severity, 12)}{pad}", style=severity_style)
    text.append(f" {state.status}{pad}", style="bold cyan" if state.is_open else "bold green")
    text.append(" · " if compact else "· ")
    text.append(one_line(state.title, 80), style="bold")
    if compact:
        return text
    if state.declared_at is not None:
        text.append(f" · {since(state.declared_at, now)}")  # minutes: the clock shows seconds
    commander = state.commander
    if commander:
        text.append(f" · IC {one_line(commander, 30)}")
    else:
        text.append(" · no IC", style="yellow")
    return text


def badge_text(read_only: bool, width: int, *, past: bool = False) -> Text:
    """ "[RW]", or "[R] read-only" for an observer, "[R] past, read-only" for a past incident
    opened from the history ("[R]" on a narrow screen)."""
    if not read_only and not past:
        return Text("[RW]", style="bold")
    wide = "[R] read-only" if read_only else "[R] past, read-only"
    return Text(wide if width >= BADGE_FULL_FROM else "[R]", style="bold black on yellow")


def countdown_text(state: IncidentState | None, now: datetime, *, compact: bool = False) -> Text:
    """ "update in 12:34", a warning near the end, an error when overdue; `compact`: "upd 12:34"
    (at 80 columns the header also carries the incident's title)."""
    if state is None or state.next_update_due is None:
        return Text("")
    left = int((state.next_update_due - now).total_seconds())
    if left < 0:
        words = "overdue" if compact else "update overdue"
        return Text(f" {words} {-left // 60:02d}:{-left % 60:02d} ", style="bold white on red")
    style = "bold black on yellow" if left <= WARN_BEFORE_S else ""
    words = f"{'upd' if compact else 'update in'} {left // 60:02d}:{left % 60:02d}"
    return Text(f" {words} " if style or not compact else words, style=style)


class Part(ChangedText):
    """A header part: as wide as its text."""

    AUTO_WIDTH = True


class HeaderBar(Horizontal):
    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $text; }
    HeaderBar Part { width: auto; height: 1; padding: 0 1 0 0; }
    HeaderBar #hdr-incident { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    HeaderBar #hdr-badge { padding: 0 1; text-style: bold; }
    HeaderBar #hdr-clock { padding: 0 1; }
    """

    def __init__(self, context: str, read_only: bool, namespaces: str = "") -> None:
        super().__init__(id="header")
        self.context = context
        self.namespaces = namespaces  # "ns shop", "all namespaces"; "" without a cluster
        self.read_only = read_only
        self.where = Part(id="hdr-where")
        self.incident = Part(id="hdr-incident")
        self.countdown = Part(id="hdr-countdown")
        self.badge = Part(id="hdr-badge")
        self.clock = Part(id="hdr-clock")

    def compose(self) -> ComposeResult:
        yield self.where
        yield self.incident
        yield self.countdown
        yield self.badge
        yield self.clock

    compact = False

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.compact = width < COMPACT_BELOW
        brand = Text("") if self.compact else Text(" warroom ", style="bold reverse")
        context = Text(one_line(self.context, 40), style="bold")
        if self.namespaces:  # where the pods panel and the cluster actions are: `kmock · ns shop`
            context.append(f" · {one_line(self.namespaces, 20 if self.compact else 40)}", style="not bold")
        self.where.show(Text.assemble(brand, " ", context, "" if self.compact else " "))
        self.badge.show(badge_text(self.read_only, width, past=self.past))
        if self.state is not None:
            self.tick(self.app.clock.now())  # type: ignore[attr-defined]

    def set_where(self, context: str, namespaces: str) -> None:
        """The context and namespaces switched to (the command palette)."""
        self.context, self.namespaces = context, namespaces
        if self.is_mounted:
            self._fit(self.app.size.width)

    state: IncidentState | None = None
    record_error: str | None = None  # the record cannot be read or written: the alarm says why
    past = False  # a past incident opened from the history: shown read-only whatever the mode

    def set_past(self, past: bool) -> None:
        self.past = past
        if self.is_mounted:
            self.badge.show(badge_text(self.read_only, self.app.size.width, past=past))

    def set_incident(self, state: IncidentState | None, now: datetime) -> None:
        self.state = state
        self.tick(now)

    def set_record_error(self, error: str | None, now: datetime) -> None:
        """The record is the point: when it fails (gone, unreadable), the header says so first,
        in the alarm colours, until it works again."""
        if error != self.record_error:
            self.record_error = error
            self.tick(now)

    def tick(self, now: datetime) -> None:
        incident = incident_text(self.state, now, compact=self.compact)
        if self.record_error is not None:
            gone = "gone" in self.record_error
            alarm = Text(" ✖ RECORD GONE " if gone else " ✖ RECORD FAILING ", style="bold white on red")
            incident = Text.assemble(alarm, " ", incident, no_wrap=True, overflow="ellipsis")
        self.incident.show(incident)
        self.countdown.show(countdown_text(self.state, now, compact=self.compact))
        self.clock.show(Text(now.strftime("%H:%M:%SZ"), style="bold"))
