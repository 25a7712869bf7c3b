"""Kubernetes objects and kubeconfigs for tests against kmock (a real HTTP server emulating the
API: tech-facts.md §3).

kmock keeps objects as given: it sets no uid, resourceVersion, creationTimestamp or namespace
and applies no label selector, so the builders here fill in what a real API server would and
produce schema-valid objects (the client's models validate them where they are used).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TOKEN = "kmock-bearer-token"
CREATED = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)

RESOURCES = {
    "Pod": "v1/pods",
    "Deployment": "apps/v1/deployments",
    "ReplicaSet": "apps/v1/replicasets",
    "StatefulSet": "apps/v1/statefulsets",
}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(kind: str, namespace: str, name: str) -> str:
    digest = hashlib.sha256(f"{kind}/{namespace}/{name}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _meta(kind: str, namespace: str, name: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": _uid(kind, namespace, name),
        "resourceVersion": "1",
        "creationTimestamp": _iso(CREATED),
    }
    meta.update({k: v for k, v in extra.items() if v is not None})
    return meta


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    token: str = TOKEN,
    context: str = "kmock",
    namespace: str | None = "shop",
    other_contexts: Iterable[str] = (),
) -> Path:
    """A kubeconfig (JSON is YAML) with one cluster and a bearer token; `other_contexts` name more
    contexts on the same cluster, without a namespace."""
    ctx: dict[str, Any] = {"cluster": "kmock", "user": "tester"}
    if namespace:
        ctx["namespace"] = namespace
    contexts = [{"name": context, "context": ctx}]
    contexts += [{"name": n, "context": {"cluster": "kmock", "user": "tester"}} for n in other_contexts]
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kmock", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": token}}],
        "contexts": contexts,
        "current-context": context,
    }
    path.write_text(json.dumps(doc))
    return path


def pod_template(app: str, image: str, *, template_hash: str | None = None) -> dict[str, Any]:
    labels = {"app": app}
    if template_hash:
        labels["pod-template-hash"] = template_hash
    return {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def deployment(
    name: str,
    namespace: str = "shop",
    *,
    replicas: int = 3,
    ready: int = 3,
    revision: int = 1,
    image: str = "registry.example/app:1.0",
    uid: str | None = None,
) -> dict[str, Any]:
    meta = _meta(
        "Deployment",
        namespace,
        name,
        labels={"app": name},
        annotations={"deployment.kubernetes.io/revision": str(revision)},
    )
    if uid:
        meta["uid"] = uid
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, image),
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": replicas,
            "availableReplicas": ready,
            "observedGeneration": 1,
        },
    }


def statefulset(
    name: str,
    namespace: str = "shop",
    *,
    replicas: int = 3,
    image: str = "registry.example/redis:7.2",
) -> dict[str, Any]:
    """A StatefulSet without status (tests/servers/apiserver's controller writes it)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta("StatefulSet", namespace, name, labels={"app": name}),
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": pod_template(name, image),
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        },
    }


