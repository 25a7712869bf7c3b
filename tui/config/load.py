"""Reading the config file (TOML) into `tui.config.schema`. `find_config` finds the file
(--config, $WARROOM_CONFIG, ./warroom.toml, $XDG_CONFIG_HOME/warroom/config.toml); `load_config`
turns it into a `Config` or raises `ConfigError` with one line that names the file, the key path
and what was expected; an unknown key is an error too (with the closest known key), so a typo is
never silently ignored. `warroom check-config` is tui/check_config.py.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from tui.config.schema import (
    ALL_NAMESPACES,
    IN_CLUSTER,
    ActionConfig,
    ClusterConfig,
    Config,
    DetectionConfig,
    HealthConfig,
    LogConfig,
    LokiConfig,
    PrometheusConfig,
    ServiceConfig,
    SeverityConfig,
    SloConfig,
)
from tui.core.errors import UserError
from tui.core.files import FileProblem, read_bounded
from tui.sources.kubernetes.selector import parse_selector

# Bounded, so /dev/zero-sized input is refused; roomy, so 10 000 `[[services]]` written out in
# full (about 3 MiB: every key of each, a token file and a CA among them) are still a config.
MAX_CONFIG_BYTES = 16 << 20


class ConfigError(UserError):
    """One line: `warroom.toml: services[2].timeout_s: expected a number > 0, got "fast"`."""


# --- Loading and validation ----------------------------------------------------------------------
# Every check below ends in one ConfigError line: `<file>: <key path>: expected <what>, got <value>`.

LOG_KINDS = ("kubernetes", "loki", "file")
ACTION_SCOPES = ("global", "service", "deployment", "pod", "log line")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
HTTP_KEYS = ("method", "url", "headers", "token_file", "body")
# The keys each kind of log source reads: another kind's key would be silently ignored, so it is
# an error (a `query` on a kubernetes source is a filter the user expects and would not get).
LOG_KIND_KEYS = {"kubernetes": ("selector", "namespace", "tail"), "loki": ("query",), "file": ("path",)}
MAX_TAIL = 10_000  # lines of a log tail (the log panel keeps 5 000)
_NOT_A_KEY = {"source"}  # Config.source is where the config came from


def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls) if f.name not in _NOT_A_KEY)


# The keys each table accepts: its dataclass's fields, so a new field is a new key at once.
TABLE_KEYS: dict[str, frozenset[str]] = {
    "": _field_names(Config),
    "cluster": _field_names(ClusterConfig),
    "prometheus": _field_names(PrometheusConfig),
    "loki": _field_names(LokiConfig),
    "services": _field_names(ServiceConfig),
    "slos": _field_names(SloConfig),
    "logs": _field_names(LogConfig),
    "actions": _field_names(ActionConfig),
    "actions.http": frozenset(HTTP_KEYS),
    "severities": _field_names(SeverityConfig),
    "detection": _field_names(DetectionConfig),
    "health": _field_names(HealthConfig),
}

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # a DNS-1123 label
_HOST_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})")
_TOML_AT = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.DOTALL)
_TOML_TUPLE = re.compile(r"\((?:'[^']*',? ?)+\)")
_MISSING: Any = object()


def _join(base: str, key: str | int) -> str:
    """`services[2].timeout_s`; a key that is not a bare TOML key is quoted, as TOML would."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    name = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{base}.{name}" if base else name


def show(value: Any, limit: int = 60) -> str:
    """A value as TOML spells it, short and on one line: strings in double quotes, true/false."""
    from tui.core.untrusted import clean

    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, Mapping):
        text = "a table" if value else "an empty table"
    elif isinstance(value, list):
        text = "[" + ", ".join(show(item, limit) for item in value) + "]"
    else:  # TOML dates and times
        text = str(value)
    return clean(text, max_len=limit)


def _words(keys: list[str]) -> str:
    if not keys:
        return "none"
    return keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " and " + keys[-1]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _expand(path: str) -> str:
    return os.path.expanduser(path)


