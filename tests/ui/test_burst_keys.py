"""Keys typed in one burst are never lost: a laggy SSH link delivers a whole line of keystrokes in
one read, so the keys after the one that opens (or closes) a dialog arrive before that dialog is
up. Each key must reach what it would have reached typed slowly, in order: the next dialog, the
filter bar, or the war room underneath."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.keys import key_to_character
from textual.widgets import Input

from panels.modals import ChoiceScreen, PromptScreen
from tests.ui.fakes import T0, ListSource, health, service, standard_sources
from tests.ui.harness import declared, dialog, make_app, ready, record, record_app, until, wrote
from tui.core.clock import FrozenClock
from tui.incident.store import IncidentStore


def burst(app: App[Any], *keys: str) -> None:
    """Keys as one terminal read delivers them: posted to the app back to back, no pause (the
    driver does exactly this with the keys it parsed from one read)."""
    for key in keys:
        app.post_message(events.Key(key, key_to_character(key)))


def typed(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


def following(app: Any) -> bool:
    return app.timeline is not None and app.timeline.incident_id is not None


async def incidents(db: Any) -> list[tuple[str, str]]:
    async with await IncidentStore.open(db, read_only=True) as store:
        return [(s.title, s.severity) for s in await store.incidents()]


async def test_declare_title_and_severity_in_one_burst(tmp_path) -> None:
    # D, the title, enter, the severity typed by name, enter: two dialogs, one read.
    db = tmp_path / "i.db"
    app, notices = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        burst(app, "D", *typed("Checkout 502s"), "enter", *"SEV1", "enter")
        await until(pilot, lambda: following(app), "declared")
        await pilot.pause(0.3)
        assert await incidents(db) == [("Checkout 502s", "SEV1")]
        assert len(app.screen_stack) == 1 and app.is_running and not notices.errors()


async def test_a_declare_burst_with_a_blank_line_waits_on_the_severity(tmp_path) -> None:
    # A title pasted with a newline too many: the extra enter is the title's, not a severity
    # picked without looking.
    db = tmp_path / "i.db"
    app, _ = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        burst(app, "D", *typed("Checkout 502s"), "enter", "enter")
        await dialog(pilot, ChoiceScreen)
        await pilot.pause(0.3)
        assert isinstance(app.screen, ChoiceScreen) and await incidents(db) == []
        burst(app, *"SEV3", "enter")
        await until(pilot, lambda: len(app.screen_stack) == 1, "the dialog closed")
        await until(pilot, lambda: following(app), "declared")
        assert await incidents(db) == [("Checkout 502s", "SEV3")]


async def test_a_note_typed_in_one_burst_with_its_key(tmp_path) -> None:
    db = tmp_path / "i.db"
    app, notices = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await declared(app, "Checkout 5xx", "SEV2")
        before = len(await record(db))
        burst(app, "n", *typed("pool exhausted on pgbouncer"), "enter")
        note = await wrote(pilot, db, "note", before)
        assert note.text == "pool exhausted on pgbouncer"
        # Then two notes in one read: each key of the second reached the second prompt.
        burst(app, "n", *typed("first"), "enter", "n", *typed("second"), "enter")
        for _ in range(200):
            notes = [e.text for e in (await record(db))[before:] if e.kind == "note"]
            if len(notes) == 3 and len(app.screen_stack) == 1:
                break
            await pilot.pause(0.02)
        assert notes == ["pool exhausted on pgbouncer", "first", "second"]
        assert len(app.screen_stack) == 1
        assert not notices.errors()


async def test_slash_and_the_filter_in_one_burst_are_all_filter(tmp_path) -> None:
    sources = standard_sources()
    names = [f"svc-{i:02d}" for i in range(36)] + ["payments", "pay-gateway", "payouts", "orders"]
    sources["health"] = ListSource("health", [health(*[service(name) for name in names])])
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: len(app.panels["health"].table.row_keys) == 40, "the services")
        burst(app, "1", "slash", *"pay")
        bar = app.query_one("#filter-bar", Input)
        await until(pilot, lambda: bar.value == "pay", "the filter typed")
        await pilot.pause(0.2)
        assert bar.value == "pay" and app.focused is bar
        assert "filter: pay · 3 of 40" in app.panels["health"].title_plain
        burst(app, "enter", "slash", *"ord", "enter")
        await until(pilot, lambda: "filter: ord" in app.panels["health"].title_plain, "the second filter")
        assert bar.value == "ord" and app.focused is not bar


async def test_q_tab_enter_in_one_burst_quits(tmp_path) -> None:
    db = tmp_path / "i.db"
    app, _ = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await declared(app, "Checkout 5xx", "SEV2")
        await until(pilot, lambda: app.panels["timeline"].last is not None, "shown")
        burst(app, "q", "tab", "enter")
        await until(pilot, lambda: app.return_code is not None, "quit", tries=200)
        assert app.return_code == 0


async def test_keys_after_a_burst_that_cancels_reach_the_war_room(tmp_path) -> None:
    # n, a word, escape (cancelled), then / and a filter: the filter is all there.
    db = tmp_path / "i.db"
    app, _ = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await declared(app, "Checkout 5xx", "SEV2")
        burst(app, "n", *"abc", "escape", "slash", *"api")
        bar = app.query_one("#filter-bar", Input)
        await until(pilot, lambda: bar.value == "api", "the filter typed")
        assert not isinstance(app.screen, PromptScreen)


async def test_keys_after_a_key_that_opens_no_dialog_reach_the_war_room(tmp_path) -> None:
    # n with no incident says so and opens nothing: the filter typed behind it is all there.
    db = tmp_path / "i.db"
    app, notices = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await ready(pilot)
        burst(app, "n", "slash", *"api")
        bar = app.query_one("#filter-bar", Input)
        await until(pilot, lambda: bar.value == "api", "the filter typed")
        assert len(app.screen_stack) == 1
        assert any("declare an incident first" in message for message, _ in notices.seen)


async def test_the_action_menu_and_its_confirmation_in_one_burst(tmp_path) -> None:
    # a, enter on the first action, escape: the escape reaches the confirmation the menu opened
    # (it was not up yet when the keys arrived), so nothing is left open and nothing runs.
    from panels.modals import ConfirmScreen
    from tests.ui.harness import room

    async with room(tmp_path, "api-gateway-crashloop") as r:
        await r.declare()
        burst(r.app, "2", "a", "enter", "escape")
        await r.wait(lambda: any("cancelled, nothing was run" in m for m, _ in r.notes.seen), "cancelled")
        await r.pilot.pause(0.2)
        assert len(r.app.screen_stack) == 1 and not isinstance(r.app.screen, ConfirmScreen)
        assert [e.kind for e in await r.events()] == ["declared"]


async def test_keys_held_for_a_dialog_that_never_comes_go_on_after_a_while(tmp_path) -> None:
    # A flow that holds the keys and never shows its dialog (a record that hangs): the keys are
    # not stuck behind it for ever.
    from tui.key_queue import HOLD_S

    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.key_queue.waiting is not None, "the app")
        hold = app.key_queue.hold()
        burst(app, "slash", *"api")
        bar = app.query_one("#filter-bar", Input)
        await pilot.pause(HOLD_S / 2)
        assert bar.value == "" and len(app.key_queue.waiting) == 4, "held while the flow may still answer"
        await until(pilot, lambda: bar.value == "api", "the keys went on", tries=int(HOLD_S * 50) + 100)
        hold.release()
