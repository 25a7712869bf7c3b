"""The incident keys on the war-room screen, driven by key presses against a real SQLite record
(TimelineSource over a file in tmp_path); the other panels are fed by in-memory sources.

Assertions are on what a person sees (dialogs, rows, header, notices, footer, help) and on the
record itself, read through a second, read-only connection as another terminal would."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Input, TextArea
from textual.widgets.data_table import ColumnKey

from panels.help import HelpScreen
from panels.modals import ChoiceScreen, ComposerScreen, PromptScreen
from panels.timeline import TimelinePanel
from tests.ui.fakes import T0
from tests.ui.harness import (
    answer,
    choose,
    count,
    declared,
    dialog,
    palette,
    paste,
    ready,
    record,
    record_app,
    shown,
    until,
    wrote,
)
from tui.app import WarroomApp
from tui.controllers.bindings import INCIDENT_BINDINGS, WRITES
from tui.core.clock import FrozenClock
from tui.incident.events import Event
from tui.incident.feed import TimelineSource
from tui.incident.lifecycle import LifecycleError
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

ME = "oncall@bastion-1"
SIZE = (160, 50)


@pytest.fixture(autouse=True)
def fixed_actor(monkeypatch):
    # Actors name the user and host; the assertions must not depend on the machine.
    monkeypatch.setattr("tui.incident.actor._user", lambda: "oncall")
    monkeypatch.setattr("tui.incident.actor._host", lambda: "bastion-1")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SUDO_USER", raising=False)


def row_text(app: WarroomApp, event_id: int) -> tuple[str, ...]:
    """The time, kind, text and actor cells of an event's row (`row_number`: its first cell)."""
    panel = app.panels["timeline"]
    assert isinstance(panel, TimelinePanel)
    cells = panel.table.get_row(str(event_id))
    return tuple(getattr(cell, "plain", cell) for cell in cells)[1:]


def row_number(app: WarroomApp, event_id: int) -> str:
    """The number the timeline shows for an event: its place in the incident."""
    panel = app.panels["timeline"]
    assert isinstance(panel, TimelinePanel)
    return panel.table.get_row(str(event_id))[0].plain.strip()


def footer_actions(app: WarroomApp) -> set[str]:
    return set(app.keybar.actions())


# ---- the incident, from declaration to export ------------------------------------------------


