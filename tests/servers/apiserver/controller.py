"""The controllers a rollout needs, in one thread: deployments (ReplicaSets by template hash,
revisions, rolling update within maxSurge/maxUnavailable, the Progressing and Available
conditions `kubectl rollout status` reads, ProgressDeadlineExceeded), replicasets (pods up and
down), statefulsets (ControllerRevisions, ordered pods, rolling update from the highest
ordinal, currentRevision/updateRevision) and a kubelet for the pods they create (Pending, then
Running and ready after `ready_after` seconds, or CrashLoopBackOff for an image in
`failing_images`). Pods seeded by a test are never touched by the kubelet part.

Pace, set by a test: `step` (seconds between two rollout steps), `ready_after`, `stall` (True:
nothing moves; rollouts hang, their deadlines still run). Work is driven by the store's changes
(only the workloads a change touches are reconciled), so 10,000 idle pods cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.servers.apiserver.printers import parse_time
from tests.servers.apiserver.store import ApiError, dumps

if TYPE_CHECKING:
    from tests.servers.apiserver.server import ApiServer

Obj = dict[str, Any]
SAFE = "bcdfghjklmnpqrstvwxz2456789"
REVISION = "deployment.kubernetes.io/revision"
HASH = "pod-template-hash"
STS_HASH = "controller-revision-hash"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_hash(template: Any, collisions: int = 0) -> str:
    """A pod-template-hash in the controller's alphabet (not its fnv hash: only stable and
    distinct per template matters)."""
    digest = hashlib.sha256(dumps(template) + str(collisions).encode()).digest()
    return "".join(SAFE[b % len(SAFE)] for b in digest[:10])


def _pruned(value: Any) -> Any:
    """A template as the typed API would hold it: no nulls, empty maps or lists (kubectl's
    undo sends the Go struct, `creationTimestamp: null` and `resources: {}` included)."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _without_hash(template: Any) -> Any:
    """The template compared and hashed: pruned, without the pod-template-hash label."""
    copy = _pruned(json.loads(dumps(template or {})))
    labels = (copy.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH, None)
    if not labels:
        (copy.get("metadata") or {}).pop("labels", None)
    if copy.get("metadata") == {}:
        del copy["metadata"]
    return copy


def _controller_uid(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _owner(obj: Obj) -> Obj:
    meta = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _scaled(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        share = int(value[:-1]) * total / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(value or 0)


def _pod_ready(pod: Obj) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _condition(status: Obj, kind: str) -> Obj | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), None)


def _set_condition(
    status: Obj, kind: str, value: str, reason: str, message: str, *, touch: bool = False
) -> None:
    """Set a condition: lastTransitionTime moves when the status flips, lastUpdateTime when it
    changes at all or `touch` (progress was made)."""
    now = _now()
    conditions = status.setdefault("conditions", [])
    old = _condition(status, kind)
    if old is None:
        conditions.append(
            {
                "type": kind,
                "status": value,
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": reason,
                "message": message,
            }
        )
        return
    if old["status"] != value:
        old["lastTransitionTime"] = now
    if old["status"] != value or old.get("reason") != reason or old.get("message") != message or touch:
        old["lastUpdateTime"] = now
    old.update(status=value, reason=reason, message=message)


