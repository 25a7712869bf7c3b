"""The one harness of the UI tests: one way to build the app (`make_app`: in-memory sources,
with a real record when given a database; `room`: the demo's wiring on a frozen clock), one way
to wait for a condition (`until`), one way to read notifications (`Notices`), and the dialogs
driven as a person drives them (`dialog`, `answer`, `choose`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import events
from textual.command import CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from panels.modals import ChoiceScreen, ConfirmScreen, PromptScreen
from panels.timeline import TimelinePanel
from tests.timebase import frozen
from tests.ui.fakes import AT_ONCE, T0, standard_sources
from tui.app import AppSetup, WarroomApp
from tui.config.schema import DetectionConfig
from tui.core.clock import FrozenClock
from tui.core.model import ClusterSnapshot, HealthSnapshot, PodInfo, SloSnapshot
from tui.demo.platform import DemoPlatform
from tui.incident.events import Event
from tui.incident.feed import TimelineSource
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_demo

NS = "lomash-wood"
AT = datetime(2026, 11, 23, 3, 14, 0, tzinfo=UTC)  # the demo snapshots' frozen instant


def demo_app(
    tmp_path: Path, *, scenario: str | None = None, read_only: bool = False, theme: str = "warroom"
) -> WarroomApp:
    args = argparse.Namespace(
        scenario=scenario, seed=7, db=str(tmp_path / "demo.db"), read_only=False, theme=None
    )
    clock = FrozenClock(AT)
    if read_only:
        # The observer follows a record the commander's screen wrote first.
        writer = setup_for_demo(args, clock)
        _write_drill(writer)
    args.read_only = read_only
    setup = setup_for_demo(args, clock)
    setup.tick_s = 0  # the clock is frozen: nothing to tick
    setup.detection = DetectionConfig(hold_s=0)  # frozen too: a hold would never end
    setup.theme = theme  # never from the TERM of whoever runs the tests
    for source in setup.sources.values():
        source.interval_s = 0.02  # type: ignore[misc]  # many cycles quickly; the data is frozen anyway
    return WarroomApp(setup)


def _write_drill(setup) -> None:
    import asyncio

    async def declare() -> None:
        feed = setup.sources["timeline"]
        await feed.poll()
        # Only the connection: the commander's screen is still up, so its drill stays open
        # (closing the source would resolve it, as quitting the demo does).
        await feed.store.close()

    asyncio.run(declare())


class Room:
    """One running app over the demo platform, and the ways a test reads the world and the record."""

    def __init__(self, app: WarroomApp, pilot: Pilot[Any], clock: FrozenClock, db: Path) -> None:
        self.app, self.pilot, self.clock, self.db = app, pilot, clock, db
        self.sources = app.setup.sources
        self.notes = Notices(app)

    @property
    def platform(self) -> DemoPlatform:
        return self.sources["logs"].platform  # type: ignore[attr-defined, no-any-return]

    async def health(self) -> HealthSnapshot:
        return await self.sources["health"].poll()  # type: ignore[no-any-return]

    async def cluster(self) -> ClusterSnapshot:
        return await self.sources["pods"].poll()  # type: ignore[no-any-return]

    async def slos(self) -> SloSnapshot:
        return await self.sources["slos"].poll()  # type: ignore[no-any-return]

    async def state_of(self, service: str) -> str:
        return next(s.state for s in (await self.health()).services if s.name == service)

    async def slo_state(self, name: str) -> str:
        return next(s.state for s in (await self.slos()).slos if s.name == name)

    async def wait(self, check: Callable[[], bool], what: str) -> None:
        """Let the app run until `check()` holds (workers and source cycles are not instant)."""
        for _ in range(400):
            if check():
                return
            await self.pilot.pause(0.01)
        raise AssertionError(f"never happened: {what}")

    async def refresh(self) -> None:
        """Every panel polls now (the sources' own timers run on the wall clock)."""
        before = {pid: loop.cycles for pid, loop in self.app.loops.items()}
        self.app.action_refresh()
        await self.wait(lambda: all(self.app.loops[pid].cycles > n for pid, n in before.items()), "a refresh")

    async def until(self, seconds: int, check: Callable[[], Any], step: int = 5) -> int | None:
        """Move the clock on until `await check()` holds; the simulated seconds it took."""
        waited = 0
        while waited <= seconds:
            if await check():
                return waited
            self.clock.advance(step)
            waited += step
        return None

    async def declare(self, title: str = "Checkout down", severity: str = "SEV1") -> int:
        incidents = self.app.timeline.incidents  # type: ignore[union-attr]
        assert incidents is not None
        declared = await incidents.declare(title, severity)
        await self.refresh()
        return declared.incident_id

    async def events(self) -> list[Event]:
        """The whole record, read back through a connection of its own (read-only)."""
        store = await IncidentStore.open(self.db, read_only=True)
        try:
            out: list[Event] = []
            for summary in await store.incidents():
                out += await store.events(summary.id)
            return out
        finally:
            await store.close()

    async def actions(self) -> list[Event]:
        return [e for e in await self.events() if e.kind.startswith("action_")]

    # ---- the keys ------------------------------------------------------------------------------
    async def select_pod(self, match: Callable[[PodInfo], bool]) -> PodInfo:
        await self.pilot.press("2")
        panel = self.app.panels["pods"]
        rows = panel.table.row_keys  # type: ignore[attr-defined]
        index = next(i for i, key in enumerate(rows) if match(panel.pods[key]))  # type: ignore[attr-defined]
        panel.table.move_cursor(row=index)  # type: ignore[attr-defined]
        await self.pilot.pause()
        pod = panel.selected()  # type: ignore[attr-defined]
        assert pod is not None and match(pod)
        return pod  # type: ignore[no-any-return]

    async def select_service(self, name: str) -> None:
        await self.pilot.press("1")
        panel = self.app.panels["health"]
        panel.table.move_cursor(row=panel.table.row_keys.index(name))  # type: ignore[attr-defined]
        await self.pilot.pause()
        assert panel.selected().name == name  # type: ignore[attr-defined]

    async def confirm(self) -> None:
        """Tab to the confirm button (from Cancel, or from the field: field → Cancel → run), enter;
        then the worker ends."""
        screen = self.app.screen
        assert isinstance(screen, ConfirmScreen)
        started = self.app.action_keys.started
        for _ in range(4):
            if screen.focused is not None and screen.focused.id == "confirm":
                break
            await self.pilot.press("tab")
        await self.pilot.press("enter")
        assert not isinstance(self.app.screen, ConfirmScreen)
        await self.ran(started)

    async def ran(self, started: int) -> None:
        """Wait for the action started after `started` ones, and for its end."""
        await self.wait(lambda: self.app.action_keys.started > started, "the action started")
        await self.app.action_keys.settled()
        await self.pilot.pause()

    async def pick(self, action_id: str) -> None:
        """In the action menu (`a`), move down to `action_id` and press enter."""
        screen = self.app.screen
        assert isinstance(screen, ChoiceScreen)
        index = [value for value, _ in screen.choices].index(action_id)
        await self.pilot.press(*(["down"] * index), "enter")
        await self.pilot.pause()

    def notices(self) -> list[str]:
        """Every notice shown since the room opened, as "title: message"."""
        return self.notes.titled


def demo_args(tmp_path: Path, scenario: str, read_only: bool = False) -> argparse.Namespace:
    return argparse.Namespace(
        scenario=scenario, seed=1, db=str(tmp_path / "incidents.db"), read_only=read_only, theme=None
    )


@asynccontextmanager
async def room(
    tmp_path: Path,
    scenario: str,
    *,
    read_only: bool = False,
    setup: AppSetup | None = None,
    size: tuple[int, int] = (160, 50),
) -> AsyncIterator[Room]:
    clock = FrozenClock(T0)
    if setup is None:
        setup = setup_for_demo(demo_args(tmp_path, scenario, read_only), clock)
        # No drill: each test declares (or does not declare) its incident itself.
        setup.sources["timeline"].drill = None  # type: ignore[attr-defined]
    setup.tick_s = 0
    app = WarroomApp(setup)
    async with app.run_test(size=size, notifications=True) as pilot:
        r = Room(app, pilot, setup.clock, tmp_path / "incidents.db")  # type: ignore[arg-type]
        await r.wait(lambda: app.timeline is not None and app.timeline.incidents is not None, "the record")
        await r.wait(lambda: bool(getattr(app.panels["pods"], "pods", None)), "the pods")
        await r.wait(lambda: bool(getattr(app.panels["health"], "services", None)), "the services")
        yield r


def _config(tmp_path: Path, extra: str = "") -> Path:
    py = sys.executable
    marker = tmp_path / "flushed"
    gate = tmp_path / "gate"
    # Runs until the test creates `gate`: an action that is still running, with no timing in it.
    wait = f"import pathlib, time\\nwhile not pathlib.Path({str(gate)!r}).exists(): time.sleep(0.01)"
    path = tmp_path / "warroom.toml"
    path.write_text(
        f"""
[[actions]]
name = "Flush CDN cache"
key = "K"
command = ["{py}", "-c", "import pathlib; pathlib.Path({str(marker)!r}).touch()"]
confirm = "Flush the whole CDN cache?"

[[actions]]
name = "Replication info"
key = "I"
command = ["{py}", "-c", "print('role:master connected_slaves:2')"]
dangerous = false

[[actions]]
name = "Wait for the gate"
key = "W"
command = ["{py}", "-c", "{wait}"]
{extra}
"""
    )
    return path


async def settle(pilot, app: WarroomApp, cycles: int = 2) -> None:
    """Wait until every source loop finished `cycles` cycles."""
    for _ in range(200):
        started = set(app.loops) >= set(app.setup.sources)  # the loops start after the first frame
        if started and all(loop.cycles >= cycles for loop in app.loops.values()):
            break
        await pilot.pause(0.02)
    await pilot.pause()


class Notices:
    """Every notice the app shows, as (message, severity), and still shown."""

    def __init__(self, app: WarroomApp) -> None:
        self.seen: list[tuple[str, str]] = []
        self.titled: list[str] = []  # "title: message", as the toast reads
        shown = app.notify

        def notify(message: str, **kwargs: Any) -> None:
            self.seen.append((message, kwargs.get("severity", "information")))
            self.titled.append(f"{kwargs.get('title', '')}: {message}")
            shown(message, **kwargs)

        app.notify = notify  # type: ignore[method-assign]

    def last(self) -> str:
        return self.seen[-1][0] if self.seen else ""

    def errors(self) -> list[str]:
        return [message for message, severity in self.seen if severity == "error"]


def make_app(
    db: Path | None = None, clock: FrozenClock | None = None, *, read_only: bool = False, **setup: Any
) -> WarroomApp:
    """The war-room app over the in-memory sources of tests/ui/fakes.py (or `sources=`), on a
    frozen clock, detecting at once; with `db`, a real record (a TimelineSource on that SQLite
    file) and slower fake sources (their data is fixed; a busy screen only slows key presses).
    Any other keyword sets that field of the `AppSetup`."""
    sources: dict[str, Any] = setup.pop("sources", None) or standard_sources()
    clock = clock or frozen()
    if db is not None:
        for source in sources.values():
            source.interval_s = 1.0
        sources["timeline"] = TimelineSource(db, read_only=read_only, clock=clock, interval_s=0.05)
    app_setup = AppSetup(
        context="test",
        sources=sources,
        clock=clock,
        read_only=read_only,
        tick_s=0,
        theme="warroom",
        detection=AT_ONCE,
    )
    for key, value in setup.items():
        setattr(app_setup, key, value)
    return WarroomApp(app_setup)


def record_app(db: Path, clock: FrozenClock, *, read_only: bool = False) -> tuple[WarroomApp, Notices]:
    """`make_app` over a real record, with its notices read."""
    app = make_app(db, clock, read_only=read_only)
    return app, Notices(app)


async def until(pilot: Any, check: Callable[[], object], what: str, tries: int = 300) -> None:
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


async def dialog(pilot: Any, kind: type[Any]) -> Any:
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), f"a {kind.__name__} is shown")
    return pilot.app.screen


