"""Server-side printing: the `Table` (meta.k8s.io/v1) kubectl asks for with
`Accept: application/json;as=Table;...` and prints as its columns.

kubectl prints no columns of its own for these resources: without a Table answer it shows only
NAME and AGE. So the rules here are the API server's printers (pkg/printers/internalversion,
Kubernetes 1.32): `printPod` (READY with sidecars, STATUS with init containers, SchedulingGated,
Completed/NotReady, Terminating, Unknown; RESTARTS with the last restart's age), `printEvent`,
deployments, statefulsets, replicasets, controllerrevisions, namespaces, and
`duration.HumanDuration` for ages. The server generates the wide cells always (as the real one
does); kubectl hides the priority-1 columns unless `-o wide`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tests.servers.apiserver.selectors import format_label_selector

Obj = Mapping[str, Any]


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    if "." in text:  # MicroTime: up to 6 digits of fraction; Python wants exactly up to 6
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def human_duration(seconds_float: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    seconds = int(seconds_float)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def since(value: str | None, now: datetime) -> str:
    """translateTimestampSince: `<unknown>` for a zero time."""
    at = parse_time(value)
    if at is None:
        return "<unknown>"
    return human_duration((now - at).total_seconds())


def _col(name: str, kind: str = "string", priority: int = 0, fmt: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": "", "priority": priority}


# -- pods -------------------------------------------------------------------------------------

POD_COLUMNS = [
    _col("Name", fmt="name"),
    _col("Ready"),
    _col("Status"),
    _col("Restarts"),
    _col("Age"),
    _col("IP", priority=1),
    _col("Node", priority=1),
    _col("Nominated Node", priority=1),
    _col("Readiness Gates", priority=1),
]
_POD_SUCCESS = [
    {
        "type": "Completed",
        "status": "True",
        "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }
]
_POD_FAILED = [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]


def _restartable(container: Obj | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"  # type: ignore[union-attr]


def _terminated_at(cs: Obj) -> datetime | None:
    term = ((cs.get("lastState") or {}).get("terminated")) or None
    return parse_time(term.get("finishedAt")) if term else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def pod_cells(pod: Obj, now: datetime) -> tuple[list[Any], list[dict[str, Any]] | None]:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    restarts = 0
    sidecar_restarts = 0
    init_specs = spec.get("initContainers") or []
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions = _POD_SUCCESS if phase == "Succeeded" else _POD_FAILED if phase == "Failed" else None
    by_name = {c.get("name"): c for c in init_specs}
    total += sum(1 for c in init_specs if _restartable(c))

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        last_restart = _later(last_restart, _terminated_at(cs))
        sidecar = _restartable(by_name.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, _terminated_at(cs))
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and int(term.get("exitCode") or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            if not term.get("reason"):
                if term.get("signal"):
                    reason = f"Init:Signal:{term['signal']}"
                else:
                    reason = f"Init:ExitCode:{int(term.get('exitCode') or 0)}"
            else:
                reason = "Init:" + term["reason"]
            initializing = True
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
            initializing = True
        else:
            reason = f"Init:{i}/{len(init_specs)}"
            initializing = True
        break

    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    if not initializing or initialized:
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = _later(last_restart, _terminated_at(cs))
            state = cs.get("state") or {}
            waiting, term = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                if term.get("signal"):
                    reason = f"Signal:{term['signal']}"
                else:
                    reason = f"ExitCode:{int(term.get('exitCode') or 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
            )
            reason = "Running" if pod_ready else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({human_duration((now - last_restart).total_seconds())} ago)"

    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        true_types = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
        gates_cell = f"{sum(1 for g in gates if g.get('conditionType') in true_types)}/{len(gates)}"
    cells = [
        meta.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        since(meta.get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]
    return cells, conditions


# -- events -----------------------------------------------------------------------------------

EVENT_COLUMNS = [
    _col("Last Seen"),
    _col("Type"),
    _col("Reason"),
    _col("Object"),
    _col("Subobject", priority=1),
    _col("Source", priority=1),
    _col("Message"),
    _col("First Seen", priority=1),
    _col("Count", priority=1),
    _col("Name", priority=1, fmt="name"),
]


def event_cells(ev: Obj, now: datetime) -> tuple[list[Any], None]:
    first = (
        since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else since(ev.get("eventTime"), now)
    )
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = int(ev.get("count") or 0)
    series = ev.get("series")
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1
    involved = ev.get("involvedObject") or {}
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    instance = source.get("host") or ev.get("reportingInstance") or ""
    source_cell = f"{component}, {instance}" if instance else component
    cells = [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        source_cell,
        str(ev.get("message") or "").strip(),
        first,
        count,
        (ev.get("metadata") or {}).get("name", ""),
    ]
    return cells, None


# -- workloads ----------------------------------------------------------------------------------


def _containers(obj: Obj) -> tuple[str, str]:
    containers = ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


DEPLOYMENT_COLUMNS = [
    _col("Name", fmt="name"),
    _col("Ready"),
    _col("Up-to-date", "integer"),
    _col("Available", "integer"),
    _col("Age"),
    _col("Containers", priority=1),
    _col("Images", priority=1),
    _col("Selector", priority=1),
]


def deployment_cells(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    return [
        obj["metadata"]["name"],
        f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas') or 0)}",
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        since(obj["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ], None


STATEFULSET_COLUMNS = [
    _col("Name", fmt="name"),
    _col("Ready"),
    _col("Age"),
    _col("Containers", priority=1),
    _col("Images", priority=1),
]


def statefulset_cells(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    return [
        obj["metadata"]["name"],
        f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas') or 0)}",
        since(obj["metadata"].get("creationTimestamp"), now),
        names,
        images,
    ], None


REPLICASET_COLUMNS = [
    _col("Name", fmt="name"),
    _col("Desired", "integer"),
    _col("Current", "integer"),
    _col("Ready", "integer"),
    _col("Age"),
    _col("Containers", priority=1),
    _col("Images", priority=1),
    _col("Selector", priority=1),
]


def replicaset_cells(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = _containers(obj)
    return [
        obj["metadata"]["name"],
        int(spec.get("replicas") or 0),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        since(obj["metadata"].get("creationTimestamp"), now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ], None


REVISION_COLUMNS = [_col("Name", fmt="name"), _col("Controller"), _col("Revision", "integer"), _col("Age")]


def revision_cells(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = obj["metadata"]
    controller = "<none>"
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            group = ref.get("apiVersion", "").rpartition("/")[0]
            kind = ref.get("kind", "").lower()
            controller = f"{kind}.{group}/{ref.get('name')}" if group else f"{kind}/{ref.get('name')}"
    return [
        meta["name"],
        controller,
        int(obj.get("revision") or 0),
        since(meta.get("creationTimestamp"), now),
    ], None


NAMESPACE_COLUMNS = [_col("Name", fmt="name"), _col("Status"), _col("Age")]


def namespace_cells(obj: Obj, now: datetime) -> tuple[list[Any], None]:
    meta = obj["metadata"]
    return [
        meta["name"],
        (obj.get("status") or {}).get("phase", ""),
        since(meta.get("creationTimestamp"), now),
    ], None


Printer = Callable[[Obj, datetime], tuple[list[Any], list[dict[str, Any]] | None]]
PRINTERS: dict[str, tuple[list[dict[str, Any]], Printer]] = {
    "pods": (POD_COLUMNS, pod_cells),
    "events": (EVENT_COLUMNS, event_cells),
    "deployments": (DEPLOYMENT_COLUMNS, deployment_cells),
    "statefulsets": (STATEFULSET_COLUMNS, statefulset_cells),
    "replicasets": (REPLICASET_COLUMNS, replicaset_cells),
    "controllerrevisions": (REVISION_COLUMNS, revision_cells),
    "namespaces": (NAMESPACE_COLUMNS, namespace_cells),
}


def table(
    resource: str,
    objects: list[tuple[Obj, bytes]],
    *,
    api_version: str,
    include: str,
    metadata: dict[str, Any],
    now: datetime | None = None,
) -> bytes:
    """The Table body for `objects`; `include` is the includeObject parameter (None, Metadata or
    Object: kubectl asks for Object when it sorts, to read the field it sorts by)."""
    columns, printer = PRINTERS[resource]
    now = now or datetime.now(UTC)
    rows: list[bytes] = []
    for obj, raw in objects:
        cells, conditions = printer(obj, now)
        row = b'{"cells":' + json.dumps(cells, separators=(",", ":")).encode()
        if conditions:
            row += b',"conditions":' + json.dumps(conditions).encode()
        if include == "Object":
            row += b',"object":' + raw
        elif include != "None":
            partial = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
            row += b',"object":' + json.dumps(partial, separators=(",", ":")).encode()
        rows.append(row + b"}")
    head = {"kind": "Table", "apiVersion": api_version, "metadata": metadata, "columnDefinitions": columns}
    return json.dumps(head, separators=(",", ":")).encode()[:-1] + b',"rows":[' + b",".join(rows) + b"]}"
