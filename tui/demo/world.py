"""The simulated platform, one second at a time.

Everything follows from causes: pods (`tui.demo.workloads`), PostgreSQL's connection count, Redis'
availability, the Celery queue; from those, each service's share of failing requests, the API's
error ratios and latency, the health checks and the log lines. The state at second `t` depends
only on the scenario, the seed and the actions taken before `t`: an action asked for during
second `t` takes effect at `t + 1`, so a poll and an action in the same second give the same
result in either order.

Only what the panels need is kept per second (error ratios as running sums, gauges, health
states); pods, queues and connections exist only as they are now.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.core.model import Health
from tui.demo.logs import LogBook, LogWriter
from tui.demo.scenarios import Scenario
from tui.demo.topology import (
    CHECKS,
    NAMESPACES,
    NS_APP,
    PG_MAX_CONNECTIONS,
    PG_RESERVED,
    PG_SYSTEM_CONNECTIONS,
    POSTGRES_ADDR,
    REDIS_ADDR,
    TRAFFIC_MIX,
    WORKLOADS,
    CheckSpec,
)
from tui.demo.workloads import Controller, SimPod, Template, rng
from tui.sources.base import SourceError

T_START = -60  # the simulation starts a minute early, so health history and the log backlog exist
MAX_REPLICAS = 50  # the demo's cluster is small; more is refused rather than simulated
FLAG_TTL_S = 15  # services cache feature flags this long
SMS_SWITCH_S = 15  # workers pick the new SMS provider up within this
FAILOVER_S = 6  # Sentinel: down-after plus the promotion, before clients reconnect
PROMO_FLAG = "checkout.promo-engine-v2"
FLAGS = (PROMO_FLAG, "search.semantic-ranking", "appointments.video-consult")

GATEWAY = f"{NS_APP}/api-gateway"
ORDERS = f"{NS_APP}/order-payment-service"
WORKERS = f"{NS_APP}/celery-worker"
ANALYTICS = f"{NS_APP}/analytics-service"
USES_DB = {"auth-service", "order-payment-service", "appointment-service", "analytics-service"}

# The team's own actions: (name, title, scope: what exactly it acts on, for the confirmation).
MITIGATIONS: tuple[tuple[str, str, str], ...] = (
    (
        "kill-idle-db-connections",
        "Kill idle DB connections",
        "postgres-primary-0 (lomash-wood): pg_terminate_backend(pid) for every idle connection",
    ),
    ("redis-failover", "Fail Redis over to a replica", "redis-master-0 (lomash-wood): Sentinel FAILOVER"),
    ("disable-feature-flag", "Disable a feature flag", f"feature flag {PROMO_FLAG} (all services)"),
    (
        "switch-sms-provider",
        "Switch SMS to the contingency provider",
        "notification-service and celery-worker (lomash-wood): SMS_PROVIDER=contingency",
    ),
    ("flush-dead-letter-queue", "Flush the Celery dead-letter queue", "celery queue sms.dlq (lomash-wood)"),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One health check's result in one second."""

    name: str
    state: Health
    code: int | None
    latency_ms: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class Load:
    """What the users get in one second: each service's failing share, and the API's ratios."""

    fails: dict[str, float]
    bad: float  # share of checkout requests failing on the bad release
    api: float
    checkout: float
    login: float
    p95: float


