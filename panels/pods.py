"""Panel 2: Kubernetes pods, the unhealthy ones first."""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from panels.base import Panel, fields_text
from panels.describe import event_lines, pod_sections, workload_sections
from panels.fmt import human_duration, human_duration_next, kube_age, middle_ellipsis
from panels.kube_events import EVENT_MESSAGE_NEED, NAMESPACE_WARNINGS, event_detail, event_rows, events_table
from panels.status import status_text
from panels.table import Cell, DiffTable
from panels.workloads import NAME_NEED_MAX as WORKLOAD_NAME_MAX
from panels.workloads import (
    ordered_workloads,
    workload_cells,
    workload_detail,
    workload_key,
    workload_rank,
    workloads_table,
)
from tui.core.clock import utc_iso
from tui.core.model import ClusterSnapshot, DeploymentInfo, LogTarget, PodDescription, PodInfo, RevisionInfo
from tui.core.untrusted import one_line
from tui.domain.kube_events import about, objects_of_pod, objects_of_workload, warnings_in
from tui.domain.pod_health import pod_rank
from tui.domain.revisions import current_revision, revision_history, undo_target

# The namespace column goes rather than cut names up to this long (longer ones are cut in the
# middle, keeping the hash and the pod's own suffix).
NAME_NEED_MAX = 48
# A first snapshot bigger than this paints these rows first (more than any screen shows), the
# rest a frame later: the table's first paint at 10 000 pods no longer waits for all of them.
FIRST_ROWS = 500
# A status longer than this is cut: kubectl's longest ("Init:CreateContainerConfigError", 31)
# stays whole; a pod reason is free text and may be longer.
STATUS_MAX = 40
NONE = "<none>"  # what `kubectl get pods -o wide` prints for a pod without a node or an IP yet


def status_style(pod: PodInfo) -> str:
    return ("bold red", "yellow", "green")[pod_rank(pod)]


def restarts_text(pod: PodInfo, now: datetime) -> str:
    """RESTARTS as kubectl prints it: "7 (91s ago)", or the count alone without a last restart."""
    if pod.restarts and pod.last_restart_at is not None:
        return f"{pod.restarts} ({human_duration(now - pod.last_restart_at)} ago)"
    return str(pod.restarts)


def pod_cells(pod: PodInfo, now: datetime, name_width: int | None = None) -> tuple[Cell, ...]:
    return (
        Text(one_line(pod.status, STATUS_MAX), style=status_style(pod)),
        middle_ellipsis(one_line(pod.name, 80), name_width),
        Text(f"{pod.ready}/{pod.containers}", style="" if pod.ready == pod.containers else "yellow"),
        Text(restarts_text(pod, now), style="yellow" if pod.restarts else ""),
        kube_age(pod.created_at, now),
        one_line(pod.namespace, 20),
        one_line(pod.node, 64) or NONE,
        one_line(pod.ip, 45) or NONE,
    )


def next_change(pod: PodInfo, now_s: float) -> float | None:
    """When (epoch seconds) the pod's AGE or RESTARTS text next changes: kubectl's durations
    move by the second below 10 minutes, then by the minute, the hour, the day. None: never
    (no times to count from)."""
    soonest: float | None = None
    if pod.created_at is not None:
        start = pod.created_at.timestamp()
        soonest = start + human_duration_next(now_s - start)
    if pod.restarts and pod.last_restart_at is not None:  # shown only with a restart
        start = pod.last_restart_at.timestamp()
        due = start + human_duration_next(now_s - start)
        soonest = due if soonest is None else min(soonest, due)
    return soonest


