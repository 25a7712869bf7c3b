"""The test API server's WATCH as clients meet it: changes after a resourceVersion, 410 Expired
once the history is compacted (as an ERROR event, the way the real watch cache answers),
BOOKMARKs, timeoutSeconds, selectors (leaving one is a DELETED), sendInitialEvents, and a
restart that cuts the stream; also through the official client's `watch.Watch`."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer


class Watch:
    """A watch in a thread: its events (type, name or rv) land in a queue."""

    def __init__(self, api: ApiServer, path: str, **params: str) -> None:
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(api.url + path, params), daemon=True)
        self._thread.start()

    def _run(self, url: str, params: dict[str, str]) -> None:
        try:
            with httpx.stream(
                "GET", url, params={"watch": "1", **params}, timeout=httpx.Timeout(10, read=30)
            ) as r:
                self.status = r.status_code
                for line in r.iter_lines():
                    if line:
                        self.events.put(json.loads(line))
        except httpx.HTTPError as err:
            self.error = err
        finally:
            self.ended.set()
            self.events.put(None)

    def take(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            left = deadline - time.monotonic()
            assert left > 0, f"only {got}"
            event = self.events.get(timeout=left)
            if event is None:
                break
            got.append(event)
        return got

    def next_not_bookmark(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            (event,) = self.take(1, timeout)
            if event["type"] != "BOOKMARK":
                return event


def brief(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"]["metadata"].get("name", "")) for e in events]


def rv_of(obj: dict[str, Any] | None) -> int:
    assert obj is not None
    return int(obj["metadata"]["resourceVersion"])


def test_a_watch_from_a_resource_version_gets_the_changes_after_it(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"), kube.pod("web-2"))
    listed = apiserver.resource_version
    apiserver.patch("pods", "shop", "web-1", {"status": {"phase": "Failed"}})  # before the watch: replayed
    watch = Watch(apiserver, "/api/v1/namespaces/shop/pods", resourceVersion=str(listed))
    assert brief(watch.take(1)) == [("MODIFIED", "web-1")]
    apiserver.seed(kube.pod("web-3"), kube.pod("pay-1", "payments"))  # payments: another namespace
    apiserver.delete("pods", "shop", "web-2")
    events = watch.take(2)
    assert brief(events) == [("ADDED", "web-3"), ("DELETED", "web-2")]
    assert rv_of(events[1]["object"]) == apiserver.resource_version  # the deletion's own RV


def test_a_watch_without_resource_version_starts_with_the_current_state(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"), kube.pod("pay-1", "payments"))
    watch = Watch(apiserver, "/api/v1/pods")
    assert sorted(brief(watch.take(2))) == [("ADDED", "pay-1"), ("ADDED", "web-1")]
    apiserver.patch("pods", "payments", "pay-1", {"metadata": {"labels": {"x": "y"}}})
    assert brief(watch.take(1)) == [("MODIFIED", "pay-1")]


def test_a_compacted_history_answers_410_expired_as_an_error_event(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"))
    old = apiserver.resource_version
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"a": "1"}}})
    floor = apiserver.compact()
    assert floor == apiserver.resource_version
    watch = Watch(apiserver, "/api/v1/namespaces/shop/pods", resourceVersion=str(old))
    (event,) = watch.take(1)
    assert watch.ended.wait(5) and watch.status == 200
    assert event["type"] == "ERROR"
    assert event["object"] == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"too old resource version: {old} ({floor})",
        "reason": "Expired",
        "code": 410,
    }
    # From the floor on nothing was lost: that watch is served.
    fresh = Watch(apiserver, "/api/v1/namespaces/shop/pods", resourceVersion=str(floor))
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"a": "2"}}})
    assert brief(fresh.take(1)) == [("MODIFIED", "web-1")]


def test_bookmarks_carry_the_current_resource_version(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"))
    watch = Watch(
        apiserver, "/api/v1/pods", resourceVersion=str(apiserver.resource_version), allowWatchBookmarks="true"
    )
    apiserver.seed(kube.pod("pay-1", "payments"))
    events = watch.take(3, timeout=3)
    assert events[0]["type"] == "ADDED"
    marks = [e for e in events if e["type"] == "BOOKMARK"]
    assert marks and marks[-1]["object"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(apiserver.resource_version)},
    }
    quiet = Watch(apiserver, "/api/v1/pods", resourceVersion=str(apiserver.resource_version))
    time.sleep(0.5)  # two bookmark intervals: none without allowWatchBookmarks
    assert quiet.events.empty()


def test_timeout_seconds_ends_the_watch(apiserver: ApiServer) -> None:
    started = time.monotonic()
    watch = Watch(apiserver, "/api/v1/pods", resourceVersion="1", timeoutSeconds="1")
    assert watch.ended.wait(5)
    assert 0.9 < time.monotonic() - started < 3
    assert watch.status == 200 and not hasattr(watch, "error")


def test_selectors_on_a_watch_turn_leaving_into_deleted_and_joining_into_added(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1", app="web"), kube.pod("web-2", app="web"), kube.pod("db-1", app="db"))
    watch = Watch(
        apiserver,
        "/api/v1/pods",
        resourceVersion=str(apiserver.resource_version),
        labelSelector="app=web",
        fieldSelector="metadata.namespace=shop",
    )
    apiserver.patch("pods", "shop", "db-1", {"metadata": {"labels": {"tier": "x"}}})  # never matched
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"app": "old"}}})  # leaves
    apiserver.patch("pods", "shop", "db-1", {"metadata": {"labels": {"app": "web"}}})  # joins
    apiserver.patch("pods", "shop", "web-2", {"status": {"phase": "Failed"}})
    assert brief(watch.take(3)) == [("DELETED", "web-1"), ("ADDED", "db-1"), ("MODIFIED", "web-2")]


def test_send_initial_events_ends_with_the_initial_events_bookmark(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"), kube.pod("web-2"))
    watch = Watch(
        apiserver,
        "/api/v1/namespaces/shop/pods",
        sendInitialEvents="true",
        allowWatchBookmarks="true",
        resourceVersionMatch="NotOlderThan",
    )
    events = watch.take(3)
    assert brief(events[:2]) == [("ADDED", "web-1"), ("ADDED", "web-2")]
    assert events[2]["type"] == "BOOKMARK"
    assert events[2]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_restart_cuts_the_watch_and_keeps_or_loses_the_state(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"))
    port = apiserver.port
    watch = Watch(apiserver, "/api/v1/pods", resourceVersion=str(apiserver.resource_version))
    time.sleep(0.2)
    apiserver.restart()
    assert watch.ended.wait(5)
    assert apiserver.port == port
    resumed = Watch(apiserver, "/api/v1/pods", resourceVersion=str(apiserver.resource_version))
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"a": "1"}}})
    assert brief(resumed.take(1)) == [("MODIFIED", "web-1")]

    before = apiserver.resource_version
    apiserver.restart(keep_state=False)
    assert resumed.ended.wait(5)
    assert httpx.get(apiserver.url + "/api/v1/pods", timeout=5).json()["items"] == []
    gone = Watch(apiserver, "/api/v1/pods", resourceVersion=str(before))
    (event,) = gone.take(1)
    assert event["type"] == "ERROR" and event["object"]["code"] == 410


def test_the_official_client_watches_and_sees_410(apiserver: ApiServer, tmp_path: Path) -> None:
    from kubernetes import client, config, watch

    apiserver.seed(kube.pod("web-1"))
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig(tmp_path / "kc")))
    core = client.CoreV1Api(api_client)
    listed = core.list_namespaced_pod("shop", _request_timeout=5)
    assert [p.metadata.name for p in listed.items] == ["web-1"]
    rv = listed.metadata.resource_version
    apiserver.seed(kube.pod("web-2"))
    stream = watch.Watch().stream(
        core.list_namespaced_pod, "shop", resource_version=rv, timeout_seconds=2, _request_timeout=5
    )
    first = next(stream)
    assert (first["type"], first["object"].metadata.name) == ("ADDED", "web-2")
    apiserver.compact()
    with pytest.raises(client.ApiException) as caught:
        for _ in watch.Watch().stream(
            core.list_namespaced_pod, "shop", resource_version=rv, _request_timeout=5
        ):
            pass
    assert caught.value.status == 410
    api_client.close()


@pytest.fixture
def many(apiserver: ApiServer) -> Iterator[ApiServer]:
    apiserver.seed(*(kube.pod(f"web-{i}", f"ns-{i % 5}") for i in range(200)))
    yield apiserver


def test_a_burst_of_changes_reaches_a_watch_in_order(many: ApiServer) -> None:
    watch = Watch(many, "/api/v1/pods", resourceVersion=str(many.resource_version))
    for i in range(200):
        many.patch("pods", f"ns-{i % 5}", f"web-{i}", {"metadata": {"labels": {"n": str(i)}}})
    events = watch.take(200)
    rvs = [rv_of(e["object"]) for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == 200
    assert [e["object"]["metadata"]["labels"]["n"] for e in events] == [str(i) for i in range(200)]