class _Table:
    """One TOML table being read: its key path for messages, and typed getters that fail with
    the one-line message. Unknown keys are refused at once, with the closest known one."""

    def __init__(self, where: str, path: str, data: Mapping[str, Any], section: str) -> None:
        self.where = where
        self.path = path
        self.data = data
        known = TABLE_KEYS.get(section)
        if known is None:  # [keys] holds binding ids: checked against the app's own bindings
            return
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                raise ConfigError(f"{where}: {_join(path, key)}: unknown key{hint}")

    def error(self, key: str | None, message: str) -> ConfigError:
        at = _join(self.path, key) if key else self.path
        return ConfigError(f"{self.where}: {at}: {message}" if at else f"{self.where}: {message}")

    def expected(self, key: str | None, what: str, value: Any = _MISSING) -> ConfigError:
        return self.error(key, f"expected {what}, got {'nothing' if value is _MISSING else show(value)}")

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str) -> Any:
        return self.data.get(key, _MISSING)

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self.get(key)
        if value is _MISSING and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.expected(key, "a non-empty string", value)
        return value

    def number(self, key: str, *, positive: bool = True, required: bool = False) -> float | None:
        value = self.get(key)
        if value is _MISSING and not required:
            return None
        if not _is_number(value) or (positive and value <= 0):
            raise self.expected(key, "a number > 0" if positive else "a number", value)
        return float(value)

    def tail(self, key: str) -> int | None:
        """A log tail's line count, as `kubectl logs --tail=N` takes it (0: only what comes)."""
        value = self.get(key)
        if value is _MISSING:
            return None
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TAIL):
            raise self.expected(key, f"a whole number of lines from 0 to {MAX_TAIL}, such as 200", value)
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.get(key)
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            raise self.expected(key, "true or false", value)
        return value

    def path_(self, key: str) -> str | None:
        value = self.get(key)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.expected(key, "a file path", value)
        return _expand(value)

    def url(self, key: str, *, required: bool = False) -> str | None:
        from urllib.parse import urlsplit

        value = self.get(key)
        if value is _MISSING and not required:
            return None
        what = "an http:// or https:// URL"
        if not isinstance(value, str):
            raise self.expected(key, what, value)
        try:
            parts = urlsplit(value)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
        except ValueError:  # a port that is not a number
            ok = False
        if not ok:
            raise self.expected(key, what, value)
        return value

    def argv(self, key: str) -> tuple[str, ...] | None:
        value = self.get(key)
        if value is _MISSING:
            return None
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(arg, str) for arg in value)
            or not value[0].strip()
        ):
            raise self.expected(key, "a non-empty list of strings", value)
        return tuple(value)

    def choice(self, key: str, choices: Iterable[str]) -> str | None:
        value = self.get(key)
        if value is _MISSING:
            return None
        choices = tuple(choices)
        if value not in choices:
            raise self.expected(key, "one of " + ", ".join(f'"{c}"' for c in choices), value)
        return str(value)

    def table(self, key: str, section: str) -> _Table | None:
        value = self.get(key)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            raise self.expected(key, f"a table ([{section}])", value)
        return _Table(self.where, _join(self.path, key), value, section)

    def tables(self, key: str, section: str) -> list[_Table]:
        value = self.get(key)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            raise self.expected(key, f"an array of tables ([[{section}]])", value)
        out = []
        for i, item in enumerate(value):
            at = _join(_join(self.path, key), i)
            if not isinstance(item, Mapping):
                raise ConfigError(f"{self.where}: {at}: expected a table, got {show(item)}")
            out.append(_Table(self.where, at, item, section))
        return out


def _build(cls: Any, **values: Any) -> Any:
    """The dataclass with the keys that were given; the rest keep the dataclass defaults."""
    return cls(**{k: v for k, v in values.items() if v is not None})