async def confirm(pilot: Any, screen: ConfirmScreen) -> None:
    """Press the confirmation's confirm button as a person does: tab to it, enter."""
    for _ in range(4):
        if screen.focused is not None and screen.focused.id == "confirm":
            break
        await pilot.press("tab")
    await pilot.press("enter")


async def choose(pilot: Any, value: str) -> None:
    """Pick `value` in the open ChoiceScreen with the arrow keys and enter."""
    screen = await dialog(pilot, ChoiceScreen)
    values = [v for v, _ in screen.choices]
    assert value in values, f"{value!r} not offered: {values}"
    options = screen.query_one(OptionList)
    while options.highlighted != values.index(value):
        await pilot.press("down")
    await pilot.press("enter")


async def answer(pilot: Any, text: str, *, typed: bool = False) -> None:
    """Put `text` into the open PromptScreen, replacing what is there, and press enter. Pasted
    (as a terminal pastes) unless `typed`: a key press costs ~0.1 s in a Pilot test."""
    screen = await dialog(pilot, PromptScreen)
    field = screen.query_one(Input)
    if field.value:
        await pilot.press("home", "ctrl+k")  # start of the line, delete to its end
    await paste(pilot, field, text, typed=typed)
    await pilot.press("enter")


async def paste(pilot: Any, widget: Any, text: str, *, typed: bool = False) -> None:
    if typed:
        await pilot.press(*text)
        return
    widget.post_message(events.Paste(text))
    await until(pilot, lambda: text in getattr(widget, "value", getattr(widget, "text", "")), "pasted")


