"""Snapshots: the plain data that flows from a source to a panel.

Nothing here imports Textual or any client library. A source builds these; a panel renders
them. Every text field that came from outside (a response body, a pod reason, a log line) is
raw: panels pass it through `tui.core.untrusted` before it reaches the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Health = Literal["UP", "DEGRADED", "DOWN", "UNKNOWN"]
SloState = Literal["OK", "WARN", "BREACH", "UNKNOWN"]

HISTORY_LEN = 20  # results kept per service for the history column


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What every panel's status line shows about the source behind it."""

    ok: bool
    updated_at: datetime | None  # last successful cycle
    error: str | None = None  # one line: "connection refused"
    retry_in_s: float | None = None
    failing_since: datetime | None = None  # first failure of the current run of failures
    retry_at: datetime | None = None  # when the next try starts, so the line can count down
    trying: bool = False  # a try of a failing source is under way (the error is the last one)


@dataclass(frozen=True, slots=True)
class ServiceHealth:
    name: str
    state: Health
    code: int | None  # HTTP status, exit code of a command check, None for tcp/errors
    latency_ms: float | None
    detail: str  # one line: "connection refused", "status: degraded", "HTTP 503"
    checked_at: datetime
    changed_at: datetime | None  # when `state` last changed (None: never seen another state)
    history: tuple[Health, ...] = ()  # oldest first, at most HISTORY_LEN
    target: str = ""  # the URL, host:port or command, for display
    deployment: str | None = None
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    services: tuple[ServiceHealth, ...]
    # How long one round of every check takes at the source's concurrency bound, and the
    # interval it has to fit in (None: not known yet, or a source that does not say).
    round_s: float | None = None
    interval_s: float | None = None


@dataclass(frozen=True, slots=True)
class PodInfo:
    namespace: str
    name: str
    workload: str | None  # owning deployment (or statefulset) name
    status: str  # what `kubectl get pods` shows: Running, CrashLoopBackOff, Pending, ...
    ready: int  # ready containers
    containers: int
    restarts: int  # as kubectl counts them: init containers while the pod initializes
    created_at: datetime | None
    node: str = ""
    # When the last counted restart happened (the newest lastState.terminated.finishedAt): kubectl
    # prints it as "7 (91s ago)". None: no restart, or the server did not say.
    last_restart_at: datetime | None = None
    ip: str = ""  # the pod's IP (`kubectl get pods -o wide`); "" before it has one
    phase: str = ""  # Pending, Running, Succeeded, Failed, Unknown ("" when not known)
    # The kind of `workload` by the pod's controller reference: "Deployment" (through its
    # ReplicaSet), "StatefulSet", "DaemonSet", "Job"; "" when only the labels named it.
    workload_kind: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class DeploymentInfo:
    namespace: str
    name: str
    replicas: int  # desired
    ready: int
    updated: int
    available: int
    revision: int | None = None
    image: str = ""
    # A statefulset is one of these too (the workloads view shows both): "Deployment" or
    # "StatefulSet", as its kind is spelled in an owner reference.
    kind: str = "Deployment"
    # Where its rollout is, as `kubectl rollout status` decides (tui.sources.kubernetes.rollout):
    # "complete", "progressing" or "stalled" (past progressDeadlineSeconds); "" when not known.
    rollout: str = ""
    rollout_message: str = ""  # kubectl's words: 'Waiting for deployment "web" rollout to finish: …'
    created_at: datetime | None = None
    strategy: str = ""  # RollingUpdate (maxSurge/maxUnavailable or partition), Recreate, OnDelete
    conditions: tuple[WorkloadCondition, ...] = ()
    # A statefulset's updateRevision (a ControllerRevision's name): its number is that
    # revision's, found among the snapshot's revisions.
    update_revision: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class WorkloadCondition:
    """One of status.conditions (a workload's or a pod's), as `kubectl describe` lists them."""

    type: str
    status: str  # "True", "False", "Unknown"
    reason: str = ""
    message: str = ""
    changed_at: datetime | None = None  # lastTransitionTime


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    """One revision of a workload: a deployment's ReplicaSet or a statefulset's
    ControllerRevision (what `kubectl rollout history` lists and `rollout undo` goes back to)."""

    namespace: str
    name: str  # the ReplicaSet's or ControllerRevision's own name
    owner: str  # the deployment or statefulset it belongs to ("" when it has no owner)
    owner_kind: str  # "Deployment" or "StatefulSet"
    revision: int | None
    image: str = ""
    created_at: datetime | None = None
    replicas: int = 0  # a ReplicaSet's spec.replicas (0 for an old one); 0 for a ControllerRevision

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ContainerDetail:
    """One container of a pod as `kubectl describe pod` lists it."""

    name: str
    image: str
    state: str  # "Running", "Waiting", "Terminated" ("" before the kubelet said)
    reason: str = ""  # the state's: CrashLoopBackOff, OOMKilled, Completed, ...
    exit_code: int | None = None  # of a terminated state
    since: datetime | None = None  # startedAt of a running one, finishedAt of a terminated one
    message: str = ""
    last_state: str = ""  # "Terminated" when it ran before
    last_reason: str = ""  # OOMKilled, Error, ...
    last_exit_code: int | None = None
    last_finished_at: datetime | None = None
    restarts: int = 0
    ready: bool = False
    init: bool = False  # an init container (or a sidecar)


