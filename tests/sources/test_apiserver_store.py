"""The test API server's store and LIST, over HTTP as a client sees them: resourceVersion, uid,
generation, cluster-wide and namespaced lists, label and field selectors, paging, Tables and
discovery (tests/servers/apiserver)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def get(api: ApiServer, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        api.url + path, params=params, headers={"Authorization": f"Bearer {kube.TOKEN}"}, timeout=5
    )


def names(doc: dict) -> list[str]:
    return [item["metadata"]["name"] for item in doc["items"]]


def test_every_write_sets_resource_version_uid_and_generation(apiserver: ApiServer) -> None:
    apiserver.seed(kube.deployment("web"))
    first = apiserver.get("deployments", "shop", "web")
    assert first is not None
    rv1 = int(first["metadata"]["resourceVersion"])
    assert first["metadata"]["generation"] == 1 and first["metadata"]["uid"]
    assert rv1 == apiserver.resource_version

    changed = apiserver.patch("deployments", "shop", "web", {"metadata": {"labels": {"tier": "front"}}})
    assert int(changed["metadata"]["resourceVersion"]) > rv1
    assert changed["metadata"]["generation"] == 1  # metadata only: no new generation
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}
    bumped = apiserver.patch("deployments", "shop", "web", image)
    assert bumped["metadata"]["generation"] == 2
    assert bumped["metadata"]["uid"] == first["metadata"]["uid"]
    assert bumped["metadata"]["creationTimestamp"] == first["metadata"]["creationTimestamp"]


def test_list_items_carry_no_kind_while_get_and_watch_objects_do(apiserver: ApiServer) -> None:
    """As kube-apiserver answers (kubernetes/kubernetes#3030): a client must not read an item's
    kind from a LIST."""
    apiserver.seed(kube.pod("web-1"))
    (item,) = get(apiserver, "/api/v1/pods").json()["items"]
    assert "kind" not in item and "apiVersion" not in item and item["metadata"]["name"] == "web-1"
    one = get(apiserver, "/api/v1/namespaces/shop/pods/web-1").json()
    assert (one["apiVersion"], one["kind"]) == ("v1", "Pod")
    with httpx.stream(
        "GET", apiserver.url + "/api/v1/pods", params={"watch": "1", "timeoutSeconds": "1"}
    ) as r:
        event = json.loads(next(r.iter_lines()))
    assert (event["type"], event["object"]["kind"], event["object"]["apiVersion"]) == ("ADDED", "Pod", "v1")


def test_lists_all_namespaces_or_one_with_the_list_resource_version(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"), kube.pod("web-2"), kube.pod("pay-1", "payments"))
    everything = get(apiserver, "/api/v1/pods").json()
    assert everything["kind"] == "PodList"
    assert names(everything) == ["pay-1", "web-1", "web-2"]  # key order: namespace, name
    assert everything["metadata"]["resourceVersion"] == str(apiserver.resource_version)
    assert names(get(apiserver, "/api/v1/namespaces/shop/pods").json()) == ["web-1", "web-2"]
    assert names(get(apiserver, "/api/v1/namespaces/nowhere/pods").json()) == []
    one = get(apiserver, "/api/v1/namespaces/payments/pods/pay-1").json()
    assert one["metadata"]["namespace"] == "payments"
    missing = get(apiserver, "/api/v1/namespaces/shop/pods/nope")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'pods "nope" not found'
    namespaces = names(get(apiserver, "/api/v1/namespaces").json())
    assert namespaces == ["payments", "shop"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["web-1", "web-2"]),
        ("app==web", ["web-1", "web-2"]),
        ("app!=web", ["db-1", "lone"]),  # also the pod without the label
        ("app in (web,db)", ["db-1", "web-1", "web-2"]),
        ("app notin (web)", ["db-1", "lone"]),
        ("tier", ["web-1"]),
        ("!tier", ["db-1", "lone", "web-2"]),
        ("app=web,tier=front", ["web-1"]),
        ("app in (web, db),!tier", ["db-1", "web-2"]),
    ],
)
def test_label_selectors(apiserver: ApiServer, selector: str, expected: list[str]) -> None:
    apiserver.seed(
        kube.pod("web-1", app="web"),
        kube.pod("web-2", app="web"),
        kube.pod("db-1", app="db"),
        kube.pod("lone"),
    )
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"tier": "front"}}})
    assert sorted(names(get(apiserver, "/api/v1/pods", labelSelector=selector).json())) == expected


def test_field_selectors(apiserver: ApiServer) -> None:
    apiserver.seed(
        kube.pod("web-1", node="node-1"),
        kube.pod("web-2", node="node-2"),
        kube.pod("wait-1", state="pending"),
        kube.pod("pay-1", "payments"),
    )
    pod = apiserver.get("pods", "shop", "web-2")
    assert pod is not None
    apiserver.event(pod, "BackOff", "Back-off", type="Warning")
    apiserver.event(pod, "Pulled", "pulled")

    def listed(path: str, selector: str) -> list[str]:
        return sorted(names(get(apiserver, path, fieldSelector=selector).json()))

    assert listed("/api/v1/pods", "metadata.name=web-1") == ["web-1"]
    assert listed("/api/v1/pods", "metadata.namespace=payments") == ["pay-1"]
    assert listed("/api/v1/pods", "status.phase=Pending") == ["wait-1"]
    assert listed("/api/v1/pods", "status.phase!=Pending,spec.nodeName=node-1") == ["pay-1", "web-1"]
    events = get(apiserver, "/api/v1/events", fieldSelector="involvedObject.name=web-2,type=Warning").json()
    assert [e["reason"] for e in events["items"]] == ["BackOff"]
    bad = get(apiserver, "/api/v1/pods", fieldSelector="spec.bogus=1")
    assert bad.status_code == 400
    assert bad.json()["message"] == "field label not supported: spec.bogus"


def test_limit_and_continue_page_through_a_list(apiserver: ApiServer) -> None:
    apiserver.seed(*(kube.pod(f"web-{i:02}") for i in range(7)))
    seen: list[str] = []
    params: dict[str, str] = {"limit": "3"}
    pages = 0
    while True:
        page = get(apiserver, "/api/v1/namespaces/shop/pods", **params).json()
        pages += 1
        seen += names(page)
        token = page["metadata"].get("continue")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == 7 - len(seen)
        params = {"limit": "3", "continue": token}
    assert pages == 3
    assert seen == [f"web-{i:02}" for i in range(7)]


def test_a_table_as_kubectl_asks_for_it(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"), kube.pod("web-2", state="crashloop", restarts=7))
    response = httpx.get(apiserver.url + "/api/v1/pods", headers={"Accept": TABLE}, timeout=5)
    table = response.json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    rows = {row["cells"][0]: row for row in table["rows"]}
    assert rows["web-2"]["cells"][1:4] == ["0/1", "CrashLoopBackOff", "7"]
    assert rows["web-1"]["object"]["kind"] == "PartialObjectMetadata"
    assert rows["web-1"]["object"]["metadata"]["namespace"] == "shop"


def test_discovery_is_complete_enough_for_kubectl(apiserver: ApiServer) -> None:
    assert get(apiserver, "/api").json()["versions"] == ["v1"]
    core = {r["name"]: r for r in get(apiserver, "/api/v1").json()["resources"]}
    assert {"pods", "pods/log", "events", "namespaces"} <= core.keys()
    assert core["namespaces"]["namespaced"] is False
    groups = get(apiserver, "/apis").json()["groups"]
    assert [g["name"] for g in groups] == ["apps"]
    apps = {r["name"]: r for r in get(apiserver, "/apis/apps/v1").json()["resources"]}
    assert (
        apps["deployments/scale"]["group"] == "autoscaling" and apps["deployments/scale"]["kind"] == "Scale"
    )
    assert {"statefulsets", "replicasets", "controllerrevisions"} <= apps.keys()
    for path in ("/version", "/version/"):
        assert get(apiserver, path).json()["gitVersion"].startswith("v1.32")


def test_create_replace_conflict_and_delete_over_http(apiserver: ApiServer) -> None:
    headers = {"Authorization": f"Bearer {kube.TOKEN}"}
    url = apiserver.url + "/api/v1/namespaces/shop/pods"
    pod = kube.pod("web-9")
    del pod["metadata"]["uid"]
    created = httpx.post(url, json=pod, headers=headers, timeout=5)
    assert created.status_code == 201
    body = created.json()
    assert body["metadata"]["uid"] and body["metadata"]["resourceVersion"] == str(apiserver.resource_version)
    assert httpx.post(url, json=pod, headers=headers, timeout=5).json()["reason"] == "AlreadyExists"
    stale = json.loads(json.dumps(body))
    apiserver.patch("pods", "shop", "web-9", {"metadata": {"labels": {"by": "someone-else"}}})
    refused = httpx.put(url + "/web-9", json=stale, headers=headers, timeout=5)
    assert refused.status_code == 409 and refused.json()["reason"] == "Conflict"
    body = httpx.get(url + "/web-9", headers=headers, timeout=5).json()
    body["metadata"]["labels"] = {"app": "web"}
    assert httpx.put(url + "/web-9", json=body, headers=headers, timeout=5).status_code == 200
    assert httpx.delete(url + "/web-9", headers=headers, timeout=5).status_code == 200
    assert apiserver.get("pods", "shop", "web-9") is None
