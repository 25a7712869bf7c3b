"""Panel 2: Kubernetes pods, the unhealthy ones first."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from panels.base import Panel, fields_text
from panels.fmt import middle_ellipsis, since
from panels.table import Cell, DiffTable
from tui.core.clock import utc_iso
from tui.core.model import ClusterSnapshot, DeploymentInfo, PodInfo
from tui.core.untrusted import one_line
from tui.domain.pod_health import pod_rank

# The namespace column goes rather than cut names up to this long (longer ones are cut in the
# middle, keeping the hash and the pod's own suffix).
NAME_NEED_MAX = 48


def status_style(pod: PodInfo) -> str:
    return ("bold red", "yellow", "green")[pod_rank(pod)]


def pod_cells(pod: PodInfo, now: datetime, name_width: int | None = None) -> tuple[Cell, ...]:
    return (
        Text(one_line(pod.status, 26), style=status_style(pod)),
        middle_ellipsis(one_line(pod.name, 80), name_width),
        Text(f"{pod.ready}/{pod.containers}", style="" if pod.ready == pod.containers else "yellow"),
        Text(str(pod.restarts), style="yellow" if pod.restarts else ""),
        since(pod.created_at, now),
        one_line(pod.namespace, 20),
    )


class PodsPanel(Panel):
    PANEL_ID = "pods"
    TITLE = "Pods"
    NUMBER = 2
    CONFIG_HINT = "[cluster]"

    def body(self) -> DiffTable:
        self.table = DiffTable(
            [
                # The status is sized to the statuses there are ("ContainerCreating" whole,
                # "Running" no wider); the pod's name carries its deployment's and the
                # ReplicaSet hash, is what a reader scans for, and takes the rest; the namespace
                # comes last and is the first to go when the names do not fit.
                ("Status", "status", 26),
                ("Pod", "pod", None),
                ("Ready", "ready", 5),
                ("Restarts", "restarts", 8),
                ("Age", "age", 4),
                ("Namespace", "ns", 20),
            ],
            optional=("ns",),
            id="pods-table",
        )
        self.pods: dict[str, PodInfo] = {}
        self.deployments: dict[str, DeploymentInfo] = {}
        self.context = ""
        return self.table

    def show(self, snap: ClusterSnapshot, now: datetime) -> None:  # type: ignore[override]
        self.last = snap
        self.context = snap.context
        self.pods = {pod.key: pod for pod in snap.pods}
        self.deployments = {d.key: d for d in snap.deployments}
        shown = [p for p in snap.pods if self.matches(p.name, p.namespace, p.status, p.workload or "")]
        ordered = sorted(shown, key=lambda p: (pod_rank(p), p.namespace, p.name))
        self.table.flex_need = min(max((len(p.name) for p in snap.pods), default=0), NAME_NEED_MAX)
        width = self.table.flex_width
        self.table.set_rows({pod.key: pod_cells(pod, now, width) for pod in ordered})
        broken = sum(pod_rank(p) == 0 for p in snap.pods)
        unready = sum(pod_rank(p) == 1 for p in snap.pods)
        failing_shown = sum(pod_rank(p) < 2 for p in shown)
        self.count_filtered(len(shown), len(snap.pods), broken + unready - failing_shown)
        namespaces = len({p.namespace for p in snap.pods})
        summary = f"{len(snap.pods)} pods / {namespaces} ns"
        if broken:
            self.set_level("error", f"{broken} failing" + (f", {unready} not ready" if unready else ""))
        elif unready:
            self.set_level("warn", f"{unready} not ready")
        else:
            self.set_level("ok", summary)

    def detail(self, key: str) -> tuple[str, str] | None:
        pod = self.pods.get(key)
        if pod is None:
            return None
        deployment = self.deployments.get(f"{pod.namespace}/{pod.workload}") if pod.workload else None
        rows: list[tuple[str, object]] = [
            ("status", pod.status),
            ("namespace", pod.namespace),
            ("ready", f"{pod.ready}/{pod.containers}"),
            ("restarts", pod.restarts),
            ("created", utc_iso(pod.created_at) if pod.created_at else None),
            ("node", pod.node),
            ("owner", pod.workload),
        ]
        if deployment is not None:
            rows += [
                ("replicas", f"{deployment.ready}/{deployment.replicas} ready, {deployment.updated} updated"),
                ("revision", deployment.revision),
                ("image", deployment.image),
            ]
        return f"Pod {pod.name}", fields_text(rows)

    def refit(self) -> None:
        if self.last is not None:
            self.show(self.last, self.app.clock.now())  # type: ignore[arg-type, attr-defined]

    def selected(self) -> PodInfo | None:
        key = self.table.selected_key()
        return None if key is None else self.pods.get(key)

    def selected_deployment(self) -> DeploymentInfo | None:
        pod = self.selected()
        if pod is None or pod.workload is None:
            return None
        return self.deployment(pod.namespace, pod.workload)

    def deployment(self, namespace: str | None, name: str) -> DeploymentInfo | None:
        """The deployment last shown under that name (a service's linked deployment), if any."""
        return self.deployments.get(f"{namespace}/{name}")
