"""The Pods panel's workloads view (`w`): deployments and statefulsets, the unhealthy first, with
what `kubectl get deployments` and `kubectl rollout status` say of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text

from panels.base import fields_text
from panels.fmt import kube_age, middle_ellipsis
from panels.table import Cell, DiffTable
from tui.core.clock import utc_iso
from tui.core.model import DeploymentInfo
from tui.core.untrusted import one_line

# The kind as `kubectl get` abbreviates it, so the column stays narrow.
KIND_SHORT = {"Deployment": "deploy", "StatefulSet": "sts"}
ROLLOUT_STYLE = {"stalled": "bold red", "progressing": "yellow", "complete": "green"}


NAME_NEED_MAX = 40  # the name column's want: a longer name is cut in the middle


def workload_key(w: DeploymentInfo) -> str:
    """The row key: a deployment and a statefulset may share a name in one namespace."""
    return f"{KIND_SHORT.get(w.kind, w.kind)}:{w.namespace}/{w.name}"


def workload_rank(w: DeploymentInfo) -> int:
    """0: its rollout stalled (past progressDeadlineSeconds); 1: not all ready, or still rolling
    out; 2: rolled out and every replica ready."""
    if w.rollout == "stalled":
        return 0
    if w.ready < w.replicas or w.rollout == "progressing":
        return 1
    return 2


def workload_state(w: DeploymentInfo) -> str:
    return w.rollout or "unknown"


def short_image(image: str) -> str:
    """The image without its registry and path: "registry.example/shop/web:1.4" -> "web:1.4" (the
    name and the tag are what a rollout changes; the detail shows it whole)."""
    first, plus, more = image.partition(" +")  # "a:1 +2": more containers
    name = first.rsplit("/", 1)[-1]
    return f"{name}{plus}{more}"


def workload_cells(w: DeploymentInfo, now: datetime, name_width: int | None = None) -> tuple[Cell, ...]:
    short = w.ready < w.replicas
    # The kind as kubectl names a workload ("sts/redis", as in `rollout restart sts/redis`).
    name = f"{KIND_SHORT.get(w.kind, one_line(w.kind, 12).lower())}/{one_line(w.name, 80)}"
    return (
        Text(workload_state(w), style=ROLLOUT_STYLE.get(w.rollout, "")),
        middle_ellipsis(name, name_width),
        Text(f"{w.ready}/{w.replicas}", style="yellow" if short else ""),
        Text(str(w.updated), style="yellow" if w.updated < w.replicas else ""),
        Text(str(w.available), style="yellow" if w.available < w.replicas else ""),
        "-" if w.revision is None else str(w.revision),
        Text(one_line(short_image(w.image), 120)),
        kube_age(w.created_at, now) if w.created_at is not None else "-",
        one_line(w.namespace, 20),
    )


def workloads_table() -> DiffTable:
    table = DiffTable(
        [
            # kubectl get deployments' columns (READY is ready/desired; UP-TO-DATE and AVAILABLE
            # shortened: the panel is 78 columns wide at 80 and at 160), the revision and the
            # image a rollout or an undo changes; the rollout's state first, as a pod's status.
            ("Rollout", "state", 11),
            ("Workload", "name", None),
            ("Ready", "ready", 7),
            ("Updated", "updated", 7),
            ("Avail", "available", 5),
            ("Rev", "revision", 5),
            ("Image", "image", 40),
            ("Age", "age", 7),
            ("Namespace", "ns", 20),
        ],
        optional=("ns", "age", ("image", 12)),
        id="workloads-table",
    )
    table.display = False
    return table


def ordered_workloads(workloads: Iterable[DeploymentInfo]) -> list[DeploymentInfo]:
    return sorted(workloads, key=lambda w: (workload_rank(w), w.namespace, w.name, w.kind))


def workload_detail(w: DeploymentInfo, now: datetime) -> tuple[str, str]:
    """`enter` on a workload: what `kubectl describe` and `kubectl rollout status` say of it."""
    created = None
    if w.created_at is not None:
        created = f"{utc_iso(w.created_at)} ({kube_age(w.created_at, now)} ago)"
    rows: list[tuple[str, object]] = [
        ("kind", w.kind),
        ("namespace", w.namespace),
        ("rollout", workload_state(w)),
        ("status", one_line(w.rollout_message, 300)),
        ("replicas", f"{w.replicas} desired, {w.updated} updated, {w.ready} ready, {w.available} available"),
        ("revision", w.revision),
        ("image", w.image),
        ("strategy", w.strategy),
        ("created", created),
    ]
    for c in w.conditions:
        since = f", since {utc_iso(c.changed_at)}" if c.changed_at is not None else ""
        reason = f" {c.reason}" if c.reason else ""
        message = f": {c.message}" if c.message else ""
        rows.append(
            (f"condition {one_line(c.type, 40)}", one_line(f"{c.status}{reason}{since}{message}", 400))
        )
    return f"{w.kind} {w.name}", fields_text(rows)
