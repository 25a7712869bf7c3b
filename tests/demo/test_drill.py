"""The demo's drill in a real SQLite record: it says which world it is about, it ends with its
demo, and a demo that starts after a crashed one resolves the drill left open instead of
piling up drills "investigating" for ever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

from tests.timebase import T0, frozen
from tui.demo.drill import DemoDrill, DemoStart
from tui.incident.feed import TimelineSource
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

SYSTEM = Who("warroom@test", "system", "auto")


def _start(pid: int, scenario: str = "bad-deploy") -> DemoStart:
    return DemoStart(scenario, 7, T0 - timedelta(seconds=120), socket.gethostname(), pid)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def _statuses(path) -> dict[int, tuple[str, str]]:
    async with await IncidentStore.open(path, read_only=True) as store:
        return {s.id: (s.title, s.status) for s in await store.incidents()}


async def test_the_drill_records_its_world_and_is_resolved_when_the_demo_stops(tmp_path):
    path = tmp_path / "demo.db"
    feed = TimelineSource(
        path, clock=frozen(), drill=DemoDrill("Drill: bad-deploy", start=_start(os.getpid()))
    )
    snap = await feed.poll()
    assert snap.state is not None and snap.state.drill and snap.state.status == "investigating"
    declared = snap.events[0]
    assert DemoStart.from_data(declared.data) == _start(os.getpid())
    await feed.close()
    assert (await _statuses(path)) == {snap.state.id: ("Drill: bad-deploy", "resolved")}
    async with await IncidentStore.open(path, read_only=True) as store:
        last = (await store.events(snap.state.id))[-1]
    assert last.kind == "status_changed" and "warroom quit" in last.text + str(last.data)


async def test_a_stopped_demo_says_why_its_drill_ended(tmp_path):
    path = tmp_path / "demo.db"
    feed = TimelineSource(path, clock=frozen(), drill=DemoDrill("Drill: x", start=_start(os.getpid())))
    snap = await feed.poll()
    feed.stop_reason = "warroom was stopped by SIGHUP"
    await feed.close()
    async with await IncidentStore.open(path, read_only=True) as store:
        last = (await store.events(snap.state.id))[-1]
    assert "SIGHUP" in last.text + str(last.data)


async def test_a_new_demo_resolves_the_drills_of_crashed_demos_and_leaves_the_others(tmp_path):
    path = tmp_path / "demo.db"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        async with await IncidentStore.open(path, clock=frozen()) as store:
            incidents = Incidents(store, clock=frozen())
            crashed = await incidents.declare(
                "Drill: bad-deploy", drill=True, who=SYSTEM, data={"demo": _start(_dead_pid()).as_data()}
            )
            # an older demo's drill, from before drills said their world
            legacy = await incidents.declare("Drill: redis-down", drill=True, who=SYSTEM)
            running = await incidents.declare(
                "Drill: queue-backlog",
                drill=True,
                who=SYSTEM,
                data={"demo": _start(sleeper.pid, "queue-backlog").as_data()},
            )
            # a person's rehearsal (`warroom declare --drill`) and a real incident: not the demo's
            person = await incidents.declare("Drill: restore from backup", drill=True)
            real = await incidents.declare("Checkout 5xx")
        # --scenario bad-deploy: the running queue-backlog drill is not one to join
        bad_deploy = DemoDrill("Drill: bad-deploy", start=_start(os.getpid()), scenario="bad-deploy")
        feed = TimelineSource(path, clock=frozen(), drill=bad_deploy)
        snap = await feed.poll()
        statuses = await _statuses(path)
        assert statuses[crashed.incident_id][1] == "resolved"
        assert statuses[legacy.incident_id][1] == "resolved"
        for kept in (running, person, real):
            assert statuses[kept.incident_id][1] == "investigating"
        assert snap.state is not None and statuses[snap.state.id] == ("Drill: bad-deploy", "investigating")
        async with await IncidentStore.open(path, read_only=True) as store:
            why = (await store.events(crashed.incident_id))[-1]
        assert "stopped without resolving it" in why.text + str(why.data)
        # a second start (the first still running) piles nothing up either: one drill per demo
        await feed.close()
        again = TimelineSource(path, clock=frozen(), drill=bad_deploy)
        await again.poll()
        await again.close()
        open_drills = [s for s in (await _statuses(path)).values() if s[1] == "investigating"]
        assert sorted(open_drills) == sorted(
            [
                ("Drill: queue-backlog", "investigating"),
                ("Drill: restore from backup", "investigating"),
                ("Checkout 5xx", "investigating"),
            ]
        )
    finally:
        sleeper.kill()
        sleeper.wait()
