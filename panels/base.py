"""What every panel has: a titled border, a body, and a one-line source status under it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from panels.status import status_text
from tui.core.model import LogTarget, SourceStatus
from tui.core.untrusted import one_line

Level = str  # "ok" | "warn" | "error" | "idle": what the panel's badge says at a glance


def fields_text(pairs: Iterable[tuple[str, object]]) -> str:
    """`name: value` lines for a detail dialog; values are shown literally by the dialog."""
    pairs = list(pairs)
    width = max((len(name) for name, _ in pairs), default=0)
    return "\n".join(
        f"{name:<{width}}  {'-' if value is None or value == '' else value}" for name, value in pairs
    )


class ChangedText(Static):
    """A one-line Static that repaints only when its text changes. It re-lays out only when
    `AUTO_WIDTH` and the width changed: a layout pass repaints every sibling's scrollbar (8× the
    output in a measurement here)."""

    AUTO_WIDTH = False  # True: the widget is as wide as its text, so a new width needs layout

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._shown: Text | None = None

    def show(self, text: Text) -> None:
        if self._shown is not None and text == self._shown:
            return
        layout = self.AUTO_WIDTH and (self._shown is None or text.cell_len != self._shown.cell_len)
        self._shown = text
        self.update(text, layout=layout)

    @property
    def plain(self) -> str:
        return self._shown.plain if self._shown is not None else ""


class StatusLine(ChangedText):
    """The one-line source status under every panel."""

    DEFAULT_CSS = "StatusLine { height: 1; width: 1fr; color: $text-muted; }"


class Panel(Vertical):
    """Base of the five panels. Subclasses build `body()` and implement `show()`."""

    PANEL_ID: ClassVar[str] = "panel"
    TITLE: ClassVar[str] = "Panel"
    NUMBER: ClassVar[int] = 0
    # Where this panel's source is set up in warroom.example.toml, for the "not configured" line.
    CONFIG_HINT: ClassVar[str] = ""

    DEFAULT_CSS = """
    Panel {
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        height: 1fr;
        padding: 0 0;
    }
    Panel:focus-within { border: round $accent; }
    Panel.-error { border: round $error; }
    Panel.-error:focus-within { border: heavy $error; }
    Panel.-warn { border: round $warning; }
    Panel.-warn:focus-within { border: heavy $warning; }
    Panel.-unconfigured { border: round $panel-lighten-1; border-title-style: none; }
    Panel.-unconfigured > * { display: none; }
    Panel.-unconfigured > StatusLine { display: block; }
    """

    def __init__(self, interval_s: float = 5.0) -> None:
        super().__init__(id=self.PANEL_ID)
        self.interval_s = interval_s
        self.source_status: SourceStatus | None = None
        self.status_line = StatusLine(classes="panel-status")
        self.level: Level = "idle"
        self.badge = ""
        # (shown, total, failing rows hidden) while a filter applies; None without a filter.
        self.filter_counts: tuple[int, int, int] | None = None
        self.configured = True
        self.border_title = f"{self.NUMBER} {self.TITLE}"

    def compose(self) -> ComposeResult:
        yield self.body()
        yield self.status_line

    def body(self) -> Widget:
        raise NotImplementedError  # abstract: every panel builds its own body

    # ---- filter (`/`): every panel keeps its last snapshot and shows it again filtered ----
    filter_text = ""
    _titled_filter = ""  # the needle the title shows now
    last: object | None = None

    def set_filter(self, needle: str) -> None:
        self.filter_text = needle
        if self.last is not None and self.is_mounted:
            self.show(self.last, self.app.clock.now())  # type: ignore[attr-defined]
        elif not needle:
            self.count_filtered(0, 0)

    def matches(self, *values: str) -> bool:
        needle = self.filter_text.lower()
        return not needle or any(needle in value.lower() for value in values)

    def count_filtered(self, shown: int, total: int, failing_hidden: int = 0) -> None:
        """What the filter leaves out, said in the title ("filter: pay · 3 of 40"), with the
        failing rows it hides in the error role: a forgotten filter must never hide a failure
        silently. Every panel's `show` calls this with its own idea of a failing row."""
        counts = (shown, total, failing_hidden) if self.filter_text else None
        if counts != self.filter_counts or self.filter_text != self._titled_filter:
            self.filter_counts = counts
            self._titled_filter = self.filter_text
            self._retitle()

    def show(self, snapshot: object, now: datetime) -> None:
        raise NotImplementedError  # abstract: every panel renders its own snapshot type

    def source_replaced(self, now: datetime) -> None:
        """Its source was replaced by one of another scope (a context switch): what the old one
        showed is not shown as the new one's. By default the new snapshot simply replaces it."""

    def detail(self, key: str) -> tuple[str, str] | None:
        """The row `key` in full, as (title, body) for the detail dialog; None: nothing to show."""
        return None

    def focus_body(self) -> None:
        # At once, not after the next refresh (`focus()`): keys typed in a burst (a slow SSH
        # link delivers them so) must reach the panel the key before them chose.
        self.screen.set_focus(self.children[0])

    def set_unconfigured(self) -> None:
        """No source behind this panel: a quiet line that says where to set one up, in the
        theme's muted role (not an error: nothing is broken), and the layout gives the room to
        the panels that have something to show."""
        self.configured = False
        self.add_class("-unconfigured")
        self.status_line.show(Text(f"not configured (see {self.CONFIG_HINT} in warroom.example.toml)"))
        self._retitle()

    @property
    def source_down(self) -> bool:
        """The configured source's last cycle failed: its rows stay, marked stale."""
        return self.configured and self.source_status is not None and not self.source_status.ok

    def set_source_status(self, status: SourceStatus, now: datetime) -> None:
        was_down = self.source_down
        self.source_status = status
        self.tick(now)
        if self.source_down != was_down:
            self.set_class(self.source_down, "-stale")
            self._retitle()
            self.post_message(self.LevelChanged(self))  # the tab's ✖ follows the source too

    def tick(self, now: datetime) -> None:
        """Called once a second: ages in the status line move only when their text changes."""
        if not self.configured:
            return
        self.status_line.show(status_text(self.source_status, now, self.interval_s))

    def set_level(self, level: Level, badge: str) -> None:
        """The panel's alarm state: border colour and the badge in its title and tab."""
        if level == self.level and badge == self.badge:
            return
        self.level, self.badge = level, badge
        self.set_class(level == "error", "-error")
        self.set_class(level == "warn", "-warn")
        self._retitle()
        self.post_message(self.LevelChanged(self))

    def title_content(self) -> Content:
        """The border title: number, name, badge, and the filter with its counts."""
        parts: list[str | tuple[str, str]] = [f"{self.NUMBER} {self.TITLE}"]
        if self.source_down:
            # The rows below are the last good data: say so where the eye lands first.
            stale = "stale" if self.source_status and self.source_status.updated_at else "down"
            parts.append(" · ")
            parts.append((f"✖ {stale}", "bold $error"))
        if self.badge:
            parts.append(f" · {self.badge}")
        if self.filter_counts is not None:
            shown, total, hidden = self.filter_counts
            # The needle was typed by a person: shown literally (a Content part is never markup).
            parts.append((f" · filter: {one_line(self.filter_text, 24)} · {shown} of {total}", "$accent"))
            if hidden:
                parts.append(" · ")
                parts.append((f"{hidden} failing hidden", "bold $error"))
        return Content.assemble(*parts)

    @property
    def title_plain(self) -> str:
        return self.title_content().plain

    def _retitle(self) -> None:
        self.border_title = self.title_content()

    class LogsWanted(Message):
        """`l` on a pod, a workload or a service linked to a deployment: its logs in the log
        panel (tui/controllers/pod_logs.py starts them)."""

        def __init__(self, target: LogTarget) -> None:
            super().__init__()
            self.target = target

    class LevelChanged(Message):
        def __init__(self, panel: Panel) -> None:
            super().__init__()
            self.panel = panel
