"""The base of every warroom dialog: it answers once, whatever arrives after.

Over a laggy SSH link two Enter presses (or a paste ending in two newlines) arrive in one read.
Textual forwards both keys to the focused field before the first one is handled, so the field
submits twice and `ModalScreen.dismiss` ran twice: the second pop took the main screen
(`ScreenStackError`), the app died, and the note typed was lost with the worker saving it. A
`Dialog` takes its first answer; later answers (a second Enter, a second click, escape after
enter) do nothing, and a dialog that is no longer on top never pops the screen that is.

Order is kept too. A key binding (escape, ctrl+s) runs as soon as the app reads its key, while the
keys before it in the same read still wait in the focused field's queue: "note", enter, escape
cancelled before the enter was seen, and ctrl+s saved the text without the last words typed.
An action marked `@after_queued` runs after what the focused widget already has in hand.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from textual import events
from textual.await_complete import AwaitComplete
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList

ResultType = TypeVar("ResultType")

# What a dialog's widgets post when someone answers it: dropped once it has its answer.
ANSWERS: tuple[type[Message], ...] = (
    Input.Submitted,
    Button.Pressed,
    OptionList.OptionSelected,
)


Action = TypeVar("Action", bound=Callable[..., Any])


def after_queued(action: Action) -> Action:
    """Run a dialog's action after the keys and answers its focused widget already queued: the
    action travels as a message through the same queues, behind them."""

    @functools.wraps(action)
    def deferred(self: Dialog[Any], *args: Any) -> None:
        (self.focused or self).post_message(Dialog.Queued(functools.partial(action, self, *args)))

    return deferred  # type: ignore[return-value]


class Dialog(ModalScreen[ResultType]):
    """A modal screen that is dismissed at most once, and only while it is the top screen."""

    answered = False  # set by the first dismiss: the result is on its way to the caller
    # Mounted with its focus set: the keys typed while it opened wait for this (tui.key_queue),
    # so the first of them reaches its field, not the screen underneath.
    ready = False

    class Queued(Message):
        """An action waiting its turn behind what the focused widget had queued (it bubbles up
        to the dialog along the same path as an Enter's `Input.Submitted`)."""

        def __init__(self, run: Callable[[], Any]) -> None:
            super().__init__()
            self.run = run

    def _on_mount(self, event: events.Mount) -> None:
        # Runs after the dialog's own on_mount, which asks for its focus through the app's queue:
        # ready once that focus is set, behind it in the same queue.
        self.app.call_later(self._set_ready)

    def _set_ready(self) -> None:
        self.ready = True

    async def on_dialog_queued(self, message: Queued) -> None:
        message.stop()
        if self.answered:
            return  # answered by what came first (the enter before the escape)
        result = message.run()
        if inspect.isawaitable(result):
            await result

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        if self.answered or not self.is_active:
            return AwaitComplete.nothing()
        self.answered = True
        return super().dismiss(result)

    def check_message_enabled(self, message: Message) -> bool:
        if self.answered and isinstance(message, ANSWERS):
            return False
        return super().check_message_enabled(message)


class LineInput(Input):
    """A dialog's one-line field that keeps what was typed, in the order it was typed.

    Textual inserts a printable key when the field handles it, but runs the field's own bindings
    (backspace, home, enter...) and its dialog's (escape) only once the key has bubbled up to the
    app: in one read, "3", backspace, "4" came out as "3" (the "4" inserted, then deleted). Here
    those bindings run in the field's own turn, in key order.

    And a paste keeps every line: Textual's Input keeps only the first, so pasting "a\\nb" lost
    "b" and a paste starting with a newline inserted nothing; the lines are joined by one space
    (blank ones dropped), so a note pasted from a chat stays whole."""

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            # The field's own binding, else its dialog's (escape), as the app would pick it (the
            # chain up to the dialog, `[keys]` remaps applied): it runs now, in key order.
            for node, chain in self.screen._modal_binding_chain:
                bindings = chain.key_to_bindings.get(event.key)
                if bindings and not bindings[0].priority:
                    event.stop()
                    event.prevent_default()
                    await self.app.run_action(bindings[0].action, node)
                    return
        # Anything else: Input's own handler runs next (Textual walks the class hierarchy).

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own paste handler (the first line only) must not run too
        joined = " ".join(line.strip() for line in event.text.splitlines() if line.strip())
        if not joined:
            return
        if self.selection.is_empty:
            self.insert_text_at_cursor(joined)
        else:
            self.replace(joined, *self.selection)