class Postgres:
    """postgres-primary-0's connections: the services' pools, plus what the runaway job leaks."""

    LIMIT = PG_MAX_CONNECTIONS - PG_RESERVED  # what non-superusers may use

    def __init__(self) -> None:
        self.up = True
        self.leaked = 0.0
        self.job = "idle"  # idle | running | aborted
        self.fail = 0.0  # share of queries failing for want of a connection
        self.saturated_since: int | None = None
        self.dip_until = -math.inf
        self.base = 0.0
        self.conns = 0
        self.exhausted = False

    def step(self, t: int, world: World) -> None:
        primary = world.pod(NS_APP, "postgres-primary-0")
        was_running = self.job == "running"
        self.up = primary is not None and primary.serving
        if not self.up:
            # A restarted PostgreSQL drops every connection, the leaked ones too.
            self.leaked, self.conns, self.exhausted, self.saturated_since = 0.0, 0, False, None
            self.fail = 1.0
            if was_running:
                self.job = "aborted"
                world.note("job-aborted", "server closed the connection unexpectedly")
            return
        leak_at = world.scenario.db_leak_at
        if self.job == "idle" and leak_at is not None and t >= leak_at and world.job_pod_alive():
            self.job = "running"
        if self.job == "running" and not world.job_pod_alive():
            self.job = "aborted"  # the process is gone, and its connections with it
            self.leaked = 0.0
            world.note("job-aborted", "pod terminated")
        pools = sum(
            pod.serving * ctrl.spec.db_pool for ctrl in world.controllers.values() for pod in ctrl.pods
        )
        self.base = PG_SYSTEM_CONNECTIONS + pools * (0.65 if t < self.dip_until else 1.0)
        if self.job == "running":
            self.leaked = min(self.leaked + world.scenario.db_leak_per_s, max(0.0, self.LIMIT - self.base))
        demand = self.base + self.leaked
        self.conns = min(self.LIMIT, round(demand))
        self.exhausted = demand >= self.LIMIT - 0.5
        if self.exhausted:
            if self.saturated_since is None:
                self.saturated_since = t
            # Pools lose connections as they recycle them and cannot get them back: worse by the minute.
            self.fail = min(0.92, 0.25 + (t - self.saturated_since) * 0.7 / 300)
        else:
            self.saturated_since = None
            self.fail = max(0.0, self.fail - 0.2)

    def kill_idle(self, t: int, world: World) -> int:
        if not self.up:
            return 0
        killed = round(self.leaked) + round(0.35 * (self.base - PG_SYSTEM_CONNECTIONS))
        self.leaked = 0.0
        self.dip_until = t + 6  # the pools reconnect within seconds
        if self.job == "running":
            self.job = "aborted"
            world.note("job-aborted", "terminating connection due to administrator command")
        world.note("killed", killed)
        return killed


class Redis:
    """The Redis that `redis-master.lomash-wood.svc` points at (Sentinel moves it on failover)."""

    def __init__(self) -> None:
        self.master = "redis-master-0"
        self.state = "up"  # up | loading | down
        self.fail = 0.0
        self.switch_until = -math.inf
        self.oom_fixed_at = math.inf  # after a failover the old master comes back as a replica

    def oom(self, t: int, world: World) -> bool:
        at = world.scenario.redis_oom_at
        return at is not None and at <= t < self.oom_fixed_at

    def step(self, t: int, world: World) -> None:
        pod = world.pod(NS_APP, self.master)
        if pod is None or pod.terminating_at is not None or pod.started_at is None or t < self.switch_until:
            self.state = "down"
        elif not pod.ready:
            self.state = "loading"
        else:
            self.state = "up"
        self.fail = 1.0 if self.state != "up" else max(0.0, self.fail - 0.25)

    def candidate(self, world: World) -> str | None:
        for name in ("redis-replica-0", "redis-replica-1", "redis-master-0"):
            pod = world.pod(NS_APP, name)
            if name != self.master and pod is not None and pod.serving:
                return name
        return None

    def failover(self, t: int, world: World) -> None:
        target = self.candidate(world)
        if target is None:
            return
        old, self.master = self.master, target
        self.switch_until = t + FAILOVER_S
        if old == "redis-master-0":
            self.oom_fixed_at = min(self.oom_fixed_at, t)
        world.note("failover", (old, target))


