"""Pods and the controllers that own them, stepped one simulated second at a time.

A pod goes ContainerCreating -> Running (not ready while it boots) -> ready; a container that
exits waits out the kubelet's back-off (10 s, doubling, at most 5 min, reset after 10 min of
running) in CrashLoopBackOff and is restarted. A Deployment rolls out like the real controller
with the default strategy (maxSurge 25 % rounded up, maxUnavailable 25 % rounded down): new pods
come up a few at a time and old ones go only as new ones become ready, so a rollout whose new
pods never become ready stalls, as it does in a real cluster.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.demo.topology import NODES, WorkloadSpec

HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes encodes names with
BACKOFF_START_S = 10.0
BACKOFF_MAX_S = 300.0
BACKOFF_RESET_S = 600.0
EXIT_SHOWN_S = 3  # "Error"/"OOMKilled" is shown this long before "CrashLoopBackOff"


def rng(seed: int, *purpose: object) -> random.Random:
    """A generator of its own for each purpose, so that adding a log line does not move a pod's
    name. A string seed is hashed with SHA-512, the same on every run and platform."""
    return random.Random("/".join([str(seed), *(str(p) for p in purpose)]))


def k8s_name(r: random.Random, length: int) -> str:
    return "".join(r.choice(HASH_ALPHABET) for _ in range(length))


@dataclass(frozen=True, slots=True)
class Template:
    """A pod template (a ReplicaSet): what a rollout switches between."""

    revision: int
    tag: str
    hash: str
    bad: bool = False  # the release with the checkout bug (bad-deploy)


@dataclass(slots=True)
class SimPod:
    namespace: str
    name: str
    workload: str
    node: str
    ip: str
    containers: int
    created: float  # simulated seconds since the scenario's start (negative: before it)
    template: str  # the template hash ("" for StatefulSet and DaemonSet pods)
    start_delay: float  # ContainerCreating lasts this long
    boot_s: float
    run_s: float
    grace_s: float
    crash_from: float = math.inf  # this pod's own fault (its volume is corrupt): crashes from then
    pending: bool = False  # unschedulable: never starts
    started_at: float | None = None  # the running container's start
    ready: bool = False
    restarts: int = 0
    exited_at: float | None = None
    last_exit: float | None = None  # when the container last ended (kubectl's "(91s ago)")
    exit_reason: str = ""
    restart_at: float = 0.0
    backoff: int = 0
    terminating_at: float | None = None

    @property
    def serving(self) -> bool:
        """In the Service's endpoints: ready and not on its way out."""
        return self.ready and self.terminating_at is None

    def step(self, t: int, crash: str | None, boot_blocked: bool) -> str | None:
        """Advance to second `t`. `crash`: the reason the main container dies now if it is
        running (None: it does not); `boot_blocked`: a container still booting exits (it cannot
        reach what it needs to start). Returns what happened: started, ready, exited, or None."""
        if self.terminating_at is not None or self.pending:
            return None
        if self.started_at is None:
            if self.exited_at is None:
                if t >= self.created + self.start_delay:
                    self._start(t)
                    return "started"
                return None
            if t >= self.restart_at:
                self.restarts += 1
                self._start(t)
                return "started"
            return None
        ran = t - self.started_at
        if crash is not None and ran >= self.run_s:
            self._exit(t, crash)
            return "exited"
        if boot_blocked and not self.ready and ran >= self.run_s:
            self._exit(t, "Error")
            return "exited"
        if not self.ready and ran >= self.boot_s:
            self.ready = True
            return "ready"
        return None

    def _start(self, t: float) -> None:
        self.started_at = t
        self.exited_at = None
        self.ready = False

    def _exit(self, t: float, reason: str) -> None:
        assert self.started_at is not None
        if t - self.started_at >= BACKOFF_RESET_S:
            self.backoff = 0
        delay = min(BACKOFF_MAX_S, BACKOFF_START_S * 2**self.backoff)
        self.backoff += 1
        self.started_at = None
        self.exited_at = t
        self.last_exit = t
        self.exit_reason = reason
        self.restart_at = t + delay
        self.ready = False

    def status(self, t: float) -> str:
        """What `kubectl get pods` shows in STATUS."""
        if self.terminating_at is not None:
            return "Terminating"
        if self.pending:
            return "Pending"
        if self.started_at is not None:
            return "Running"
        if self.exited_at is None:
            return "ContainerCreating"
        return self.exit_reason if t - self.exited_at < EXIT_SHOWN_S else "CrashLoopBackOff"

    def phase(self) -> str:
        """The pod's phase: Pending until its containers are created, then Running (a crashing
        container does not change it)."""
        if self.pending or (self.started_at is None and self.exited_at is None and self.restarts == 0):
            return "Pending"
        return "Running"

    def ready_containers(self) -> int:
        if self.terminating_at is not None or self.pending:
            return 0
        if self.ready:
            return self.containers
        if self.started_at is None and self.exited_at is None:
            return 0  # still creating: nothing runs yet
        return self.containers - 1  # the main container is down or booting; sidecars are up

    def crash_looping(self) -> bool:
        return self.terminating_at is None and self.exited_at is not None and self.started_at is None


