"""The config file (TOML). Keys are a contract (DESIGN.md): keep them, add freely.

The dataclasses below are the validated, typed form the rest of the app reads. `load_config`
(below) turns a TOML file into a `Config` or raises `ConfigError` with one line that names the
file, the key path and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(Exception):
    """One line: `warroom.toml: services[2].timeout_s: expected a number > 0, got "fast"`."""


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    kubeconfig: str | None = None  # None: $KUBECONFIG, then ~/.kube/config; "in-cluster" too
    context: str | None = None  # None: the current context
    namespaces: tuple[str, ...] = ()  # empty: the context's namespace
    timeout_s: float = 5.0
    interval_s: float = 2.0


@dataclass(frozen=True, slots=True)
class PrometheusConfig:
    url: str
    bearer_token_file: str | None = None
    username: str | None = None  # basic auth
    password_file: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    timeout_s: float = 5.0
    interval_s: float = 15.0


@dataclass(frozen=True, slots=True)
class LokiConfig:
    url: str
    bearer_token_file: str | None = None
    timeout_s: float = 5.0


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
