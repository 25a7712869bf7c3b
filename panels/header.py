"""The header line: where we are, the incident at a glance, the [R]/[RW] badge and the UTC clock.
Split into parts so the clock's once-a-second repaint touches eight cells, not the whole line."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static


class Part(Static):
    """A header part that repaints only when its text changes, with no layout pass."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._shown: Text | None = None

    def show(self, text: Text) -> None:
        if self._shown is not None and text == self._shown:
            return
        width_changed = self._shown is None or text.cell_len != self._shown.cell_len
        self._shown = text
        self.update(text, layout=width_changed)

    @property
    def plain(self) -> str:
        return self._shown.plain if self._shown is not None else ""


class HeaderBar(Horizontal):
    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $text; }
    HeaderBar Part { width: auto; height: 1; padding: 0 1 0 0; }
    HeaderBar #hdr-incident { width: 1fr; }
    HeaderBar #hdr-badge { padding: 0 1; text-style: bold; }
    HeaderBar #hdr-clock { padding: 0 1; }
    """

    def __init__(self, context: str, read_only: bool) -> None:
        super().__init__(id="header")
        self.context = context
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

    def on_mount(self) -> None:
        self.where.show(Text.assemble((" warroom ", "bold reverse"), " ", (self.context, "bold")))
        if self.read_only:
            self.badge.show(Text("[R] read-only", style="bold black on yellow"))
        else:
            self.badge.show(Text("[RW]", style="bold"))
        self.incident.show(Text("no incident declared · D to declare", style="dim"))

    def set_incident(self, text: Text) -> None:
        self.incident.show(text)

    def set_countdown(self, text: Text) -> None:
        self.countdown.show(text)

    def tick(self, now: datetime) -> None:
        self.clock.show(Text(now.strftime("%H:%M:%SZ"), style="bold"))
