"""The war room: header, five panels, footer. Data arrives from one loop per source; the app
only routes snapshots to panels and keys to the one dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from rich.text import Text
from textual import events
from textual.actions import parse
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from panels.base import Panel
from panels.health import HealthPanel
from panels.keybar import KeyBar
from panels.logs import LogPanel, LogView
from panels.pods import PodsPanel
from panels.slos import SloPanel
from panels.table import DiffTable
from panels.timeline import TimelinePanel
from themes import default_theme, register_themes, stylesheet
from tui.controllers.bindings import ACTION_BINDINGS, INCIDENT_BINDINGS, WRITES
from tui.core.clock import Clock, SystemClock
from tui.key_queue import Hold, KeyQueue

# What the first frame does not need is loaded after it is on the screen, or when first used:
# the controllers (the record, the actions), detection, the source loops.
if TYPE_CHECKING:
    from actions import Registry
    from panels.modals import DetailScreen
    from tui.config.schema import ActionConfig, ClusterConfig, DetectionConfig
    from tui.controllers.action_keys import ActionKeys
    from tui.controllers.cluster_scope import ScopeSwitch
    from tui.controllers.incident_keys import IncidentKeys
    from tui.controllers.pod_logs import PodLogs
    from tui.controllers.quitting import QuitGuard, QuitHook
    from tui.core.model import LogTarget, SourceStatus
    from tui.domain.detection import Detection, Detector
    from tui.incident.feed import TimelineSource
    from tui.incident.record import Record
    from tui.keys import BindingInfo
    from tui.runtime import SourceLoop
    from tui.sources.base import PollSource

# Below these the five panels do not fit side by side with their key columns readable (at
# 120×30 the pods showed four rows and the timeline's text 19 characters): one panel at a time,
# under tabs, each with the whole width.
NARROW_COLS = 150
NARROW_ROWS = 36
PANEL_ORDER = ("health", "pods", "slos", "logs", "timeline")
COLUMNS = {"col-left": ("health", "pods", "logs"), "col-right": ("slos", "timeline")}


class Scope(Protocol):
    """The cluster's context and namespaces, switchable (tui.wiring.ClusterScope)."""

    context: str
    cluster: ClusterConfig
    list_error: str | None

    def contexts(self) -> Mapping[str, str]: ...
    def label(self) -> str: ...
    def namespaces(self) -> tuple[str, ...]: ...
    async def list_namespaces(self) -> None: ...
    async def switch(
        self, *, context: str | None = None, namespaces: tuple[str, ...] | None = None
    ) -> Mapping[str, PollSource[Any]]: ...


@dataclass
class AppSetup:
    """Everything the app needs, built by `tui.wiring` from a config or the demo."""

    context: str  # cluster context, or "demo"
    sources: Mapping[str, PollSource[Any]]  # panel id -> its source
    clock: Clock = field(default_factory=SystemClock)
    read_only: bool = False
    theme: str | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)
    title: str = "warroom"
    tick_s: float = 1.0  # header clock and status ages; 0 disables the ticker (snapshots)
    registry: Registry | None = None  # the mitigation actions (None: no key acts on anything)
    secret_files: tuple[str, ...] = ()  # token files whose contents never reach the record
    # Closed with the sources when the app stops: what the registry's actions hold open (the
    # cluster control's connection pool and threads).
    closers: Sequence[Callable[[], Awaitable[None]]] = ()
    # What quitting with an incident open does to it (tui.controllers.quitting); None: it stays open, said.
    quit_hook: QuitHook | None = None
    detection: DetectionConfig | None = None  # how detection damps (None: the defaults)
    # The incident record, opened once and shared by the timeline, the dispatcher and the
    # controllers (tui.incident.record); None: the timeline's own (a test's TimelineSource).
    record: Record | None = None
    # What `l` starts in the log panel's place: a source for the logs of a workload's pods or
    # a pod (tui.sources.kubernetes.pod_logs); None: no cluster, `l` says so.
    pod_logs: Callable[[LogTarget], PollSource[Any]] | None = None
    # Start-up pays for the first frame first: `finish` builds the rest of the set-up (the
    # demo's world, the record, the actions: `sources`, `registry`, `record`, `quit_hook`) once
    # that frame is on the screen, before any source starts; `panels` says meanwhile which
    # panels will have a source, and how often each polls. None: all given here.
    # The context and namespaces of the cluster, switched from the command palette; None: no cluster.
    scope: Scope | None = None
    finish: Callable[[AppSetup], None] | None = None
    panels: Mapping[str, float] | None = None

    def complete(self) -> AppSetup:
        """Run `finish` if it has not run yet (once); the setup, whole."""
        finish, self.finish = self.finish, None
        if finish is not None:
            finish(self)
        return self

    def intervals(self) -> Mapping[str, float]:
        """panel id -> its source's interval, for each panel that has (or will have) a source."""
        if self.finish is not None and self.panels is not None:
            return self.panels
        return {pid: src.interval_s for pid, src in self.sources.items()}