class PodsPanel(Panel):
    PANEL_ID = "pods"
    TITLE = "Pods"
    NUMBER = 2
    CONFIG_HINT = "[cluster]"

    def action_logs(self) -> None:
        target = self.log_target()
        if target is None:
            self.app.notify("l: select a pod or a workload first", markup=False)
            return
        self.post_message(self.LogsWanted(target))

    def log_target(self) -> LogTarget | None:
        """What `l` shows: the selected workload's pods; on a pod row its workload's, all of them
        (the pod is kept, for `--previous`), as `kubectl logs deployment/web` would show one; a
        pod of no workload alone."""
        workload = self.selected_workload()
        if workload is not None:  # the workloads view: all its pods, `p` all their previous runs
            return LogTarget(workload.namespace, workload.kind.lower(), workload.name)
        pod = self.selected()
        if pod is None:
            return None
        if pod.workload:
            # Its kind by the owner reference; "workload" when only the labels named it (the
            # source then asks the pod's owner, and a pod of none is shown alone).
            kind = pod.workload_kind.lower() or "workload"
            return LogTarget(pod.namespace, kind, pod.workload, pod=pod.name)
        return LogTarget(pod.namespace, "pod", pod.name, pod=pod.name)

    # The panel's own view: nothing recorded, nothing changed in the cluster.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "workloads", "Workloads/pods", id="pods.workloads"),
        # The selection's logs in the log panel (tui/controllers/pod_logs.py): reads, changes nothing.
        Binding("l", "logs", "Logs", id="pods.logs"),
        Binding("e", "events", "Events", id="pods.events"),
    ]

    # Whose events the events view shows: ("pod", key) or ("workload", key); None: the warnings
    # of every namespace watched. And the view `e` came from (it goes back there).
    events_of: tuple[str, str] | None = None
    _before_events: str = "pods"
    # Set by the app when the pods source can read one pod: enter on a pod then shows its
    # containers too (one GET, as kubectl describe pod makes).
    describer: Callable[[str, str], Awaitable[PodDescription]] | None = None

    def compose(self) -> ComposeResult:
        yield self.body()
        yield self.workloads
        yield self.events
        yield self.status_line

    def action_workloads(self) -> None:
        """Toggle between the pods and the deployments + statefulsets."""
        self.set_view("pods" if self.view == "workloads" else "workloads")

    def action_events(self) -> None:
        """The selected pod's or workload's events and its namespace's warnings (nothing
        selected: every namespace's warnings); `e` again goes back."""
        if self.view == "events":
            self.set_view(self._before_events)
            return
        pod, workload = self.selected(), self.selected_workload()
        of: tuple[str, str] | None = None
        if pod is not None:
            of = ("pod", pod.key)
        elif workload is not None:
            of = ("workload", workload_key(workload))
        self.events_of = of
        self._before_events = self.view
        self.set_view("events")

    def set_view(self, view: str) -> None:
        tables = (self.table, self.workloads, self.events)
        focused = self.screen.focused in tables if self.is_mounted else False
        self.view = view
        self.table.display = view == "pods"
        self.workloads.display = view == "workloads"
        self.events.display = view == "events"
        if self.last is not None and self.is_mounted:
            self.show(self.last, self.app.clock.now())  # type: ignore[arg-type, attr-defined]
        if focused:
            self.focus_body()

    def focus_body(self) -> None:
        table = {"workloads": self.workloads, "events": self.events}.get(self.view, self.table)
        self.screen.set_focus(table)

    def body(self) -> DiffTable:
        self.table = DiffTable(
            [
                # The status is sized to the statuses there are ("Init:CrashLoopBackOff" whole,
                # "Running" no wider) before the names get any room; the pod's name carries its
                # deployment's and the ReplicaSet hash, is what a reader scans for, and takes the
                # rest. Then kubectl's columns, and its `-o wide` ones where there is room: the
                # IP goes first (it is never cut: a cut address is a wrong one), then the node,
                # then the namespace.
                ("Status", "status", STATUS_MAX),
                ("Pod", "pod", None),
                ("Ready", "ready", 7),
                ("Restarts", "restarts", 18),
                ("Age", "age", 9),
                ("Namespace", "ns", 20),
                ("Node", "node", 40),
                ("IP", "ip", 39),
            ],
            optional=(("ip", 40), ("node", 16), "ns"),
            id="pods-table",
        )
        self.pods: dict[str, PodInfo] = {}
        self.deployments: dict[str, DeploymentInfo] = {}
        self.context = ""
        self._due: list[tuple[float, str]] = []  # (when its text changes, row key), a heap
        # What the rows were made from: the pod objects and the name width, the keys shown and
        # each pod's rank. A watched cluster's source hands over the same PodInfo object for a
        # pod that did not change, so a snapshot with 3 changes of 10 000 pods writes 3 rows.
        self._ranks: dict[str, tuple[PodInfo, int]] = {}
        self._shown: set[str] = set()
        self._width: int | None = None
        self._made = False  # rows made at least once
        self.view = "pods"  # or "workloads" (`w`)
        self.workloads: DiffTable = workloads_table()
        self.workload_rows: dict[str, DeploymentInfo] = {}  # by workload_key
        self._made_from: tuple[PodInfo, ...] = ()  # the pods of the snapshot shown last
        self._filtered_by = ""
        self.events: DiffTable = events_table()
        self.events_of = None
        self._before_events = "pods"
        return self.table

    def show(self, snap: ClusterSnapshot, now: datetime) -> None:  # type: ignore[override]
        if self._show_changes(snap, now):
            return
        before, shown_before = self.pods, self._shown
        self.last = snap
        self.context = snap.context
        self.pods = {pod.key: pod for pod in snap.pods}
        self.deployments = {d.key: d for d in snap.deployments}
        ranks = self._rank_all(snap.pods)
        shown = [
            p
            for p in snap.pods
            if self.matches(p.name, p.namespace, p.status, p.workload or "", p.node, p.ip)
        ]
        ordered = sorted(shown, key=lambda p: (ranks[p.key], p.namespace, p.name))
        self.table.flex_need = min(max((len(p.name) for p in snap.pods), default=0), NAME_NEED_MAX)
        width = self.table.flex_width
        now_s = now.timestamp()
        partial = not self._made and not self.table.row_keys and len(ordered) > FIRST_ROWS
        if partial:
            # A big first snapshot (10 000 pods: 0.4 s of cells and rows): the rows a screen can
            # show now, the rest right after they are painted (`refit` makes them all).
            head = ordered[:FIRST_ROWS]
            self.table.set_rows({pod.key: pod_cells(pod, now, width) for pod in head})
            self.call_after_refresh(self.refit)
        elif not self._made or len(self._due) > 2 * len(ordered) + 64:
            # Every row made again: the first time, a new name width, or a heap of due times
            # grown with entries of pods that changed since (each stale entry costs a write).
            self.table.set_rows({pod.key: pod_cells(pod, now, width) for pod in ordered})
            due = ((next_change(pod, now_s), pod.key) for pod in ordered)
            self._due = [(at, key) for at, key in due if at is not None]
            heapq.heapify(self._due)
        else:
            # A new name width changes only the names longer than the narrower of the two.
            known = [w for w in (width, self._width) if w is not None]
            cut = min(known) if width != self._width and known else None
            fresh = [
                p
                for p in ordered
                if before.get(p.key) is not p
                or p.key not in shown_before
                or (cut is not None and len(p.name) > cut)
            ]
            self.table.apply([p.key for p in ordered], {p.key: pod_cells(p, now, width) for p in fresh})
            for pod in fresh:
                at = next_change(pod, now_s)
                if at is not None:
                    heapq.heappush(self._due, (at, pod.key))
        if not partial:  # (a partial fill is not "made": the next show makes every row)
            self._width, self._made = width, True
            self._shown = {p.key for p in ordered}
        self._made_from, self._filtered_by = snap.pods, self.filter_text
        broken = sum(rank == 0 for rank in ranks.values())
        unready = sum(rank == 1 for rank in ranks.values())
        failing_shown = sum(ranks[p.key] < 2 for p in shown)
        self.count_filtered(len(shown), len(snap.pods), broken + unready - failing_shown)
        namespaces = len({p.namespace for p in snap.pods})
        summary = f"{len(snap.pods)} pods / {namespaces} ns"
        if broken:
            self.set_level("error", f"{broken} failing" + (f", {unready} not ready" if unready else ""))
        elif unready:
            self.set_level("warn", f"{unready} not ready")
        else:
            self.set_level("ok", summary)
        self.workload_rows = {workload_key(w): w for w in (*snap.deployments, *snap.statefulsets)}
        if self.view == "workloads":
            self._show_workloads(now)
        elif self.view == "events":
            self._show_events(snap, now)
        self.show_status(now)  # what could not be read (a forbidden resource) is said at once

    def source_replaced(self, now: datetime) -> None:
        # The rows of the context left go at once: a key on one would name the other cluster.
        self.show(ClusterSnapshot(context="", pods=()), now)

    def _show_changes(self, snap: ClusterSnapshot, now: datetime) -> bool:
        """The snapshot is the last one with a few pods changed in place (the same pods, in
        the same order, none changing rank or leaving the filter): write those rows and be done.
        False: anything else, for `show` to work out in full. At 10 000 pods under 10 changes a
        second this is a pass over the pods by identity, not the sorts, ranks and counts."""
        prev, pods = self._made_from, snap.pods
        if (
            not self._made
            or len(prev) != len(pods)
            or self.filter_text != self._filtered_by
            or self.table.flex_width != self._width
        ):
            return False
        changed = [(old, new) for old, new in zip(prev, pods, strict=True) if old is not new]
        if len(changed) > 200:
            return False
        ranks: list[int] = []
        for old, new in changed:
            if old.namespace != new.namespace or old.name != new.name:
                return False  # pods came and went: the order moves
            rank = pod_rank(new)
            if rank != self._ranks[new.key][1]:
                return False  # it moves between failing, not ready and fine
            if self.filter_text and self.matches(
                new.name, new.namespace, new.status, new.workload or "", new.node, new.ip
            ) != (new.key in self._shown):
                return False
            ranks.append(rank)
        self.last = snap
        self.context = snap.context
        self.deployments = {d.key: d for d in snap.deployments}
        width, now_s = self._width, now.timestamp()
        cells: dict[str, tuple[Cell, ...]] = {}
        for (_, pod), rank in zip(changed, ranks, strict=True):
            key = pod.key
            self.pods[key] = pod
            self._ranks[key] = (pod, rank)
            if key in self._shown:
                cells[key] = pod_cells(pod, now, width)
                at = next_change(pod, now_s)
                if at is not None:
                    heapq.heappush(self._due, (at, key))
        if cells:
            self.table.apply(self.table.row_keys, cells)
        self._made_from = pods
        self.workload_rows = {workload_key(w): w for w in (*snap.deployments, *snap.statefulsets)}
        if self.view == "workloads":
            self._show_workloads(now)
        elif self.view == "events":
            self._show_events(snap, now)
        self.show_status(now)
        return True

    def _rank_all(self, pods: tuple[PodInfo, ...]) -> dict[str, int]:
        """Each pod's rank (failing, not ready, fine), worked out again only for a pod that
        is not the very object it was last time."""
        known = self._ranks
        ranks: dict[str, int] = {}
        kept: dict[str, tuple[PodInfo, int]] = {}
        for pod in pods:
            key = pod.key
            seen = known.get(key)
            rank = seen[1] if seen is not None and seen[0] is pod else pod_rank(pod)
            ranks[key] = rank
            kept[key] = (pod, rank)
        self._ranks = kept
        return ranks

    def _show_workloads(self, now: datetime) -> None:
        """The workloads view's rows (tens or hundreds: made whole each time, written as diffs)
        and its count in the title while a filter applies."""
        every = list(self.workload_rows.values())
        shown = [w for w in every if self.matches(w.name, w.namespace, w.kind, w.rollout, w.image)]
        ordered = ordered_workloads(shown)
        table = self.workloads
        table.flex_need = min(max((len(w.name) + 7 for w in every), default=0), WORKLOAD_NAME_MAX)
        width = table.flex_width
        table.set_rows({workload_key(w): workload_cells(w, now, width) for w in ordered})
        failing = sum(workload_rank(w) < 2 for w in every) - sum(workload_rank(w) < 2 for w in shown)
        self.count_filtered(len(shown), len(every), failing)

    def _show_events(self, snap: ClusterSnapshot, now: datetime) -> None:
        """The events view's rows: the selection's events, then its namespace's warnings."""
        every = snap.events
        events = tuple(e for e in every if self.matches(e.reason, e.message, e.object, e.kind, e.namespace))
        own: list[tuple[str, str, dict[str, set[str]]]] = []  # (label, namespace, objects)
        if self.events_of is not None:
            kind, key = self.events_of
            pod = self.pods.get(key) if kind == "pod" else None
            workload = self.workload_rows.get(key) if kind == "workload" else None
            if pod is not None:
                own.append((f"pod/{pod.name}", pod.namespace, objects_of_pod(pod)))
            elif workload is not None:
                label = f"{'deploy' if workload.kind == 'Deployment' else 'sts'}/{workload.name}"
                own.append((label, workload.namespace, objects_of_workload(snap, workload)))
        if own:
            label, ns, objects = own[0]
            sections = [
                (f"events of {label} (warnings first, newest first)", about(events, ns, objects)),
                (f"recent warnings in {ns}", warnings_in(events, {ns})[:NAMESPACE_WARNINGS]),
            ]
        else:
            sections = [("recent warnings", warnings_in(events))]
        self.events.flex_need = EVENT_MESSAGE_NEED  # the namespace goes, the object is cut, first
        self.events.set_rows(event_rows(sections, now, self._object_width()))
        hidden = sum(e.warning for e in every) - sum(e.warning for e in events)
        self.count_filtered(len(events), len(every), hidden)

    def _object_width(self) -> int | None:
        """The events' object names are cut in the middle to what the table leaves them beside
        the message's room, worked out from the table's width (not from the column's: cut
        names would make it narrower at each look, and it would never widen again)."""
        table = self.events
        if not table.size.width:
            return None
        shown = table.shown_columns
        fixed = sum(table.column_width(k) or 0 for k in shown if k not in ("object", "message"))
        room = table.size.width - 1 - 2 * table.cell_padding * len(shown) - fixed - EVENT_MESSAGE_NEED
        return max(12, min(40, room))

    def show_status(self, now: datetime) -> None:
        """The source's status, then what it could not read while the pods were shown
        ("deployments: forbidden (RBAC: list deployments in payments)"): a partial view says
        which part is missing."""
        if not self.configured:
            return
        line = status_text(self.source_status, now, self.interval_s)
        problems = self.last.problems if isinstance(self.last, ClusterSnapshot) else ()
        for problem in problems:
            line.append(" · ")
            line.append(f"⚠ {one_line(problem, 90)}", style="yellow")
        self.status_line.show(line)

    def detail(self, key: str) -> tuple[str, str] | None:
        if self.view == "events":
            events = self.last.events if isinstance(self.last, ClusterSnapshot) else ()
            found = next((e for e in events if e.key == key), None)
            return None if found is None else event_detail(found, self.app.clock.now())  # type: ignore[attr-defined]
        workload = self.workload_rows.get(key)
        if workload is not None:
            return self.workload_describe(workload)
        return self.pod_describe(key, None, None)

    def workload_describe(self, workload: DeploymentInfo) -> tuple[str, str]:
        """`enter` on a workload: replicas, strategy, conditions, its revisions (which one
        `rollout undo` goes back to) and its events."""
        now = self.app.clock.now()  # type: ignore[attr-defined]
        title, body = workload_detail(workload, now)
        snap = self.last if isinstance(self.last, ClusterSnapshot) else ClusterSnapshot("", ())
        history = revision_history(snap.revisions, workload.namespace, workload.name, workload.kind)
        current = current_revision(history, workload)
        undo = undo_target(snap.revisions, workload.namespace, workload.name, workload.kind, current)
        objects = objects_of_workload(snap, workload)
        events = about(snap.events, workload.namespace, objects)
        return title, body + "\n" + workload_sections(history, current, undo, events, now)

    def undo_target(self, namespace: str, name: str, kind: str = "deployment") -> RevisionInfo | None:
        """The revision (number, image) `kubectl rollout undo <kind>/<name>` would go back to,
        from the revisions watched (None: none known before the current one). For the undo's
        confirmation."""
        snap = self.last
        if not isinstance(snap, ClusterSnapshot):
            return None
        every = (*snap.deployments, *snap.statefulsets)
        kind_name = "StatefulSet" if kind.lower() == "statefulset" else "Deployment"
        workload = next(
            (w for w in every if (w.namespace, w.name, w.kind) == (namespace, name, kind_name)), None
        )
        history = revision_history(snap.revisions, namespace, name, kind_name)
        return undo_target(snap.revisions, namespace, name, kind_name, current_revision(history, workload))

    def detail_later(self, key: str) -> Awaitable[tuple[str, str] | None] | None:
        """What `enter` on a pod shows once the pod is read (its containers); None: nothing to
        read (not a pod, or a source that cannot)."""
        if self.describer is None or self.view != "pods" or key not in self.pods:
            return None
        return self._described(key, self.describer)

    async def _described(
        self, key: str, describer: Callable[[str, str], Awaitable[PodDescription]]
    ) -> tuple[str, str] | None:
        pod = self.pods.get(key)
        if pod is None:
            return None
        try:
            desc = await describer(pod.namespace, pod.name)
        except Exception as err:  # the source's one line (forbidden, gone, refused)
            return self.pod_describe(key, None, str(err) or type(err).__name__)
        return self.pod_describe(key, desc, None)

    def pod_describe(
        self, key: str, desc: PodDescription | None, error: str | None
    ) -> tuple[str, str] | None:
        """`enter` on a pod: its row in full, its containers (once read), conditions and events."""
        pod = self.pods.get(key)
        if pod is None:
            return None
        deployment = self.deployments.get(f"{pod.namespace}/{pod.workload}") if pod.workload else None
        now = self.app.clock.now()  # type: ignore[attr-defined]
        restarts = restarts_text(pod, now)
        if pod.restarts and pod.last_restart_at is not None:
            restarts += f", last at {utc_iso(pod.last_restart_at)}"
        created = None
        if pod.created_at is not None:
            created = f"{utc_iso(pod.created_at)} ({kube_age(pod.created_at, now)} ago)"
        rows: list[tuple[str, object]] = [
            ("status", pod.status),
            ("namespace", pod.namespace),
            ("ready", f"{pod.ready}/{pod.containers}"),
            ("restarts", restarts),
            ("created", created),
            ("node", pod.node or NONE),
            ("ip", pod.ip or NONE),
            ("owner", pod.workload),
        ]
        if deployment is not None:
            rows += [
                ("replicas", f"{deployment.ready}/{deployment.replicas} ready, {deployment.updated} updated"),
                ("revision", deployment.revision),
                ("image", deployment.image),
            ]
        snap = self.last if isinstance(self.last, ClusterSnapshot) else ClusterSnapshot("", ())
        events = about(snap.events, pod.namespace, objects_of_pod(pod))
        if self.describer is None and desc is None and error is None:
            more = "\n" + "\n".join(["", "events (warnings first, newest first)", *event_lines(events, now)])
        else:
            more = "\n" + pod_sections(desc, error, events, now)
        return f"Pod {pod.name}", fields_text(rows) + more

    def tick(self, now: datetime) -> None:
        """Once a second: AGE and RESTARTS move on between snapshots, as kubectl's would. Only
        the rows whose text changes now are written (`_due`: a heap of each shown row's next
        change): a pod showing "4m1s" every second, one showing "8d" once a day, so 10 000
        quiet pods cost a few rows a second."""
        self.show_status(now)
        if self.view == "workloads" and self.workload_rows:
            self._show_workloads(now)  # their ages (a few rows: the diff writes what moved)
        elif self.view == "events" and isinstance(self.last, ClusterSnapshot):
            self._show_events(self.last, now)  # their "seen" ages
        due, now_s = self._due, now.timestamp()
        if not due or due[0][0] > now_s:
            return
        cells: dict[str, tuple[Cell, ...]] = {}
        width = self.table.flex_width
        while due and due[0][0] <= now_s:
            _, key = heapq.heappop(due)
            pod = self.pods.get(key)
            if pod is None or key in cells:
                continue
            cells[key] = pod_cells(pod, now, width)
            at = next_change(pod, now_s)
            if at is not None:
                heapq.heappush(due, (at, key))
        self.table.apply(self.table.row_keys, cells)

    def refit(self) -> None:
        if self.last is not None:
            self.show(self.last, self.app.clock.now())  # type: ignore[arg-type, attr-defined]

    def selected(self) -> PodInfo | None:
        """The pod selected in the pods view; None in the workloads view."""
        if self.view != "pods":
            return None
        key = self.table.selected_key()
        return None if key is None else self.pods.get(key)

    def selected_workload(self) -> DeploymentInfo | None:
        """The deployment or statefulset selected in the workloads view (its `kind` says which)."""
        if self.view != "workloads":
            return None
        key = self.workloads.selected_key()
        return None if key is None else self.workload_rows.get(key)

    def selected_deployment(self) -> DeploymentInfo | None:
        if self.view == "workloads":
            workload = self.selected_workload()
            return workload if workload is not None and workload.kind == "Deployment" else None
        pod = self.selected()
        if pod is None or pod.workload is None:
            return None
        return self.deployment(pod.namespace, pod.workload)

    def deployment(self, namespace: str | None, name: str) -> DeploymentInfo | None:
        """The deployment last shown under that name (a service's linked deployment), if any."""
        return self.deployments.get(f"{namespace}/{name}")