async def palette(pilot: Any, query: str) -> str:
    """Open the command palette, type `query`, wait for it to be the top hit, run it; returns
    the hit as shown."""
    await pilot.press("ctrl+p")
    screen = await dialog(pilot, CommandPalette)
    await paste(pilot, screen.query_one(CommandInput), query)

    def top() -> str:
        commands = screen.query_one(CommandList)
        if not commands.option_count:
            return ""
        hit = commands.get_option_at_index(0).hit
        return getattr(hit.match_display, "plain", str(hit.match_display))

    await until(pilot, lambda: top().lower().startswith(query.lower()), f"palette offers {query!r}")
    hit = top()
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette), "palette closed")
    return hit


async def record(db: Path) -> list[Event]:
    """The newest incident's events, read as another terminal would (read-only)."""
    async with await IncidentStore.open(db, read_only=True) as store:
        incident = await store.latest_incident()
        return [] if incident is None else await store.events(incident)


async def count(db: Path) -> int:
    async with await IncidentStore.open(db, read_only=True) as store:
        return sum([await store.count(s.id) for s in await store.incidents()])


def shown(app: WarroomApp) -> list[Event]:
    panel = app.panels["timeline"]
    assert isinstance(panel, TimelinePanel)
    return [panel.events[int(key)] for key in panel.table.row_keys]


