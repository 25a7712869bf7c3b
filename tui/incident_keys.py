"""The incident keys (D, S, M, A, n, u, *, E, timeline view toggles): what each asks, and the
record operation it runs. The app routes `incident('<name>')` actions here; `WRITES` names the
ones that write, which the app's one read-only check hides and refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from tui.app import WarroomApp

INCIDENT_BINDINGS: list[Binding] = []
WRITES: frozenset[str] = frozenset()


class IncidentKeys:
    def __init__(self, app: WarroomApp) -> None:
        self.app = app

    async def run(self, name: str) -> None:
        raise KeyError(name)
