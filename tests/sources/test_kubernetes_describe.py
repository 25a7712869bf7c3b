"""`enter` on a pod reads it once, as `kubectl describe pod` does: its containers' states, last
states with reason and exit code, restarts and images, conditions and owner, against the
project's API server; a refusal is one line. And a workload's revisions: the one `kubectl rollout
undo` goes back to is the one warroom names (the real kubectl undoes it on the same server)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer, rule
from tests.servers.needs import program
from tui.config.schema import ClusterConfig
from tui.core.model import ClusterSnapshot
from tui.domain.revisions import revision_history, undo_target
from tui.sources.base import SourceError
from tui.sources.kubernetes.describe import pod_description
from tui.sources.kubernetes.pods import KubernetesSource

Make = Callable[..., KubernetesSource]


@pytest.fixture
async def sources(tmp_path: Path) -> AsyncIterator[Callable[[ApiServer], Make]]:
    made: list[KubernetesSource] = []

    def on(api: ApiServer) -> Make:
        def make(token: str | None = None) -> KubernetesSource:
            path = tmp_path / f"kubeconfig-{len(made)}"
            api.kubeconfig(path, **({"token": token} if token else {}))
            made.append(KubernetesSource(ClusterConfig(kubeconfig=str(path))))
            return made[-1]

        return make

    yield on
    for source in made:
        await source.close()


async def test_a_pod_described_as_kubectl_describes_it(
    apiserver: ApiServer, sources: Callable[[ApiServer], Make]
) -> None:
    rs = kube.replicaset(kube.deployment("web"), "7d4b9c8f6", revision=1, image="registry.example/app:1.0")
    crashing = kube.pod("web-7d4b9c8f6-x2k4p", state="crashloop", restarts=7, app="web")
    crashing["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": rs["metadata"]["name"],
            "uid": "u1",
            "controller": True,
        }
    ]
    apiserver.seed(crashing)
    src = sources(apiserver)()
    desc = await src.describe_pod("shop", "web-7d4b9c8f6-x2k4p")
    (app,) = desc.containers
    assert (app.name, app.state, app.reason, app.restarts, app.ready) == (
        "app",
        "Waiting",
        "CrashLoopBackOff",
        7,
        False,
    )
    assert (app.last_state, app.last_reason, app.last_exit_code) == ("Terminated", "Error", 1)
    assert app.image == crashing["spec"]["containers"][0]["image"]
    assert desc.owner == "ReplicaSet/web-7d4b9c8f6"
    assert {c.type for c in desc.conditions} >= {"Ready"}
    assert desc == pod_description(apiserver.get("pods", "shop", "web-7d4b9c8f6-x2k4p") or {})

    with pytest.raises(SourceError, match="pod shop/nope is gone"):
        await src.describe_pod("shop", "nope")
    # Allowed to list and watch pods, not to get one: one line.
    apiserver.rbac.grant("lister", "lister", rule(("list", "watch"), "pods", "shop"))
    with pytest.raises(SourceError) as err:
        await sources(apiserver)(token="lister").describe_pod("shop", "web-7d4b9c8f6-x2k4p")
    assert str(err.value) == "forbidden (RBAC: get pods in shop)"


def test_an_init_container_and_junk() -> None:
    desc = pod_description(
        {
            "metadata": {"namespace": "shop", "name": "ledger-0"},
            "spec": {
                "initContainers": [{"name": "migrate", "image": "ledger-migrate:4"}],
                "containers": [{"name": "app", "image": "ledger:4"}],
            },
            "status": {
                "initContainerStatuses": [
                    {
                        "name": "migrate",
                        "restartCount": 4,
                        "state": {
                            "terminated": {
                                "reason": "OOMKilled",
                                "exitCode": 137,
                                "finishedAt": "2026-12-04T04:00:00Z",
                            }
                        },
                    }
                ],
                "containerStatuses": "junk",
            },
        }
    )
    migrate, app = desc.containers
    assert (migrate.init, migrate.state, migrate.reason, migrate.exit_code, migrate.restarts) == (
        True,
        "Terminated",
        "OOMKilled",
        137,
        4,
    )
    assert (app.init, app.state, app.image) == (False, "", "ledger:4")  # no status yet: the spec's image
    assert pod_description({"metadata": None, "spec": [], "status": 3}).containers == ()


async def snapshot_where(src: KubernetesSource, check: Callable[[ClusterSnapshot], Any]) -> ClusterSnapshot:
    deadline = time.monotonic() + 15
    while True:
        try:
            snap = await src.poll()
            if check(snap):
                return snap
        except SourceError:
            pass
        assert time.monotonic() < deadline, "no such snapshot"
        await asyncio.sleep(0.02)


async def test_the_undo_goes_back_where_warroom_says(
    apiserver_with_controllers: ApiServer, sources: Callable[[ApiServer], Make], tmp_path: Path
) -> None:
    api = apiserver_with_controllers
    dep = kube.deployment("web", image="shop/web:1.0")
    del dep["status"]
    api.seed(dep, kube.statefulset("redis", replicas=1, image="redis:7.2"))
    src = sources(api)()
    await snapshot_where(src, lambda s: any(d.rollout == "complete" for d in s.deployments))
    for tag in ("1.1", "1.2"):
        api.patch(
            "deployments",
            "shop",
            "web",
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": f"shop/web:{tag}"}]}}}},
        )
        await snapshot_where(
            src,
            lambda s, tag=tag: any(
                d.image == f"shop/web:{tag}" and d.rollout == "complete" for d in s.deployments
            ),
        )
    api.patch(
        "statefulsets",
        "shop",
        "redis",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "redis:7.4"}]}}}},
    )
    snap = await snapshot_where(
        src,
        lambda s: (
            len(revision_history(s.revisions, "shop", "web")) == 3
            and len(revision_history(s.revisions, "shop", "redis", "statefulset")) == 2
            and all(w.rollout == "complete" for w in (*s.deployments, *s.statefulsets))
        ),
    )
    history = revision_history(snap.revisions, "shop", "web")
    assert [(r.revision, r.image) for r in history] == [
        (3, "shop/web:1.2"),
        (2, "shop/web:1.1"),
        (1, "shop/web:1.0"),
    ]
    back = undo_target(snap.revisions, "shop", "web", "deployment")
    assert back is not None and (back.revision, back.image) == (2, "shop/web:1.1")
    redis_back = undo_target(snap.revisions, "shop", "redis", "statefulset")
    assert redis_back is not None and (redis_back.revision, redis_back.image) == (1, "redis:7.2")
    assert undo_target(snap.revisions, "shop", "nope") is None

    # The real kubectl undoes to that very revision.
    kubectl = program("kubectl", "the Debian package kubernetes-client or a cloud SDK provides it")
    config = api.kubeconfig(tmp_path / "kubectl-config")
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for ref in ("deployment/web", "statefulset/redis"):
        done = subprocess.run(
            [kubectl, "--kubeconfig", str(config), "-n", "shop", "rollout", "undo", ref],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert done.returncode == 0, done.stderr
    web = api.get("deployments", "shop", "web") or {}
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == back.image
    redis = api.get("statefulsets", "shop", "redis") or {}
    assert redis["spec"]["template"]["spec"]["containers"][0]["image"] == redis_back.image
