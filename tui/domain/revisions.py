"""A workload's revisions, as `kubectl rollout history` lists them and as `kubectl rollout undo`
picks the one it goes back to. Pure.

A deployment's revisions are its ReplicaSets (the deployment.kubernetes.io/revision annotation),
a statefulset's its ControllerRevisions (.revision). `rollout undo` without --to-revision goes
back to the newest revision before the current one (kubectl's `rollback`: the second highest
revision of the history), whose template (image) it copies."""

from __future__ import annotations

from collections.abc import Iterable

from tui.core.model import DeploymentInfo, RevisionInfo

KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet"}


def revision_history(
    revisions: Iterable[RevisionInfo], namespace: str, name: str, kind: str = "Deployment"
) -> list[RevisionInfo]:
    """The workload's revisions, the newest first (`kind` as in an owner reference, or as the
    rollout keys spell it: "deployment", "statefulset")."""
    owner_kind = KINDS.get(kind, kind)
    found = [
        r
        for r in revisions
        if r.namespace == namespace
        and r.owner == name
        and r.owner_kind == owner_kind
        and r.revision is not None
    ]
    return sorted(found, key=lambda r: r.revision or 0, reverse=True)


def current_revision(history: list[RevisionInfo], workload: DeploymentInfo | None) -> int | None:
    if workload is not None and workload.revision is not None:
        return workload.revision
    return history[0].revision if history else None


def undo_target(
    revisions: Iterable[RevisionInfo],
    namespace: str,
    name: str,
    kind: str = "Deployment",
    current: int | None = None,
) -> RevisionInfo | None:
    """The revision `kubectl rollout undo <kind>/<name>` goes back to: the newest one before
    `current` (the workload's revision now; by default the newest of the history). None: there
    is no earlier revision (kubectl: "no rollout history found")."""
    history = revision_history(revisions, namespace, name, kind)
    if current is None:
        current = history[0].revision if history else None
    if current is None:
        return None
    return next((r for r in history if (r.revision or 0) < current), None)
