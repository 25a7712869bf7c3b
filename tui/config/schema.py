"""The config's schema: the validated, typed form the rest of the app reads, one dataclass per
table, each field a key of its table (DESIGN.md: keys are a contract; keep them, add freely).
A leaf: plain dataclasses and their defaults, importing nothing of ours. `tui.config.load`
reads a file into these; warroom.example.toml shows every key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    kubeconfig: str | None = None  # None: $KUBECONFIG, then ~/.kube/config; "in-cluster" too
    context: str | None = None  # None: the current context
    namespaces: tuple[str, ...] = ()  # empty: the context's namespace; ("*",): every namespace
    selector: str | None = None  # a label selector on the pods, as `kubectl get pods -l`
    timeout_s: float = 5.0
    interval_s: float = 2.0
    log_tail: int = 200  # lines of each container `l` shows first (`kubectl logs --tail=200`)


@dataclass(frozen=True, slots=True)
class PrometheusConfig:
    url: str
    bearer_token_file: str | None = None
    username: str | None = None  # basic auth
    password_file: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    client_cert: str | None = None  # PEM; the key too unless client_key names it
    client_key: str | None = None
    timeout_s: float = 5.0
    interval_s: float = 15.0


@dataclass(frozen=True, slots=True)
class LokiConfig:
    url: str
    bearer_token_file: str | None = None
    timeout_s: float = 5.0
    ca_file: str | None = None  # a private CA for an https:// url
    insecure: bool = False
    client_cert: str | None = None  # PEM; the key too unless client_key names it
    client_key: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """One row of the health panel; exactly one of url / tcp / command."""

    name: str
    url: str | None = None
    tcp: str | None = None  # "host:port"
    command: tuple[str, ...] | None = None  # exit 0 is healthy
    deployment: str | None = None
    namespace: str | None = None
    interval_s: float = 5.0
    timeout_s: float = 2.0
    bearer_token_file: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    client_cert: str | None = None  # PEM; the key too unless client_key names it
    client_key: str | None = None
    degraded_ms: float | None = None  # slower than this (but 2xx) is DEGRADED


@dataclass(frozen=True, slots=True)
class SloConfig:
    """Ratio SLO (`error_ratio` over `window`) or threshold SLO (`query` against warn/breach)."""

    name: str
    objective: float
    window: str | None = None
    error_ratio: str | None = None  # PromQL with {{window}} placeholders
    query: str | None = None
    warn: float | None = None
    breach: float | None = None
    unit: str | None = None  # a threshold SLO's unit, shown with its value and levels: "ms"

    @property
    def kind(self) -> str:
        return "ratio" if self.error_ratio is not None else "threshold"


@dataclass(frozen=True, slots=True)
class LogConfig:
    kind: str  # kubernetes | loki | file
    name: str | None = None
    selector: str | None = None  # kubernetes label selector
    namespace: str | None = None
    query: str | None = None  # loki LogQL
    path: str | None = None  # file
    tail: int | None = None  # kubernetes: lines of each container shown first (None: 100)


@dataclass(frozen=True, slots=True)
class ActionConfig:
    """A team's own mitigation: a command (argv; shell only when `shell = true`) or an HTTP call."""

    name: str
    key: str | None = None
    command: tuple[str, ...] | None = None
    shell: bool = False
    http: dict[str, object] | None = None  # method, url, headers, token_file, body
    confirm: str | None = None
    scope: str = "global"  # global | service | deployment | pod | log line
    timeout_s: float = 30.0
    dangerous: bool = True


@dataclass(frozen=True, slots=True)
class SeverityConfig:
    name: str  # "SEV1"
    rank: int  # 1 is the worst
    update_every_min: float | None  # status-update cadence; None: no cadence


DEFAULT_SEVERITIES: tuple[SeverityConfig, ...] = (
    SeverityConfig("SEV1", 1, 15),
    SeverityConfig("SEV2", 2, 30),
    SeverityConfig("SEV3", 3, 60),
    SeverityConfig("SEV4", 4, None),
)


@dataclass(frozen=True, slots=True)
class DetectionConfig:
    """`[detection]`: how automatic detection damps what it records (tui.domain.detection).
    `hold_s`: how long a state must last before it is recorded, recoveries too;
    `flap_changes` changes within `flap_window_s` make a subject flapping, recorded once; it
    settles when it is back to ok for `settle_s`, or in one bad state for `flap_window_s`."""

    hold_s: float = 10.0
    flap_changes: int = 4
    flap_window_s: float = 300.0

    @property
    def settle_s(self) -> float:
        return max(3 * self.hold_s, 30.0)


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """`[health]`: how the `[[services]]` checks run. `max_concurrency`: checks in flight at
    once; with more services than that, the first checks are spread over the interval."""

    max_concurrency: int = 32


@dataclass(frozen=True, slots=True)
class Config:
    source: Path | None = None  # the file it came from (None: built in, e.g. the demo)
    read_only: bool = False
    theme: str | None = None
    cluster: ClusterConfig | None = None
    prometheus: PrometheusConfig | None = None
    loki: LokiConfig | None = None
    services: tuple[ServiceConfig, ...] = ()
    slos: tuple[SloConfig, ...] = ()
    logs: tuple[LogConfig, ...] = ()
    actions: tuple[ActionConfig, ...] = ()
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key(s), "ctrl+r,f5"
    severities: tuple[SeverityConfig, ...] = DEFAULT_SEVERITIES
    db: str | None = None  # incident database path
    actor: str | None = None  # the person behind a shared account (--as and $WARROOM_ACTOR win)
    detection: DetectionConfig = field(default_factory=DetectionConfig)
    health: HealthConfig = field(default_factory=HealthConfig)


IN_CLUSTER = "in-cluster"  # [cluster] kubeconfig: the pod's service account
ALL_NAMESPACES = "*"  # [cluster] namespaces = ["*"]: every namespace, as `kubectl get pods -A`