class TabStrip(Static):
    """Narrow terminals: which panel is shown, and every panel's badge, on one line."""

    def show_tabs(self, panels: Iterable[Panel], active: str) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for panel in panels:
            level = "error" if panel.source_down else panel.level
            style = {"error": "bold red", "warn": "bold yellow"}.get(level, "")
            if not panel.configured:
                style = "dim"
            label = f" {panel.NUMBER} {panel.TITLE}"
            if panel.source_down or (panel.badge and level in ("error", "warn")):
                label += f" {'✖' if level == 'error' else '▲'}"
            label += " "
            text.append(label, style=("reverse " + style) if panel.PANEL_ID == active else style)
        self.update(text)


def is_narrow(width: int, height: int) -> bool:
    """One panel at a time, under tabs (below NARROW_COLS × NARROW_ROWS)."""
    return width < NARROW_COLS or height < NARROW_ROWS


def all_bindings(actions: Iterable[ActionConfig] = ()) -> list[BindingInfo]:
    """Every binding a `[keys]` remap may name, with the scope it is active in; `actions` are the
    config's `[[actions]]`, whose keys are app bindings too ("actions.<slug>")."""
    from panels import modals
    from panels.help import HelpScreen
    from tui.controllers.action_keys import config_bindings
    from tui.keys import binding_infos

    app_bindings = [*WarroomApp.BINDINGS, *config_bindings(actions)]
    infos = binding_infos("app", app_bindings) + binding_infos("LogView", LogView.BINDINGS)
    # A panel's own keys are active with the focus anywhere in it (its body included).
    infos += binding_infos("LogView", LogPanel.BINDINGS) + binding_infos("DiffTable", PodsPanel.BINDINGS)
    infos += binding_infos("HealthPanel", HealthPanel.BINDINGS)
    infos += binding_infos("TimelinePanel", TimelinePanel.BINDINGS)
    infos += binding_infos("DiffTable", DiffTable.BINDINGS)
    for screen in (
        HelpScreen,
        modals.ConfirmScreen,
        modals.AskScreen,
        modals.PromptScreen,
        modals.ChoiceScreen,
        modals.ComposerScreen,
        modals.DetailScreen,
    ):
        infos += binding_infos(f"modal:{screen.__name__}", screen.BINDINGS)
    return infos


def check_app_keymap(keymap: Mapping[str, str], where: str, actions: Iterable[ActionConfig] = ()) -> None:
    """Raise UserError for a `[keys]` remap naming no binding or making two share a key. The keys
    of `[[actions]]` are the user's choice as much as a remap: one on a built-in key is a clash."""
    from tui.controllers.action_keys import config_keymap
    from tui.keys import check_keymap

    actions = tuple(actions)
    chosen = {**config_keymap(actions), **keymap}
    if chosen:
        check_keymap(chosen, all_bindings(actions), where)


