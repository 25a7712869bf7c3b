"""The one pod-health rule: what the pods panel colours and sorts by, and what automatic
detection calls crash-looping. Plain functions over `PodInfo`; no I/O."""

from __future__ import annotations

from tui.core.model import PodInfo

HEALTHY = frozenset({"Running", "Completed", "Succeeded"})
BROKEN = frozenset(
    {
        "CrashLoopBackOff",
        "Error",
        "ImagePullBackOff",
        "ErrImagePull",
        "OOMKilled",
        "CreateContainerConfigError",
        "InvalidImageName",
        "Failed",
        "Evicted",
    }
)


def pod_rank(pod: PodInfo) -> int:
    """0 broken, 1 not ready (starting, pending, terminating), 2 healthy: worst first."""
    if pod.status in BROKEN:
        return 0
    if pod.status not in HEALTHY or (pod.status == "Running" and pod.ready < pod.containers):
        return 1
    return 2


def crash_looping(pod: PodInfo) -> bool:
    """Broken, or between two crashes: a crash loop alternates CrashLoopBackOff with Running 0/1
    (the container restarted and is not ready yet), and that Running is not a recovery."""
    if pod.status in BROKEN:
        return True
    return pod.status == "Running" and pod.ready < pod.containers and pod.restarts > 0


__all__ = ["BROKEN", "HEALTHY", "crash_looping", "pod_rank"]