async def test_declare_to_export_by_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        # With no incident, the keys that need one say how to get one, and write nothing.
        for key in ("n", "u", "S", "M", "A", "E"):
            await pilot.press(key)
            await until(pilot, lambda: notices.last() == "declare an incident first (D)", f"{key} refused")
            notices.seen.clear()
        assert await record(db) == []
        assert {"incident('declare')", "incident('note')", "incident('update')"} <= footer_actions(app)

        # D: a title (outside text: markup stays literal) and a severity.
        await pilot.press("D")
        await answer(pilot, "Checkout 502s [b]now[/b]")
        await choose(pilot, "SEV1")
        declared = await wrote(pilot, db, "declared", 0)
        assert declared.text == "Checkout 502s [b]now[/b]" and declared.data["severity"] == "SEV1"
        assert "Checkout 502s [b]now[/b]" in app.header.incident.plain
        assert "update in 15:00" in app.header.countdown.plain
        n = len(await record(db))

        # S: the severity, with the cadence it sets.
        await pilot.press("S")
        await choose(pilot, "SEV2")
        changed = await wrote(pilot, db, "severity_changed", n)
        assert changed.data == {"from": "SEV1", "to": "SEV2"}
        await until(pilot, lambda: "update in 30:00" in app.header.countdown.plain, "SEV2 cadence")

        # A: commander, by default whoever presses the key; then a handover to someone else.
        n = len(await record(db))
        await pilot.press("A")
        await choose(pilot, "commander")
        prompt = await dialog(pilot, PromptScreen)
        assert prompt.query_one(Input).value == ME
        await pilot.press("enter")
        first = await wrote(pilot, db, "role_assigned", n)
        assert first.data == {"role": "commander", "assignee": ME, "previous": None, "handover": False}
        n = len(await record(db))
        await pilot.press("A")
        await choose(pilot, "commander")
        await answer(pilot, "bob@bastion-2")
        handover = await wrote(pilot, db, "role_assigned", n)
        assert handover.data["handover"] is True and handover.data["previous"] == ME
        assert handover.text == f"bob@bastion-2 takes over as commander from {ME}"
        await until(pilot, lambda: "IC bob@bastion-2" in app.header.incident.plain, "new IC in the header")
        assert notices.last().startswith("handover: bob@bastion-2 takes over")

        # n: a note.
        n = len(await record(db))
        await pilot.press("n")
        await answer(pilot, "pgbouncer pool exhausted", typed=True)
        note = await wrote(pilot, db, "note", n)
        assert note.text == "pgbouncer pool exhausted"

        # u: ten minutes on, the CAN template from the panels; saving resets the countdown and
        # puts the text on the clipboard.
        clock.advance(600)
        app.tick()  # the app's one-second ticker (off in tests) moves the countdown
        assert "update in 20:00" in app.header.countdown.plain
        n = len(await record(db))
        await pilot.press("u")
        composer = await dialog(pilot, ComposerScreen)
        template = composer.query_one(TextArea).text
        assert template.startswith("[SEV2] Checkout 502s [b]now[/b] — investigating — 2026-11-23T03:10:00Z")
        assert "- api-gateway DOWN (connection refused)" in template
        assert "1 of 2 pods not ready: 1 CrashLoopBackOff" in template
        # pasted where the template asks for words: after "Needs: - "
        await paste(pilot, composer.query_one(TextArea), "a bigger pool")
        await pilot.press("ctrl+s")
        update = await wrote(pilot, db, "status_update", n)
        assert "Needs:\n- a bigger pool" in update.text
        assert app.clipboard == update.text
        assert "copied to the clipboard (OSC 52" in notices.last()
        await until(pilot, lambda: "update in 30:00" in app.header.countdown.plain, "countdown reset")

        # M: mitigating, then resolved; the countdown stops.
        for status in ("mitigating", "resolved"):
            n = len(await record(db))
            await pilot.press("M")
            await choose(pilot, status)
            moved = await wrote(pilot, db, "status_changed", n)
            assert moved.data["to"] == status
        await until(pilot, lambda: app.header.countdown.plain == "", "no update due once resolved")

        # E: the postmortem (and the audit log) to the working directory, path in a notice.
        await pilot.press("E")
        prompt = await dialog(pilot, PromptScreen)
        target = tmp_path / f"warroom-incident-{declared.incident_id}.md"
        assert prompt.query_one(Input).value == str(target)
        await pilot.press("enter")
        await until(pilot, target.exists, "postmortem written")
        await until(pilot, lambda: str(target) in notices.last(), "path in a notice")
        text = target.read_text()
        assert "Checkout 502s" in text and "| Time (UTC) | Event | Actor |" in text
        assert "pgbouncer pool exhausted" in text and "bob@bastion-2" in text
        audit = target.with_suffix(".jsonl").read_text().splitlines()
        assert len(audit) == len(await record(db))

        # E again: the file exists; keeping it is the default, and nothing is overwritten.
        target.write_text("edited by hand")
        await pilot.press("E")
        await dialog(pilot, PromptScreen)
        await pilot.press("enter")
        question = await dialog(pilot, ChoiceScreen)
        assert "already exist" in question.title_text
        await pilot.press("enter")
        await until(pilot, lambda: notices.last() == "export cancelled: nothing written", "kept")
        assert target.read_text() == "edited by hand"

    events = await record(db)
    by_person = [e for e in events if e.kind != "detected"]
    assert [e.kind for e in by_person] == [
        "declared",
        "severity_changed",
        "role_assigned",
        "role_assigned",
        "note",
        "status_update",
        "status_changed",
        "status_changed",
    ]
    assert {(e.actor, e.actor_kind, e.source) for e in by_person} == {(ME, "human", "key")}
    # The detections held before the declaration were written to it, by the system.
    assert {e.actor_kind for e in events if e.kind == "detected"} == {"system"}
    assert notices.errors() == []


# ---- refusals ----------------------------------------------------------------------------


