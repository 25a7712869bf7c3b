"""The timeline's source against a real SQLite file, and the panel and header it feeds."""

from __future__ import annotations

import pytest

from tests.timebase import T0, frozen
from tests.ui.fakes import AT_ONCE, ListSource, health, service, standard_sources
from tui.app import AppSetup, WarroomApp
from tui.domain.detection import Detection
from tui.incident.feed import DrillDeclaration, TimelineSource
from tui.sources.base import SourceError


async def test_drill_is_declared_and_detections_are_written(tmp_path):
    feed = TimelineSource(tmp_path / "i.db", clock=frozen(), drill=DrillDeclaration("Demo: crash loop"))
    try:
        snap = await feed.poll()
        assert snap.state is not None and snap.state.drill and snap.state.title == "Demo: crash loop"
        assert [e.kind for e in snap.events] == ["declared"]
        feed.detect([Detection("service:api-gateway", True, "api-gateway is DOWN: refused", T0)])
        snap = await feed.poll()
        detected = snap.events[-1]
        assert detected.kind == "detected" and detected.actor_kind == "system" and detected.source == "auto"
        assert detected.data["subject"] == "api-gateway"
        assert snap.state.first_detected_at == T0
    finally:
        await feed.close()


async def test_detections_before_any_incident_are_held_not_lost(tmp_path):
    feed = TimelineSource(tmp_path / "i.db", clock=frozen())
    observer = None
    try:
        feed.detect([Detection("slo:API", True, "SLO API in breach", T0)])
        snap = await feed.poll()
        assert snap.state is None and snap.pending == 1
        assert feed.incidents is not None
        declared = await feed.incidents.declare("API errors", "SEV1")
        snap = await feed.poll()
        assert snap.state is not None and snap.state.id == declared.incident_id
        assert [e.kind for e in snap.events] == ["declared", "detected"]
        assert snap.pending == 0
        # an observer on the same file (read-only connection) sees the same timeline
        observer = TimelineSource(tmp_path / "i.db", read_only=True, clock=frozen())
        seen = await observer.poll()
        assert [e.id for e in seen.events] == [e.id for e in snap.events]
        await feed.incidents.note(declared.incident_id, "rolled back")
        seen = await observer.poll()
        assert seen.events[-1].text == "rolled back"
        observer.detect([Detection("slo:API", False, "recovered", T0)])  # read-only: never written
        await observer.poll()
        assert (await feed.poll()).events[-1].text == "rolled back"
    finally:
        await feed.close()
        if observer is not None:
            await observer.close()


async def test_a_database_that_is_not_ours_is_one_line(tmp_path):
    path = tmp_path / "i.db"
    path.write_bytes(b"this is not sqlite" * 100)
    feed = TimelineSource(path, clock=frozen())
    with pytest.raises(SourceError) as err:
        await feed.poll()
    assert str(path) in str(err.value) and "\n" not in str(err.value)


async def test_read_only_without_a_database_waits_for_the_writer(tmp_path):
    feed = TimelineSource(tmp_path / "none.db", read_only=True, clock=frozen())
    with pytest.raises(SourceError, match="a writer creates it"):
        await feed.poll()
    assert not (tmp_path / "none.db").exists(), "an observer must never create the record"


async def test_app_shows_the_incident_in_header_and_timeline(tmp_path):
    sources = standard_sources()
    sources["timeline"] = TimelineSource(
        tmp_path / "i.db", clock=frozen(), drill=DrillDeclaration("Demo: gateway down")
    )
    app = WarroomApp(AppSetup(context="test", sources=sources, clock=frozen(), tick_s=0, detection=AT_ONCE))
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(200):
            panel = app.panels["timeline"]
            kinds = [e.kind for e in getattr(panel, "events", {}).values()]
            if kinds.count("detected") >= 3:
                break
            await pilot.pause(0.02)
        texts = [e.text for e in app.panels["timeline"].events.values()]
        assert any("api-gateway is DOWN" in t for t in texts)
        assert any("crash-looping" in t for t in texts)
        assert any("SLO API availability in breach" in t for t in texts)
        header = app.header.incident.plain
        assert "DRILL" in header and "Demo: gateway down" in header and "SEV2" in header
        assert "update in 30:00" in app.header.countdown.plain


