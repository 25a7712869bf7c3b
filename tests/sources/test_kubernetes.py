"""The Kubernetes adapter: the real `kubernetes` client (sync, in threads via the adapter) against
kmock served over real HTTP on 127.0.0.1, configured by a kubeconfig file with a bearer token."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import kmock as kmock_lib
import pytest

from tests.servers.kube import (
    CREATED,
    TOKEN,
    declare_resources,
    deployment,
    pod,
    replicaset,
    seed,
    stored,
    write_kubeconfig,
)
from tests.timebase import T0
from tui.config.schema import ClusterConfig, LogConfig
from tui.core.clock import FrozenClock
from tui.core.model import PodInfo
from tui.sources.base import SourceError
from tui.sources.kubernetes.control import RESTARTED_AT, KubernetesControl
from tui.sources.kubernetes.logs import KubernetesLogSource
from tui.sources.kubernetes.pods import KubernetesSource
from tui.sources.kubernetes.status import REVISION
from tui.sources.logs.lines import MAX_LINE_BYTES


@dataclass
class Cluster:
    kmock: Any
    kubeconfig: Path
    host: str

    def config(self, **kw: Any) -> ClusterConfig:
        return ClusterConfig(kubeconfig=str(self.kubeconfig), **kw)


@pytest.fixture
async def cluster(kmock: Any, tmp_path: Path) -> Cluster:
    declare_resources(kmock)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(kmock.url), other_contexts=("staging",))
    return Cluster(kmock, kubeconfig, f"{kmock.url.host}:{kmock.url.port}")


def requests(kmock: Any) -> list[Any]:
    return list(kmock)


@pytest.fixture
async def watching() -> AsyncIterator[Callable[[ClusterConfig], KubernetesSource]]:
    """Build sources that are closed (their watch threads stopped) when the test ends."""
    made: list[KubernetesSource] = []

    def make(cfg: ClusterConfig) -> KubernetesSource:
        made.append(KubernetesSource(cfg))
        return made[-1]

    yield make
    for source in made:
        await source.close()


async def _until_changed(src: KubernetesSource, last: Any, timeout_s: float = 5.0) -> Any:
    """Poll as the app does until the source hands back a snapshot other than `last`."""
    deadline = time.monotonic() + timeout_s
    while (snap := await src.poll()) is last:
        if time.monotonic() > deadline:
            pytest.fail(f"no new snapshot within {timeout_s:g} s")
        await asyncio.sleep(0.02)
    return snap


async def _write(cluster: Cluster, method: str, path: str, body: Any = None) -> None:
    """Change the cluster through its API, as kubectl would: kmock tells its watches only then."""
    async with httpx.AsyncClient(base_url=str(cluster.kmock.url)) as http:
        headers = {"Content-Type": "application/merge-patch+json"} if method == "patch" else {}
        reply = await http.request(method.upper(), path, json=body, headers=headers)
        assert reply.status_code < 300, reply.text


def _at_version(obj: dict[str, Any], version: int) -> dict[str, Any]:
    """The object as written again: a real API server moves its resourceVersion (kmock keeps it)."""
    obj["metadata"]["resourceVersion"] = str(version)
    return obj


# What the pods source lists and watches beside the pods.
WORKLOAD_RESOURCES = ("deployments", "statefulsets", "replicasets", "controllerrevisions")
CORE_RESOURCES = ("pods", "events")


def _gets(kmock: Any) -> list[tuple[str, str]]:
    gets = [r for r in kmock if str(r.method).lower().endswith("get")]
    return sorted((r.url.path, "watch" if r.params.get("watch") == "true" else "list") for r in gets)


async def _lists_and_watches(kmock: Any, expected: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(path, "watch" or "list") of every GET, in a stable order (the watches run side by side),
    once they are `expected` or after a second (kmock records a request a moment after serving it)."""
    deadline = time.monotonic() + 1.0
    while (seen := _gets(kmock)) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return seen


# ---- the pods panel ------------------------------------------------------------------------------


