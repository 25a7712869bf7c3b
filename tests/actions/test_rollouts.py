"""Rollouts followed to the end: a rollout restart, undo or scale through the real adapter and
the dispatcher, against the project's API server with its controllers (tests/servers/apiserver),
writes `action_succeeded` when the PATCH returns and then `rollout_complete` (with how long it
took) or `rollout_stalled` (the progress deadline, or warroom's own bound), or
`rollout_interrupted` when warroom stops following it; statefulsets too; a 403 is one line."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actions import Dispatcher, Registry, Target, kubernetes_actions
from tests.actions.conftest import Record
from tests.servers import kube
from tests.servers.apiserver import VIEW, ApiServer, rule
from tui.config.schema import ClusterConfig
from tui.incident.events import Event
from tui.sources.kubernetes.control import KubernetesControl
from tui.sources.kubernetes.rollout import deployment_rollout, statefulset_rollout

POLL_S = 0.05


@pytest.fixture
def api(apiserver_with_controllers: ApiServer) -> ApiServer:
    apiserver_with_controllers.controller.step = 0.02  # type: ignore[union-attr]
    return apiserver_with_controllers


async def until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def control_for(api: ApiServer, tmp_path: Path, token: str = kube.TOKEN) -> KubernetesControl:
    kubeconfig = api.kubeconfig(tmp_path / f"kubeconfig-{token}", token=token)
    return KubernetesControl(ClusterConfig(kubeconfig=str(kubeconfig), timeout_s=5.0))


def dispatcher_for(
    record: Record, control: KubernetesControl, progress: list[str] | None = None, **kw: Any
) -> Dispatcher:
    registry = Registry(kubernetes_actions(control, follow_poll_s=POLL_S, **kw))
    seen = progress if progress is not None else []
    holder: dict[str, Dispatcher] = {}

    def changed() -> None:
        seen.extend(v for v in holder["d"].progress().values() if not seen or seen[-1] != v)

    dispatcher = record.dispatcher(registry, on_progress=changed)
    holder["d"] = dispatcher
    return dispatcher


def rolled_out(api: ApiServer, resource: str, name: str) -> bool:
    obj = api.get(resource, "shop", name) or {}
    status = (deployment_rollout if resource == "deployments" else statefulset_rollout)(obj)
    return status.done


def fresh_deployment(api: ApiServer, replicas: int = 3, image: str = "app:1", **spec: Any) -> None:
    dep = kube.deployment("web", replicas=replicas, image=image)
    del dep["status"]
    dep["spec"].update(spec)
    api.seed(dep)


def ends(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind.startswith("rollout_")]


WEB = Target.of_deployment("kmock", "shop", "web", replicas=3)
REDIS = Target.of_pod("kmock", "shop", "redis-0", deployment="redis", workload_kind="statefulset")


async def test_a_restart_is_followed_until_it_has_rolled_out(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    fresh_deployment(api)
    await until(lambda: rolled_out(api, "deployments", "web"))
    before = {p["metadata"]["name"] for p in api.list("pods", "shop")}
    api.controller.ready_after = 0.2  # type: ignore[union-attr]
    progress: list[str] = []
    dispatcher = dispatcher_for(record, control_for(api, tmp_path), progress)

    started = time.monotonic()
    outcome = await dispatcher.dispatch("k8s.rollout_restart", WEB)
    assert outcome.ok and outcome.following == "deployment/web"
    assert outcome.text.startswith("Rollout restart deployment/web: deployment.apps/web restarted (")
    assert await record.kinds() == ["declared", "action_requested", "action_succeeded"]  # not yet done
    assert dispatcher.progress() and dispatcher.following() == ("deployment/web",)
    await dispatcher.followed()
    took = time.monotonic() - started

    events = await record.events()
    assert [e.kind for e in events] == [
        "declared",
        "action_requested",
        "action_succeeded",
        "rollout_complete",
    ]
    request, succeeded, complete = events[1], events[2], events[3]
    assert succeeded.data["follow"] == {"what": "deployment/web", "bound_s": 3600.0}
    assert complete.data["request"] == request.id and complete.data["outcome"] == succeeded.id
    assert complete.text.startswith("Rollout restart deployment/web: rolled out in ")
    assert complete.text.endswith("(3/3 updated, 3 available)")
    assert 0.2 < complete.data["duration_s"] <= took + 0.05
    assert complete.data["status"] == 'deployment "web" successfully rolled out'
    assert complete.actor_kind == "system" and complete.source == "auto"
    # The effect: every pod is new, and the row said how far it was on the way.
    after = {p["metadata"]["name"] for p in api.list("pods", "shop")}
    assert len(after) == 3 and not after & before
    assert any(p.startswith("rolling out ") and "/3" in p for p in progress), progress
    assert dispatcher.progress() == {} and dispatcher.following() == ()
    # Followed as kubectl follows it: a watch of the one deployment, stopped when it ended.
    watches = [
        r["query"]
        for r in list(api.seen)
        if r["method"] == "GET" and r["path"].endswith("/deployments") and r["query"].get("watch") == "true"
    ]
    assert watches and all(q["fieldSelector"] == "metadata.name=web" for q in watches)
    await until(lambda: not any(t.name == "follow deployment/web" for t in threading.enumerate()), 5)


async def test_a_rollout_past_its_progress_deadline_is_written_stalled(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    fresh_deployment(api, image="app:bad", progressDeadlineSeconds=2)
    await until(lambda: rolled_out(api, "deployments", "web"))
    api.controller.failing_images.add("app:bad")  # type: ignore[union-attr]  # new pods crash
    dispatcher = dispatcher_for(record, control_for(api, tmp_path))

    outcome = await dispatcher.dispatch("k8s.rollout_restart", WEB)
    assert outcome.ok
    await asyncio.wait_for(dispatcher.followed(), 20)
    (stalled,) = ends(await record.events())
    assert stalled.kind == "rollout_stalled" and stalled.data["reason"] == "ProgressDeadlineExceeded"
    assert stalled.text.startswith("Rollout restart deployment/web: stalled after ")
    assert 'deployment "web" exceeded its progress deadline (' in stalled.text
    # Not before the deadline (the controller's times are whole seconds: 2 s is 1 to 2 s).
    assert stalled.data["duration_s"] > 1.0


async def test_warroom_bounds_a_rollout_that_makes_no_progress(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    """A statefulset has no progress deadline: no progress for `stall_s` is warroom's verdict."""
    api.seed(kube.statefulset("redis"))
    await until(lambda: rolled_out(api, "statefulsets", "redis"))
    api.controller.stall = True  # type: ignore[union-attr]  # nothing moves any more
    dispatcher = dispatcher_for(record, control_for(api, tmp_path), stall_s=0.5)

    assert (await dispatcher.dispatch("k8s.rollout_restart", REDIS)).ok
    await asyncio.wait_for(dispatcher.followed(), 10)
    (stalled,) = ends(await record.events())
    assert stalled.kind == "rollout_stalled" and stalled.data["reason"] == "no progress"
    assert "stalled after" in stalled.text and "no progress in 0.5 s: " in stalled.text


