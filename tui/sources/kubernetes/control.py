"""The cluster's mitigations (`KubernetesControl`): rollout restart, undo, scale, delete a pod,
each with a server-side dry run for the confirmation. Only `actions/` imports this module."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from kubernetes import client

from tui.config.schema import ClusterConfig
from tui.core.clock import Clock, SystemClock, utc_iso
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

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
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
        self.cfg = cfg
        self.clock = clock or SystemClock()
        # Named at build time, so the first confirmation already says which cluster it acts on,
        # and pinned: a `kubectl config use-context` in another terminal afterwards must not move
        # the calls to a cluster other than the one the confirmation named.
        self.context = resolve_context(cfg)
        pinned = cfg.kubeconfig != IN_CLUSTER and not cfg.context and self.context
        self._cluster = Cluster(replace(cfg, context=self.context) if pinned else cfg)

    async def _run(self, fn: Callable[[Connection], str]) -> str:
        def call(conn: Connection) -> str:
            self.context = conn.context
            return fn(conn)

        return await asyncio.to_thread(self._cluster.call, call)

    def _patch(
        self,
        conn: Connection,
        namespace: str,
        deployment: str,
        body: Any,
        *,
        scale: bool = False,
        dry_run: bool = False,
    ) -> Any:
        """One PATCH of the deployment, or of its scale subresource; the object the server
        answered (with `dry_run`, what it would have stored: nothing is)."""
        apps = client.AppsV1Api(conn.api)
        patch = apps.patch_namespaced_deployment_scale if scale else apps.patch_namespaced_deployment
        return read_json(
            patch(
                deployment,
                namespace,
                body,
                _preload_content=False,
                _request_timeout=self.cfg.timeout_s,
                **_dry(dry_run),
            )
        )

    async def rollout_restart(self, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        stamp = utc_iso(self.clock.now())
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}

        def run(conn: Connection) -> str:
            answer = self._patch(conn, namespace, deployment, body, dry_run=dry_run)
            if not dry_run:
                return f"deployment.apps/{deployment} restarted"
            # The controller, not the API server, numbers the new ReplicaSet: one past the current.
            revision = _revision(answer) if isinstance(answer, dict) else None
            then = f" (revision {revision} → {revision + 1})" if revision is not None else ""
            return f"{DRY_RUN}deployment {namespace}/{deployment} would be restarted{then}"

        return await self._run(run)

    async def rollout_undo(self, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        return await self._run(lambda conn: self._undo(conn, namespace, deployment, dry_run=dry_run))

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

    async def scale(self, namespace: str, deployment: str, replicas: int, *, dry_run: bool = False) -> str:
        if replicas < 0:
            raise SourceError(f"replicas must be 0 or more, got {replicas}")

        def run(conn: Connection) -> str:
            body = {"spec": {"replicas": int(replicas)}}
            answer = self._patch(conn, namespace, deployment, body, scale=True, dry_run=dry_run)
            if not dry_run:
                return f"deployment.apps/{deployment} scaled"
            now = ((answer.get("status") or {}) if isinstance(answer, dict) else {}).get("replicas")
            was = f"from {now} " if isinstance(now, int) else ""
            return f"{DRY_RUN}deployment {namespace}/{deployment} would be scaled {was}to {replicas} replicas"

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


def _dry(dry_run: bool) -> dict[str, str]:
    """The client's keyword for a server-side dry run: the API server validates, admits and
    answers as for the real call, and stores nothing."""
    return {"dry_run": "All"} if dry_run else {}


def _match_labels_selector(dep: Mapping[str, Any]) -> str | None:
    labels = (((dep.get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def _controlled_by(rs: Mapping[str, Any], dep: Mapping[str, Any]) -> bool:
    """The ReplicaSet's controller is this deployment (by uid when both have one, else by name:
    a label selector alone could match another deployment's ReplicaSets)."""
    dep_meta = dep.get("metadata") or {}
    for ref in (rs.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") != "Deployment" or ref.get("controller") is False:
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