def _web_objects() -> list[dict[str, Any]]:
    web = deployment("web", replicas=3, ready=1, revision=2, image="registry.example/web:2.0")
    rs = replicaset(web, "7d4b9c8f6", revision=2, image="registry.example/web:2.0", replicas=3)
    api = deployment("api", replicas=1, ready=1)
    two = pod(
        "api-5f6d7c8b9-xk2lp",
        app="api",
        replicaset_name="api-5f6d7c8b9",
        template_hash="5f6d7c8b9",
        containers=("app", "sidecar"),
        restarts=1,
    )
    two["status"]["containerStatuses"][1]["ready"] = False  # 1/2 ready
    return [
        web,
        rs,
        api,
        pod(
            "web-7d4b9c8f6-abcde",
            app="web",
            replicaset_name="web-7d4b9c8f6",
            template_hash="7d4b9c8f6",
            created=CREATED + timedelta(minutes=1),
        ),
        # no pod-template-hash label: the deployment is still found from the ReplicaSet's name
        pod("web-7d4b9c8f6-fghij", state="crashloop", restarts=7, replicaset_name="web-7d4b9c8f6"),
        pod("worker-0", state="pending", app="worker"),
        two,
        pod("billing-0", "pay", app="billing"),
    ]


async def test_snapshot_shows_pods_and_deployments_as_kubectl_does(cluster: Cluster, watching: Any) -> None:
    seed(cluster.kmock, *_web_objects())
    src = watching(cluster.config())
    snap = await src.poll()

    assert snap.context == "kmock"
    assert snap.pods == (
        PodInfo(
            "shop",
            "api-5f6d7c8b9-xk2lp",
            "api",
            "Running",
            1,
            2,
            2,
            CREATED,
            "node-1",
            phase="Running",
            workload_kind="Deployment",  # its owner is a ReplicaSet
        ),
        PodInfo(
            "shop",
            "web-7d4b9c8f6-abcde",
            "web",
            "Running",
            1,
            1,
            0,
            CREATED + timedelta(minutes=1),
            "node-1",
            phase="Running",
            workload_kind="Deployment",
        ),
        PodInfo(
            "shop",
            "web-7d4b9c8f6-fghij",
            "web",
            "CrashLoopBackOff",
            0,
            1,
            7,
            CREATED,
            "node-1",
            phase="Running",
            workload_kind="Deployment",
        ),
        PodInfo("shop", "worker-0", "worker", "Pending", 0, 1, 0, CREATED, "", phase="Pending"),
    )  # the context's namespace only: billing-0 in "pay" is not asked for
    assert [(d.name, d.replicas, d.ready, d.available, d.revision, d.image) for d in snap.deployments] == [
        ("api", 1, 1, 1, 1, "registry.example/app:1.0"),
        ("web", 3, 1, 1, 2, "registry.example/web:2.0"),
    ]
    assert snap.problems == ()
    # One list of each, then a watch of each from the list's resourceVersion, with bookmarks.
    seen = requests(cluster.kmock)
    expected = sorted(  # the workloads view's resources too
        [(f"/api/v1/namespaces/shop/{r}", w) for r in CORE_RESOURCES for w in ("list", "watch")]
        + [(f"/apis/apps/v1/namespaces/shop/{r}", w) for r in WORKLOAD_RESOURCES for w in ("list", "watch")]
    )
    assert await _lists_and_watches(cluster.kmock, expected) == expected
    assert all(r.params.get("allowWatchBookmarks") == "true" for r in seen if r.params.get("watch"))
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in seen)

    # Nothing changed: the very same snapshot, and no list (a watch kmock ended may be opened
    # again meanwhile: that is a watch, not a poll; under load it happened once in a full run).
    assert await src.poll() is snap
    assert [r for r in requests(cluster.kmock)[len(seen) :] if not r.params.get("watch")] == []

    # A change reaches the next snapshot through the watch, without a list; the pods that did
    # not change are the same objects as before (converted once).
    await _write(cluster, "patch", "/api/v1/namespaces/shop/pods/worker-0", _at_version(pod("worker-0"), 2))
    again = await _until_changed(src, snap)
    assert [p.status for p in again.pods if p.name == "worker-0"] == ["Running"]
    assert all(a is b for a, b in zip(again.pods[:3], snap.pods[:3], strict=True))
    assert [path for path, what in _gets(cluster.kmock) if what == "list"] == sorted(
        [f"/api/v1/namespaces/shop/{r}" for r in CORE_RESOURCES]
        + [f"/apis/apps/v1/namespaces/shop/{r}" for r in WORKLOAD_RESOURCES]
    )

    # A deletion too.
    await _write(cluster, "delete", "/api/v1/namespaces/shop/pods/worker-0")
    gone = await _until_changed(src, again)
    assert "worker-0" not in [p.name for p in gone.pods]