async def test_a_move_that_became_invalid_is_refused_with_the_reason(tmp_path):
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        _, incident = await declared(app, "DB failover", "SEV2")
        await until(pilot, lambda: any(e.kind == "declared" for e in shown(app)), "declared shown")

        await pilot.press("M")
        await dialog(pilot, ChoiceScreen)
        # Meanwhile, another terminal on the same record moves the incident on.
        async with await IncidentStore.open(db, clock=clock) as other_store:
            other = Incidents(other_store, clock=clock, who=Who("alice@bastion-2"))
            await other.move_status(incident, "mitigating")
        before = await count(db)
        await choose(pilot, "identified")
        await until(pilot, lambda: "moves forward only" in notices.last(), "refused")
        assert notices.last() == (
            f"status moves forward only: incident #{incident} is mitigating, not back to identified"
        )
        assert await count(db) == before

        # Resolved: the severity is refused before any dialog; M offers closing or reopening.
        async with await IncidentStore.open(db, clock=clock) as other_store:
            await Incidents(other_store, clock=clock, who=Who("alice@bastion-2")).resolve(incident)
        await until(pilot, lambda: "resolved" in app.header.incident.plain, "resolved shown")
        await pilot.press("S")
        await until(pilot, lambda: "reopen it" in notices.last(), "severity refused")
        assert app.screen is app.screen_stack[0]
        await pilot.press("M")
        screen = await dialog(pilot, ChoiceScreen)
        assert [v for v, _ in screen.choices] == [
            "closed",
            "reopen:investigating",
            "reopen:identified",
            "reopen:mitigating",
        ]
        n = await count(db)
        await choose(pilot, "reopen:identified")
        reopened = await wrote(pilot, db, "reopened", n - 0)
        assert reopened.data["to"] == "identified" and reopened.actor == ME
    assert notices.errors() == []


# ---- star and correct --------------------------------------------------------------------


async def test_star_and_correct_the_selected_event(tmp_path):
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        incidents, incident = await declared(app, "Gateway down", "SEV2")
        raw = "restarted gw \x1b]0;pwned\x07[link=https://x]click[/link]"
        note = await incidents.note(incident, raw, who=Who("cli@deploy", "automation", "cli"))
        clock.advance(60)
        await until(pilot, lambda: any(e.id == note.id for e in shown(app)), "note shown")
        # Outside text is shown literally: no markup applied, no escape sequence kept.
        cells = row_text(app, note.id)
        assert "[link=https://x]click[/link]" in cells[2] and "\x1b" not in cells[2]

        await pilot.press("5")
        panel = app.panels["timeline"]
        assert isinstance(panel, TimelinePanel)
        await until(pilot, lambda: panel.table.has_focus, "timeline focused")
        assert "incident('star')" in str(footer_actions(app))
        for _ in range(20):
            if (selected := panel.selected()) is not None and selected.id == note.id:
                break
            await pilot.press("up")

        n = await count(db)
        await pilot.press("asterisk")
        star = await wrote(pilot, db, "starred", n)
        assert star.data == {"event": note.id, "starred": True}
        await until(pilot, lambda: row_text(app, note.id)[1].startswith("★"), "star shown")
        # Each row shows its event's number in the incident, as the postmortem cites it.
        place = {e.id: str(i) for i, e in enumerate(await record(db), start=1)}
        assert row_number(app, note.id) == place[note.id] == "2"
        assert row_number(app, star.id) == place[star.id]
        assert row_text(app, star.id)[2] == f"starred #2: {row_text(app, note.id)[2]}"

        # c: the prompt starts from the text (cleaned); the old row stays, shown as corrected.
        await pilot.press("c")
        prompt = await dialog(pilot, PromptScreen)
        assert prompt.query_one(Input).value == "restarted gw [link=https://x]click[/link]"
        await answer(pilot, "restarted api-gateway")
        fix = await wrote(pilot, db, "corrected", n)
        assert fix.supersedes == note.id and fix.text == "restarted api-gateway"
        place = {e.id: i for i, e in enumerate(await record(db), start=1)}
        marked = f"(corrected by #{place[fix.id]})"
        await until(pilot, lambda: marked in row_text(app, note.id)[2], "old row marked")
        assert row_text(app, fix.id)[2] == "restarted api-gateway  (corrects #2)"

        # c on the corrected row corrects its newest version.
        await pilot.press("c")
        prompt = await dialog(pilot, PromptScreen)
        assert prompt.query_one(Input).value == "restarted api-gateway"
        await answer(pilot, "restarted api-gateway (3 pods)")
        again = await wrote(pilot, db, "corrected", n + 2)
        assert again.supersedes == fix.id

        # * again: unstarred. A star itself is neither starred nor corrected.
        n = await count(db)
        await pilot.press("asterisk")
        unstar = await wrote(pilot, db, "starred", n)
        assert unstar.data == {"event": note.id, "starred": False}
        await until(pilot, lambda: not row_text(app, note.id)[1].startswith("★"), "star gone")
        panel.table.move_cursor(row=panel.table.row_keys.index(str(star.id)))
        await pilot.press("asterisk")
        await until(pilot, lambda: notices.last() == "a star cannot be starred", "star of a star refused")
        await pilot.press("c")
        await until(pilot, lambda: "unstarring" in notices.last(), "correction of a star refused")
        assert app.screen is app.screen_stack[0]
    events = await record(db)
    assert [e.kind for e in events if e.kind in ("starred", "corrected")] == [
        "starred",
        "corrected",
        "corrected",
        "starred",
    ]
    marks = [e for e in events if e.kind in ("starred", "corrected")]
    assert {(e.actor_kind, e.source) for e in marks} == {("human", "key")}
    assert notices.errors() == []


