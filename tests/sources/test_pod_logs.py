"""The logs `l` shows (tui/sources/kubernetes/pod_logs.py) against the project's API server: a
workload's pods merged in time order, a new pod followed, a deleted pod dropped, `--previous`,
the tail, and one line for each thing that cannot be read."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers import kube
from tests.servers.apiserver import VIEW, ApiServer, rule
from tui.config.schema import ClusterConfig
from tui.core.model import LogTarget, PodLogBatch
from tui.sources.base import SourceError
from tui.sources.kubernetes.pod_logs import NOTICE, PodLogSource

RS = "web-7d4b9"


def web_pod(name: str, **kw: object) -> dict:
    return kube.pod(name, app="web", replicaset_name=RS, template_hash="7d4b9", **kw)  # type: ignore[arg-type]


def source(api: ApiServer, tmp_path: Path, target: LogTarget, **kw: object) -> PodLogSource:
    cfg = ClusterConfig(kubeconfig=str(api.kubeconfig(tmp_path / "kubeconfig")), timeout_s=3)
    return PodLogSource(cfg, target, **kw)  # type: ignore[arg-type]


WEB = LogTarget("shop", "workload", "web", pod="web-7d4b9-a")


def texts(batch: PodLogBatch) -> list[str]:
    return [ln.text for ln in batch.lines]


def notices(batch: PodLogBatch) -> list[str]:
    return [ln.text for ln in batch.lines if ln.origin == NOTICE]


async def test_a_deployments_pods_merged_in_time_order(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(
        kube.deployment("web"),
        web_pod("web-7d4b9-a"),
        web_pod("web-7d4b9-b"),
        kube.pod("other-1", app="web"),  # the same labels, another owner: not web's
    )
    # Written alternately, so a read pod by pod would give a1 a2 b1 b2.
    for pod, line in (
        ("web-7d4b9-a", "a1"),
        ("web-7d4b9-b", "b1"),
        ("web-7d4b9-a", "a2"),
        ("web-7d4b9-b", "b2"),
    ):
        apiserver.append_log("shop", pod, line)
        time.sleep(0.005)
    apiserver.append_log("shop", "other-1", "not web")
    src = source(apiserver, tmp_path, WEB)
    try:
        batch = await src.poll()
        assert texts(batch) == ["a1", "b1", "a2", "b2"]
        assert [ln.origin for ln in batch.lines] == ["web-7d4b9-a", "web-7d4b9-b"] * 2
        assert batch.label == "deployment/web" and batch.pods == ("web-7d4b9-a", "web-7d4b9-b")
        # The workload's own selector went to the server (kubectl's way), read once.
        lists = [r for r in apiserver.seen if r["path"].endswith("/pods") and r["method"] == "GET"]
        assert lists[-1]["query"].get("labelSelector") == "app=web"
        apiserver.append_log("shop", "web-7d4b9-b", "b3")
        assert texts(await src.poll()) == ["b3"]  # only what is new
        assert texts(await src.poll()) == []
    finally:
        await src.close()


async def test_a_new_pod_is_followed_and_a_deleted_one_dropped(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(kube.deployment("web"), web_pod("web-7d4b9-a"))
    apiserver.append_log("shop", "web-7d4b9-a", "old pod up")
    src = source(apiserver, tmp_path, WEB)
    try:
        assert texts(await src.poll()) == ["old pod up"]
        # A rollout: a new pod comes, the old one goes.
        apiserver.seed(web_pod("web-7d4b9-c"))
        apiserver.append_log("shop", "web-7d4b9-c", "new pod up")
        batch = await src.poll()
        assert texts(batch) == ["new pod up", "web-7d4b9-c: new pod, following"]
        assert batch.pods == ("web-7d4b9-a", "web-7d4b9-c")
        apiserver.delete("pods", "shop", "web-7d4b9-a")
        apiserver.append_log("shop", "web-7d4b9-c", "still here")
        batch = await src.poll()
        assert texts(batch) == ["still here", "web-7d4b9-a: gone (the pod was deleted); no longer followed"]
        assert batch.pods == ("web-7d4b9-c",)
        assert notices(await src.poll()) == []  # said once
    finally:
        await src.close()


async def test_previous_and_tail(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(
        kube.deployment("web"),
        web_pod("web-7d4b9-a", state="crashloop", restarts=4),
        web_pod("web-7d4b9-b"),
    )
    apiserver.set_log("shop", "web-7d4b9-a", [f"run 5 line {i}" for i in range(500)])
    apiserver.set_log("shop", "web-7d4b9-a", [f"run 4 line {i}" for i in range(400)], previous=True)
    apiserver.set_log("shop", "web-7d4b9-b", ["b up"])
    src = source(apiserver, tmp_path, WEB, tail_lines=300)
    prev = source(apiserver, tmp_path, LogTarget("shop", "workload", "web", pod="web-7d4b9-a", previous=True))
    try:
        current = texts(await src.poll())
        assert len(current) == 301 and current[0] == "run 5 line 200" and "b up" in current
        batch = await prev.poll()  # the default tail, 200, of the selected pod's previous run only
        assert texts(batch) == [f"run 4 line {i}" for i in range(200, 400)] and batch.previous
        assert {ln.origin for ln in batch.lines} == {"web-7d4b9-a"}
        assert texts(await prev.poll()) == []  # a previous run does not grow: read once
        apiserver.delete("pods", "shop", "web-7d4b9-a")
        again = source(apiserver, tmp_path, prev.target)
        try:
            assert notices(await again.poll()) == [
                "web-7d4b9-a: gone (the pod was deleted): no previous container to read"
            ]
        finally:
            await again.close()
    finally:
        await src.close()
        await prev.close()


async def test_the_failure_lines(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(kube.pod("lone", state="waiting"), kube.pod("fresh"))
    waiting = source(apiserver, tmp_path, LogTarget("shop", "pod", "lone", pod="lone"))
    no_previous = source(apiserver, tmp_path, LogTarget("shop", "pod", "fresh", pod="fresh", previous=True))
    gone = source(apiserver, tmp_path, LogTarget("shop", "pod", "nope", pod="nope"))
    try:
        batch = await waiting.poll()
        assert notices(batch) == ["lone: waiting to start: ContainerCreating"]
        assert notices(await waiting.poll()) == []  # said once
        apiserver.patch(
            "pods",
            "shop",
            "lone",
            {"status": {"containerStatuses": [{"name": "app", "restartCount": 0, "state": {"running": {}}}]}},
        )
        apiserver.append_log("shop", "lone", "started")
        assert texts(await waiting.poll()) == ["started"]
        assert notices(await no_previous.poll()) == ["fresh: no previous container: it has not restarted"]
        assert notices(await gone.poll()) == ["nope: gone (no such pod in shop)"]
    finally:
        for src in (waiting, no_previous, gone):
            await src.close()


async def test_a_403_on_pods_log_is_one_line(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(kube.deployment("web"), web_pod("web-7d4b9-a"), web_pod("web-7d4b9-b"))
    apiserver.append_log("shop", "web-7d4b9-a", "secret")
    apiserver.rbac.grant(
        "viewer-token", "viewer", rule(VIEW, "pods", "shop"), rule(VIEW, "deployments", "shop")
    )
    cfg = ClusterConfig(
        kubeconfig=str(apiserver.kubeconfig(tmp_path / "kc", token="viewer-token")), timeout_s=3
    )
    src = PodLogSource(cfg, WEB)
    try:
        batch = await src.poll()
        assert texts(batch) == ["forbidden (RBAC: get pods/log in shop)"]  # once for both pods
        assert batch.pods == ("web-7d4b9-a", "web-7d4b9-b")
    finally:
        await src.close()
    nobody = ClusterConfig(
        kubeconfig=str(apiserver.kubeconfig(tmp_path / "kc2", token="viewer-token")), timeout_s=3
    )
    other = PodLogSource(nobody, LogTarget("pay", "workload", "web", pod="web-1"))
    try:
        with pytest.raises(SourceError, match=r"^forbidden \(RBAC: list pods in pay\)$"):
            await other.poll()
    finally:
        await other.close()


async def test_a_statefulsets_pods_by_its_kind(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(kube.statefulset("redis", replicas=2))
    sts = apiserver.get("statefulsets", "shop", "redis")
    for i in range(2):
        pod = kube.pod(f"redis-{i}", app="redis")
        pod["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "name": "redis",
                "uid": sts["metadata"]["uid"],
                "controller": True,
            }
        ]
        apiserver.seed(pod)
        apiserver.append_log("shop", f"redis-{i}", f"ready {i}")
    apiserver.seed(kube.pod("redis-cli", app="redis"))  # a bare pod with its label: not its pod
    src = source(apiserver, tmp_path, LogTarget("shop", "statefulset", "redis", pod="redis-1"))
    try:
        batch = await src.poll()
        assert texts(batch) == ["ready 0", "ready 1"] and batch.label == "statefulset/redis"
        assert not any(r["path"].endswith("/pods/redis-1") for r in apiserver.seen)  # the kind was known
    finally:
        await src.close()
    bare = source(apiserver, tmp_path, LogTarget("shop", "workload", "redis", pod="redis-cli"))
    try:
        apiserver.append_log("shop", "redis-cli", "PONG")
        batch = await bare.poll()  # its labels named a workload; its owner none: the pod alone
        assert texts(batch) == ["PONG"] and batch.label == "pod/redis-cli"
    finally:
        await bare.close()


async def test_a_line_stamped_during_the_reads_waits_for_the_next_cycle(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    """A line written while the other pods were read comes with the next cycle, in its place
    among them; a node clock far ahead holds a line one cycle only."""
    apiserver.seed(kube.deployment("web"), web_pod("web-7d4b9-a"), web_pod("web-7d4b9-b"))
    soon = datetime.now(UTC) + timedelta(seconds=0.4)
    apiserver.logs.set("shop", "web-7d4b9-a", "app", ["a, written while b was read"], at=soon)
    apiserver.append_log("shop", "web-7d4b9-b", "b1")
    src = source(apiserver, tmp_path, WEB)
    try:
        assert texts(await src.poll()) == ["b1"]
        time.sleep(0.5)
        apiserver.append_log("shop", "web-7d4b9-b", "b2")
        assert texts(await src.poll()) == ["a, written while b was read", "b2"]
        ahead = datetime.now(UTC) + timedelta(seconds=60)
        apiserver.logs.set("shop", "web-7d4b9-b", "app", ["from a clock a minute ahead"], at=ahead)
        assert texts(await src.poll()) == []
        assert texts(await src.poll()) == ["from a clock a minute ahead"]
    finally:
        await src.close()


async def test_thirty_pods_are_read_side_by_side(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(kube.deployment("web", replicas=30))
    names = [f"web-7d4b9-{i:02d}" for i in range(30)]
    for name in names:
        apiserver.seed(web_pod(name))
        apiserver.append_log("shop", name, f"{name} up")
    src = source(apiserver, tmp_path, WEB)
    try:
        batch = await src.poll()
        assert sorted(texts(batch)) == [f"{name} up" for name in names] and len(batch.pods) == 30
        threads = {t.name for t in threading.enumerate() if t.name.startswith("pod-logs")}
        assert 1 < len(threads) <= 8
    finally:
        await src.close()


async def test_each_container_of_a_pod_is_its_own_origin(apiserver: ApiServer, tmp_path: Path) -> None:
    apiserver.seed(kube.pod("web-1", containers=("app", "proxy")))
    apiserver.append_log("shop", "web-1", "app up")
    time.sleep(0.005)
    apiserver.append_log("shop", "web-1", "proxy up", container="proxy")
    src = source(apiserver, tmp_path, LogTarget("shop", "pod", "web-1", pod="web-1"))
    try:
        batch = await src.poll()
        assert [(ln.origin, ln.text) for ln in batch.lines] == [
            ("web-1/app", "app up"),
            ("web-1/proxy", "proxy up"),
        ]
        assert batch.label == "pod/web-1" and batch.pods == ("web-1",)
    finally:
        await src.close()
