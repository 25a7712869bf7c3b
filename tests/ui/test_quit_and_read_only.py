"""Leaving and looking: `q` with an incident open asks first (Cancel focused; the incident stays
open in the record, or what a setup's quit hook does instead, such as the demo resolving its
drill), and an observer's key that would write says "read-only" instead of doing nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from panels.modals import AskScreen, ConfirmScreen, PromptScreen
from tests.ui.fakes import T0
from tests.ui.harness import Room, _config, demo_args, room
from tui.app import WarroomApp
from tui.config.load import load_config
from tui.controllers.quitting import QUIT_TITLE, QuitPlan
from tui.core.clock import FrozenClock
from tui.incident.lifecycle import IncidentState
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_config, setup_for_demo


def _ask(r: Room) -> AskScreen:
    screen = r.app.screen
    assert isinstance(screen, AskScreen) and screen.title_text == QUIT_TITLE
    return screen


async def test_q_with_an_incident_open_asks_and_cancel_keeps_the_war_room(tmp_path: Path) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        incident_id = await r.declare("Gateway crash loop", "SEV1")
        await r.pilot.press("q")
        screen = _ask(r)
        assert screen.focused is not None and screen.focused.id == "cancel"
        body = str(screen.query_one("#ask-body").render())
        assert body.startswith(
            f"Incident #{incident_id} 'Gateway crash loop' (SEV1, investigating) stays open in the record: "
            "quitting does not resolve it."
        )
        await r.pilot.press("enter")  # Cancel has the focus: enter stays
        assert not isinstance(r.app.screen, AskScreen) and r.app.return_code is None
        await r.pilot.press("q")
        _ask(r)
        await r.pilot.press("escape")  # so does escape
        assert r.app.return_code is None
        await r.pilot.press("q")
        _ask(r)
        await r.pilot.press("tab", "enter")  # Quit
        await r.pilot.pause()
        assert r.app.return_code == 0
    # Leaving wrote nothing: the incident is open in the record as it was.
    assert [e.kind for e in await r.events()] == ["declared"]


async def test_quitting_with_an_action_still_running_says_so(tmp_path: Path) -> None:
    args = argparse.Namespace(db=str(tmp_path / "incidents.db"), read_only=False, theme=None)
    setup = setup_for_config(load_config(_config(tmp_path)), args, FrozenClock(T0))
    setup.tick_s = 0
    app = WarroomApp(setup)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        r = Room(app, pilot, setup.clock, tmp_path / "incidents.db")  # type: ignore[arg-type]
        await r.wait(lambda: app.timeline is not None and app.timeline.incidents is not None, "the record")
        await r.declare()
        await pilot.press("W", "tab", "enter")  # runs until the test opens the gate
        await r.wait(lambda: bool(app.action_keys.dispatcher.running()), "the gate action running")
        await pilot.press("q")
        body = str(_ask(r).query_one("#ask-body").render())
        assert "stays open in the record" in body
        assert "1 action is still running: quitting stops it (a command's whole process group)" in body
        assert "and records it as interrupted" in body
        await pilot.press("escape")
        (tmp_path / "gate").touch()
        await app.action_keys.settled()


async def test_q_with_no_incident_open_quits_at_once(tmp_path: Path) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        await r.pilot.press("q")
        await r.pilot.pause()
        assert r.app.return_code == 0


async def test_a_quit_hook_says_and_does_what_quitting_does_to_the_drill(tmp_path: Path) -> None:
    """The hook `warroom demo` uses to resolve its drill as it quits: the dialog says what the hook
    plans, and the plan runs once the person confirmed, before the app exits."""
    clock = FrozenClock(T0)
    setup = setup_for_demo(demo_args(tmp_path, "redis-down"), clock)  # with its drill
    resolved: list[int] = []

    async def hook(state: IncidentState) -> QuitPlan | None:
        if not state.drill:
            return None

        async def resolve() -> None:
            incidents = setup.sources["timeline"].incidents  # type: ignore[attr-defined]
            await incidents.resolve(state.id, "the demo quit")
            resolved.append(state.id)

        return QuitPlan(f"Drill #{state.id} will be resolved as the demo quits.", then=resolve)

    setup.quit_hook = hook
    async with room(tmp_path, "redis-down", setup=setup) as r:
        await r.wait(lambda: r.app.timeline.incident_id is not None, "the drill")  # type: ignore[union-attr]
        drill = r.app.timeline.incident_id  # type: ignore[union-attr]
        await r.pilot.press("q")
        screen = _ask(r)
        assert (
            str(screen.query_one("#ask-body").render())
            == f"Drill #{drill} will be resolved as the demo quits."
        )
        await r.pilot.press("escape")  # cancelled: the plan does not run
        assert resolved == [] and r.app.return_code is None
        await r.pilot.press("q", "tab", "enter")
        await r.wait(lambda: r.app.return_code is not None, "the exit")
    assert resolved == [drill]
    store = await IncidentStore.open(tmp_path / "incidents.db", read_only=True)
    try:
        assert (await Incidents(store).state(drill)).status == "resolved"  # type: ignore[arg-type]
    finally:
        await store.close()


async def test_read_only_a_key_that_writes_says_so_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    async with await IncidentStore.open(db) as store:  # the commander's record, with an incident
        await Incidents(store).declare("Gateway crash loop", "SEV1")
    setup = setup_for_demo(demo_args(tmp_path, "api-gateway-crashloop", read_only=True), FrozenClock(T0))
    async with room(tmp_path, "api-gateway-crashloop", read_only=True, setup=setup) as r:
        await r.wait(lambda: r.app.timeline.incident_id is not None, "the incident")  # type: ignore[union-attr]
        await r.select_pod(lambda p: p.workload == "api-gateway")
        said = [
            ("D", "read-only: D (declare) is disabled"),
            ("n", "read-only: n (note) is disabled"),
            ("r", "read-only: r (rollout restart) is disabled"),
            ("x", "read-only: x (delete pod) is disabled"),
            ("a", "read-only: a (actions) is disabled"),
        ]
        for key, notice in said:
            before = len(r.notices())
            await r.pilot.press(key)
            assert r.notices()[before:] == [f": {notice}"], key
            assert not isinstance(r.app.screen, ConfirmScreen | PromptScreen | AskScreen), key
        # The timeline's own keys that write (star), on its selected row.
        await r.pilot.press("5")
        before = len(r.notices())
        await r.pilot.press("asterisk")
        assert r.notices()[before:] == [": read-only: * (star) is disabled"]
        # A key that does not write says nothing of the kind (and still works).
        before = len(r.notices())
        await r.pilot.press("1")
        assert r.notices()[before:] == [] and r.app.active_panel == "health"
        # Still not offered: the footer and help show no key that writes.
        assert not [b for b in r.app.screen.active_bindings.values() if "mitigate" in b.binding.action]
        await r.pilot.press("q")  # an observer leaves at once: nothing asked
        await r.pilot.pause()
        assert r.app.return_code == 0
    assert [e.kind for e in await r.events()] == ["declared"]
