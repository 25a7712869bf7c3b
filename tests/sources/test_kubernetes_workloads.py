"""The workloads view's source: statefulsets, ReplicaSets and ControllerRevisions listed and
watched like the pods, against the project's API server with its controller (which rolls them
out as kube-controller-manager would): desired/ready/up-to-date/available, the revision, the
image and the rollout's state as `kubectl rollout status` decides it; a 403 on one of them
stays with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.servers import kube
from tests.servers.apiserver import VIEW, ApiServer, rule
from tui.config.schema import ClusterConfig
from tui.core.model import ClusterSnapshot, DeploymentInfo
from tui.sources.base import SourceError
from tui.sources.kubernetes.pods import KubernetesSource

Make = Callable[..., KubernetesSource]


@pytest.fixture
async def watching(tmp_path: Path) -> AsyncIterator[Callable[[ApiServer], Make]]:
    made: list[KubernetesSource] = []

    def on(api: ApiServer) -> Make:
        def make(token: str | None = None, **cfg: Any) -> KubernetesSource:
            path = tmp_path / f"kubeconfig-{len(made)}"
            api.kubeconfig(path, **({"token": token} if token else {}))
            made.append(KubernetesSource(ClusterConfig(kubeconfig=str(path), **cfg)))
            return made[-1]

        return make

    yield on
    for source in made:
        await source.close()


async def snapshot_where(
    src: KubernetesSource, check: Callable[[ClusterSnapshot], Any], timeout_s: float = 15.0
) -> ClusterSnapshot:
    deadline = time.monotonic() + timeout_s
    last: ClusterSnapshot | None = None
    while True:
        try:
            last = await src.poll()
            if check(last):
                return last
        except SourceError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no such snapshot within {timeout_s:g} s; last: {last}")
        await asyncio.sleep(0.02)


def workload(snap: ClusterSnapshot, kind: str, name: str) -> DeploymentInfo | None:
    every = snap.deployments if kind == "Deployment" else snap.statefulsets
    return next((w for w in every if w.name == name), None)


def fresh(dep: dict[str, Any], **spec: Any) -> dict[str, Any]:
    del dep["status"]  # the controller writes it
    dep["spec"].update(spec)
    return dep


async def test_a_deployment_and_a_statefulset_rolled_out_and_rolling_again(
    apiserver_with_controllers: ApiServer, watching: Callable[[ApiServer], Make]
) -> None:
    api = apiserver_with_controllers
    api.seed(fresh(kube.deployment("web", image="shop/web:1.0")), kube.statefulset("redis", replicas=2))
    src = watching(api)()

    def rolled_out(snap: ClusterSnapshot) -> bool:
        web, redis = workload(snap, "Deployment", "web"), workload(snap, "StatefulSet", "redis")
        return bool(web and redis and web.rollout == "complete" and redis.rollout == "complete")

    snap = await snapshot_where(src, rolled_out)
    web, redis = workload(snap, "Deployment", "web"), workload(snap, "StatefulSet", "redis")
    assert web is not None and redis is not None
    assert (web.replicas, web.ready, web.updated, web.available) == (3, 3, 3, 3)
    assert (web.revision, web.image, web.kind) == (1, "shop/web:1.0", "Deployment")
    assert web.strategy == "RollingUpdate (25% max unavailable, 25% max surge)"
    assert "successfully rolled out" in web.rollout_message
    assert (redis.replicas, redis.ready, redis.kind, redis.image) == (
        2,
        2,
        "StatefulSet",
        "registry.example/redis:7.2",
    )
    assert redis.revision == 1  # its updateRevision's ControllerRevision
    # The revisions: the deployment's ReplicaSet, the statefulset's ControllerRevision.
    assert {(r.owner_kind, r.owner, r.revision) for r in snap.revisions} == {
        ("Deployment", "web", 1),
        ("StatefulSet", "redis", 1),
    }

    # A new image: both roll out again (the controller steps slowly here), then complete.
    api.controller.step = 0.3  # type: ignore[union-attr]
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "shop/web:1.1"}]}}}}
    api.patch("deployments", "shop", "web", image)
    redis_image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "redis:7.4"}]}}}}
    api.patch("statefulsets", "shop", "redis", redis_image)
    moving = await snapshot_where(
        src,
        lambda s: (w := workload(s, "Deployment", "web")) and w.rollout == "progressing" and w.revision == 2,
    )
    assert workload(moving, "Deployment", "web").image == "shop/web:1.1"  # type: ignore[union-attr]
    done = await snapshot_where(
        src,
        lambda s: (
            rolled_out(s)
            and workload(s, "StatefulSet", "redis").revision == 2  # type: ignore[union-attr]
            and workload(s, "Deployment", "web").revision == 2
        ),  # type: ignore[union-attr]
    )
    assert workload(done, "StatefulSet", "redis").image == "redis:7.4"  # type: ignore[union-attr]
    history = sorted((r.revision, r.image) for r in done.revisions if r.owner == "web")
    assert history == [(1, "shop/web:1.0"), (2, "shop/web:1.1")]


async def test_a_failing_image_is_stalled_past_the_progress_deadline(
    apiserver_with_controllers: ApiServer, watching: Callable[[ApiServer], Make]
) -> None:
    api = apiserver_with_controllers
    api.seed(fresh(kube.deployment("web"), progressDeadlineSeconds=1))
    src = watching(api)()
    await snapshot_where(src, lambda s: (w := workload(s, "Deployment", "web")) and w.rollout == "complete")
    api.controller.failing_images.add("app:bad")  # type: ignore[union-attr]
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:bad"}]}}}}
    api.patch("deployments", "shop", "web", image)
    snap = await snapshot_where(
        src, lambda s: (w := workload(s, "Deployment", "web")) and w.rollout == "stalled"
    )
    web = workload(snap, "Deployment", "web")
    assert web is not None and 'deployment "web" exceeded its progress deadline' == web.rollout_message
    progressing = next(c for c in web.conditions if c.type == "Progressing")
    assert (progressing.status, progressing.reason) == ("False", "ProgressDeadlineExceeded")
    assert web.available == 3  # the old pods still serve


@pytest.mark.parametrize("forbidden", ["statefulsets", "replicasets", "events"])
async def test_a_403_on_a_workload_resource_stays_with_it(
    apiserver: ApiServer, watching: Callable[[ApiServer], Make], forbidden: str
) -> None:
    allowed = [
        r
        for r in ("pods", "deployments", "statefulsets", "replicasets", "controllerrevisions", "events")
        if r != forbidden
    ]
    apiserver.rbac.grant("viewer-token", "viewer", *(rule(VIEW, r, "shop") for r in allowed))
    apiserver.seed(kube.pod("web-1", app="web"), kube.deployment("web"))
    src = watching(apiserver)(token="viewer-token")
    snap = await snapshot_where(src, lambda s: s.problems)
    assert [p.name for p in snap.pods] == ["web-1"]  # the pods stay shown
    assert [d.name for d in snap.deployments] == ["web"]
    assert snap.problems == (f"{forbidden}: forbidden (RBAC: list {forbidden} in shop)",)
