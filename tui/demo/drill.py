"""The demo's drill in the incident record: what world it is, and its end.

`warroom demo` declares a drill on start. Its declared event's data says which world the drill
is about (`DemoStart`: scenario, seed, the simulated start) and which process runs it (host,
pid), so that an observer can rebuild the same world (`tui.demo.follow`), and a demo that
starts after a crashed one (no process behind its drill any more) resolves the drill left
open instead of piling up drills "investigating" for ever. The drill is resolved when its demo
quits (`DrillDeclaration.end`, called when the timeline's source closes).
"""

from __future__ import annotations

import contextlib
import os
import socket
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
LEGACY_TITLE = "Drill: "  # what warroom demo titled its drills before they said their world
STALE_REASON = "its demo stopped without resolving it (pid {pid} on {host} is gone)"


@dataclass(frozen=True, slots=True)
class DemoStart:
    """Which world a demo drill is about, and the process that runs it."""

    scenario: str
    seed: int
    started_at: datetime  # the wall time of the scenario's start (its second 0 … see DemoPlatform)
    host: str = ""
    pid: int = 0

    def as_data(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "started_at": self.started_at.isoformat(),
            "host": self.host,
            "pid": self.pid,
        }

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
            )
        except (KeyError, TypeError, ValueError):
            return None


def demo_start(platform: DemoPlatform) -> DemoStart:
    """What the drill records of a platform's world, and of the process that runs it."""
    host, pid = socket.gethostname(), os.getpid()
    return DemoStart(platform.scenario.name, platform.seed, platform.started_at, host, pid)


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


@dataclass(frozen=True, slots=True)
class DemoDrill(DrillDeclaration):
    """The demo's drill: declared with its world (`start`), after resolving the drills that
    crashed demos left open."""

    start: DemoStart | None = None

    async def begin(self, incidents: Incidents) -> int:
        who = Who(system_actor(), "system", "auto")
        for drill in await open_demo_drills(incidents.store):
            start = drill.start
            if start is not None and process_alive(start.host, start.pid):
                continue  # another demo's drill, still running: its own to resolve
            host, pid = (start.host, start.pid) if start is not None else ("this host", 0)
            reason = STALE_REASON.format(pid=pid or "?", host=host)
            with contextlib.suppress(LifecycleError):  # another demo starting resolved it first
                await incidents.resolve(drill.incident_id, reason, who=who)
        data = {DATA_KEY: self.start.as_data()} if self.start is not None else None
        declared = await incidents.declare(self.title, self.severity, drill=True, who=who, data=data)
        return declared.incident_id


__all__ = [
    "DATA_KEY",
    "DemoDrill",
    "DemoStart",
    "OpenDrill",
    "demo_start",
    "open_demo_drills",
    "process_alive",
]
