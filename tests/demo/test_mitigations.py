"""The keys act on the simulation: the runbook's right step heals its scenario within a realistic
time, seen through the panels; a wrong one does not (and may make things worse)."""

from __future__ import annotations

import pytest

from tests.demo.helpers import CRASHING, NS, start, until
from tui.demo.platform import DEMO_MITIGATIONS
from tui.sources.base import SourceError

# ---- api-gateway crash loop -----------------------------------------------------------------


async def test_restarting_the_crashlooping_gateway_heals_it_through_fresh_pods():
    demo = start("api-gateway-crashloop")
    assert await demo.control.rollout_restart(NS, "api-gateway") == (
        "deployment lomash-wood/api-gateway restarted (revision 8)"
    )
    old = {p.name for p in await demo.pods("api-gateway")}
    seen: set[tuple[str, int]] = set()
    for _ in range(20):
        demo.advance(2)
        seen |= {(p.status, p.ready) for p in await demo.pods("api-gateway") if p.name not in old}
    assert ("ContainerCreating", 0) in seen and ("Running", 0) in seen and ("Running", 1) in seen

    async def healed() -> bool:
        pods = await demo.pods("api-gateway")
        return len(pods) == 3 and all(
            p.status == "Running" and p.ready == 1 and p.name not in old for p in pods
        )

    assert await until(demo, 120, healed) is not None
    gateway = await demo.deployment("api-gateway")
    assert (gateway.revision, gateway.ready, gateway.updated) == (8, 3, 3)
    assert (await demo.service("api-gateway")).state == "UP"
    demo.advance(600)  # and it stays healed
    assert all(p.restarts == 0 and p.ready == 1 for p in await demo.pods("api-gateway"))


async def test_deleting_a_crashing_gateway_pod_replaces_it_with_a_healthy_one():
    demo = start("api-gateway-crashloop")
    pods = await demo.pods("api-gateway")
    crashing = max(pods, key=lambda p: p.restarts)
    said = await demo.control.delete_pod(NS, crashing.name)
    assert said == f"pod lomash-wood/{crashing.name} deleted (its ReplicaSet makes a new one)"
    demo.advance(40)
    after = await demo.pods("api-gateway")
    new = [p for p in after if p.name not in {q.name for q in pods}]
    assert len(after) == 3 and crashing.name not in {p.name for p in after}
    assert [(p.status, p.ready, p.restarts) for p in new] == [("Running", 1, 0)]
    assert new[0].name.rsplit("-", 1)[0] == crashing.name.rsplit("-", 1)[0]  # same ReplicaSet


async def test_restarting_something_else_leaves_the_gateway_crashlooping():
    demo = start("api-gateway-crashloop")
    await demo.control.rollout_restart(NS, "auth-service")
    await demo.control.mitigate("kill-idle-db-connections")
    demo.advance(300)
    assert (await demo.deployment("auth-service")).revision == 13
    assert all(p.ready == 0 for p in await demo.pods("api-gateway"))
    assert (await demo.service("api-gateway")).state == "DOWN"


# ---- database connection exhaustion ----------------------------------------------------------


async def test_killing_idle_connections_ends_the_exhaustion_for_good():
    demo = start("db-connection-exhaustion")
    said = await demo.control.mitigate("kill-idle-db-connections")
    assert said.startswith("terminating ") and "idle connections on postgres-primary-0" in said

    async def healed() -> bool:
        health = await demo.health()
        return all(s.state == "UP" for s in health.services)

    took = await until(demo, 60, healed, step=2)
    assert took is not None and took <= 30
    connections = await demo.slo("PostgreSQL connections")
    assert connections.state == "OK" and connections.value < 120  # type: ignore[operator]
    texts = [line.text for line in await demo.log_lines_over(5)]
    assert texts
    demo.advance(600)
    assert (await demo.slo("PostgreSQL connections")).state == "OK"  # the runaway job was aborted
    assert (await demo.service("auth-service")).state == "UP"


async def test_restarting_the_leaking_analytics_service_also_frees_the_connections():
    demo = start("db-connection-exhaustion")
    await demo.control.rollout_restart(NS, "analytics-service")

    async def healed() -> bool:
        return (await demo.service("postgres")).state == "UP"

    assert await until(demo, 90, healed) is not None


async def test_restarting_the_gateway_in_the_db_outage_restarts_pods_and_changes_nothing():
    demo = start("db-connection-exhaustion")
    assert "(revision 8)" in await demo.control.rollout_restart(NS, "api-gateway")
    demo.advance(180)
    gateway = await demo.deployment("api-gateway")
    assert (gateway.revision, gateway.updated, gateway.ready) == (8, 3, 3)
    assert (await demo.service("auth-service")).state == "DOWN"
    assert (await demo.service("postgres")).state == "DOWN"


