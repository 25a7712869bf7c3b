"""The demo's log stream: a few lines a second from the pods, in each program's own format
(ingress-nginx access lines, the Node services, Celery, PostgreSQL, PgBouncer, Redis), written
from what the world did in that second, so the errors match the outage and share trace ids
across the gateway and the service behind it.

Lines of second `t` come from a generator of their own (seed, "logs", t): the same world gives
the same lines, and a different seed different ones.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tui.demo.topology import (
    NS_APP,
    NS_INGRESS,
    NS_MONITORING,
    POSTGRES_ADDR,
    REDIS_ADDR,
    ROUTES,
    TRAFFIC_MIX,
)
from tui.demo.workloads import SimPod, rng

if TYPE_CHECKING:
    from tui.demo.world import World

Raw = tuple[float, str, str, str]  # (simulated second, origin pod, text, level)

USER_AGENTS = (
    "LomashWood-iOS/5.12.0 (iPhone; iOS 17.4.1)",
    "LomashWood-Android/5.12.0 (Pixel 7; Android 14)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4",
)
OK_STATUS = {"GET": (200, 200, 200, 200, 304, 404), "POST": (201, 200, 200, 400, 401)}
PROMO_ERROR = (
    "TypeError: Cannot read properties of undefined (reading 'currency') "
    "at PromoEngineV2.apply (/app/dist/checkout/promo-engine-v2.js:118:42)"
)
RESERVED = "remaining connection slots are reserved for non-replication superuser connections"


class LogBook:
    """The lines written so far, numbered; the log sources read from it with their own cursor."""

    def __init__(self, keep: int = 5000) -> None:
        self.lines: deque[tuple[int, float, str, str, str]] = deque(maxlen=keep)
        self.total = 0

    def add(self, lines: Iterable[Raw]) -> None:
        for at, origin, text, level in lines:
            self.total += 1
            self.lines.append((self.total, at, origin, text, level))

    def after(self, seq: int) -> list[tuple[int, float, str, str, str]]:
        """The kept lines numbered above `seq`, oldest first."""
        out = []
        for line in reversed(self.lines):
            if line[0] <= seq:
                break
            out.append(line)
        out.reverse()
        return out


class LogWriter:
    def __init__(self, world: World) -> None:
        self.world = world

    # ---- helpers ------------------------------------------------------------------------------
    def _wall(self, at: float) -> datetime:
        return self.world.base + timedelta(seconds=at)

    def _pods(self, workload: str, namespace: str = NS_APP) -> list[SimPod]:
        ctrl = self.world.controllers[f"{namespace}/{workload}"]
        return [p for p in ctrl.pods if p.started_at is not None and p.terminating_at is None]

    def lines(self, t: int, events: list[tuple[str, SimPod]]) -> list[Raw]:
        r = rng(self.world.seed, "logs", t)
        out: list[Raw] = []
        step = _Step(self, t, r, out)
        step.pod_events(events)
        step.notes()
        step.traffic()
        step.background()
        out.sort(key=lambda line: line[0])
        return out


class _Step:
    """The lines of one second."""

    def __init__(self, writer: LogWriter, t: int, r: random.Random, out: list[Raw]) -> None:
        self.w = writer
        self.world = writer.world
        self.t = t
        self.r = r
        self.out = out

    def emit(self, pod: SimPod | str | None, text: str, level: str, at: float | None = None) -> float:
        if pod is None:
            return self.t
        origin = pod if isinstance(pod, str) else pod.name
        when = at if at is not None else self.t - 1 + self.r.random()
        self.out.append((when, origin, text, level))
        return when

    def pick(self, workload: str, namespace: str = NS_APP) -> SimPod | None:
        pods = self.w._pods(workload, namespace)
        return self.r.choice(pods) if pods else None

    def trace(self) -> str:
        return f"{self.r.getrandbits(128):032x}"

    def task_id(self) -> str:
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def ts_celery(self, at: float) -> str:
        wall = self.w._wall(at)
        return wall.strftime("%Y-%m-%d %H:%M:%S,") + f"{wall.microsecond // 1000:03d}"

    def ts_pg(self, at: float) -> str:
        wall = self.w._wall(at)
        return wall.strftime("%Y-%m-%d %H:%M:%S.") + f"{wall.microsecond // 1000:03d} UTC"

    def ts_redis(self, at: float) -> str:
        wall = self.w._wall(at)
        return wall.strftime("%d %b %Y %H:%M:%S.") + f"{wall.microsecond // 1000:03d}"

    def when(self) -> float:
        return self.t - 1 + self.r.random()

    def celery(self, pod: SimPod | None, level: str, process: str, text: str) -> None:
        at = self.when()
        word = {"error": "ERROR", "warn": "WARNING", "info": "INFO", "debug": "DEBUG"}[level]
        self.emit(pod, f"[{self.ts_celery(at)}: {word}/{process}] {text}", level, at)

    def postgres(self, level: str, text: str, pid: int | None = None) -> None:
        at = self.when()
        word = {"error": "FATAL", "warn": "WARNING", "info": "LOG"}[level]
        pid = pid or self.r.randint(20000, 39999)
        self.emit(
            self.world.pod(NS_APP, "postgres-primary-0"),
            f"{self.ts_pg(at)} [{pid}] {word}:  {text}",
            level,
            at,
        )

    def redis(self, pod: SimPod | None, role: str, mark: str, text: str, level: str = "info") -> None:
        at = self.when()
        self.emit(pod, f"1:{role} {self.ts_redis(at)} {mark} {text}", level, at)

    # ---- what happened to pods ----------------------------------------------------------------
    def pod_events(self, events: list[tuple[str, SimPod]]) -> None:
        for event, pod in events:
            handler = getattr(self, f"_{event}", None)
            if handler is not None:
                handler(pod)

    def _tag(self, pod: SimPod) -> str:
        ctrl = self.world.controllers[f"{pod.namespace}/{pod.workload}"]
        return next((tpl.tag for tpl in ctrl.history if tpl.hash == pod.template), ctrl.template.tag)

    def _role(self, pod: SimPod) -> str:
        return "M" if pod.name == self.world.redis.master else "S"

    def _started(self, pod: SimPod) -> None:
        name, t = pod.workload, self.t
        if name == "api-gateway":
            if t >= pod.crash_from:
                self.emit(pod, "INFO loading route cache from /var/cache/gateway/routes.json", "info")
            else:
                self.emit(
                    pod,
                    f"INFO api-gateway {self._tag(pod)} listening on :8080 (64 routes, 6 upstreams)",
                    "info",
                )
        elif name in TRAFFIC_MIX:
            self.emit(
                pod, f"INFO {name} {self._tag(pod)} starting (node v20.12.2, NODE_ENV=production)", "info"
            )
            if name == "order-payment-service":
                on = "on" if self.world.flag_on("checkout.promo-engine-v2", t) else "off"
                self.emit(pod, f"INFO feature flags loaded: checkout.promo-engine-v2={on}", "info")
        elif name == "celery-worker":
            self.celery(pod, "info", "MainProcess", f"Connected to redis://redis-master.{NS_APP}.svc:6379/0")
        elif pod.workload in ("redis-master", "redis-replica"):
            self.redis(pod, self._role(pod), "*", "Loading RDB produced by version 7.2.4")
        elif pod.workload == "postgres-primary":
            self.postgres(
                "info", f"database system was interrupted; last known up at {self.ts_pg(self.t - 40)}", pid=1
            )

    def _ready(self, pod: SimPod) -> None:
        if pod.workload in ("redis-master", "redis-replica"):
            self.redis(pod, self._role(pod), "*", f"DB loaded from disk: {pod.boot_s:.3f} seconds")
            self.redis(pod, self._role(pod), "*", "Ready to accept connections tcp")
        elif pod.workload == "postgres-primary":
            self.postgres("info", "database system is ready to accept connections", pid=1)
        elif pod.workload in TRAFFIC_MIX:
            self.emit(pod, "INFO ready: readiness probe passed (GET /health/ready 200)", "info")
        elif pod.workload == "celery-worker":
            self.celery(pod, "info", "MainProcess", f"celery@{pod.name} ready.")

    def _exited(self, pod: SimPod) -> None:
        if pod.workload == "api-gateway":
            self.emit(pod, "FATAL failed to start: SyntaxError: Unexpected end of JSON input", "error")
            self.emit(pod, "    at RouteCache.load (/app/dist/routes/cache.js:41:23)", "error")
        elif pod.exit_reason == "OOMKilled":
            # The kernel kills Redis without a word; the replicas notice.
            self.redis(self.pick("redis-replica"), "S", "#", "Connection with master lost.", "warn")
            self.redis(self.pick("redis-replica"), "S", "*", "MASTER <-> REPLICA sync started", "info")
        elif self.world.pg.exhausted:
            self.emit(pod, f"ERROR PrismaClientInitializationError: {RESERVED}", "error")
            self.emit(pod, "FATAL cannot reach the database at startup; exiting with code 1", "error")
        elif not self.world.pg.up:
            self.emit(pod, f"ERROR connect ECONNREFUSED {POSTGRES_ADDR}", "error")
            self.emit(pod, "FATAL cannot reach the database at startup; exiting with code 1", "error")

    # ---- the world's own news -----------------------------------------------------------------
    def notes(self) -> None:
        for kind, data in self.world.notes:
            if kind == "killed":
                for _ in range(3):
                    self.postgres("error", "terminating connection due to administrator command")
                self.postgres("info", f"{data} backends terminated by pg_terminate_backend()")
            elif kind == "job-aborted":
                self.emit(
                    self.pick("analytics-service"),
                    f"ERROR report rebuild_daily_sales aborted: {data}; releasing connections",
                    "error",
                )
            elif kind == "failover":
                old, new = data
                pod = self.world.pod(NS_APP, new)
                self.redis(pod, "M", "*", "Connection with master lost.", "warn")
                self.redis(
                    pod,
                    "M",
                    "*",
                    "MASTER MODE enabled (user request from 'id=118 addr=10.0.2.77:40112 "
                    "laddr=10.0.4.22:6379 fd=9 name=sentinel-7f3a1c9e-cmd')",
                )
                self.emit(
                    self.pick("auth-service"), f"INFO Redis: +switch-master mymaster {old} -> {new}", "info"
                )
            elif kind == "sms-switch":
                self.celery(
                    self.pick("celery-worker"),
                    "warn",
                    "MainProcess",
                    "SMS_PROVIDER changed: twilio -> contingency; reloading sms backend",
                )
            elif kind == "dlq-flush":
                self.celery(
                    self.pick("celery-worker"),
                    "info",
                    "MainProcess",
                    f"Purged {data} messages from queue sms.dlq",
                )
            elif kind == "rollout":
                ctrl, tpl, why = data
                self.emit(
                    self.pick("otel-collector", NS_MONITORING),
                    f"info k8sobserver: deployment {ctrl.key} revision {tpl.revision} ({why}) image "
                    f"{ctrl.spec.image}:{tpl.tag}",
                    "info",
                )

    # ---- requests -----------------------------------------------------------------------------
    def traffic(self) -> None:
        r = self.r
        count = (r.random() < 0.8) + (r.random() < 0.4)
        for _ in range(count):
            self._request()

    def _request(self) -> None:
        r, world = self.r, self.world
        load = world.load
        assert load is not None
        names = [*TRAFFIC_MIX, "api-gateway"]
        weights = [*TRAFFIC_MIX.values(), 0.10]
        service = r.choices(names, weights)[0]
        method, path = r.choice(ROUTES[service])
        path = path.replace("{id}", str(r.randint(10000, 99999)))
        gateway = world.controllers[f"{NS_APP}/api-gateway"]
        gw_pods = [p for p in gateway.pods if p.serving]
        trace = self.trace()
        fail = load.fails.get(service, 0.0)
        crashing = sum(p.crash_looping() for p in gateway.pods)
        upstream_time = r.uniform(0.004, 0.09)
        if not gw_pods:
            status, upstream, upstream_status, upstream_time = 503, "-", "-", 0.0
        elif crashing and r.random() < 0.05 * crashing:
            status, upstream_status = 502, "502"
            upstream = f"{r.choice(gateway.pods).ip}:8080"
        elif r.random() < fail:
            bad = service == "order-payment-service" and r.random() * fail < load.bad
            status = 500 if bad else 503
            upstream, upstream_status = f"{r.choice(gw_pods).ip}:8080", str(status)
            upstream_time = (
                r.uniform(1.5, 10.0) if world.pg.fail > 0 and service != "product-service" else upstream_time
            )
            self._upstream_error(service, method, path, status, trace, upstream_time, bad)
        else:
            status = r.choice(OK_STATUS["GET" if method == "GET" else "POST"])
            upstream, upstream_status = f"{r.choice(gw_pods).ip}:8080", str(status)
            if r.random() < 0.3 and service in TRAFFIC_MIX:
                self.emit(
                    self.pick(service),
                    f"INFO {method} {path.split('?')[0]} {status} "
                    f"{upstream_time * 1000:.0f}ms trace_id={trace}",
                    "info",
                )
        at = self.when()
        stamp = self.w._wall(at).strftime("%d/%b/%Y:%H:%M:%S +0000")
        client = ".".join(str(n) for n in (r.choice((81, 86, 90, 109, 147)), *r.choices(range(1, 255), k=3)))
        total = upstream_time + r.uniform(0.0005, 0.003)
        size = r.randint(180, 9000) if status < 400 else r.randint(90, 180)
        upstream_time_text = "-" if upstream == "-" else f"{upstream_time:.3f}"
        text = (
            f'{client} - - [{stamp}] "{method} {path} HTTP/2.0" {status} {size} "-" '
            f'"{r.choice(USER_AGENTS)}" '
            f"{r.randint(60, 900)} {total:.3f} [{NS_APP}-api-gateway-8080] [] {upstream} {size} "
            f"{upstream_time_text} {upstream_status} {trace}"
        )
        level = "error" if status >= 500 else "warn" if status >= 400 and status not in (401, 404) else "info"
        self.emit(self.pick("ingress-nginx-controller", NS_INGRESS), text, level, at)

    def _upstream_error(
        self, service: str, method: str, path: str, status: int, trace: str, took: float, bad: bool
    ) -> None:
        r, world = self.r, self.world
        ms = f"{took * 1000:.0f}"
        if r.random() < 0.7:
            self.emit(
                self.pick("api-gateway"),
                f"ERROR upstream error upstream={service} status={status} "
                f"method={method} path={path.split('?')[0]} duration_ms={ms} trace_id={trace}",
                "error",
            )
        if r.random() > 0.6 or service not in TRAFFIC_MIX:
            return
        if bad:
            cause = PROMO_ERROR
        elif not world.pg.up and service in ("auth-service", "order-payment-service", "appointment-service"):
            cause = f"connect ECONNREFUSED {POSTGRES_ADDR}"
        elif world.pg.fail > 0 and service != "notification-service":
            cause = r.choice(
                (
                    "Timed out fetching a new connection from the connection pool. (Current connection pool "
                    "timeout: 10, connection limit: 10)",
                    f"error: {RESERVED}",
                )
            )
        elif world.redis.state == "loading":
            cause = "ReplyError: LOADING Redis is loading the dataset in memory"
        elif world.redis.fail > 0:
            cause = f"Redis connection lost: connect ECONNREFUSED {REDIS_ADDR}"
        else:
            cause = "upstream request timeout"
        self.emit(
            self.pick(service),
            f'ERROR {method} {path.split("?")[0]} {status} {ms}ms trace_id={trace} err="{cause}"',
            "error",
        )

    # ---- the rest of the platform -------------------------------------------------------------
    def failing_services(self) -> None:
        """The access lines above are a sample of the traffic; the services themselves log every
        failure, so a failing service shows up in the tail whatever the sample drew."""
        r, world = self.r, self.world
        load = world.load
        assert load is not None
        for service, fail in load.fails.items():
            if fail < 0.02 or r.random() > min(0.8, 0.25 + fail):
                continue
            if world.controllers[f"{NS_APP}/{service}"].serving() == 0:
                continue
            method, path = r.choice(ROUTES[service])
            bad = service == "order-payment-service" and r.random() * fail < load.bad
            if bad:
                method, path = "POST", "/v1/orders/checkout"
            took = r.uniform(1.5, 10.0) if world.pg.fail > 0 else r.uniform(0.01, 0.3)
            path = path.replace("{id}", str(r.randint(10000, 99999)))
            self._upstream_error(service, method, path, 500 if bad else 503, self.trace(), took, bad)

    def background(self) -> None:
        world, r, t = self.world, self.r, self.t
        pg, redis, queue = world.pg, world.redis, world.queue
        self.failing_services()
        if pg.exhausted:
            if r.random() < 0.7:
                self.postgres("error", RESERVED)
            if r.random() < 0.3:
                at = self.when()
                self.emit(
                    self.pick("pgbouncer"),
                    f"{self.ts_pg(at)} [1] WARNING S-0x55d1c3a0{r.randint(10, 99)}: "
                    f"lomash/app@{POSTGRES_ADDR} server login failed: FATAL {RESERVED}",
                    "warn",
                    at,
                )
        if pg.job == "running" and r.random() < 0.35:
            shard = min(128, int(pg.leaked) + 1)
            did = "waits for a connection" if pg.exhausted else "opened a connection"
            self.emit(
                self.pick("analytics-service"),
                f"INFO report rebuild_daily_sales: shard {shard}/128 {did} "
                f"({pg.leaked:.0f} open, 0 released)",
                "info",
            )
        if redis.state != "up":
            if r.random() < 0.5:
                self.celery(
                    self.pick("celery-worker"),
                    "error",
                    "MainProcess",
                    f"consumer: Cannot connect to redis://redis-master.{NS_APP}.svc:6379/0: Error 111 "
                    f"connecting to redis-master.{NS_APP}.svc:6379. Connection refused.. Trying again in "
                    f"{r.choice((2, 4, 6, 8))}.00 seconds... ({r.randint(1, 12)}/100)",
                )
            if r.random() < 0.4:
                self.emit(
                    self.pick("notification-service"),
                    f"ERROR [ioredis] Redis connection lost: connect ECONNREFUSED {REDIS_ADDR}",
                    "error",
                )
        elif queue.per_worker < 2:
            self._twilio_trouble()
        elif r.random() < 0.35:
            self.celery(
                self.pick("celery-worker"),
                "info",
                f"ForkPoolWorker-{r.randint(1, 4)}",
                f"Task notifications.send_sms[{self.task_id()}] succeeded in {r.uniform(0.2, 0.6):.2f}s: "
                f"{{'sid': 'SM{r.getrandbits(128):032x}', 'status': 'queued'}}",
            )
        if t % 60 == 0:
            self.celery(
                self.pick("celery-beat"),
                "info",
                "MainProcess",
                "Scheduler: Sending due task appointment-reminders "
                "(notifications.tasks.send_appointment_reminders)",
            )
        if r.random() < 0.06:
            self.emit(
                self.pick("otel-collector", NS_MONITORING),
                f"info exporterhelper: Exporting spans batch_size={r.randint(200, 800)} "
                f"endpoint=tempo.{NS_MONITORING}.svc:4317",
                "debug",
            )
        if r.random() < 0.04:
            self.emit(
                self.pick("promtail", NS_MONITORING),
                'level=info component=tailer msg="tail routine: started" path=/var/log/pods/*/*.log',
                "debug",
            )

    def _twilio_trouble(self) -> None:
        r, queue = self.r, self.world.queue
        worker = f"ForkPoolWorker-{r.randint(1, 4)}"
        roll = r.random()
        if roll < 0.45:
            self.celery(
                self.pick("celery-worker"),
                "error",
                worker,
                f"Task notifications.send_sms[{self.task_id()}] raised unexpected: ReadTimeout("
                "ReadTimeoutError(\"HTTPSConnectionPool(host='api.twilio.com', port=443): Read timed out. "
                '(read timeout=10)"))',
            )
        elif roll < 0.8:
            self.celery(
                self.pick("celery-worker"),
                "warn",
                worker,
                f"Task notifications.send_sms[{self.task_id()}] retry: Retry in 60s: "
                "TwilioRestException('HTTP 503 error: Unable to create record: Service Unavailable')",
            )
        else:
            self.celery(
                self.pick("celery-worker"),
                "warn",
                worker,
                f"notifications.send_sms: Twilio answered in {r.randint(4200, 9800)} ms "
                "(to +44 7*** ***" + f"{r.randint(100, 999)})",
            )
        backlog = queue.reported
        if backlog is not None and backlog > 75 and r.random() < 0.2:
            self.emit(
                self.pick("notification-service"),
                f"WARN sms queue depth {backlog:,.0f} above 75 (celery queue sms)",
                "warn",
            )