async def test_namespaces_come_from_the_config_else_the_context(cluster: Cluster, watching: Any) -> None:
    seed(cluster.kmock, *_web_objects(), pod("dns-0", "default", app="dns"))
    several = watching(cluster.config(namespaces=("pay", "shop", "pay")))
    snap = await several.poll()
    assert [p.key for p in snap.pods] == [
        "pay/billing-0",
        "shop/api-5f6d7c8b9-xk2lp",
        "shop/web-7d4b9c8f6-abcde",
        "shop/web-7d4b9c8f6-fghij",
        "shop/worker-0",
    ]  # each namespace once
    # A context that names no namespace means "default", as for kubectl.
    staging = watching(cluster.config(context="staging"))
    snap = await staging.poll()
    assert (snap.context, [p.key for p in snap.pods]) == ("staging", ["default/dns-0"])


async def test_all_namespaces_is_one_cluster_wide_list_and_watch(cluster: Cluster, watching: Any) -> None:
    seed(cluster.kmock, *_web_objects(), pod("dns-0", "default", app="dns"))
    src = watching(cluster.config(namespaces=("*",)))
    snap = await src.poll()
    assert [p.key for p in snap.pods] == [
        "default/dns-0",
        "pay/billing-0",
        "shop/api-5f6d7c8b9-xk2lp",
        "shop/web-7d4b9c8f6-abcde",
        "shop/web-7d4b9c8f6-fghij",
        "shop/worker-0",
    ]
    expected = sorted(
        [(f"/api/v1/{r}", w) for r in CORE_RESOURCES for w in ("list", "watch")]
        + [(f"/apis/apps/v1/{r}", w) for r in WORKLOAD_RESOURCES for w in ("list", "watch")]
    )
    assert await _lists_and_watches(cluster.kmock, expected) == expected
    # A pod created in a namespace nobody named arrives through the same watch.
    await _write(cluster, "post", "/api/v1/namespaces/batch/pods", pod("job-1", "batch", app="job"))
    later = await _until_changed(src, snap)
    assert "batch/job-1" in [p.key for p in later.pods]


async def test_a_selector_goes_to_the_server_and_is_applied_here_too(cluster: Cluster, watching: Any) -> None:
    seed(cluster.kmock, *_web_objects())
    src = watching(cluster.config(selector="app=web,tier!=db"))
    snap = await src.poll()
    # kmock ignores labelSelector (tech-facts §3): the two web pods are what the source keeps.
    assert [p.name for p in snap.pods] == ["web-7d4b9c8f6-abcde"]  # the other has no app label
    pod_gets = [r for r in cluster.kmock if r.url.path == "/api/v1/namespaces/shop/pods"]
    assert {r.params.get("labelSelector") for r in pod_gets} == {"app=web,tier!=db"}

    # The deployments are not filtered: the panel finds a pod's deployment by its owner.
    assert [d.name for d in snap.deployments] == ["api", "web"]
    # A pod that loses the label leaves.
    await _write(
        cluster,
        "patch",
        "/api/v1/namespaces/shop/pods/web-7d4b9c8f6-abcde",
        {"metadata": {"labels": {"app": "other"}, "resourceVersion": "2"}},
    )
    later = await _until_changed(src, snap)
    assert later.pods == ()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does, into the backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


async def test_an_unreachable_api_server_is_one_line(tmp_path: Path, silent_port: int, watching: Any) -> None:
    port = _free_port()
    refused = write_kubeconfig(tmp_path / "refused", f"http://127.0.0.1:{port}")
    with pytest.raises(SourceError) as err:
        await watching(ClusterConfig(kubeconfig=str(refused), timeout_s=2)).poll()
    assert str(err.value) == f"connection refused (127.0.0.1:{port})"

    silent = write_kubeconfig(tmp_path / "silent", f"http://127.0.0.1:{silent_port}")
    with pytest.raises(SourceError) as err:
        await watching(ClusterConfig(kubeconfig=str(silent), timeout_s=0.2)).poll()
    assert str(err.value) == f"no answer from 127.0.0.1:{silent_port} in 0.2 s"


