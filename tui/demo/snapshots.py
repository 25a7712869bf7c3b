"""The world as the panels see it: the same snapshot dataclasses the real adapters build.

The SLOs are judged by the functions the Prometheus adapter uses (`tui.domain.slo_verdict`, over
the maths of `tui.domain.slo`) from what Prometheus would have answered: the error ratio per
window (the simulation's seconds, plus the SLO's past for the part of a window before the
simulation began) or the gauge's value. So the demo's SLO panel reads like the real one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tui.core.model import (
    HISTORY_LEN,
    ClusterSnapshot,
    DeploymentInfo,
    HealthSnapshot,
    PodInfo,
    ServiceHealth,
    SloSnapshot,
    SloStatus,
)
from tui.demo.topology import CHECKS, PG_MAX_CONNECTIONS, PG_RESERVED, SLOS, RatioSloSpec, ThresholdSloSpec
from tui.demo.world import World
from tui.domain.slo import parse_duration, rule_windows
from tui.domain.slo_verdict import Sample, judge_ratio, judge_threshold

HEALTH_EVERY_S = 2  # the health source's interval: one history mark per check
SLO_EVERY_S = 5  # the SLO source's interval: one sparkline point per evaluation
SLO_HISTORY = 20
CURRENT_WINDOW = "5m"


def wall(world: World, t: float) -> datetime:
    return world.base + timedelta(seconds=t)


def health_snapshot(world: World, now: datetime) -> HealthSnapshot:
    services = []
    for check, row in zip(CHECKS, world.rows, strict=True):
        states = world.states[check.name]
        last = len(states) - 1
        first = max(last % HEALTH_EVERY_S, last - HEALTH_EVERY_S * (HISTORY_LEN - 1))
        changed = world.changed[check.name]
        services.append(
            ServiceHealth(
                name=check.name,
                state=row.state,
                code=row.code,
                latency_ms=None if row.latency_ms is None else round(row.latency_ms, 1),
                detail=row.detail,
                checked_at=now,
                changed_at=None if changed is None else wall(world, changed),
                history=tuple(states[first : last + 1 : HEALTH_EVERY_S]),
                target=check.target,
                deployment=check.deployment,
                namespace=check.namespace,
            )
        )
    return HealthSnapshot(services=tuple(services))


def cluster_snapshot(world: World, context: str) -> ClusterSnapshot:
    t = world.k
    pods = []
    deployments = []
    for ctrl in world.controllers.values():
        for pod in ctrl.pods:
            pods.append(
                PodInfo(
                    namespace=pod.namespace,
                    name=pod.name,
                    workload=pod.workload,
                    status=pod.status(t),
                    ready=pod.ready_containers(),
                    containers=pod.containers,
                    restarts=pod.restarts,
                    created_at=wall(world, pod.created),
                    node="" if pod.pending else pod.node,
                    last_restart_at=(
                        wall(world, pod.last_exit) if pod.restarts and pod.last_exit is not None else None
                    ),
                    ip="" if pod.phase() == "Pending" else pod.ip,
                    phase=pod.phase(),
                )
            )
        if ctrl.spec.kind == "Deployment":
            live = ctrl.live()
            updated = sum(p.template == ctrl.template.hash for p in live)
            available = sum(p.ready for p in live)
            # kubectl rollout status' order: all updated, no old one left, the updated available.
            done = updated >= ctrl.desired and len(live) <= updated and available >= updated
            deployments.append(
                DeploymentInfo(
                    namespace=ctrl.spec.namespace,
                    name=ctrl.spec.name,
                    replicas=ctrl.desired,
                    ready=sum(p.ready for p in live),
                    updated=updated,
                    available=available,
                    revision=ctrl.template.revision,
                    image=f"{ctrl.spec.image}:{ctrl.template.tag}",
                    rollout="complete" if done else "progressing",
                )
            )
    pods.sort(key=lambda p: (p.namespace, p.name))
    deployments.sort(key=lambda d: (d.namespace, d.name))
    return ClusterSnapshot(context=context, pods=tuple(pods), deployments=tuple(deployments))


def _ratio(world: World, spec: RatioSloSpec, window: str, at: int) -> float:
    """The error ratio over `window` ending at index `at`: observed seconds, and the SLO's past
    for the part of the window before the simulation began."""
    seconds = int(parse_duration(window).total_seconds())
    sums = world.sums[spec.series]
    observed = min(seconds, at + 1)
    total = sums[at + 1] - sums[at + 1 - observed]
    prior = dict(spec.priors).get(window, spec.baseline)
    return (total + prior * (seconds - observed)) / seconds


def _ratio_slo(world: World, spec: RatioSloSpec, at: int) -> SloStatus:
    period = parse_duration(spec.window)
    windows = (spec.window, *rule_windows(period))
    ratios: dict[str, float | None] = {w: _ratio(world, spec, w, at) for w in windows}
    status = judge_ratio(spec.config(), period, ratios)
    history = tuple(
        _ratio(world, spec, CURRENT_WINDOW, i)
        for i in range(at - SLO_EVERY_S * (SLO_HISTORY - 1), at + 1, SLO_EVERY_S)
        if i >= 0
    )
    return replace(status, history=history)


def _gauge(world: World, spec: ThresholdSloSpec, at: int) -> float | None:
    values = world.gauges[spec.series]
    if spec.series == "p95":  # a quantile over a window: smooth the per-second samples
        recent = [v for v in values[max(0, at - 29) : at + 1] if v is not None]
        return round(sum(recent) / len(recent)) if recent else None
    return values[at]


def _threshold_slo(world: World, spec: ThresholdSloSpec, at: int) -> SloStatus:
    value = _gauge(world, spec, at)
    status = judge_threshold(spec.config(), Sample(value, 0 if value is None else 1))
    detail = status.detail
    if spec.series == "backlog":
        before = _gauge(world, spec, max(0, at - 60))
        if value is None:
            detail = "no data: the celery exporter cannot reach redis-master:6379"
        elif before is not None:
            detail += f" · {value - before:+,.0f} in the last minute"
    elif spec.series == "pg" and value is not None:
        detail += f" · max_connections {PG_MAX_CONNECTIONS}, {PG_RESERVED} reserved"
    history = tuple(
        v
        for i in range(at - SLO_EVERY_S * (SLO_HISTORY - 1), at + 1, SLO_EVERY_S)
        if i >= 0 and (v := _gauge(world, spec, i)) is not None
    )
    return replace(status, detail=detail, history=history)


def slo_snapshot(world: World) -> SloSnapshot:
    at = world.index(world.k)
    return SloSnapshot(
        slos=tuple(
            _ratio_slo(world, spec, at) if isinstance(spec, RatioSloSpec) else _threshold_slo(world, spec, at)
            for spec in SLOS
        )
    )
