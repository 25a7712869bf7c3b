"""Each scenario: its first signal is on screen at the start (120 s in), and left alone it gets
worse over the following minutes, as the panels show it."""

from __future__ import annotations

import pytest

from tests.demo.helpers import CRASHING, start


@pytest.mark.parametrize("seed", [1, 7])
async def test_api_gateway_crashloop_spreads_until_the_gateway_is_down(seed):
    demo = start("api-gateway-crashloop", seed)
    pods = await demo.pods("api-gateway")
    first = max(pods, key=lambda p: p.restarts)
    assert first.restarts >= 2 and first.ready == 0
    assert sum(p.ready for p in pods) == 2
    assert (await demo.service("api-gateway")).state == "UP"
    startup = [line.text for line in await demo.log_lines_over(30)]
    assert any("Unexpected end of JSON input" in t for t in startup)
    demo.advance(330)
    pods = await demo.pods("api-gateway")
    assert all(p.ready == 0 for p in pods) and all(p.restarts >= 2 for p in pods)
    assert sum(p.status in CRASHING for p in pods) >= 2
    assert max(p.restarts for p in pods) > first.restarts
    gateway = await demo.service("api-gateway")
    assert (gateway.state, gateway.detail) == ("DOWN", "connection refused")
    assert "DOWN" in gateway.history and "UP" in (await demo.service("auth-service")).history
    demo.advance(120)
    assert (await demo.slo("API availability")).state == "BREACH"
    assert (await demo.slo("Checkout success")).value == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize("seed", [1, 7])
async def test_db_connection_exhaustion_fills_postgres_then_dries_the_pools(seed):
    demo = start("db-connection-exhaustion", seed)
    connections = await demo.slo("PostgreSQL connections")
    assert connections.state == "BREACH" and connections.value == 197
    postgres = await demo.service("postgres")
    assert postgres.state == "DOWN" and "remaining connection slots are reserved" in postgres.detail
    auth = await demo.service("auth-service")
    assert auth.state == "DEGRADED" and "postgres" in auth.detail
    api_before = (await demo.slo("API availability")).value
    texts = [line.text for line in await demo.log_lines_over(20)]
    assert any("FATAL:  remaining connection slots are reserved" in t for t in texts)
    assert any("rebuild_daily_sales" in t for t in texts)  # the culprit is in the tail too
    demo.advance(240)
    assert (await demo.service("auth-service")).state == "DOWN"
    assert (await demo.service("order-payment-service")).state == "DOWN"
    assert (await demo.service("product-service")).state == "UP"  # reads go to the replica
    api = await demo.slo("API availability")
    assert api.value is not None and api_before is not None and api.value > 3 * api_before
    assert (await demo.slo("Login success")).state == "BREACH"


@pytest.mark.parametrize("seed", [1, 7])
async def test_redis_down_oomkills_in_a_loop_with_growing_back_off(seed):
    demo = start("redis-down", seed)
    master = next(p for p in await demo.pods("redis-master") if p.name == "redis-master-0")
    assert master.restarts >= 1 and master.ready < master.containers
    assert (await demo.service("redis")).state != "UP"
    assert (await demo.slo("Login success")).value > 0.05  # type: ignore[operator]
    texts = [line.text for line in await demo.log_lines_over(30)]
    assert any("ECONNREFUSED 10.0.4.21:6379" in t or "LOADING" in t for t in texts)
    seen: set[str] = set()
    for _ in range(72):  # 6 minutes, every 5 s
        demo.advance(5)
        seen.add((await demo.service("redis")).state)
        seen.add(next(p for p in await demo.pods("redis-master")).status)
    assert {"DOWN", "DEGRADED", "CrashLoopBackOff", "OOMKilled"} <= seen
    master_later = next(p for p in await demo.pods("redis-master"))
    assert master_later.restarts >= master.restarts + 2
    assert (await demo.slo("Login success")).state == "BREACH"


@pytest.mark.parametrize("seed", [1, 7])
async def test_bad_deploy_5xx_climb_and_the_checkout_slo_goes_warn_then_breach(seed):
    demo = start("bad-deploy", seed)
    orders = await demo.deployment("order-payment-service")
    assert (orders.revision, orders.image.rsplit(":", 1)[1]) == (42, "2.32.0")
    assert orders.updated == orders.replicas == orders.ready
    checkout = await demo.slo("Checkout success")
    assert checkout.state == "WARN" and checkout.value > 0.02  # type: ignore[operator]
    assert (await demo.service("order-payment-service")).state == "DEGRADED"
    states: list[str] = [checkout.state]
    for _ in range(12):
        demo.advance(20)
        states.append((await demo.slo("Checkout success")).state)
    assert states[-1] == "BREACH" and states.index("BREACH") > 0
    later = await demo.slo("Checkout success")
    assert later.value > 2 * checkout.value  # type: ignore[operator]
    assert later.burn_rate is not None and later.burn_rate > 14.4
    assert (await demo.slo("Login success")).state == "OK"


@pytest.mark.parametrize("seed", [1, 7])
async def test_queue_backlog_grows_without_bound(seed):
    demo = start("queue-backlog", seed)
    backlog = await demo.slo("Celery backlog")
    assert backlog.state == "WARN" and 75 <= backlog.value < 100  # type: ignore[operator]
    texts = [line.text for line in await demo.log_lines_over(20)]
    assert any("api.twilio.com" in t or "TwilioRestException" in t for t in texts)
    demo.advance(340)
    later = await demo.slo("Celery backlog")
    assert later.state == "BREACH" and later.value > 400  # type: ignore[operator]
    assert (await demo.service("notification-service")).state == "DEGRADED"
    assert later.history[-1] > later.history[0]
