"""The real Kubernetes adapter plugs into the same registry through `kubernetes_actions`, and its
mitigations go through the same dispatcher: kmock over real HTTP, a real incident record."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import pytest

from actions import NotApplicableError, Output, Registry, Target, config_actions, kubernetes_actions
from tests.actions.conftest import Record, command
from tests.servers.kube import declare_resources, deployment, pod, seed, stored, write_kubeconfig
from tests.timebase import T0
from tui.app import WarroomApp
from tui.config.load import load_config
from tui.config.schema import ClusterConfig
from tui.core.clock import FrozenClock
from tui.sources.kubernetes.control import RESTARTED_AT, KubernetesControl
from tui.wiring import setup_for_config


async def test_kubernetes_control_plugs_into_the_registry(kmock: Any, tmp_path: Path, record: Record) -> None:
    declare_resources(kmock)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))
    seed(kmock, deployment("web", replicas=3), pod("web-0", app="web"), pod("web-1", app="web"))
    control = KubernetesControl(ClusterConfig(kubeconfig=str(kubeconfig)), FrozenClock(T0))
    registry = Registry(
        [*kubernetes_actions(control), *config_actions([command("Echo", ["/bin/echo", "hi"])])]
    )
    dispatcher = record.dispatcher(registry)

    web = Target.of_deployment("kmock", "shop", "web", replicas=3)
    web_0 = Target.of_pod("kmock", "shop", "web-0", deployment="web")
    assert [a.id for a in registry.for_target(web)] == [
        "k8s.rollout_restart",
        "k8s.rollout_undo",
        "k8s.scale",
        "config.echo",
    ]
    assert [a.id for a in registry.for_target(web_0)] == [
        "k8s.rollout_restart",
        "k8s.rollout_undo",
        "k8s.scale",
        "k8s.delete_pod",
        "config.echo",
    ]
    confirm = registry.get("k8s.scale").confirmation(web)
    assert (confirm.target, confirm.where) == ("deployment/web", "context kmock · namespace shop")
    assert confirm.preview == "kubectl --context kmock -n shop scale deployment/web --replicas=3"
    assert confirm.question == "Scale deployment/web in namespace shop on context kmock to how many replicas?"
    (field,) = confirm.fields
    assert (field.name, field.label, field.default, field.kind, field.minimum) == (
        "replicas",
        "Replicas (now 3)",
        "3",
        "int",
        0,
    )

    scaled = await dispatcher.dispatch("k8s.scale", web, {"replicas": 5})
    assert scaled.ok and scaled.output == "deployment.apps/web scaled"
    dep = stored(kmock, "Deployment", "shop", "web")
    assert dep is not None and dep["spec"]["replicas"] == 5
    assert (
        scaled.request.data["preview"] == "kubectl --context kmock -n shop scale deployment/web --replicas=5"
    )

    restarted = await dispatcher.dispatch("k8s.rollout_restart", web_0)  # from a pod row: its deployment
    assert restarted.ok and restarted.subject == "deployment/web"
    dep = stored(kmock, "Deployment", "shop", "web")
    assert dep is not None
    assert dep["spec"]["template"]["metadata"]["annotations"] == {RESTARTED_AT: "2026-11-23T03:00:00Z"}

    deleted = await dispatcher.dispatch("k8s.delete_pod", web_0)
    assert deleted.ok and deleted.text.startswith('Delete pod pod/web-0: pod "web-0" deleted (')
    assert stored(kmock, "Pod", "shop", "web-0") is None and stored(kmock, "Pod", "shop", "web-1") is not None

    again = await dispatcher.dispatch("k8s.delete_pod", web_0)  # already gone: the API says 404
    assert not again.ok and again.text.startswith("Delete pod pod/web-0: failed: 404 ")
    assert [e.kind for e in await record.events()][-2:] == ["action_requested", "action_failed"]

    # A selection from another context is refused before anything is written.
    count = len(await record.events())
    with pytest.raises(NotApplicableError, match="from context prod, the cluster control is on kmock"):
        await dispatcher.dispatch("k8s.rollout_restart", Target.of_deployment("prod", "shop", "web"))
    assert len(await record.events()) == count
    await control.close()


def _connections_to(port: int) -> int:
    """The TCP connections this process holds open to `port` (as a client), read from /proc: what
    a client that was never closed keeps alive in its pool."""
    ours = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            ours.add(link[len("socket:[") : -1])
    found = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                cols = row.split()
                remote, state, inode = cols[2], cols[3], cols[9]
                established = state == "01"
                found += established and inode in ours and int(remote.rsplit(":", 1)[1], 16) == port
    return found


async def test_the_app_closes_the_cluster_controls_connection(kmock: Any, tmp_path: Path) -> None:
    declare_resources(kmock)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))
    seed(kmock, deployment("web", replicas=3), pod("web-0", app="web"))
    config = tmp_path / "warroom.toml"
    # A long interval: the pods source polls once, at the start, and is idle when the app stops.
    config.write_text(f'[cluster]\nkubeconfig = "{kubeconfig}"\nnamespaces = ["shop"]\ninterval_s = 600\n')
    args = argparse.Namespace(db=str(tmp_path / "i.db"), read_only=False, theme=None)
    setup = setup_for_config(load_config(config), args, FrozenClock(T0))
    setup.tick_s = 0
    assert setup.registry is not None
    restart = setup.registry.get("k8s.rollout_restart")
    assert (await restart.run(Target.of_deployment("kmock", "shop", "web"), {}, Output())).ok
    assert _connections_to(kmock.url.port) >= 1  # kept alive in the control's pool

    app = WarroomApp(setup)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(300):
            if app.panels["pods"].last is not None:
                break
            await pilot.pause(0.02)
        assert app.panels["pods"].last is not None, "the pods were never shown"
    assert _connections_to(kmock.url.port) == 0
