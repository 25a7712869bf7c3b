"""The pods source lists once and then watches, against the project's own API server
(tests/servers/apiserver: resourceVersions, 410 Expired, bookmarks, selectors, RBAC, restarts on
the same port), over real HTTP, with the real `kubernetes` client in the source's threads."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.apiserver import VIEW, ApiServer, rule
from tests.servers.kube import deployment, pod
from tui.config.schema import ClusterConfig
from tui.core.model import ClusterSnapshot
from tui.sources.base import SourceError
from tui.sources.kubernetes.pods import KubernetesSource

Make = Callable[..., KubernetesSource]


@pytest.fixture
def apiserver() -> Iterator[ApiServer]:
    """The test API server without its controller: the pods here are the ones a test makes
    (a seeded deployment rolls out no pods of its own)."""
    api = ApiServer(bookmark_interval=0.2, controller=False)
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
async def watching(apiserver: ApiServer, tmp_path: Path) -> AsyncIterator[Make]:
    """Sources on the test server's kubeconfig, closed when the test ends."""
    made: list[KubernetesSource] = []

    def make(token: str | None = None, **cfg: Any) -> KubernetesSource:
        path = tmp_path / f"kubeconfig-{len(made)}"
        apiserver.kubeconfig(path, **({"token": token} if token else {}))
        made.append(KubernetesSource(ClusterConfig(kubeconfig=str(path), **cfg)))
        return made[-1]

    yield make
    for source in made:
        await source.close()


async def until(check: Callable[[], Any], timeout_s: float = 10.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout_s:g} s")
        await asyncio.sleep(0.02)
    return found


async def next_snapshot(src: KubernetesSource, last: Any, timeout_s: float = 10.0) -> ClusterSnapshot:
    deadline = time.monotonic() + timeout_s
    while (snap := await src.poll()) is last:
        if time.monotonic() > deadline:
            pytest.fail(f"no new snapshot within {timeout_s:g} s")
        await asyncio.sleep(0.02)
    return snap


async def snapshot_where(
    src: KubernetesSource, check: Callable[[ClusterSnapshot], bool], timeout_s: float = 10.0
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


def gets(api: ApiServer, path: str) -> list[dict[str, str]]:
    """The queries of the GETs of `path`, oldest first."""
    return [r["query"] for r in list(api.seen) if r["method"] == "GET" and r["path"] == path]


PODS = "/api/v1/namespaces/shop/pods"


async def test_one_list_then_a_watch_from_its_resource_version(apiserver: ApiServer, watching: Make) -> None:
    apiserver.seed(pod("web-1", app="web"), pod("web-2", app="web"), deployment("web"))
    src = watching()
    snap = await src.poll()
    assert [p.name for p in snap.pods] == ["web-1", "web-2"]
    listed, watch = await until(lambda: len(gets(apiserver, PODS)) >= 2 and gets(apiserver, PODS)[:2])
    assert "watch" not in listed
    assert watch["watch"] in ("true", "1") and watch["allowWatchBookmarks"] == "true"
    assert watch["resourceVersion"] == str(apiserver.resource_version)  # the list's

    # Changes come by the watch: no list again.
    apiserver.patch("pods", "shop", "web-1", {"status": {"phase": "Failed", "containerStatuses": []}})
    apiserver.seed(pod("web-3", app="web"))
    apiserver.delete("pods", "shop", "web-2")
    later = await snapshot_where(src, lambda s: [p.name for p in s.pods] == ["web-1", "web-3"])
    assert later.pods[0].status == "Failed"
    assert len([q for q in gets(apiserver, PODS) if "watch" not in q]) == 1
    # Nothing moves: the very same snapshot.
    assert await src.poll() is await src.poll()


async def test_bookmarks_move_the_resource_version_and_a_restart_resumes_from_it(
    apiserver: ApiServer, watching: Make
) -> None:
    apiserver.seed(pod("web-1", app="web"))
    src = watching()
    await src.poll()
    (reflector,) = [r for r in src.pods]
    # Writes elsewhere move the server's resourceVersion; this watch sees only bookmarks.
    for i in range(3):
        apiserver.seed(pod(f"other-{i}", "elsewhere"))
    target = str(apiserver.resource_version)
    await until(lambda: reflector.resource_version == target, what="bookmark")

    apiserver.restart()  # same port, state kept: the watch comes back where it was
    await until(lambda: len([q for q in gets(apiserver, PODS) if q.get("resourceVersion") == target]) >= 1)
    assert reflector.lists == 1  # no list again
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"tier": "front"}}})
    await until(lambda: reflector.resource_version == str(apiserver.resource_version), what="the change")


