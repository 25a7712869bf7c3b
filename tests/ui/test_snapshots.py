"""What the war room looks like, pinned: the seeded demo under a frozen clock at 80×24 and
160×50, help, a filter, and an observer's screen. Update with `pytest --snapshot-update` after a
deliberate change, and look at the SVGs (rsvg-convert) before committing them."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui.app import WarroomApp
from tui.config import DetectionConfig
from tui.core.clock import FrozenClock
from tui.wiring import setup_for_demo

AT = datetime(2026, 11, 23, 3, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_host(monkeypatch):
    # Actors name the host; a snapshot must not depend on the machine that ran it.
    monkeypatch.setattr("tui.incident.actor._host", lambda: "bastion-1")
    monkeypatch.setattr("tui.incident.actor._user", lambda: "oncall")


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


async def settle(pilot) -> None:
    app: WarroomApp = pilot.app
    for _ in range(500):
        if app.loops and all(loop.cycles >= 6 for loop in app.loops.values()):
            break
        await pilot.pause(0.02)
    for loop in app.loops.values():
        loop.stop()  # freeze the screen: no cycle may land during the capture
    await pilot.pause(0.1)


def test_demo_160x50(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 50), run_before=settle)


def test_demo_80x24(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=settle)


def test_demo_80x24_pods_tab(snap_compare, tmp_path):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("2")

    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=run_before)


def test_help_160x50(snap_compare, tmp_path):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")

    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 50), run_before=run_before)


def test_observer_160x50(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path, read_only=True), terminal_size=(160, 50), run_before=settle)


def test_demo_80x24_16_colours(snap_compare, tmp_path):
    # the bastion case: a bare TERM=xterm gets the ANSI theme
    assert snap_compare(demo_app(tmp_path, theme="warroom-16"), terminal_size=(80, 24), run_before=settle)
