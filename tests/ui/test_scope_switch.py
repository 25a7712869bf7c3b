"""The context and the namespace switched from the command palette, as a person does it, against
two of the project's API servers (one per context of one kubeconfig): the header says where the
screen is, the pods are the new context's, a confirmation opened before the switch refuses
rather than act on the other cluster, and a rollout restart after it lands on the new one."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from panels.logs import LogPanel
from panels.modals import ConfirmScreen, PromptScreen
from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.servers.apiserver.plugin import serving
from tests.ui.harness import Notices, confirm, dialog, palette, until
from tui.app import WarroomApp
from tui.config.load import load_config
from tui.core.clock import SystemClock
from tui.incident.events import Event
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore
from tui.wiring import setup_for_config

HOSTILE = "evil\x1b[2J[red]ctx[/red]"  # a context name a kubeconfig may hold: text, never markup


@pytest.fixture
def west() -> Iterator[ApiServer]:
    """The second context's cluster: an API server of its own."""
    yield from serving(controller=True)


def _kubeconfig(path: Path, east: ApiServer, west: ApiServer) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "east", "cluster": {"server": east.url}},
            {"name": "west", "cluster": {"server": west.url}},
        ],
        "users": [{"name": "tester", "user": {"token": kube.TOKEN}}],
        "contexts": [
            {"name": "east", "context": {"cluster": "east", "user": "tester", "namespace": "shop"}},
            {"name": "west", "context": {"cluster": "west", "user": "tester", "namespace": "shop"}},
            {"name": HOSTILE, "context": {"cluster": "west", "user": "tester"}},
        ],
        "current-context": "east",
    }
    path.write_text(json.dumps(doc))
    return path


async def _app(tmp_path: Path, east: ApiServer, west: ApiServer, extra: str = "") -> tuple[WarroomApp, Path]:
    kubeconfig = _kubeconfig(tmp_path / "kubeconfig", east, west)
    config = tmp_path / "warroom.toml"
    config.write_text(f'[cluster]\nkubeconfig = "{kubeconfig}"\ninterval_s = 0.2\n{extra}')
    db = tmp_path / "incidents.db"
    async with await IncidentStore.open(db) as store:
        await Incidents(store).declare("Checkout errors", "SEV2")
    setup = setup_for_config(load_config(config), argparse.Namespace(db=str(db), read_only=False, theme=None))
    setup.tick_s = 0
    setup.clock = SystemClock()
    return WarroomApp(setup), db


def _pods(app: WarroomApp) -> set[str]:
    return {key.split("/")[-1] for key in app.panels["pods"].table.row_keys}  # type: ignore[attr-defined]


def _header(app: WarroomApp) -> str:
    return app.header.where.plain


async def _events(db: Path) -> list[Event]:
    async with await IncidentStore.open(db, read_only=True) as store:
        incident = await store.active_incident()
        assert incident is not None
        return await store.events(incident)


async def _select(pilot, app: WarroomApp, pod: str) -> None:
    await pilot.press("2")
    await until(pilot, lambda: pod in _pods(app), f"{pod} shown", 500)
    table = app.panels["pods"].table  # type: ignore[attr-defined]
    keys = [k.split("/")[-1] for k in table.row_keys]
    table.move_cursor(row=keys.index(pod))
    await pilot.pause()


def _restarted(api: ApiServer, deployment: str) -> bool:
    found = api.store.get("deployments", "shop", deployment)
    assert found is not None
    annotations = (found["spec"]["template"].get("metadata") or {}).get("annotations") or {}
    return "kubectl.kubernetes.io/restartedAt" in annotations


async def test_the_palette_switches_the_context_and_the_actions_follow(
    apiserver_with_controllers: ApiServer, west: ApiServer, tmp_path: Path
) -> None:
    east = apiserver_with_controllers
    east.seed(kube.deployment("web", replicas=2, ready=2))
    west.seed(kube.deployment("api", replicas=2, ready=2))
    app, db = await _app(tmp_path, east, west)
    async with app.run_test(size=(160, 50)) as pilot:
        notices = Notices(app)
        await until(pilot, lambda: any(p.startswith("web-") for p in _pods(app)), "east's pods", 500)
        assert "east · ns shop" in _header(app)
        web = next(p for p in _pods(app) if p.startswith("web-"))
        await _select(pilot, app, web)
        await pilot.press("r")
        stale = await dialog(pilot, ConfirmScreen)  # opened on east, answered after the switch
        assert "--context east" in stale.shown()["preview"]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.screen_stack[0], "dialog closed")

        hit = await palette(pilot, "Switch to context west")
        assert hit == "Switch to context west"
        await until(pilot, lambda: any(p.startswith("api-") for p in _pods(app)), "west's pods", 500)
        assert not any(p.startswith("web-") for p in _pods(app))
        assert "west · ns shop" in _header(app)
        assert "west · ns shop: pods, logs and actions are here now" in notices.last()

        # The action goes to the context switched to, named in its preview and run there.
        api = next(p for p in _pods(app) if p.startswith("api-"))
        await _select(pilot, app, api)
        await pilot.press("r")
        screen = await dialog(pilot, ConfirmScreen)
        assert screen.shown()["preview"].endswith(
            "kubectl --context west -n shop rollout restart deployment/api"
        )
        await confirm(pilot, screen)
        await until(pilot, lambda: _restarted(west, "api"), "west's api restarted", 500)
    assert not _restarted(east, "web")
    kinds = [e.kind for e in await _events(db)]
    assert kinds[:3] == ["declared", "action_requested", "action_succeeded"], kinds


