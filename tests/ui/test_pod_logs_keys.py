"""`l` on a pod: its workload's logs in the log panel (the project's API server behind them), `p`
there toggles `--previous`, escape or `l` again goes back to the configured `[[logs]]`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from panels.logs import LogPanel
from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.ui.fakes import ListSource, cluster, health, logs, pod, service, standard_sources
from tests.ui.harness import make_app, until
from tui.config.schema import ClusterConfig
from tui.core.model import DeploymentInfo, LogTarget
from tui.sources.kubernetes.pod_logs import PodLogSource

RS = "web-7d4b9"


def seed_web(api: ApiServer) -> None:
    def web_pod(name: str, **kw: Any) -> dict[str, Any]:
        return kube.pod(name, app="web", replicaset_name=RS, template_hash="7d4b9", **kw)

    api.seed(
        kube.deployment("web", replicas=2),
        web_pod("web-7d4b9-a", state="crashloop", restarts=3),
        web_pod("web-7d4b9-b"),
    )
    api.append_log("shop", "web-7d4b9-a", "a1 \x1b]0;owned\x07[bold]not markup[/bold]")
    api.append_log("shop", "web-7d4b9-b", "b1")
    api.set_log("shop", "web-7d4b9-a", ["panic: out of memory"], previous=True)


def app_for(api: ApiServer, tmp_path: Path, *, with_logs: bool = True, **setup: Any):
    sources: dict[str, Any] = standard_sources()
    pods = cluster(
        pod("web-7d4b9-a", "CrashLoopBackOff", ns="shop", workload="web"), pod("web-7d4b9-b", ns="shop")
    )
    web = DeploymentInfo("shop", "web", replicas=2, ready=1, updated=2, available=1)
    sources["pods"] = ListSource("kubernetes", [replace(pods, deployments=(web,))])
    if with_logs:
        sources["logs"] = ListSource("logs", [logs("configured line"), logs()])
    else:
        sources.pop("logs")
    cfg = ClusterConfig(
        kubeconfig=str(api.kubeconfig(tmp_path / "kubeconfig")), namespaces=("shop",), timeout_s=3
    )
    made: list[PodLogSource] = []

    def factory(target: LogTarget) -> PodLogSource:
        made.append(PodLogSource(cfg, target, interval_s=0.1))
        return made[-1]

    return make_app(sources=sources, pod_logs=factory, **setup), made


def lines(panel: LogPanel) -> list[str]:
    return [e.text for e in panel.view.entries]


async def test_l_p_and_escape(apiserver: ApiServer, tmp_path: Path) -> None:
    seed_web(apiserver)
    app, made = app_for(apiserver, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["logs"]
        assert isinstance(panel, LogPanel)
        await until(pilot, lambda: "configured line" in lines(panel), "the configured tail")
        await pilot.press("2")
        await until(pilot, lambda: app.panels["pods"].selected() is not None, "a pod row")  # type: ignore[attr-defined]
        await pilot.press("l")
        await until(pilot, lambda: "b1" in lines(panel), "the pods' logs")
        assert app._focused_panel_id() == "logs"
        await until(pilot, lambda: "logs of deployment/web: 2 pods, following" in panel.title_plain, "title")
        # Outside text: the escape sequence is gone, the brackets are literal.
        assert "a1 [bold]not markup[/bold]" in lines(panel)
        assert not any("\x1b" in line or "\x07" in line for line in lines(panel))
        assert "configured line" not in lines(panel)
        assert "p previous" in panel.status_line.plain

        await pilot.press("p")
        await until(pilot, lambda: "panic: out of memory" in lines(panel), "the previous run")
        assert "previous: web-7d4b9-a" in panel.title_plain
        assert "b1" not in lines(panel)
        assert made[-1].target.previous and made[0].target.pod == "web-7d4b9-a"
        await pilot.press("p")  # and back to following
        await until(pilot, lambda: "b1" in lines(panel), "following again")
        assert "following" in panel.title_plain

        await pilot.press("escape")
        await until(pilot, lambda: not panel.showing_pod_logs, "back to [[logs]]")
        assert lines(panel)[0] == "configured line" and panel.title_plain == "4 Logs"
        assert app._focused_panel_id() == "pods"
        assert "p previous" not in panel.status_line.plain
        await pilot.press("l")
        await until(pilot, lambda: panel.showing_pod_logs, "shown again")
        await pilot.press("p")
        await until(pilot, lambda: "previous" in panel.title_plain, "previous")
        await pilot.press("l")  # l in the log panel: back too
        await until(pilot, lambda: not panel.showing_pod_logs, "back by l")
        assert not app.query_one("#pod-log-view").display
        await pilot.press("4", "p")  # p does nothing over the configured tail
        await pilot.pause()
        assert not panel.showing_pod_logs and len(made) == 5


async def test_without_logs_configured_and_narrow(apiserver: ApiServer, tmp_path: Path) -> None:
    seed_web(apiserver)
    app, _ = app_for(apiserver, tmp_path, with_logs=False)
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.panels["logs"]
        assert isinstance(panel, LogPanel) and not panel.configured
        await pilot.press("2")
        await until(pilot, lambda: app.panels["pods"].selected() is not None, "a pod row")  # type: ignore[attr-defined]
        await pilot.press("l")
        await until(pilot, lambda: "b1" in lines(panel), "the pods' logs")
        assert app.active_panel == "logs" and panel.configured and panel.display
        await pilot.press("escape")
        await until(pilot, lambda: not panel.showing_pod_logs, "back")
        assert not panel.configured and "not configured" in panel.status_line.plain
        assert app.active_panel == "pods"


async def test_l_without_a_cluster_says_so(apiserver: ApiServer, tmp_path: Path) -> None:
    app, _ = app_for(apiserver, tmp_path)
    app.setup.pod_logs = None
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: app.panels["pods"].selected() is not None, "a pod row")  # type: ignore[attr-defined]
        await pilot.press("l")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["l: pod logs need a [cluster]"]
        assert not app.panels["logs"].showing_pod_logs  # type: ignore[attr-defined]


async def test_l_on_a_workload_row(apiserver: ApiServer, tmp_path: Path) -> None:
    seed_web(apiserver)
    app, made = app_for(apiserver, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["logs"]
        assert isinstance(panel, LogPanel)
        await pilot.press("2", "w")
        await until(pilot, lambda: app.panels["pods"].selected_workload() is not None, "a workload row")  # type: ignore[attr-defined]
        await pilot.press("l")
        await until(pilot, lambda: "b1" in lines(panel), "the workload's logs")
        assert made[0].target == LogTarget("shop", "deployment", "web")
        assert "logs of deployment/web: 2 pods, following" in panel.title_plain
        await pilot.press("p")  # every pod's previous run, and a line for the one that has none
        await until(pilot, lambda: "panic: out of memory" in lines(panel), "the previous runs")
        assert "web-7d4b9-b: no previous container: it has not restarted" in lines(panel)
        assert "previous: deployment/web" in panel.title_plain


async def test_l_on_a_service_linked_to_a_deployment(apiserver: ApiServer, tmp_path: Path) -> None:
    seed_web(apiserver)
    app, made = app_for(apiserver, tmp_path)
    linked = replace(service("web", "DOWN", "connection refused", None), deployment="web")
    app.setup.sources["health"] = ListSource("health", [health(service("redis"), linked)])  # type: ignore[index]
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["logs"]
        assert isinstance(panel, LogPanel)
        await pilot.press("1")
        await until(pilot, lambda: app.panels["health"].selected() is not None, "a service row")  # type: ignore[attr-defined]
        selected = app.panels["health"].selected()  # type: ignore[attr-defined]
        if selected.name != "web":
            await pilot.press("down" if selected.name == "redis" else "up")
        await until(pilot, lambda: app.panels["health"].selected().name == "web", "web selected")  # type: ignore[attr-defined]
        await pilot.press("l")
        await until(pilot, lambda: "b1" in lines(panel), "its deployment's logs")
        assert made[0].target.namespace == "shop"  # [cluster]'s, as the service names none
        assert "logs of deployment/web: 2 pods, following" in panel.title_plain
        await pilot.press("escape", "1")
        await until(pilot, lambda: app.panels["health"].selected() is not None, "a service row")  # type: ignore[attr-defined]
        if app.panels["health"].selected().name == "web":  # type: ignore[attr-defined]
            await pilot.press("down" if app.panels["health"].table.cursor_row == 0 else "up")  # type: ignore[attr-defined]
        await pilot.press("l")
        await pilot.pause()
        assert not panel.showing_pod_logs and len(made) == 1
