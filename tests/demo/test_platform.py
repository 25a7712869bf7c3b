"""The simulated platform's shape, its sources, its determinism and its log stream."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.demo.helpers import NS, T0, start
from tui.core.clock import FrozenClock
from tui.core.model import HISTORY_LEN, ClusterSnapshot, HealthSnapshot, LogBatch, SloSnapshot
from tui.demo.platform import LOG_BACKLOG, LOG_MAX_BATCH, DemoControl, DemoPlatform, demo_sources
from tui.sources.base import SourceError

HTTP_SERVICES = {
    "api-gateway",
    "auth-service",
    "product-service",
    "order-payment-service",
    "appointment-service",
    "notification-service",
}


async def test_forty_pods_over_three_namespaces_with_deployments_filled_in():
    demo = start("bad-deploy")
    snap = await demo.cluster()
    assert snap.context == "demo" == demo.control.context
    assert len(snap.pods) == 40
    assert {p.namespace for p in snap.pods} == {NS, "ingress-nginx", "monitoring"}
    assert len({p.key for p in snap.pods}) == 40
    now = demo.clock.now()
    for pod in snap.pods:
        assert pod.node.endswith(".eu-west-2.compute.internal")
        assert pod.created_at is not None and pod.created_at < now
        assert 0 <= pod.ready <= pod.containers and pod.restarts >= 0 and pod.workload
    assert {"postgres-primary-0", "redis-master-0"} <= {p.name for p in snap.pods}
    gateway = [p for p in snap.pods if p.workload == "api-gateway"]
    assert len(gateway) == 3 and all(p.name.startswith("api-gateway-") for p in gateway)
    deployments = {d.name: d for d in snap.deployments}
    assert {"api-gateway", "auth-service", "order-payment-service", "celery-worker", "pgbouncer"} <= set(
        deployments
    )
    assert "redis-master" not in deployments  # a StatefulSet
    for dep in snap.deployments:
        assert dep.replicas >= 1 and dep.revision is not None and ":" in dep.image
        assert dep.ready == dep.available <= dep.replicas + 1
    assert deployments["api-gateway"].revision == 7
    assert deployments["api-gateway"].image == "ghcr.io/lomashwood/api-gateway:2.14.1"


async def test_eight_health_rows_with_targets_history_and_their_deployment():
    demo = start("db-connection-exhaustion")
    snap = await demo.health()
    names = [s.name for s in snap.services]
    assert len(names) == 8 and set(names) == HTTP_SERVICES | {"postgres", "redis"}
    now = demo.clock.now()
    for svc in snap.services:
        assert svc.target and svc.checked_at == now
        assert len(svc.history) == HISTORY_LEN and svc.history[-1] == svc.state
        if svc.name in HTTP_SERVICES:
            assert svc.target == f"http://{svc.name}.{NS}.svc:8080" + svc.target.split(":8080", 1)[1]
            assert (svc.deployment, svc.namespace) == (svc.name, NS)
        else:
            assert svc.deployment is None
        if svc.state == "UP":
            assert svc.code in (0, 200) and svc.latency_ms is not None and svc.changed_at is None
    postgres = next(s for s in snap.services if s.name == "postgres")
    assert postgres.changed_at is not None and now - timedelta(minutes=2) < postgres.changed_at < now


async def test_slos_ratio_over_30d_with_budget_and_burn_and_thresholds_with_levels():
    demo = start("bad-deploy")
    snap = await demo.slos()
    by_name = {s.name: s for s in snap.slos}
    ratio = [s for s in snap.slos if s.kind == "ratio"]
    assert {s.name for s in ratio} == {"API availability", "Checkout success", "Login success"}
    for slo in ratio:
        assert slo.window == "30d" and slo.objective == 99.9
        assert slo.value is not None and slo.burn_rate == pytest.approx(slo.value / 0.001)
        assert slo.budget_remaining is not None and 0 < slo.budget_remaining < 1
        assert len(slo.history) == 20 and slo.detail
    backlog = by_name["Celery backlog"]
    assert (backlog.kind, backlog.objective, backlog.state) == ("threshold", 50, "OK")
    assert by_name["PostgreSQL connections"].value == pytest.approx(91, abs=15)
    assert all(s.detail for s in snap.slos)


async def test_the_sources_have_the_panels_intervals_and_poll_snapshots():
    platform = DemoPlatform(None, 3, FrozenClock(T0))
    sources = demo_sources(platform)
    assert {k: s.interval_s for k, s in sources.items()} == {"health": 5, "pods": 2, "slos": 10, "logs": 3}
    kinds = {"health": HealthSnapshot, "pods": ClusterSnapshot, "slos": SloSnapshot, "logs": LogBatch}
    for key, source in sources.items():
        assert isinstance(await source.poll(), kinds[key])
        assert source.name
        await source.close()


async def _everything(demo) -> tuple:
    return (await demo.health(), await demo.cluster(), await demo.slos(), await demo.logs())


async def test_same_seed_and_frozen_clock_give_equal_snapshots_also_after_actions():
    a, b = start("redis-down", seed=5), start("redis-down", seed=5)
    assert await _everything(a) == await _everything(b)
    for demo in (a, b):
        demo.advance(37)
        await demo.control.mitigate("redis-failover")
        demo.advance(4.5)
        await demo.control.rollout_restart(NS, "auth-service")
        demo.advance(90)
    assert await _everything(a) == await _everything(b)


async def test_an_action_counts_from_the_next_second_whether_or_not_a_poll_came_first():
    polled, unpolled = start("api-gateway-crashloop", seed=2), start("api-gateway-crashloop", seed=2)
    polled.advance(10)
    await polled.health()
    await polled.cluster()
    for demo in (polled, unpolled):
        if demo is unpolled:
            demo.advance(10)
        await demo.control.rollout_restart(NS, "api-gateway")
        demo.advance(30)
    assert await polled.cluster() == await unpolled.cluster()
    assert await polled.health() == await unpolled.health()


async def test_a_different_seed_gives_different_logs_and_pod_names():
    one, two = start("bad-deploy", seed=1), start("bad-deploy", seed=2)
    assert [line.text for line in (await one.logs()).lines] != [
        line.text for line in (await two.logs()).lines
    ]
    assert {p.name for p in (await one.cluster()).pods} != {p.name for p in (await two.cluster()).pods}


async def test_logs_backlog_first_then_what_came_since_bounded_per_poll():
    demo = start("db-connection-exhaustion")
    pods = {p.name for p in (await demo.cluster()).pods}
    first = await demo.logs()
    assert len(first.lines) == LOG_BACKLOG and first.dropped == 0
    now = demo.clock.now()
    assert all(line.at is not None and now - timedelta(seconds=30) < line.at <= now for line in first.lines)
    assert [line.at for line in first.lines] == sorted(line.at for line in first.lines)  # type: ignore[type-var]
    assert {line.origin for line in first.lines} <= pods
    assert {line.level for line in first.lines} <= {"error", "warn", "info", "debug"}
    assert {"error", "info"} <= {line.level for line in first.lines}
    assert len({line.origin.rsplit("-", 2)[0] for line in first.lines}) >= 4  # several programs
    assert (await demo.logs()).lines == ()  # no time passed: nothing new
    demo.advance(1)
    second = await demo.logs()
    assert 1 <= len(second.lines) <= 15 and second.dropped == 0
    assert all(line.at > first.lines[-1].at for line in second.lines)  # type: ignore[operator]
    demo.advance(600)
    burst = await demo.logs()
    assert len(burst.lines) == LOG_MAX_BATCH and burst.dropped > 500
    assert burst.lines[-1].at > demo.clock.now() - timedelta(seconds=2)  # type: ignore[operator]


async def test_each_log_source_has_its_own_cursor():
    demo = start("queue-backlog")
    other = demo_sources(demo.platform)["logs"]
    demo.advance(3)
    assert len((await demo.logs()).lines) == len((await other.poll()).lines) == LOG_BACKLOG


async def test_log_lines_speak_of_the_outage_with_trace_ids_shared_by_gateway_and_service():
    demo = start("bad-deploy")
    lines = await demo.log_lines_over(40)
    texts = [line.text for line in lines]
    assert 40 <= len(lines) <= 400  # a few lines a second
    assert any('"POST /v1/orders/checkout HTTP/2.0" 500' in t for t in texts)
    errors = [t for t in texts if "promo-engine-v2.js" in t]
    assert errors
    trace = errors[0].split("trace_id=")[1].split()[0]
    assert len(trace) == 32 and sum(trace in t for t in texts) >= 2


class SettableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def test_a_clock_that_jumps_back_sees_the_state_it_had():
    clock = SettableClock(T0)
    platform = DemoPlatform("bad-deploy", 1, clock)
    before = platform.cluster()
    clock.at -= timedelta(seconds=30)  # the wall clock was stepped back
    assert platform.cluster() == before
    assert "revision" in await DemoControl(platform).rollout_restart(NS, "api-gateway")


def test_started_ago_zero_is_the_calm_before_with_a_full_log_backlog():
    platform = DemoPlatform("api-gateway-crashloop", 1, FrozenClock(T0), started_ago_s=0)
    assert all(s.state == "UP" for s in platform.health().services)
    assert all(p.restarts <= 2 and p.status == "Running" for p in platform.cluster().pods)
    batch, _ = platform.logs_after(None)
    assert len(batch.lines) == LOG_BACKLOG


async def test_a_dry_run_says_what_would_happen_and_changes_nothing():
    demo, twin = start("api-gateway-crashloop"), start("api-gateway-crashloop")
    gateway = next(p for p in await demo.pods("api-gateway"))
    ctl = demo.control
    lines = [
        await ctl.rollout_restart(NS, "api-gateway", dry_run=True),
        await ctl.rollout_undo(NS, "api-gateway", dry_run=True),
        await ctl.scale(NS, "celery-worker", 8, dry_run=True),
        await ctl.delete_pod(NS, gateway.name, dry_run=True),
    ]
    assert lines == [
        f"dry run: deployment {NS}/api-gateway would be restarted (revision 7 → 8)",
        lines[1],
        f"dry run: deployment {NS}/celery-worker would be scaled from 4 to 8 replicas",
        f"dry run: pod {NS}/{gateway.name} would be deleted",
    ]
    assert lines[1].startswith(f"dry run: deployment {NS}/api-gateway would be rolled back to revision ")
    # Refused as the real call would be, still without a change.
    for bad in (
        ctl.scale(NS, "celery-worker", 500, dry_run=True),
        ctl.rollout_restart(NS, "nope", dry_run=True),
        ctl.delete_pod(NS, "nope-0", dry_run=True),
    ):
        with pytest.raises(SourceError):
            await bad
    # The world, a minute on, is the one of a twin nobody asked anything.
    for d in (demo, twin):
        d.advance(60)
    assert await demo.cluster() == await twin.cluster()
    assert await demo.health() == await twin.health()
    assert await demo.slos() == await twin.slos()
    assert await demo.logs() == await twin.logs()
    assert demo.platform.world.pending == twin.platform.world.pending == []
    # ... while a real restart does change it (the comparison can fail).
    await ctl.rollout_restart(NS, "api-gateway")
    demo.advance(60)
    twin.advance(60)
    assert await demo.cluster() != await twin.cluster()