async def test_410_gone_lists_again_and_keeps_what_is_there(apiserver: ApiServer, watching: Make) -> None:
    apiserver.seed(pod("web-1", app="web"), pod("web-2", app="web"))
    src = watching()
    first = await src.poll()
    (reflector,) = src.pods
    apiserver.stop()  # the watch breaks; meanwhile the cluster moves on and its history goes
    await until(lambda: reflector.error, what="the break")
    apiserver.delete("pods", "shop", "web-2")
    apiserver.seed(pod("web-3", app="web"))
    apiserver.compact()
    apiserver.start()
    snap = await snapshot_where(src, lambda s: [p.name for p in s.pods] == ["web-1", "web-3"])
    assert reflector.lists == 2  # the 410 ERROR event made it list again
    assert snap.pods[0] is first.pods[0]  # web-1 did not change: not converted again


async def test_a_server_that_comes_back_empty_is_listed_again(apiserver: ApiServer, watching: Make) -> None:
    apiserver.seed(pod("web-1", app="web"))
    src = watching()
    await src.poll()
    apiserver.restart(keep_state=False)  # earlier resourceVersions are expired there
    apiserver.seed(pod("api-1", app="api"))
    await snapshot_where(src, lambda s: [p.name for p in s.pods] == ["api-1"])


async def test_a_selector_and_all_namespaces_go_to_the_server(apiserver: ApiServer, watching: Make) -> None:
    apiserver.seed(
        pod("web-1", app="web"),
        pod("db-1", app="web"),
        pod("pay-1", "payments", app="web"),
        pod("api-1", "payments", app="api"),
    )
    apiserver.patch("pods", "shop", "db-1", {"metadata": {"labels": {"tier": "db"}}})
    src = watching(namespaces=("*",), selector="app=web,tier!=db")
    snap = await src.poll()
    assert [p.key for p in snap.pods] == ["payments/pay-1", "shop/web-1"]
    (listed, *_) = await until(lambda: gets(apiserver, "/api/v1/pods"))
    assert listed["labelSelector"] == "app=web,tier!=db"
    # A pod that comes to match arrives; one that stops matching leaves (the server says DELETED).
    apiserver.patch("pods", "payments", "api-1", {"metadata": {"labels": {"app": "web"}}})
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"tier": "db"}}})
    await snapshot_where(src, lambda s: [p.key for p in s.pods] == ["payments/api-1", "payments/pay-1"])


async def test_a_403_stays_with_its_resource(apiserver: ApiServer, watching: Make) -> None:
    """RBAC lets on-call list pods in shop only: the pods are shown, the deployments are said to
    be forbidden; a 403 on the pods themselves is the panel's error."""
    apiserver.seed(pod("web-1", app="web"), deployment("web"))
    apiserver.rbac.grant("oncall", "oncall", rule(VIEW, "pods", "shop"))
    src = watching(token="oncall")
    snap = await src.poll()
    assert [p.name for p in snap.pods] == ["web-1"]
    assert snap.deployments == ()
    workloads = ("deployments", "statefulsets", "replicasets", "controllerrevisions", "events")
    assert snap.problems == tuple(f"{r}: forbidden (RBAC: list {r} in shop)" for r in workloads)

    everywhere = watching(token="oncall", namespaces=("*",))
    with pytest.raises(SourceError) as err:
        await everywhere.poll()
    assert str(err.value) == "forbidden (RBAC: list pods in all namespaces)"

    # Granted at last: the deployments come on their next try.
    apiserver.rbac.grant("oncall", "oncall", rule(VIEW, ("pods", *workloads), "shop"))
    for r in src.reflectors:
        r.kick()
    fixed = await snapshot_where(src, lambda s: bool(s.deployments) and not s.problems)
    assert fixed.problems == ()


async def test_a_watch_that_is_down_keeps_the_pods_and_says_since_when(
    apiserver: ApiServer, watching: Make
) -> None:
    apiserver.seed(pod("web-1", app="web"))
    src = watching()
    snap = await src.poll()
    apiserver.stop()
    with pytest.raises(SourceError) as err:
        await until(lambda: not src.pods[0].up, what="the break")
        await src.poll()
    down = rf"watch down since \d\d:\d\d:\d\d UTC: connection refused \(127\.0\.0\.1:{apiserver.port}\)"
    assert re.fullmatch(down + "; retrying", str(err.value)), str(err.value)
    assert list(src.pods[0].items) == ["shop/web-1"]  # the last known pods are kept
    apiserver.start()
    apiserver.patch("pods", "shop", "web-1", {"metadata": {"labels": {"tier": "front"}}})
    back = await snapshot_where(src, lambda s: s is not snap)
    assert [p.name for p in back.pods] == ["web-1"]