CrashFn = Callable[["Controller", SimPod, int], str | None]


@dataclass
class Controller:
    """A Deployment, StatefulSet or DaemonSet and its pods."""

    spec: WorkloadSpec
    seed: int
    desired: int = 0
    template: Template = field(init=False)
    history: list[Template] = field(init=False)  # one entry per template, with its latest revision
    pods: list[SimPod] = field(default_factory=list)
    counter: int = 0  # pods made so far, for their names and their own random numbers
    seen_tags: set[str] = field(default_factory=set)  # images already pulled on the nodes

    def __post_init__(self) -> None:
        spec = self.spec
        self.desired = spec.replicas
        previous = Template(spec.revision - 1, spec.previous_tag, self.new_hash("previous"))
        self.template = Template(spec.revision, spec.tag, self.new_hash("current"))
        self.history = [previous, self.template]
        self.seen_tags = {spec.tag, spec.previous_tag}

    @property
    def key(self) -> str:
        return self.spec.key

    def new_hash(self, which: object) -> str:
        r = rng(self.seed, "template", self.spec.key, which)
        return k8s_name(r, 9 if self.spec.kind == "Deployment" else 0)

    # ---- pods -------------------------------------------------------------------------------
    def _make_pod(
        self, t: float, *, name: str | None = None, node: str | None = None, age_s: float = 0.0
    ) -> SimPod:
        spec = self.spec
        r = rng(self.seed, "pod", spec.key, self.counter)
        self.counter += 1
        if name is None:
            prefix = f"{spec.name}-{self.template.hash}" if spec.kind == "Deployment" else spec.name
            name = f"{prefix}-{k8s_name(r, 5)}"
        node_index = NODES.index(node) if node is not None else r.randrange(len(NODES))
        fresh_image = self.template.tag not in self.seen_tags
        live = [p for p in self.pods if p.terminating_at is None and not p.pending]
        pod = SimPod(
            namespace=spec.namespace,
            name=name,
            workload=spec.name,
            node=NODES[node_index],
            ip=f"10.0.{node_index + 1}.{r.randint(10, 250)}",
            containers=spec.containers,
            created=t - age_s,
            template=self.template.hash if spec.kind == "Deployment" else "",
            start_delay=r.uniform(6.0, 11.0) if fresh_image else r.uniform(1.5, 3.5),
            boot_s=r.uniform(*spec.boot_s),
            run_s=spec.run_s + r.uniform(0.0, 1.5),
            grace_s=spec.grace_s + r.uniform(0.0, 2.0),
            pending=len(live) >= spec.max_pods,
        )
        if age_s > 0:  # a pod that has been up for days: running, ready, a restart or two
            pod.started_at = pod.created + pod.start_delay
            pod.ready = True
            pod.restarts = r.choice((0, 0, 0, 0, 1, 2))
            if pod.restarts:  # the last one some time in its life (a generator of its own)
                pod.last_exit = t - age_s * rng(self.seed, "last-exit", spec.key, self.counter).uniform(
                    0.05, 0.9
                )
        self.pods.append(pod)
        return pod

    def seed_pods(self, t: float) -> None:
        """The pods that were there before the simulation began, up for hours to weeks."""
        r = rng(self.seed, "ages", self.spec.key)
        if self.spec.kind == "DaemonSet":
            for node in NODES:
                self._make_pod(t, node=node, age_s=r.uniform(9, 40) * 86400)
            return
        age = r.uniform(0.5, 12) * 86400
        for i in range(self.desired):
            name = f"{self.spec.name}-{i}" if self.spec.kind == "StatefulSet" else None
            self._make_pod(t, name=name, age_s=age + r.uniform(0, 90))

    def live(self) -> list[SimPod]:
        return [p for p in self.pods if p.terminating_at is None]

    def serving(self) -> int:
        return sum(p.serving for p in self.pods)

    def find(self, name: str) -> SimPod | None:
        return next((p for p in self.pods if p.name == name), None)

    def terminate(self, pod: SimPod, t: float) -> None:
        if pod.terminating_at is None:
            pod.terminating_at = t
            pod.ready = False

    def rollout(self, template: Template) -> None:
        self.template = template

    def step(self, t: int, crash: CrashFn, boot_blocked: bool) -> list[tuple[str, SimPod]]:
        """One second of the controller and its pods; returns the pods' events."""
        self.pods = [p for p in self.pods if p.terminating_at is None or t < p.terminating_at + p.grace_s]
        if self.spec.kind == "Deployment":
            self._reconcile_deployment(t)
        else:
            self._reconcile_slots(t)
        events: list[tuple[str, SimPod]] = []
        for pod in self.pods:
            event = pod.step(t, crash(self, pod, t), boot_blocked)
            if event is not None:
                events.append((event, pod))
        return events

    def _reconcile_slots(self, t: int) -> None:
        """StatefulSet: pod i always has the name `name-i`, made again once the old one is gone.
        DaemonSet: one pod per node."""
        if self.spec.kind == "StatefulSet":
            for i in range(self.desired):
                name = f"{self.spec.name}-{i}"
                if self.find(name) is None:
                    self._make_pod(t, name=name)
        else:
            for node in NODES:
                if not any(p.node == node for p in self.pods):
                    self._make_pod(t, node=node)

    def _reconcile_deployment(self, t: int) -> None:
        if any(p.template == self.template.hash and p.started_at is not None for p in self.pods):
            self.seen_tags.add(self.template.tag)  # pulled now: the next pods start faster
        live = self.live()
        new = [p for p in live if p.template == self.template.hash]
        old = [p for p in live if p.template != self.template.hash]
        desired = self.desired
        if not old:
            for _ in range(desired - len(new)):
                self._make_pod(t)
            for pod in _scale_down_order(new)[: max(0, len(new) - desired)]:
                self.terminate(pod, t)
            return
        surge = math.ceil(desired * 0.25)
        unavailable = math.floor(desired * 0.25)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        # Scale the new ReplicaSet up as far as maxSurge allows.
        room = desired + surge - len(live)
        for _ in range(max(0, min(room, desired - len(new)))):
            new.append(self._make_pod(t))
        for pod in _scale_down_order(new)[: max(0, len(new) - desired)]:
            self.terminate(pod, t)
            new.remove(pod)
        # Scale old ReplicaSets down: unhealthy pods first, then as availability allows.
        total = len(new) + len(old)
        min_available = desired - unavailable
        new_unready = sum(not p.ready for p in new)
        budget = total - min_available - new_unready
        for pod in [p for p in old if not p.ready]:
            if budget <= 0:
                break
            self.terminate(pod, t)
            old.remove(pod)
            budget -= 1
        available = sum(p.ready for p in new + old)
        for pod in sorted(old, key=lambda p: -p.created)[: max(0, available - min_available)]:
            self.terminate(pod, t)


def _scale_down_order(pods: list[SimPod]) -> list[SimPod]:
    """Which pods a ReplicaSet removes first: unscheduled, then not ready, then the newest."""
    return sorted(pods, key=lambda p: (not p.pending, p.ready, -p.created))
