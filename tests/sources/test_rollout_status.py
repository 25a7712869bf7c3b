"""`kubectl rollout status`'s rules (its DeploymentStatusViewer and StatefulSetStatusViewer), case
by case on the workload's JSON, and how a followed rollout shows on its action's timeline row."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from actions import Target, kubernetes_actions
from actions.kubernetes import undo_revision
from panels.timeline import event_cells
from tests.timebase import T0
from tui.config.schema import ClusterConfig
from tui.core.model import RevisionInfo
from tui.domain.status_update import actions_taken
from tui.incident.events import Event
from tui.incident.outcomes import ROLLING_OUT, ROLLOUT_UNKNOWN, rollouts_pending
from tui.sources.kubernetes.control import KubernetesControl
from tui.sources.kubernetes.rollout import deployment_rollout, statefulset_rollout


def dep(generation: int = 2, observed: int = 2, desired: int = 3, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": desired},
        "status": {"observedGeneration": observed, **status},
    }


@pytest.mark.parametrize(
    "obj, done, stalled, message, progress",
    [
        (
            dep(3, 2),
            False,
            False,
            "Waiting for deployment spec update to be observed...",
            "rolling out (not yet observed)",
        ),
        (
            dep(
                updatedReplicas=1,
                replicas=3,
                conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}],
            ),
            False,
            True,
            'deployment "web" exceeded its progress deadline',
            "stalled 1/3",
        ),
        (
            dep(updatedReplicas=1, replicas=4),
            False,
            False,
            'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
            "rolling out 1/3",
        ),
        (
            dep(updatedReplicas=3, replicas=4, availableReplicas=3),
            False,
            False,
            'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
            "rolling out 3/3, 1 old terminating",
        ),
        (
            dep(updatedReplicas=3, replicas=3, availableReplicas=2),
            False,
            False,
            'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
            "rolling out 3/3, 2 available",
        ),
        (
            dep(updatedReplicas=3, replicas=3, availableReplicas=3),
            True,
            False,
            'deployment "web" successfully rolled out',
            "rolled out 3/3",
        ),
        # A stale deadline from the rollout before is not read until the new spec is observed.
        (
            dep(3, 2, conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]),
            False,
            False,
            "Waiting for deployment spec update to be observed...",
            "rolling out (not yet observed)",
        ),
    ],
)
def test_a_deployment_as_kubectl_rollout_status_decides(
    obj: dict[str, Any], done: bool, stalled: bool, message: str, progress: str
) -> None:
    status = deployment_rollout(obj)
    assert (status.done, status.stalled, status.message, status.progress) == (
        done,
        stalled,
        message,
        progress,
    )


def sts(partition: int | None = 0, strategy: str = "RollingUpdate", **status: Any) -> dict[str, Any]:
    update: dict[str, Any] = {"type": strategy}
    if partition is not None:
        update["rollingUpdate"] = {"partition": partition}
    return {
        "metadata": {"name": "redis", "generation": 2},
        "spec": {"replicas": 3, "updateStrategy": update},
        "status": {"observedGeneration": 2, **status},
    }


@pytest.mark.parametrize(
    "obj, done, message",
    [
        (sts(observedGeneration=0), False, "Waiting for statefulset spec update to be observed..."),
        (sts(readyReplicas=2, updatedReplicas=1), False, "Waiting for 1 pods to be ready..."),
        (
            sts(readyReplicas=3, updatedReplicas=1),
            False,
            "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...",
        ),
        (
            sts(1, readyReplicas=3, updatedReplicas=2),
            True,
            "partitioned roll out complete: 2 new pods have been updated...",
        ),
        (
            sts(None, readyReplicas=3, updatedReplicas=2, updateRevision="b", currentRevision="a"),
            False,
            "waiting for statefulset rolling update to complete 2 pods at revision b...",
        ),
        (
            sts(None, readyReplicas=3, currentReplicas=3, updateRevision="b", currentRevision="b"),
            True,
            "statefulset rolling update complete 3 pods at revision b...",
        ),
        (sts(strategy="OnDelete"), True, "rollout status is only available for RollingUpdate strategy type"),
    ],
)
def test_a_statefulset_as_kubectl_rollout_status_decides(
    obj: dict[str, Any], done: bool, message: str
) -> None:
    status = statefulset_rollout(obj)
    assert (status.done, status.message) == (done, message)


def event(id: int, kind: str, at_s: float, **data: Any) -> Event:
    at = T0 + timedelta(seconds=at_s)
    return Event(id, 1, at, at, "alice@bastion-1", "human", "key", kind, f"{kind} text", data)


def test_the_action_row_says_rolling_out_until_the_end_is_on_the_record() -> None:
    follow = {"what": "deployment/web", "bound_s": 60}
    events = [
        event(2, "action_requested", 0),
        event(3, "action_succeeded", 1, request=2, follow=follow),
        event(4, "action_requested", 2),
        event(5, "action_succeeded", 3, request=4, follow=follow),
        event(6, "rollout_complete", 9, request=4, outcome=5),
    ]
    assert rollouts_pending(events, T0 + timedelta(seconds=10)) == {3: ROLLING_OUT}
    # Past its bound and the time to write its end: warroom stopped without hearing (kill -9).
    assert rollouts_pending(events, T0 + timedelta(seconds=200)) == {3: ROLLOUT_UNKNOWN}
    cells = event_cells(
        events[1], starred=False, corrected_by=None, local=False, unfinished="rolling out 2/3"
    )
    assert cells[3].plain == "rolling out 2/3 · action_succeeded text"  # type: ignore[union-attr]
    assert cells[2].plain.strip() == "✔ action ok"  # type: ignore[union-attr]
    done = event_cells(events[4], starred=False, corrected_by=None, local=False)
    assert done[2].plain.strip() == "✔ rolled out"  # type: ignore[union-attr]


def test_the_status_update_says_whether_the_rollouts_finished() -> None:
    follow = {"what": "deployment/web", "bound_s": 60}
    events = [
        event(2, "action_requested", 0),
        event(3, "action_succeeded", 1, request=2, follow=follow),
        event(4, "rollout_complete", 9, request=2, outcome=3),
        event(5, "action_requested", 10),
        event(6, "action_succeeded", 11, request=5, follow=follow),
        event(7, "action_requested", 12),
        event(8, "action_succeeded", 13, request=7),
    ]
    assert actions_taken(events, None) == [
        "03:00Z action_requested text: done, rolled out",
        "03:00Z action_requested text: done, rolling out",
        "03:00Z action_requested text: done",
    ]


def test_the_undo_confirmation_names_the_revision_and_image_it_goes_back_to() -> None:
    def rev(owner: str, kind: str, revision: int, image: str) -> RevisionInfo:
        return RevisionInfo("shop", f"{owner}-{revision}", owner, kind, revision, image)

    revisions = [
        rev("web", "Deployment", 1, "app:1"),
        rev("web", "Deployment", 3, "app:3"),
        rev("web", "Deployment", 2, "app:2"),
        rev("redis", "StatefulSet", 4, "redis:7.2"),
        rev("redis", "StatefulSet", 2, "redis:7.0"),
        rev("other", "Deployment", 9, "x:9"),
    ]
    # A deployment: its newest revision other than the current one (an undo of an undo too).
    assert undo_revision(revisions, "shop", "deployment", "web", 3) == revisions[2]
    assert undo_revision(revisions, "shop", "deployment", "web", 2) == revisions[1]
    # A statefulset: the second-newest ControllerRevision, as kubectl's findHistory takes it.
    assert undo_revision(revisions, "shop", "statefulset", "redis", None) == revisions[4]
    assert undo_revision(revisions, "shop", "deployment", "lonely", 1) is None

    # The confirmation's words only: the control is never called.
    control = KubernetesControl(ClusterConfig(kubeconfig="/nonexistent", context="prod"))
    (undo,) = [a for a in kubernetes_actions(control) if a.id == "k8s.rollout_undo"]
    target = Target.of_deployment("prod", "shop", "web", revision=3)
    assert undo.confirm_text(target).startswith(
        "Roll deployment/web (now revision 3) back to its previous revision"
    )
    known = replace(target, extra={**target.extra, "back_to": "2 (app:2)"})
    assert undo.confirm_text(known) == (
        "Roll deployment/web (now revision 3) back to revision 2 (app:2) in namespace shop on context prod?"
    )