def _unique(tables: list[_Table], names: list[Any], key: str, what: str, *, fold: bool = False) -> None:
    seen: dict[Any, _Table] = {}
    for t, name in zip(tables, names, strict=True):
        norm = name.casefold() if fold and isinstance(name, str) else name
        if norm in seen:
            raise t.error(key, f"expected a unique {what}, got {show(name)} ({seen[norm].path} has it too)")
        seen[norm] = t


def _cluster(t: _Table) -> ClusterConfig:
    kubeconfig = t.string("kubeconfig")
    if kubeconfig is not None and kubeconfig != IN_CLUSTER:  # a $KUBECONFIG-style list of paths
        kubeconfig = os.pathsep.join(_expand(p) for p in kubeconfig.split(os.pathsep))
    namespaces = t.get("namespaces")
    if namespaces is _MISSING:
        namespaces = None
    elif namespaces == [ALL_NAMESPACES]:
        pass  # every namespace: one cluster-wide list and watch, as `kubectl get pods -A`
    elif isinstance(namespaces, list) and ALL_NAMESPACES in namespaces:
        raise t.error("namespaces", f'"*" means every namespace and stands alone, got {show(namespaces)}')
    elif not isinstance(namespaces, list) or not all(
        isinstance(ns, str) and _NAMESPACE.fullmatch(ns) for ns in namespaces
    ):
        raise t.expected(
            "namespaces", 'a list of namespace names such as ["lomash-wood"], or ["*"] for all', namespaces
        )
    selector = t.string("selector")
    if selector is not None:
        try:
            parse_selector(selector)
        except ValueError as err:
            example = '"app=web,tier!=db"'
            raise t.error("selector", f"expected a label selector such as {example}: {err}") from None
    return _build(
        ClusterConfig,
        kubeconfig=kubeconfig,
        context=t.string("context"),
        namespaces=tuple(namespaces) if namespaces is not None else None,
        selector=selector,
        timeout_s=t.number("timeout_s"),
        interval_s=t.number("interval_s"),
        log_tail=t.tail("log_tail"),
    )


def _prometheus(t: _Table) -> PrometheusConfig:
    bearer = t.path_("bearer_token_file")
    username = t.string("username")
    password_file = t.path_("password_file")
    if (username is None) != (password_file is None):
        given = "username" if username is not None else "password_file"
        raise t.error(None, f"expected both username and password_file (basic auth), got only {given}")
    if bearer is not None and username is not None:
        raise t.error(None, "expected bearer_token_file or username/password_file, got both")
    return _build(
        PrometheusConfig,
        url=t.url("url", required=True),
        bearer_token_file=bearer,
        username=username,
        password_file=password_file,
        **_tls(t),
        timeout_s=t.number("timeout_s"),
        interval_s=t.number("interval_s"),
    )


TLS_KEYS = ("ca_file", "insecure", "client_cert", "client_key")


def _tls(t: _Table) -> dict[str, Any]:
    """The TLS keys every HTTP table shares (tui/sources/http.py reads them one way)."""
    if t.has("client_key") and not t.has("client_cert"):
        raise t.error("client_key", "needs client_cert (the certificate the key belongs to)")
    return {
        "ca_file": t.path_("ca_file"),
        "insecure": t.boolean("insecure"),
        "client_cert": t.path_("client_cert"),
        "client_key": t.path_("client_key"),
    }


def _loki(t: _Table) -> LokiConfig:
    return _build(
        LokiConfig,
        url=t.url("url", required=True),
        bearer_token_file=t.path_("bearer_token_file"),
        timeout_s=t.number("timeout_s"),
        **_tls(t),
    )


