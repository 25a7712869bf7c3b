"""The demo's drill in the incident record: what world it is, who is in it, and its end.

`warroom demo` declares a drill on start. Its declared event's data says which world the drill
is about (`DemoStart`: scenario, seed, the simulated start) and which process runs it (host,
pid, and a token naming the screen), so that an observer can rebuild the same world
(`tui.demo.follow`), and a demo that starts after a crashed one (no process behind its drill
any more) resolves the drill left open instead of piling up drills "investigating" for ever.

A second commander's demo on the same database joins a live drill instead of declaring its own
(a war room shares one drill, one world, one timeline): it writes a system note whose data says
who joined (`JOINED_KEY`), and one as it leaves (`LEFT_KEY`). The drill is resolved when the
last of its demos quits (`DrillDeclaration.end`, called when the timeline's source closes); a
participant that was killed (its pid is gone) no longer counts, as for the stale drills.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.incident.actor import system_actor
from tui.incident.feed import DrillDeclaration
from tui.incident.lifecycle import CLOSED_STATUSES, LifecycleError
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

if TYPE_CHECKING:
    from tui.demo.platform import DemoPlatform

DATA_KEY = "demo"  # the declared event's data[DATA_KEY]: the DemoStart
JOINED_KEY = "demo_joined"  # a note's data[JOINED_KEY]: a `Participant` that joined the drill
LEFT_KEY = "demo_left"  # a note's data[LEFT_KEY]: a `Participant` that left it
LEGACY_TITLE = "Drill: "  # what warroom demo titled its drills before they said their world
STALE_REASON = "its demo stopped without resolving it (pid {pid} on {host} is gone)"

# The screens of this process that are in a drill (their tokens): a participant recorded with
# this process's pid is alive only if it is one of them (else the pid was reused: not us).
_HERE: set[str] = set()


def new_token() -> str:
    """A name for one demo screen in the record (several may share a process in tests)."""
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True, slots=True)
class Participant:
    """A demo process in a drill: where it runs, and the token of its screen."""

    host: str
    pid: int
    token: str = ""

    def as_data(self) -> dict[str, Any]:
        return {"host": self.host, "pid": self.pid, "token": self.token}

    @classmethod
    def from_data(cls, data: Any) -> Participant | None:
        if not isinstance(data, Mapping):
            return None
        try:
            return cls(str(data.get("host", "")), int(data.get("pid", 0)), str(data.get("token", "")))
        except (TypeError, ValueError):
            return None

    def alive(self) -> bool:
        if self.host == socket.gethostname() and self.pid == os.getpid():
            return bool(self.token) and self.token in _HERE
        return process_alive(self.host, self.pid)

    def label(self) -> str:
        return f"pid {self.pid or '?'} on {self.host or '?'}"


@dataclass(frozen=True, slots=True)
class DemoStart:
    """Which world a demo drill is about, and the process that runs it."""

    scenario: str
    seed: int
    started_at: datetime  # the wall time of the scenario's start (its second 0 … see DemoPlatform)
    host: str = ""
    pid: int = 0
    token: str = ""  # the declaring screen's (added after host and pid: older drills have none)

    @property
    def declarer(self) -> Participant:
        return Participant(self.host, self.pid, self.token)

    def same_world(self, other: DemoStart) -> bool:
        return (self.scenario, self.seed, self.started_at) == (other.scenario, other.seed, other.started_at)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "scenario": self.scenario,
            "seed": self.seed,
            "started_at": self.started_at.isoformat(),
            "host": self.host,
            "pid": self.pid,
        }
        if self.token:
            data["token"] = self.token
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DemoStart | None:
        """The start recorded in a declared event's data, or None (not a demo drill, or one
        written by a warroom that did not record it)."""
        found = data.get(DATA_KEY)
        if not isinstance(found, Mapping):
            return None
        try:
            started = datetime.fromisoformat(str(found["started_at"]))
            if started.tzinfo is None:
                return None
            return cls(
                scenario=str(found["scenario"]),
                seed=int(found["seed"]),
                started_at=started,
                host=str(found.get("host", "")),
                pid=int(found.get("pid", 0)),
                token=str(found.get("token", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


def demo_start(platform: DemoPlatform, token: str = "") -> DemoStart:
    """What the drill records of a platform's world, and of the process (and screen) that runs it."""
    host, pid = socket.gethostname(), os.getpid()
    return DemoStart(platform.scenario.name, platform.seed, platform.started_at, host, pid, token)


