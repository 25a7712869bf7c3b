"""A war room's demo: two commanders and an observer on one real SQLite file share one drill.

The second commander's demo joins the drill the first declared (its world rebuilt from the
drill's scenario, seed and start, whatever its own flags), each commander's world replays the
mitigations the other ran (and not its own a second time), each detection is recorded once,
and the drill is resolved only when the last commander leaves."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from actions import Target
from actions.dispatch import Dispatcher, StoreIncidents
from tests.timebase import T0
from tui.core.clock import FrozenClock
from tui.demo.drill import JOINED_KEY, LEFT_KEY
from tui.domain.detection import Detector
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_demo

NS = "lomash-wood"


def _args(db: Path, *, scenario: str | None, seed: int, read_only: bool = False) -> argparse.Namespace:
    return argparse.Namespace(
        scenario=scenario, seed=seed, db=str(db), read_only=read_only, theme=None, actor=None, config=None
    )


class Screen:
    """One `warroom demo` as the app runs it: its panels' sources polled, each snapshot through
    the app's detector into its timeline, and its timeline polled (which writes them)."""

    def __init__(self, setup: Any) -> None:
        self.setup = setup
        self.detector = Detector()
        self.timeline = setup.sources["timeline"]
        self.found: list[tuple[str, str, str]] = []  # what its detector saw: (subject, level, text)

    async def look(self) -> tuple[Any, Any, Any]:
        """What the panels show now (pods, health, SLOs), each detection handed to the record."""
        now = self.setup.clock.now()
        pods = await self.setup.sources["pods"].poll()
        health = await self.setup.sources["health"].poll()
        slos = await self.setup.sources["slos"].poll()
        found = [
            *self.detector.pods(pods, now),
            *self.detector.health(health, now),
            *self.detector.slos(slos, now),
        ]
        self.found += [(d.subject, d.level, d.text) for d in found]
        self.timeline.detect(found)
        await self.timeline.poll()
        return (
            sorted((p.namespace, p.name, p.status, p.ready) for p in pods.pods),
            [(s.name, s.state, s.detail) for s in health.services],
            [(s.name, s.value, s.state, s.burn_rate) for s in slos.slos],
        )

    def dispatcher(self) -> Dispatcher:
        incidents = StoreIncidents(self.timeline.incidents)
        return Dispatcher(self.setup.registry, incidents, read_only=False, clock=self.setup.clock)

    @property
    def platform(self) -> Any:
        return self.setup.sources["pods"].follower.platform

    async def close(self) -> None:
        for source in self.setup.sources.values():
            await source.close()


async def _drills(db: Path) -> list[tuple[int, str]]:
    async with await IncidentStore.open(db, read_only=True) as store:
        return [(s.id, s.status) for s in await store.incidents() if s.drill]


async def _events(db: Path, incident: int) -> list[Any]:
    async with await IncidentStore.open(db, read_only=True) as store:
        return await store.events(incident)