def _service(t: _Table) -> ServiceConfig:
    name = t.string("name", required=True)
    checks = [key for key in ("url", "tcp", "command") if t.has(key)]
    if len(checks) != 1:
        raise t.error(None, f"expected exactly one of url, tcp or command, got {_words(checks)}")
    tcp = t.get("tcp")
    if tcp is _MISSING:
        tcp = None
    else:
        match = _HOST_PORT.fullmatch(tcp) if isinstance(tcp, str) else None
        if match is None or not 0 < int(match.group(1)) < 65536:
            raise t.expected("tcp", '"host:port" such as "127.0.0.1:6379"', tcp)
    if checks != ["url"]:  # TLS and tokens belong to HTTP; on tcp/command they would do nothing
        for key in ("bearer_token_file", *TLS_KEYS):
            if t.has(key):
                raise t.error(key, f"only used by a url check, not {checks[0]}")
    return _build(
        ServiceConfig,
        name=name,
        url=t.url("url"),
        tcp=tcp,
        command=t.argv("command"),
        deployment=t.string("deployment"),
        namespace=t.string("namespace"),
        interval_s=t.number("interval_s"),
        timeout_s=t.number("timeout_s"),
        bearer_token_file=t.path_("bearer_token_file"),
        **_tls(t),
        degraded_ms=t.number("degraded_ms"),
    )


def _slo(t: _Table) -> SloConfig:
    from tui.domain.slo import parse_duration

    name = t.string("name", required=True)
    ratio, threshold = t.has("error_ratio"), t.has("query")
    if ratio == threshold:
        got = "both" if ratio else "neither"
        raise t.error(
            None, f"expected exactly one of error_ratio (a ratio SLO) or query (a threshold SLO), got {got}"
        )
    window = t.get("window")
    if window is not _MISSING:
        if not ratio:
            raise t.error("window", "only for a ratio SLO (one with error_ratio)")
        try:
            parse_duration(window if isinstance(window, str) else "")
        except ValueError:
            raise t.expected("window", 'a duration such as "30d", "6h" or "5m"', window) from None
    if ratio:
        for key in ("warn", "breach", "unit"):
            if t.has(key):
                raise t.error(key, "only for a threshold SLO (one with query)")
        if window is _MISSING:
            raise t.expected("window", 'a duration such as "30d", "6h" or "5m"')
        error_ratio = t.string("error_ratio", required=True)
        assert error_ratio is not None
        if "{{window}}" not in error_ratio:
            raise t.expected("error_ratio", "a PromQL expression with {{window}} as its range", error_ratio)
        objective = t.get("objective")
        if not _is_number(objective) or not 0 < objective < 100:
            raise t.expected("objective", "a percentage between 0 and 100 (exclusive)", objective)
        return SloConfig(name=name or "", objective=float(objective), window=window, error_ratio=error_ratio)
    query = t.string("query", required=True)
    objective_f = t.number("objective", positive=False, required=True)
    warn = t.number("warn", positive=False)
    breach = t.number("breach", positive=False)
    assert objective_f is not None
    # Higher is worse (tui.domain.slo.threshold_state): objective <= warn < breach.
    if warn is not None and breach is not None and not warn < breach:
        raise t.expected("breach", f"a number > warn ({warn:g})", t.get("breach"))
    first = "warn" if warn is not None else "breach" if breach is not None else None
    if first is not None and (warn if warn is not None else breach) < objective_f:  # type: ignore[operator]
        raise t.expected(first, f"a number >= objective ({objective_f:g})", t.get(first))
    unit = t.string("unit")
    if unit is not None and (len(unit) > 16 or " ".join(unit.split()) != unit or not unit.isprintable()):
        raise t.expected("unit", 'a short unit on one line, such as "ms" or "connections"', unit)
    return SloConfig(name=name or "", objective=objective_f, query=query, warn=warn, breach=breach, unit=unit)


