"""The simulated Lomash Wood platform as plain data: namespaces, nodes, workloads, the health
checks and the SLOs. Taken from the team's runbooks: namespace `lomash-wood`, the api-gateway and
the services behind it, PostgreSQL (postgres-primary-0) with PgBouncer, Redis (redis-master-0:
sessions, rate limits, the Celery broker), Celery workers sending SMS through Twilio; beside it
the ingress controller and the monitoring stack, so the cluster looks like a cluster.

40 pods at the start: 27 in lomash-wood, 2 in ingress-nginx, 11 in monitoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tui.config.schema import SloConfig

NS_APP = "lomash-wood"
NS_INGRESS = "ingress-nginx"
NS_MONITORING = "monitoring"
NAMESPACES = (NS_APP, NS_INGRESS, NS_MONITORING)

# eu-west-2 (London): the nodes' names are what `kubectl get pods -o wide` shows on EKS.
NODES = (
    "ip-10-0-1-57.eu-west-2.compute.internal",
    "ip-10-0-2-143.eu-west-2.compute.internal",
    "ip-10-0-3-88.eu-west-2.compute.internal",
)

Kind = Literal["Deployment", "StatefulSet", "DaemonSet"]


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    namespace: str
    name: str
    kind: Kind
    replicas: int
    image: str  # repository, without the tag
    tag: str  # what runs now
    previous_tag: str  # the revision before it (what `rollout undo` goes back to)
    revision: int  # deployment.kubernetes.io/revision of what runs now
    containers: int = 1  # sidecars count: a crash-looping main container leaves them ready
    boot_s: tuple[float, float] = (10.0, 18.0)  # container start -> readiness probe passes
    run_s: float = 3.0  # a container that cannot start runs this long before it exits
    grace_s: float = 4.0  # Terminating lasts this long
    db_pool: int = 0  # PostgreSQL connections each serving pod keeps open
    needs_db_to_boot: bool = False  # exits at start when it cannot get a connection
    max_pods: int = 16  # more than this stays Pending (the node group is full)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def _app(name: str, replicas: int, tag: str, prev: str, rev: int, **kw: Any) -> WorkloadSpec:
    return WorkloadSpec(
        NS_APP, name, "Deployment", replicas, f"ghcr.io/lomashwood/{name}", tag, prev, rev, **kw
    )


# A primary and its replicas run the same release, with an exporter sidecar (containers=2).
def _postgres(name: str) -> WorkloadSpec:
    return WorkloadSpec(
        NS_APP,
        name,
        "StatefulSet",
        1,
        "postgres",
        "15.6",
        "15.5",
        4,
        containers=2,
        boot_s=(14.0, 16.0),
        grace_s=10.0,
    )


def _redis(name: str, replicas: int, **kw: Any) -> WorkloadSpec:
    # Redis loads its dataset before it answers: the readiness probe passes only after that.
    return WorkloadSpec(
        NS_APP,
        name,
        "StatefulSet",
        replicas,
        "redis",
        "7.2.4",
        "7.2.3",
        3,
        containers=2,
        boot_s=(21.0, 23.0),
        grace_s=3.0,
        **kw,
    )


WORKLOADS: tuple[WorkloadSpec, ...] = (
    _app("api-gateway", 3, "2.14.1", "2.14.0", 7, boot_s=(9.0, 14.0)),
    _app("auth-service", 2, "3.6.2", "3.6.1", 12, db_pool=10, needs_db_to_boot=True),
    _app("product-service", 2, "1.19.0", "1.18.4", 9, boot_s=(12.0, 20.0)),
    _app("order-payment-service", 3, "2.31.0", "2.30.2", 41, db_pool=10, needs_db_to_boot=True),
    _app("appointment-service", 2, "1.8.3", "1.8.2", 6, db_pool=6, needs_db_to_boot=True),
    _app("notification-service", 2, "1.12.0", "1.11.7", 15, db_pool=4),
    _app("analytics-service", 1, "3.8.0", "3.7.5", 17, db_pool=4, boot_s=(14.0, 22.0)),
    _app("celery-worker", 4, "4.2.0", "4.1.9", 23, db_pool=2, boot_s=(8.0, 12.0), grace_s=12.0, max_pods=20),
    _app("celery-beat", 1, "4.2.0", "4.1.9", 23, db_pool=1, boot_s=(5.0, 8.0)),
    WorkloadSpec(
        NS_APP, "pgbouncer", "Deployment", 2, "bitnami/pgbouncer", "1.22.1", "1.22.0", 3, boot_s=(3.0, 5.0)
    ),
    _postgres("postgres-primary"),
    _postgres("postgres-replica"),
    _redis("redis-master", 1, run_s=28.0),
    _redis("redis-replica", 2),
    WorkloadSpec(
        NS_INGRESS,
        "ingress-nginx-controller",
        "Deployment",
        2,
        "registry.k8s.io/ingress-nginx/controller",
        "v1.10.1",
        "v1.10.0",
        5,
        boot_s=(6.0, 9.0),
        grace_s=8.0,
    ),
    WorkloadSpec(
        NS_MONITORING,
        "prometheus-server",
        "StatefulSet",
        1,
        "quay.io/prometheus/prometheus",
        "v2.51.2",
        "v2.51.1",
        8,
        containers=2,
    ),
    WorkloadSpec(
        NS_MONITORING,
        "alertmanager",
        "StatefulSet",
        1,
        "quay.io/prometheus/alertmanager",
        "v0.27.0",
        "v0.26.0",
        3,
        containers=2,
    ),
    WorkloadSpec(NS_MONITORING, "loki", "StatefulSet", 1, "grafana/loki", "2.9.6", "2.9.5", 6),
    WorkloadSpec(NS_MONITORING, "grafana", "Deployment", 1, "grafana/grafana", "10.4.2", "10.4.1", 4),
    WorkloadSpec(
        NS_MONITORING,
        "otel-collector",
        "Deployment",
        1,
        "otel/opentelemetry-collector-contrib",
        "0.98.0",
        "0.97.0",
        2,
    ),
    WorkloadSpec(NS_MONITORING, "promtail", "DaemonSet", len(NODES), "grafana/promtail", "2.9.6", "2.9.5", 6),
    WorkloadSpec(
        NS_MONITORING,
        "node-exporter",
        "DaemonSet",
        len(NODES),
        "quay.io/prometheus/node-exporter",
        "v1.7.0",
        "v1.6.1",
        2,
    ),
)

# Where the services and the data stores live, for log lines (`connect ECONNREFUSED ...`).
POSTGRES_ADDR = "10.0.3.12:5432"
REDIS_ADDR = "10.0.4.21:6379"
PG_MAX_CONNECTIONS = 200
PG_RESERVED = 3  # superuser_reserved_connections
PG_SYSTEM_CONNECTIONS = 8  # replication, the exporter, autovacuum launcher, ...

# Share of the API's requests that each upstream serves (the rest the gateway answers itself).
TRAFFIC_MIX: dict[str, float] = {
    "auth-service": 0.22,
    "product-service": 0.34,
    "order-payment-service": 0.14,
    "appointment-service": 0.12,
    "notification-service": 0.04,
    "analytics-service": 0.04,
}

ROUTES: dict[str, tuple[tuple[str, str], ...]] = {
    "auth-service": (("POST", "/v1/auth/login"), ("POST", "/v1/auth/refresh"), ("GET", "/v1/auth/me")),
    "product-service": (
        ("GET", "/v1/products?category=kitchens&page=2"),
        ("GET", "/v1/products/{id}"),
        ("GET", "/v1/products/search?q=oak+worktop"),
        ("GET", "/v1/products/{id}/finishes"),
    ),
    "order-payment-service": (
        ("POST", "/v1/orders/checkout"),
        ("GET", "/v1/orders/{id}"),
        ("POST", "/v1/orders/{id}/payment-intent"),
    ),
    "appointment-service": (
        ("GET", "/v1/appointments/slots?showroom=leicester"),
        ("POST", "/v1/appointments"),
        ("GET", "/v1/appointments/{id}"),
    ),
    "notification-service": (("POST", "/v1/notifications/sms"), ("GET", "/v1/notifications/preferences")),
    "analytics-service": (("POST", "/v1/analytics/events"),),
    "api-gateway": (("GET", "/v1/config/app"), ("GET", "/health")),
}


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One row of the health panel."""

    name: str
    kind: Literal["http", "command"]
    target: str
    base_latency_ms: float
    deployment: str | None = None
    namespace: str | None = None


