"""What `kubectl get pods` shows, from the API's JSON: a pod's status word, its workload, the
rows of the pods panel (pods and deployments). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.core.model import DeploymentInfo, PodInfo, RevisionInfo, WorkloadCondition
from tui.sources.kubernetes.rollout import RolloutStatus, deployment_rollout, statefulset_rollout

REVISION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH_LABEL = "pod-template-hash"
# The alphabet Kubernetes encodes pod-template hashes with (no vowels, no 0/1/3): used to strip
# a hash suffix from a ReplicaSet name when the pod lacks the pod-template-hash label.
_HASH_SUFFIX = re.compile(r"[bcdfghjklmnpqrstvwxz2456789]{5,10}")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp from the API ("2024-05-01T10:00:00Z", nanoseconds allowed)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match:  # Python takes at most 6 fraction digits
        frac = (match.group(2) or "")[:7]
        text = f"{match.group(1)}{frac}{match.group(3)}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# The pod phases after which nothing runs again: a pod being deleted in one of these is shown
# as it ended, not as "Terminating".
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})
NODE_LOST = "NodeLost"  # the pod reason the node controller sets when the node stops answering
SCHEDULING_GATED = "SchedulingGated"


@dataclass(frozen=True, slots=True)
class PodRow:
    """One row of `kubectl get pods` before formatting: what kubectl's pod printer computes."""

    status: str
    ready: int
    containers: int
    restarts: int
    last_restart_at: datetime | None  # the newest lastState.terminated.finishedAt it counted


def pod_row(pod: Mapping[str, Any]) -> PodRow:
    """READY, STATUS and RESTARTS as kubectl's pod printer computes them (its rules, in order):

    1. the phase, or the pod's reason when it has one (Evicted, NodeLost, ...); SchedulingGated
       when the PodScheduled condition says so;
    2. the init containers in order, up to the first one not done: a done one (exit 0) or a
       started sidecar (restartPolicy Always, counted in READY) is passed; the first other one
       gives Init:<reason>, Init:Signal:N, Init:ExitCode:N, Init:<waiting reason> or Init:i/n;
    3. unless an init container holds the pod (and the Initialized condition is not True), the
       containers from the last to the first: a waiting or terminated one gives its reason (or
       Signal:N / ExitCode:N), a ready running one counts in READY; "Completed" with one still
       running reads Running (Ready condition True) or NotReady;
    4. a pod being deleted is "Terminating" unless it already ended, "Unknown" if its node is
       lost.

    RESTARTS counts the init containers looked at while the pod is initializing; after that the
    sidecars' and the containers' restarts, and the last restart is the newest finishedAt of
    the last termination among the containers counted."""
    meta = _mapping(pod.get("metadata"))
    spec = _mapping(pod.get("spec"))
    status = _mapping(pod.get("status"))
    conditions = _mappings(status.get("conditions"))
    phase = _str(status.get("phase"))
    reason = _str(status.get("reason")) or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == SCHEDULING_GATED for c in conditions):
        reason = SCHEDULING_GATED

    init_specs = _mappings(spec.get("initContainers"))
    sidecars = {_str(c.get("name")) for c in init_specs if c.get("restartPolicy") == "Always"}
    containers = len(_mappings(spec.get("containers"))) + len(sidecars)
    ready = 0
    restarts = sidecar_restarts = 0
    last: datetime | None = None
    sidecar_last: datetime | None = None

    initializing = False
    for i, cs in enumerate(_mappings(status.get("initContainerStatuses"))):
        count, finished = _restarts(cs)
        restarts += count
        last = _later(last, finished)
        sidecar = _str(cs.get("name")) in sidecars
        if sidecar:
            sidecar_restarts += count
            sidecar_last = _later(sidecar_last, finished)
        state = _mapping(cs.get("state"))
        terminated = _maybe_mapping(state.get("terminated"))
        waiting = _maybe_mapping(state.get("waiting"))
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started") is True:
            ready += bool(cs.get("ready"))
            continue
        initializing = True
        if terminated is not None:
            reason = "Init:" + _terminated_reason(terminated)
        elif waiting is not None and _str(waiting.get("reason")) not in ("", "PodInitializing"):
            reason = "Init:" + _str(waiting.get("reason"))
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        break

    if not initializing or _first_condition_true(conditions, "Initialized"):
        restarts, last = sidecar_restarts, sidecar_last
        running = False
        for cs in reversed(_mappings(status.get("containerStatuses"))):
            count, finished = _restarts(cs)
            restarts += count
            last = _later(last, finished)
            state = _mapping(cs.get("state"))
            terminated = _maybe_mapping(state.get("terminated"))
            waiting = _maybe_mapping(state.get("waiting"))
            if waiting is not None and _str(waiting.get("reason")):
                reason = _str(waiting.get("reason"))
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif cs.get("ready") and _maybe_mapping(state.get("running")) is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            ready_condition = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            reason = "Running" if ready_condition else "NotReady"

    if meta.get("deletionTimestamp"):
        if status.get("reason") == NODE_LOST:
            reason = "Unknown"
        elif phase not in TERMINAL_PHASES:
            reason = "Terminating"
    return PodRow(reason, ready, containers, restarts, last if restarts else None)