def _log(t: _Table, has_loki: bool) -> LogConfig:
    kind = t.choice("kind", LOG_KINDS)
    if kind is None:
        raise t.expected("kind", "one of " + ", ".join(f'"{k}"' for k in LOG_KINDS))
    for other, keys in LOG_KIND_KEYS.items():
        for key in keys:
            if other != kind and t.has(key) and key not in LOG_KIND_KEYS[kind]:
                raise t.error(key, f'not used by kind "{kind}" (only by "{other}")')
    if kind == "file" and not t.has("path"):
        raise t.expected("path", "a file path")
    if kind == "loki":
        if not t.has("query"):
            raise t.expected("query", "a LogQL query such as '{app=\"auth\"}'")
        if not has_loki:
            raise t.error(None, 'kind "loki" needs a [loki] table with its url, got none')
    if kind == "kubernetes" and not (t.has("selector") or t.has("namespace")):
        raise t.error(None, 'expected selector or namespace for kind "kubernetes", got neither')
    return _build(
        LogConfig,
        kind=kind,
        name=t.string("name"),
        selector=t.string("selector"),
        namespace=t.string("namespace"),
        query=t.string("query"),
        path=t.path_("path"),
        tail=t.tail("tail"),
    )


def _http(t: _Table) -> dict[str, object]:
    out: dict[str, object] = {"method": "POST", "url": t.url("url", required=True)}
    method = t.get("method")
    if method is not _MISSING:
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            raise t.expected("method", "one of " + ", ".join(HTTP_METHODS), method)
        out["method"] = method.upper()
    headers = t.get("headers")
    if headers is not _MISSING:
        if not isinstance(headers, Mapping):
            raise t.expected("headers", "a table of header names to strings", headers)
        for header, value in headers.items():
            if not isinstance(value, str):
                at = _join(_join(t.path, "headers"), header)
                raise ConfigError(f"{t.where}: {at}: expected a string, got {show(value)}")
        out["headers"] = dict(headers)
    token_file = t.path_("token_file")
    if token_file is not None:
        out["token_file"] = token_file
    body = t.get("body")
    if body is not _MISSING:
        if not isinstance(body, str | Mapping):
            raise t.expected("body", "a string or a table (sent as JSON)", body)
        out["body"] = body
    return out


def _action(t: _Table) -> ActionConfig:
    name = t.string("name", required=True)
    key = t.string("key")
    if key is not None and ("," in key or len(key.split()) != 1):
        raise t.expected("key", 'one key such as "K" or "ctrl+k"', key)
    kinds = [k for k in ("command", "http") if t.has(k)]
    if len(kinds) != 1:
        raise t.error(
            None, f"expected exactly one of command or http, got {_words(kinds) if kinds else 'neither'}"
        )
    shell = t.boolean("shell")
    command: tuple[str, ...] | None = None
    if shell and kinds == ["http"]:
        raise t.error("shell", "only for a command action")
    if shell:  # one string for /bin/sh -c
        raw = t.get("command")
        raw = [raw] if isinstance(raw, str) else raw
        if not (isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], str) and raw[0].strip()):
            raise t.expected("command", "one string for the shell (shell = true)", t.get("command"))
        command = (raw[0],)
    elif kinds == ["command"]:
        command = t.argv("command")
    http_table = t.table("http", "actions.http")
    return _build(
        ActionConfig,
        name=name,
        key=key.strip() if key else None,
        command=command,
        shell=shell,
        http=_http(http_table) if http_table is not None else None,
        confirm=t.string("confirm"),
        scope=t.choice("scope", ACTION_SCOPES),
        timeout_s=t.number("timeout_s"),
        dangerous=t.boolean("dangerous"),
    )


def _check_action_keys(tables: list[_Table], actions: list[ActionConfig]) -> None:
    from tui.core.keynames import normalise  # "*" and "asterisk" are one key

    seen: dict[str, _Table] = {}
    for t, action in zip(tables, actions, strict=True):
        if action.key is None:
            continue
        norm = normalise(action.key)
        if norm in seen:
            raise t.error(
                "key",
                f"expected a key no other action uses, got {show(action.key)} ({seen[norm].path} has it too)",
            )
        seen[norm] = t


def _severity(t: _Table) -> SeverityConfig:
    rank = t.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise t.expected("rank", "an integer >= 1 (1 is the worst)", rank)
    return SeverityConfig(
        name=t.string("name", required=True) or "",
        rank=rank,
        update_every_min=t.number("update_every_min"),
    )