# ---- the timeline's view -------------------------------------------------------------------


@pytest.fixture
def india(monkeypatch):
    """Local time five and a half hours ahead of UTC."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_local_time_kind_filter_and_starred_only(tmp_path, india):
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        incidents, incident = await declared(app, "Orders slow", "SEV3")
        first = await incidents.note(incident, "p95 at 3 s")
        second = await incidents.note(incident, "scaled celery to 6", starred=True)
        await until(pilot, lambda: any(e.id == second.id for e in shown(app)), "notes shown")
        panel = app.panels["timeline"]
        assert isinstance(panel, TimelinePanel)
        await pilot.press("5")

        assert row_text(app, first.id)[0] == "03:00:00"
        await pilot.press("t")
        await until(pilot, lambda: row_text(app, first.id)[0] == "08:30:00", "local time")
        assert panel.table.columns[ColumnKey("time")].label.plain == "IST"
        assert "UTC+0530" in notices.last()
        await pilot.press("t")
        await until(pilot, lambda: row_text(app, first.id)[0] == "03:00:00", "UTC again")

        await pilot.press("k")
        await choose(pilot, "note")
        await until(pilot, lambda: {e.kind for e in shown(app)} == {"note"}, "notes only")
        assert [e.id for e in shown(app)] == [first.id, second.id]
        assert "only note" in panel.border_title

        await pilot.press("F")
        await until(pilot, lambda: [e.id for e in shown(app)] == [second.id], "starred only")
        assert "★ only" in panel.border_title
        await pilot.press("F")
        await pilot.press("k")
        await choose(pilot, "*")
        await until(pilot, lambda: len(shown(app)) == len(panel.events), "everything again")
        assert "only" not in panel.border_title
    assert notices.errors() == []


# ---- observers -----------------------------------------------------------------------------


TIMELINE_KEYS = {"incident.star": "asterisk", "incident.correct": "c"}


def header_line(app: WarroomApp) -> str:
    """The header as the terminal shows it: each part's text cut to the cells it was given."""
    parts = app.header.children
    return "".join(p.render_lines(Region(0, 0, p.region.width, 1))[0].text for p in parts)


async def test_an_observer_at_80_columns_sees_the_status_beside_a_short_badge(tmp_path):
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        await Incidents(store, clock=clock).declare("Checkout 502s after the v43 deploy", "SEV1")
    app, _ = record_app(db, clock, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await until(pilot, lambda: "investigating" in header_line(app), "the status on the header")
        assert app.header.badge.plain == "[R]" and " [R] " in header_line(app)
        await pilot.resize_terminal(160, 50)
        await until(pilot, lambda: app.header.badge.plain == "[R] read-only", "the full badge when wide")
        assert "investigating · Checkout 502s after the v43 deploy" in header_line(app)
        await pilot.resize_terminal(119, 40)
        await until(pilot, lambda: app.header.badge.plain == "[R]", "short again below 120")


async def test_read_only_offers_no_key_that_writes_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        incident = (await incidents.declare("Queue backlog", "SEV2")).incident_id
        await incidents.note(incident, "celery at 500 tasks")
    incident_keys = [b for b in INCIDENT_BINDINGS + TimelinePanel.BINDINGS if "'" in b.action]
    writes = [b for b in incident_keys if b.action.split("'")[1] in WRITES]
    assert {b.id for b in writes} >= {"incident.declare", "incident.note", "incident.star"}
    app, notices = record_app(db, clock, read_only=True)
    before = await count(db)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.timeline is not None and app.timeline.store is not None
        assert app.timeline.store.read_only
        await until(pilot, lambda: len(shown(app)) == 2, "the commander's timeline")
        for focus in ("1", "5"):  # app-wide keys, then the timeline's own
            await pilot.press(focus)
            offered = {action.removeprefix("app.") for action in footer_actions(app)}
            assert offered and not offered & {b.action.removeprefix("app.") for b in writes}
            await pilot.press("question_mark")
            help_screen = await dialog(pilot, HelpScreen)
            ids = {binding_id for _, _, binding_id in help_screen.rows}
            assert "incident.export" in ids and not ids & {b.id for b in writes}
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.screen_stack[0], "help closed")
            for binding in writes:
                await pilot.press(TIMELINE_KEYS.get(binding.id, binding.key))
                await pilot.pause(0.05)
                assert app.screen is app.screen_stack[0], f"{binding.id} opened a dialog"
        # E is offered: exporting writes a file, not the record.
        await pilot.press("E")
        await dialog(pilot, PromptScreen)
        await pilot.press("enter")
        await until(pilot, (tmp_path / f"warroom-incident-{incident}.md").exists, "observer's export")
    assert await count(db) == before
    assert notices.errors() == []


