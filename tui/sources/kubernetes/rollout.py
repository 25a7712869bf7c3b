"""Whether a rollout is done, as `kubectl rollout status` decides it (its DeploymentStatusViewer
and StatefulSetStatusViewer, read in kubectl's source and written again here), from the
workload's JSON. Pure: no I/O.

A deployment: nothing is decided until the controller has seen the latest spec (generation ≤
status.observedGeneration); then a Progressing condition with reason ProgressDeadlineExceeded
means stalled; fewer updatedReplicas than spec.replicas, more replicas than updated (old ones
terminating), or fewer availableReplicas than updated means still rolling out; else done.

A statefulset (RollingUpdate only; OnDelete has no rollout to follow): the spec must be
observed (observedGeneration set and ≥ generation), readyReplicas must reach spec.replicas,
then with a rollingUpdate the updatedReplicas must reach replicas − partition; without one,
updateRevision must equal currentRevision. A statefulset has no progress deadline: warroom's
own bound decides when it has stalled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"  # deploymentutil.TimedOutReason


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    done: bool
    stalled: bool  # the controller says it gave up (ProgressDeadlineExceeded)
    message: str  # kubectl's words: 'Waiting for deployment "web" rollout to finish: 1 out of 3 …'
    progress: str  # the action row's: "rolling out 2/3"
    desired: int
    updated: int
    ready: int
    available: int
    # What moves while the rollout makes progress: unchanged for warroom's bound means stalled.
    step: tuple[Any, ...] = ()

    def counts(self) -> dict[str, int]:
        return {
            "desired": self.desired,
            "updated": self.updated,
            "ready": self.ready,
            "available": self.available,
        }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def deployment_rollout(dep: Mapping[str, Any]) -> RolloutStatus:
    meta, spec, status = _mapping(dep.get("metadata")), _mapping(dep.get("spec")), _mapping(dep.get("status"))
    name = str(meta.get("name") or "")
    desired = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"))
    replicas = _int(status.get("replicas"))
    ready = _int(status.get("readyReplicas"))
    available = _int(status.get("availableReplicas"))
    generation, observed = _int(meta.get("generation")), _int(status.get("observedGeneration"))
    step = (observed, replicas, updated, ready, available)

    def status_of(message: str, progress: str, *, done: bool = False, stalled: bool = False) -> RolloutStatus:
        return RolloutStatus(done, stalled, message, progress, desired, updated, ready, available, step)

    if generation > observed:
        return status_of(
            "Waiting for deployment spec update to be observed...", "rolling out (not yet observed)"
        )
    progressing = next(
        (
            c
            for c in status.get("conditions") or []
            if isinstance(c, Mapping) and c.get("type") == "Progressing"
        ),
        None,
    )
    if progressing is not None and progressing.get("reason") == PROGRESS_DEADLINE_EXCEEDED:
        return status_of(
            f'deployment "{name}" exceeded its progress deadline',
            f"stalled {updated}/{desired}",
            stalled=True,
        )
    if "replicas" in spec and updated < desired:
        return status_of(
            f'Waiting for deployment "{name}" rollout to finish: {updated} out of {desired} new replicas '
            "have been updated...",
            f"rolling out {updated}/{desired}",
        )
    if replicas > updated:
        old = replicas - updated
        return status_of(
            f'Waiting for deployment "{name}" rollout to finish: {old} old replicas are pending '
            "termination...",
            f"rolling out {updated}/{desired}, {old} old terminating",
        )
    if available < updated:
        return status_of(
            f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated replicas '
            "are available...",
            f"rolling out {updated}/{desired}, {available} available",
        )
    return status_of(
        f'deployment "{name}" successfully rolled out', f"rolled out {updated}/{desired}", done=True
    )


def statefulset_rollout(sts: Mapping[str, Any]) -> RolloutStatus:
    meta, spec, status = _mapping(sts.get("metadata")), _mapping(sts.get("spec")), _mapping(sts.get("status"))
    desired = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"))
    ready = _int(status.get("readyReplicas"))
    available = _int(status.get("availableReplicas"))
    generation, observed = _int(meta.get("generation")), _int(status.get("observedGeneration"))
    update_rev, current_rev = (
        str(status.get("updateRevision") or ""),
        str(status.get("currentRevision") or ""),
    )
    step = (observed, _int(status.get("replicas")), updated, ready, update_rev, current_rev)
    strategy = _mapping(spec.get("updateStrategy"))

    def status_of(message: str, progress: str, *, done: bool = False) -> RolloutStatus:
        return RolloutStatus(done, False, message, progress, desired, updated, ready, available, step)

    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        # kubectl: "rollout status is only available for RollingUpdate strategy type" (and done).
        return status_of("rollout status is only available for RollingUpdate strategy type", "", done=True)
    if observed == 0 or generation > observed:
        return status_of(
            "Waiting for statefulset spec update to be observed...", "rolling out (not yet observed)"
        )
    if "replicas" in spec and ready < desired:
        return status_of(
            f"Waiting for {desired - ready} pods to be ready...",
            f"rolling out {updated}/{desired}, {ready} ready",
        )
    rolling = strategy.get("rollingUpdate")
    if isinstance(rolling, Mapping):
        partition = rolling.get("partition")
        if "replicas" in spec and isinstance(partition, int) and not isinstance(partition, bool):
            wanted = desired - partition
            if updated < wanted:
                return status_of(
                    f"Waiting for partitioned roll out to finish: {updated} out of {wanted} new pods "
                    "have been updated...",
                    f"rolling out {updated}/{wanted}",
                )
        return status_of(
            f"partitioned roll out complete: {updated} new pods have been updated...",
            f"rolled out {updated}/{desired}",
            done=True,
        )
    if update_rev != current_rev:
        return status_of(
            f"waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}...",
            f"rolling out {updated}/{desired}",
        )
    current = _int(status.get("currentReplicas"))
    return status_of(
        f"statefulset rolling update complete {current} pods at revision {current_rev}...",
        f"rolled out {current}/{desired}",
        done=True,
    )


def rollout_status(kind: str, obj: Mapping[str, Any]) -> RolloutStatus:
    """`kind`: "deployment" or "statefulset"."""
    return statefulset_rollout(obj) if kind == "statefulset" else deployment_rollout(obj)


__all__ = [
    "PROGRESS_DEADLINE_EXCEEDED",
    "RolloutStatus",
    "deployment_rollout",
    "rollout_status",
    "statefulset_rollout",
]
