"""The status update's CAN template (conditions, actions, needs), prefilled from what the panels
show now and from the actions taken since the last update. Plain text: it goes to a chat or a
status page by clipboard, and into the record as a `status_update` event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tui.core.clock import utc_iso
from tui.core.model import ClusterSnapshot, HealthSnapshot, SloSnapshot
from tui.core.untrusted import one_line
from tui.domain.pod_health import not_ready
from tui.incident.events import OUTCOME_KINDS, Event
from tui.incident.outcomes import rollout_ends


def conditions(
    health: HealthSnapshot | None, cluster: ClusterSnapshot | None, slos: SloSnapshot | None
) -> list[str]:
    lines: list[str] = []
    if health is not None:
        down = [s for s in health.services if s.state == "DOWN"]
        degraded = [s for s in health.services if s.state == "DEGRADED"]
        for svc in down:
            lines.append(f"{one_line(svc.name, 60)} DOWN ({one_line(svc.detail, 80)})")
        if degraded:
            lines.append("degraded: " + ", ".join(one_line(s.name, 60) for s in degraded))
        if not down and not degraded and health.services:
            lines.append(f"all {len(health.services)} health checks UP")
    if slos is not None:
        for slo in slos.slos:
            if slo.state in ("BREACH", "WARN"):
                detail = ""
                if slo.kind == "ratio" and slo.value is not None:
                    detail = f" (error ratio {slo.value * 100:.2f}%"
                    detail += f", burn {slo.burn_rate:.1f}×)" if slo.burn_rate is not None else ")"
                elif slo.value is not None:
                    detail = f" ({slo.value:g} vs objective {slo.objective:g})"
                lines.append(f"SLO {one_line(slo.name, 60)} {slo.state}{detail}")
    if cluster is not None:
        bad = [p for p in cluster.pods if not_ready(p)]  # the pods panel's rule: a finished job is done
        if bad:
            by_status: dict[str, int] = {}
            for pod in bad:
                by_status[pod.status] = by_status.get(pod.status, 0) + 1
            summary = ", ".join(f"{n} {one_line(status, 30)}" for status, n in sorted(by_status.items()))
            lines.append(f"{len(bad)} of {len(cluster.pods)} pods not ready: {summary}")
    return lines or ["no problem visible on the panels"]


def actions_taken(events: Sequence[Event], since: datetime | None) -> list[str]:
    requested = {e.id: e for e in events if e.kind == "action_requested"}
    ends = rollout_ends(events)
    lines = []
    for event in events:
        if event.kind not in OUTCOME_KINDS:
            continue
        if since is not None and event.occurred_at <= since:
            continue
        request = requested.get(int(event.data.get("request", -1)))
        what = one_line(request.text if request else event.text, 120)
        outcome = {"action_succeeded": "done", "action_interrupted": "INTERRUPTED"}.get(event.kind, "FAILED")
        if event.kind == "action_succeeded" and isinstance(event.data.get("follow"), dict):
            # What the people waiting on it ask: did the rollout it set going finish?
            end = ends.get(int(event.data.get("request", -1)))
            outcome += ", " + (
                "rolling out"
                if end is None
                else {"rollout_complete": "rolled out", "rollout_stalled": "rollout STALLED"}.get(
                    end.kind, "rollout not followed to the end"
                )
            )
        lines.append(f"{event.occurred_at.strftime('%H:%M')}Z {what}: {outcome}")
    return lines or ["none since the last update"]


def can_template(
    *,
    title: str,
    severity: str,
    status: str,
    now: datetime,
    health: HealthSnapshot | None,
    cluster: ClusterSnapshot | None,
    slos: SloSnapshot | None,
    events: Sequence[Event],
    last_update_at: datetime | None,
    next_update_min: float | None,
) -> str:
    lines = [f"[{severity}] {one_line(title, 120)} — {status} — {utc_iso(now)}", "", "Conditions:"]
    lines += [f"- {line}" for line in conditions(health, cluster, slos)]
    lines += ["", "Actions:"]
    lines += [f"- {line}" for line in actions_taken(events, last_update_at)]
    lines += ["", "Needs:", "- "]
    if next_update_min:
        lines += ["", f"Next update in {next_update_min:g} min."]
    return "\n".join(lines)
