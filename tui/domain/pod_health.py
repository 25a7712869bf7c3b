"""The one pod-health rule: what the pods panel colours and sorts by, what automatic detection
calls crash-looping, and what the status update counts as not ready. Plain functions over
`PodInfo` (its STATUS as kubectl prints it); no I/O."""

from __future__ import annotations

import re

from tui.core.model import PodInfo

HEALTHY = frozenset({"Running", "Completed", "Succeeded"})
# Reasons that mean something failed and will not fix itself by waiting: the kubelet's waiting
# reasons (image and container creation errors, the crash back-off), the terminated reasons of
# a container that died, and the pod reasons of a pod that failed or was lost. As a STATUS they
# may come with "Init:" before them (an init container failed the same way).
BROKEN = frozenset(
    {
        "CrashLoopBackOff",
        "Error",
        "OOMKilled",
        "ContainerCannotRun",
        "ContainerStatusUnknown",
        "DeadlineExceeded",
        "StartError",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "ImageInspectError",
        "InvalidImageName",
        "RegistryUnavailable",
        "SignatureValidationFailed",
        "CreateContainerConfigError",
        "CreateContainerError",
        "PreCreateHookError",
        "PreStartHookError",
        "PostStartHookError",
        "RunContainerError",
        "KillContainerError",
        "Failed",
        "Evicted",
        "NodeLost",
        "UnexpectedAdmissionError",
    }
)
# A container that ended without a reason: kubectl prints its signal or exit code.
_ENDED_BADLY = re.compile(r"(?:Signal:\d+|ExitCode:(?!0$)-?\d+)")


def broken_status(status: str) -> bool:
    """Whether a STATUS says something failed: a broken reason, with or without "Init:"
    (Init:CrashLoopBackOff, Init:Error), a signal or a non-zero exit code (Init:ExitCode:1)."""
    reason = status.removeprefix("Init:")
    return reason in BROKEN or _ENDED_BADLY.fullmatch(reason) is not None


def pod_rank(pod: PodInfo) -> int:
    """0 broken, 1 not ready (starting, pending, initializing, terminating), 2 healthy: worst
    first. A pod the API says failed (phase Failed, whatever its reason: OutOfcpu, Shutdown)
    is broken."""
    if broken_status(pod.status) or pod.phase == "Failed":
        return 0
    if pod.status not in HEALTHY or (pod.status == "Running" and pod.ready < pod.containers):
        return 1
    return 2


def crash_looping(pod: PodInfo) -> bool:
    """Broken, or between two crashes: a crash loop alternates CrashLoopBackOff with Running 0/1
    (the container restarted and is not ready yet), and that Running is not a recovery."""
    if pod_rank(pod) == 0:
        return True
    return pod.status == "Running" and pod.ready < pod.containers and pod.restarts > 0


def not_ready(pod: PodInfo) -> bool:
    """Broken or not ready yet: what the status update counts as "pods not ready"."""
    return pod_rank(pod) < 2


__all__ = ["BROKEN", "HEALTHY", "broken_status", "crash_looping", "not_ready", "pod_rank"]