@dataclass(frozen=True, slots=True)
class PodDescription:
    """What `kubectl describe pod` shows beyond `get pods`: read from one GET of the pod when
    it is asked for (`enter`), not kept for every pod watched."""

    namespace: str
    name: str
    containers: tuple[ContainerDetail, ...]
    conditions: tuple[WorkloadCondition, ...]
    node: str = ""
    ip: str = ""
    owner: str = ""  # "ReplicaSet/web-7d4b9c8f6", "StatefulSet/redis"
    phase: str = ""
    reason: str = ""  # the pod's own (Evicted, ...)
    message: str = ""
    qos: str = ""
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class KubeEvent:
    """A core/v1 Event, as `kubectl get events` lists it: what happened to which object, how
    often, and when it was last seen."""

    namespace: str
    name: str  # the Event object's own name
    kind: str  # of the object it is about: "Pod", "Deployment", "ReplicaSet", "Node", ...
    object: str  # that object's name
    reason: str  # "BackOff", "FailedScheduling", "Unhealthy", "Pulled", ...
    message: str
    type: str  # "Normal" or "Warning"
    count: int  # how many times it happened (count, or series.count)
    last_at: datetime | None  # lastTimestamp, else eventTime / series.lastObservedTime
    first_at: datetime | None = None
    component: str = ""  # who reported it: kubelet, default-scheduler, deployment-controller

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def warning(self) -> bool:
        return self.type == "Warning"


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    context: str
    pods: tuple[PodInfo, ...]
    deployments: tuple[DeploymentInfo, ...] = ()
    # What could not be read while the pods could, one line each: "deployments: forbidden
    # (RBAC: list deployments in payments)". The rows shown are what was readable.
    problems: tuple[str, ...] = ()
    statefulsets: tuple[DeploymentInfo, ...] = ()
    # Deployments' ReplicaSets and statefulsets' ControllerRevisions: revision numbers and history.
    revisions: tuple[RevisionInfo, ...] = ()
    # The newest events of each namespace watched (the cache is bounded: events churn).
    events: tuple[KubeEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class SloStatus:
    name: str
    kind: Literal["ratio", "threshold"]
    objective: float  # ratio: percent (99.9); threshold: the objective level of the gauge
    state: SloState
    value: float | None  # ratio: error ratio as a fraction; threshold: the gauge's value
    window: str | None = None  # "30d" for ratio SLOs
    budget_remaining: float | None = None  # fraction of the error budget left (may go negative)
    burn_rate: float | None = None  # error ratio / (1 - objective)
    detail: str = ""
    history: tuple[float, ...] = field(default=())  # recent values, oldest first, for a sparkline
    unit: str = ""  # a threshold SLO's unit ("ms", "connections"), shown with its values


@dataclass(frozen=True, slots=True)
class SloSnapshot:
    slos: tuple[SloStatus, ...]


@dataclass(frozen=True, slots=True)
class LogLine:
    at: datetime | None
    origin: str  # pod name, file name or Loki stream
    text: str  # raw, untrusted
    level: str | None = None  # "error", "warn", "info", "debug" when known


@dataclass(frozen=True, slots=True)
class LogBatch:
    """The lines that arrived since the previous poll."""

    lines: tuple[LogLine, ...]
    dropped: int = 0  # lines the source had to drop (burst over its buffer)


@dataclass(frozen=True, slots=True)
class LogTarget:
    """Whose logs `l` asked for: a workload's pods (`kind` "workload": the owner of the pod the
    key was pressed on, whatever its kind; the source names it), or one pod (`kind` "pod").
    `pod` is the pod the key was pressed on: what `p` reads the previous container of."""

    namespace: str
    kind: str  # "pod" | "workload" | "deployment" | "statefulset" | ...
    name: str
    pod: str | None = None
    previous: bool = False  # the last terminated container's logs (`kubectl logs --previous`)


@dataclass(frozen=True, slots=True)
class PodLogBatch(LogBatch):
    """A batch of a pod-logs source (`l`), with what it shows, for the log panel's title:
    `label` "deployment/web" (the kind as found), `pods` the pods read in this cycle."""

    label: str = ""
    pods: tuple[str, ...] = ()
    previous: bool = False