class CeleryQueue:
    """The Celery queues (mostly sms): arrivals against what the ready workers can send."""

    def __init__(self) -> None:
        self.backlog = 6.0
        self.reported: float | None = 8.0
        self.dlq = 14.0
        self.per_worker = 9.0  # tasks per second one worker (concurrency 4) gets through
        self.provider = "twilio"
        self.switched_at: int | None = None

    def step(self, t: int, world: World) -> None:
        r = world.noise
        if world.redis.state != "up":
            self.reported = None  # the exporter reads the queue lengths from Redis itself
            return
        arrivals = 5.2 + 0.6 * math.sin(t / 97) + r.uniform(-0.4, 0.4)
        per = 9.0
        at = world.scenario.twilio_slow_at
        if at is not None and t >= at and not self._switched(t):
            ramp = min(1.0, (t - at) / 20)
            slow = max(0.75, 1.0 - (t - at) / 3600)  # Twilio gets worse; sends time out at 10 s
            per = 9.0 - (9.0 - slow) * ramp
            self.dlq += 0.3
        elif self._switched(t):
            per = 8.5
        self.per_worker = per
        workers = world.controllers[WORKERS].serving()
        self.backlog = max(0.0, self.backlog + arrivals - workers * per)
        self.reported = round(self.backlog + r.uniform(2, 9))

    def _switched(self, t: int) -> bool:
        return self.switched_at is not None and t >= self.switched_at + SMS_SWITCH_S


@dataclass
class _Pending:
    at: float
    apply: Callable[[int], None]