async def test_a_bad_kubeconfig_or_context_is_a_clear_error(
    cluster: Cluster, tmp_path: Path, watching: Any
) -> None:
    seed(cluster.kmock, pod("web-0", app="web"))
    missing = tmp_path / "nope" / "config"
    with pytest.raises(SourceError) as err:
        await watching(ClusterConfig(kubeconfig=str(missing))).poll()
    assert str(err.value) == f"kubeconfig not found: {missing}"

    src = watching(cluster.config(context="prod"))
    with pytest.raises(SourceError) as err:
        await src.poll()
    assert (
        str(err.value) == f"kubeconfig {cluster.kubeconfig}: no context named 'prod' (have: kmock, staging)"
    )

    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n  - name: x\n    cluster: {server: ")
    with pytest.raises(SourceError) as err:
        await watching(ClusterConfig(kubeconfig=str(broken))).poll()
    assert str(err.value).startswith("kubeconfig: ")
    assert "\n" not in str(err.value)

    no_current = tmp_path / "no-current"
    no_current.write_text(cluster.kubeconfig.read_text().replace('"current-context": "kmock"', '"x": 1'))
    with pytest.raises(SourceError, match="no current-context, and none configured"):
        await watching(ClusterConfig(kubeconfig=str(no_current))).poll()
    # ... which is no problem when the config names the context (kubectl --context).
    named = watching(ClusterConfig(kubeconfig=str(no_current), context="kmock"))
    assert [p.name for p in (await named.poll()).pods] == ["web-0"]

    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(SourceError) as err:
        await watching(ClusterConfig(kubeconfig=str(empty))).poll()
    assert str(err.value).startswith("kubeconfig: Invalid kube-config. ")

    # A kubeconfig that is fixed is picked up on the next cycle.
    late = tmp_path / "late"
    later = watching(ClusterConfig(kubeconfig=str(late)))
    with pytest.raises(SourceError, match="kubeconfig not found"):
        await later.poll()
    write_kubeconfig(late, str(cluster.kmock.url))
    assert [p.name for p in (await later.poll()).pods] == ["web-0"]


async def test_api_errors_are_one_line(cluster: Cluster, watching: Any) -> None:
    kmock = cluster.kmock
    seed(kmock, pod("web-0", app="web"))
    forbidden = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": 'pods is forbidden: User "oncall" cannot list\nresource "pods"',
        "reason": "Forbidden",
        "code": 403,
    }
    kmock["get /api/v1/namespaces/locked/pods"] << 403 << forbidden
    with pytest.raises(SourceError) as err:
        await watching(cluster.config(namespaces=("locked",))).poll()
    assert str(err.value) == "forbidden (RBAC: list pods in locked)"

    (
        kmock["get /api/v1/namespaces/pay/pods"]
        << 401
        << {"kind": "Status", "code": 401, "message": "Unauthorized"}
    )
    with pytest.raises(SourceError) as err:
        await watching(cluster.config(namespaces=("pay",))).poll()
    assert str(err.value) == "401 Unauthorized: the API server rejected the kubeconfig's credentials"

    (
        kmock["get /api/v1/namespaces/proxy/pods"]
        << kmock_lib.headers({"Content-Type": "text/html"})
        << b"<html>SSO"
    )
    with pytest.raises(SourceError) as err:
        await watching(cluster.config(namespaces=("proxy",))).poll()
    assert str(err.value) == f"{cluster.host} did not answer with Kubernetes JSON"


async def test_a_forbidden_resource_leaves_the_rest_shown(cluster: Cluster, watching: Any) -> None:
    """A 403 on deployments (RBAC lets on-call list pods only) leaves the pods shown and says what
    is missing; a 403 on the pods of one namespace of several leaves the others."""
    kmock = cluster.kmock
    seed(kmock, pod("web-0", app="web"), deployment("web"), pod("billing-0", "pay", app="billing"))
    refusal = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403}
    kmock["get /apis/apps/v1/namespaces/shop/deployments"] << 403 << refusal
    kmock["get /api/v1/namespaces/locked/pods"] << 403 << refusal
    src = watching(cluster.config(namespaces=("shop", "locked", "pay")))
    snap = await src.poll()
    assert [p.key for p in snap.pods] == ["pay/billing-0", "shop/web-0"]
    assert snap.deployments == ()
    assert snap.problems == (
        "pods: forbidden (RBAC: list pods in locked)",
        "deployments: forbidden (RBAC: list deployments in shop)",
    )
    assert await src.poll() is snap  # and it stays so, without asking again at each look


# ---- the mitigations -----------------------------------------------------------------------------