def _http(name: str, path: str, latency: float) -> CheckSpec:
    return CheckSpec(name, "http", f"http://{name}.{NS_APP}.svc:8080{path}", latency, name, NS_APP)


CHECKS: tuple[CheckSpec, ...] = (
    _http("api-gateway", "/health", 6.0),
    _http("auth-service", "/v1/auth/health", 14.0),
    _http("product-service", "/v1/products/health", 22.0),
    _http("order-payment-service", "/v1/orders/health", 31.0),
    _http("appointment-service", "/v1/appointments/health", 18.0),
    _http("notification-service", "/v1/notifications/health", 12.0),
    CheckSpec(
        "postgres", "command", f"psql -h postgres-primary.{NS_APP}.svc -U healthcheck -c 'SELECT 1'", 9.0
    ),
    CheckSpec("redis", "command", f"redis-cli -h redis-master.{NS_APP}.svc ping", 2.0),
)


@dataclass(frozen=True, slots=True)
class RatioSloSpec:
    name: str
    objective: float
    series: str  # which error-ratio series of the world
    # The error ratio of the time before the simulation, per window: the SLO had a past (an
    # earlier blip this week), so its long windows do not start from zero.
    priors: tuple[tuple[str, float], ...]
    error_ratio: str = ""  # the PromQL a real config would have
    window: str = "30d"
    baseline: float = 0.0002  # the ratio of the windows the priors do not name

    def config(self) -> SloConfig:
        return SloConfig(self.name, self.objective, window=self.window, error_ratio=self.error_ratio)


