"""The mitigation keys on the war-room screen, driven by Pilot against the real demo platform
(the wiring of `warroom demo`) under a frozen clock the tests move, recording into a real SQLite
file: each runbook outage healed with the right key, the record written before and after, the
wrong key not helping, nothing run without an incident or a confirmation, and an observer's
screen unable to change anything whatever key it presses."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path

import pytest
from textual.actions import parse
from textual.widgets import Input

from actions import ReadOnlyError, Registry, kubernetes_actions
from panels.help import HelpScreen
from panels.modals import ChoiceScreen, ConfirmScreen
from tests.ui.fakes import T0
from tests.ui.harness import NS, Room, _config, demo_args, room
from tui.app import WarroomApp, all_bindings, check_app_keymap
from tui.check_config import check_config_main
from tui.config.load import load_config
from tui.config.schema import ActionConfig
from tui.controllers.action_keys import ACTION_BINDINGS, MENU, registry_bindings
from tui.core.clock import FrozenClock
from tui.core.errors import UserError
from tui.demo.platform import DemoControl, DemoPlatform
from tui.incident.events import Event
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_config, setup_for_demo

CRASHING = {"CrashLoopBackOff", "Error", "OOMKilled"}


# ---- a demo war room on a frozen clock ----------------------------------------------------------


def assert_recorded(r: Room, events: list[Event], action_id: str) -> None:
    """action_requested, then action_succeeded for it: by the person at the keyboard, in UTC."""
    assert [e.kind for e in events] == ["action_requested", "action_succeeded"]
    requested, succeeded = events
    actor = r.app.timeline.incidents.who.actor  # type: ignore[union-attr]
    for event in events:
        assert event.data["action"] == action_id
        assert (event.actor, event.actor_kind, event.source) == (actor, "human", "key")
        assert event.recorded_at.utcoffset() == timedelta(0)
    assert succeeded.data["request"] == requested.id and succeeded.data["ok"] is True
    # The clock the app runs on (frozen here): written at the moment of the key, in UTC.
    assert requested.recorded_at == succeeded.recorded_at == r.clock.now()


# ---- heal each scenario with the right key --------------------------------------------------------


async def test_r_on_the_crashlooping_gateway_pod_restarts_it_and_heals_it(tmp_path: Path) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        await r.declare("Gateway crash loop")
        old = {p.name for p in (await r.cluster()).pods if p.workload == "api-gateway"}
        await r.select_pod(lambda p: p.workload == "api-gateway" and p.ready == 0)
        await r.pilot.press("r")
        request = r.app.screen.request  # type: ignore[attr-defined]
        assert (request.title, request.target) == ("Rollout restart", "deployment/api-gateway")
        assert request.where == f"context demo · namespace {NS}"
        assert request.preview == f"kubectl --context demo -n {NS} rollout restart deployment/api-gateway"
        await r.confirm()
        events = await r.actions()
        assert_recorded(r, events, "k8s.rollout_restart")
        assert events[0].data["target"]["deployment"] == "api-gateway"
        assert "restarted (revision 8)" in events[1].text
        assert any(n.startswith("Done: Rollout restart deployment/api-gateway") for n in r.notices())

        async def healed() -> bool:
            pods = [p for p in (await r.cluster()).pods if p.workload == "api-gateway"]
            fresh = all(p.name not in old and p.status == "Running" and p.ready == 1 for p in pods)
            return len(pods) == 3 and fresh and await r.state_of("api-gateway") == "UP"

        assert await r.until(180, healed) is not None
        assert not any(p.status in CRASHING for p in (await r.cluster()).pods)
        # ... and the panels say so, as does the timeline.
        await r.refresh()
        assert r.app.panels["health"].services["api-gateway"].state == "UP"  # type: ignore[attr-defined]
        kinds = [e.kind for e in r.app.panels["timeline"].last.events]  # type: ignore[attr-defined]
        assert kinds.index("action_requested") < kinds.index("action_succeeded")


async def test_U_on_the_failing_service_rolls_the_bad_release_back(tmp_path: Path) -> None:
    async with room(tmp_path, "bad-deploy") as r:
        await r.declare("Checkout 5xx")
        r.clock.advance(120)
        assert await r.slo_state("Checkout success") == "BREACH"
        await r.refresh()
        await r.select_service("order-payment-service")  # the health row, linked to its deployment
        await r.pilot.press("U")
        request = r.app.screen.request  # type: ignore[attr-defined]
        assert request.target == "deployment/order-payment-service"
        assert "(now revision 42) back to its previous revision" in request.question
        await r.confirm()
        events = await r.actions()
        assert_recorded(r, events, "k8s.rollout_undo")
        assert events[0].data["target"]["kind"] == "service"

        async def recovered() -> bool:
            return await r.slo_state("Checkout success") != "BREACH"

        assert await r.until(720, recovered, step=15) is not None
        assert await r.state_of("order-payment-service") == "UP"


async def test_s_scales_the_workers_with_the_current_count_shown_and_the_backlog_drains(
    tmp_path: Path,
) -> None:
    async with room(tmp_path, "queue-backlog") as r:
        await r.declare("SMS reminders late", "SEV2")
        r.clock.advance(120)
        await r.refresh()
        backlog_before = next(s.value for s in (await r.slos()).slos if s.name == "Celery backlog")
        await r.select_pod(lambda p: p.workload == "celery-worker")
        await r.pilot.press("s")
        screen = r.app.screen
        assert isinstance(screen, ConfirmScreen)
        assert [(f.name, f.label, f.default) for f in screen.request.fields] == [
            ("replicas", "Replicas (now 4)", "4")
        ]
        field = screen.query_one("#field-replicas", Input)
        assert field.value == "4" and screen.focused is field  # the value is what this dialog asks
        # As the hint says: type the value, enter moves on to Scale, enter again runs it.
        await r.pilot.press("backspace", "1", "2", "enter")
        assert field.value == "12"
        assert r.app.screen.focused is not None and r.app.screen.focused.id == "confirm"
        assert screen.shown()["preview"].endswith("scale deployment/celery-worker --replicas=12")
        started = r.app.action_keys.started
        await r.pilot.press("enter")
        await r.ran(started)
        events = await r.actions()
        assert_recorded(r, events, "k8s.scale")
        assert events[0].data["inputs"] == {"replicas": 12}
        assert "scaled from 4 to 12 replicas" in events[1].text

        async def drained() -> bool:
            return await r.slo_state("Celery backlog") == "OK"

        assert await r.until(300, drained) is not None
        after = next(s.value for s in (await r.slos()).slos if s.name == "Celery backlog")
        assert after < backlog_before  # type: ignore[operator]


async def test_the_action_menu_kills_the_idle_db_connections(tmp_path: Path) -> None:
    async with room(tmp_path, "db-connection-exhaustion") as r:
        await r.declare("Logins failing")
        await r.pilot.press("5", "a")  # nothing selected on the timeline: the global actions
        menu = r.app.screen
        assert isinstance(menu, ChoiceScreen)
        offered = [value for value, _ in menu.choices]
        assert offered[0] == "demo.kill-idle-db-connections" and not any(
            v.startswith("k8s.") for v in offered
        )
        await r.pick("demo.kill-idle-db-connections")
        request = r.app.screen.request  # type: ignore[attr-defined]
        assert "pg_terminate_backend" in request.target
        await r.confirm()
        assert_recorded(r, await r.actions(), "demo.kill-idle-db-connections")

        async def healed() -> bool:
            return all(s.state == "UP" for s in (await r.health()).services)

        assert await r.until(60, healed, step=2) is not None
        assert await r.slo_state("PostgreSQL connections") == "OK"


async def test_the_action_menu_on_the_redis_row_fails_redis_over(tmp_path: Path) -> None:
    async with room(tmp_path, "redis-down") as r:
        await r.declare("Logins failing")
        r.clock.advance(30)
        await r.refresh()
        await r.select_service("redis")
        await r.pilot.press("a")
        assert isinstance(r.app.screen, ChoiceScreen)
        await r.pick("demo.redis-failover")
        await r.confirm()
        assert_recorded(r, await r.actions(), "demo.redis-failover")

        async def healed() -> bool:
            return await r.state_of("redis") == "UP" and await r.state_of("auth-service") == "UP"

        assert await r.until(60, healed, step=2) is not None


# ---- the wrong key, no incident, no confirmation ---------------------------------------------------


async def test_the_wrong_action_is_recorded_and_does_not_heal(tmp_path: Path) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        await r.declare("Gateway crash loop")
        await r.select_service("auth-service")
        await r.pilot.press("r")
        assert r.app.screen.request.target == "deployment/auth-service"  # type: ignore[attr-defined]
        await r.confirm()
        assert_recorded(r, await r.actions(), "k8s.rollout_restart")
        r.clock.advance(300)
        assert await r.state_of("api-gateway") == "DOWN"
        gateway = [p for p in (await r.cluster()).pods if p.workload == "api-gateway"]
        assert all(p.ready == 0 for p in gateway)


async def test_nothing_runs_without_an_incident_or_a_confirmation(tmp_path: Path) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        before = await r.cluster()
        crashing = await r.select_pod(lambda p: p.workload == "api-gateway" and p.ready == 0)
        # No incident: refused before any dialog, nothing written. (Detections are the world's,
        # written as it goes wrong; what is checked is that no key wrote anything.)
        await r.pilot.press("r")
        assert not isinstance(r.app.screen, ConfirmScreen)
        assert "Rollout restart: Rollout restart was not run: declare an incident first (D)" in r.notices()
        assert await r.events() == []

        await r.declare("Gateway crash loop")
        # Escape on the confirmation: nothing recorded, nothing done.
        await r.pilot.press("x")
        assert isinstance(r.app.screen, ConfirmScreen)
        assert r.app.screen.request.target == f"pod/{crashing.name}"
        await r.pilot.press("escape")
        # enter alone presses Cancel (the default): nothing either.
        await r.pilot.press("r")
        assert isinstance(r.app.screen, ConfirmScreen)
        await r.pilot.press("enter")
        assert not isinstance(r.app.screen, ConfirmScreen)
        for said in (
            ": Delete pod: cancelled, nothing was run",
            ": Rollout restart: cancelled, nothing was run",
        ):
            await r.wait(lambda said=said: said in r.notices(), said)  # type: ignore[misc]
        assert r.app.action_keys.started == 0
        assert [e.kind for e in await r.events() if e.kind != "detected"] == ["declared"]
        assert await r.cluster() == before
        r.clock.advance(60)
        pods = {p.name for p in (await r.cluster()).pods}
        assert crashing.name in pods  # not deleted, not restarted
        revision = next(d.revision for d in (await r.cluster()).deployments if d.name == "api-gateway")
        assert revision == 7

        # A deployment action on a pod without one (a StatefulSet's) is refused, not asked.
        await r.select_pod(lambda p: p.workload == "redis-master")
        await r.pilot.press("r")
        assert not isinstance(r.app.screen, ConfirmScreen)
        assert (
            r.notices()[-1] == "Rollout restart: Rollout restart needs a deployment; the selection has none"
        )
        assert [e.kind for e in await r.events() if e.kind != "detected"] == ["declared"]


async def test_the_confirmation_shows_a_dry_run_and_escape_still_runs_nothing(tmp_path: Path) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        await r.declare("Gateway crash loop")
        before = await r.cluster()
        await r.select_pod(lambda p: p.workload == "api-gateway" and p.ready == 0)
        await r.pilot.press("r")
        screen = r.app.screen
        assert isinstance(screen, ConfirmScreen)
        worker = r.app.action_keys.dry_run_worker
        assert worker is not None
        await worker.wait()
        await r.pilot.pause()
        line = f"dry run: deployment {NS}/api-gateway would be restarted (revision 7 → 8)"
        assert screen.request.dry_run == line
        shown = str(screen.query_one("#confirm-dry-run").render())
        assert shown == f"Dry run  {line}"
        await r.pilot.press("escape")
        assert not isinstance(r.app.screen, ConfirmScreen)
        # Neither the dry run nor the cancel ran or recorded anything.
        assert r.app.action_keys.started == 0
        assert [e.kind for e in await r.events()] == ["declared"]
        assert await r.cluster() == before
        r.clock.advance(60)
        revision = next(d.revision for d in (await r.cluster()).deployments if d.name == "api-gateway")
        assert revision == 7


# ---- an observer's screen cannot change anything ---------------------------------------------------


def _keys_of_every_binding(app: WarroomApp) -> list[str]:
    """The keys of every binding warroom declares (app, panels, and the actions' own), and of
    every binding active on the screen now: the default keys, first key of each."""
    keys: list[str] = []
    for info in all_bindings():
        if not info.scope.startswith("modal:"):  # a dialog's keys need the dialog open
            keys += info.keys
    keys += [b.key for b in registry_bindings(app.action_keys.registry)]
    keys += list(app.screen.active_bindings)
    return list(dict.fromkeys(keys))


def _keys_that_write(app: WarroomApp) -> list[str]:
    """The keys of the bindings that would change the record or the world (the app's one test)."""
    out = []
    for binding in [*WarroomApp.BINDINGS, *registry_bindings(app.action_keys.registry)]:
        _, name, params = parse(binding.action)
        if app.writes(name, params):
            out += [key.strip() for key in binding.key.split(",")]
    return out


async def test_read_only_every_key_of_every_binding_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    async with await IncidentStore.open(db) as store:  # the commander's record, with an incident
        incident = await Incidents(store).declare("Gateway crash loop", "SEV1")
    clock = FrozenClock(T0)
    setup = setup_for_demo(demo_args(tmp_path, "api-gateway-crashloop", read_only=True), clock)
    reference = DemoPlatform("api-gateway-crashloop", 1, clock)  # the same world, left alone
    # 80x24, the bastion's terminal: one panel at a time (and fewer cells to paint per key).
    async with room(tmp_path, "api-gateway-crashloop", read_only=True, setup=setup, size=(80, 24)) as r:
        app = r.app
        assert app.timeline.store.read_only and app.action_keys.dispatcher.read_only  # type: ignore[union-attr]
        count = len(await r.events())
        # Nothing that writes is on offer: not in the footer, help or the key panel.
        assert not [b for b in app.screen.active_bindings.values() if "mitigate" in b.binding.action]
        await r.pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        offered = {binding_id for _, _, binding_id in app.screen.rows}
        assert offered and not offered & {b.id for b in ACTION_BINDINGS}
        await r.pilot.press("escape")

        keys = [k for k in _keys_of_every_binding(app) if k not in ("q", "ctrl+q", "ctrl+c")]
        writing = _keys_that_write(app)
        assert {"r", "U", "s", "x", "a"} <= set(writing) <= set(keys)
        # Every key with the crashing gateway pod selected (where r/U/s/x/a would act), then the
        # keys that would write with a service selected (the other selection they act on).
        rounds = [("pods", keys), ("health", writing)]
        for pid, pressed in rounds:
            for key in pressed:
                if app._focused_panel_id() != pid:
                    app.show_panel(pid)
                if pid == "pods":
                    app.panels["pods"].table.move_cursor(row=0)  # type: ignore[attr-defined]
                await r.pilot.press(key)
                assert not isinstance(app.screen, ConfirmScreen), key
                assert not (
                    isinstance(app.screen, ChoiceScreen) and app.screen.title_text.startswith("Actions")
                ), key
                while len(app.screen_stack) > 1:  # help, a row's details, the palette: close
                    app.pop_screen()
                    await r.pilot.pause()
                if app.filter_bar.has_class("-shown"):
                    await r.pilot.press("escape")
        # Underneath the keys: the action keys and the dispatcher refuse every registered action.
        for name in [MENU, *(a.id for a in app.action_keys.registry)]:
            await app.action_keys.run(name)
            assert not isinstance(app.screen, ConfirmScreen | ChoiceScreen)
        for action in app.action_keys.registry:
            with pytest.raises(ReadOnlyError):
                await app.action_keys.dispatcher.dispatch(action, app.action_keys.target(), {})
        # ... and the database connection itself cannot write (opened mode=ro).
        with pytest.raises(Exception, match="readonly"):
            await app.timeline.store._conn.execute("CREATE TABLE nope (x)")  # type: ignore[union-attr]
        await r.pilot.press("q")  # last: quitting writes nothing either
    events = await r.events()
    assert len(events) == count and [e.kind for e in events] == ["declared"]
    assert events[0].incident_id == incident.incident_id
    # The world is exactly the one nobody touched, now and a minute later.
    for _ in range(2):
        assert await r.cluster() == reference.cluster()
        assert await r.health() == reference.health()
        assert await r.slos() == reference.slos()
        clock.advance(60)


# ---- the team's own [[actions]] on their keys ------------------------------------------------------


async def test_config_actions_run_on_their_own_keys_remapped_by_id(tmp_path: Path) -> None:
    path = _config(tmp_path, '\n[keys]\n"actions.flush-cdn-cache" = "ctrl+k"\n')
    args = argparse.Namespace(db=str(tmp_path / "incidents.db"), read_only=False, theme=None)
    setup = setup_for_config(load_config(path), args, FrozenClock(T0))
    assert [a.id for a in setup.registry or ()] == [
        "config.flush-cdn-cache",
        "config.replication-info",
        "config.wait-for-the-gate",
    ]
    setup.tick_s = 0
    app = WarroomApp(setup)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        r = Room(app, pilot, setup.clock, tmp_path / "incidents.db")  # type: ignore[arg-type]
        await r.wait(lambda: app.timeline is not None and app.timeline.incidents is not None, "the record")
        await r.declare()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = {binding_id: key for key, _, binding_id in app.screen.rows}
        assert (shown["actions.flush-cdn-cache"], shown["actions.replication-info"]) == ("ctrl+k", "I")
        await pilot.press("escape")
        await pilot.press("K")  # remapped away: nothing
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.request.question == "Flush the whole CDN cache?"
        await r.confirm()
        assert (tmp_path / "flushed").exists()
        assert_recorded(r, await r.actions(), "config.flush-cdn-cache")
        # dangerous = false: a diagnostic, run without a dialog, recorded all the same.
        started = app.action_keys.started
        await pilot.press("I")
        assert not isinstance(app.screen, ConfirmScreen)
        await r.ran(started)
        last = (await r.actions())[-1]
        assert last.kind == "action_succeeded" and "role:master" in last.data["output"]
        # The same action twice while the first still runs: refused, not started again.
        await pilot.press("W", "tab", "enter")
        await r.wait(lambda: bool(app.action_keys.dispatcher.running()), "the gate action running")
        await pilot.press("W")
        assert not isinstance(app.screen, ConfirmScreen)
        assert r.notices()[-1] == "Wait for the gate: Wait for the gate is still running"
        (tmp_path / "gate").touch()
        await app.action_keys.settled()
        kinds = [e.kind for e in await r.actions()]
        assert kinds.count("action_requested") == 3 and kinds.count("action_succeeded") == 3


def test_an_action_key_on_a_built_in_key_is_a_config_error_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clash = [ActionConfig(name="Oops", key="r", command=("true",))]
    both = r"'r' is bound to both (k8s.rollout_restart and actions.oops|actions.oops and k8s.rollout_restart)"
    with pytest.raises(UserError, match=both):
        check_app_keymap({}, "warroom.toml", clash)
    # Remapping either of the two settles it.
    check_app_keymap({"actions.oops": "f8"}, "warroom.toml", clash)
    check_app_keymap({"k8s.rollout_restart": "f9"}, "warroom.toml", clash)
    assert "actions.oops" in {info.id for info in all_bindings(clash)}
    # warroom does not start with it.
    path = tmp_path / "warroom.toml"
    path.write_text('[[actions]]\nname = "Oops"\nkey = "r"\ncommand = ["true"]\n')
    args = argparse.Namespace(db=str(tmp_path / "incidents.db"), read_only=False, theme=None)
    with pytest.raises(UserError, match=both):
        setup_for_config(load_config(path), args)
    # ... and `warroom check-config` says so first.
    assert check_config_main(str(path)) == 2
    assert re.search(f"^{re.escape(str(path))}: keys: {both}; remap one of them$", capsys.readouterr().err)


def test_the_kubernetes_bindings_carry_the_actions_ids_and_default_keys(tmp_path: Path) -> None:
    control = DemoControl(DemoPlatform("bad-deploy", 1, FrozenClock(T0)))
    by_id = {b.id: b for b in ACTION_BINDINGS}
    for action in Registry(kubernetes_actions(control)):
        binding = by_id[action.id]
        assert (binding.key, binding.action) == (action.key, f"mitigate('{action.id}')")
    assert by_id["app.actions"].action == f"mitigate('{MENU}')"
    # The demo's own mitigations have no keys of their own: they are in the menu (a).
    setup = setup_for_demo(demo_args(tmp_path, "bad-deploy"), FrozenClock(T0))
    assert setup.registry is not None and registry_bindings(setup.registry) == []
    assert {a.id for a in setup.registry} >= {"k8s.rollout_restart", "demo.redis-failover"}