def _detection(t: _Table) -> DetectionConfig:
    hold = t.number("hold_s", positive=False)
    if hold is not None and hold < 0:
        raise t.expected("hold_s", "a number of seconds >= 0", t.get("hold_s"))
    changes = t.get("flap_changes")
    if t.has("flap_changes") and (isinstance(changes, bool) or not isinstance(changes, int) or changes < 2):
        raise t.expected("flap_changes", "an integer >= 2 (changes within flap_window_s)", changes)
    return _build(
        DetectionConfig,
        hold_s=hold,
        flap_changes=changes if t.has("flap_changes") else None,
        flap_window_s=t.number("flap_window_s"),
    )


def _health(t: _Table) -> HealthConfig:
    value = t.get("max_concurrency")
    whole = isinstance(value, int) and not isinstance(value, bool)
    if t.has("max_concurrency") and not (whole and 1 <= value <= 1024):
        raise t.expected("max_concurrency", "an integer from 1 to 1024 (checks in flight at once)", value)
    return _build(HealthConfig, max_concurrency=value if t.has("max_concurrency") else None)


def _keys(t: _Table) -> dict[str, str]:
    """`[keys]`: binding id -> key(s). An unquoted dotted id (`app.quit = "ctrl+q"`) is a nested
    table in TOML; it is read back as the dotted id the user meant."""
    out: dict[str, str] = {}

    def walk(prefix: str, data: Mapping[str, Any]) -> None:
        for name, value in data.items():
            binding = f"{prefix}.{name}" if prefix else name
            if isinstance(value, Mapping):
                walk(binding, value)
            elif isinstance(value, str) and value.strip():
                out[binding] = value
            else:
                raise ConfigError(
                    f'{t.where}: {_join("keys", binding)}: expected a key such as "ctrl+r" or "f5" '
                    f'(several: "ctrl+r,f5"), got {show(value)}'
                )

    walk("", t.data)
    return out


def parse_config(data: Mapping[str, Any], where: str) -> Config:
    """The validated Config of a parsed TOML document; `where` names the file in messages."""
    top = _Table(where, "", data, "")
    read_only, theme, db = top.boolean("read_only"), top.string("theme"), top.path_("db")
    actor = _actor(top)
    cluster_t = top.table("cluster", "cluster")
    cluster = _cluster(cluster_t) if cluster_t is not None else None
    prom_t = top.table("prometheus", "prometheus")
    prometheus = _prometheus(prom_t) if prom_t is not None else None
    loki_t = top.table("loki", "loki")
    loki = _loki(loki_t) if loki_t is not None else None

    service_ts = top.tables("services", "services")
    services = [_service(t) for t in service_ts]
    _unique(service_ts, [s.name for s in services], "name", "service name")

    slo_ts = top.tables("slos", "slos")
    slos = [_slo(t) for t in slo_ts]
    _unique(slo_ts, [s.name for s in slos], "name", "SLO name")
    if slos and prometheus is None:
        raise ConfigError(f"{where}: slos: expected a [prometheus] table to query them, got none")

    logs = [_log(t, loki is not None) for t in top.tables("logs", "logs")]

    action_ts = top.tables("actions", "actions")
    actions = [_action(t) for t in action_ts]
    _unique(action_ts, [a.name for a in actions], "name", "action name")
    _check_action_keys(action_ts, actions)

    keys_t = top.table("keys", "keys")
    detection_t = top.table("detection", "detection")
    health_t = top.table("health", "health")
    severities: tuple[SeverityConfig, ...] | None = None
    if top.has("severities"):
        severity_ts = top.tables("severities", "severities")
        if not severity_ts:
            raise top.expected("severities", "at least one [[severities]] table", top.get("severities"))
        found = [_severity(t) for t in severity_ts]
        _unique(severity_ts, [s.name for s in found], "name", "severity name", fold=True)
        _unique(severity_ts, [s.rank for s in found], "rank", "rank")
        severities = tuple(sorted(found, key=lambda s: s.rank))

    return _build(
        Config,
        read_only=read_only,
        theme=theme,
        cluster=cluster,
        prometheus=prometheus,
        loki=loki,
        services=tuple(services),
        slos=tuple(slos),
        logs=tuple(logs),
        actions=tuple(actions),
        keys=_keys(keys_t) if keys_t is not None else None,
        severities=severities,
        db=db,
        actor=actor,
        detection=_detection(detection_t) if detection_t is not None else None,
        health=_health(health_t) if health_t is not None else None,
    )