def process_alive(host: str, pid: int) -> bool:
    """Whether the demo behind a drill may still run. Another host's process cannot be asked:
    it counts as alive (its own demo resolves its drill)."""
    if host != socket.gethostname():
        return True
    if pid <= 0 or pid == os.getpid():  # pid 0: not recorded; our own pid: reused, not us
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class OpenDrill:
    incident_id: int
    title: str
    start: DemoStart | None  # None: a drill of an older demo, which did not say its world


async def open_demo_drills(store: IncidentStore) -> list[OpenDrill]:
    """The open drills `warroom demo` declared, newest first (a `warroom declare --drill`, a
    person's rehearsal, is not one of them)."""
    found: list[OpenDrill] = []
    for summary in reversed(await store.incidents()):
        if not summary.drill or summary.status in CLOSED_STATUSES:
            continue
        first = await store.events(summary.id, limit=1)
        if not first or first[0].kind != "declared":
            continue
        declared = first[0]
        start = DemoStart.from_data(declared.data)
        legacy = (declared.actor_kind, declared.source) == ("system", "auto") and summary.title.startswith(
            LEGACY_TITLE
        )
        if start is not None or legacy:
            found.append(OpenDrill(summary.id, summary.title, start))
    return found


async def participants(store: IncidentStore, drill: OpenDrill) -> list[Participant]:
    """Who is in the drill by its record: its declarer and every demo that joined, less those
    that left (whether they still run is `Participant.alive`)."""
    found: list[Participant] = [drill.start.declarer] if drill.start is not None else []
    left: set[Participant] = set()
    for event in await store.events(drill.incident_id):
        if event.kind != "note" or event.actor_kind != "system":
            continue
        joined = Participant.from_data(event.data.get(JOINED_KEY))
        if joined is not None:
            found.append(joined)
        gone = Participant.from_data(event.data.get(LEFT_KEY))
        if gone is not None:
            left.add(gone)
    return [p for p in dict.fromkeys(found) if p not in left]


async def live_participants(store: IncidentStore, drill: OpenDrill) -> list[Participant]:
    return [p for p in await participants(store, drill) if p.alive()]


async def joinable_drill(
    store: IncidentStore, scenario: str | None = None, *, before: int | None = None
) -> OpenDrill | None:
    """The drill a commander's demo starting now joins: the newest open demo drill that says its
    world, with a demo still in it (of `scenario`, when one was asked for; older than the
    incident `before`, when given)."""
    for drill in await open_demo_drills(store):
        if drill.start is None or (scenario is not None and drill.start.scenario != scenario):
            continue
        if before is not None and drill.incident_id >= before:
            continue
        if await live_participants(store, drill):
            return drill
    return None


