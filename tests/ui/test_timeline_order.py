"""The timeline shows events in the order they happened (occurred_at, then id), each with its
number in the incident, the same order and numbers as the postmortem; over a real record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from panels.timeline import TimelinePanel
from tests.timebase import T0, frozen
from tui.app import AppSetup, WarroomApp
from tui.domain.detection import Detection
from tui.incident import feed as feed_module
from tui.incident.events import event_numbers, in_time_order
from tui.incident.feed import TimelineSource
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

SYSTEM = Who("warroom@bastion-1", "system", "auto")


async def test_the_newest_events_keep_their_numbers_in_the_incident(tmp_path, monkeypatch):
    """The screen holds only the newest events, and ids are shared with other incidents: the
    numbers still count from the incident's first event, also when more was written between the
    state's read and the events' read."""
    monkeypatch.setattr(feed_module, "SHOWN_EVENTS", 5)
    clock = frozen()
    async with await IncidentStore.open(tmp_path / "i.db", clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        drill = (await incidents.declare("Drill", "SEV3", drill=True, who=SYSTEM)).incident_id
        incident = (await incidents.declare("Checkout down", "SEV1")).incident_id
        for n in range(10):
            await incidents.note(incident, f"note {n}")
            await incidents.note(drill, f"drill note {n}")
    feed = TimelineSource(tmp_path / "i.db", clock=clock)
    try:
        feed.follow(incident)
        snap = await feed.poll()
        assert snap.state is not None and len(snap.events) == 5
        everything = await _all(tmp_path, incident)
        place = {e.id: n for n, e in enumerate(everything, start=1)}
        shown = event_numbers(snap.events, count=snap.state.event_count, last_id=snap.state.last_event_id)
        assert shown == {e.id: place[e.id] for e in snap.events}
        assert list(shown.values()) == [7, 8, 9, 10, 11] and snap.events[-1].id == 21  # not the ids

        # two more written after the state was read, before the events were: still exact
        state = snap.state
        assert feed.incidents is not None
        for n in range(2):
            await feed.incidents.note(incident, f"late {n}")
        assert feed.store is not None
        newest = await feed.store.last_events(incident, 5)
        numbers = event_numbers(newest, count=state.event_count, last_id=state.last_event_id)
        assert list(numbers.values()) == [9, 10, 11, 12, 13]
    finally:
        await feed.close()


async def _all(tmp_path, incident):
    async with await IncidentStore.open(tmp_path / "i.db", read_only=True) as store:
        return await store.events(incident)


@pytest.mark.parametrize("local", [False, True])
async def test_a_carried_in_detection_sits_where_it_happened_with_its_number(tmp_path, local):
    clock = frozen()
    feed = TimelineSource(tmp_path / "i.db", clock=clock, interval_s=0.02)
    app = WarroomApp(AppSetup(context="t", sources={"timeline": feed}, clock=clock, tick_s=0))
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["timeline"]
        assert isinstance(panel, TimelinePanel)
        for _ in range(200):
            if feed.incidents is not None:
                break
            await pilot.pause(0.02)
        # Seen before any incident, held; declared a minute later; carried in after the declaration.
        feed.detect([Detection("service:api-gateway", True, "api-gateway is DOWN: refused", T0)])
        await pilot.pause(0.1)
        clock.advance(60)
        assert feed.incidents is not None
        declared = await feed.incidents.declare("Checkout down", "SEV1")
        for _ in range(200):
            if len(await _all(tmp_path, declared.incident_id)) == 2:
                break  # the held detection carried in
            await pilot.pause(0.02)
        clock.advance(30)
        asserted = T0 + timedelta(seconds=70)  # after the declaration, before the detection was written
        note = await feed.incidents.note(declared.incident_id, "rolled back", occurred_at=asserted)
        panel.set_local(local)
        for _ in range(200):
            if len(panel.table.row_keys) == 3:
                break
            await pilot.pause(0.02)
        record = await _all(tmp_path, declared.incident_id)
        assert [e.kind for e in record] == ["declared", "detected", "note"]  # written in this order
        rows = [panel.table.get_row(key) for key in panel.table.row_keys]
        cells = [tuple(getattr(c, "plain", c) for c in row) for row in rows]
        shown = [(c[0].strip(), c[2].split()[-1]) for c in cells]
        assert shown == [("2", "detected"), ("1", "declared"), ("3", "note")]
        assert [int(k) for k in panel.table.row_keys] == [e.id for e in in_time_order(record)]
        title, _ = panel.detail(str(note.id)) or ("", "")
        assert title == "Event #3"


async def test_the_title_counts_the_incident_not_the_shown_window(tmp_path, monkeypatch):
    monkeypatch.setattr(feed_module, "SHOWN_EVENTS", 5)
    clock = frozen()
    async with await IncidentStore.open(tmp_path / "i.db", clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        incident = (await incidents.declare("Checkout down", "SEV1")).incident_id
        for n in range(11):
            await incidents.note(incident, f"note {n}")
    feed = TimelineSource(tmp_path / "i.db", clock=clock, interval_s=0.02)
    app = WarroomApp(AppSetup(context="t", sources={"timeline": feed}, clock=clock, tick_s=0))
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["timeline"]
        assert isinstance(panel, TimelinePanel)
        for _ in range(200):
            if len(panel.table.row_keys) == 5:
                break
            await pilot.pause(0.02)
        assert "12 events (newest 5 shown)" in str(panel.border_title)
        assert [panel.table.get_row(k)[0].plain for k in panel.table.row_keys] == ["8", "9", "10", "11", "12"]
