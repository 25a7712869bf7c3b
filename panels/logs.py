"""Panel 4: the log tail. A bounded ring buffer rendered line by line (only the visible lines
are ever drawn), so a chatty source costs neither memory nor repaint time: k9s's log view grew
to 30 GB (#1188); this one keeps `max_lines` and counts what it dropped."""

from __future__ import annotations

import zlib
from collections import deque
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from panels.base import Panel
from tui.core.model import LogBatch, LogLine
from tui.core.untrusted import clean

ORIGIN_COLOURS = ("cyan", "magenta", "blue", "green", "yellow", "bright_cyan", "bright_magenta")
LEVEL_STYLE = {"error": Style(color="red", bold=True), "warn": Style(color="yellow")}
MAX_SHOWN = 1000  # characters of one line kept for display (the raw line stays in LogLine)


class Entry:
    """One line as shown: cleaned once on arrival, never again on repaint."""

    __slots__ = ("level", "line", "origin", "stamp", "text")

    def __init__(self, line: LogLine) -> None:
        self.line = line
        self.stamp = line.at.strftime("%H:%M:%S") if line.at else "--:--:--"
        self.origin = clean(line.origin, max_len=40)
        self.text = clean(line.text, max_len=MAX_SHOWN)
        self.level = (line.level or "").lower()

    def matches(self, needle: str) -> bool:
        return needle in self.text.lower() or needle in self.origin.lower()


class LogView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("f", "toggle_follow", "Follow", id="logs.follow"),
        Binding("end,G", "follow", "End", show=False, id="logs.end"),
        Binding("home,g", "scroll_home", "Top", show=False, id="logs.top"),
    ]
    DEFAULT_CSS = "LogView { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }"

    def __init__(self, max_lines: int = 5000, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max_lines
        self.entries: deque[Entry] = deque(maxlen=max_lines)
        self.filter = ""
        self.shown: deque[Entry] | list[Entry] = self.entries
        self.follow = True
        self.dropped = 0
        self.received = 0

    def append(self, batch: LogBatch) -> None:
        if not batch.lines and not batch.dropped:
            return
        self.dropped += batch.dropped
        overflow = max(0, len(self.entries) + len(batch.lines) - self.max_lines)
        self.dropped += overflow
        new = [Entry(line) for line in batch.lines]
        self.received += len(new)
        self.entries.extend(new)
        if self.filter:
            self.shown.extend(e for e in new if e.matches(self.filter))
            if len(self.shown) > self.max_lines:
                del self.shown[: len(self.shown) - self.max_lines]  # type: ignore[arg-type]
        self._resized()

    def set_filter(self, needle: str) -> None:
        self.filter = needle.lower()
        self.shown = [e for e in self.entries if e.matches(self.filter)] if self.filter else self.entries
        self._resized()
        self.refresh()

    def _resized(self) -> None:
        size = Size(self.scrollable_content_region.width, len(self.shown))
        if size != self.virtual_size:
            # Assigning `virtual_size` runs a layout pass that repaints every sibling's
            # scrollbar (a kilobyte a batch, measured); set it without one, update this view's
            # own scrollbar, and lay out only when the scrollbar appears or goes.
            had_scrollbar = self.show_vertical_scrollbar
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            if self.show_vertical_scrollbar != had_scrollbar:
                self.refresh(layout=True)
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        if isinstance(self.parent, LogPanel):
            self.parent.refresh_badge()

    def action_follow(self) -> None:
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def on_mouse_scroll_up(self) -> None:
        self.follow = False

    def action_scroll_up(self) -> None:
        self.follow = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.follow = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.follow = False
        super().action_scroll_home()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self.shown):
            return Strip.blank(width, base)
        entry = self.shown[index]
        colour = ORIGIN_COLOURS[zlib.crc32(entry.origin.encode()) % len(ORIGIN_COLOURS)]
        segments = [
            Segment(entry.stamp + " ", base + Style(dim=True)),
            Segment(entry.origin + " ", base + Style(color=colour)),
            Segment(entry.text, base + LEVEL_STYLE.get(entry.level, Style())),
        ]
        return Strip(segments).crop(0, width).extend_cell_length(width, base)


class LogPanel(Panel):
    PANEL_ID = "logs"
    TITLE = "Logs"
    NUMBER = 4
    CONFIG_HINT = "[[logs]]"

    def body(self) -> LogView:
        self.view = LogView(id="log-view")
        return self.view

    def show(self, batch: LogBatch, now: datetime) -> None:  # type: ignore[override]
        self.view.append(batch)
        self.refresh_badge()

    def selected(self) -> LogLine | None:
        """The line at the bottom of the tail as shown (filtered, scrolled): what a log-line
        action acts on."""
        view = self.view
        bottom = min(len(view.shown), view.scroll_offset.y + view.size.height) - 1
        return view.shown[bottom].line if bottom >= 0 else None

    def set_filter(self, needle: str) -> None:
        # The log keeps its own filtered view: re-showing "the last snapshot" would lose lines.
        self.filter_text = needle
        self.view.set_filter(needle)
        self.refresh_badge()

    def refresh_badge(self) -> None:
        # The badge changes only on news (drops, pause, filter), not with every line: it sits in
        # the border, and repainting the border per batch would cost bytes for nothing.
        parts = []
        if self.view.dropped:
            parts.append(f"{self.view.dropped} dropped")
        if not self.view.follow:
            parts.append("paused")
        self.set_level("ok", ", ".join(parts))
        view = self.view
        if view.filter:
            # Error lines the filter hides, counted over what is kept (the ring buffer).
            errors = sum(e.level == "error" for e in view.entries)
            shown_errors = sum(e.level == "error" for e in view.shown)
            self.count_filtered(len(view.shown), len(view.entries), errors - shown_errors)
        else:
            self.count_filtered(0, 0)
