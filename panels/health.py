"""Panel 1: service health, one keyed row per service."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from rich.text import Text

from panels.base import Panel, fields_text
from panels.fmt import latency, since
from panels.table import Cell, DiffTable
from tui.clock import utc_iso
from tui.model import Health, HealthSnapshot, ServiceHealth
from tui.untrusted import one_line

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

    def body(self) -> DiffTable:
        self._latencies: dict[str, LatencyTrack] = {}
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
        self.last = snap
        self.services = {svc.name: svc for svc in snap.services}
        shown = [
            (i, s) for i, s in enumerate(snap.services) if self.matches(s.name, s.state, s.detail, s.target)
        ]
        ordered = sorted(shown, key=lambda pair: (RANK[pair[1].state], pair[0]))
        self.table.set_rows(
            {svc.name: service_cells(svc, now, self._shown_latency(svc)) for _, svc in ordered}
        )
        down = sum(s.state == "DOWN" for s in snap.services)
        degraded = sum(s.state == "DEGRADED" for s in snap.services)
        failing_shown = sum(s.state in ("DOWN", "DEGRADED") for _, s in shown)
        self.count_filtered(len(shown), len(snap.services), down + degraded - failing_shown)
        if down:
            self.set_level("error", f"{down} down" + (f", {degraded} degraded" if degraded else ""))
        elif degraded:
            self.set_level("warn", f"{degraded} degraded")
        else:
            self.set_level("ok", f"{len(snap.services)} up")

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
        svc = getattr(self, "services", {}).get(key)
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

    def selected(self) -> ServiceHealth | None:
        key = self.table.selected_key()
        return None if key is None else getattr(self, "services", {}).get(key)
