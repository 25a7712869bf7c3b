"""The cluster control names its context when it is built, and keeps acting on that context:
the confirmation says which cluster, and a later `kubectl config use-context` elsewhere must not
move the calls. Against kmock over real HTTP, through a real kubeconfig file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.servers.kube import declare_resources, deployment, seed, stored, write_kubeconfig
from tui.config.schema import ClusterConfig
from tui.sources.kubernetes.connection import resolve_context
from tui.sources.kubernetes.control import KubernetesControl


def test_the_context_comes_from_the_config_else_the_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9", other_contexts=("staging",))
    assert resolve_context(ClusterConfig(kubeconfig=str(kubeconfig))) == "kmock"
    assert resolve_context(ClusterConfig(kubeconfig=str(kubeconfig), context="staging")) == "staging"
    assert resolve_context(ClusterConfig(kubeconfig="in-cluster")) == "in-cluster"
    # Unreadable now: unnamed, and the first call says why (as every call does).
    assert resolve_context(ClusterConfig(kubeconfig=str(tmp_path / "missing"))) == ""
    broken = tmp_path / "broken"
    broken.write_text("{not: [yaml")
    assert resolve_context(ClusterConfig(kubeconfig=str(broken))) == ""
    no_current = tmp_path / "no-current"
    doc = json.loads(kubeconfig.read_text())
    del doc["current-context"]
    no_current.write_text(json.dumps(doc))
    assert resolve_context(ClusterConfig(kubeconfig=str(no_current))) == ""


async def test_calls_stay_on_the_context_named_at_build_time(kmock: Any, tmp_path: Path) -> None:
    # Two contexts: "kmock" reaches the API server, "elsewhere" a port where nothing listens.
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url))
    doc = json.loads(kubeconfig.read_text())
    doc["clusters"].append({"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}})
    doc["contexts"].append({"name": "elsewhere", "context": {"cluster": "dead", "user": "tester"}})
    kubeconfig.write_text(json.dumps(doc))
    declare_resources(kmock)
    seed(kmock, deployment("web", replicas=2))
    ctl = KubernetesControl(ClusterConfig(kubeconfig=str(kubeconfig), timeout_s=2))
    assert ctl.context == "kmock"
    # Someone switches the current context after warroom started.
    doc["current-context"] = "elsewhere"
    kubeconfig.write_text(json.dumps(doc))
    assert await ctl.scale("shop", "web", 3) == "deployment.apps/web scaled"
    assert ctl.context == "kmock"
    dep = stored(kmock, "Deployment", "shop", "web")
    assert dep is not None and dep["spec"]["replicas"] == 3
    await ctl.close()
