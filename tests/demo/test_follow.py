"""An observer's demo shows the commander's world: two demo setups (a commander's and a
`--read-only` one) on one real SQLite file and one clock; the commander runs mitigations
through the real dispatcher, and the observer's world, rebuilt from the record, shows them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from actions import Target
from actions.dispatch import Dispatcher, StoreIncidents
from tests.timebase import T0
from tui.core.clock import FrozenClock
from tui.demo.platform import ACTS_KEY
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_demo

NS = "lomash-wood"


def _args(db: Path, *, scenario: str | None, seed: int, read_only: bool) -> argparse.Namespace:
    return argparse.Namespace(
        scenario=scenario, seed=seed, db=str(db), read_only=read_only, theme=None, actor=None, config=None
    )


async def _screen(setup: Any) -> tuple[Any, Any, Any]:
    """What the panels would show: pods (name, phase, ready), health states, SLO values."""
    pods = await setup.sources["pods"].poll()
    health = await setup.sources["health"].poll()
    slos = await setup.sources["slos"].poll()
    return (
        sorted((p.namespace, p.name, p.status, p.ready) for p in pods.pods),
        [(s.name, s.state) for s in health.services],
        [(s.name, s.value) for s in slos.slos],
    )


async def _close(setup: Any) -> None:
    for source in setup.sources.values():
        await source.close()


async def test_the_observer_sees_the_commanders_world_and_its_mitigations(tmp_path):
    db = tmp_path / "demo.db"
    clock = FrozenClock(T0)
    commander = setup_for_demo(_args(db, scenario="api-gateway-crashloop", seed=7, read_only=False), clock)
    await commander.sources["timeline"].poll()  # declares the drill
    clock.advance(90)  # the observer comes in later, with other flags: the record's world wins
    observer = setup_for_demo(_args(db, scenario=None, seed=1, read_only=True), clock)
    try:
        assert await _screen(observer) == await _screen(commander)
        before = await _screen(observer)

        incidents = commander.sources["timeline"].incidents
        dispatcher = Dispatcher(commander.registry, StoreIncidents(incidents), read_only=False, clock=clock)
        restart = await dispatcher.dispatch(
            "k8s.rollout_restart", Target.of_deployment("demo", NS, "api-gateway")
        )
        assert restart.ok, restart.text
        assert restart.finished is not None and restart.finished.data["details"][ACTS_KEY][0]["call"] == [
            "restart",
            NS,
            "api-gateway",
        ]
        clock.advance(0.4)
        scale = await dispatcher.dispatch(
            "k8s.scale", Target.of_deployment("demo", NS, "celery-worker"), {"replicas": 5}
        )
        assert scale.ok, scale.text
        # the observer polled in between (its world stepped past the second of the acts before it
        # read them): late acts rebuild its world, so both still agree exactly
        await _screen(observer)
        for _ in range(6):
            clock.advance(7)
            seen = await _screen(observer)
            assert seen == await _screen(commander)
        old = {p[1] for p in before[0]}
        assert any(p[1].startswith("api-gateway-") and p[1] not in old for p in seen[0]), "restarted"
        assert sum(p[1].startswith("celery-worker-") for p in seen[0]) == 5
    finally:
        await _close(observer)
        await _close(commander)
    async with await IncidentStore.open(db, read_only=True) as store:
        kinds = [e.kind for e in await store.events(1)]
    assert kinds.count("action_succeeded") == 2  # the observer wrote nothing


async def test_an_observer_started_first_switches_to_the_drill_when_it_is_declared(tmp_path):
    db = tmp_path / "demo.db"
    clock = FrozenClock(T0)
    observer = setup_for_demo(_args(db, scenario=None, seed=1, read_only=True), clock)
    try:
        alone = await _screen(observer)  # no record yet: a world of its own, and no error
        assert alone[0] and not db.exists()
        clock.advance(30)
        commander = setup_for_demo(_args(db, scenario="redis-down", seed=3, read_only=False), clock)
        try:
            await commander.sources["timeline"].poll()
            clock.advance(1)
            assert await _screen(observer) == await _screen(commander)
        finally:
            await _close(commander)
    finally:
        await _close(observer)


async def test_an_act_read_after_the_world_stepped_past_it_rebuilds_the_world_the_same():
    from tui.demo.platform import DemoControl, DemoPlatform

    clock = FrozenClock(T0)
    commander = DemoPlatform("db-connection-exhaustion", 5, clock)
    observer = DemoPlatform("api-gateway-crashloop", 1, clock)
    observer.rebase("db-connection-exhaustion", 5, commander.started_at)
    clock.advance(0.8)
    await DemoControl(commander).mitigate("kill-idle-db-connections")
    await DemoControl(commander).scale(NS, "analytics-service", 0)
    clock.advance(0.5)
    observer.sync()  # one second on: past the acts' second, before it read them
    assert observer.world.k > int(commander.acts[0].at)
    observer.apply(commander.acts)
    for _ in range(5):
        clock.advance(9)
        assert observer.cluster() == commander.cluster()
        assert observer.health() == commander.health()
        assert observer.slos() == commander.slos()