# ---- history ------------------------------------------------------------------------------


async def test_history_opens_a_past_incident_read_only(tmp_path):
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        past = (await incidents.declare("Redis [red]evictions[/red]", "SEV3")).incident_id
        await incidents.note(past, "maxmemory raised")
        await incidents.close_incident(past)
        active = (await incidents.declare("Checkout errors", "SEV1")).incident_id
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.timeline is not None
        await until(pilot, lambda: app.timeline.incident_id == active, "the active incident followed")
        hit = await palette(pilot, f"Open incident #{past}")
        assert hit == f"Open incident #{past} Redis [red]evictions[/red]"  # a title is text, not markup
        await until(pilot, lambda: any(e.text == "maxmemory raised" for e in shown(app)), "past shown")
        assert "Redis [red]evictions[/red]" in app.header.incident.plain
        panel = app.panels["timeline"]
        assert "past, closed, read-only" in panel.border_title
        assert app.header.badge.plain == "[R] past, read-only"  # not [RW]: nothing here is writable

        # Writes are refused while reading it; nothing is written.
        before = await count(db)
        await pilot.press("n")
        await until(pilot, lambda: "past incident, shown read-only" in notices.last(), "note refused")
        assert app.screen is app.screen_stack[0]
        # Another terminal writes to the active incident: the view stays where it was opened.
        async with await IncidentStore.open(db, clock=clock) as store:
            await Incidents(store, clock=clock).note(active, "from the pipeline")
        await pilot.pause(0.3)
        assert app.timeline.incident_id == past
        assert await count(db) == before + 1

        await palette(pilot, "Follow the active incident")
        await until(pilot, lambda: any(e.text == "from the pipeline" for e in shown(app)), "back")
        assert "Checkout errors" in app.header.incident.plain
        assert "past" not in panel.border_title
        assert app.header.badge.plain == "[RW]"
        n = await count(db)
        await pilot.press("n")
        await answer(pilot, "writable again")
        note = await wrote(pilot, db, "note", 0)
        assert note.incident_id == active and await count(db) == n + 1
    assert notices.errors() == []


def test_the_timeline_keys_are_remappable_and_clash_with_nothing():
    from tui.app import all_bindings, check_app_keymap
    from tui.core.errors import UserError
    from tui.keys import check_keymap

    infos = {info.id: info for info in all_bindings()}
    for binding in INCIDENT_BINDINGS:
        assert infos[binding.id].scope == "app"
    for binding in TimelinePanel.BINDINGS:
        assert infos[binding.id].scope == "TimelinePanel"
    check_keymap({}, list(infos.values()), "built-in", strict=True)
    check_app_keymap({"incident.correct": "C", "timeline.kind": "K"}, "warroom.toml")
    with pytest.raises(UserError, match="'q' is bound to both"):
        check_app_keymap({"incident.correct": "q"}, "warroom.toml")