async def test_restarting_auth_in_the_db_outage_makes_it_worse_and_the_rollout_stalls():
    demo = start("db-connection-exhaustion")
    await demo.control.rollout_restart(NS, "auth-service")
    demo.advance(90)
    pods = await demo.pods("auth-service")
    new = [p for p in pods if p.restarts >= 1 and p.ready == 0]
    assert new and new[0].status in CRASHING | {"Running"}
    auth = await demo.deployment("auth-service")
    assert auth.updated == 1 and auth.replicas == 2  # stuck on the first new pod
    texts = [line.text for line in await demo.log_lines_over(60)]
    assert any("cannot reach the database at startup" in t for t in texts)


# ---- Redis down -------------------------------------------------------------------------------


async def test_failing_redis_over_to_the_replica_brings_logins_back():
    demo = start("redis-down")
    said = await demo.control.mitigate("redis-failover")
    assert said.startswith("Redis failover: redis-replica-0 promoted to master (was redis-master-0)")

    async def healed() -> bool:
        return (await demo.service("redis")).state == "UP" and (
            await demo.service("auth-service")
        ).state == "UP"

    took = await until(demo, 60, healed, step=2)
    assert took is not None and took <= 20
    before = (await demo.slo("Login success")).value
    demo.advance(300)
    after = await demo.slo("Login success")
    assert after.value < 0.01 < before  # type: ignore[operator]
    assert (await demo.slo("Celery backlog")).state == "OK"
    master0 = next(p for p in await demo.pods("redis-master"))
    assert (master0.status, master0.ready) == ("Running", 2)  # back as a replica after its back-off


async def test_deleting_the_redis_pod_brings_back_the_same_oomkilled_pod():
    demo = start("redis-down")
    said = await demo.control.delete_pod(NS, "redis-master-0")
    assert "same name" in said
    demo.advance(15)
    again = next(p for p in await demo.pods("redis-master"))
    assert again.name == "redis-master-0" and again.restarts == 0
    states = set()
    for _ in range(36):
        demo.advance(5)
        states.add((await demo.service("redis")).state)
    assert "DOWN" in states
    assert next(p for p in await demo.pods("redis-master")).restarts >= 2
    assert (await demo.slo("Login success")).state == "BREACH"


async def test_restarting_auth_does_not_help_with_redis_down():
    demo = start("redis-down")
    await demo.control.rollout_restart(NS, "auth-service")
    demo.advance(240)
    assert (await demo.deployment("auth-service")).revision == 13
    assert (await demo.slo("Login success")).value > 0.2  # type: ignore[operator]


# ---- bad deploy --------------------------------------------------------------------------------


async def test_rolling_back_the_bad_release_ends_the_5xx_and_the_breach():
    demo = start("bad-deploy")
    demo.advance(120)
    assert (await demo.slo("Checkout success")).state == "BREACH"
    said = await demo.control.rollout_undo(NS, "order-payment-service")
    assert said.startswith("deployment lomash-wood/order-payment-service rolled back to revision 41")

    async def rolled_back() -> bool:
        dep = await demo.deployment("order-payment-service")
        pods = await demo.pods("order-payment-service")
        return dep.image.endswith(":2.31.0") and dep.updated == dep.ready == 3 and len(pods) == 3

    assert await until(demo, 120, rolled_back) is not None
    assert (await demo.deployment("order-payment-service")).revision == 43
    assert (await demo.service("order-payment-service")).state == "UP"
    demo.advance(360)  # the 5-minute window drains: the page stops, the ticket may stay
    checkout = await demo.slo("Checkout success")
    assert checkout.state != "BREACH" and checkout.value < 0.005  # type: ignore[operator]


async def test_disabling_the_feature_flag_also_stops_the_5xx():
    demo = start("bad-deploy")
    assert "checkout.promo-engine-v2 disabled" in await demo.control.mitigate("disable-feature-flag")
    demo.advance(30)
    assert (await demo.service("order-payment-service")).state == "UP"
    assert (await demo.deployment("order-payment-service")).image.endswith(":2.32.0")  # still the new release


async def test_restarting_the_bad_release_keeps_it_and_the_breach():
    demo = start("bad-deploy")
    assert "(revision 43)" in await demo.control.rollout_restart(NS, "order-payment-service")
    demo.advance(480)
    dep = await demo.deployment("order-payment-service")
    assert (dep.revision, dep.image.rsplit(":", 1)[1], dep.updated) == (43, "2.32.0", 3)
    checkout = await demo.slo("Checkout success")
    assert checkout.state == "BREACH" and checkout.value > 0.2  # type: ignore[operator]


# ---- queue backlog ------------------------------------------------------------------------------


async def _backlog(demo) -> float:
    value = (await demo.slo("Celery backlog")).value
    assert value is not None
    return value