def replicaset(
    owner: Mapping[str, Any], template_hash: str, *, revision: int, image: str, replicas: int = 0
) -> dict[str, Any]:
    """A ReplicaSet of deployment `owner` (controller reference by uid), as the deployment
    controller names and labels it."""
    dep_meta = owner["metadata"]
    app = dep_meta["name"]
    name = f"{app}-{template_hash}"
    meta = _meta(
        "ReplicaSet",
        dep_meta["namespace"],
        name,
        labels={"app": app, "pod-template-hash": template_hash},
        annotations={"deployment.kubernetes.io/revision": str(revision)},
        ownerReferences=[
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": app,
                "uid": dep_meta["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app, "pod-template-hash": template_hash}},
            "template": pod_template(app, image, template_hash=template_hash),
        },
        "status": {"replicas": replicas},
    }


def pod(
    name: str,
    namespace: str = "shop",
    *,
    state: str = "running",  # running | crashloop | pending | waiting
    app: str | None = None,
    replicaset_name: str | None = None,
    template_hash: str | None = None,
    restarts: int = 0,
    containers: Iterable[str] = ("app",),
    ready: bool | None = None,
    node: str = "node-1",
    created: datetime = CREATED,
) -> dict[str, Any]:
    """A pod in one of the states `kubectl get pods` shows most in an incident."""
    names = list(containers)
    labels: dict[str, str] = {}
    if app:
        labels["app"] = app
    if template_hash:
        labels["pod-template-hash"] = template_hash
    owners = None
    if replicaset_name:
        owners = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": replicaset_name,
                "uid": _uid("ReplicaSet", namespace, replicaset_name),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    meta = _meta("Pod", namespace, name, labels=labels or None, ownerReferences=owners)
    meta["creationTimestamp"] = _iso(created)
    started = _iso(created + timedelta(seconds=5))
    spec: dict[str, Any] = {"containers": [{"name": c, "image": "registry.example/app:1.0"} for c in names]}
    status: dict[str, Any]
    if state == "pending":
        spec_pending = dict(spec)  # not scheduled: no node, no container statuses
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": spec_pending,
            "status": {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/3 nodes are available: 3 Insufficient cpu.",
                    }
                ],
            },
        }
    spec["nodeName"] = node
    statuses: list[dict[str, Any]] = []
    for c in names:
        cs: dict[str, Any] = {
            "name": c,
            "image": "registry.example/app:1.0",
            "imageID": "",
            "restartCount": restarts,
        }
        if state == "crashloop":
            cs["ready"] = False if ready is None else ready
            cs["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": "back-off 5m0s restarting failed container",
                }
            }
            cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started}}
        elif state == "waiting":  # never started yet
            cs["ready"] = False
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
        else:
            cs["ready"] = True if ready is None else ready
            cs["state"] = {"running": {"startedAt": started}}
        statuses.append(cs)
    all_ready = all(cs["ready"] for cs in statuses)
    status = {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True" if all_ready else "False"},
            {"type": "ContainersReady", "status": "True" if all_ready else "False"},
            {"type": "PodScheduled", "status": "True"},
        ],
        "startTime": _iso(created),
        "containerStatuses": statuses,
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def seed(kmock: Any, *objects: Mapping[str, Any]) -> None:
    """Store objects in kmock's emulator, as the API server would hold them."""
    for obj in objects:
        meta = obj["metadata"]
        kmock.objects[RESOURCES[obj["kind"]], meta["namespace"], meta["name"]] = dict(obj)


def declare_resources(kmock: Any) -> None:
    """Declare the resources the adapter lists, so that an empty namespace lists as empty (kmock
    answers 404 for a resource it has never seen)."""
    kmock.resources["v1/pods"] = kmock.ResourceInfo(
        kind="Pod", namespaced=True, subresources={"log", "status"}
    )
    kmock.resources["apps/v1/deployments"] = kmock.ResourceInfo(
        kind="Deployment", namespaced=True, subresources={"scale", "status"}
    )
    kmock.resources["apps/v1/replicasets"] = kmock.ResourceInfo(kind="ReplicaSet", namespaced=True)
    kmock.resources["apps/v1/statefulsets"] = kmock.ResourceInfo(
        kind="StatefulSet", namespaced=True, subresources={"scale", "status"}
    )
    kmock.resources["apps/v1/controllerrevisions"] = kmock.ResourceInfo(
        kind="ControllerRevision", namespaced=True
    )
    kmock.resources["v1/events"] = kmock.ResourceInfo(kind="Event", namespaced=True)


def stored(kmock: Any, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    """The object as kmock holds it now (None once deleted)."""
    try:  # (`in` does not parse a string resource key; indexing does)
        obj = kmock.objects[RESOURCES[kind], namespace, name]
    except KeyError:
        return None
    return None if obj.deleted else dict(obj.raw)


def kmock_server(emulator: Any, port: int | None = None) -> Any:
    """A kmock server for `emulator` that, when stopped, drops its open watches at once, as an
    API server that is killed or restarted does (aiohttp's own shutdown waits a minute for
    every stream still open to end)."""
    import aiohttp.test_utils
    import kmock

    class QuickStop(aiohttp.test_utils.RawTestServer):
        async def _make_runner(self, **kwargs: Any) -> Any:
            runner = await super()._make_runner(**kwargs)
            runner._shutdown_timeout = 0.2
            return runner

    return kmock.Server(emulator, port=port, server_cls=QuickStop)
