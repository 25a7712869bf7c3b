"""The outages `warroom demo` can play, taken from the runbooks' common scenarios.

A scenario only says what goes wrong and when (seconds after the scenario's start); the world
(`tui.demo.world`) plays the consequences, so a mitigation acts on causes, not on a script.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    summary: str  # the one line of `--list-scenarios`
    story: str  # what is going on, for whoever wants to read the answer
    fixes: str  # what helps (the runbook's own steps), for the same reader
    gateway_crash_at: tuple[float, ...] = ()  # api-gateway pod i starts crash-looping at [i]
    db_leak_at: float | None = None  # a runaway report job starts leaking PostgreSQL connections
    db_leak_per_s: float = 1.2
    redis_oom_at: float | None = None  # redis-master-0 is OOMKilled from then on
    bad_deploy_at: float | None = None  # order-payment-service 2.32.0 starts rolling out
    twilio_slow_at: float | None = None  # Twilio's API slows down; SMS sends time out


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "db-connection-exhaustion",
        "a runaway report job leaks PostgreSQL connections; auth and orders start failing",
        "analytics-service's nightly rebuild_daily_sales job opens a connection per shard and never "
        "returns them. PostgreSQL reaches max_connections; every service that needs a new connection "
        "gets 'remaining connection slots are reserved', and their pools dry up minute by minute.",
        "Kill idle DB connections (the runbook's pg_terminate_backend), or restart / scale down "
        "analytics-service. Restarting the failing services does not help: new pods cannot connect.",
        db_leak_at=0.0,
    ),
    Scenario(
        "api-gateway-crashloop",
        "api-gateway pods crash-loop one after another on a corrupt route cache",
        "Each api-gateway pod keeps its route cache on an emptyDir volume; after a node hiccup the "
        "cache file is truncated and the gateway dies at start with 'Unexpected end of JSON input'. "
        "A container restart keeps the volume, so the pods crash-loop, one after another.",
        "kubectl rollout restart deployment/api-gateway (new pods get a fresh volume), or delete the "
        "crashing pods. Nothing on the services behind the gateway helps.",
        gateway_crash_at=(45.0, 185.0, 330.0),
    ),
    Scenario(
        "redis-down",
        "redis-master-0 is OOMKilled in a loop; logins, rate limits and Celery stall",
        "redis-master-0 outgrew its memory limit: it is OOMKilled, restarts, spends 20 s loading its "
        "dataset (LOADING), and is killed again. Sessions, idempotency keys and the Celery broker are "
        "gone each time; the back-off between restarts grows.",
        "Fail over to the replica (Sentinel FAILOVER: redis-failover). Deleting the pod or restarting "
        "the services that use Redis does not help.",
        redis_oom_at=50.0,
    ),
    Scenario(
        "bad-deploy",
        "order-payment-service 2.32.0 rolls out and checkout starts failing with 5xx",
        "Release 2.32.0 of order-payment-service enables the new promo engine, which fails on carts "
        "without a currency. As the rollout replaces pods the 5xx ratio of checkout climbs; the "
        "Checkout SLO goes to WARN, then BREACH.",
        "kubectl rollout undo deployment/order-payment-service, or disable the feature flag "
        "checkout.promo-engine-v2. A restart keeps the bad release.",
        bad_deploy_at=10.0,
    ),
    Scenario(
        "queue-backlog",
        "Twilio slows down; the Celery SMS queue backs up",
        "Twilio's API answers in seconds instead of milliseconds and then times out. The Celery "
        "workers spend their time waiting, the sms queue grows without bound, and appointment "
        "reminders go out late.",
        "Scale celery-worker up (the queue drains in proportion to the workers), or switch SMS to "
        "the contingency provider. Flushing the dead-letter queue or restarting workers does not help.",
        twilio_slow_at=55.0,
    ),
)

DEFAULT_SCENARIO = "db-connection-exhaustion"

_BY_NAME = {s.name: s for s in SCENARIOS}


def list_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) of every scenario, in a stable order."""
    return [(s.name, s.summary) for s in SCENARIOS]


def get_scenario(name: str | None) -> Scenario:
    """The scenario called `name` (the default one for None); ValueError names the choices."""
    if name is None:
        name = DEFAULT_SCENARIO
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r} (one of: {', '.join(_BY_NAME)})") from None
