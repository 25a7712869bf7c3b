"""Panel 1: service health, one keyed row per service."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from rich.text import Text
from textual.binding import Binding

from panels.base import Panel, fields_text
from panels.fmt import latency, since
from panels.status import status_text
from panels.table import Cell, DiffTable
from tui.core.clock import utc_iso
from tui.core.model import Health, HealthSnapshot, LogTarget, ServiceHealth
from tui.core.untrusted import one_line

STATE_STYLE: dict[Health, tuple[str, str]] = {
    "UP": ("● UP", "green"),
    "DEGRADED": ("▲ DEGRADED", "bold yellow"),
    "DOWN": ("✖ DOWN", "bold red"),
    "UNKNOWN": ("? UNKNOWN", "dim"),
}
HISTORY_MARK: dict[Health, tuple[str, str]] = {
    "UP": ("▁", "green"),
    "DEGRADED": ("▄", "yellow"),
    "DOWN": ("█", "red"),
    "UNKNOWN": ("·", "dim"),
}
SHOWN_HISTORY = 8  # the last 8 results: room for the detail at 80 columns
RANK: dict[Health, int] = {"DOWN": 0, "DEGRADED": 1, "UNKNOWN": 2, "UP": 3}


def history_text(history: tuple[Health, ...]) -> Text:
    text = Text(no_wrap=True)
    for state in history[-SHOWN_HISTORY:]:
        mark, style = HISTORY_MARK[state]
        text.append(mark, style=style)
    return text


def service_cells(svc: ServiceHealth, now: datetime, latency_ms: float | None = None) -> tuple[Cell, ...]:
    label, style = STATE_STYLE[svc.state]
    return (
        Text(label, style=style),
        one_line(svc.name, 40),
        "-" if svc.code is None else str(svc.code),
        latency(svc.latency_ms if latency_ms is None else latency_ms),
        since(svc.changed_at, now),
        history_text(svc.history),
        Text(one_line(svc.detail, 80), style="red" if svc.state == "DOWN" else ""),
    )


@dataclass
class LatencyTrack:
    """One service's recent latencies and the value its row shows."""

    last_check: datetime | None = None
    values: deque[float] = field(default_factory=lambda: deque(maxlen=3))
    shown: float | None = None

    def see(self, checked_at: datetime, latency_ms: float) -> float:
        if checked_at != self.last_check:
            self.last_check = checked_at
            self.values.append(latency_ms)
        now = median(self.values)
        if self.shown is None or latency(self.shown) not in {
            latency(now / 1.25),
            latency(now),
            latency(now * 1.25),
        }:
            self.shown = now
        return self.shown


