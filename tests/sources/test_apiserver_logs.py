"""The test API server's `pods/{name}/log`: current and previous runs, the container named or
the only one, tailLines, sinceSeconds, timestamps, and a follow that gets appended lines and
ends with the pod or the server."""

from __future__ import annotations

import threading
import time

import httpx

from tests.servers import kube
from tests.servers.apiserver import ApiServer

LOG = "/api/v1/namespaces/shop/pods/web-1/log"


def text(api: ApiServer, **params: str) -> httpx.Response:
    return httpx.get(api.url + LOG, params=params, timeout=5)


def test_current_previous_tail_and_container(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1", containers=("app", "proxy")))
    apiserver.set_log("shop", "web-1", ["one", "two", "three"])
    apiserver.set_log("shop", "web-1", ["crashed: out of memory"], previous=True)
    apiserver.set_log("shop", "web-1", ["proxy up"], container="proxy")
    asked = text(apiserver)
    assert asked.status_code == 400
    assert (
        asked.json()["message"]
        == "a container name must be specified for pod web-1, choose one of: [app proxy]"
    )
    assert text(apiserver, container="app").text == "one\ntwo\nthree\n"
    assert text(apiserver, container="app", tailLines="2").text == "two\nthree\n"
    assert text(apiserver, container="app", previous="true").text == "crashed: out of memory\n"
    assert text(apiserver, container="proxy").text == "proxy up\n"
    assert text(apiserver, container="proxy", previous="true").json()["message"] == (
        'previous terminated container "proxy" in pod "web-1" not found'
    )
    assert text(apiserver, container="db").json()["message"] == "container db is not valid for pod web-1"
    stamped = text(apiserver, container="app", timestamps="true", tailLines="1").text
    stamp, line = stamped.rstrip("\n").split(" ", 1)
    assert line == "three" and stamp.endswith("Z") and len(stamp) == len("2026-12-04T03:40:00.123456000Z")
    assert text(apiserver, container="app", sinceSeconds="60").text == "one\ntwo\nthree\n"
    assert httpx.get(apiserver.url + "/api/v1/namespaces/shop/pods/nope/log", timeout=5).status_code == 404


def test_follow_streams_appended_lines_until_the_pod_goes(apiserver: ApiServer) -> None:
    apiserver.seed(kube.pod("web-1"))
    apiserver.set_log("shop", "web-1", ["start"])
    lines: list[str] = []
    done = threading.Event()

    def follow() -> None:
        with httpx.stream("GET", apiserver.url + LOG, params={"follow": "true"}, timeout=10) as r:
            for line in r.iter_lines():
                lines.append(line)
        done.set()

    threading.Thread(target=follow, daemon=True).start()
    deadline = time.monotonic() + 5
    while lines != ["start"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    apiserver.append_log("shop", "web-1", "more", "and more")
    while len(lines) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert lines == ["start", "more", "and more"]
    apiserver.delete("pods", "shop", "web-1")
    assert done.wait(5)