@dataclass(frozen=True, slots=True)
class DemoDrill(DrillDeclaration):
    """The demo's drill: joined when another commander's demo runs one (`scenario`: only one of
    that scenario, when `--scenario` was given), else declared with its world (`start`), after
    resolving the drills that crashed demos left open. Resolved by the last demo to leave."""

    start: DemoStart | None = None
    scenario: str | None = None

    @property
    def me(self) -> Participant:
        if self.start is None:
            return Participant(socket.gethostname(), os.getpid())
        return self.start.declarer

    async def begin(self, incidents: Incidents) -> int:
        store = incidents.store
        for drill in await open_demo_drills(store):
            if await live_participants(store, drill):
                continue  # another demo's drill, still running: its own to resolve
            await _resolve(
                incidents, drill.incident_id, _stale_reason(await participants(store, drill), drill)
            )
        found = await joinable_drill(store, self.scenario)
        if found is not None:
            return await self._join(incidents, found)
        data = {DATA_KEY: self.start.as_data()} if self.start is not None else None
        declared = await incidents.declare(self.title, self.severity, drill=True, who=_SYSTEM, data=data)
        mine = declared.incident_id
        _HERE.add(self.me.token)
        # Two commanders started at once both found nothing and both declared: the newer drill
        # gives way to the older, so the war room still has one.
        older = await joinable_drill(store, self.scenario, before=mine)
        if older is not None and self.start is not None:
            await _resolve(
                incidents, mine, f"declared at the same time as drill #{older.incident_id}, joined instead"
            )
            return await self._join(incidents, older)
        return mine

    async def _join(self, incidents: Incidents, drill: OpenDrill) -> int:
        me = self.me
        _HERE.add(me.token)
        others = ", ".join(p.label() for p in await live_participants(incidents.store, drill))
        await incidents.note(
            drill.incident_id,
            f"Another commander's demo joined the drill ({me.label()}; in it already: {others})",
            who=_SYSTEM,
            data={JOINED_KEY: me.as_data()},
        )
        return drill.incident_id

    async def others(self, incidents: Incidents, incident_id: int) -> list[Participant]:
        """The other commanders' demos still in this drill (alive)."""
        found = await _drill_of(incidents.store, incident_id)
        if found is None:
            return []
        return [p for p in await live_participants(incidents.store, found) if p != self.me]

    async def end(self, incidents: Incidents, incident_id: int, why: str) -> None:
        """Leave the drill; resolve it when no other demo is in it (the last one to leave)."""
        me = self.me
        _HERE.discard(me.token)
        state = await incidents.state(incident_id)
        if state.status in CLOSED_STATUSES:
            return
        others = await self.others(incidents, incident_id)
        if not others:
            await _resolve(incidents, incident_id, why)
            return
        names = ", ".join(p.label() for p in others)
        await incidents.note(
            incident_id,
            f"A commander's demo left the drill ({me.label()}: {why}); it stays open while {names} is in it",
            who=_SYSTEM,
            data={LEFT_KEY: me.as_data()},
        )
        # Written before looking again: of two leaving at once, at least one sees the other gone.
        others = await self.others(incidents, incident_id)
        if not others:
            await _resolve(incidents, incident_id, why)


_SYSTEM = Who(system_actor(), "system", "auto")


async def _resolve(incidents: Incidents, incident_id: int, reason: str) -> None:
    with contextlib.suppress(LifecycleError):  # another demo resolved it first
        await incidents.resolve(incident_id, reason, who=_SYSTEM)


def _stale_reason(found: list[Participant], drill: OpenDrill) -> str:
    if not found:  # an older demo's drill, which did not say who ran it
        host = drill.start.host if drill.start is not None else "this host"
        pid = drill.start.pid if drill.start is not None else 0
        return STALE_REASON.format(pid=pid or "?", host=host or "this host")
    pids = ", ".join(str(p.pid or "?") for p in found)
    hosts = ", ".join(dict.fromkeys(p.host or "this host" for p in found))
    return STALE_REASON.format(pid=pids, host=hosts)


async def _drill_of(store: IncidentStore, incident_id: int) -> OpenDrill | None:
    first = await store.events(incident_id, limit=1)
    if not first or first[0].kind != "declared":
        return None
    summary = await store.incident(incident_id)
    return OpenDrill(incident_id, summary.title if summary else "", DemoStart.from_data(first[0].data))


async def drill_start(store: IncidentStore, incident_id: int) -> DemoStart | None:
    """The world a drill says it is about (None: not a demo drill that says it)."""
    found = await _drill_of(store, incident_id)
    return found.start if found is not None else None
