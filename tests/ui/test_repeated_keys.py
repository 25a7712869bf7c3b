"""Dialogs under repeated and coalesced keys: a laggy SSH link delivers two Enter presses (or a
paste and the newlines after it) in one read, so Textual forwards both to the field before the
first is handled. Every dialog answers once and the app keeps running; what was typed is
recorded exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Input

from panels.help import HelpScreen
from panels.modals import (
    AskScreen,
    ChoiceScreen,
    ComposerScreen,
    ConfirmScreen,
    DetailScreen,
    PromptScreen,
)
from tests.ui.fakes import T0
from tests.ui.harness import declared, dialog, ready, record, record_app, until, wrote
from tui.core.clock import FrozenClock
from tui.core.confirm import ConfirmRequest, Field

CHARS = {"enter": "\r", "escape": "\x1b", "tab": "\t", "space": " "}


def burst(app: App[Any], *keys: str) -> None:
    """Keys as one terminal read delivers them: posted to the app back to back, no pause (the
    driver does exactly this with the keys it parsed from one read)."""
    for key in keys:
        app.post_message(events.Key(key, CHARS.get(key, key if len(key) == 1 else None)))


def typed(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


def confirm_request() -> ConfirmRequest:
    return ConfirmRequest(
        "Scale",
        "deployment/api",
        "context demo · namespace shop",
        "kubectl scale --replicas=3",
        fields=(Field("replicas", "Replicas", "3", kind="int", minimum=0, maximum=50),),
    )


DIALOGS: dict[str, tuple[Any, list[str], object]] = {
    # name: (the dialog, a burst of keys answering it twice or more, the one answer expected)
    "prompt": (lambda: PromptScreen("Note"), [*typed("db pool"), "enter", "enter", "enter"], "db pool"),
    "prompt-edit": (
        lambda: PromptScreen("Note"),
        [*"abc", "backspace", "d", "home", "x", "enter", "enter"],
        "xabd",
    ),
    "prompt-escape": (lambda: PromptScreen("Note"), ["escape", "x", "enter", "escape"], None),
    "choice": (
        lambda: ChoiceScreen("Severity", [("SEV1", "SEV1"), ("SEV2", "SEV2")]),
        ["down", "enter", "enter"],
        "SEV2",
    ),
    "ask": (lambda: AskScreen("Quit?", "an incident is open", "Quit"), ["enter", "enter", "enter"], False),
    "confirm-cancel": (lambda: ConfirmScreen(confirm_request()), ["escape", "escape", "enter"], None),
    "composer": (lambda: ComposerScreen("Update", "all good"), ["ctrl+s", "ctrl+s", "escape"], "all good"),
    "detail": (lambda: DetailScreen("Event", "text"), ["enter", "enter", "escape", "q"], None),
    "help": (lambda: HelpScreen({}, read_only=False), ["escape", "escape", "question_mark"], None),
}


class Host(App[None]):
    """A bare app with one dialog pushed, counting its answers."""

    def __init__(self, make: Any) -> None:
        super().__init__()
        self.make = make
        self.answers: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.answers.append)


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_every_dialog_answers_once_under_a_burst_of_keys(name: str) -> None:
    make, keys, expected = DIALOGS[name]
    app = Host(make)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ModalScreen), "the dialog")
        burst(app, *keys)
        await until(pilot, lambda: app.answers, "an answer")
        await pilot.pause(0.2)
        assert app.answers == [expected]
        assert app.is_running and len(app.screen_stack) == 1
        # The screen underneath still answers keys: nothing popped it by mistake.
        await pilot.press("a")
        assert app.is_running


async def test_enters_in_one_read_never_run_a_confirmation_from_its_field() -> None:
    # Enter in the field moves on to the run button; the enters that came in the same read were
    # all the field's, so none of them runs anything. The next enter, read on its own, does.
    app = Host(lambda: ConfirmScreen(confirm_request()))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        burst(app, "end", "backspace", "4", "enter", "enter", "enter")
        await until(pilot, lambda: getattr(app.focused, "id", None) == "confirm", "on the run button")
        await pilot.pause(0.2)
        assert app.answers == [] and isinstance(app.screen, ConfirmScreen)
        burst(app, "enter", "enter")
        await until(pilot, lambda: app.answers, "an answer")
        await pilot.pause(0.2)
        assert app.answers == [{"replicas": 4}] and app.is_running and len(app.screen_stack) == 1


async def test_an_escape_after_enter_in_the_same_read_keeps_what_was_typed() -> None:
    app = Host(lambda: PromptScreen("Note"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
        burst(app, *typed("pool"), "enter", "escape")
        await until(pilot, lambda: app.answers, "an answer")
        await pilot.pause(0.2)
        assert app.answers == ["pool"]


async def test_ctrl_s_saves_every_key_typed_before_it() -> None:
    app = Host(lambda: ComposerScreen("Update", ""))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ComposerScreen), "the composer")
        burst(app, *typed("all clear"), "ctrl+s", "ctrl+s")
        await until(pilot, lambda: app.answers, "an answer")
        await pilot.pause(0.2)
        assert app.answers == ["all clear"]


async def test_a_paste_keeps_every_line_and_the_newlines_after_it_save_nothing_twice() -> None:
    app = Host(lambda: PromptScreen("Note"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
        field = app.screen.query_one(Input)
        field.post_message(events.Paste("\nrolled back\npayments 2.31\n\n"))
        await until(pilot, lambda: field.value, "pasted")
        assert field.value == "rolled back payments 2.31"
        burst(app, "enter", "enter")
        await until(pilot, lambda: app.answers, "an answer")
        await pilot.pause(0.2)
        assert app.answers == ["rolled back payments 2.31"] and app.is_running


@pytest.mark.parametrize("ending", [["enter", "enter"], ["enter", "enter", "enter", "enter"]])
async def test_a_note_with_two_enters_in_one_read_is_recorded_once(tmp_path, ending) -> None:
    db = tmp_path / "i.db"
    app, notices = record_app(db, FrozenClock(T0))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        await declared(app, "Checkout 5xx", "SEV2")
        before = len(await record(db))
        await pilot.press("n")
        await dialog(pilot, PromptScreen)
        burst(app, *typed("pool exhausted"), *ending)
        note = await wrote(pilot, db, "note", before)
        await pilot.pause(0.5)
        assert note.text == "pool exhausted"
        assert [e.text for e in (await record(db))[before:] if e.kind == "note"] == ["pool exhausted"]
        assert app.is_running and not notices.errors()
        # The war room still answers: another note goes in.
        await pilot.press("n")
        await dialog(pilot, PromptScreen)
        burst(app, *typed("second"), "enter")
        await wrote(pilot, db, "note", before + 1)