async def test_a_confirmation_opened_before_a_switch_refuses_to_act_on_the_new_context(
    apiserver_with_controllers: ApiServer, west: ApiServer, tmp_path: Path
) -> None:
    east = apiserver_with_controllers
    east.seed(kube.deployment("web", replicas=2, ready=2))
    west.seed(kube.deployment("web", replicas=2, ready=2))  # the same names on both clusters
    app, db = await _app(tmp_path, east, west)
    async with app.run_test(size=(160, 50)) as pilot:
        notices = Notices(app)
        await until(pilot, lambda: any(p.startswith("web-") for p in _pods(app)), "east's pods", 500)
        await _select(pilot, app, next(p for p in _pods(app) if p.startswith("web-")))
        await pilot.press("r")
        screen = await dialog(pilot, ConfirmScreen)
        # The switch lands while the dialog is open (another key, a palette in another screen).
        await app.scope_switch.switch(context="west")  # type: ignore[union-attr]
        assert "west" in _header(app)
        await confirm(pilot, screen)
        await until(pilot, lambda: any("from context east" in m for m, _ in notices.seen), "refused", 300)
    assert not _restarted(east, "web") and not _restarted(west, "web")
    assert "action_requested" not in [e.kind for e in await _events(db)]


async def test_all_namespaces_and_a_typed_namespace_from_the_palette(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    east = apiserver
    east.seed(kube.pod("cart-1"), kube.pod("pay-1", namespace="payments"), kube.pod("db-1", namespace="data"))
    west = apiserver  # not switched to here
    app, _ = await _app(tmp_path, east, west)
    async with app.run_test(size=(160, 50)) as pilot:
        notices = Notices(app)
        await until(pilot, lambda: _pods(app) == {"cart-1"}, "the context's namespace", 500)
        await palette(pilot, "All namespaces")
        await until(pilot, lambda: _pods(app) == {"cart-1", "pay-1", "db-1"}, "every namespace", 500)
        assert "east · all namespaces" in _header(app)
        # The namespaces the cluster lists are offered, one entry each.
        await until(pilot, lambda: app.setup.scope.namespaces() == ("data", "payments", "shop"), "listed")  # type: ignore[union-attr]
        await palette(pilot, "Namespace payments")
        await until(pilot, lambda: _pods(app) == {"pay-1"}, "payments only", 500)
        assert "east · ns payments" in _header(app)
        # A name typed that the API would refuse is said so, and nothing changes.
        await palette(pilot, "Namespace…")
        prompt = await dialog(pilot, PromptScreen)
        await pilot.press(*"Bad_NS", "enter")
        await until(
            pilot, lambda: any("not a namespace name: 'Bad_NS'" in m for m in notices.errors()), "said"
        )
        assert prompt is not app.screen and "east · ns payments" in _header(app)


async def test_a_hostile_context_name_is_text_in_the_palette_and_the_header(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    apiserver.seed(kube.pod("cart-1"))
    app, _ = await _app(tmp_path, apiserver, apiserver)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _pods(app) == {"cart-1"}, "pods", 500)
        hit = await palette(pilot, "Switch to context evil")
        assert "[red]ctx[/red]" in hit and "\x1b" not in hit
        await until(pilot, lambda: "[red]ctx[/red]" in _header(app), "the header names it as written", 300)
        assert "\x1b" not in _header(app)


async def test_the_cluster_log_tail_and_l_follow_the_switch(
    apiserver: ApiServer, west: ApiServer, tmp_path: Path
) -> None:
    east = apiserver
    for api, said in ((east, "east says hello"), (west, "west says hello")):
        api.seed(kube.pod("web-1", app="web"))
        api.logs.set("shop", "web-1", "app", [said])
    logs = '[[logs]]\nkind = "kubernetes"\nselector = "app=web"\n'
    app, _ = await _app(tmp_path, east, west, logs)
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["logs"]
        assert isinstance(panel, LogPanel)
        await until(pilot, lambda: "east says hello" in _lines(panel), "east's log tail", 500)
        await palette(pilot, "Switch to context west")
        await until(pilot, lambda: "west says hello" in _lines(panel), "west's log tail", 500)
        assert "east says hello" not in _lines(panel)  # the lines of the context left are gone
        await _select(pilot, app, "web-1")
        await pilot.press("l")  # a pod's logs, read from the context the screen is on
        await until(pilot, lambda: panel.showing_pod_logs and "west says hello" in _lines(panel), "l", 500)


def _lines(panel: LogPanel) -> list[str]:
    return [entry.text for entry in panel.view.entries]