async def test_churn_ends_where_the_server_is(apiserver: ApiServer, watching: Make) -> None:
    """Hundreds of pods created, changed and deleted while watched: the cache ends exactly as the
    server's list, with one list."""
    apiserver.seed(*(pod(f"web-{i}", app="web") for i in range(300)))
    src = watching()
    await src.poll()
    failed = {"status": {"phase": "Failed", "containerStatuses": []}}
    for i in range(300):
        if i % 3 == 0:
            apiserver.delete("pods", "shop", f"web-{i}")
        elif i % 3 == 1:
            apiserver.patch("pods", "shop", f"web-{i}", failed)
        else:
            apiserver.seed(pod(f"new-{i}", app="web"))
    want = sorted(p["metadata"]["name"] for p in apiserver.list("pods", "shop"))
    snap = await snapshot_where(src, lambda s: sorted(p.name for p in s.pods) == want)
    assert sum(p.status == "Failed" for p in snap.pods) == 100
    assert src.pods[0].lists == 1


async def test_the_pods_panel_through_a_forbidden_resource_and_a_server_restart(
    apiserver: ApiServer, watching: Make
) -> None:
    """As a user sees it: the real source in the app. Deployments forbidden: the pods are shown
    and the status line says what is missing; the server goes away: the rows stay and the line
    says since when; it comes back: the changes made meanwhile arrive."""
    from tests.timebase import T0
    from tui.app import AppSetup, WarroomApp
    from tui.core.clock import FrozenClock

    apiserver.seed(pod("web-1", app="web"), pod("web-2", app="web"), deployment("web"))
    apiserver.rbac.grant("oncall", "oncall", rule(VIEW, "pods", "shop"))
    source = watching(token="oncall")
    app = WarroomApp(AppSetup(context="t", sources={"pods": source}, clock=FrozenClock(T0), tick_s=0))
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panels["pods"]

        async def shown(check: Callable[[], bool], what: str) -> None:
            deadline = time.monotonic() + 10
            while not check():
                if time.monotonic() > deadline:
                    pytest.fail(f"no {what} within 10 s: {panel.status_line.plain!r}")
                await pilot.pause(0.05)

        await shown(lambda: set(panel.table.row_keys) == {"shop/web-1", "shop/web-2"}, "pods")
        assert panel.status_line.plain.startswith(
            "● live · ⚠ deployments: forbidden (RBAC: list deployments in shop) · ⚠ statefulsets: forbidden"
        )

        apiserver.stop()
        await shown(lambda: "watch down since" in panel.status_line.plain, "down line")
        line = panel.status_line.plain
        assert re.match(
            rf"✖ watch down since \d\d:\d\d:\d\d UTC: connection refused \(127\.0\.0\.1:{apiserver.port}\); "
            "retrying",
            line,
        ), line
        assert set(panel.table.row_keys) == {"shop/web-1", "shop/web-2"}  # the last known pods
        await pilot.pause(2.5)  # the app's loop has probed the server meanwhile: still said so
        assert panel.status_line.plain.startswith(line.split(";")[0]), panel.status_line.plain
        assert "stale" in panel.title_plain

        apiserver.delete("pods", "shop", "web-2")
        apiserver.start()
        await shown(lambda: set(panel.table.row_keys) == {"shop/web-1"}, "the change made meanwhile")
        await shown(lambda: panel.status_line.plain.startswith("● live"), "live again")


async def test_after_an_outage_every_watch_is_back_with_the_pods(
    apiserver: ApiServer, watching: Make
) -> None:
    """The deployments' watch drew out its back-off during the outage (0.5, 1, 2, 4 … s); once
    the pods are back it tries at once, so the panel is whole again within a moment."""
    apiserver.seed(pod("web-1", app="web"), deployment("web"))
    src = watching()
    await src.poll()
    apiserver.stop()
    await asyncio.sleep(7)
    assert src.deployments[0].error is not None
    apiserver.start()
    apiserver.patch("deployments", "shop", "web", {"spec": {"replicas": 5}})
    started = time.monotonic()
    back = await snapshot_where(src, lambda s: not s.problems and s.deployments[0].replicas == 5, 10)
    assert time.monotonic() - started < 3.0, back.problems


async def test_a_server_whose_store_came_back_older_is_listed_again(
    apiserver: ApiServer, watching: Make
) -> None:
    """An API server that comes back with an older store than the watch had seen (an etcd
    restored from a backup; here a new server on the same port) answers the watch "Too large
    resource version": the source lists again rather than wait, stale, for that version."""
    apiserver.seed(*(pod(f"web-{i}", app="web") for i in range(5)))
    src = watching()
    await src.poll()
    port = apiserver.port
    apiserver.stop()
    fresh = ApiServer(port=port, controller=False)
    fresh.seed(pod("api-1", app="api"))  # resourceVersions start again from 1
    fresh.start()
    try:
        await snapshot_where(src, lambda s: [p.name for p in s.pods] == ["api-1"], 15)
        assert src.pods[0].lists == 2
    finally:
        fresh.stop()
