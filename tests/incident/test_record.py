"""One record per screen, opened once and shared (tui.incident.record): the wiring hands the same
object to the timeline and the app, whoever needs it first opens it, and once closed it stays
closed (a late caller must not leave a connection that keeps the process alive)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from tests.timebase import T0
from tui.config.load import parse_config
from tui.core.clock import FrozenClock
from tui.incident.feed import TimelineSource
from tui.incident.record import Record
from tui.incident.store import StoreError
from tui.wiring import setup_for_config, setup_for_demo


async def test_opened_once_by_whoever_asks_first_and_closed_for_good(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.db", clock=FrozenClock(T0))
    first, second = await asyncio.gather(record.open(), record.open())
    assert first is second and record.store is first.store
    declared = await first.declare("Checkout down", "SEV1")
    feed = TimelineSource(record=record, interval_s=0.01)
    snap = await feed.poll()  # the feed reads through the record already open: the same store
    assert feed.store is first.store and snap.state is not None and snap.state.id == declared.incident_id
    await feed.close()
    assert record.store is None
    with pytest.raises(StoreError, match="the record is closed"):
        await record.open()


def test_the_wiring_shares_one_record_between_the_timeline_and_the_app(tmp_path: Path) -> None:
    args = argparse.Namespace(db=str(tmp_path / "r.db"), read_only=False, theme=None, person=None)
    config = parse_config({"services": [{"name": "web", "url": "http://127.0.0.1:9/"}]}, "t.toml")
    for setup in (
        setup_for_config(config, args, FrozenClock(T0)),
        setup_for_demo(argparse.Namespace(**vars(args), scenario=None, seed=1), FrozenClock(T0)),
    ):
        timeline = setup.sources["timeline"]
        assert isinstance(timeline, TimelineSource)
        assert setup.record is not None and timeline.record is setup.record


async def test_the_dispatcher_opens_the_record_itself_before_any_timeline_cycle(tmp_path: Path) -> None:
    from tui.app import WarroomApp

    args = argparse.Namespace(db=str(tmp_path / "r.db"), read_only=False, theme=None, person=None)
    config = parse_config({"services": [{"name": "web", "url": "http://127.0.0.1:9/"}]}, "t.toml")
    setup = setup_for_config(config, args, FrozenClock(T0))
    app = WarroomApp(setup)  # not running: no source has polled
    assert setup.record is not None and setup.record.store is None
    assert await app.action_keys.provider.active() is None  # opened, and no incident yet
    assert setup.record.store is not None
    await setup.record.close()