class HealthPanel(Panel):
    PANEL_ID = "health"
    TITLE = "Health"
    NUMBER = 1
    CONFIG_HINT = "[[services]]"
    # The linked deployment's logs in the log panel: reads, changes nothing.
    BINDINGS = [Binding("l", "logs", "Logs", show=False, id="health.logs")]

    def body(self) -> DiffTable:
        self._latencies: dict[str, LatencyTrack] = {}
        self.services: dict[str, ServiceHealth] = {}
        # What `show` keeps between snapshots, so a batch costs what changed, not the row count:
        self._places: dict[str, tuple[int, int]] = {}  # shown row -> its place (rank, position)
        self._order: list[str] = []  # the shown rows in that order
        self._index: dict[str, int] = {}  # service -> its position in the config
        # service -> (the row, what its cells show, the cells)
        self._cell_cache: dict[str, tuple[ServiceHealth, tuple[object, ...], tuple[Cell, ...]]] = {}
        self._shown_filter: str | None = None
        self._haystacks: dict[str, tuple[ServiceHealth, str]] = {}  # service -> (row, what `/` searches)
        self.table = DiffTable(
            [
                ("State", "state", 10),
                ("Service", "name", 24),
                ("Code", "code", 4),
                ("Latency", "latency", 7),
                ("Since", "since", 5),
                ("Recent", "history", SHOWN_HISTORY),
                ("Detail", "detail", None),
            ],
            # The detail says why a service is down: the code (which the detail repeats) and
            # then the recent marks make room for it on a narrow screen.
            optional=("code", "history"),
            id="health-table",
        )
        self.table.flex_need = 20
        return self.table

    def show(self, snap: HealthSnapshot, now: datetime) -> None:  # type: ignore[override]
        """Apply a snapshot: only the rows whose service changed since the last one (the source
        hands over the same row object for a service it has not checked since) are recomputed,
        plus the rows on screen (their "Since" ages); the order is sorted again only when a
        row's place in it changed. With 10 000 services a batch touches a few hundred rows."""
        self.last = snap
        old = self.services
        services = {svc.name: svc for svc in snap.services}
        self.services = services
        places = self._places
        if self.filter_text != self._shown_filter or services.keys() != old.keys():
            changed = list(services)  # a new filter or another set of services: every row
            places = {}
        else:
            changed = [name for name, svc in services.items() if old.get(name) is not svc]
        self._shown_filter = self.filter_text
        index = self._index
        if not places or len(index) != len(services):
            index = self._index = {name: i for i, name in enumerate(services)}
        reorder = not places and bool(services)
        cells: dict[str, tuple[Cell, ...]] = {}
        needle = self.filter_text.lower()
        for name in changed:
            svc = services[name]
            place = (RANK[svc.state], index[name])
            shown = self._matches(svc, needle)
            if places.get(name) != (place if shown else None):
                reorder = True
                if shown:
                    places[name] = place
                else:
                    places.pop(name, None)
            if shown:
                cells[name] = self._cells_of(svc, now)
        self._places = places
        if reorder:
            self._order = sorted(places, key=places.__getitem__)
        for name in self._on_screen():
            if name in places:  # the ages on screen move on by themselves
                cells[name] = self._cells_of(services[name], now, fresh=True)
        self.table.apply(self._order, cells)
        self._count(snap, len(places))
        self.round_note = self._round_note(snap)

    def _matches(self, svc: ServiceHealth, needle: str) -> bool:
        """`matches` over the row's name, state, detail and target, with their lowercased text
        kept per row: typing a filter over 10 000 rows lowercases only the rows checked since."""
        if not needle:
            return True
        if "\0" in needle:
            return self.matches(svc.name, svc.state, svc.detail, svc.target)
        hit = self._haystacks.get(svc.name)
        if hit is None or hit[0] is not svc:
            hay = "\0".join((svc.name, svc.state, svc.detail, svc.target)).lower()
            self._haystacks[svc.name] = (svc, hay)
        else:
            hay = hit[1]
        return needle in hay

    def _cells_of(self, svc: ServiceHealth, now: datetime, *, fresh: bool = False) -> tuple[Cell, ...]:
        """A row's cells, computed again only for a service checked since (or, `fresh`, for a row
        on screen, whose age may have moved): a filter typed over 10 000 rows reuses them. And a
        check that changes nothing shown (the same state, latency bucket, age, marks and detail:
        nearly every check of a healthy service, once its marks are full) hands back the very
        cells it had, which the table skips without comparing them."""
        cache = self._cell_cache
        hit = cache.get(svc.name)
        if hit is not None and hit[0] is svc and not fresh:
            return hit[2]
        shown_latency = self._shown_latency(svc)
        shows = (
            svc.state,
            svc.name,
            svc.code,
            latency(shown_latency),
            since(svc.changed_at, now),
            svc.history[-SHOWN_HISTORY:],
            svc.detail,
        )
        if hit is not None and hit[1] == shows:
            cache[svc.name] = (svc, shows, hit[2])
            return hit[2]
        cells = service_cells(svc, now, shown_latency)
        cache[svc.name] = (svc, shows, cells)
        return cells

    def _on_screen(self) -> list[str]:
        top = int(self.table.scroll_y)
        return self._order[top : top + max(self.table.size.height, 1)]

    def _count(self, snap: HealthSnapshot, shown: int) -> None:
        down = degraded = 0
        for s in snap.services:
            if s.state == "DOWN":
                down += 1
            elif s.state == "DEGRADED":
                degraded += 1
        failing_shown = 0
        if self.filter_text:
            failing_shown = sum(self.services[name].state in ("DOWN", "DEGRADED") for name in self._order)
        self.count_filtered(shown, len(snap.services), down + degraded - failing_shown)
        if down:
            self.set_level("error", f"{down} down" + (f", {degraded} degraded" if degraded else ""))
        elif degraded:
            self.set_level("warn", f"{degraded} degraded")
        else:
            self.set_level("ok", f"{len(snap.services)} up")

    round_note = ""

    @staticmethod
    def _round_note(snap: HealthSnapshot) -> str:
        """ "checks take 7.2 s > interval 5 s" when a round of checks at the concurrency bound
        cannot fit the interval: each service is then checked less often than configured."""
        if snap.round_s is None or snap.interval_s is None or snap.round_s <= snap.interval_s:
            return ""
        return f"checks take {snap.round_s:.1f} s > interval {snap.interval_s:g} s"

    def tick(self, now: datetime) -> None:
        if not self.configured:
            return
        text = status_text(self.source_status, now, self.interval_s)
        if self.round_note and self.source_status is not None and self.source_status.ok:
            text.append(" · ")
            text.append(self.round_note, style="bold yellow")
        self.status_line.show(text)

    def _shown_latency(self, svc: ServiceHealth) -> float | None:
        """The latency a row shows: the median of the last three checks, so one slow check (a GC
        pause, a busy bastion) neither alarms anyone nor repaints the row; and it moves to another
        bucket only when the median is clearly in it (25 % past the edge), so a service at 9-11 ms
        does not flip between "<10ms" and "<50ms" every check. The raw value is in the row's
        detail (enter)."""
        if svc.latency_ms is None:
            return None
        track = self._latencies.setdefault(svc.name, LatencyTrack())
        return track.see(svc.checked_at, svc.latency_ms)

    def detail(self, key: str) -> tuple[str, str] | None:
        svc = self.services.get(key)
        if svc is None:
            return None
        return f"Service {svc.name}", fields_text(
            [
                ("state", svc.state),
                ("check", svc.target),
                ("code", svc.code),
                ("latency", latency(svc.latency_ms)),
                ("detail", svc.detail),
                ("checked at", utc_iso(svc.checked_at)),
                ("changed at", utc_iso(svc.changed_at) if svc.changed_at else None),
                ("recent", " ".join(svc.history)),
                ("deployment", f"{svc.namespace or '-'}/{svc.deployment}" if svc.deployment else None),
            ]
        )

    def action_logs(self) -> None:
        """`l`: the logs of the deployment the service's config links, all its pods."""
        svc = self.selected()
        if svc is None or not svc.deployment:
            why = "l: this service names no deployment (deployment = in its [[services]])"
            self.app.notify(why, markup=False)
            return
        # No namespace in its config: the source takes [cluster]'s first, as the actions do.
        self.post_message(self.LogsWanted(LogTarget(svc.namespace or "", "deployment", svc.deployment)))

    def selected(self) -> ServiceHealth | None:
        key = self.table.selected_key()
        return None if key is None else self.services.get(key)
