"""`warroom demo` draws its first frame before it builds its world, its record and its actions
(`AppSetup.finish`, run once that frame is on the screen): the frame has the panels the sources
will feed, at their cadences, and the set-up is whole before any source polls or key acts."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.app import WarroomApp
from tui.core.clock import FrozenClock
from tui.demo.cadence import CADENCE_S
from tui.demo.platform import DemoPlatform, demo_sources
from tui.wiring import setup_for_demo

from .harness import AT


def _args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(
        scenario="redis-down", seed=1, db=str(tmp_path / "d.db"), read_only=False, theme=None
    )


def test_the_first_frame_knows_the_cadences_the_demo_sources_are_built_with() -> None:
    """The panels of the first frame poll as the sources built after it do: one set of numbers."""
    sources = demo_sources(DemoPlatform("redis-down", 1, FrozenClock(AT)))
    assert {pid: s.interval_s for pid, s in sources.items()} == {
        pid: s for pid, s in CADENCE_S.items() if pid != "timeline"
    }


async def test_the_set_up_is_finished_after_the_first_frame_and_before_any_key(tmp_path: Path) -> None:
    setup = setup_for_demo(_args(tmp_path), FrozenClock(AT), deferred=True)
    assert setup.sources == {} and setup.registry is None and setup.record is None
    assert dict(setup.intervals()) == CADENCE_S
    setup.tick_s = 0
    app = WarroomApp(setup)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        for _ in range(200):
            if app.timeline is not None and app.timeline.incidents is not None:
                break
            await pilot.pause(0.02)
        assert setup.finish is None  # ran once
        assert set(app.loops) == {"health", "pods", "slos", "logs", "timeline"}
        assert setup.record is not None and app.record is setup.record
        assert setup.registry is not None and app.action_keys.registry is setup.registry
        # Each panel polls at the cadence it was drawn with.
        assert {pid: p.interval_s for pid, p in app.panels.items()} == CADENCE_S
        await pilot.press("D")  # the keys act on the whole set-up: the declare dialog opens
        for _ in range(100):
            if app.screen is not app.screen_stack[0]:
                break
            await pilot.pause(0.02)
        assert app.screen is not app.screen_stack[0]
