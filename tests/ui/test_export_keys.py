"""`E` never overwrites without asking: a path that exists asks first (keep is the default); an
observer (--read-only) writes only new files. Against a real SQLite record, files in tmp_path."""

from __future__ import annotations

from textual.widgets import Input

from panels.modals import ChoiceScreen, PromptScreen
from tests.ui.fakes import T0
from tests.ui.harness import answer, choose, dialog, ready, record_app, until
from tui.core.clock import FrozenClock
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore


async def _declared(db) -> int:
    clock = FrozenClock(T0)
    async with await IncidentStore.open(db, clock=clock) as store:
        return (await Incidents(store, clock=clock).declare("Queue backlog", "SEV2")).incident_id


async def test_an_observer_export_writes_only_new_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "i.db"
    incident = await _declared(db)
    taken = tmp_path / f"warroom-incident-{incident}.md"
    taken.write_text("the commander's postmortem, edited")
    app, notices = record_app(db, FrozenClock(T0), read_only=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await pilot.press("E")
        prompt = await dialog(pilot, PromptScreen)
        assert prompt.query_one(Input).value == str(taken)
        await pilot.press("enter")
        await until(pilot, lambda: "writes only new files" in notices.last(), "refused")
        assert not isinstance(app.screen, ChoiceScreen)  # not even offered
        assert notices.last().startswith(f"read-only: {taken} already exists")
        assert taken.read_text() == "the commander's postmortem, edited"
        assert not taken.with_suffix(".jsonl").exists()
        # A new name is written.
        await pilot.press("E")
        await answer(pilot, str(tmp_path / "mine.md"))
        await until(pilot, (tmp_path / "mine.md").exists, "a new file written")
        assert (tmp_path / "mine.jsonl").exists()
    assert taken.read_text() == "the commander's postmortem, edited"


async def test_overwriting_is_asked_and_only_then_done(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "i.db"
    incident = await _declared(db)
    taken = tmp_path / f"warroom-incident-{incident}.md"
    taken.write_text("old")
    app, notices = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await pilot.press("E")
        await dialog(pilot, PromptScreen)
        await pilot.press("enter")
        question = await dialog(pilot, ChoiceScreen)
        assert question.choices[0][0] == "keep" and question.selected == "keep"  # default: no
        await choose(pilot, "overwrite")
        await until(pilot, lambda: taken.read_text() != "old", "overwritten when asked to")
        assert taken.read_text().startswith("# Postmortem: Queue backlog")
    assert notices.errors() == []