class Controller:
    def __init__(self, api: ApiServer, *, step: float = 0.05) -> None:
        self.api = api
        self.step = step
        self.ready_after = 0.0
        self.failing_images: set[str] = set()
        self.stall = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.forget()

    def forget(self) -> None:
        """Start from nothing (a new store after a restart without state)."""
        self._seen_rv = -1
        self._dirty: set[tuple[str, str, str]] = set()
        self._kubelet: dict[tuple[str, str], float] = {}  # pods to start, with when
        self._rolling: set[tuple[str, str, str]] = set()  # incomplete: deadlines to check

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="apiserver-controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.api.store.cond:
            self.api.store.cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None

    # -- the loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            store = self.api.store
            with store.cond:
                if store.rv == self._seen_rv and not self._kubelet and not self._rolling:
                    store.cond.wait(0.5)
            if self._stop.is_set():
                break
            try:
                self.tick()
            except ApiError:
                pass  # a write raced a test's (a conflict, a deleted object): the next tick retries
            self._stop.wait(self.step)

    def _collect(self) -> None:
        store = self.api.store
        with store.cond:
            if self._seen_rv < store.floor:
                self._seen_rv = store.rv
                self._dirty |= {("deployments", *k) for k in store.objects["deployments"]}
                self._dirty |= {("replicasets", *k) for k in store.objects["replicasets"]}
                self._dirty |= {("statefulsets", *k) for k in store.objects["statefulsets"]}
                return
            changes = store.changes_after(self._seen_rv)
            self._seen_rv = store.rv
        for ch in changes:
            meta = ch.obj["metadata"]
            if ch.resource in ("deployments", "replicasets", "statefulsets"):
                self._dirty.add((ch.resource, ch.namespace, meta["name"]))
            if ch.resource in ("pods", "replicasets"):
                for ref in meta.get("ownerReferences") or []:
                    if ref.get("controller") and ref.get("kind") in (
                        "ReplicaSet",
                        "Deployment",
                        "StatefulSet",
                    ):
                        owner = {
                            "ReplicaSet": "replicasets",
                            "Deployment": "deployments",
                            "StatefulSet": "statefulsets",
                        }
                        self._dirty.add((owner[ref["kind"]], ch.namespace, ref["name"]))

    def tick(self) -> None:
        self._collect()
        if self.stall:
            for key in list(self._rolling):
                self._deadline_only(*key)
            return
        self._run_kubelet()
        dirty, self._dirty = self._dirty | self._rolling, set()
        for resource, ns, name in sorted(
            dirty, key=lambda k: ("replicasets", "deployments", "statefulsets").index(k[0])
        ):
            if resource == "replicasets":
                self._replicaset(ns, name)
            elif resource == "deployments":
                self._deployment(ns, name)
            else:
                self._statefulset(ns, name)

    # -- kubelet -------------------------------------------------------------------------------

    def _new_pod(self, owner: Obj, name: str, template: Obj, extra_labels: dict[str, str]) -> None:
        meta = template.get("metadata") or {}
        spec = json.loads(dumps(template.get("spec") or {}))
        spec.setdefault("nodeName", "node-1")
        spec.setdefault("restartPolicy", "Always")
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": owner["metadata"]["namespace"],
                "labels": {**(meta.get("labels") or {}), **extra_labels},
                "annotations": dict(meta.get("annotations") or {}),
                "ownerReferences": [_owner(owner)],
            },
            "spec": spec,
            "status": {
                "phase": "Pending",
                "conditions": [
                    {"type": "PodScheduled", "status": "True"},
                    {"type": "Initialized", "status": "True"},
                    {"type": "Ready", "status": "False"},
                    {"type": "ContainersReady", "status": "False"},
                ],
                "hostIP": "10.0.0.1",
                "startTime": _now(),
                "containerStatuses": [
                    {
                        "name": c["name"],
                        "image": c.get("image", ""),
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "started": False,
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                    }
                    for c in spec.get("containers") or []
                ],
            },
        }
        if not pod["metadata"]["annotations"]:
            del pod["metadata"]["annotations"]
        self.api.store.create("pods", pod, pod["metadata"]["namespace"])
        self._kubelet[(pod["metadata"]["namespace"], name)] = time.monotonic() + self.ready_after

    def _run_kubelet(self) -> None:
        now = time.monotonic()
        for key, due in list(self._kubelet.items()):
            if due > now:
                continue
            del self._kubelet[key]
            pod = self.api.store.get("pods", *key)
            if pod is None:
                continue
            images = [c.get("image") for c in pod["spec"].get("containers") or []]
            failing = any(image in self.failing_images for image in images)
            started = _now()
            statuses = []
            for c in pod["spec"].get("containers") or []:
                if c.get("image") in self.failing_images:
                    statuses.append(
                        {
                            "name": c["name"],
                            "image": c.get("image", ""),
                            "imageID": "",
                            "ready": False,
                            "started": False,
                            "restartCount": 3,
                            "state": {
                                "waiting": {
                                    "reason": "CrashLoopBackOff",
                                    "message": f"back-off 40s restarting failed container={c['name']} "
                                    f"pod={key[1]}",
                                }
                            },
                            "lastState": {
                                "terminated": {
                                    "exitCode": 1,
                                    "reason": "Error",
                                    "startedAt": started,
                                    "finishedAt": started,
                                }
                            },
                        }
                    )
                else:
                    statuses.append(
                        {
                            "name": c["name"],
                            "image": c.get("image", ""),
                            "imageID": "",
                            "ready": not failing,
                            "started": True,
                            "restartCount": 0,
                            "state": {"running": {"startedAt": started}},
                        }
                    )
            ready = "False" if failing else "True"
            ip = f"10.244.{(hash(key) >> 8) % 250}.{hash(key) % 250 + 2}"

            def start(obj: Obj, statuses: list[Obj] = statuses, ready: str = ready, ip: str = ip) -> None:
                status = obj["status"]
                status["phase"] = "Running"
                status["podIP"] = ip
                status["podIPs"] = [{"ip": ip}]
                status["containerStatuses"] = statuses
                for cond in status["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond["status"] = ready

            self.api.store.mutate("pods", key[0], key[1], start)
            if failing:
                pod_now = self.api.store.get("pods", *key)
                if pod_now is not None:
                    self.api.event(
                        pod_now, "BackOff", "Back-off restarting failed container", type="Warning", count=3
                    )

    # -- replicasets ---------------------------------------------------------------------------

    def _owned_pods(self, owner: Obj) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        return [
            s.obj
            for s in self.api.store.items("pods", owner["metadata"]["namespace"])
            if _controller_uid(s.obj) == uid
        ]

    def _replicaset(self, ns: str, name: str) -> None:
        rs = self.api.store.get("replicasets", ns, name)
        if rs is None:
            return
        want = int(rs["spec"].get("replicas", 1))
        pods = [p for p in self._owned_pods(rs) if not p["metadata"].get("deletionTimestamp")]
        if len(pods) < want:
            template = rs["spec"].get("template") or {}
            for _ in range(want - len(pods)):
                suffix = "".join(secrets.choice(SAFE) for _ in range(5))
                self._new_pod(rs, f"{name}-{suffix}", template, {})
        elif len(pods) > want:
            # Not ready first, then the youngest: the ReplicaSet controller's order, roughly.
            pods.sort(key=lambda p: (_pod_ready(p), p["metadata"]["creationTimestamp"]), reverse=False)
            for pod in pods[: len(pods) - want]:
                self.api.delete("pods", ns, pod["metadata"]["name"])
        pods = [p for p in self._owned_pods(rs) if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in pods if _pod_ready(p))

        def status(obj: Obj) -> None:
            obj["status"] = {
                "replicas": len(pods),
                "fullyLabeledReplicas": len(pods),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": obj["metadata"].get("generation", 1),
            }
            for key in ("readyReplicas", "availableReplicas"):
                if not obj["status"][key]:
                    del obj["status"][key]

        self.api.store.mutate("replicasets", ns, name, status)

    # -- deployments ---------------------------------------------------------------------------

    def _deployment(self, ns: str, name: str) -> None:
        store = self.api.store
        dep = store.get("deployments", ns, name)
        if dep is None:
            self._rolling.discard(("deployments", ns, name))
            return
        spec = dep["spec"]
        desired = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        uid = dep["metadata"]["uid"]
        sets = [s.obj for s in store.items("replicasets", ns) if _controller_uid(s.obj) == uid]
        new = next(
            (rs for rs in sets if _without_hash(rs["spec"].get("template")) == _without_hash(template)), None
        )
        top = max(
            (int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")) for rs in sets), default=0
        )
        created = False
        if new is None:
            pod_hash = template_hash(
                _without_hash(template), int((dep.get("status") or {}).get("collisionCount") or 0)
            )
            labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH: pod_hash}
            rs_template = json.loads(dumps(template))
            rs_template.setdefault("metadata", {})["labels"] = labels
            selector = json.loads(dumps(spec.get("selector") or {}))
            selector.setdefault("matchLabels", {})[HASH] = pod_hash
            olds_running = any(int(rs["spec"].get("replicas", 0)) for rs in sets)
            new = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{name}-{pod_hash}",
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {
                        REVISION: str(top + 1),
                        "deployment.kubernetes.io/desired-replicas": str(desired),
                        "deployment.kubernetes.io/max-replicas": str(desired + self._surge(dep, desired)),
                    },
                    "ownerReferences": [_owner(dep)],
                },
                "spec": {
                    "replicas": 0 if olds_running else desired,
                    "selector": selector,
                    "template": rs_template,
                },
            }
            new = json.loads(store.create("replicasets", new, ns).raw)
            created = True
            self._event(
                dep,
                "ScalingReplicaSet",
                f"Scaled up replica set {new['metadata']['name']} to {new['spec']['replicas']}",
            )
        elif int((new["metadata"].get("annotations") or {}).get(REVISION, "0")) < top:
            # An undo (or a template set back by hand): the old ReplicaSet is the newest revision.
            def promote(rs: Obj, revision: str = str(top + 1)) -> None:
                annotations = rs["metadata"].setdefault("annotations", {})
                history = [
                    h
                    for h in (annotations.get("deployment.kubernetes.io/revision-history") or "").split(",")
                    if h
                ]
                history.append(annotations.get(REVISION, "0"))
                annotations["deployment.kubernetes.io/revision-history"] = ",".join(history)
                annotations[REVISION] = revision

            new = json.loads(store.mutate("replicasets", ns, new["metadata"]["name"], promote).raw)
        olds = [rs for rs in sets if rs["metadata"]["name"] != new["metadata"]["name"]]
        if not spec.get("paused"):
            self._roll(dep, desired, new, olds)
        self._deployment_status(ns, name, created)

    def _surge(self, dep: Obj, desired: int) -> int:
        strategy = dep["spec"].get("strategy") or {}
        if strategy.get("type") == "Recreate":
            return 0
        return _scaled((strategy.get("rollingUpdate") or {}).get("maxSurge", "25%"), desired, round_up=True)

    def _unavailable(self, dep: Obj, desired: int) -> int:
        strategy = dep["spec"].get("strategy") or {}
        if strategy.get("type") == "Recreate":
            return desired
        rolling = strategy.get("rollingUpdate") or {}
        surge = _scaled(rolling.get("maxSurge", "25%"), desired, round_up=True)
        unavailable = _scaled(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
        return 1 if surge == 0 and unavailable == 0 else unavailable

    def _scale_rs(self, dep: Obj, rs: Obj, replicas: int) -> None:
        if int(rs["spec"].get("replicas", 0)) == replicas:
            return
        verb = "up" if replicas > int(rs["spec"].get("replicas", 0)) else "down"

        def scale(obj: Obj) -> None:
            obj["spec"]["replicas"] = replicas
            obj["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/desired-replicas"] = str(
                dep["spec"].get("replicas", 1)
            )

        self.api.store.mutate("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"], scale)
        self._event(
            dep, "ScalingReplicaSet", f"Scaled {verb} replica set {rs['metadata']['name']} to {replicas}"
        )

    def _roll(self, dep: Obj, desired: int, new: Obj, olds: list[Obj]) -> None:
        """One step of the rollout: scale the new ReplicaSet up or the old ones down."""
        new_count = int(new["spec"].get("replicas", 0))
        old_count = sum(int(rs["spec"].get("replicas", 0)) for rs in olds)
        if old_count == 0:
            self._scale_rs(dep, new, desired)
            return
        if (dep["spec"].get("strategy") or {}).get("type") == "Recreate":
            for rs in olds:
                self._scale_rs(dep, rs, 0)
            return
        total = new_count + old_count
        surge = self._surge(dep, desired)
        if new_count < desired and total < desired + surge:
            self._scale_rs(dep, new, min(desired, new_count + desired + surge - total))
            return
        min_available = desired - self._unavailable(dep, desired)
        new_unavailable = new_count - int((new.get("status") or {}).get("availableReplicas") or 0)
        can_remove = total - min_available - new_unavailable
        if can_remove <= 0:
            return
        for rs in sorted(
            olds, key=lambda r: int((r["metadata"].get("annotations") or {}).get(REVISION, "0"))
        ):
            count = int(rs["spec"].get("replicas", 0))
            if count == 0 or can_remove <= 0:
                continue
            cut = min(count, can_remove)
            self._scale_rs(dep, rs, count - cut)
            can_remove -= cut

    def _deployment_status(self, ns: str, name: str, created: bool) -> None:
        store = self.api.store
        dep = store.get("deployments", ns, name)
        if dep is None:
            return
        uid = dep["metadata"]["uid"]
        template = dep["spec"].get("template") or {}
        sets = [s.obj for s in store.items("replicasets", ns) if _controller_uid(s.obj) == uid]
        new = next(
            (rs for rs in sets if _without_hash(rs["spec"].get("template")) == _without_hash(template)), None
        )
        desired = int(dep["spec"].get("replicas", 1))

        def count(rs: Obj | None, key: str) -> int:
            return int(((rs or {}).get("status") or {}).get(key) or 0)

        replicas = sum(count(rs, "replicas") for rs in sets)
        updated = count(new, "replicas")
        ready = sum(count(rs, "readyReplicas") for rs in sets)
        available = sum(count(rs, "availableReplicas") for rs in sets)
        new_name = new["metadata"]["name"] if new else ""
        complete = (
            new is not None
            and updated == desired
            and replicas == desired
            and available == desired
            and int(new["spec"].get("replicas", 0)) == desired
        )
        deadline = dep["spec"].get("progressDeadlineSeconds")
        key = ("deployments", ns, name)

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            before = (
                st.get("replicas"),
                st.get("updatedReplicas"),
                st.get("readyReplicas"),
                st.get("availableReplicas"),
            )
            st["observedGeneration"] = obj["metadata"].get("generation", 1)
            st["replicas"] = replicas
            st["updatedReplicas"] = updated
            st["readyReplicas"] = ready
            st["availableReplicas"] = available
            for field in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
                if not st[field]:
                    del st[field]
            if desired - available > 0:
                st["unavailableReplicas"] = desired - available
            else:
                st.pop("unavailableReplicas", None)
            if available >= desired - self._unavailable(obj, desired):
                _set_condition(
                    st,
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                )
            else:
                _set_condition(
                    st,
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                )
            after = (
                st.get("replicas"),
                st.get("updatedReplicas"),
                st.get("readyReplicas"),
                st.get("availableReplicas"),
            )
            progressing = _condition(st, "Progressing")
            if complete:
                _set_condition(
                    st,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{new_name}" has successfully progressed.',
                )
            elif created:
                _set_condition(
                    st,
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    f'Created new replica set "{new_name}"',
                    touch=True,
                )
            elif (
                before != after
                or progressing is None
                or progressing.get("reason") == "NewReplicaSetAvailable"
            ):
                _set_condition(
                    st,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    f'ReplicaSet "{new_name}" is progressing.',
                    touch=True,
                )
            elif progressing.get("reason") != "ProgressDeadlineExceeded" and deadline is not None:
                since = parse_time(progressing.get("lastUpdateTime"))
                if since is not None and (datetime.now(UTC) - since).total_seconds() > int(deadline):
                    _set_condition(
                        st,
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        f'ReplicaSet "{new_name}" has timed out progressing.',
                    )
            # The conditions' order as the controller writes them: Available, then Progressing.
            st["conditions"] = sorted(st["conditions"], key=lambda c: c["type"] != "Available")
            annotations = obj["metadata"].setdefault("annotations", {})
            if new is not None:
                annotations[REVISION] = (new["metadata"].get("annotations") or {}).get(REVISION, "1")

        store.mutate("deployments", ns, name, status)
        final = store.get("deployments", ns, name)
        reason = (_condition((final or {}).get("status") or {}, "Progressing") or {}).get("reason")
        if complete or reason == "ProgressDeadlineExceeded":
            self._rolling.discard(key)
        else:
            self._rolling.add(key)

    def _deadline_only(self, resource: str, ns: str, name: str) -> None:
        if resource == "deployments":
            self._deployment_status(ns, name, created=False)

    # -- statefulsets --------------------------------------------------------------------------

    def _statefulset(self, ns: str, name: str) -> None:
        store = self.api.store
        sts = store.get("statefulsets", ns, name)
        key = ("statefulsets", ns, name)
        if sts is None:
            self._rolling.discard(key)
            return
        spec = sts["spec"]
        template = spec.get("template") or {}
        uid = sts["metadata"]["uid"]
        revisions = [s.obj for s in store.items("controllerrevisions", ns) if _controller_uid(s.obj) == uid]
        data = {"spec": {"template": {**json.loads(dumps(template)), "$patch": "replace"}}}
        top = max((int(r.get("revision") or 0) for r in revisions), default=0)
        update = next((r for r in revisions if _pruned(r.get("data")) == _pruned(data)), None)
        if update is None:
            rev_hash = template_hash(_pruned(data))
            update = {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": f"{name}-{rev_hash}",
                    "namespace": ns,
                    "labels": {
                        **((template.get("metadata") or {}).get("labels") or {}),
                        "controller.kubernetes.io/hash": rev_hash,
                    },
                    "ownerReferences": [_owner(sts)],
                },
                "data": data,
                "revision": top + 1,
            }
            update = json.loads(store.create("controllerrevisions", update, ns).raw)
        elif int(update.get("revision") or 0) < top:

            def bump(obj: Obj, revision: int = top + 1) -> None:
                obj["revision"] = revision

            update = json.loads(store.mutate("controllerrevisions", ns, update["metadata"]["name"], bump).raw)
        update_rev = update["metadata"]["name"]
        current_rev = (sts.get("status") or {}).get("currentRevision") or update_rev
        want = int(spec.get("replicas", 1))
        pods = {p["metadata"]["name"]: p for p in self._owned_pods(sts)}
        ordinals = sorted(
            (int(n.rsplit("-", 1)[1]), p) for n, p in pods.items() if n.rsplit("-", 1)[1].isdigit()
        )
        all_ready = all(_pod_ready(p) for _, p in ordinals)
        # One step: create the lowest missing ordinal, else remove the highest extra, else
        # replace the highest pod of an old revision; each only when all pods are ready.
        missing = [i for i in range(want) if f"{name}-{i}" not in pods]
        extra = [p for i, p in ordinals if i >= want]
        outdated = [
            p
            for i, p in ordinals
            if i < want and (p["metadata"].get("labels") or {}).get(STS_HASH) != update_rev
        ]
        if missing and all_ready:
            i = missing[0]
            self._new_pod(
                sts,
                f"{name}-{i}",
                template,
                {STS_HASH: update_rev, "statefulset.kubernetes.io/pod-name": f"{name}-{i}"},
            )
        elif extra and all_ready:
            self.api.delete("pods", ns, extra[-1]["metadata"]["name"])
        elif outdated and all_ready and not missing:
            self.api.delete("pods", ns, outdated[-1]["metadata"]["name"])
        pods = {p["metadata"]["name"]: p for p in self._owned_pods(sts)}
        live = list(pods.values())
        ready = sum(1 for p in live if _pod_ready(p))
        updated = sum(1 for p in live if (p["metadata"].get("labels") or {}).get(STS_HASH) == update_rev)
        if updated == want and ready == want and len(live) == want:
            current_rev = update_rev
        current = sum(1 for p in live if (p["metadata"].get("labels") or {}).get(STS_HASH) == current_rev)

        def status(obj: Obj) -> None:
            obj["status"] = {
                "observedGeneration": obj["metadata"].get("generation", 1),
                "replicas": len(live),
                "readyReplicas": ready,
                "currentReplicas": current,
                "updatedReplicas": updated,
                "currentRevision": current_rev,
                "updateRevision": update_rev,
                "collisionCount": 0,
                "availableReplicas": ready,
            }
            for field in (
                "readyReplicas",
                "currentReplicas",
                "updatedReplicas",
                "availableReplicas",
                "replicas",
            ):
                if not obj["status"][field]:
                    del obj["status"][field]

        store.mutate("statefulsets", ns, name, status)
        if current_rev == update_rev and ready == want and len(live) == want:
            self._rolling.discard(key)
        else:
            self._rolling.add(key)

    # -- events --------------------------------------------------------------------------------

    def _event(self, obj: Obj, reason: str, message: str) -> None:
        self.api.event(obj, reason, message, component="deployment-controller")