async def test_scaling_the_workers_drains_the_backlog_in_proportion_to_them():
    drops = {}
    for replicas in (8, 16):
        demo = start("queue-backlog", started_ago_s=600)
        said = await demo.control.scale(NS, "celery-worker", replicas)
        assert said == f"deployment lomash-wood/celery-worker scaled from 4 to {replicas} replicas"
        demo.advance(30)  # the new workers start
        assert (await demo.deployment("celery-worker")).ready == replicas
        before = await _backlog(demo)
        demo.advance(30)
        drops[replicas] = before - await _backlog(demo)
    assert drops[16] > 2 * drops[8] > 0


async def test_scaled_workers_empty_the_queue_within_minutes():
    demo = start("queue-backlog")
    demo.advance(120)
    await demo.control.scale(NS, "celery-worker", 12)

    async def drained() -> bool:
        return (await demo.slo("Celery backlog")).state == "OK"

    took = await until(demo, 300, drained)
    assert took is not None and took <= 180
    assert (await demo.service("notification-service")).state == "UP"


async def test_switching_the_sms_provider_drains_the_queue():
    demo = start("queue-backlog")
    demo.advance(240)
    assert "twilio -> contingency" in await demo.control.mitigate("switch-sms-provider")
    assert "already" in await demo.control.mitigate("switch-sms-provider")

    async def drained() -> bool:
        return await _backlog(demo) < 50

    assert await until(demo, 120, drained) is not None


async def test_flushing_the_dead_letter_queue_or_restarting_workers_does_not_drain_it():
    for action in ("flush", "restart"):
        demo = start("queue-backlog")
        if action == "flush":
            assert "from sms.dlq" in await demo.control.mitigate("flush-dead-letter-queue")
        else:
            await demo.control.rollout_restart(NS, "celery-worker")
        before = await _backlog(demo)
        demo.advance(180)
        assert await _backlog(demo) > before + 100, action


# ---- the control itself -------------------------------------------------------------------------


def test_the_demo_mitigations_are_listed_with_title_and_scope():
    names = [name for name, _, _ in DEMO_MITIGATIONS]
    assert names == [
        "kill-idle-db-connections",
        "redis-failover",
        "disable-feature-flag",
        "switch-sms-provider",
        "flush-dead-letter-queue",
    ]
    for _, title, scope in DEMO_MITIGATIONS:
        assert title[0].isupper() and scope


async def test_every_listed_mitigation_runs_and_says_what_it_did():
    demo = start("api-gateway-crashloop")
    for name, _, _ in DEMO_MITIGATIONS:
        said = await demo.control.mitigate(name)
        assert said and "\n" not in said


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.rollout_restart(NS, "payments-api"), 'deployment "lomash-wood/payments-api" not found'),
        (lambda c: c.rollout_undo("prod", "api-gateway"), 'namespace "prod" not found'),
        (lambda c: c.rollout_restart(NS, "redis-master"), "is a StatefulSet, not a Deployment"),
        (lambda c: c.scale(NS, "api-gateway", -1), "replicas must be between 0 and 50"),
        (lambda c: c.delete_pod(NS, "api-gateway-0"), 'pod "lomash-wood/api-gateway-0" not found'),
        (lambda c: c.delete_pod("monitoring", "redis-master-0"), 'pod "monitoring/redis-master-0" not found'),
        (lambda c: c.mitigate("reboot-the-internet"), "unknown action 'reboot-the-internet'"),
        (lambda c: c.mitigate("disable-feature-flag", "checkout.v3"), "no feature flag named 'checkout.v3'"),
    ],
)
async def test_a_target_that_does_not_exist_is_a_source_error(call, message):
    demo = start("bad-deploy")
    before = await demo.cluster()
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await call(demo.control)
    assert await demo.cluster() == before


async def test_failover_needs_a_healthy_replica():
    demo = start("redis-down")
    for name in ("redis-replica-0", "redis-replica-1"):
        await demo.control.delete_pod(NS, name)
    demo.advance(2)
    with pytest.raises(SourceError, match="no healthy Redis replica"):
        await demo.control.mitigate("redis-failover")


async def test_scaling_to_zero_takes_the_service_down_and_back_up():
    demo = start("bad-deploy")
    await demo.control.scale(NS, "api-gateway", 0)
    demo.advance(20)
    assert await demo.pods("api-gateway") == []
    assert (await demo.service("api-gateway")).state == "DOWN"
    await demo.control.scale(NS, "api-gateway", 3)
    assert await until(demo, 60, lambda: _up(demo, "api-gateway")) is not None


async def _up(demo, name: str) -> bool:
    return (await demo.service(name)).state == "UP"


async def test_scaling_past_the_node_group_leaves_pods_pending():
    demo = start("queue-backlog")
    await demo.control.scale(NS, "celery-worker", 30)
    demo.advance(30)
    statuses = [p.status for p in await demo.pods("celery-worker")]
    assert statuses.count("Pending") == 10 and statuses.count("Running") == 20