def _actor(top: _Table) -> str | None:
    """`actor = "Alice Ng"`: checked like `--as` (no control characters, markup or bidi)."""
    from tui.incident.actor import PERSON_RULE, check_person

    value = top.get("actor")
    if value is _MISSING:
        return None
    try:
        if isinstance(value, str):
            return check_person(value)
    except ValueError:
        pass
    raise top.expected("actor", PERSON_RULE, value)


def _toml_error(where: str, err: tomllib.TOMLDecodeError) -> str:
    """`warroom.toml: line 3, column 9: invalid TOML: invalid value` from tomllib's message."""
    text = str(err)
    match = _TOML_AT.match(text)
    if match:
        at, text = f"line {match['line']}, column {match['col']}", match["msg"]
    else:
        at, text = "end of file", text.replace(" (at end of document)", "")
    from tui.core.untrusted import one_line

    # tomllib names a table as a Python tuple, "('services', 'http')": say [services.http].
    text = _TOML_TUPLE.sub(lambda m: "[" + ".".join(re.findall(r"'([^']*)'", m.group(0))) + "]", text)
    return f"{where}: {at}: invalid TOML: {one_line(text[:1].lower() + text[1:])}"


def load_config(path: Path) -> Config:
    """Read, parse and validate one config file; any fault is a one-line ConfigError."""
    where = str(path)
    try:  # a regular file, bounded: `--config /dev/zero` or a FIFO must not eat memory or hang
        raw = read_bounded(path, MAX_CONFIG_BYTES)
    except FileProblem as err:
        raise ConfigError(f"{where}: {err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{where}: line {line}: not UTF-8 text (a TOML file is UTF-8)") from None
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # an editor's BOM is not a mistake
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(_toml_error(where, err)) from None
    config = parse_config(data, where)
    return replace(config, source=Path(path))


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or str(Path.home())


def _user_path(text: str, env: Mapping[str, str], cwd: Path | None) -> Path:
    if text == "~" or text.startswith("~/"):
        text = _home(env) + text[1:]
    path = Path(os.path.expanduser(text))
    return cwd / path if cwd is not None and not path.is_absolute() else path


def find_config(
    explicit: str | None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path | None:
    """--config PATH, else $WARROOM_CONFIG, else ./warroom.toml, else
    $XDG_CONFIG_HOME/warroom/config.toml (~/.config when unset or relative, as the XDG spec says).

    A path the user named (flag or variable) that does not exist is an error naming it: falling
    through to another file would watch something they did not ask for. None: no config at all.
    """
    env = os.environ if env is None else env
    for given, origin in ((explicit, "--config"), (env.get("WARROOM_CONFIG"), "$WARROOM_CONFIG")):
        if given:
            path = _user_path(given, env, cwd)
            try:
                path.stat()
            except (FileNotFoundError, NotADirectoryError):
                raise ConfigError(f"{given}: no such file (from {origin})") from None
            except OSError:
                pass  # there but out of reach (permissions): load_config says so in one line
            return path
    local = (cwd or Path()) / "warroom.toml"
    # os.path.exists, not Path.exists: a default place we may not look into (another user's
    # $HOME, as under sudo -u) is no config there, not a PermissionError traceback.
    if os.path.exists(local):
        return local
    base = env.get("XDG_CONFIG_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(_home(env), ".config")
    candidate = Path(base) / "warroom" / "config.toml"
    return candidate if os.path.exists(candidate) else None
