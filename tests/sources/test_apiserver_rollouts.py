"""The test API server's PATCH kinds, scale subresource and controller, over HTTP: a template
change makes a new ReplicaSet with the next revision and replaces the pods step by step, the
Progressing/Available conditions say what `kubectl rollout status` reads, a failing image runs
into ProgressDeadlineExceeded, statefulsets roll by ControllerRevisions, and the pace is the
test's (stall, ready_after)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.servers.apiserver.patch import json_patch, merge_patch, strategic_merge_patch


@pytest.fixture
def apiserver(apiserver_with_controllers: ApiServer) -> ApiServer:
    """The server with its controllers."""
    return apiserver_with_controllers


HEADERS = {"Authorization": f"Bearer {kube.TOKEN}"}
DEPLOY = "/apis/apps/v1/namespaces/shop/deployments/web"


def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def patch(api: ApiServer, path: str, body: Any, kind: str) -> httpx.Response:
    headers = {**HEADERS, "Content-Type": f"application/{kind}+json"}
    return httpx.patch(api.url + path, content=json.dumps(body), headers=headers, timeout=5)


def fresh_deployment(api: ApiServer, replicas: int = 3, **spec: Any) -> None:
    dep = kube.deployment("web", replicas=replicas)
    del dep["status"]
    dep["spec"].update(spec)
    api.seed(dep)


def condition(api: ApiServer, kind: str) -> dict[str, Any] | None:
    dep = api.get("deployments", "shop", "web") or {}
    return next((c for c in (dep.get("status") or {}).get("conditions") or [] if c["type"] == kind), None)


def complete(api: ApiServer) -> bool:
    cond = condition(api, "Progressing")
    return bool(cond and cond["reason"] == "NewReplicaSetAvailable")


def replicasets(api: ApiServer) -> dict[str, dict[str, Any]]:
    return {rs["metadata"]["name"]: rs for rs in api.list("replicasets", "shop")}


def revision(obj: dict[str, Any]) -> str:
    return obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"]


def test_the_three_patch_kinds() -> None:
    pod = {"spec": {"containers": [{"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}]}]}}
    by_key = strategic_merge_patch(
        pod, {"spec": {"containers": [{"name": "side", "image": "s:1"}, {"name": "app", "image": "a:2"}]}}
    )
    assert [(c["name"], c["image"]) for c in by_key["spec"]["containers"]] == [
        ("app", "a:2"),
        ("side", "s:1"),
    ]
    assert by_key["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]  # merged, not replaced
    replaced = strategic_merge_patch(pod, {"spec": {"$patch": "replace", "containers": []}})
    assert replaced == {"spec": {"containers": []}}
    deleted = strategic_merge_patch(pod, {"spec": {"containers": [{"name": "app", "$patch": "delete"}]}})
    assert deleted["spec"]["containers"] == []
    assert merge_patch(pod, {"spec": {"containers": [{"name": "x"}]}}) == {
        "spec": {"containers": [{"name": "x"}]}
    }
    assert merge_patch({"a": 1, "b": 2}, {"a": None}) == {"b": 2}
    assert (
        json_patch(pod, [{"op": "replace", "path": "/spec/containers/0/image", "value": "a:3"}])["spec"][
            "containers"
        ][0]["image"]
        == "a:3"
    )


def test_a_template_change_rolls_out_a_new_revision_step_by_step(apiserver: ApiServer) -> None:
    fresh_deployment(apiserver)
    until(lambda: complete(apiserver))
    (first,) = replicasets(apiserver).values()
    assert (
        revision(first) == "1"
        and first["metadata"]["labels"]["pod-template-hash"] in first["metadata"]["name"]
    )
    assert len(apiserver.list("pods", "shop")) == 3

    apiserver.controller.ready_after = 0.3  # type: ignore[union-attr]
    restart = {
        "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}
    }
    answer = patch(apiserver, DEPLOY, restart, "strategic-merge-patch")
    assert answer.status_code == 200 and answer.json()["metadata"]["generation"] == 2
    seen: set[tuple[int, int]] = set()

    def rolled() -> bool:
        dep = apiserver.get("deployments", "shop", "web") or {}
        st = dep.get("status") or {}
        seen.add((st.get("updatedReplicas", 0), st.get("replicas", 0)))
        return complete(apiserver) and st.get("observedGeneration") == 2

    until(rolled)
    assert {(1, 4), (2, 4)} & seen  # surge by one: old and new pods side by side
    sets = replicasets(apiserver)
    assert len(sets) == 2
    new = next(rs for rs in sets.values() if rs["spec"]["replicas"] == 3)
    assert revision(new) == "2"
    dep = apiserver.get("deployments", "shop", "web")
    assert dep and revision(dep) == "2"
    assert dep["status"]["updatedReplicas"] == dep["status"]["availableReplicas"] == 3
    pods = apiserver.list("pods", "shop")
    assert len(pods) == 3 and all(
        p["metadata"]["labels"]["pod-template-hash"] in new["metadata"]["name"] for p in pods
    )
    assert any(e["reason"] == "ScalingReplicaSet" for e in apiserver.list("events", "shop"))


def test_a_failing_image_exceeds_the_progress_deadline(apiserver: ApiServer) -> None:
    fresh_deployment(apiserver, progressDeadlineSeconds=1)
    until(lambda: complete(apiserver))
    apiserver.controller.failing_images.add("app:bad")  # type: ignore[union-attr]
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:bad"}]}}}}
    assert patch(apiserver, DEPLOY, image, "strategic-merge-patch").status_code == 200
    cond = until(
        lambda: (c := condition(apiserver, "Progressing")) and c["reason"] == "ProgressDeadlineExceeded" and c
    )
    assert cond["status"] == "False" and "has timed out progressing" in cond["message"]
    dep = apiserver.get("deployments", "shop", "web") or {}
    assert dep["status"]["availableReplicas"] == 3  # the old pods still serve
    bad = [p for p in apiserver.list("pods", "shop") if p["spec"]["containers"][0]["image"] == "app:bad"]
    assert (
        bad and bad[0]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    )


def test_stall_holds_a_rollout_and_scale_works_through_the_subresource(apiserver: ApiServer) -> None:
    fresh_deployment(apiserver, replicas=2)
    until(lambda: complete(apiserver))
    scale = httpx.get(apiserver.url + DEPLOY + "/scale", headers=HEADERS, timeout=5).json()
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 2, "selector": "app=web"}

    apiserver.controller.stall = True  # type: ignore[union-attr]
    answer = patch(apiserver, DEPLOY + "/scale", {"spec": {"replicas": 4}}, "merge-patch")
    assert answer.json()["spec"]["replicas"] == 4
    time.sleep(0.3)
    assert len(apiserver.list("pods", "shop")) == 2  # stalled: nothing moves
    apiserver.controller.stall = False  # type: ignore[union-attr]
    until(lambda: complete(apiserver) and len(apiserver.list("pods", "shop")) == 4)
    put = httpx.put(
        apiserver.url + DEPLOY + "/scale", json={**scale, "spec": {"replicas": 1}}, headers=HEADERS, timeout=5
    )
    assert put.status_code == 409  # the Scale read before carries an old resourceVersion
    scale = httpx.get(apiserver.url + DEPLOY + "/scale", headers=HEADERS, timeout=5).json()
    put = httpx.put(
        apiserver.url + DEPLOY + "/scale", json={**scale, "spec": {"replicas": 1}}, headers=HEADERS, timeout=5
    )
    assert put.status_code == 200
    until(lambda: len(apiserver.list("pods", "shop")) == 1)


def test_the_main_resource_does_not_write_status_and_the_status_subresource_only_status(
    apiserver: ApiServer,
) -> None:
    apiserver.seed(kube.pod("web-1"))
    path = "/api/v1/namespaces/shop/pods/web-1"
    patch(apiserver, path, {"metadata": {"labels": {"a": "1"}}, "status": {"phase": "Failed"}}, "merge-patch")
    pod = apiserver.get("pods", "shop", "web-1") or {}
    assert pod["status"]["phase"] == "Running" and pod["metadata"]["labels"] == {"a": "1"}
    patch(
        apiserver,
        path + "/status",
        {"metadata": {"labels": {"a": "2"}}, "status": {"phase": "Failed"}},
        "merge-patch",
    )
    pod = apiserver.get("pods", "shop", "web-1") or {}
    assert pod["status"]["phase"] == "Failed" and pod["metadata"]["labels"] == {"a": "1"}


def test_a_statefulset_rolls_by_controller_revisions(apiserver: ApiServer) -> None:
    apiserver.seed(kube.statefulset("redis"))

    def sts() -> dict[str, Any]:
        return (apiserver.get("statefulsets", "shop", "redis") or {}).get("status") or {}

    until(
        lambda: (
            sts().get("readyReplicas") == 3 and sts().get("currentRevision") == sts().get("updateRevision")
        )
    )
    first = sts()["currentRevision"]
    assert sorted(p["metadata"]["name"] for p in apiserver.list("pods", "shop")) == [
        "redis-0",
        "redis-1",
        "redis-2",
    ]
    restart = {
        "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}
    }
    patch(apiserver, "/apis/apps/v1/namespaces/shop/statefulsets/redis", restart, "strategic-merge-patch")
    until(lambda: sts().get("updateRevision") not in (None, first))
    until(
        lambda: (
            sts().get("currentRevision") == sts().get("updateRevision") and sts().get("updatedReplicas") == 3
        )
    )
    revisions = {r["metadata"]["name"]: r["revision"] for r in apiserver.list("controllerrevisions", "shop")}
    assert revisions == {first: 1, sts()["updateRevision"]: 2}
    pods = apiserver.list("pods", "shop")
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {sts()["updateRevision"]}


def test_deleting_a_deployment_removes_its_replicasets_and_pods(apiserver: ApiServer) -> None:
    fresh_deployment(apiserver)
    until(lambda: complete(apiserver))
    assert httpx.delete(apiserver.url + DEPLOY, headers=HEADERS, timeout=5).json()["status"] == "Success"
    assert apiserver.list("replicasets", "shop") == [] and apiserver.list("pods", "shop") == []


def test_pods_a_rollout_replaces_terminate_for_their_grace_period() -> None:
    with ApiServer(pod_grace=0.3) as api:
        fresh_deployment(api, replicas=2)
        until(lambda: complete(api))
        restart = {
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "x"}}}}
        }
        patch(api, DEPLOY, restart, "strategic-merge-patch")
        until(lambda: any(p["metadata"].get("deletionTimestamp") for p in api.list("pods", "shop")))
        until(lambda: complete(api) and len(api.list("pods", "shop")) == 2)
        answer = httpx.delete(
            api.url + "/api/v1/namespaces/shop/pods/" + api.list("pods", "shop")[0]["metadata"]["name"],
            params={"gracePeriodSeconds": "0"},
            timeout=5,
        )
        assert answer.status_code == 200 and "deletionTimestamp" not in answer.json()["metadata"]  # at once