async def test_a_detection_is_written_once_per_transition(tmp_path):
    down = health(service("api", "DOWN", "refused", None))
    up = health(service("api"))
    source = ListSource("health", [down, down, down, up, up], interval_s=0.02)
    feed = TimelineSource(tmp_path / "i.db", clock=frozen(), drill=DrillDeclaration("t"), interval_s=0.02)
    await feed.poll()  # the drill is open before the first health poll
    app = WarroomApp(
        AppSetup(
            context="t",
            sources={"health": source, "timeline": feed},
            clock=frozen(),
            tick_s=0,
            detection=AT_ONCE,
        )
    )
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(300):
            if source.polls >= 6 and app.loops["timeline"].cycles >= 3:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.1)
    assert feed.store is not None
    kinds = [(e.kind, e.text) for e in (await _events(tmp_path / "i.db"))]
    detected = [text for kind, text in kinds if kind == "detected"]
    assert detected == ["api is DOWN: refused", "api recovered (UP)"]


async def _events(path):
    from tui.incident.store import IncidentStore

    async with await IncidentStore.open(path, read_only=True) as store:
        incident = await store.latest_incident()
        assert incident is not None
        return await store.events(incident)


async def test_no_news_is_the_same_snapshot_so_the_panel_is_not_repainted(tmp_path):
    feed = TimelineSource(tmp_path / "i.db", clock=frozen(), drill=DrillDeclaration("t"))
    try:
        first = await feed.poll()
        assert await feed.poll() is first
        assert feed.incidents is not None
        await feed.incidents.note(first.state.id, "news")
        third = await feed.poll()
        assert third is not first and third.events[-1].text == "news"
    finally:
        await feed.close()


def test_recoveries_and_warnings_read_differently_from_detections():
    from dataclasses import replace

    from panels.timeline import event_cells
    from tui.incident.events import Event

    base = Event(1, 1, T0, T0, "warroom@bastion", "system", "auto", "detected", "api is DOWN", {})
    kinds = {}
    for level in ("problem", "warning", "flapping", "ok"):
        event = replace(base, data={"level": level})
        cells = event_cells(event, starred=False, corrected_by=None, local=False)
        kinds[level] = (cells[2].plain.strip(), str(cells[2].style))
    assert [label for label, _ in kinds.values()] == ["! detected", "! warning", "~ flapping", "✔ recovered"]
    assert kinds["ok"][1] != kinds["problem"][1]  # another colour role too


async def test_a_deleted_record_turns_the_header_to_an_alarm(tmp_path):
    db = tmp_path / "i.db"
    sources = standard_sources()
    sources["timeline"] = TimelineSource(db, clock=frozen(), drill=DrillDeclaration("t"), interval_s=0.05)
    app = WarroomApp(AppSetup(context="test", sources=sources, clock=frozen(), tick_s=0, detection=AT_ONCE))
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(100):
            if "DRILL" in app.header.incident.plain:
                break
            await pilot.pause(0.02)
        assert "RECORD" not in app.header.incident.plain
        db.unlink()
        for _ in range(100):
            if "RECORD GONE" in app.header.incident.plain:
                break
            await pilot.pause(0.02)
        assert "✖ RECORD GONE" in app.header.incident.plain
        status = app.panels["timeline"].source_status
        assert status is not None and "the incident record is gone" in (status.error or "")


async def test_a_request_left_without_outcome_reads_outcome_unknown_on_the_next_start(tmp_path):
    """A warroom killed with -9 mid-mitigation writes nothing more: the screen that starts next
    finds the bare request in the record and says its outcome is unknown, not that it runs."""
    from datetime import timedelta

    from tui.core.clock import FrozenClock
    from tui.incident.service import Incidents
    from tui.incident.store import IncidentStore

    db = tmp_path / "i.db"
    async with await IncidentStore.open(db, clock=frozen()) as store:
        incidents = Incidents(store, clock=frozen())
        incident = (await incidents.declare("API down", "SEV1")).incident_id
        await incidents.action_requested(
            incident, "Rollout restart deployment/api", {"timeout_s": 60}, guard="k8s.restart/api"
        )
        await incidents.action_requested(
            incident, "Scale deployment/web", {"timeout_s": 60}, guard="k8s.scale/web"
        )
    later = FrozenClock(T0 + timedelta(minutes=10))
    sources = {"timeline": TimelineSource(db, clock=later, interval_s=0.05)}
    app = WarroomApp(AppSetup(context="t", sources=sources, clock=later, tick_s=0, detection=AT_ONCE))
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(100):
            if len(getattr(app.panels["timeline"], "events", {})) >= 3:
                break
            await pilot.pause(0.02)
        panel = app.panels["timeline"]
        texts = [str(panel.table.get_row(key)[3]) for key in panel.table.rows]  # type: ignore[attr-defined]
    unknown = [t for t in texts if "outcome unknown" in t]
    assert len(unknown) == 2, texts
