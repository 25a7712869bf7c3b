"""The modal screens: confirm an action (showing exactly what runs; escape cancels), ask a yes/no
question, ask for a line of text, pick one of a few choices, compose a status update, read one
event in full.

Everything shown here that came from outside (target names, previews, event text) is rendered
as literal `Text` through `tui.core.untrusted`, never as markup."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from panels.dialog import Dialog, LineInput, after_queued
from tui.core.confirm import ConfirmRequest, read_fields
from tui.core.untrusted import clean

if TYPE_CHECKING:
    from textual.widgets import TextArea

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 84; max-width: 100%; height: auto; max-height: 100%;
    border: thick $accent; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; width: 1fr; }}
{name} .buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 2; min-width: 12; }}
{name} .error {{ color: $error; height: auto; }}
{name} .hint {{ color: $text-muted; height: auto; }}
"""


class ConfirmScreen(Dialog[dict[str, Any] | None]):
    """Returns the inputs (possibly empty) on confirm, None on cancel.

    What it shows is what runs: the "Will run" line is `preview_for` of the inputs as they are
    typed, and the run button returns exactly those inputs (it is off while one is not valid).
    Focus: a dialog with inputs starts in the first one (field → Cancel → run); one without starts
    on Cancel. Enter never runs from a field (it moves on to the run button), so enter alone
    never runs anything. `on_inputs` hears each new set of valid inputs (the first values too),
    and None when what is typed is not valid: the caller's dry run follows them, and answers
    through `show_dry_run`."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]
    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")

    def __init__(
        self, request: ConfirmRequest, on_inputs: Callable[[dict[str, Any] | None], None] | None = None
    ) -> None:
        super().__init__()
        self.request = request
        self.on_inputs = on_inputs
        self.problem: str | None = None  # why the inputs as typed cannot run (None: they can)
        self.shown_for: dict[str, Any] | None = None  # the inputs the "Will run" line shows

    def compose(self) -> ComposeResult:
        r = self.request
        with Vertical():
            head = Text(f"Confirm: {clean(r.title, max_len=80)}", style="bold")
            if r.dangerous:
                head.append("   changes production", style="bold red")
            yield Static(head, classes="title")
            body = Text()
            body.append("Target   ", style="dim")
            body.append(clean(r.target, max_len=200), style="bold")
            body.append("\n         ")
            body.append(clean(r.where, max_len=200))
            yield Static(body, id="confirm-body")
            yield Static(self._preview_text(r.preview), id="confirm-preview")
            if r.question:
                yield Static(Text(clean(r.question, max_len=400), style="bold"), id="confirm-question")
            dry = Static(self._dry_text(r.dry_run), id="confirm-dry-run", classes="hint")
            dry.display = bool(r.dry_run)
            yield dry
            for f in r.fields:
                yield Static(Text(clean(f.label, max_len=80), style="dim"))
                yield LineInput(
                    value=f.default, id=f"field-{f.name}", type="integer" if f.kind == "int" else "text"
                )
            yield Static("", classes="error", id="confirm-error")
            yield Static(Text(self.hint()), classes="hint", id="confirm-hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="default")
                yield Button(
                    clean(r.verb, max_len=30), id="confirm", variant="error" if r.dangerous else "primary"
                )

    def hint(self) -> str:
        """What the keys do in this dialog, as they really are."""
        verb = clean(self.request.verb, max_len=30)
        if self.request.fields:
            return (
                f"type the value · enter: on to {verb}, enter again runs · "
                f"tab: field → Cancel → {verb} · esc cancels · recorded before it runs"
            )
        return f"tab to {verb}, enter runs it · enter on Cancel or esc cancels · recorded before it runs"

    def on_mount(self) -> None:
        inputs = self.query(Input)
        (inputs.first() if inputs else self.query_one("#cancel", Button)).focus()
        self._follow_inputs()

    # ---- what the inputs as typed would run --------------------------------------------------
    def typed(self) -> tuple[dict[str, Any], str | None]:
        raw = {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.request.fields}
        return read_fields(self.request.fields, raw)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._follow_inputs()

    def _follow_inputs(self) -> None:
        values, problem = self.typed()
        preview = self.request.preview
        if problem is None and self.request.preview_for is not None:
            try:
                preview = self.request.preview_for(values)
            except ValueError as err:
                problem = str(err)
        self.problem = problem
        self.query_one("#confirm", Button).disabled = problem is not None
        self._error(problem or "")
        if problem is not None:
            self.shown_for = None
            self._show_preview(f"nothing yet: {problem}")
            if self.request.dry_run:
                self._show_dry(f"not asked: {problem}")
                if self.on_inputs is not None:
                    self.on_inputs(None)  # a dry run still waiting to be asked is not wanted
            return
        if values == self.shown_for:
            return
        self.shown_for = values
        self._show_preview(preview)
        if self.request.dry_run and self.on_inputs is not None:
            self.on_inputs(dict(values))

    def _show_preview(self, line: str) -> None:
        self.query_one("#confirm-preview", Static).update(self._preview_text(line))

    @staticmethod
    def _preview_text(line: str) -> Text:
        text = Text("Will run ", style="dim")
        text.append(clean(line, max_len=600))
        return text

    @staticmethod
    def _dry_text(line: str) -> Text:
        text = Text("Dry run  ", style="dim")
        text.append(clean(line, max_len=300))
        return text

    def show_dry_run(self, line: str, inputs: Mapping[str, Any] | None = None) -> None:
        """The dry run's answer for `inputs` (None: whatever is typed), once it came: the dialog
        does not wait for it, and an answer for inputs no longer typed is dropped."""
        if inputs is not None and self.is_mounted and dict(inputs) != self.shown_for:
            return
        self.request = replace(self.request, dry_run=line)
        self._show_dry(line)

    def _show_dry(self, line: str) -> None:
        try:
            dry = self.query_one("#confirm-dry-run", Static)
        except NoMatches:  # not composed yet: compose reads the request
            return
        dry.update(self._dry_text(line))
        dry.display = bool(line)

    def shown(self) -> dict[str, str]:
        """What the dialog says now, line by line (tests compare it with what then runs)."""
        out = {}
        for name in ("body", "preview", "question", "dry-run", "error", "hint"):
            found = self.query(f"#confirm-{name}")
            if found:
                out[name] = str(found.first(Static).render())
        return out

    # ---- the buttons -------------------------------------------------------------------------
    @after_queued
    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        values, problem = self.typed()
        if problem is None and values != self.shown_for:
            # The line on screen is not yet for what is typed (a key still in flight): show it
            # first, and let the next press run what it says.
            self._follow_inputs()
            return
        if problem is not None:
            self._error(problem)
            return
        self.dismiss(values)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._follow_inputs()
        if self.problem is None:  # enter in a field moves on, it never confirms
            self.query_one("#confirm", Button).focus()

    def _error(self, message: str) -> None:
        self.query_one("#confirm-error", Static).update(Text(clean(message, max_len=200)))


class AskScreen(Dialog[bool]):
    """A yes/no question that changes nothing itself (quit with an incident open): the text,
    Cancel (focused) and the verb. True on the verb, False on Cancel or escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="ask.cancel")]
    DEFAULT_CSS = MODAL_CSS.format(name="AskScreen") + "AskScreen #ask-body { margin-bottom: 1; }"

    def __init__(self, title: str, body: str, verb: str = "OK", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.body, self.verb = title, body, verb
        self.hint = hint or f"tab to {verb}, enter does it · enter on Cancel or esc goes back"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean(self.title_text, max_len=120), style="bold"), classes="title")
            yield Static(Text(clean(self.body, max_len=2000, keep_newlines=True)), id="ask-body")
            yield Static(Text(clean(self.hint, max_len=300)), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(clean(self.verb, max_len=30), id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @after_queued
    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")


class PromptScreen(Dialog[str | None]):
    """One line of text (a note, a title). Empty or escape: None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]
    DEFAULT_CSS = MODAL_CSS.format(name="PromptScreen")

    def __init__(self, title: str, placeholder: str = "", value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.placeholder, self.value, self.hint = title, placeholder, value, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean(self.title_text, max_len=200), style="bold"), classes="title")
            # A prefilled value can be recorded text (a correction starts from it): cleaned, so
            # no control sequence reaches the terminal through the input.
            yield LineInput(value=clean(self.value), placeholder=self.placeholder, id="prompt-input")
            yield Static(Text(clean(self.hint or "enter saves · esc cancels", max_len=300)), classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(text or None)

    @after_queued
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(Dialog[str | None]):
    """Pick one of a few values (severity, status, role): arrows, or type the start of one (its
    value or its label: "SEV1", "decl"), then enter. Typing is what a burst of keys can say:
    `D`, a title, enter, "SEV1", enter, in one read, declares a SEV1."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]
    DEFAULT_CSS = (
        MODAL_CSS.format(name="ChoiceScreen") + "ChoiceScreen OptionList { height: auto; max-height: 16; }"
    )

    def __init__(
        self, title: str, choices: Sequence[tuple[str, str]], hint: str = "", selected: str | None = None
    ) -> None:
        super().__init__()
        self.title_text, self.choices, self.hint = title, list(choices), hint
        self.selected = selected  # the value highlighted first (default: the first one)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean(self.title_text, max_len=200), style="bold"), classes="title")
            yield OptionList(
                *[Option(Text(clean(label, max_len=120)), id=value) for value, label in self.choices]
            )
            yield Static(
                Text(clean(self.hint or "type or arrows, enter picks · esc cancels", max_len=300)),
                classes="hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [value for value, _ in self.choices]
        if self.selected in values:
            options.highlighted = values.index(self.selected)
        options.focus()

    typed = ""  # what was typed so far to pick an option by its start

    def on_key(self, event: events.Key) -> None:
        if not event.is_printable or event.character is None or event.key == "space":
            return
        event.stop()
        event.prevent_default()
        index = self._starting(self.typed + event.character)
        if index is None:  # a new start: "S" after "SEV1" looks for S again
            index = self._starting(event.character)
            self.typed = event.character if index is not None else ""
        else:
            self.typed += event.character
        if index is not None:
            self.query_one(OptionList).highlighted = index

    def _starting(self, prefix: str) -> int | None:
        """The first option whose value or label starts with `prefix` (any case)."""
        want = prefix.casefold()
        for index, (value, label) in enumerate(self.choices):
            if value.casefold().startswith(want) or label.casefold().startswith(want):
                return index
        return None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    @after_queued
    def action_cancel(self) -> None:
        self.dismiss(None)


class ComposerScreen(Dialog[str | None]):
    """The status update: a CAN template prefilled from the panels, edited, then saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="composer.cancel"),
        Binding("ctrl+s", "save", "Save and copy", id="composer.save", priority=True),
    ]
    DEFAULT_CSS = MODAL_CSS.format(name="ComposerScreen") + "ComposerScreen TextArea { height: 16; }"

    def __init__(
        self,
        title: str,
        text: str,
        hint: str = "ctrl+s saves to the timeline and copies it (OSC 52) · esc cancels",
        cursor: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.text, self.hint = title, text, hint
        self.cursor = cursor  # (row, column) to start typing at: where the template wants words

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea  # lazy: 4 ms of start-up for a dialog opened rarely

        with Vertical():
            yield Static(Text(clean(self.title_text, max_len=200), style="bold"), classes="title")
            yield TextArea(
                clean(self.text, max_len=20000, keep_newlines=True),
                id="composer-text",
                soft_wrap=True,
                show_line_numbers=False,
            )
            yield Static(Text(clean(self.hint, max_len=300)), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save & copy", id="save", variant="primary")

    def on_mount(self) -> None:
        area = self._area()
        if self.cursor is not None:
            area.cursor_location = self.cursor
        area.focus()

    def _area(self) -> TextArea:
        from textual.widgets import TextArea  # lazy, as in compose (already loaded by then)

        return self.query_one("#composer-text", TextArea)

    @after_queued
    def action_save(self) -> None:
        text = self._area().text.strip()
        self.dismiss(text or None)

    @after_queued
    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)


class DetailScreen(Dialog[None]):
    """An event or a row in full: every field, the data as indented JSON, literally."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close", id="detail.close")]
    DEFAULT_CSS = (
        MODAL_CSS.format(name="DetailScreen")
        + "DetailScreen VerticalScroll { height: auto; max-height: 30; }"
    )

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean(self.title_text, max_len=120), style="bold"), classes="title")
            with VerticalScroll():
                yield Static(Text(clean(self.body, max_len=20000, keep_newlines=True)), id="detail-body")
            yield Static(Text("esc closes"), classes="hint")

    def show_body(self, body: str) -> None:
        """The body again, more complete (a pod's containers, read after the dialog opened)."""
        self.body = body
        if self.is_mounted:
            self.query_one("#detail-body", Static).update(
                Text(clean(body, max_len=20000, keep_newlines=True))
            )