@dataclass(frozen=True, slots=True)
class ThresholdSloSpec:
    name: str
    objective: float
    warn: float
    breach: float
    series: str
    query: str
    unit: str = ""

    def config(self) -> SloConfig:
        return SloConfig(
            self.name,
            self.objective,
            query=self.query,
            warn=self.warn,
            breach=self.breach,
            unit=self.unit or None,
        )


def _ratio_query(selector: str) -> str:
    return (
        f'sum(rate(http_requests_total{{{selector},code=~"5.."}}[{{{{window}}}}])) / '
        f"sum(rate(http_requests_total{{{selector}}}[{{{{window}}}}]))"
    )


SLOS: tuple[RatioSloSpec | ThresholdSloSpec, ...] = (
    RatioSloSpec(
        "API availability",
        99.9,
        "api",
        (("30d", 0.00042), ("3d", 0.0006), ("1d", 0.0004), ("6h", 0.00025)),
        _ratio_query('job="api-gateway"'),
    ),
    RatioSloSpec(
        "Checkout success",
        99.9,
        "checkout",
        (("30d", 0.00035), ("3d", 0.00095), ("1d", 0.0008), ("6h", 0.0007)),
        _ratio_query('route="/v1/orders/checkout"'),
        baseline=0.00025,
    ),
    RatioSloSpec(
        "Login success",
        99.9,
        "login",
        (("30d", 0.0003), ("3d", 0.0004)),
        _ratio_query('route="/v1/auth/login"'),
    ),
    ThresholdSloSpec(
        "API latency p95 (ms)",
        500,
        800,
        1500,
        "p95",
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) * 1000",
        unit="ms",
    ),
    ThresholdSloSpec("Celery backlog", 50, 75, 100, "backlog", "sum(celery_queue_length)"),
    ThresholdSloSpec("PostgreSQL connections", 150, 170, 190, "pg", "sum(pg_stat_activity_count)"),
)
