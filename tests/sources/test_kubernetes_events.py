"""Events watched like the pods, against the project's API server: each as `kubectl get events`
lists it (its reason, count and last seen), in the order `kubectl get events
--sort-by=.lastTimestamp` prints them read from the bottom (the real kubectl, same server), the
events of one pod or one workload, a namespace's warnings, and a cache that keeps the newest of
each namespace while events churn."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.servers.needs import program
from tui.config.schema import ClusterConfig
from tui.core.model import ClusterSnapshot
from tui.domain.kube_events import about, newest_first, warnings_in
from tui.sources.base import SourceError
from tui.sources.kubernetes.events import event_info
from tui.sources.kubernetes.pods import KubernetesSource

Make = Callable[..., KubernetesSource]
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def watching(apiserver: ApiServer, tmp_path: Path) -> AsyncIterator[Make]:
    made: list[KubernetesSource] = []

    def make(**kwargs: Any) -> KubernetesSource:
        path = tmp_path / f"kubeconfig-{len(made)}"
        apiserver.kubeconfig(path)
        made.append(KubernetesSource(ClusterConfig(kubeconfig=str(path), namespaces=("*",)), **kwargs))
        return made[-1]

    yield make
    for source in made:
        await source.close()


async def snapshot_where(
    src: KubernetesSource, check: Callable[[ClusterSnapshot], Any], timeout_s: float = 10.0
) -> ClusterSnapshot:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            snap = await src.poll()
            if check(snap):
                return snap
        except SourceError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no such snapshot within {timeout_s:g} s")
        await asyncio.sleep(0.02)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def an_incident(api: ApiServer) -> dict[str, Any]:
    web1, web2 = kube.pod("web-1", app="web"), kube.pod("web-2", state="crashloop", restarts=7, app="web")
    dep = kube.deployment("web")
    api.seed(web1, web2, dep, kube.pod("db-0", "data", state="pending"))
    api.event(
        web2,
        "BackOff",
        "Back-off restarting failed container app in pod web-2",
        type="Warning",
        count=7,
        first=ago(600),
        last=ago(120),
    )
    api.event(
        web2,
        "Pulled",
        'Container image "registry.example/app:1.0" already present',
        count=8,
        first=ago(600),
        last=ago(125),
    )
    api.event(
        web1,
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        type="Warning",
        count=3,
        first=ago(90),
        last=ago(30),
    )
    api.event(
        dep,
        "ScalingReplicaSet",
        "Scaled up replica set web-7d4b9c8f6 to 3",
        first=ago(900),
        last=ago(900),
        component="deployment-controller",
    )
    api.event(
        kube.pod("db-0", "data"),
        "FailedScheduling",
        "0/3 nodes are available: 3 Insufficient memory.",
        type="Warning",
        count=12,
        first=ago(1800),
        last=ago(10),
        component="default-scheduler",
    )
    return web2


async def test_events_as_kubectl_lists_them(apiserver: ApiServer, watching: Make, tmp_path: Path) -> None:
    web2 = an_incident(apiserver)
    src = watching()
    snap = await snapshot_where(src, lambda s: len(s.events) == 5)
    backoff = next(e for e in snap.events if e.reason == "BackOff")
    assert (backoff.kind, backoff.object, backoff.namespace, backoff.type, backoff.count) == (
        "Pod",
        "web-2",
        "shop",
        "Warning",
        7,
    )
    assert backoff.last_at == ago(120) and backoff.first_at == ago(600) and backoff.component == "kubelet"

    # The pod's: warnings first, the newest first; the workload's own; a namespace's warnings.
    assert [e.reason for e in about(snap.events, "shop", {"Pod": {"web-2"}})] == ["BackOff", "Pulled"]
    assert [e.reason for e in about(snap.events, "shop", {"Deployment": {"web"}})] == ["ScalingReplicaSet"]
    assert [e.reason for e in warnings_in(snap.events)] == ["FailedScheduling", "Unhealthy", "BackOff"]
    assert [e.reason for e in warnings_in(snap.events, {"shop"})] == ["Unhealthy", "BackOff"]

    # The order is kubectl's: `get events --sort-by=.lastTimestamp`, read from the bottom.
    kubectl = program("kubectl", "the Debian package kubernetes-client or a cloud SDK provides it")
    config = apiserver.kubeconfig(tmp_path / "kubectl-config")
    done = subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            str(config),
            "get",
            "events",
            "-A",
            "--sort-by=.lastTimestamp",
            "-o",
            "name",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert done.returncode == 0, done.stderr
    theirs = [line.removeprefix("event/") for line in done.stdout.split()]
    ours = [e.name for e in sorted(snap.events, key=lambda e: e.last_at or NOW, reverse=True)]
    assert ours == theirs[::-1]
    assert [e.name for e in newest_first(list(snap.events)) if e.warning] == [
        n for n in theirs[::-1] if n in {e.name for e in snap.events if e.warning}
    ]

    # It happens again: the count and the last seen move through the watch.
    apiserver.mutate(
        "events",
        "shop",
        backoff.name,
        lambda ev: ev.update(count=8, lastTimestamp=NOW.strftime("%Y-%m-%dT%H:%M:%SZ")),
    )
    again = await snapshot_where(src, lambda s: any(e.reason == "BackOff" and e.count == 8 for e in s.events))
    assert next(e for e in again.events if e.reason == "BackOff").last_at == NOW
    assert web2["metadata"]["name"] == "web-2"


async def test_churn_keeps_the_newest_of_each_namespace(apiserver: ApiServer, watching: Make) -> None:
    """A crash-looping pod reporting every few seconds, 300 times: the cache keeps the newest
    `events_kept` of its namespace, and another namespace's events stay."""
    pod, other = kube.pod("web-2", state="crashloop"), kube.pod("db-0", "data", state="pending")
    apiserver.seed(pod, other)
    apiserver.event(other, "FailedScheduling", "0/3 nodes are available", type="Warning", last=ago(3600))
    src = watching(events_kept=50)
    await snapshot_where(src, lambda s: len(s.events) == 1)
    for i in range(300):
        apiserver.event(pod, "BackOff", f"Back-off {i}", type="Warning", last=ago(300 - i))
    snap = await snapshot_where(src, lambda s: any(e.message == "Back-off 299" for e in s.events))
    shop = [e for e in snap.events if e.namespace == "shop"]
    assert len(shop) <= 50 + max(32, 50 // 4)  # pruned in steps, never far past the bound
    (reflector,) = src.events
    assert reflector.pruned >= 300 - len(shop)
    newest = sorted((e for e in shop), key=lambda e: e.last_at or NOW, reverse=True)
    assert newest[0].message == "Back-off 299"
    assert {e.message for e in shop} >= {f"Back-off {i}" for i in range(250, 300)}  # the newest 50 all there
    assert [e.reason for e in snap.events if e.namespace == "data"] == ["FailedScheduling"]


def test_an_event_of_events_k8s_io_is_read_too() -> None:
    """An event written through events.k8s.io/v1 has no lastTimestamp nor count in core/v1:
    its series says when it was last seen and how often."""
    ev = event_info(
        {
            "metadata": {"namespace": "shop", "name": "web-2.17f3"},
            "involvedObject": {"kind": "Pod", "name": "web-2"},
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "type": "Warning",
            "eventTime": "2026-12-04T04:00:00.000000Z",
            "series": {"count": 9, "lastObservedTime": "2026-12-04T04:05:00.000000Z"},
            "reportingComponent": "kubelet",
        }
    )
    assert (ev.count, ev.last_at, ev.component) == (9, datetime(2026, 12, 4, 4, 5, tzinfo=UTC), "kubelet")
    assert ev.first_at == datetime(2026, 12, 4, 4, 0, tzinfo=UTC)
    # Junk reads as absent, never raises.
    junk = event_info({"metadata": [], "count": "7", "lastTimestamp": 5, "involvedObject": None})
    assert (junk.count, junk.last_at, junk.kind, junk.type) == (1, None, "", "Normal")