def pod_status(pod: Mapping[str, Any]) -> str:
    """The STATUS column of `kubectl get pods` (see `pod_row`)."""
    return pod_row(pod).status


def _terminated_reason(terminated: Mapping[str, Any]) -> str:
    """A terminated container's reason; without one, its signal, else its exit code."""
    reason = _str(terminated.get("reason"))
    if reason:
        return reason
    signal = _int(terminated.get("signal"))
    return f"Signal:{signal}" if signal else f"ExitCode:{_int(terminated.get('exitCode'))}"


def _restarts(cs: Mapping[str, Any]) -> tuple[int, datetime | None]:
    """A container's restart count and when its last run ended (lastState.terminated)."""
    last_state = _mapping(cs.get("lastState"))
    terminated = _maybe_mapping(last_state.get("terminated"))
    finished = parse_time(terminated.get("finishedAt")) if terminated is not None else None
    return _int(cs.get("restartCount")), finished


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or b <= a else b


def _first_condition_true(conditions: list[Mapping[str, Any]], kind: str) -> bool:
    """Whether the first condition of that type is True (kubectl reads the first one only)."""
    for condition in conditions:
        if condition.get("type") == kind:
            return condition.get("status") == "True"
    return False


# The API's JSON read defensively: a field of the wrong type reads as absent, never raises.
# Decoded JSON objects are dicts: `dict`, not the `Mapping` ABC, whose isinstance check took
# half of a pod's conversion (10 000 pods at first paint).
_EMPTY: Mapping[str, Any] = {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict else _EMPTY


def _maybe_mapping(value: Any) -> Mapping[str, Any] | None:
    return value if type(value) is dict else None


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    if type(value) is not list:
        return []
    if all(type(v) is dict for v in value):
        return value
    return [v for v in value if type(v) is dict]


def _str(value: Any) -> str:
    return value if type(value) is str else ""


def _int(value: Any) -> int:
    return value if type(value) is int else 0  # not a bool: True is no exit code


def pod_ip(pod: Mapping[str, Any]) -> str:
    """The pod's IP as `kubectl get pods -o wide` shows it: the first of podIPs (podIP when an
    older server sends only that); "" when it has none yet."""
    status = _mapping(pod.get("status"))
    ips = _mappings(status.get("podIPs"))
    return _str(status.get("podIP")) or (_str(ips[0].get("ip")) if ips else "")


def pod_workload(pod: Mapping[str, Any]) -> str | None:
    """The deployment (or statefulset / daemonset) a pod belongs to."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    for ref in meta.get("ownerReferences") or []:
        kind, name = ref.get("kind"), ref.get("name")
        if not name:
            continue
        if kind == "ReplicaSet":
            return replicaset_deployment(str(name), labels.get(TEMPLATE_HASH_LABEL))
        if kind in ("StatefulSet", "DaemonSet", "Deployment", "Job"):
            return str(name)
    fallback = labels.get("app.kubernetes.io/name") or labels.get("app")
    return str(fallback) if fallback else None


def pod_workload_kind(pod: Mapping[str, Any]) -> str:
    """The kind of the workload `pod_workload` names: "Deployment" for a ReplicaSet's pod (the
    ReplicaSet's own owner is not on the pod: its name says it), the owner's kind otherwise;
    "" when no owner reference names it."""
    for ref in _mappings(_mapping(pod.get("metadata")).get("ownerReferences")):
        kind = _str(ref.get("kind"))
        if ref.get("name") and kind in ("ReplicaSet", "StatefulSet", "DaemonSet", "Deployment", "Job"):
            return "Deployment" if kind == "ReplicaSet" else kind
    return ""


def replicaset_deployment(rs_name: str, template_hash: str | None) -> str:
    """`api-gateway-7d4b9c8f6` → `api-gateway`: a ReplicaSet is named deployment-<hash>."""
    if template_hash and rs_name.endswith(f"-{template_hash}"):
        return rs_name[: -len(template_hash) - 1]
    base, sep, suffix = rs_name.rpartition("-")
    if sep and base and _HASH_SUFFIX.fullmatch(suffix):
        return base
    return rs_name


def pod_info(pod: Mapping[str, Any]) -> PodInfo:
    meta = _mapping(pod.get("metadata"))
    spec = _mapping(pod.get("spec"))
    row = pod_row(pod)
    return PodInfo(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        workload=pod_workload(pod),
        status=row.status,
        ready=row.ready,
        containers=row.containers,
        restarts=row.restarts,
        created_at=parse_time(meta.get("creationTimestamp")),
        node=_str(spec.get("nodeName")),
        last_restart_at=row.last_restart_at,
        ip=pod_ip(pod),
        phase=_str(_mapping(pod.get("status")).get("phase")),
        workload_kind=pod_workload_kind(pod),
    )


def template_image(template: Any) -> str:
    """The image of a pod template's first container, "+N" for the others ("" without one)."""
    spec = _mapping(_mapping(template).get("spec"))
    images = [_str(c.get("image")) for c in _mappings(spec.get("containers"))]
    image = images[0] if images else ""
    return f"{image} +{len(images) - 1}" if len(images) > 1 else image


def workload_conditions(status: Mapping[str, Any]) -> tuple[WorkloadCondition, ...]:
    return tuple(
        WorkloadCondition(
            type=_str(c.get("type")),
            status=_str(c.get("status")),
            reason=_str(c.get("reason")),
            message=_str(c.get("message")),
            changed_at=parse_time(c.get("lastTransitionTime")),
        )
        for c in _mappings(status.get("conditions"))
    )


def rollout_state(rollout: RolloutStatus) -> str:
    """kubectl rollout status's verdict in one word: stalled (past progressDeadlineSeconds),
    complete, or progressing (anything it would still wait for)."""
    if rollout.stalled:
        return "stalled"
    return "complete" if rollout.done else "progressing"


def _replicas(spec: Mapping[str, Any]) -> int:
    replicas = spec.get("replicas")
    return 1 if replicas is None else _int(replicas)  # the API server's default


def _percent_or_int(value: Any, default: str) -> str:
    if type(value) is int or type(value) is str:
        return str(value)
    return default


def deployment_strategy(spec: Mapping[str, Any]) -> str:
    """As `kubectl describe deployment` says it: "RollingUpdate (25% max unavailable, 25% max
    surge)" or "Recreate"."""
    strategy = _mapping(spec.get("strategy"))
    kind = _str(strategy.get("type")) or "RollingUpdate"
    if kind != "RollingUpdate":
        return kind
    rolling = _mapping(strategy.get("rollingUpdate"))
    unavailable = _percent_or_int(rolling.get("maxUnavailable"), "25%")
    surge = _percent_or_int(rolling.get("maxSurge"), "25%")
    return f"RollingUpdate ({unavailable} max unavailable, {surge} max surge)"


def statefulset_strategy(spec: Mapping[str, Any]) -> str:
    strategy = _mapping(spec.get("updateStrategy"))
    kind = _str(strategy.get("type")) or "RollingUpdate"
    partition = _mapping(strategy.get("rollingUpdate")).get("partition")
    if kind == "RollingUpdate" and type(partition) is int and partition:
        return f"RollingUpdate (partition {partition})"
    return kind


def deployment_info(dep: Mapping[str, Any]) -> DeploymentInfo:
    meta = _mapping(dep.get("metadata"))
    spec = _mapping(dep.get("spec"))
    status = _mapping(dep.get("status"))
    revision = _mapping(meta.get("annotations")).get(REVISION)
    rollout = deployment_rollout(dep)
    return DeploymentInfo(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        replicas=_replicas(spec),
        ready=_int(status.get("readyReplicas")),
        updated=_int(status.get("updatedReplicas")),
        available=_int(status.get("availableReplicas")),
        revision=int(revision) if isinstance(revision, str) and revision.isdigit() else None,
        image=template_image(spec.get("template")),
        kind="Deployment",
        rollout=rollout_state(rollout),
        rollout_message=rollout.message,
        created_at=parse_time(meta.get("creationTimestamp")),
        strategy=deployment_strategy(spec),
        conditions=workload_conditions(status),
    )


def statefulset_info(sts: Mapping[str, Any]) -> DeploymentInfo:
    """A statefulset as the workloads view shows it (`kubectl get statefulsets` has READY only;
    up-to-date and available are its status' updatedReplicas and availableReplicas)."""
    meta = _mapping(sts.get("metadata"))
    spec = _mapping(sts.get("spec"))
    status = _mapping(sts.get("status"))
    rollout = statefulset_rollout(sts)
    return DeploymentInfo(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        replicas=_replicas(spec),
        ready=_int(status.get("readyReplicas")),
        updated=_int(status.get("updatedReplicas")),
        available=_int(status.get("availableReplicas")),
        revision=None,  # the number is its updateRevision's ControllerRevision's
        image=template_image(spec.get("template")),
        kind="StatefulSet",
        rollout=rollout_state(rollout),
        rollout_message=rollout.message,
        created_at=parse_time(meta.get("creationTimestamp")),
        strategy=statefulset_strategy(spec),
        conditions=workload_conditions(status),
        update_revision=_str(status.get("updateRevision")),
    )


def _controller(meta: Mapping[str, Any], kinds: tuple[str, ...]) -> tuple[str, str]:
    """The (kind, name) of the object's controller among `kinds`; ("", "") without one."""
    refs = _mappings(meta.get("ownerReferences"))
    for ref in sorted(refs, key=lambda r: r.get("controller") is not True):
        kind = _str(ref.get("kind"))
        if kind in kinds and _str(ref.get("name")):
            return kind, _str(ref.get("name"))
    return "", ""


def replicaset_revision(rs: Mapping[str, Any]) -> RevisionInfo:
    """A deployment's ReplicaSet as one revision of it (`kubectl rollout history`)."""
    meta = _mapping(rs.get("metadata"))
    spec = _mapping(rs.get("spec"))
    kind, owner = _controller(meta, ("Deployment",))
    revision = _mapping(meta.get("annotations")).get(REVISION)
    return RevisionInfo(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        owner=owner,
        owner_kind=kind or "Deployment",
        revision=int(revision) if isinstance(revision, str) and revision.isdigit() else None,
        image=template_image(spec.get("template")),
        created_at=parse_time(meta.get("creationTimestamp")),
        replicas=_int(spec.get("replicas")),
    )


def controller_revision(cr: Mapping[str, Any]) -> RevisionInfo:
    """A statefulset's ControllerRevision: its revision number and the template it holds (the
    statefulset controller stores `{"spec": {"template": ...}}` as its data)."""
    meta = _mapping(cr.get("metadata"))
    kind, owner = _controller(meta, ("StatefulSet", "DaemonSet"))
    template = _mapping(_mapping(_mapping(cr.get("data")).get("spec")).get("template"))
    revision = cr.get("revision")
    return RevisionInfo(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        owner=owner,
        owner_kind=kind or "StatefulSet",
        revision=revision if type(revision) is int else None,
        image=template_image(template),
        created_at=parse_time(meta.get("creationTimestamp")),
    )