async def test_rollout_restart_patches_the_template_annotation(cluster: Cluster) -> None:
    seed(cluster.kmock, deployment("web"))
    ctl = KubernetesControl(cluster.config(), FrozenClock(T0))
    assert ctl.context == "kmock"  # the current context, named from the kubeconfig at build time
    assert await ctl.rollout_restart("shop", "web") == "deployment.apps/web restarted"
    assert ctl.context == "kmock"
    dep = stored(cluster.kmock, "Deployment", "shop", "web")
    assert dep is not None
    assert dep["spec"]["template"]["metadata"]["annotations"] == {RESTARTED_AT: "2026-11-23T03:00:00Z"}
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/app:1.0"  # merged
    patch = requests(cluster.kmock)[-1]
    assert (patch.method.value, patch.url.path) == ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web")
    assert patch.headers["Content-Type"] == "application/strategic-merge-patch+json"

    with pytest.raises(SourceError, match=r"^404 "):
        await ctl.rollout_restart("shop", "nope")
    await ctl.close()


async def test_scale_patches_the_replicas(cluster: Cluster) -> None:
    seed(cluster.kmock, deployment("web", replicas=3))
    ctl = KubernetesControl(cluster.config())
    assert await ctl.scale("shop", "web", 5) == "deployment.apps/web scaled"
    dep = stored(cluster.kmock, "Deployment", "shop", "web")
    assert dep is not None and dep["spec"]["replicas"] == 5
    assert requests(cluster.kmock)[-1].url.path == "/apis/apps/v1/namespaces/shop/deployments/web/scale"
    with pytest.raises(SourceError, match="replicas must be 0 or more, got -1"):
        await ctl.scale("shop", "web", -1)
    assert len(requests(cluster.kmock)) == 1  # refused before any request
    await ctl.close()


async def test_delete_pod(cluster: Cluster) -> None:
    seed(cluster.kmock, pod("web-0", app="web"), pod("web-1", app="web"))
    ctl = KubernetesControl(cluster.config())
    assert await ctl.delete_pod("shop", "web-0") == 'pod "web-0" deleted'
    assert stored(cluster.kmock, "Pod", "shop", "web-0") is None
    assert stored(cluster.kmock, "Pod", "shop", "web-1") is not None
    with pytest.raises(SourceError, match=r"^404 Not Found: "):
        await ctl.delete_pod("shop", "web-0")
    await ctl.close()


async def test_a_dry_run_asks_the_server_with_dryRun_All(cluster: Cluster) -> None:
    seed(cluster.kmock, *_history("registry.example/web:2.0"), pod("web-0", app="web"))
    ctl = KubernetesControl(cluster.config(), FrozenClock(T0))
    # (kmock ignores dryRun and applies each patch: the undo goes first, before the restart's.)
    assert await ctl.rollout_undo("shop", "web", dry_run=True) == (
        "server dry run: deployment shop/web would be rolled back to revision 1 (registry.example/web:1.0)"
    )
    assert await ctl.rollout_restart("shop", "web", dry_run=True) == (
        "server dry run: deployment shop/web would be restarted (revision 2 → 3)"
    )
    assert await ctl.scale("shop", "web", 5, dry_run=True) == (
        "server dry run: deployment shop/web would be scaled from 3 to 5 replicas"
    )
    deleted = await ctl.delete_pod("shop", "web-0", dry_run=True)
    assert deleted == "server dry run: pod shop/web-0 would be deleted"
    writes = [r for r in requests(cluster.kmock) if r.method.value in ("PATCH", "DELETE")]
    assert [(r.method.value, r.url.path) for r in writes] == [
        ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web"),
        ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web"),
        ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale"),
        ("DELETE", "/api/v1/namespaces/shop/pods/web-0"),
    ]
    assert all(r.url.query.get("dryRun") == "All" for r in writes)
    # The real call sends no dryRun.
    await ctl.rollout_restart("shop", "web")
    assert "dryRun" not in requests(cluster.kmock)[-1].url.query
    await ctl.close()


