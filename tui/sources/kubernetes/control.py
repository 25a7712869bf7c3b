"""The cluster's mitigations (`KubernetesControl`): rollout restart, undo, scale, delete a pod,
each with a server-side dry run for the confirmation. Only `actions/` imports this module."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tui.config.schema import ClusterConfig
from tui.core.clock import Clock, SystemClock, utc_iso
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.kubernetes.connection import (
    IN_CLUSTER,
    Cluster,
    Connection,
    items_of,
    read_json,
    resolve_context,
)
from tui.sources.kubernetes.status import REVISION, TEMPLATE_HASH_LABEL
from tui.sources.kubernetes.watch import READ_MARGIN_S, raw_get, stream_lines

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
DEPLOYMENT = "deployment"
STATEFULSET = "statefulset"
WORKLOAD_KINDS = (DEPLOYMENT, STATEFULSET)
FOLLOW_WATCH_S = 60  # a followed workload's watch is opened again this often (its timeoutSeconds)
# Annotations `kubectl rollout undo` keeps from the deployment instead of copying them from the
# ReplicaSet it rolls back to (kubectl's annotationsToSkip).
_UNDO_SKIP_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)


class KubernetesControl:
    """`ClusterControl` against a real API server; each call says what happened the way kubectl
    does (`deployment.apps/api-gateway restarted`)."""

    def __init__(self, cfg: ClusterConfig, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._aim(cfg)

    def _aim(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        # Named at build time, so the first confirmation already says which cluster it acts on,
        # and pinned: a `kubectl config use-context` in another terminal afterwards must not move
        # the calls to a cluster other than the one the confirmation named.
        self.context = resolve_context(cfg)
        pinned = cfg.kubeconfig != IN_CLUSTER and not cfg.context and self.context
        self._cluster = Cluster(replace(cfg, context=self.context) if pinned else cfg)

    async def retarget(self, cfg: ClusterConfig) -> None:
        """Act on another context from now on (the command palette's switch; the app allows it
        only while no cluster action runs or is followed). A confirmation opened before it names
        the old context: the actions' guard refuses it rather than act on this one."""
        old = self._cluster
        self._aim(cfg)
        await asyncio.to_thread(old.drop)

    async def _run(self, fn: Callable[[Connection], Any]) -> Any:
        cluster = self._cluster

        def call(conn: Connection) -> Any:
            if cluster is self._cluster:  # not a call that was under way when the context changed
                self.context = conn.context
            return fn(conn)

        try:
            return await asyncio.to_thread(cluster.call, call)
        except SourceError as err:
            # A 403 says which permission is missing, in one line, as the panels do.
            line = forbidden_line(err.__cause__)
            if line is None:
                raise
            raise SourceError(line) from err.__cause__

    def _patch(
        self,
        conn: Connection,
        namespace: str,
        name: str,
        body: Any,
        *,
        kind: str = DEPLOYMENT,
        scale: bool = False,
        dry_run: bool = False,
    ) -> Any:
        """One PATCH of the workload (a deployment or a statefulset), or of its scale
        subresource; the object the server answered (with `dry_run`, what it would have stored:
        nothing is). A dict body is a strategic merge patch, a list a JSON patch."""
        apps = client.AppsV1Api(conn.api)
        if kind == STATEFULSET:
            patch = apps.patch_namespaced_stateful_set_scale if scale else apps.patch_namespaced_stateful_set
        else:
            patch = apps.patch_namespaced_deployment_scale if scale else apps.patch_namespaced_deployment
        return read_json(
            patch(
                name,
                namespace,
                body,
                _preload_content=False,
                _request_timeout=self.cfg.timeout_s,
                **_dry(dry_run),
            )
        )

    async def read_workload(self, namespace: str, name: str, *, kind: str = DEPLOYMENT) -> dict[str, Any]:
        """The workload as the API server has it now (raw JSON): what a rollout is followed by."""
        _check_kind(kind)

        def run(conn: Connection) -> Any:
            apps = client.AppsV1Api(conn.api)
            read = (
                apps.read_namespaced_stateful_set if kind == STATEFULSET else apps.read_namespaced_deployment
            )
            return read_json(
                read(name, namespace, _preload_content=False, _request_timeout=self.cfg.timeout_s)
            )

        found = await self._run(run)
        if not isinstance(found, dict):
            raise SourceError(f"the API server answered {kind}/{name} without an object")
        return found

    def watch_workload(
        self,
        namespace: str,
        name: str,
        *,
        kind: str,
        on_object: Callable[[dict[str, Any]], None],
        stop: threading.Event,
        opened: Callable[[Any], None],
        timeout_s: int = FOLLOW_WATCH_S,
    ) -> None:
        """Blocking, in a thread of its own: the one workload as `kubectl rollout status`
        watches it. A list with fieldSelector metadata.name=NAME (its item, if any, to
        `on_object`), then a watch from the list's resourceVersion, each new version of it to
        `on_object`, until `stop` is set (`opened` gets each streaming response, so that the
        caller can shut it to wake this thread). A watch that ends (its timeoutSeconds) is
        opened again from where it was; 410 Gone lists again. Any other failure raises
        SourceError (one line; a 403 names the permission): the caller retries."""
        _check_kind(kind)
        path = f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/{kind}s"
        field = [("fieldSelector", f"metadata.name={name}")]

        def listed(conn: Connection) -> str:
            response = raw_get(conn, path, field, self.cfg.timeout_s)
            try:
                listing = json.loads(response.data)
            finally:
                response.release_conn()
            for item in items_of(listing):
                on_object(dict(item))
            return str((listing.get("metadata") or {}).get("resourceVersion") or "")

        def run(conn: Connection) -> None:
            rv = listed(conn)
            while not stop.is_set():
                query = [
                    *field,
                    ("watch", "true"),
                    ("allowWatchBookmarks", "true"),
                    ("timeoutSeconds", str(timeout_s)),
                ]
                if rv:
                    query.append(("resourceVersion", rv))
                try:
                    response = raw_get(conn, path, query, (self.cfg.timeout_s, timeout_s + READ_MARGIN_S))
                except ApiException as err:
                    if err.status != 410:
                        raise
                    rv = listed(conn)
                    continue
                opened(response)
                try:
                    for line in stream_lines(response):
                        if stop.is_set():
                            return
                        event = json.loads(line) if line.strip() else None
                        if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
                            continue
                        obj = event["object"]
                        if event.get("type") == "ERROR":
                            if obj.get("code") == 410:
                                rv = listed(conn)
                                break
                            raise SourceError(one_line(str(obj.get("message") or "the watch failed"), 200))
                        rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                        if event.get("type") in ("ADDED", "MODIFIED"):
                            on_object(obj)
                except (ReadTimeoutError, ProtocolError):
                    if stop.is_set():
                        return
                    continue  # quiet past its own timeout, or cut: open it again from rv
                finally:
                    response.release_conn()

        try:
            self._cluster.call(run)
        except SourceError as err:
            line = forbidden_line(err.__cause__)
            if line is None:
                raise
            raise SourceError(line) from err.__cause__

    async def rollout_restart(
        self, namespace: str, deployment: str, *, dry_run: bool = False, kind: str = DEPLOYMENT
    ) -> str:
        _check_kind(kind)
        stamp = utc_iso(self.clock.now())
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}

        def run(conn: Connection) -> str:
            answer = self._patch(conn, namespace, deployment, body, kind=kind, dry_run=dry_run)
            if not dry_run:
                return f"{kind}.apps/{deployment} restarted"
            if kind == STATEFULSET:
                return f"{DRY_RUN}statefulset {namespace}/{deployment} would be restarted"
            # The controller, not the API server, numbers the new ReplicaSet: one past the current.
            revision = _revision(answer) if isinstance(answer, dict) else None
            then = f" (revision {revision} → {revision + 1})" if revision is not None else ""
            return f"{DRY_RUN}deployment {namespace}/{deployment} would be restarted{then}"

        return await self._run(run)

    async def rollout_undo(
        self, namespace: str, deployment: str, *, dry_run: bool = False, kind: str = DEPLOYMENT
    ) -> str:
        _check_kind(kind)
        undo = self._undo_statefulset if kind == STATEFULSET else self._undo
        return await self._run(lambda conn: undo(conn, namespace, deployment, dry_run=dry_run))

    def _undo_statefulset(self, conn: Connection, namespace: str, name: str, *, dry_run: bool = False) -> str:
        """Roll back to the previous revision, as `kubectl rollout undo statefulset/X` does: of
        the ControllerRevisions the statefulset controls, the second-highest revision; nothing
        to do when the statefulset's template already is that revision's; else its data (a
        strategic merge patch that replaces the pod template) is sent as it is."""
        apps = client.AppsV1Api(conn.api)
        timeout = self.cfg.timeout_s
        sts = read_json(
            apps.read_namespaced_stateful_set(
                name, namespace, _preload_content=False, _request_timeout=timeout
            )
        )
        listing = read_json(
            apps.list_namespaced_controller_revision(
                namespace,
                label_selector=_match_labels_selector(sts),
                _preload_content=False,
                _request_timeout=timeout,
            )
        )
        history = sorted(
            (
                (rev, cr)
                for cr in items_of(listing)
                if _controlled_by(cr, sts, "StatefulSet")
                and isinstance(rev := cr.get("revision"), int)
                and isinstance(cr.get("data"), dict)
            ),
            key=lambda pair: pair[0],
        )
        if len(history) <= 1:
            raise SourceError(f'no last revision to roll back to for statefulset "{name}"')
        back_to, previous = history[-2]
        data = previous["data"]
        template = _pruned(((data.get("spec") or {}).get("template")) or {})
        template.pop("$patch", None)
        images = [c.get("image") for c in (template.get("spec") or {}).get("containers") or []]
        shown = f" ({', '.join(str(i) for i in images if i)})" if any(images) else ""
        current = _pruned(((sts.get("spec") or {}).get("template")) or {})
        if current == template:
            already = f"current template already matches revision {back_to}"
            return f"statefulset.apps/{name} skipped rollback ({already})"
        self._patch(conn, namespace, name, data, kind=STATEFULSET, dry_run=dry_run)
        if dry_run:
            return (
                f"{DRY_RUN}statefulset {namespace}/{name} would be rolled back to revision {back_to}{shown}"
            )
        return f"statefulset.apps/{name} rolled back"

    def _undo(self, conn: Connection, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        """Roll back to the previous revision, as `kubectl rollout undo` does: of the ReplicaSets
        the deployment controls, leave out the one whose template is the deployment's current
        one, take the one with the highest revision, and replace the deployment's pod template
        (minus the pod-template-hash label) and annotations with its own. (Taking simply the
        second-highest revision would go back two steps when the controller has not yet made the
        ReplicaSet of a template that was just changed.)"""
        apps = client.AppsV1Api(conn.api)
        timeout = self.cfg.timeout_s
        dep = read_json(
            apps.read_namespaced_deployment(
                deployment, namespace, _preload_content=False, _request_timeout=timeout
            )
        )
        if (dep.get("spec") or {}).get("paused"):
            raise SourceError(
                f'deployment "{deployment}" is paused: resume it before a rollback (kubectl rollout resume)'
            )
        listing = read_json(
            apps.list_namespaced_replica_set(
                namespace,
                label_selector=_match_labels_selector(dep),
                _preload_content=False,
                _request_timeout=timeout,
            )
        )
        current = _without_hash((dep.get("spec") or {}).get("template") or {})
        older = [
            (rev, rs)
            for rs in items_of(listing)
            if _controlled_by(rs, dep)
            and (rev := _revision(rs)) is not None
            and _without_hash((rs.get("spec") or {}).get("template") or {}) != current
        ]
        if not older:
            raise SourceError(f'no rollout history found for deployment "{deployment}"')
        back_to, previous = max(older, key=lambda pair: pair[0])
        template = _without_hash((previous.get("spec") or {}).get("template") or {})
        dep_annotations = (dep.get("metadata") or {}).get("annotations") or {}
        annotations = {k: v for k, v in dep_annotations.items() if k in _UNDO_SKIP_ANNOTATIONS}
        rs_annotations = (previous.get("metadata") or {}).get("annotations") or {}
        annotations.update({k: v for k, v in rs_annotations.items() if k not in _UNDO_SKIP_ANNOTATIONS})
        # JSON patch, like kubectl; "add" replaces an existing member and also works when the
        # deployment has no annotations map yet.
        patch = [
            {"op": "add", "path": "/spec/template", "value": template},
            {"op": "add", "path": "/metadata/annotations", "value": annotations},
        ]
        self._patch(conn, namespace, deployment, patch, dry_run=dry_run)
        if dry_run:
            images = [c.get("image") for c in (template.get("spec") or {}).get("containers") or []]
            shown = f" ({', '.join(str(i) for i in images if i)})" if any(images) else ""
            what = f"would be rolled back to revision {back_to}{shown}"
            return f"{DRY_RUN}deployment {namespace}/{deployment} {what}"
        return f"deployment.apps/{deployment} rolled back"

    async def scale(
        self, namespace: str, deployment: str, replicas: int, *, dry_run: bool = False, kind: str = DEPLOYMENT
    ) -> str:
        _check_kind(kind)
        if replicas < 0:
            raise SourceError(f"replicas must be 0 or more, got {replicas}")

        def run(conn: Connection) -> str:
            body = {"spec": {"replicas": int(replicas)}}
            answer = self._patch(conn, namespace, deployment, body, kind=kind, scale=True, dry_run=dry_run)
            if not dry_run:
                return f"{kind}.apps/{deployment} scaled"
            now = ((answer.get("status") or {}) if isinstance(answer, dict) else {}).get("replicas")
            was = f"from {now} " if isinstance(now, int) else ""
            return f"{DRY_RUN}{kind} {namespace}/{deployment} would be scaled {was}to {replicas} replicas"

        return await self._run(run)

    async def delete_pod(self, namespace: str, pod: str, *, dry_run: bool = False) -> str:
        def run(conn: Connection) -> str:
            core = client.CoreV1Api(conn.api)
            read_json(
                core.delete_namespaced_pod(
                    pod,
                    namespace,
                    _preload_content=False,
                    _request_timeout=self.cfg.timeout_s,
                    **_dry(dry_run),
                )
            )
            if dry_run:
                return f"{DRY_RUN}pod {namespace}/{pod} would be deleted"
            return f'pod "{pod}" deleted'

        return await self._run(run)

    async def close(self) -> None:
        await asyncio.to_thread(self._cluster.drop)


DRY_RUN = "server dry run: "

# kube-apiserver's RBAC refusal: `deployments.apps "web" is forbidden: User "x" cannot patch
# resource "deployments" in API group "apps" in the namespace "payments"` (or "at the cluster
# scope"); the subresource is in the resource ("deployments/scale").
_RBAC_REFUSAL = re.compile(
    r'cannot (?P<verb>[\w-]+) resource "(?P<resource>[^"]+)"(?: in API group "[^"]*")?'
    r'(?: in the namespace "(?P<namespace>[^"]*)"| (?P<cluster>at the cluster scope))?'
)


def forbidden_line(err: BaseException | None) -> str | None:
    """A 403 as one line that names what is missing: "forbidden (RBAC: patch deployments in
    payments)"; None for anything else. A 403 that is not RBAC's (an admission webhook) keeps
    the server's own message."""
    if not isinstance(err, ApiException) or err.status != 403:
        return None
    message = ""
    try:
        body = json.loads(err.body or "")
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
    except (TypeError, ValueError):
        message = str(err.body or "")
    found = _RBAC_REFUSAL.search(message)
    if found is None:
        return one_line(f"forbidden: {message}" if message else "forbidden (403)", 200)
    where = f"in {found['namespace']}" if found["namespace"] else "cluster-wide"
    return one_line(f"forbidden (RBAC: {found['verb']} {found['resource']} {where})", 200)


def _check_kind(kind: str) -> None:
    if kind not in WORKLOAD_KINDS:
        raise SourceError(f"{kind}: not a workload warroom can act on (one of {', '.join(WORKLOAD_KINDS)})")


def _pruned(value: Any) -> Any:
    """A template as the typed API holds it (no nulls, empty maps or lists), so a template
    read back compares equal to the one a ControllerRevision recorded."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _dry(dry_run: bool) -> dict[str, str]:
    """The client's keyword for a server-side dry run: the API server validates, admits and
    answers as for the real call, and stores nothing."""
    return {"dry_run": "All"} if dry_run else {}


def _match_labels_selector(dep: Mapping[str, Any]) -> str | None:
    labels = (((dep.get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def _controlled_by(rs: Mapping[str, Any], dep: Mapping[str, Any], kind: str = "Deployment") -> bool:
    """The ReplicaSet's (or ControllerRevision's) controller is this deployment (or
    statefulset): by uid when both have one, else by name (a label selector alone could match
    another workload's)."""
    dep_meta = dep.get("metadata") or {}
    for ref in (rs.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") != kind or ref.get("controller") is False:
            continue
        if ref.get("uid") and dep_meta.get("uid"):
            if ref["uid"] == dep_meta["uid"]:
                return True
        elif ref.get("name") == dep_meta.get("name"):
            return True
    return False


def _revision(obj: Mapping[str, Any]) -> int | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _without_hash(template: Mapping[str, Any]) -> Any:
    copy = json.loads(json.dumps(template))
    ((copy.get("metadata") or {}).get("labels") or {}).pop(TEMPLATE_HASH_LABEL, None)
    return copy
