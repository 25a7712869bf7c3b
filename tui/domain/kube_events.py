"""Which Kubernetes events a reader wants, in which order: a pod's or a workload's events, a
namespace's warnings, warnings first and the newest first. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from tui.core.model import ClusterSnapshot, DeploymentInfo, KubeEvent, PodInfo

# The reasons an incident is made of (kubelet, scheduler, controllers): shown in the error role.
TROUBLE_REASONS = frozenset(
    {
        "BackOff",  # CrashLoopBackOff, ImagePullBackOff
        "Failed",  # ErrImagePull, a container that could not start
        "FailedScheduling",
        "Unhealthy",  # a failing liveness or readiness probe
        "OOMKilling",  # the node's OOM killer
        "FailedCreate",
        "FailedMount",
        "FailedAttachVolume",
        "Evicted",
        "ProgressDeadlineExceeded",
        "NodeNotReady",
    }
)


def newest_first(events: list[KubeEvent]) -> list[KubeEvent]:
    """Warnings first, then the newest first (`kubectl get events --sort-by=.lastTimestamp`,
    read from the bottom)."""
    return sorted(events, key=lambda e: (not e.warning, -_last_s(e), e.reason, e.name))


def about(events: tuple[KubeEvent, ...], namespace: str, objects: Mapping[str, set[str]]) -> list[KubeEvent]:
    """The events of `namespace` about the objects named, by kind: {"Pod": {"web-1"}, ...}."""
    return newest_first(
        [e for e in events if e.namespace == namespace and e.object in objects.get(e.kind, ())]
    )


def warnings_in(events: tuple[KubeEvent, ...], namespaces: set[str] | None = None) -> list[KubeEvent]:
    """The recent warnings of those namespaces (every one watched: None), newest first."""
    return newest_first(
        [e for e in events if e.warning and (namespaces is None or e.namespace in namespaces)]
    )


def _last_s(ev: KubeEvent) -> float:
    return ev.last_at.timestamp() if ev.last_at is not None else 0.0


def objects_of_pod(pod: PodInfo) -> dict[str, set[str]]:
    return {"Pod": {pod.name}}


def objects_of_workload(snap: ClusterSnapshot, w: DeploymentInfo) -> dict[str, set[str]]:
    """The objects a workload's events are about: itself, its ReplicaSets (a deployment's
    SuccessfulCreate, FailedCreate) and its pods (BackOff, Unhealthy, FailedScheduling)."""
    kind = "Deployment" if w.kind == "Deployment" else "StatefulSet"
    pods = {
        p.name
        for p in snap.pods
        if p.namespace == w.namespace
        and p.workload == w.name
        and getattr(p, "workload_kind", "") in ("", kind)
    }
    objects: dict[str, set[str]] = {w.kind: {w.name}, "Pod": pods}
    if kind == "Deployment":
        objects["ReplicaSet"] = {
            r.name
            for r in snap.revisions
            if r.namespace == w.namespace and r.owner == w.name and r.owner_kind == kind
        }
    return objects


def is_trouble(ev: KubeEvent) -> bool:
    return ev.warning and ev.reason in TROUBLE_REASONS
