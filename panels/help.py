"""`?`: help generated from the bindings that are active right now (after any `[keys]` remap),
so it can never disagree with what the keys do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from panels.dialog import Dialog
from tui.core.untrusted import literal

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "asterisk": "*",
    "escape": "esc",
    "shift+tab": "shift+tab",
}


def key_label(key: str) -> str:
    return KEY_NAMES.get(key, key)


class HelpScreen(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, active: Mapping[str, Any], *, read_only: bool) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for key, active_binding in active.items():
            binding: Binding = active_binding.binding
            # Only warroom's own bindings (they all have an id, so they can be remapped); the
            # widgets' cursor keys are summed up in one line below. A disabled binding (an
            # observer's view of a write key) is not offered at all.
            if not binding.id or not binding.description or not active_binding.enabled:
                continue
            if (binding.action, key) in seen:
                continue
            seen.add((binding.action, key))
            self.rows.append((key_label(key), binding.description, binding.id or ""))
        self.rows.sort(key=lambda row: row[2])
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", style="bold cyan", no_wrap=True)
        table.add_column("Does")
        table.add_column(Text("Binding id (remap in [keys])"), style="dim")
        for key, description, binding_id in self.rows:
            # Descriptions and keys come from the config too ([[actions]] names, [keys] remaps).
            table.add_row(
                literal(key, max_len=40), literal(description, max_len=120), literal(binding_id, max_len=80)
            )
        title = Text("warroom keys", style="bold")
        if self.read_only:
            title.append("   [R] read-only: nothing on this screen changes anything", style="yellow")
        with VerticalScroll():
            yield Static(title)
            yield Static(table, id="help-table")
            yield Static(
                Text(
                    "arrows, pgup/pgdn, home/end move in a panel · enter shows a row in full · "
                    "ctrl+p: command palette · esc closes",
                    style="dim",
                )
            )