class WarroomApp(App[int]):
    TITLE = "warroom"
    CSS = stylesheet()
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # ctrl+c, outside a field that copies with it: the reflex of every terminal user at 3 a.m.
        # Textual only says which key quits; here it quits as `q` does (asked first with an
        # incident open, so a stray ctrl+c never leaves the war room unasked).
        Binding("ctrl+c", "quit", "Quit", show=False, id="app.quit_ctrl_c"),
        Binding("tab", "next_panel", "Next panel", show=False, id="app.next_panel", priority=True),
        Binding("shift+tab", "prev_panel", "Prev panel", show=False, id="app.prev_panel", priority=True),
        Binding("1", "show_panel('health')", "Health", show=False, id="app.panel_1"),
        Binding("2", "show_panel('pods')", "Pods", show=False, id="app.panel_2"),
        Binding("3", "show_panel('slos')", "SLOs", show=False, id="app.panel_3"),
        Binding("4", "show_panel('logs')", "Logs", show=False, id="app.panel_4"),
        Binding("5", "show_panel('timeline')", "Timeline", show=False, id="app.panel_5"),
        Binding("slash", "filter", "Filter", id="app.filter"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="app.refresh"),
        *INCIDENT_BINDINGS,
        *ACTION_BINDINGS,
    ]

    def __init__(self, setup: AppSetup) -> None:
        super().__init__()
        self.setup = setup
        self.clock = setup.clock
        self.loops: dict[str, SourceLoop] = {}
        self.active_panel = "health"
        self.narrow = False
        self._pending: dict[str, Any] = {}  # snapshots held back while a modal is open
        self.stop_reason: str | None = None  # why warroom is stopping: recorded on interrupted runs
        self._leaving: asyncio.Future[None] | None = None  # the signal handler's leave, kept from GC
        self._painted: dict[str, Any] = {}  # the last snapshot painted per panel
        self._setting_up: Hold | None = None  # the keys wait while the set-up is finished
        # Keys one at a time, each to where it would have gone typed slowly (a burst over SSH).
        self.key_queue = KeyQueue(self)
        register_themes(self)
        self.theme = setup.theme or default_theme()
        if setup.keymap:
            self.set_keymap(dict(setup.keymap))

    # ---- the controllers, built when first used (after the first frame) ---------------------
    @cached_property
    def detector(self) -> Detector:
        from tui.config.schema import DetectionConfig
        from tui.domain.detection import Detector

        return Detector(self.setup.detection or DetectionConfig())

    @cached_property
    def incident_keys(self) -> IncidentKeys:
        from tui.controllers.incident_keys import IncidentKeys

        return IncidentKeys(self)

    @cached_property
    def action_keys(self) -> ActionKeys:
        from tui.controllers.action_keys import ActionKeys

        return ActionKeys(self)  # reads the registry: built once the set-up is whole

    @cached_property
    def quit_guard(self) -> QuitGuard:
        from tui.controllers.quitting import QuitGuard

        return QuitGuard(self, self.setup.quit_hook)

    @cached_property
    def scope_switch(self) -> ScopeSwitch | None:
        from tui.controllers.cluster_scope import ScopeSwitch

        return ScopeSwitch(self, self.setup.scope) if self.setup.scope is not None else None

    @cached_property
    def pod_logs(self) -> PodLogs:
        from tui.controllers.pod_logs import PodLogs

        return PodLogs(self)

    # ---- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from panels.header import HeaderBar

        scope = self.setup.scope
        self.header = HeaderBar(self.setup.context, self.setup.read_only, scope.label() if scope else "")
        yield self.header
        self.tabs = TabStrip(id="tabs")
        yield self.tabs
        intervals = self.setup.intervals()
        self.panels: dict[str, Panel] = {
            "health": HealthPanel(intervals.get("health", 5.0)),
            "pods": PodsPanel(intervals.get("pods", 2.0)),
            "slos": SloPanel(intervals.get("slos", 15.0)),
            "logs": LogPanel(intervals.get("logs", 1.0)),
            "timeline": TimelinePanel(intervals.get("timeline", 1.0)),
        }
        # The first layout's classes are set before the widgets mount, so each widget is styled
        # once: set after mounting (on_mount, on_resize), each class restyled the whole screen
        # again, about 40 ms of the first paint. on_mount's _layout_for and show_panel then
        # find them set and only size and focus.
        narrow = is_narrow(self.size.width, self.size.height)
        self.screen.set_class(narrow, "-narrow")
        self.screen.set_class(not narrow, "-wide")
        first = self._first_panel()
        self.panels[first].set_class(True, "-active", update=False)
        with Container(id="grid"):
            # Two columns, so a panel with nothing to show (not configured) gives its room to
            # the others in its column: health, pods and the log tail on the left; SLOs beside
            # health, and the timeline beside pods and logs.
            for column, pids in COLUMNS.items():
                with Vertical(id=column, classes="column -active" if first in pids else "column"):
                    for pid in pids:
                        yield self.panels[pid]
        self.filter_bar = Input(
            placeholder="filter the focused panel (enter keeps, escape clears)", id="filter-bar"
        )
        yield self.filter_bar
        self.keybar = KeyBar(id="keybar")
        yield self.keybar

    def on_mount(self) -> None:
        now = self.clock.now()
        intervals = self.setup.intervals()
        for pid, panel in self.panels.items():
            if pid not in intervals and pid != "timeline":
                panel.set_unconfigured()
        self._layout_for(self.size.width, self.size.height)
        self.show_panel(self._first_panel())
        self.header.tick(now)
        # The sources start once the frame is on the screen: their first polls (the demo's
        # world catching up with its first two minutes, the first snapshots painted) no longer
        # hold back the first paint, and their data follows in the next frames. What the set-up
        # still has to build is built then too; keys typed meanwhile wait for it.
        self.call_after_refresh(self._first_paint_done)
        if self.setup.tick_s > 0:
            self.set_interval(self.setup.tick_s, self.tick, name="tick")
        self._stop_on_signals(True)
        self.key_queue.start()
        if self.setup.finish is not None:
            self._setting_up = self.key_queue.hold()

    async def on_event(self, event: events.Event) -> None:
        # A key read from the terminal waits its turn in the key queue (tui.key_queue), which
        # hands it back here once what came before it is done.
        if isinstance(event, events.Key):
            if not self.screen_stack:
                return  # the app is closing: a key still on its way has nowhere to go
            if not event.is_forwarded and self.key_queue.take(event):
                return
        await super().on_event(event)

    def _first_paint_done(self) -> None:
        try:
            self.setup.complete()
            # The team's [[actions]] keys join the app's bindings when the registry is read: now,
            # before any key is let through, so the key bar and help list them from the start.
            self.action_keys  # noqa: B018
            self.refresh_bindings()
        finally:
            if self._setting_up is not None:
                self._setting_up.release()
                self._setting_up = None
        for pid, source in self.setup.sources.items():
            self.start_loop(pid, source)
        if self.scope_switch is not None:
            self.scope_switch.list_namespaces()  # for the palette's namespace switch
        if not gc.isenabled():
            # The command line starts the app with the collector off (tui.cli.quick_start):
            # what start-up built lives as long as the app, so it is frozen out of later passes.
            gc.freeze()
            gc.enable()

    def start_loop(self, pid: str, source: PollSource[Any]) -> None:
        """Feed panel `pid` from `source` (at start, and in a switched source's place)."""
        from tui.runtime import SourceLoop

        describe = getattr(source, "describe_pod", None)
        pods = self.panels.get(pid)
        if describe is not None and isinstance(pods, PodsPanel):
            pods.describer = describe  # enter on a pod reads it, as kubectl describe pod does

        self.loops[pid] = loop = SourceLoop(
            self,
            source,
            deliver=partial(self._deliver, pid),
            report=partial(self._report, pid),
            clock=self.clock,
        )
        loop.start()

    def forget(self, pid: str) -> None:
        """What panel `pid` was shown and held back belongs to a source replaced."""
        self._painted.pop(pid, None)
        self._pending.pop(pid, None)

    def _first_panel(self) -> str:
        """The panel focused at start: the first with a source (the timeline always has one)."""
        intervals = self.setup.intervals()
        return next(pid for pid in PANEL_ORDER if pid in intervals or pid == "timeline")

    def _stop_on_signals(self, on: bool) -> None:
        """SIGTERM (a kill, a shutdown), SIGHUP (the SSH link dropped) and SIGINT end the app as
        `q` does, without asking, so everything closes properly: running actions are stopped and
        recorded as interrupted, the record is closed, a drill the screen declared is resolved,
        and the terminal is restored (by default a SIGTERM left the alternate screen, mouse
        tracking and a hidden cursor)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                if on:
                    loop.add_signal_handler(sig, self._stopped_by, sig)
                else:
                    loop.remove_signal_handler(sig)

    def _stopped_by(self, sig: signal.Signals) -> None:
        if self.stop_reason is not None:
            return  # already stopping
        self.stop_reason = f"warroom was stopped by {sig.name}"
        timeline = self.timeline
        if timeline is not None:
            timeline.stop_reason = self.stop_reason
        # As a shell reports a death by that signal. A task: a signal handler cannot await.
        self._leaving = asyncio.ensure_future(self.leave(return_code=128 + int(sig)))

    def _report(self, pid: str, status: SourceStatus) -> None:
        now = self.clock.now()
        self.panels[pid].set_source_status(status, now)
        if pid == "timeline":
            self.header.set_record_error(None if status.ok else status.error, now)

    def on_resize(self, event: events.Resize) -> None:
        self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        narrow = is_narrow(width, height)
        self.narrow = narrow
        self.screen.set_class(narrow, "-narrow")
        self.screen.set_class(not narrow, "-wide")
        top = "1fr"
        if not narrow:
            # Health and SLOs share the top row, as tall as the longer of the two needs.
            rows = [
                len(getattr(self.panels[pid], name, {})) or 8
                for pid, name in (("health", "services"), ("slos", "slos"))
                if self.panels[pid].configured
            ]
            top = str(min(max([*rows, 3]), 14) + 4)
        for pids in COLUMNS.values():
            # The top panel keeps its height only while a configured panel below wants the rest.
            below = any(self.panels[pid].configured for pid in pids[1:])
            first = self.panels[pids[0]]
            if not first.configured:
                first.styles.height = "1fr" if narrow else 3  # its one quiet line
            else:
                first.styles.height = top if below else "1fr"
        for column, pids in COLUMNS.items():
            # A column whose panels are all unconfigured gives its whole width away.
            shown = any(self.panels[pid].configured for pid in pids)
            self.query_one(f"#{column}").set_class(not shown, "-empty")
        self._show_tabs()

    def _show_tabs(self) -> None:
        if self.narrow:
            self.tabs.show_tabs(self.panels.values(), self.active_panel)

    # ---- data --------------------------------------------------------------------------
    @property
    def timeline(self) -> TimelineSource | None:
        from tui.incident.feed import TimelineSource

        source = self.setup.sources.get("timeline")
        return source if isinstance(source, TimelineSource) else None

    @property
    def record(self) -> Record | None:
        """The incident record this screen writes to (or reads, read-only); None: no timeline."""
        if self.setup.record is not None:
            return self.setup.record
        timeline = self.timeline
        return timeline.record if timeline is not None else None

    def _detect(self, pid: str, data: Any) -> None:
        """Automatic detection runs on every snapshot, modal or not: the record must not wait for
        someone to close a dialog."""
        checks: dict[str, Callable[[Any, datetime], list[Detection]]] = {
            "health": self.detector.health,
            "pods": self.detector.pods,
            "slos": self.detector.slos,
        }
        check = checks.get(pid)
        timeline = self.timeline
        if check is None or timeline is None:
            return
        found = check(data, self.clock.now())
        if found:
            timeline.detect(found)
            self.loops["timeline"].poll_now()

    def _deliver(self, pid: str, data: Any) -> None:
        self._detect(pid, data)
        if len(self.screen_stack) > 1:  # a modal is open: keep only the newest, paint on return
            if pid == "logs" and pid in self._pending:
                from tui.core.model import LogBatch

                old: LogBatch = self._pending[pid]
                data = LogBatch(old.lines + data.lines, old.dropped + data.dropped)
            self._pending[pid] = data
            return
        self._paint(pid, data)

    def _paint(self, pid: str, data: Any) -> None:
        if data is self._painted.get(pid) and pid != "logs":
            return  # the source handed back the very snapshot it gave last time: no news
        self._painted[pid] = data
        panel = self.panels[pid]
        now = self.clock.now()
        panel.show(data, now)
        if pid == "timeline":
            self.header.set_incident(data.state, now)
        if pid in ("health", "slos") and not self.narrow:  # the top row fits the longer of the two
            self._layout_for(self.size.width, self.size.height)

    def pop_screen(self) -> Any:
        # Every modal leaves through here; back on the main screen, paint what arrived meanwhile.
        result = super().pop_screen()
        if len(self.screen_stack) == 1 and self._pending:
            self.call_later(self._flush_pending)
        return result

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for pid, data in pending.items():
            self._paint(pid, data)

    def on_panel_level_changed(self, message: Panel.LevelChanged) -> None:
        self._show_tabs()

    def tick(self) -> None:
        if len(self.screen_stack) > 1:
            return
        now = self.clock.now()
        self.header.tick(now)
        for panel in self.panels.values():
            panel.tick(now)

    # ---- navigation --------------------------------------------------------------------
    def show_panel(self, pid: str) -> None:
        panel = self.panels[pid]
        if not panel.configured and not self.narrow:
            # Not on the wide screen at all: say why instead of focusing nothing.
            self.notify(f"{panel.TITLE}: {panel.status_line.plain}", markup=False)
            return
        self.active_panel = pid
        for other_id, other in self.panels.items():
            other.set_class(other_id == pid, "-active")
        for column, pids in COLUMNS.items():
            self.query_one(f"#{column}").set_class(pid in pids, "-active")
        panel.focus_body()
        self._show_tabs()

    def action_show_panel(self, pid: str) -> None:
        self.show_panel(pid)

    def _focused_panel_id(self) -> str:
        node = self.focused
        while node is not None:
            if isinstance(node, Panel):
                return node.PANEL_ID
            node = node.parent  # type: ignore[assignment]
        return self.active_panel

    def action_next_panel(self) -> None:
        self._step_panel(+1)

    def action_prev_panel(self) -> None:
        self._step_panel(-1)

    def _step_panel(self, step: int) -> None:
        if len(self.screen_stack) > 1:
            # A dialog is open: tab is its own (field -> Cancel -> confirm), as its hint says; the
            # panels underneath must not move.
            (self.screen.focus_next if step > 0 else self.screen.focus_previous)()
            return
        if isinstance(self.focused, Input):
            return
        # Through the panels that show something: an unconfigured one is a stop for nobody.
        order = [pid for pid in PANEL_ORDER if self.panels[pid].configured]
        current = self._focused_panel_id()
        index = order.index(current) if current in order else 0
        self.show_panel(order[(index + step) % len(order)])

    def action_help(self) -> None:
        from panels.help import HelpScreen

        self.push_screen(HelpScreen(self.screen.active_bindings, read_only=self.setup.read_only))

    def action_show_help_panel(self) -> None:
        # The palette's "Keys": warroom's own help, not Textual's key panel, which reads every
        # binding's description as markup (an [[actions]] name "[@click=app.quit]x[/]" was live).
        self.action_help()

    def action_refresh(self) -> None:
        for loop in self.loops.values():
            loop.poll_now()

    # ---- keys that write: the one read-only guard of the UI ------------------------------
    def writes(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Whether a binding's action changes the record or the world."""
        if action == "mitigate":
            return True
        return action == "incident" and bool(parameters) and parameters[0] in WRITES

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides the binding from the footer, help and the palette's key panel and makes
        # its key do nothing (None would still show it, dimmed): an observer is never offered a
        # key that writes. The dispatcher and the read-only database refuse again underneath,
        # should anything get past this.
        if self.setup.read_only and self.writes(action, parameters):
            return False
        return True

    def on_key(self, event: events.Key) -> None:
        # Runs before Textual looks the key up. check_action alone refuses (above); a refused key
        # would do nothing at all, so an observer is told why instead.
        if self.setup.read_only:
            refused = self._refused_binding(event.key)
            if refused is not None:
                what = refused.description.lower() or refused.action
                self.notify(
                    f"read-only: {self.get_key_display(refused)} ({what}) is disabled",
                    severity="warning",
                    markup=False,
                )

    def _refused_binding(self, key: str) -> Binding | None:
        """The binding that writes which `key` would run, when read-only leaves the key with no
        other binding to answer it (the same key may mean something else in a panel)."""
        refused = None
        for _, bindings in self.screen._modal_binding_chain:
            for binding in bindings.key_to_bindings.get(key, ()):
                _, name, params = parse(binding.action)
                if not self.writes(name, params):
                    return None
                refused = refused or binding
        return refused

    async def action_quit(self) -> None:
        """q, ctrl+q and the palette's Quit: with an incident open, ask first (tui.controllers.quitting)."""
        await self.quit_guard.quit()

    async def action_incident(self, name: str) -> None:
        await self.incident_keys.run(name)

    async def action_mitigate(self, name: str) -> None:
        if self.setup.read_only:
            self.notify("read-only: this screen changes nothing", severity="warning")
            return
        await self.action_keys.run(name)

    # ---- details -----------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a row: the row in full (a cell cut at 80 columns is still readable)."""
        node = event.data_table.parent
        if not isinstance(node, Panel) or event.row_key.value is None:
            return
        key = str(event.row_key.value)
        found = node.detail(key)
        if found is not None:
            from panels.modals import DetailScreen

            screen = DetailScreen(*found)
            self.push_screen(screen)
            later = getattr(node, "detail_later", None)  # a pod's containers: one GET of the pod
            more = later(key) if later is not None else None
            if more is not None:
                self.run_worker(self._detail_then(screen, more), group="detail", exclusive=True)

    async def _detail_then(self, screen: DetailScreen, more: Awaitable[tuple[str, str] | None]) -> None:
        found = await more
        if found is not None and screen.is_attached:
            screen.show_body(found[1])

    # ---- filter ------------------------------------------------------------------------
    def action_filter(self) -> None:
        pid = self._focused_panel_id()
        self.filter_target = pid
        self.filter_bar.value = self.panels[pid].filter_text
        self.filter_bar.placeholder = f"filter {self.panels[pid].TITLE} (enter keeps, escape clears)"
        self.filter_bar.add_class("-shown")
        self.screen.set_focus(self.filter_bar)  # at once: "/pay" typed in one burst is all filter

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.filter_bar and self.filter_bar.has_class("-shown"):
            # The bar's value now, not the event's: a name typed in one burst reaches the bar
            # ahead of its Changed messages, and filtering 10 000 rows once per letter of it
            # kept the screen busy for each; the first message applies the whole name, the
            # rest find it applied.
            panel = self.panels[self.filter_target]
            if self.filter_bar.value != panel.filter_text:
                panel.set_filter(self.filter_bar.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.filter_bar:
            self.filter_bar.remove_class("-shown")
            self.show_panel(self.filter_target)

    async def action_back(self) -> None:
        if self.filter_bar.has_class("-shown"):
            self.filter_bar.remove_class("-shown")
            self.panels[self.filter_target].set_filter("")
            self.show_panel(self.filter_target)
            return
        panel = self.panels[self._focused_panel_id()]
        if panel.filter_text:
            panel.set_filter("")
        elif panel is self.panels["logs"] and self.pod_logs.active:
            self.pod_logs.back()  # the logs `l` asked for: back to the configured sources

    # ---- pod logs (`l`) ------------------------------------------------------------------
    def on_panel_logs_wanted(self, message: Panel.LogsWanted) -> None:
        if self.pod_logs.target is not None and self.pod_logs.target == message.target:
            self.pod_logs.back()  # `l` on what is shown already: back, as `l` in the panel does
            return
        self.pod_logs.show(message.target)

    def on_log_panel_pod_logs_key(self, message: LogPanel.PodLogsKey) -> None:
        if message.what == "previous":
            self.pod_logs.toggle_previous()
        else:
            self.pod_logs.back()

    # ---- command palette ---------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for pid in PANEL_ORDER:
            panel = self.panels[pid]
            yield SystemCommand(
                f"Focus {panel.TITLE} panel",
                f"Show and focus panel {panel.NUMBER} ({panel.TITLE})",
                lambda pid=pid: self.show_panel(pid),
            )
        # The incident history: "Open incident #N <title>", and the way back to the active one.
        yield from self.incident_keys.system_commands()
        if self.scope_switch is not None:  # "Switch to context …", "All namespaces", "Namespace …"
            yield from self.scope_switch.system_commands()

    # ---- stopping ------------------------------------------------------------------------
    async def leave(self, return_code: int = 0) -> None:
        """Quit (confirmed) or a signal: every action still running is stopped and written as
        interrupted while the app is whole, then the app exits. `on_unmount` does it again as a
        net, but by then Textual is tearing the screens and their workers down."""
        reason = self.stop_reason or "warroom quit"
        if self._built("action_keys"):
            self.action_keys.dispatcher.stopping(reason)
            with contextlib.suppress(Exception):  # the record may be gone: the outcome is then unknown
                await self.action_keys.dispatcher.interrupt_all(reason)
        self.exit(return_code=return_code)

    def _built(self, controller: str) -> bool:
        """Whether a controller was ever used: one never built has nothing to stop or close."""
        return controller in self.__dict__

    def exit(self, result: Any = None, return_code: int = 0, message: Any = None) -> None:
        # Said before anything is cancelled, so every interrupted run is recorded with why.
        if self._built("action_keys"):
            self.action_keys.dispatcher.stopping(self.stop_reason or "warroom quit")
        super().exit(result, return_code, message)

    # A crash is warroom's to report (tui.crash: one line, the traceback in a log file, exit 1),
    # not Textual's: its Rich traceback with every local variable would be printed over the
    # restored terminal. `run_app` turns this on; tests keep Textual's own report.
    log_crashes = False
    # A real run (run_app) leaves at most this long after everything is recorded and closed,
    # even if giving the terminal back hangs: with the terminal gone (SIGHUP, an SSH link that
    # dropped) Textual's output thread was seen to block the exit for ever, an orphan on the
    # bastion. None in tests, whose process must not be cut short.
    leave_within_s: float | None = None

    def _print_error_renderables(self) -> None:
        if self.log_crashes and self._exception is not None:
            self._exit_renderables.clear()
            return
        super()._print_error_renderables()

    async def on_unmount(self) -> None:
        self._stop_on_signals(False)
        await self.key_queue.stop()
        # Before the record closes: each action still running is stopped and written as
        # interrupted (the process exits right after this).
        try:
            if self._built("action_keys"):
                await self.action_keys.dispatcher.interrupt_all(self.stop_reason or "warroom quit")
        except Exception:  # the record may be gone; the outcome is then unknown, as the record says
            pass
        for loop in self.loops.values():
            loop.stop()
        try:
            if self._built("pod_logs"):
                await self.pod_logs.close()
        except Exception:  # best effort, as below
            pass
        for close in [*(source.close for source in self.setup.sources.values()), *self.setup.closers]:
            try:
                await close()
            except Exception:  # closing is best effort: the process is leaving anyway
                pass
        if self.leave_within_s is not None:
            _leave_anyway(self.leave_within_s, lambda: self.return_code or 0)


def _leave_anyway(after_s: float, code: Callable[[], int]) -> None:
    """Only the terminal is left to give back: if that has not finished in `after_s`, end the
    process with the exit status it was going to have (nothing unwritten is lost: the record is
    closed, the actions are stopped and recorded)."""

    def watchdog() -> None:
        time.sleep(after_s)
        os._exit(code())

    threading.Thread(target=watchdog, name="leave-anyway", daemon=True).start()
