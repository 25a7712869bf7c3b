"""The footer: the keys that matter most, as many as the width holds.

Textual's Footer shows bindings in binding order and cuts at the edge, so at 80 columns the
incident keys fell off the end behind the panel keys. Here each key has a priority: help and the
incident keys (D S M A n u E) first, then filter, actions and quit, then whatever the focused
panel adds; the lowest go first when the line is too short. The keys shown are the active
bindings, so a `[keys]` remap or an observer's disabled write keys show as they are.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.binding import Binding
from textual.content import Content
from textual.widget import Widget

# Binding id -> (priority, short label), in the order shown; lower priority numbers are kept
# longest when the line is short.
PRIORITY: dict[str, tuple[int, str]] = {
    "app.help": (0, "Help"),
    "incident.declare": (1, "Declare"),
    "incident.severity": (4, "Sev"),
    "incident.status": (5, "Status"),
    "incident.role": (6, "Role"),
    "incident.note": (2, "Note"),
    "incident.update": (3, "Update"),
    "incident.export": (7, "Export"),
    "app.filter": (8, "Filter"),
    "app.actions": (9, "Actions"),
    "app.quit": (10, "Quit"),
    "palette": (11, "Palette"),  # Textual's own ctrl+p binding, which has no id
}
SHOWN_ORDER = {ident: index for index, ident in enumerate(PRIORITY)}
OTHER = 20  # a shown binding not named above (the focused panel's own: Follow, Star, Correct)
GAP = "  "


class KeyBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $panel; color: $text-muted; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self.refresh()

    def keys(self) -> list[tuple[int, int, str, str, str]]:
        """(priority, place, key, label, action) of every key worth showing now, by priority."""
        found: dict[str, tuple[int, int, str, str, str]] = {}
        for order, (_key, active) in enumerate(self.screen.active_bindings.items()):
            binding: Binding = active.binding
            ident = binding.id or ("palette" if binding.action == "command_palette" else "")
            if not active.enabled or not ident:
                continue
            if ident in PRIORITY:
                priority, label = PRIORITY[ident]
                place = SHOWN_ORDER[ident] if ident != "palette" else OTHER * 2
            elif binding.show and binding.description:
                priority, label, place = OTHER + order, binding.description, OTHER + order
            else:
                continue
            if ident in found:
                continue  # one binding on two keys ("end,G"): show its first
            found[ident] = (priority, place, self.app.get_key_display(binding), label, binding.action)
        return sorted(found.values())

    def fitted(self, width: int) -> list[tuple[str, str, str]]:
        """(key, label, action) of the keys that fit `width`, chosen by priority, in shown order."""
        chosen: list[tuple[int, str, str, str]] = []
        used = 0
        for _, place, key, label, action in self.keys():
            need = len(key) + 1 + len(label) + (len(GAP) if chosen else 1)
            if used + need > width:
                break  # lower priorities only from here on
            chosen.append((place, key, label, action))
            used += need
        return [(key, label, action) for _, key, label, action in sorted(chosen)]

    def actions(self) -> list[str]:
        """The actions of the keys shown now."""
        return [action for _, _, action in self.fitted(self.size.width)]

    def render(self) -> RenderResult:
        parts: list[str | tuple[str, str]] = [" "]
        for index, (key, label, _) in enumerate(self.fitted(self.size.width)):
            if index:
                parts.append(GAP)
            parts.append((key, "bold $text"))
            parts.append(f" {label}")
        return Content.assemble(*parts)

    @property
    def plain(self) -> str:
        return " " + GAP.join(f"{key} {label}" for key, label, _ in self.fitted(self.size.width))
