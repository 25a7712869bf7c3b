"""Quitting with an incident open asks first: leaving warroom does not resolve anything, and the
person leaving should know that the incident stays open in the record (for the others in the war
room, and for this screen when it starts again). Cancel has the focus, so `q` then `enter` stays.

What quitting does to the open incident is a `QuitPlan`; by default it only says so. A setup may
give a `QuitHook` (`AppSetup.quit_hook`) that plans otherwise for an incident: `warroom demo`
resolves its drill as it quits, and its dialog says that instead. An observer (read-only) changes
nothing by leaving, and leaves at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from panels.modals import AskScreen
from tui.incident.lifecycle import OPEN_STATUSES, IncidentState

if TYPE_CHECKING:
    from tui.app import WarroomApp

QUIT_TITLE = "Quit warroom?"


@dataclass(frozen=True, slots=True)
class QuitPlan:
    """What leaving does to the open incident: `says` is the dialog's text, `then` runs after the
    person confirmed and before the app exits (the demo resolves its drill there)."""

    says: str
    then: Callable[[], Awaitable[None]] | None = None
    verb: str = "Quit"


# Given the open incident the screen follows: a plan of its own, or None for the default one
# (async: it may read the record, as the demo's asks whether another commander is in its drill).
QuitHook = Callable[[IncidentState], Awaitable[QuitPlan | None]]


def stays_open(state: IncidentState) -> QuitPlan:
    """The default: nothing happens to it, and the dialog says so."""
    what = "Drill" if state.drill else "Incident"
    return QuitPlan(
        f"{what} #{state.id} {state.title!r} ({state.severity}, {state.status}) stays open in the "
        "record: quitting does not resolve it. Resolve it first with M, or quit and come back: "
        "warroom follows it again when it starts."
    )


class QuitGuard:
    def __init__(self, app: WarroomApp, hook: QuitHook | None = None) -> None:
        self.app = app
        self.hook = hook
        self.asking = False  # a dialog is up: another q does not stack a second one

    async def open_incident(self) -> IncidentState | None:
        """The open incident this screen follows (or the record's active one); None when there is
        none, or the record cannot be read (leaving is never held up by a broken database)."""
        timeline, record = self.app.timeline, self.app.record
        incidents = record.incidents if record is not None else None
        if incidents is None:
            return None  # never opened: nothing was declared or followed on this screen
        followed = timeline.incident_id if timeline is not None else None
        try:
            for incident_id in (followed, await incidents.active()):
                if incident_id is None:
                    continue
                state = await incidents.state(incident_id)
                if state.status in OPEN_STATUSES:
                    return state
        except Exception:
            return None
        return None

    async def quit(self) -> None:
        """`q`: leave, or ask first when an incident is open on a screen that can write."""
        if self.asking:
            return
        if self.app.setup.read_only:
            await self.app.leave()
            return
        state = await self.open_incident()
        if state is None:
            await self.app.leave()
            return
        plan = (await self.hook(state) if self.hook is not None else None) or stays_open(state)
        says = plan.says
        running = len(self.app.action_keys.dispatcher.running())
        if running:
            says += (
                f"\n\n{running} action{'s are' if running > 1 else ' is'} still running: quitting stops "
                "it (a command's whole process group) and records it as interrupted; what a cluster or "
                "an API was already asked may still happen."
            )
        following = self.app.action_keys.dispatcher.following()
        if following:
            shown = ", ".join(following[:3]) + (" …" if len(following) > 3 else "")
            says += (
                f"\n\nStill following the rollout of {shown}: quitting stops following it and records "
                "that it was not followed to the end; the rollout goes on in the cluster."
            )
        self.asking = True

        async def answered(leave: bool | None) -> None:
            self.asking = False
            if not leave:
                return
            if plan.then is not None:
                try:
                    await plan.then()
                except Exception as err:  # said, and the person asked to leave: leave
                    self.app.notify(f"before quitting: {err}", severity="error", markup=False)
            await self.app.leave()

        self.app.push_screen(
            AskScreen(
                QUIT_TITLE,
                says,
                plan.verb,
                hint=f"tab to {plan.verb}, enter quits · enter on Cancel or esc stays",
            ),
            answered,
        )


__all__ = ["QUIT_TITLE", "QuitGuard", "QuitHook", "QuitPlan", "stays_open"]