async def test_quitting_while_following_writes_it_was_not_followed_to_the_end(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    fresh_deployment(api)
    await until(lambda: rolled_out(api, "deployments", "web"))
    api.controller.stall = True  # type: ignore[union-attr]
    dispatcher = dispatcher_for(record, control_for(api, tmp_path))
    assert (await dispatcher.dispatch("k8s.rollout_restart", WEB)).ok
    await asyncio.sleep(0.2)

    assert await dispatcher.interrupt_all("warroom quit") == 1
    (stopped,) = ends(await record.events())
    assert stopped.kind == "rollout_interrupted" and stopped.data["why"] == "warroom quit"
    assert "not followed to the end (warroom quit): rolling out" in stopped.text
    assert "the rollout goes on in the cluster" in stopped.text
    assert dispatcher.following() == ()
    # Its watch is shut at once, not at its timeoutSeconds: the thread is gone.
    await until(lambda: not any(t.name == "follow deployment/web" for t in threading.enumerate()), 2)


async def test_statefulset_restart_scale_and_undo(api: ApiServer, tmp_path: Path, record: Record) -> None:
    api.seed(kube.statefulset("redis", image="redis:7.0"))
    await until(lambda: rolled_out(api, "statefulsets", "redis"))
    first = (api.get("statefulsets", "shop", "redis") or {})["status"]["currentRevision"]
    control = control_for(api, tmp_path)
    dispatcher = dispatcher_for(record, control)
    registry = dispatcher.registry

    restart = registry.get("k8s.rollout_restart").confirmation(REDIS)
    assert restart.target == "statefulset/redis"
    assert restart.preview == "kubectl --context kmock -n shop rollout restart statefulset/redis"
    scaling = registry.get("k8s.scale")
    assert (
        scaling.confirmation(REDIS).preview
        == "kubectl --context kmock -n shop scale statefulset/redis --replicas=N"
    )
    # The pods panel knows no statefulset's replicas: the key reads them before the dialog opens.
    assert scaling.prepare is not None
    scale = scaling.confirmation(await scaling.prepare(REDIS))
    assert scale.preview == "kubectl --context kmock -n shop scale statefulset/redis --replicas=3"
    assert [(f.label, f.default) for f in scale.fields] == [("Replicas (now 3)", "3")]

    # A new image (as a deploy would), rolled out, then undone back to the first revision.
    api.patch(
        "statefulsets",
        "shop",
        "redis",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "redis:7.2"}]}}}},
    )
    await until(
        lambda: (
            ((api.get("statefulsets", "shop", "redis") or {}).get("status") or {}).get("currentRevision")
            not in (None, first)
            and rolled_out(api, "statefulsets", "redis")
        )
    )
    undo = registry.get("k8s.rollout_undo")
    assert undo.dry_run is not None
    generation = (api.get("statefulsets", "shop", "redis") or {})["metadata"]["generation"]
    said = await undo.dry_run(REDIS, {})
    assert said == "server dry run: statefulset shop/redis would be rolled back to revision 1 (redis:7.0)"
    assert (api.get("statefulsets", "shop", "redis") or {})["metadata"]["generation"] == generation
    assert (
        await dispatcher.dispatch("k8s.rollout_undo", REDIS)
    ).output == "statefulset.apps/redis rolled back"
    await dispatcher.followed()
    pods = api.list("pods", "shop")
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"redis:7.0"}

    restarted = await dispatcher.dispatch("k8s.rollout_restart", REDIS)
    assert restarted.output == "statefulset.apps/redis restarted" and restarted.subject == "statefulset/redis"
    await dispatcher.followed()
    assert (api.get("statefulsets", "shop", "redis") or {})["spec"]["template"]["metadata"]["annotations"]

    scaled = await dispatcher.dispatch("k8s.scale", REDIS, {"replicas": 4})
    assert scaled.output == "statefulset.apps/redis scaled"
    await dispatcher.followed()
    assert sorted(p["metadata"]["name"] for p in api.list("pods", "shop")) == [f"redis-{i}" for i in range(4)]

    events = await record.events()
    done = ends(events)
    assert [e.kind for e in done] == ["rollout_complete"] * 3
    assert [e.text.split(":")[0] for e in done] == [
        "Rollout undo statefulset/redis",
        "Rollout restart statefulset/redis",
        "Scale statefulset/redis",
    ]
    assert done[-1].text.endswith("(4/4 updated, 4 ready)")
    requests = [e for e in events if e.kind == "action_requested"]
    assert requests[0].data["target"]["workload_kind"] == "statefulset"
    assert (
        requests[-1].data["preview"] == "kubectl --context kmock -n shop scale statefulset/redis --replicas=4"
    )


