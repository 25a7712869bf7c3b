"""`r` on a pod, as a person presses it, against the project's API server with its controllers:
the confirmation names the pod's workload (a statefulset here: `rollout restart
statefulset/redis`), the timeline's action row says "rolling out" while warroom follows it, and
the record gets `rollout_complete`; quitting while a rollout is followed writes it was not
followed to the end."""

from __future__ import annotations

import argparse
from pathlib import Path

from panels.modals import AskScreen, ConfirmScreen
from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.ui.harness import confirm, dialog, until
from tui.app import WarroomApp
from tui.config.load import load_config
from tui.core.clock import SystemClock
from tui.incident.events import Event
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_config


async def _events(db: Path) -> list[Event]:
    store = await IncidentStore.open(db, read_only=True)
    try:
        incident = await store.active_incident()
        assert incident is not None
        return await store.events(incident)
    finally:
        await store.close()


async def _app(api: ApiServer, tmp_path: Path) -> tuple[WarroomApp, Path]:
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    config = tmp_path / "warroom.toml"
    config.write_text(f'[cluster]\nkubeconfig = "{kubeconfig}"\nnamespaces = ["shop"]\ninterval_s = 0.2\n')
    db = tmp_path / "incidents.db"
    store = await IncidentStore.open(db)
    try:
        await Incidents(store).declare("Redis timeouts", "SEV2")
    finally:
        await store.close()
    args = argparse.Namespace(db=str(db), read_only=False, theme=None)
    setup = setup_for_config(load_config(config), args, SystemClock())
    setup.tick_s = 0
    return WarroomApp(setup), db


def _row_texts(app: WarroomApp) -> list[str]:
    table = app.panels["timeline"].table  # type: ignore[attr-defined]
    return [str(table.get_row(key)[3]) for key in table.row_keys]


async def _press_r_on(pilot, app: WarroomApp, pod: str) -> ConfirmScreen:
    await pilot.press("2")
    panel = app.panels["pods"]
    await until(pilot, lambda: pod in [k.split("/")[-1] for k in panel.table.row_keys], f"{pod} shown")  # type: ignore[attr-defined]
    keys = [k.split("/")[-1] for k in panel.table.row_keys]  # type: ignore[attr-defined]
    panel.table.move_cursor(row=keys.index(pod))  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("r")
    return await dialog(pilot, ConfirmScreen)


async def test_r_on_a_statefulset_pod_is_followed_until_rolled_out(
    apiserver_with_controllers: ApiServer, tmp_path: Path
) -> None:
    api = apiserver_with_controllers
    api.seed(kube.statefulset("redis"))
    app, db = await _app(api, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await _press_r_on(pilot, app, "redis-2")
        shown = screen.shown()
        assert shown["preview"].endswith("kubectl --context kmock -n shop rollout restart statefulset/redis")
        assert "statefulset/redis" in shown["question"]
        api.controller.ready_after = 0.5  # type: ignore[union-attr]  # slow enough to watch it roll
        await confirm(pilot, screen)
        await until(
            pilot,
            lambda: any(t.startswith("rolling out") for t in _row_texts(app)),
            "the action row rolling out",
            500,
        )
        await until(
            pilot, lambda: any("rolled out in" in t for t in _row_texts(app)), "rollout_complete shown", 800
        )
        assert not any(t.startswith("rolling out") for t in _row_texts(app))
    kinds = [e.kind for e in await _events(db)]
    assert kinds == ["declared", "action_requested", "action_succeeded", "rollout_complete"]


async def test_quitting_while_a_rollout_is_followed_records_it_unfollowed(
    apiserver_with_controllers: ApiServer, tmp_path: Path
) -> None:
    api = apiserver_with_controllers
    api.seed(kube.statefulset("redis"))
    app, db = await _app(api, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await _press_r_on(pilot, app, "redis-0")
        api.controller.stall = True  # type: ignore[union-attr]
        await confirm(pilot, screen)
        await until(
            pilot,
            lambda: any(t.startswith("rolling out") for t in _row_texts(app)),
            "the action row rolling out",
            500,
        )
        assert app.action_keys.dispatcher.following() == ("statefulset/redis",)
        await pilot.press("q")
        asked = await dialog(pilot, AskScreen)
        body = str(asked.query_one("#ask-body").render())
        assert "Still following the rollout of statefulset/redis: quitting stops following it" in body
        await pilot.press("tab", "enter")  # Quit
        await pilot.pause()
    events = await _events(db)
    assert [e.kind for e in events][-1] == "rollout_interrupted"
    assert "not followed to the end (warroom quit)" in events[-1].text