async def test_an_observer_stays_on_the_resolved_incident_and_follows_only_newer_ones(tmp_path):
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        drill = (await incidents.declare("Drill: crash loop", "SEV3", drill=True)).incident_id
        real = (await incidents.declare("Orders API 502s", "SEV1")).incident_id
        observer = TimelineSource(db, read_only=True, clock=clock)
        try:
            assert (await observer.poll()).state.id == real  # type: ignore[union-attr]
            await incidents.resolve(real)  # the drill is still open, and older
            snap = await observer.poll()
            assert snap.state is not None and snap.state.id == real and snap.state.status == "resolved"
            newer = (await incidents.declare("Checkout down", "SEV2")).incident_id
            assert (await observer.poll()).state.id == newer  # type: ignore[union-attr]
            assert drill < real < newer
        finally:
            await observer.close()


async def test_declaring_mid_outage_carries_what_is_already_wrong(tmp_path: Path) -> None:
    """Problems seen before D belong to the new incident, at the time they were first seen, so
    its time to detect counts from the first signal."""
    clock = FrozenClock(T0)
    app, _ = record_app(tmp_path / "i.db", clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        feed = app.timeline
        assert feed is not None
        await until(pilot, lambda: len(feed.carried()) >= 3, "problems detected")
        first_seen = min(d.at for d in feed.carried())
        clock.advance(120)
        await pilot.press("D")
        await answer(pilot, "Gateway down")
        await choose(pilot, "SEV1")
        await until(pilot, lambda: app.timeline is not None and app.timeline.incident_id, "declared")

        async def detected() -> list[Event]:
            return [e for e in await record(tmp_path / "i.db") if e.kind == "detected"]

        for _ in range(200):
            if len(await detected()) >= 3:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.3)  # several more timeline cycles: nothing is carried twice
        events = await detected()
        assert {e.data["subject"] for e in events} >= {"api-gateway", "API availability"}
        subjects = [e.data["subject"] for e in events]
        assert len(subjects) == len(set(subjects)), f"carried twice: {subjects}"
        assert all(e.occurred_at == first_seen for e in events)
        declared = next(e for e in await record(tmp_path / "i.db") if e.kind == "declared")
        assert declared.occurred_at == first_seen + timedelta(seconds=120)


async def test_the_keys_record_the_person_named_with_as(tmp_path: Path) -> None:
    """`warroom demo --as "Alice Ng"` on a shared account: the note typed at the keys carries the
    name beside the account, and the timeline's Who column shows the name."""
    import argparse

    from tui.wiring import setup_for_demo

    args = argparse.Namespace(
        scenario=None, seed=1, db=str(tmp_path / "demo.db"), read_only=False, theme=None, person="Alice Ng"
    )
    setup = setup_for_demo(args, FrozenClock(T0))
    setup.tick_s = 0
    app = WarroomApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: app.timeline is not None and app.timeline.incident_id, "drill declared")
        await pilot.press("n")
        await answer(pilot, "paged the DBA")
        note = await wrote(pilot, tmp_path / "demo.db", "note", 0)
        assert note.actor == "Alice Ng as oncall@bastion-1" and note.actor_kind == "human"
        assert row_text(app, note.id)[3] == "Alice Ng"
        # the role prompt offers the person, not the shared account
        await pilot.press("A")
        await choose(pilot, "commander")
        prompt = await dialog(pilot, PromptScreen)
        assert prompt.query_one(Input).value == "Alice Ng"


async def test_declaring_with_an_incident_open_asks_and_offers_a_note_on_it(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        drill = (await incidents.declare("Drill: redis down", "SEV3", drill=True)).incident_id
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.timeline is not None
        await until(pilot, lambda: app.timeline.incident_id == drill, "drill shown")
        await pilot.press("D")
        screen = await dialog(pilot, ChoiceScreen)
        assert screen.title_text == f"#{drill} is already open: declare a second incident?"
        assert screen.choices == [
            (
                f"note:{drill}",
                f'add a note to #{drill} DRILL "Drill: redis down" (SEV3 investigating) instead',
            ),
            ("declare", "declare a second, separate incident"),
        ]
        await pilot.press("enter")  # the default: a note on the open one, not a second incident
        prompt = await dialog(pilot, PromptScreen)
        assert prompt.title_text == f"Note on #{drill}"
        await answer(pilot, "redis-master is back, replicas syncing")
        note = await wrote(pilot, db, "note", 0)
        assert note.incident_id == drill
        async with await IncidentStore.open(db, read_only=True) as store:
            assert len(await store.incidents()) == 1

        # esc at the question: nothing at all
        await pilot.press("D")
        await dialog(pilot, ChoiceScreen)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.screen_stack[0], "question closed")

        # said yes: a second incident, followed
        await pilot.press("D")
        await choose(pilot, "declare")
        await answer(pilot, "Checkout 502s")
        await choose(pilot, "SEV1")
        await until(pilot, lambda: app.timeline.incident_id not in (None, drill), "second declared")
        second = app.timeline.incident_id
        # the third D lists both, newest first, the shown one offered first
        await pilot.press("D")
        screen = await dialog(pilot, ChoiceScreen)
        assert screen.title_text == "2 incidents are already open: declare another?"
        assert [v for v, _ in screen.choices] == [f"note:{second}", f"note:{drill}", "declare"]
        await choose(pilot, f"note:{drill}")  # a note on the other one: the screen goes to it
        await answer(pilot, "drill: failover done")
        await until(pilot, lambda: app.timeline.incident_id == drill, "the drill shown")
        async with await IncidentStore.open(db, read_only=True) as store:
            notes = [e for e in await store.events(drill) if e.kind == "note"]
            assert [e.text for e in notes] == [
                "redis-master is back, replicas syncing",
                "drill: failover done",
            ]
            assert len(await store.incidents()) == 2
    assert notices.errors() == []


