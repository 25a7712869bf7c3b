"""`enter` in the Pods panel as `kubectl describe` would say it: a pod's row at once, then its
containers (state, last state with reason and exit code, restarts, image), conditions and owner
once the source has read the pod, and its events; a workload's revisions (which one `rollout
undo` goes back to) and events; outside text literal; a pod that cannot be read says why."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from panels.modals import DetailScreen
from tests.ui.fakes import T0, ListSource, standard_sources
from tests.ui.harness import make_app, settle
from tui.core.model import (
    ClusterSnapshot,
    ContainerDetail,
    DeploymentInfo,
    KubeEvent,
    PodDescription,
    PodInfo,
    RevisionInfo,
    WorkloadCondition,
)
from tui.sources.base import SourceError

POD = PodInfo(
    "shop",
    "web-7d4b9c8f6-x2k4p",
    "web",
    "CrashLoopBackOff",
    0,
    1,
    7,
    T0 - timedelta(hours=1),
    workload_kind="Deployment",
)
WEB = DeploymentInfo(
    "shop",
    "web",
    3,
    2,
    3,
    2,
    revision=3,
    image="registry.example/web:1.3",
    rollout="complete",
    strategy="Recreate",
)
REVISIONS = (
    RevisionInfo(
        "shop", "web-5c6d7e8f9", "web", "Deployment", 2, "registry.example/web:1.2", T0 - timedelta(days=1)
    ),
    RevisionInfo(
        "shop", "web-7d4b9c8f6", "web", "Deployment", 3, "registry.example/web:1.3", T0 - timedelta(hours=1)
    ),
    RevisionInfo(
        "shop", "web-4b5c6d7e8", "web", "Deployment", 1, "registry.example/web:1.1", T0 - timedelta(days=9)
    ),
)
EVENTS = (
    KubeEvent(
        "shop",
        "e1",
        "Pod",
        POD.name,
        "BackOff",
        "Back-off restarting failed container app",
        "Warning",
        7,
        T0 - timedelta(minutes=2),
    ),
    KubeEvent(
        "shop",
        "e2",
        "ReplicaSet",
        "web-7d4b9c8f6",
        "SuccessfulCreate",
        f"Created pod: {POD.name}",
        "Normal",
        1,
        T0 - timedelta(hours=1),
    ),
)
DESC = PodDescription(
    "shop",
    POD.name,
    containers=(
        ContainerDetail(
            "app",
            "registry.example/web:1.3",
            "Waiting",
            "CrashLoopBackOff",
            message="back-off 5m0s restarting failed container=app \x1b[2J[bold]x[/bold]",
            last_state="Terminated",
            last_reason="OOMKilled",
            last_exit_code=137,
            last_finished_at=T0 - timedelta(minutes=2),
            restarts=7,
        ),
    ),
    conditions=(
        WorkloadCondition("Ready", "False", "ContainersNotReady", "containers with unready status: [app]"),
    ),
    node="node-1",
    ip="10.0.2.17",
    owner="ReplicaSet/web-7d4b9c8f6",
    qos="Burstable",
)


class Described(ListSource):
    """A pods source that can read one pod, as the Kubernetes one does."""

    def __init__(self, snap: ClusterSnapshot, answer: PodDescription | Exception) -> None:
        super().__init__("kubernetes", [snap])
        self.answer = answer
        self.asked: list[tuple[str, str]] = []
        self.release = asyncio.Event()

    async def describe_pod(self, namespace: str, name: str) -> PodDescription:
        self.asked.append((namespace, name))
        await self.release.wait()
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def app_with(source: ListSource):
    sources = standard_sources()
    sources["pods"] = source
    return make_app(sources=sources)


def snapshot() -> ClusterSnapshot:
    return ClusterSnapshot("test", pods=(POD,), deployments=(WEB,), revisions=REVISIONS, events=EVENTS)


async def test_enter_on_a_pod_shows_it_at_once_then_its_containers() -> None:
    source = Described(snapshot(), DESC)
    app = app_with(source)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert "reading the pod…" in screen.body and "BackOff ×7, 2m ago" in screen.body
        assert source.asked == [("shop", POD.name)]
        source.release.set()
        for _ in range(50):
            await pilot.pause(0.02)
            if "reading the pod" not in screen.body:
                break
        body = screen.body
        assert "  app  registry.example/web:1.3" in body
        assert "state       Waiting CrashLoopBackOff" in body
        assert "last state  Terminated OOMKilled, exit code 137, 2m ago" in body
        assert "restarts    7, not ready" in body
        assert "controlled by  ReplicaSet/web-7d4b9c8f6" in body
        assert "Ready  False ContainersNotReady: containers with unready status: [app]" in body
        assert "⚠ BackOff ×7, 2m ago: Back-off restarting failed container app" in body
        assert "\x1b" not in body  # the escape sequence removed; the markup left as text
        shown = str(screen.query_one("#detail-body").render())
        assert "[bold]x[/bold]" in shown and "\x1b" not in shown


async def test_a_pod_that_cannot_be_read_says_why() -> None:
    source = Described(snapshot(), SourceError("forbidden (RBAC: get pods in shop)"))
    source.release.set()
    app = app_with(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "enter")
        for _ in range(50):
            await pilot.pause(0.02)
            if "could not read" in getattr(app.screen, "body", ""):
                break
        assert "could not read the pod: forbidden (RBAC: get pods in shop)" in app.screen.body  # type: ignore[attr-defined]


async def test_enter_on_a_workload_shows_its_revisions_and_where_undo_goes() -> None:
    app = app_with(ListSource("kubernetes", [snapshot()]))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "w", "enter")
        await pilot.pause()
        body = app.screen.body  # type: ignore[attr-defined]
        assert "strategy   Recreate" in body
        lines = body.splitlines()
        start = lines.index("revisions (newest first: revision, image, age)")
        assert lines[start + 1 : start + 4] == [
            "     3  registry.example/web:1.3  60m  ← current",
            "     2  registry.example/web:1.2  24h  ← rollout undo goes back here",
            "     1  registry.example/web:1.1  9d",
        ]
        # Its ReplicaSets' and pods' events too.
        assert "SuccessfulCreate, 60m ago: Created pod: web-7d4b9c8f6-x2k4p" in body
        assert "BackOff ×7, 2m ago" in body
        # What the undo's confirmation can say: revision 2, its image.
        found = app.panels["pods"].undo_target("shop", "web", "deployment")
        assert found is not None and (found.revision, found.image) == (2, "registry.example/web:1.2")