async def test_two_commanders_and_an_observer_share_one_drill_one_world_one_timeline(tmp_path):
    db = tmp_path / "demo.db"
    clock = FrozenClock(T0)
    first = Screen(setup_for_demo(_args(db, scenario="redis-down", seed=3), clock))
    second = observer = None
    try:
        await first.look()  # declares the drill
        clock.advance(40)
        # the second commander comes in later, with other flags: the drill's world wins
        second = Screen(setup_for_demo(_args(db, scenario=None, seed=11), clock))
        observer = Screen(setup_for_demo(_args(db, scenario=None, seed=1, read_only=True), clock))
        assert await second.look() == await first.look() == await observer.look()
        assert [d[1] for d in await _drills(db)] == ["investigating"]  # one drill
        drill = first.timeline.drill_id
        assert drill is not None and second.timeline.drill_id == drill

        failover = await first.dispatcher().dispatch("demo.redis-failover", Target.none("demo"))
        assert failover.ok, failover.text
        clock.advance(3)
        await first.look()
        await second.look()
        scale = await second.dispatcher().dispatch(
            "k8s.scale", Target.of_deployment("demo", NS, "celery-worker"), {"replicas": 5}
        )
        assert scale.ok, scale.text
        for _ in range(20):
            clock.advance(6)
            seen = await first.look()
            assert await second.look() == seen
            assert await observer.look() == seen
        # each mitigation shows in the other commander's world, and was done once in each world
        assert sum(p[1].startswith("celery-worker-") for p in seen[0]) == 5
        calls = [a.call[0] for a in first.platform.acts]
        assert calls == [a.call[0] for a in second.platform.acts] == ["mitigate", "scale"]

        events = await _events(db, drill)
        recorded = [(e.data["subject"], e.data["level"], e.text) for e in events if e.kind == "detected"]
        assert recorded, "the outage is detected"
        # each detection once, though both commanders' screens saw it (and nothing the other
        # world alone would have seen: the worlds agree)
        assert Counter(recorded) == Counter(first.found), (recorded, first.found)
        # (the second saw the same states, some later: its texts carry later numbers)
        assert second.found and {f[:2] for f in second.found} <= {f[:2] for f in first.found}
        joined = [e for e in events if e.kind == "note" and JOINED_KEY in e.data]
        assert len(joined) == 1

        # what the quit dialog says is what quitting will do: the other commander has the drill
        state = await first.timeline.incidents.state(drill)
        plan = await first.setup.quit_hook(state)
        assert "stays open" in plan.says and "still in it" in plan.says, plan.says
        assert "resolves it" not in plan.says

        # the first commander leaves: the drill stays open, the second is still in it
        await first.close()
        assert [d[1] for d in await _drills(db)] == ["investigating"]
        events = await _events(db, drill)
        assert [e for e in events if e.kind == "note" and LEFT_KEY in e.data]
        # the last one to leave resolves it, and its dialog says so
        plan = await second.setup.quit_hook(await second.timeline.incidents.state(drill))
        assert "ends with this demo: quitting resolves it" in plan.says, plan.says
        await second.close()
        second = None
        assert [d[1] for d in await _drills(db)] == ["resolved"]
    finally:
        await first.close()
        if second is not None:
            await second.close()
        if observer is not None:
            await observer.close()


async def test_a_commander_given_another_scenario_declares_its_own_drill(tmp_path):
    db = tmp_path / "demo.db"
    clock = FrozenClock(T0)
    first = Screen(setup_for_demo(_args(db, scenario="redis-down", seed=3), clock))
    other = Screen(setup_for_demo(_args(db, scenario="bad-deploy", seed=3), clock))
    try:
        await first.look()
        await other.look()
        assert first.timeline.drill_id != other.timeline.drill_id
        assert [d[1] for d in await _drills(db)] == ["investigating", "investigating"]
        assert other.platform.scenario.name == "bad-deploy"
    finally:
        await first.close()
        await other.close()
    assert [d[1] for d in await _drills(db)] == ["resolved", "resolved"]


class Commander:
    """A commander's demo in a process of its own (tests/demo/commander_child.py)."""

    def __init__(self, db: Path, scenario: str | None = None) -> None:
        argv = [
            sys.executable,
            "-m",
            "tests.demo.commander_child",
            str(db),
            *([scenario] if scenario else []),
        ]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.drill = int(self.proc.stdout.readline())

    def quit(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "closed"
        assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no chance to leave the drill
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()


async def test_the_last_commander_process_to_leave_resolves_the_drill_and_a_killed_one_does_not_count(
    tmp_path,
):
    db = tmp_path / "demo.db"
    started: list[Commander] = []
    try:
        first = Commander(db, "queue-backlog")
        started.append(first)
        second = Commander(db)  # no --scenario: joins whatever drill runs
        started.append(second)
        assert second.drill == first.drill
        first.kill()  # kill -9: it never wrote that it left
        third = Commander(db, "queue-backlog")
        started.append(third)
        assert third.drill == first.drill  # the second still runs it: joined, not declared anew
        second.quit()
        assert await _drills(db) == [(first.drill, "investigating")]  # the third is still in it
        third.quit()  # the last one alive: the killed first one does not keep it open
        assert await _drills(db) == [(first.drill, "resolved")]
        events = await _events(db, first.drill)
        assert sum(JOINED_KEY in e.data for e in events if e.kind == "note") == 2
        assert sum(LEFT_KEY in e.data for e in events if e.kind == "note") == 1
        assert [e.kind for e in events].count("declared") == 1
    finally:
        for commander in started:
            commander.stop()
