"""What `kubectl get pods` shows, from the API's JSON: a pod's status word, its workload, the
rows of the pods panel (pods and deployments). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tui.core.model import DeploymentInfo, PodInfo

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


def pod_status(pod: Mapping[str, Any]) -> str:
    """The STATUS column of `kubectl get pods`, computed the way kubectl's printer does: the
    phase (or the pod's reason), overridden by init-container progress, then by the last
    container's waiting or terminated reason; "Terminating" once a deletion is under way."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "Unknown")

    initializing = False
    init_specs = spec.get("initContainers") or []
    restartable = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if cs.get("name") in restartable and cs.get("started"):
            continue  # a sidecar that is up does not hold the pod in Init
        if terminated is not None:
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated is not None:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _condition_true(status: Mapping[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or [])


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


def replicaset_deployment(rs_name: str, template_hash: str | None) -> str:
    """`api-gateway-7d4b9c8f6` → `api-gateway`: a ReplicaSet is named deployment-<hash>."""
    if template_hash and rs_name.endswith(f"-{template_hash}"):
        return rs_name[: -len(template_hash) - 1]
    base, sep, suffix = rs_name.rpartition("-")
    if sep and base and _HASH_SUFFIX.fullmatch(suffix):
        return base
    return rs_name


def pod_info(pod: Mapping[str, Any]) -> PodInfo:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    ready = sum(
        1 for cs in statuses if cs.get("ready") and (cs.get("state") or {}).get("running") is not None
    )
    restarts = sum(int(cs.get("restartCount") or 0) for cs in statuses)
    containers = len(spec.get("containers") or []) or len(statuses)
    return PodInfo(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        workload=pod_workload(pod),
        status=pod_status(pod),
        ready=ready,
        containers=containers,
        restarts=restarts,
        created_at=parse_time(meta.get("creationTimestamp")),
        node=str(spec.get("nodeName") or ""),
    )


def deployment_info(dep: Mapping[str, Any]) -> DeploymentInfo:
    meta = dep.get("metadata") or {}
    spec = dep.get("spec") or {}
    status = dep.get("status") or {}
    revision = (meta.get("annotations") or {}).get(REVISION)
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    images = [str(c.get("image") or "") for c in containers]
    image = images[0] if images else ""
    if len(images) > 1:
        image = f"{image} +{len(images) - 1}"
    replicas = spec.get("replicas")
    return DeploymentInfo(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        replicas=1 if replicas is None else int(replicas),
        ready=int(status.get("readyReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        revision=int(revision) if isinstance(revision, str) and revision.isdigit() else None,
        image=image,
    )
