"""An observer's demo (`warroom demo --read-only`) shows the commander's world, not a fresh one.

The world is deterministic by scenario, seed and start; the commander's drill records those in
its declared event (`tui.demo.drill.DemoStart`), and every mitigation's outcome records what it
changed in the simulation, at which simulated time (`actions.demo.recording_acts`, under `ACTS_KEY`). The
follower reads both from the record and has its platform rebuild that world and replay those
changes at their times, so both screens show the same pods, states and numbers. It only reads
(a read-only connection of its own): an observer writes nothing.

Before any drill is open (the commander has not started yet) the observer shows a fresh world
of its own, and switches to the drill's as soon as one is declared; a new drill (the commander
started again) is followed in turn. When the drill is resolved the world stays as it was.

A commander's demo follows the same way (`member`: the drill its timeline declared or joined),
so that every commander in a drill sees the mitigations the others ran. Its own mitigations are
in its world already: each run records the screen that did it (`ACTS_BY_KEY`, the screen's
token), and a commander replays only the others'. Before its timeline has joined, a commander
follows the drill it is about to join (`joinable_drill`), so its first screen is already that
world and its detections are of the world everyone sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.demo.drill import DemoStart, OpenDrill, drill_start, joinable_drill, open_demo_drills
from tui.demo.platform import ACTS_BY_KEY, ACTS_KEY, Act, DemoPlatform
from tui.incident.store import IncidentStore, StoreError
from tui.sources.base import PollSource


class DrillFollower:
    def __init__(
        self,
        platform: DemoPlatform,
        db_path: Path,
        *,
        scenario: str | None = None,
        interval_s: float = 0.5,
        member: Callable[[], int | None] | None = None,
        own: str = "",
    ) -> None:
        self.platform = platform
        self.db_path = db_path
        self.scenario = scenario  # --scenario given: follow only a drill of that scenario
        self.interval_s = interval_s
        # A commander's: the drill its screen is in (None until its timeline declared or joined).
        self.member = member
        self.own = own  # the token its own runs record (ACTS_BY_KEY): their acts are done here
        self.incident_id: int | None = None  # the drill followed
        self.start: DemoStart | None = None
        self._after = 0  # the last event of the drill read
        self._store: IncidentStore | None = None
        self._version: int | None = None
        self._lock = asyncio.Lock()
        self._last: datetime | None = None
        self._closed = False  # for good: a panel still polling after the close opens nothing

    async def catch_up(self, *, force: bool = False) -> None:
        """Read what the record has new (at most every `interval_s`); never raises: a record
        that is not there yet or cannot be read leaves the world as it is, and is tried again."""
        async with self._lock:
            if self._closed:
                return
            now = self.platform.clock.now()  # the world's own clock (frozen in tests)
            since = None if self._last is None else (now - self._last).total_seconds()
            if not force and since is not None and 0 <= since < self.interval_s:
                return
            self._last = now
            try:
                await self._read()
            except (StoreError, OSError):  # OSError: Path.exists() of a directory out of reach
                await self._drop()  # opened again next time (a writer may create it meanwhile)

    async def _read(self) -> None:
        if self._store is None:
            if not self.db_path.exists():
                return
            self._store = await IncidentStore.open(self.db_path, read_only=True)
            self._version = None
        store = self._store
        version = await store.data_version()
        if version == self._version:
            return
        self._version = version
        target = await self._target(store)
        if target is not None and target.start is not None and target.incident_id != self.incident_id:
            self.incident_id, self.start, self._after = target.incident_id, target.start, 0
            done = await self._acts(store)
            start = target.start
            here = self.platform
            shown = DemoStart(here.scenario.name, here.seed, here.started_at)
            if self.member is not None and start.same_world(shown):
                # The drill this commander declared (or one of its very world): what it did
                # itself is done already; the others' acts are replayed.
                self._apply(self._others(done))
                return
            here.rebase(start.scenario, start.seed, start.started_at, [act for act, _ in done])
            return
        if self.incident_id is not None:
            self._apply(self._others(await self._acts(store)))

    def _others(self, done: list[tuple[Act, str]]) -> list[Act]:
        """The acts another screen did (an observer has none of its own: every act)."""
        return [act for act, by in done if not self.own or by != self.own]

    def _apply(self, acts: list[Act]) -> None:
        if acts:
            self.platform.apply(acts)

    async def _target(self, store: IncidentStore) -> OpenDrill | None:
        """The drill whose world this screen shows: a commander's own (or, before its timeline
        is in one, the one it is about to join); an observer's, the newest open demo drill."""
        if self.member is not None:
            mine = self.member()
            if mine is None:
                return await joinable_drill(store, self.scenario)
            if mine == self.incident_id:
                return None  # unchanged
            return OpenDrill(mine, "", await drill_start(store, mine))
        drills = [d for d in await open_demo_drills(store) if d.start is not None]
        if self.scenario is not None:
            drills = [d for d in drills if d.start is not None and d.start.scenario == self.scenario]
        return drills[0] if drills else None

    async def _acts(self, store: IncidentStore) -> list[tuple[Act, str]]:
        """The changes recorded in the followed drill since the last read, in record order, each
        with the token of the screen that did it ("" when the record does not say)."""
        assert self.incident_id is not None
        events = await store.events(self.incident_id, after_id=self._after)
        if events:
            self._after = events[-1].id
        acts: list[tuple[Act, str]] = []
        for event in events:
            if event.kind != "action_succeeded":
                continue
            details = event.data.get("details")
            if not isinstance(details, Mapping):
                continue
            found = details.get(ACTS_KEY)
            by = str(details.get(ACTS_BY_KEY) or "")
            for item in found if isinstance(found, list) else ():
                act = Act.from_data(item)
                if act is not None:
                    acts.append((act, by))
        return acts

    async def close(self) -> None:
        self._closed = True
        async with self._lock:  # after a read in progress, which may just have opened the store
            await self._drop()

    async def _drop(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()


class FollowingSource:
    """A demo panel's source that first catches the world up with the record."""

    def __init__(self, source: PollSource[Any], follower: DrillFollower, *, closes: bool = False) -> None:
        self.source = source
        self.follower = follower
        self.name = source.name
        self.interval_s = source.interval_s
        self._closes = closes  # one of the sources closes the follower's connection

    async def poll(self) -> Any:
        await self.follower.catch_up()
        return await self.source.poll()

    async def close(self) -> None:
        await self.source.close()
        if self._closes:
            await self.follower.close()


def following(sources: dict[str, PollSource[Any]], follower: DrillFollower) -> dict[str, PollSource[Any]]:
    """The demo's panel sources, each catching up with the record before it reads the world."""
    names = list(sources)
    return {
        name: FollowingSource(source, follower, closes=name == names[0]) for name, source in sources.items()
    }


__all__ = ["DrillFollower", "FollowingSource", "following"]
