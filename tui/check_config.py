"""`warroom check-config [PATH]`: the config read as the app would read it (keys included), then
one line per thing that would be watched, and warnings for what is not there yet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tui.config.load import find_config, load_config, show
from tui.config.schema import ALL_NAMESPACES, IN_CLUSTER, Config
from tui.core.errors import UserError


def _secs(value: float) -> str:
    return f"{value:g} s"


def _argv(command: tuple[str, ...]) -> str:
    import shlex

    return shlex.join(command)


def describe_config(config: Config) -> list[str]:
    """What would be watched, one line per thing, for `warroom check-config`."""
    from tui.core.untrusted import one_line

    def q(text: object) -> str:
        return one_line(str(text), 160)

    lines = [f"read-only: {'yes' if config.read_only else 'no'}"]
    lines.append(f"theme: {q(config.theme) if config.theme else 'default'}")
    if config.actor:
        lines.append(f"actor: {q(config.actor)} (--as and $WARROOM_ACTOR win)")
    lines.append(
        f"database: {q(config.db) if config.db else 'default ($XDG_STATE_HOME/warroom/incidents.db)'}"
    )
    if config.cluster is None:
        lines.append("cluster: none (no pods panel)")
    else:
        c = config.cluster
        if c.namespaces == (ALL_NAMESPACES,):
            namespaces = "all (one cluster-wide watch, as kubectl get pods -A)"
        else:
            namespaces = ", ".join(c.namespaces) if c.namespaces else "the context's namespace"
        selector = f", pods with labels {q(c.selector)}" if c.selector else ""
        lines.append(
            f"cluster: context {q(c.context) if c.context else '(current)'}, "
            f"kubeconfig {q(c.kubeconfig) if c.kubeconfig else '$KUBECONFIG or ~/.kube/config'}, "
            f"namespaces {namespaces}{selector}; pods and deployments listed once, then watched; "
            f"timeout {_secs(c.timeout_s)}; l shows the last {c.log_tail} lines of each container"
        )
    if config.prometheus is None:
        lines.append("prometheus: none (no SLOs)")
    else:
        p = config.prometheus
        auth = (
            f", bearer token from {q(p.bearer_token_file)}"
            if p.bearer_token_file
            else f", basic auth as {q(p.username)}"
            if p.username
            else ""
        )
        lines.append(
            f"prometheus: {q(p.url)}{auth}; every {_secs(p.interval_s)}, timeout {_secs(p.timeout_s)}"
        )
    if config.loki is not None:
        lines.append(f"loki: {q(config.loki.url)}; timeout {_secs(config.loki.timeout_s)}")
    lines.append(f"services: {len(config.services)}, at most {config.health.max_concurrency} checks at once")
    for s in config.services:
        check = f"GET {s.url}" if s.url else f"tcp {s.tcp}" if s.tcp else f"command {_argv(s.command or ())}"
        target = ""
        if s.deployment:
            target = f"; deployment {s.namespace + '/' if s.namespace else ''}{s.deployment}"
        lines.append(
            f"  {q(s.name)}: {q(check)} every {_secs(s.interval_s)}, timeout {_secs(s.timeout_s)}{q(target)}"
        )
    lines.append(f"slos: {len(config.slos)}")
    for slo in config.slos:
        if slo.kind == "ratio":
            what = f"ratio, objective {slo.objective:g} % over {slo.window}"
        else:
            levels = "".join(
                f", {label} at {level:g}"
                for label, level in (("warn", slo.warn), ("breach", slo.breach))
                if level is not None
            )
            what = f"threshold, objective {slo.objective:g}{levels} on {slo.query}"
        lines.append(f"  {q(slo.name)}: {q(what)}")
    lines.append(f"logs: {len(config.logs)}")
    for log in config.logs:
        if log.kind == "file":
            what = f"file {log.path}"
        elif log.kind == "loki":
            what = f"loki {log.query}"
        else:
            what = "kubernetes pods" + (f" {log.selector}" if log.selector else "")
            what += f" in {log.namespace}" if log.namespace else ""
            what += f", the last {log.tail if log.tail is not None else 100} lines first"
        lines.append(f"  {q(log.name or log.kind)}: {q(what)}")
    lines.append(f"actions: {len(config.actions)}")
    for a in config.actions:
        if a.command is not None:
            what = _argv(("sh", "-c", a.command[0])) if a.shell else _argv(a.command)
        else:
            http = a.http or {}
            what = f"{http.get('method')} {http.get('url')}"
        key = f"[{a.key}]" if a.key else "[no key]"
        lines.append(f"  {q(key)} {q(a.name)}: {q(what)} (scope {a.scope}, timeout {_secs(a.timeout_s)})")
    cadence = ", ".join(
        f"{s.name} every {s.update_every_min:g} min" if s.update_every_min else f"{s.name} no cadence"
        for s in config.severities
    )
    lines.append(f"severities: {q(cadence)}")
    d = config.detection
    lines.append(
        f"detection: a state is recorded after {_secs(d.hold_s)}; flapping at {d.flap_changes} changes "
        f"in {_secs(d.flap_window_s)}"
    )
    remaps = ", ".join(f"{name} = {show(keys)}" for name, keys in config.keys.items())
    lines.append(f"keys: {q(remaps) if remaps else 'the defaults'}")
    return lines


_TLS_FILES = ("ca_file", "client_cert", "client_key")


def config_warnings(config: Config) -> list[str]:
    """Not errors (a secret may be mounted later), but worth a line: files that are not there
    yet, and a config that watches nothing."""
    files: list[tuple[str, str | None]] = []
    if config.cluster and config.cluster.kubeconfig and config.cluster.kubeconfig != IN_CLUSTER:
        paths = config.cluster.kubeconfig.split(os.pathsep)
        if not any(Path(p).exists() for p in paths):
            files.append(("cluster.kubeconfig", config.cluster.kubeconfig))
    if config.prometheus:
        for key in ("bearer_token_file", "password_file", *_TLS_FILES):
            files.append((f"prometheus.{key}", getattr(config.prometheus, key)))
    if config.loki:
        for key in ("bearer_token_file", *_TLS_FILES):
            files.append((f"loki.{key}", getattr(config.loki, key)))
    for i, s in enumerate(config.services):
        for key in ("bearer_token_file", *_TLS_FILES):
            files.append((f"services[{i}].{key}", getattr(s, key)))
    for i, log in enumerate(config.logs):
        files.append((f"logs[{i}].path", log.path))
    for i, a in enumerate(config.actions):
        token = (a.http or {}).get("token_file")
        files.append((f"actions[{i}].http.token_file", str(token) if token else None))
    out = [
        f"{key}: {show(path, 500)} does not exist (yet)"
        for key, path in files
        if path and not Path(path).exists()
    ]
    if not (config.cluster or config.services or config.logs or (config.prometheus and config.slos)):
        out.append("nothing to watch: no [cluster], [[services]], [[logs]] or [[slos]] with [prometheus]")
    return out


def _check_keys(config: Config) -> None:
    """The `[keys]` ids exist and clash with nothing, nor do the `[[actions]]` keys: what the app
    checks as it starts, so that check-config passing means the start will too."""
    if config.keys or any(action.key for action in config.actions):
        from tui.app import check_app_keymap

        check_app_keymap(config.keys, str(config.source), config.actions)


def check_config_main(path: str | None) -> int:
    """`warroom check-config [PATH]`: 0 and what would be watched, or 2 and the one line."""
    from tui.core.untrusted import one_line

    try:
        found = Path(path) if path else find_config(None)
        if found is None:
            print(
                "warroom check-config: no config found (./warroom.toml, $WARROOM_CONFIG, "
                "$XDG_CONFIG_HOME/warroom/config.toml); give a PATH",
                file=sys.stderr,
            )
            return 2
        config = load_config(found)
        _check_keys(config)
    except UserError as err:
        print(one_line(str(err), 2000), file=sys.stderr)
        return 2
    shown = one_line(str(found), 500)  # a file name can hold escape sequences: never echoed raw
    print(f"{shown}: valid")
    for line in describe_config(config):
        print(line)
    for line in config_warnings(config):
        print(f"{shown}: warning: {line}", file=sys.stderr)
    return 0