async def ready(pilot: Any) -> WarroomApp:
    app: WarroomApp = pilot.app
    await until(pilot, lambda: app.timeline is not None and app.timeline.incidents is not None, "record open")
    await until(pilot, lambda: app.panels["timeline"].last is not None, "timeline shown")
    return app


async def declared(app: WarroomApp, title: str, severity: str) -> tuple[Incidents, int]:
    """An incident declared on the app's record from outside the keys, and followed."""
    assert app.timeline is not None and app.timeline.incidents is not None
    incidents = app.timeline.incidents
    incident = (await incidents.declare(title, severity)).incident_id
    app.timeline.follow(incident)
    return incidents, incident


async def wrote(pilot: Any, db: Path, kind: str, before: int) -> Event:
    """Wait until the record has a new `kind` event after `before` events, and the timeline shows it."""
    app = pilot.app
    found: list[Event] = []

    async def check() -> bool:
        events = await record(db)
        found[:] = [e for e in events[before:] if e.kind == kind]
        return bool(found)

    for _ in range(300):
        if await check() and any(e.id == found[-1].id for e in shown(app)):
            return found[-1]
        await pilot.pause(0.02)
    raise AssertionError(f"no {kind} event written")


async def settle_demo(pilot) -> None:
    """Let the demo's sources cycle a few times, then freeze the screen for a capture."""
    app: WarroomApp = pilot.app
    for _ in range(500):
        if app.loops and all(loop.cycles >= 6 for loop in app.loops.values()):
            break
        await pilot.pause(0.02)
    for loop in app.loops.values():
        loop.stop()  # freeze the screen: no cycle may land during the capture
    await pilot.pause(0.1)