async def test_a_403_is_one_line_in_the_dialog_and_on_the_timeline(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    fresh_deployment(api)
    api.rbac.grant("viewer-token", "viewer", rule(VIEW, "deployments", "shop"))
    dispatcher = dispatcher_for(record, control_for(api, tmp_path, "viewer-token"))
    restart = dispatcher.registry.get("k8s.rollout_restart")
    assert restart.dry_run is not None
    with pytest.raises(Exception, match=r"^forbidden \(RBAC: patch deployments in shop\)$"):
        await restart.dry_run(WEB, {})  # the dialog's dry run line says it before anything runs

    outcome = await dispatcher.dispatch("k8s.rollout_restart", WEB)
    assert not outcome.ok and outcome.output == "forbidden (RBAC: patch deployments in shop)"
    assert outcome.text.startswith(
        "Rollout restart deployment/web: failed: forbidden (RBAC: patch deployments in shop) ("
    )
    scaled = await dispatcher.dispatch("k8s.scale", WEB, {"replicas": 2})
    assert scaled.output == "forbidden (RBAC: patch deployments/scale in shop)"
    events = await record.events()
    assert [e.kind for e in events] == [
        "declared",
        "action_requested",
        "action_failed",
        "action_requested",
        "action_failed",
    ]
    assert events[2].data["result"] == "forbidden (RBAC: patch deployments in shop)"


async def test_a_rollout_that_cannot_be_read_is_said_not_followed(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    """Allowed to patch but not to read: the restart happens, its end is not known, and the
    record says why in one line."""
    fresh_deployment(api)
    await until(lambda: rolled_out(api, "deployments", "web"))
    api.rbac.grant("patcher", "patcher", rule(("patch",), "deployments", "shop"))
    dispatcher = dispatcher_for(record, control_for(api, tmp_path, "patcher"))

    assert (await dispatcher.dispatch("k8s.rollout_restart", WEB)).ok
    await dispatcher.followed()
    (end,) = ends(await record.events())
    assert end.kind == "rollout_interrupted"
    assert (
        "not followed to the end: cannot read deployment/web: forbidden (RBAC: get deployments in shop)"
        in (end.text)
    )


async def test_a_follow_rides_out_an_api_server_restart(
    api: ApiServer, tmp_path: Path, record: Record
) -> None:
    fresh_deployment(api)
    await until(lambda: rolled_out(api, "deployments", "web"))
    api.controller.stall = True  # type: ignore[union-attr]
    progress: list[str] = []
    dispatcher = dispatcher_for(record, control_for(api, tmp_path), progress)
    assert (await dispatcher.dispatch("k8s.rollout_restart", WEB)).ok
    await until(lambda: "rolling out (not yet observed)" in progress)

    api.stop()  # the API server goes away mid-rollout: the follow says so and keeps trying
    await until(lambda: any("cannot read it" in p for p in progress))
    api.start()  # back on the same port, with its state
    api.controller.stall = False  # type: ignore[union-attr]
    await asyncio.wait_for(dispatcher.followed(), 20)
    (end,) = ends(await record.events())
    assert end.kind == "rollout_complete", end.text
