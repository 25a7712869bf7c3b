"""The timeline's source: the incident record, read as a `PollSource` like every other panel's.

It owns the store for the app: it opens the database on its first cycle (so a missing or foreign
database is the Timeline panel's stale line, retried like any source, and nothing else stops),
follows the active incident with cheap "events after id N" reads, and writes the automatic
events (detections) that the app hands it, in its own cycle, so automatic writes never overlap.

Other processes' writes show within one cycle: `PRAGMA data_version` changes when another
connection commits, and only then is the active incident looked up again.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.config.schema import DEFAULT_SEVERITIES, SeverityConfig
from tui.core.clock import Clock
from tui.domain.detection import Detection
from tui.incident.actor import system_actor
from tui.incident.events import Event
from tui.incident.lifecycle import CLOSED_STATUSES, LifecycleError, TimelineSnapshot
from tui.incident.record import Record
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore, StoreError
from tui.incident.target import open_incidents
from tui.sources.base import SourceError

SHOWN_EVENTS = 2000  # the timeline keeps the newest events; the record keeps them all


@dataclass(frozen=True, slots=True)
class DrillDeclaration:
    """A drill the screen declares on start, so its timeline writes itself, and resolves when
    it stops, so no drill is left open after its screen is gone (`tui.demo.drill` is the demo's:
    it also records what the world is and clears drills left open by a crashed run)."""

    title: str
    severity: str = "SEV2"

    async def begin(self, incidents: Incidents) -> int:
        """Declare the drill (or take one over); the incident id the screen follows."""
        declared = await incidents.declare(
            self.title, self.severity, drill=True, who=Who(system_actor(), "system", "auto")
        )
        return declared.incident_id

    async def end(self, incidents: Incidents, incident_id: int, why: str) -> None:
        """The screen stops: resolve the drill (unless someone already moved it there)."""
        state = await incidents.state(incident_id)
        if state.status not in CLOSED_STATUSES:
            await incidents.resolve(incident_id, why, who=Who(system_actor(), "system", "auto"))


class TimelineSource:
    name = "timeline"

    def __init__(
        self,
        db_path: Path | None = None,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
        severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
        interval_s: float = 1.0,
        drill: DrillDeclaration | None = None,
        who: Who | None = None,
        record: Record | None = None,
    ) -> None:
        # The record shared with the dispatcher and the controllers (the wiring's); a test may
        # give a path instead, and the feed makes the record itself.
        if record is None:
            assert db_path is not None, "a TimelineSource needs a record or a path"
            record = Record(db_path, read_only=read_only, clock=clock, severities=severities, who=who)
        self.record = record
        self.db_path = record.path
        self.read_only = record.read_only
        self.clock = record.clock
        self.severities = record.severities
        self.interval_s = interval_s
        self.drill = drill
        self.who = record.who
        self.drill_id: int | None = None  # the drill this screen declared (or took over)
        self.stop_reason = "warroom quit"  # why the drill ends, when it ends with the screen
        self.store: IncidentStore | None = None
        self.incidents: Incidents | None = None
        self.incident_id: int | None = None
        self.pinned = False  # a past incident opened from the history: newer ones do not take over
        self._events: deque[Event] = deque(maxlen=SHOWN_EVENTS)
        self._version: int | None = None
        self._open_ids: tuple[int, ...] = ()
        self._queued: list[Detection] = []
        self._current: dict[str, Detection] = {}  # the latest detection per subject
        self._last: TimelineSnapshot | None = None

    # ---- what the app hands in -------------------------------------------------------------
    def detect(self, detections: Sequence[Detection]) -> None:
        """Queue automatic detections; the next cycle writes them (never in read-only mode).

        The latest one per subject is also kept: what is wrong now belongs to whichever
        incident this screen follows next (declared here, by the CLI or by another process),
        carried in at the time it began, so time to detect counts from the first signal."""
        if self.read_only:
            return
        for detection in detections:
            self._current[detection.key] = detection
        if self.incident_id is not None:
            self._queued.extend(detections)

    def carried(self) -> list[Detection]:
        """What is wrong now, oldest first: carried into the next incident followed."""
        return sorted((d for d in self._current.values() if d.problem), key=lambda d: d.at)

    def follow(self, incident_id: int, *, pinned: bool = False) -> None:
        """Show `incident_id` (the app declared it, or the user opened it). `pinned`: keep showing
        it when another process declares a newer incident (someone reading a past one)."""
        self.pinned = pinned
        if incident_id != self.incident_id:
            self.incident_id = incident_id
            self._events.clear()
            self._last = None
            if not self.read_only:
                # Each once: the record skips a subject already at that level in the incident.
                self._queued.extend(self.carried())

    # ---- the cycle ---------------------------------------------------------------------------
    async def poll(self) -> TimelineSnapshot:
        try:
            await self._open()
            assert self.store is not None and self.incidents is not None
            version = await self.store.data_version()
            if version != self._version or self.incident_id is None:
                self._version = version
                # The open incidents, not only the newest: the timeline says which others are open.
                self._open_ids = tuple(s.id for s in await open_incidents(self.store))
                active = self._open_ids[-1] if self._open_ids else None  # = store.active_incident()
                if active is not None and self.incident_id is None:
                    self.follow(active)
                elif active is not None and active > (self.incident_id or 0) and not self.pinned:
                    # another process declared a newer incident: follow it, as everyone does.
                    # Only newer: when the followed one is resolved, an older open incident (a
                    # drill) must not take the screen away from the resolution everyone watches.
                    self.follow(active)
            await self._write_detections()
            if self.incident_id is None:
                return TimelineSnapshot(None, (), len(self.carried()), self._open_ids)
            state = await self.incidents.state(self.incident_id)
            after = self._events[-1].id if self._events else 0
            if after == 0:
                new = await self.store.last_events(self.incident_id, SHOWN_EVENTS)
            else:
                new = await self.store.events(self.incident_id, after_id=after)
            self._events.extend(new)
            opened = self._open_ids
            snap = TimelineSnapshot(state, tuple(self._events), open_ids=opened) if new else None
            if snap is None:
                last = self._last
                if last is not None and last.state == state and last.open_ids == opened:
                    return last  # the same object: no news, and the app skips the repaint
                snap = TimelineSnapshot(state, tuple(self._events), open_ids=opened)
            self._last = snap
            return snap
        except (StoreError, LifecycleError) as err:
            raise SourceError(str(err)) from err

    async def _open(self) -> None:
        if self.store is not None:
            return
        self.incidents = await self.record.open()
        self.store = self.record.store
        if self.drill is not None and not self.read_only:
            self.drill_id = await self.drill.begin(self.incidents)
            self.follow(self.drill_id)

    async def _write_detections(self) -> None:
        assert self.incidents is not None
        if self.incident_id is None:
            return  # nothing queues without an incident; `_current` carries what is wrong
        todo, self._queued = self._queued, []
        for number, detection in enumerate(todo):
            try:
                await self.incidents.detected(
                    self.incident_id,
                    detection.text,
                    signal=detection.signal,
                    subject=detection.subject,
                    level=detection.level,
                    data=detection.data,
                    occurred_at=detection.at,
                )
            except LifecycleError:
                continue  # a closed incident takes no detections: dropped, as nobody follows it
            except StoreError:
                self._queued[:0] = todo[number:]  # kept for the next cycle: nothing is lost
                raise

    async def close(self) -> None:
        if self.drill is not None and self.drill_id is not None and self.incidents is not None:
            drill_id, self.drill_id = self.drill_id, None  # once, whoever closes first
            with contextlib.suppress(StoreError, LifecycleError):  # best effort: leaving anyway
                await self.drill.end(self.incidents, drill_id, self.stop_reason)
        await self.record.close()