async def test_another_open_incident_is_made_the_active_one_from_the_palette(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        closed = (await incidents.declare("Last week's outage", "SEV2")).incident_id
        await incidents.close_incident(closed)
        older = (await incidents.declare("Payments slow", "SEV2")).incident_id
        newer = (await incidents.declare("Checkout 502s", "SEV1")).incident_id
    app, notices = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        feed = app.timeline
        assert feed is not None and feed.incidents is not None
        await until(pilot, lambda: feed.incident_id == newer, "the newest followed")
        assert await app.incident_keys.working_incident(feed.incidents) == newer
        panel = app.panels["timeline"]
        await until(pilot, lambda: f"#{newer} · also open: #{older} (ctrl+p)" in panel.border_title, "said")

        hit = await palette(pilot, f"Switch to incident #{older}")
        assert hit == f"Switch to incident #{older} Payments slow"
        await until(pilot, lambda: "Payments slow" in app.header.incident.plain, "switched")
        assert app.header.badge.plain == "[RW]" and "is now the active incident here" in notices.last()
        n = await count(db)
        await pilot.press("n")
        await answer(pilot, "pool size doubled")
        await until(pilot, lambda: any(e.text == "pool size doubled" for e in shown(app)), "note shown")
        async with await IncidentStore.open(db, read_only=True) as store:
            assert [e.text for e in await store.events(older) if e.kind == "note"] == ["pool size doubled"]
        assert await count(db) == n + 1
        assert await app.incident_keys.working_incident(feed.incidents) == older  # mitigations too

        # a newer declaration elsewhere does not take the chosen incident away
        async with await IncidentStore.open(db, clock=clock) as store:
            newest = (await Incidents(store, clock=clock).declare("Search down", "SEV3")).incident_id
        await pilot.pause(0.3)
        assert feed.incident_id == older
        await until(pilot, lambda: f"also open: #{newer} #{newest} (ctrl+p)" in panel.border_title, "said")

        # reading a past one meanwhile: read-only, and the mitigations still go to the chosen one
        await palette(pilot, f"Open incident #{closed}")
        await until(pilot, lambda: app.header.badge.plain == "[R] past, read-only", "past shown")
        assert await app.incident_keys.working_incident(feed.incidents) == older
        await palette(pilot, "Follow the active incident")
        await until(pilot, lambda: feed.incident_id == older, "back to the chosen one")
        assert app.header.badge.plain == "[RW]"

        await palette(pilot, "Follow the newest incident")
        await until(pilot, lambda: feed.incident_id == newest, "the newest followed again")
        assert not feed.pinned
    assert notices.errors() == []


async def test_with_several_open_and_a_past_one_shown_a_mitigation_is_not_guessed(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        closed = (await incidents.declare("Old", "SEV2")).incident_id
        await incidents.close_incident(closed)
        await incidents.declare("One", "SEV2")
        await incidents.declare("Two", "SEV2")
    app, _ = record_app(db, clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await palette(pilot, f"Open incident #{closed}")
        await until(pilot, lambda: app.incident_keys.past == closed, "past shown")
        with pytest.raises(LifecycleError, match=r'2 incidents are open: #2 "One" .*#3 "Two".*Switch to'):
            await app.action_keys.provider.active()