def _history(current_image: str, *, paused: bool = False) -> list[dict[str, Any]]:
    """web at revision 2; its ReplicaSets of revisions 1 and 2, and a ReplicaSet of another
    deployment with the same labels and a higher revision (kmock, like a careless selector,
    returns it too: only the controller reference tells them apart)."""
    web = deployment("web", revision=2, image=current_image)
    web["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    if paused:
        web["spec"]["paused"] = True
    old = replicaset(web, "5c9f8d7b6", revision=1, image="registry.example/web:1.0")
    old["metadata"]["annotations"]["kubernetes.io/change-cause"] = "deploy 1.0"
    new = replicaset(web, "7d4b9c8f6", revision=2, image="registry.example/web:2.0", replicas=3)
    other = replicaset(deployment("web-canary"), "6b8c9d4f5", revision=9, image="registry.example/web:9.9")
    other["metadata"]["labels"]["app"] = "web"
    return [web, old, new, other]


async def test_rollout_undo_goes_back_to_the_previous_revision(cluster: Cluster) -> None:
    seed(cluster.kmock, *_history("registry.example/web:2.0"))
    ctl = KubernetesControl(cluster.config())
    assert await ctl.rollout_undo("shop", "web") == "deployment.apps/web rolled back"
    dep = stored(cluster.kmock, "Deployment", "shop", "web")
    assert dep is not None
    template = dep["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "registry.example/web:1.0"
    assert template["metadata"]["labels"] == {"app": "web"}  # without the pod-template-hash
    assert dep["metadata"]["annotations"] == {
        REVISION: "2",  # kept from the deployment, as kubectl does; the controller bumps it
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "kubernetes.io/change-cause": "deploy 1.0",  # taken from the ReplicaSet
    }
    patch = requests(cluster.kmock)[-1]
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    await ctl.close()


async def test_rollout_undo_right_after_a_change_goes_back_one_step(cluster: Cluster) -> None:
    # The template was just set to 3.0 and the controller has not made its ReplicaSet yet:
    # the previous state is revision 2 (2.0), as `kubectl rollout undo` finds it, not 1.0.
    seed(cluster.kmock, *_history("registry.example/web:3.0"))
    ctl = KubernetesControl(cluster.config())
    await ctl.rollout_undo("shop", "web")
    dep = stored(cluster.kmock, "Deployment", "shop", "web")
    assert dep is not None
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/web:2.0"
    await ctl.close()


async def test_rollout_undo_without_history_or_when_paused(cluster: Cluster) -> None:
    web = deployment("web", image="registry.example/web:1.0")
    only = replicaset(web, "5c9f8d7b6", revision=1, image="registry.example/web:1.0")
    paused = _history("registry.example/web:2.0", paused=True)
    paused[0]["metadata"]["name"] = "paused"
    seed(cluster.kmock, web, only, paused[0])
    ctl = KubernetesControl(cluster.config())
    with pytest.raises(SourceError) as err:
        await ctl.rollout_undo("shop", "web")
    assert str(err.value) == 'no rollout history found for deployment "web"'
    with pytest.raises(SourceError, match=r'^deployment "paused" is paused: resume it'):
        await ctl.rollout_undo("shop", "paused")
    dep = stored(cluster.kmock, "Deployment", "shop", "web")
    assert (
        dep is not None
        and dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/web:1.0"
    )
    await ctl.close()


# ---- pod logs ------------------------------------------------------------------------------------


class Logs:
    """What kmock answers for each pod's log: a list of lines per pod, or an error to raise."""

    def __init__(self, kmock: Any, namespace: str = "shop") -> None:
        self.kmock = kmock
        self.namespace = namespace
        self.lines: dict[str, list[bytes]] = {}
        self.failing: dict[str, Exception] = {}
        self.asked: list[tuple[str, dict[str, str]]] = []

    def serve(self, pod_name: str, *lines: bytes) -> None:
        self.lines[pod_name] = list(lines)
        path = f"/api/v1/namespaces/{self.namespace}/pods/{pod_name}/log"
        (
            self.kmock[f"get {path}"]
            << kmock_lib.headers({"Content-Type": "text/plain"})
            << self._answer(pod_name)
        )

    def _answer(self, pod_name: str) -> Callable[[Any], bytes]:
        def answer(request: Any) -> bytes:
            self.asked.append((f"{pod_name}/{request.params.get('container', '')}", dict(request.params)))
            if pod_name in self.failing:
                raise self.failing[pod_name]
            return b"".join(line + b"\n" for line in self.lines[pod_name])

        return answer


def ts(seconds: float) -> bytes:
    at = T0 + timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f000Z").encode()


async def test_pod_logs_follow_the_selected_pods(cluster: Cluster) -> None:
    kmock = cluster.kmock
    seed(
        kmock,
        pod("web-a", app="web"),
        pod("web-b", state="crashloop", restarts=3, app="web"),
        pod("web-c", state="waiting", app="web"),  # no log yet: not asked
        pod("web-d", app="web", containers=("app", "proxy")),
        pod("api-x", app="api"),  # not selected (kmock ignores selectors; the adapter does not)
    )
    logs = Logs(kmock)
    logs.serve("web-a", ts(1) + b" level=info msg=started", ts(4) + b" GET / 200")
    logs.serve("web-b", ts(2) + b" panic: nil map", ts(3) + b" goroutine 1 [running]:")
    logs.serve("web-d", ts(5) + b" from both containers")
    logs.serve("api-x", ts(0) + b" not wanted")
    src = KubernetesLogSource(
        cluster.config(), LogConfig(kind="kubernetes", selector="app=web"), clock=FrozenClock(T0)
    )

    first = await src.poll()
    assert [(line.origin, line.text, line.level) for line in first.lines] == [
        ("web-a", "level=info msg=started", "info"),
        ("web-b", "panic: nil map", "error"),
        ("web-b", "goroutine 1 [running]:", None),
        ("web-a", "GET / 200", None),
        ("web-d/app", "from both containers", None),
        ("web-d/proxy", "from both containers", None),
    ]
    assert first.lines[0].at == T0 + timedelta(seconds=1)
    assert sorted(who for who, _ in logs.asked) == ["web-a/app", "web-b/app", "web-d/app", "web-d/proxy"]
    assert all(p["timestamps"] == "true" and p["tailLines"] == "100" for _, p in logs.asked)

    logs.asked.clear()
    assert (await src.poll()).lines == ()  # the overlap of the next read is dropped
    assert all("sinceSeconds" in p and "tailLines" not in p for _, p in logs.asked)

    logs.lines["web-a"] += [ts(6) + b" progress 10%\rprogress 90%\xe2\x80\xa8done", ts(6) + b" same second"]
    third = await src.poll()
    assert [line.text for line in third.lines] == ["progress 10%\rprogress 90%\u2028done", "same second"]
    assert (await src.poll()).lines == ()  # and not again, in pieces
    await src.close()


async def test_pod_logs_lose_nothing_when_one_pod_fails(cluster: Cluster) -> None:
    kmock = cluster.kmock
    seed(kmock, pod("web-a", app="web"), pod("web-b", app="web"))
    logs = Logs(kmock)
    logs.serve("web-a", ts(1) + b" a1")
    logs.serve("web-b", ts(2) + b" b2")
    src = KubernetesLogSource(
        cluster.config(), LogConfig(kind="kubernetes", selector="app=web"), clock=FrozenClock(T0)
    )
    assert [line.text for line in (await src.poll()).lines] == ["a1", "b2"]

    logs.lines["web-a"].append(ts(3) + b" a3")
    logs.failing["web-b"] = kmock_lib.KubernetesError(
        status=500, reason="InternalError", message="kubelet down"
    )
    with pytest.raises(SourceError, match=r"^500 Internal Server Error: kubelet down$"):
        await src.poll()
    del logs.failing["web-b"]
    logs.lines["web-b"].append(ts(4) + b" b4")
    assert [line.text for line in (await src.poll()).lines] == ["a3", "b4"]  # a3 was not lost
    await src.close()


async def test_pod_logs_cut_a_huge_line(cluster: Cluster) -> None:
    seed(cluster.kmock, pod("web-a", app="web"))
    logs = Logs(cluster.kmock)
    logs.serve("web-a", ts(1) + b" " + b"q" * 100_000, ts(2) + b" after")
    src = KubernetesLogSource(cluster.config(), LogConfig(kind="kubernetes", selector="app=web"))
    lines = (await src.poll()).lines
    assert [len(line.text) for line in lines][1:] == [len("after")]
    assert lines[0].text.endswith(f"… [+{len(ts(1)) + 1 + 100_000 - MAX_LINE_BYTES} bytes]")
    await src.close()


async def test_pod_logs_with_a_bad_selector_say_so(cluster: Cluster) -> None:
    src = KubernetesLogSource(cluster.config(), LogConfig(kind="kubernetes", selector="app in (web"))
    with pytest.raises(SourceError, match=r"^selector: "):
        await src.poll()
    assert requests(cluster.kmock) == []
