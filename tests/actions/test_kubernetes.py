"""The real Kubernetes adapter plugs into the same registry through `kubernetes_actions`, and its
mitigations go through the same dispatcher: kmock over real HTTP, a real incident record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actions import NotApplicableError, Registry, Target, config_actions, kubernetes_actions
from tests.actions.conftest import Record, command
from tests.servers.kube import declare_resources, deployment, pod, seed, stored, write_kubeconfig
from tests.timebase import T0
from tui.clock import FrozenClock
from tui.config import ClusterConfig
from tui.sources.kubernetes import RESTARTED_AT, KubernetesControl


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
