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
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from panels.base import Panel
from panels.status import status_text
from tui.core.model import LogBatch, LogLine, PodLogBatch, SourceStatus
from tui.core.untrusted import clean, one_line

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

    def clear(self) -> None:
        """Empty, following, unfiltered: a new stream starts here."""
        self.entries.clear()
        self.shown = self.entries
        self.filter = ""
        self.follow = True
        self.dropped = self.received = 0
        self._resized()
        self.scroll_home(animate=False, immediate=True)
        self.refresh()

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
    # Only while the logs `l` asked for are shown (check_action hides them otherwise).
    BINDINGS = [
        Binding("p", "pod_logs('previous')", "Previous", id="logs.previous"),
        Binding("l", "pod_logs('back')", "Back to [[logs]]", show=False, id="logs.back"),
    ]

    class PodLogsKey(Message):
        """`p` (toggle `--previous`) or `l`/escape (back to the configured sources) while the
        logs `l` asked for are shown: tui/controllers/pod_logs.py does it."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    def body(self) -> LogView:
        self.view = LogView(id="log-view")
        self.configured_view = self.view  # the [[logs]] tail, kept up to date underneath
        self.pod_view: LogView | None = None  # while the logs `l` asked for are shown
        self._pod_view: LogView | None = None  # mounted on first use, then kept (hidden)
        self.about = ""  # what the pod view shows: "logs of deployment/web: 3 pods, following"
        self._configured_status: SourceStatus | None = None
        self._was_configured = True
        return self.view

    def show(self, batch: LogBatch, now: datetime) -> None:  # type: ignore[override]
        # The configured sources' lines: kept in their own view while pod logs are shown.
        self.configured_view.append(batch)
        if self.view is self.configured_view:
            self.refresh_badge()

    def source_replaced(self, now: datetime) -> None:
        # Another context's lines start here: the old context's would read as this one's.
        self.configured_view.clear()
        if self.view is self.configured_view:
            self.refresh_badge()

    # ---- the logs `l` asked for --------------------------------------------------------------
    @property
    def showing_pod_logs(self) -> bool:
        return self.pod_view is not None

    def show_pod_logs(self, about: str) -> None:
        """A fresh view for the logs `l` asked for, in the configured view's place (which goes
        on receiving its own lines underneath, so going back loses none)."""
        if self.pod_view is None:
            self._configured_status = self.source_status
            self._was_configured = self.configured
            self.source_status = None
            self.set_class(False, "-stale")
        if self._pod_view is None:
            self._pod_view = LogView(id="pod-log-view")
            self.mount(self._pod_view, before=self.status_line)
        self.pod_view = self._pod_view
        self.pod_view.clear()
        self.pod_view.display = True
        self.configured_view.display = False
        self.view = self.pod_view
        if not self.configured:  # no [[logs]]: the panel shows something now
            self.configured = True
            self.remove_class("-unconfigured")
        self.about = about
        self.filter_text = ""
        self.refresh_badge()
        self._retitle()
        self.tick(self.app.clock.now())  # type: ignore[attr-defined]

    def show_pod_batch(self, batch: PodLogBatch, about: str) -> None:
        if self.pod_view is None:
            return
        self.pod_view.append(batch)
        if about != self.about:
            self.about = about
            self._retitle()
        self.refresh_badge()

    def set_pod_status(self, status: SourceStatus, now: datetime) -> None:
        if self.pod_view is not None:
            super().set_source_status(status, now)

    def back_to_configured(self) -> None:
        if self.pod_view is None:
            return
        self.pod_view.display = False
        self.pod_view.clear()  # its lines go: memory is for what is shown
        self.pod_view = None
        self.view = self.configured_view
        self.configured_view.display = True
        self.about = ""
        self.filter_text = ""
        self.view.set_filter("")
        now = self.app.clock.now()  # type: ignore[attr-defined]
        self.source_status = None
        if not self._was_configured:
            self.set_unconfigured()
        elif self._configured_status is not None:
            super().set_source_status(self._configured_status, now)
        else:
            self.tick(now)
        self.refresh_badge()
        self._retitle()

    def set_source_status(self, status: SourceStatus, now: datetime) -> None:
        if self.pod_view is not None:
            self._configured_status = status  # the configured sources' news, for going back
            return
        super().set_source_status(status, now)

    def tick(self, now: datetime) -> None:
        if self.pod_view is None:
            super().tick(now)
            return
        line = status_text(self.source_status, now, self.interval_s)
        line.append("  p previous · l/esc back to [[logs]]", style="dim")
        self.status_line.show(line)

    def title_content(self) -> Content:
        title = super().title_content()
        if not self.about:
            return title
        return Content.assemble(title, (f" · {one_line(self.about, 80)}", "bold"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pod_logs":
            return self.pod_view is not None
        return True

    def action_pod_logs(self, what: str) -> None:
        self.post_message(self.PodLogsKey(what))

    def focus_body(self) -> None:
        self.screen.set_focus(self.view)

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