class World:
    """The whole platform at second `k`; `advance_to` steps it on, `request_*` plan actions."""

    def __init__(self, scenario: Scenario, seed: int, base: datetime) -> None:
        self.scenario = scenario
        self.seed = seed
        self.base = base  # the wall time of second 0, for timestamps inside log lines
        self.controllers: dict[str, Controller] = {}
        for spec in WORKLOADS:
            ctrl = Controller(spec, seed)
            ctrl.seed_pods(T_START)
            self.controllers[spec.key] = ctrl
        self.planned_replicas = {key: c.desired for key, c in self.controllers.items()}
        self._seed_faults()
        self.job_pod = self.controllers[ANALYTICS].pods[0].name
        self.pg = Postgres()
        self.redis = Redis()
        self.queue = CeleryQueue()
        self.flags: dict[str, list[tuple[float, bool]]] = {name: [] for name in FLAGS}
        self.pending: list[_Pending] = []
        self.notes: list[tuple[str, Any]] = []
        self.noise = rng(seed, "noise", T_START)
        self.k = T_START - 1
        self.rows: list[Row] = []
        self.load: Load | None = None
        self.sums: dict[str, list[float]] = {"api": [0.0], "checkout": [0.0], "login": [0.0]}
        self.gauges: dict[str, list[float | None]] = {"p95": [], "backlog": [], "pg": []}
        self.states: dict[str, list[Health]] = {c.name: [] for c in CHECKS}
        self.changed: dict[str, int | None] = {c.name: None for c in CHECKS}
        self.logbook = LogBook()
        self.writer = LogWriter(self)
        self.advance_to(T_START)

    def _seed_faults(self) -> None:
        onsets = self.scenario.gateway_crash_at
        if onsets:
            r = rng(self.seed, "onsets")
            pods = sorted(self.controllers[GATEWAY].pods, key=lambda p: p.name)
            for pod, at in zip(pods, onsets, strict=False):
                pod.crash_from = at + r.uniform(-6.0, 6.0)

    # ---- lookups ------------------------------------------------------------------------------
    def pod(self, namespace: str, name: str) -> SimPod | None:
        for ctrl in self.controllers.values():
            if ctrl.spec.namespace == namespace:
                pod = ctrl.find(name)
                if pod is not None:
                    return pod
        return None

    def job_pod_alive(self) -> bool:
        pod = self.controllers[ANALYTICS].find(self.job_pod)
        return pod is not None and pod.terminating_at is None and pod.started_at is not None

    def flag_on(self, name: str, t: float) -> bool:
        value = True
        for at, enabled in self.flags[name]:
            if t >= at + FLAG_TTL_S:
                value = enabled
        return value

    def note(self, kind: str, data: Any = None) -> None:
        """Something the log writer should tell about in this second."""
        self.notes.append((kind, data))

    def index(self, t: int) -> int:
        return t - T_START

    # ---- time ---------------------------------------------------------------------------------
    def advance_to(self, k: int) -> None:
        while self.k < k:
            self.k += 1
            self._step(self.k)

    def _step(self, t: int) -> None:
        self.noise = rng(self.seed, "noise", t)
        self.notes = []
        due = [p for p in self.pending if p.at < t]
        self.pending = [p for p in self.pending if p.at >= t]
        for action in due:
            action.apply(t)
        if self.scenario.bad_deploy_at is not None and t == math.floor(self.scenario.bad_deploy_at):
            self._rollout(self.controllers[ORDERS], "deploy")
        self.pg.step(t, self)
        self.redis.step(t, self)
        events: list[tuple[str, SimPod]] = []
        db_down = not self.pg.up or self.pg.exhausted
        for ctrl in self.controllers.values():
            events += ctrl.step(t, self._crash, ctrl.spec.needs_db_to_boot and db_down)
        self.queue.step(t, self)
        self.load = self._load(t)
        self.rows = [self._check(check, t, self.load) for check in CHECKS]
        self._record(t)
        self.logbook.add(self.writer.lines(t, events))

    def _crash(self, ctrl: Controller, pod: SimPod, t: int) -> str | None:
        if t >= pod.crash_from:
            return "Error"
        if pod.name == "redis-master-0" and ctrl.spec.namespace == NS_APP and self.redis.oom(t, self):
            return "OOMKilled"
        return None

    def _record(self, t: int) -> None:
        assert self.load is not None
        for name in ("api", "checkout", "login"):
            sums = self.sums[name]
            sums.append(sums[-1] + getattr(self.load, name))
        self.gauges["p95"].append(self.load.p95)
        self.gauges["backlog"].append(self.queue.reported)
        self.gauges["pg"].append(float(self.pg.conns) if self.pg.up else None)
        for row in self.rows:
            states = self.states[row.name]
            if states and states[-1] != row.state:
                self.changed[row.name] = t
            states.append(row.state)

    # ---- what the users get -------------------------------------------------------------------
    def _bad_share(self, t: int) -> float:
        at = self.scenario.bad_deploy_at
        ctrl = self.controllers[ORDERS]
        serving = [p for p in ctrl.pods if p.serving]
        if at is None or not serving or not self.flag_on(PROMO_FLAG, t):
            return 0.0
        bad = {tpl.hash for tpl in ctrl.history if tpl.bad}
        share = sum(p.template in bad for p in serving) / len(serving)
        return share * min(0.7, 0.22 + (t - at) / 1500)

    def _load(self, t: int) -> Load:
        r = self.noise
        db, redis = self.pg.fail, self.redis.fail
        bad = self._bad_share(t)
        raw = {
            "auth-service": max(db, redis),
            "product-service": 0.03 * redis,
            "order-payment-service": 1 - (1 - max(db, 0.5 * redis)) * (1 - bad),
            "appointment-service": db,
            "notification-service": redis,
            "analytics-service": 0.5 * db,
        }
        fails = {
            name: 1.0 if self.controllers[f"{NS_APP}/{name}"].serving() == 0 else value
            for name, value in raw.items()
        }
        gateway = self.controllers[GATEWAY]
        serving = gateway.serving()
        noise = r.uniform(0.00005, 0.00035)
        if serving == 0:
            return Load(fails, bad, 1.0, 1.0, 1.0, 4.0)  # the ingress answers 503 at once
        crashing = sum(p.crash_looping() for p in gateway.pods) / max(1, gateway.desired)
        api = sum(TRAFFIC_MIX[name] * f for name, f in fails.items()) + 0.04 * crashing
        checkout = 1 - (1 - fails["order-payment-service"]) * (1 - 0.5 * fails["auth-service"])
        share = serving / max(1, gateway.desired)
        p95 = 190 + r.uniform(-25, 25) + 4200 * db + 650 * redis + 150 * bad + (1300 if share < 0.5 else 0)
        return Load(
            fails,
            bad,
            min(1.0, api + noise),
            min(1.0, checkout + noise * 1.2),
            min(1.0, fails["auth-service"] + noise * 0.8),
            p95,
        )

    # ---- health checks ------------------------------------------------------------------------
    def _causes(self, name: str, load: Load) -> list[tuple[float, str]]:
        causes: list[tuple[float, str]] = []
        if name in USES_DB:
            if not self.pg.up:
                causes.append((1.0, f"postgres: connect ECONNREFUSED {POSTGRES_ADDR}"))
            elif self.pg.fail > 0:
                causes.append(
                    (
                        self.pg.fail,
                        "postgres: remaining connection slots are reserved for non-replication "
                        "superuser connections",
                    )
                )
        if name in ("auth-service", "order-payment-service", "notification-service") and self.redis.fail > 0:
            text = (
                "redis: LOADING Redis is loading the dataset in memory"
                if self.redis.state == "loading"
                else f"redis: connect ECONNREFUSED {REDIS_ADDR}"
            )
            causes.append((self.redis.fail, text))
        if name == "order-payment-service" and load.bad > 0:
            causes.append((load.bad, f"checkout: {load.bad:.0%} of requests failing (promo-engine-v2)"))
        return sorted(causes, key=lambda c: -c[0])

    def _check(self, check: CheckSpec, t: int, load: Load) -> Row:
        r = self.noise
        latency = check.base_latency_ms * r.uniform(0.8, 1.6)
        if check.name == "postgres":
            return self._postgres_row(latency)
        if check.name == "redis":
            return self._redis_row(latency)
        ctrl = self.controllers[f"{check.namespace}/{check.deployment}"]
        if ctrl.serving() == 0:
            return Row(check.name, "DOWN", None, None, "connection refused")
        if check.name == "api-gateway":
            failing = [name for name, f in load.fails.items() if f >= 0.5 and name in TRAFFIC_MIX]
            if ctrl.serving() / max(1, ctrl.desired) < 0.5:
                latency += 1100 + r.uniform(0, 400)  # one pod takes all the traffic
            if failing:
                return Row(
                    check.name,
                    "DEGRADED",
                    200,
                    latency,
                    f"status: degraded (upstreams failing: {', '.join(failing)})",
                )
            if latency >= 1000:
                return Row(check.name, "DEGRADED", 200, latency, f"status: ok, slow ({latency / 1000:.1f} s)")
            return Row(check.name, "UP", 200, latency, "status: ok")
        fail = load.fails[check.name]
        causes = self._causes(check.name, load)
        if check.name in USES_DB:
            latency += 1800 * self.pg.fail  # the check waits for a pooled connection
        cause = causes[0][1] if causes else ""
        if fail >= 0.5:
            return Row(check.name, "DOWN", 503, latency, f"HTTP 503 · status: down ({cause})")
        if fail >= 0.05:
            return Row(check.name, "DEGRADED", 200, latency, f"status: degraded ({cause})")
        backlog = self.queue.reported
        if check.name == "notification-service" and backlog is not None and backlog > 200:
            return Row(
                check.name, "DEGRADED", 200, latency, f"status: degraded (sms queue {backlog:,.0f} waiting)"
            )
        return Row(check.name, "UP", 200, latency, "status: ok")

    def _postgres_row(self, latency: float) -> Row:
        if not self.pg.up:
            return Row(
                "postgres",
                "DOWN",
                2,
                None,
                f"psql: error: connection to server at "
                f'"postgres-primary.{NS_APP}.svc" ({POSTGRES_ADDR.split(":")[0]}), port 5432 failed: '
                "Connection refused",
            )
        if self.pg.exhausted:
            return Row(
                "postgres",
                "DOWN",
                2,
                latency,
                "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            )
        used = f"{self.pg.conns}/{PG_MAX_CONNECTIONS} connections"
        if self.pg.conns >= 170:
            return Row("postgres", "DEGRADED", 0, latency, f"ok, but {used}")
        return Row("postgres", "UP", 0, latency, f"ok · {used}")

    def _redis_row(self, latency: float) -> Row:
        if self.redis.state == "down":
            return Row(
                "redis",
                "DOWN",
                1,
                None,
                f"Could not connect to Redis at redis-master.{NS_APP}.svc:6379: Connection refused",
            )
        if self.redis.state == "loading":
            return Row("redis", "DEGRADED", 1, latency, "LOADING Redis is loading the dataset in memory")
        return Row("redis", "UP", 0, latency, "PONG")

    # ---- actions (asked for at `at`, applied from the next second) ----------------------------
    def _schedule(self, at: float, apply: Callable[[int], None]) -> None:
        self.pending.append(_Pending(at, apply))

    def deployment(self, namespace: str, name: str) -> Controller:
        if namespace not in NAMESPACES:
            raise SourceError(f'namespace "{namespace}" not found')
        ctrl = self.controllers.get(f"{namespace}/{name}")
        if ctrl is None:
            raise SourceError(f'deployment "{namespace}/{name}" not found')
        if ctrl.spec.kind != "Deployment":
            raise SourceError(f"{namespace}/{name} is a {ctrl.spec.kind}, not a Deployment")
        return ctrl

    def _rollout(self, ctrl: Controller, why: str) -> Template:
        """A new template (restart, or the scenario's release), planned now; applied by the caller."""
        latest = max(ctrl.history, key=lambda tpl: tpl.revision)
        revision = latest.revision + 1
        if why == "deploy":
            tpl = Template(revision, "2.32.0", ctrl.new_hash(("deploy", revision)), bad=True)
            ctrl.history.append(tpl)
            ctrl.rollout(tpl)
            self.note("rollout", (ctrl, tpl, why))
            return tpl
        tpl = Template(revision, latest.tag, ctrl.new_hash((why, revision)), latest.bad)
        ctrl.history.append(tpl)
        return tpl

    def request_restart(self, at: float, namespace: str, name: str) -> str:
        ctrl = self.deployment(namespace, name)
        tpl = self._rollout(ctrl, "restart")
        self._schedule(at, lambda t: self._apply_rollout(ctrl, tpl, "restart"))
        return f"deployment {namespace}/{name} restarted (revision {tpl.revision})"

    def request_undo(self, at: float, namespace: str, name: str) -> str:
        ctrl = self.deployment(namespace, name)
        latest = max(ctrl.history, key=lambda tpl: tpl.revision)
        older = [tpl for tpl in ctrl.history if tpl.hash != latest.hash]
        if not older:
            raise SourceError(f'no rollout history found for deployment "{namespace}/{name}"')
        previous = max(older, key=lambda tpl: tpl.revision)
        # As in Kubernetes: the old ReplicaSet comes back under a new revision number.
        tpl = Template(latest.revision + 1, previous.tag, previous.hash, previous.bad)
        ctrl.history.remove(previous)
        ctrl.history.append(tpl)
        self._schedule(at, lambda t: self._apply_rollout(ctrl, tpl, "undo"))
        return (
            f"deployment {namespace}/{name} rolled back to revision {previous.revision} "
            f"({ctrl.spec.image.rsplit('/', 1)[-1]}:{previous.tag}), now revision {tpl.revision}"
        )

    def _apply_rollout(self, ctrl: Controller, tpl: Template, why: str) -> None:
        ctrl.rollout(tpl)
        self.note("rollout", (ctrl, tpl, why))

    def request_scale(self, at: float, namespace: str, name: str, replicas: int) -> str:
        ctrl = self.deployment(namespace, name)
        if not 0 <= replicas <= MAX_REPLICAS:
            raise SourceError(f"replicas must be between 0 and {MAX_REPLICAS}, got {replicas}")
        before = self.planned_replicas[ctrl.key]
        self.planned_replicas[ctrl.key] = replicas

        def apply(t: int) -> None:
            ctrl.desired = replicas

        self._schedule(at, apply)
        return f"deployment {namespace}/{name} scaled from {before} to {replicas} replicas"

    def request_delete(self, at: float, namespace: str, name: str) -> str:
        if namespace not in NAMESPACES:
            raise SourceError(f'namespace "{namespace}" not found')
        owner = next(
            (c for c in self.controllers.values() if c.spec.namespace == namespace and c.find(name)), None
        )
        if owner is None:
            raise SourceError(f'pod "{namespace}/{name}" not found')

        def apply(t: int) -> None:
            pod = owner.find(name)
            if pod is not None:
                owner.terminate(pod, t)

        self._schedule(at, apply)
        then = {
            "Deployment": "its ReplicaSet makes a new one",
            "StatefulSet": "the StatefulSet makes it again, same name",
            "DaemonSet": "the DaemonSet makes a new one",
        }[owner.spec.kind]
        return f"pod {namespace}/{name} deleted ({then})"

    def request_mitigation(self, at: float, name: str, target: str) -> str:
        handlers: dict[str, Callable[[float, str], str]] = {
            "kill-idle-db-connections": self._kill_idle,
            "redis-failover": self._failover,
            "disable-feature-flag": self._disable_flag,
            "switch-sms-provider": self._switch_sms,
            "flush-dead-letter-queue": self._flush_dlq,
        }
        handler = handlers.get(name)
        if handler is None:
            raise SourceError(f"unknown action {name!r} (one of: {', '.join(handlers)})")
        return handler(at, target)

    def _kill_idle(self, at: float, target: str) -> str:
        if not self.pg.up:
            raise SourceError("postgres-primary-0 is not accepting connections")
        estimate = round(self.pg.leaked) + round(0.35 * (self.pg.base - PG_SYSTEM_CONNECTIONS))

        def apply(t: int) -> None:
            self.pg.kill_idle(t, self)

        self._schedule(at, apply)
        return f"terminating {estimate} idle connections on postgres-primary-0 (pg_terminate_backend)"

    def _failover(self, at: float, target: str) -> str:
        candidate = self.redis.candidate(self)
        if candidate is None:
            raise SourceError("no healthy Redis replica to promote")
        old = self.redis.master
        self._schedule(at, lambda t: self.redis.failover(t, self))
        return f"Redis failover: {candidate} promoted to master (was {old}); clients follow in {FAILOVER_S} s"

    def _disable_flag(self, at: float, target: str) -> str:
        flag = target or PROMO_FLAG
        if flag not in self.flags:
            raise SourceError(f"no feature flag named {flag!r} (flags: {', '.join(FLAGS)})")
        # Recorded now; it counts from `at` + the flag cache's TTL, always after this second.
        self.flags[flag].append((at, False))
        return f"feature flag {flag} disabled (services pick it up within {FLAG_TTL_S} s)"

    def _switch_sms(self, at: float, target: str) -> str:
        if self.queue.provider != "twilio":
            return "SMS already goes through the contingency provider"

        def apply(t: int) -> None:
            self.queue.provider = "contingency"
            self.queue.switched_at = t
            self.note("sms-switch")

        self.queue.provider = "switching"
        self._schedule(at, apply)
        return f"SMS provider: twilio -> contingency (workers pick it up within {SMS_SWITCH_S} s)"

    def _flush_dlq(self, at: float, target: str) -> str:
        count = round(self.queue.dlq)

        def apply(t: int) -> None:
            self.note("dlq-flush", round(self.queue.dlq))
            self.queue.dlq = 0.0

        self._schedule(at, apply)
        return f"flushing {count} messages from sms.dlq (the sms queue itself is untouched)"
