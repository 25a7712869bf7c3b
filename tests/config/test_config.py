"""The config file: every malformed file ends in its one exact line; the search order; the
example covers every key and loads; and `warroom check-config` end to end in a real process."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tui.check_config import config_warnings
from tui.config.load import ConfigError, find_config, load_config, parse_config
from tui.config.schema import (
    DEFAULT_SEVERITIES,
    ActionConfig,
    ClusterConfig,
    Config,
    LogConfig,
    LokiConfig,
    PrometheusConfig,
    ServiceConfig,
    SeverityConfig,
    SloConfig,
)
from tui.core.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "warroom.example.toml"

PROM = '[prometheus]\nurl = "http://127.0.0.1:9090"\n'
SVC = '[[services]]\nname = "api"\nurl = "http://127.0.0.1:8080/health"\n'

# (file text, the exact one line). Written to ./warroom.toml, so that is the name as given.
MALFORMED = {
    "toml-syntax": (
        "read_only = false\n\n[cluster]\ncontext = \n",
        "line 4, column 11: invalid TOML: invalid value",
    ),
    "toml-unterminated": ('theme = "warroom\n', "line 1, column 17: invalid TOML: illegal character '\\n'"),
    "toml-eof": ('db = """x\n', "end of file: invalid TOML: unterminated string"),
    "toml-duplicate-table": (
        "[cluster]\n[cluster]\n",
        "line 2, column 9: invalid TOML: cannot declare [cluster] twice",
    ),
    "timeout-not-a-number": (
        SVC * 2 + '[[services]]\nname = "c"\ntcp = "127.0.0.1:6379"\ntimeout_s = "fast"\n',
        'services[2].timeout_s: expected a number > 0, got "fast"',
    ),
    "interval-zero": (SVC + "interval_s = 0\n", "services[0].interval_s: expected a number > 0, got 0"),
    "interval-negative": (
        "[cluster]\ninterval_s = -2\n",
        "cluster.interval_s: expected a number > 0, got -2",
    ),
    "interval-nan": (SVC + "interval_s = nan\n", "services[0].interval_s: expected a number > 0, got nan"),
    "interval-bool": (PROM + "timeout_s = true\n", "prometheus.timeout_s: expected a number > 0, got true"),
    "unknown-key-close": (
        SVC + "timout_s = 3\n",
        'services[0].timout_s: unknown key (did you mean "timeout_s"?)',
    ),
    "unknown-key-top": ("readonly = true\n", 'readonly: unknown key (did you mean "read_only"?)'),
    "unknown-key-far": (
        "[loki]\nurl = 'http://l'\nfavourite_colour = 'red'\n",
        "loki.favourite_colour: unknown key",
    ),
    "unknown-table": ("[grafana]\nurl = 'http://g'\n", "grafana: unknown key"),
    "service-no-check": (
        '[[services]]\nname = "redis"\n',
        "services[0]: expected exactly one of url, tcp or command, got none",
    ),
    "service-two-checks": (
        SVC + 'tcp = "127.0.0.1:8080"\n',
        "services[0]: expected exactly one of url, tcp or command, got url and tcp",
    ),
    "service-no-name": (
        '[[services]]\nurl = "http://x"\n',
        "services[0].name: expected a non-empty string, got nothing",
    ),
    "service-empty-name": (
        '[[services]]\nname = " "\ntcp = "h:1"\n',
        'services[0].name: expected a non-empty string, got " "',
    ),
    "url-scheme": (
        '[[services]]\nname = "a"\nurl = "ftp://files.lomashwood.com/health"\n',
        'services[0].url: expected an http:// or https:// URL, got "ftp://files.lomashwood.com/health"',
    ),
    "url-no-host": (
        '[loki]\nurl = "http://"\n',
        'loki.url: expected an http:// or https:// URL, got "http://"',
    ),
    "prometheus-no-url": (
        "[prometheus]\ntimeout_s = 5\n",
        "prometheus.url: expected an http:// or https:// URL, got nothing",
    ),
    "tcp-no-port": (
        '[[services]]\nname = "redis"\ntcp = "redis-master"\n',
        'services[0].tcp: expected "host:port" such as "127.0.0.1:6379", got "redis-master"',
    ),
    "tcp-port-range": (
        '[[services]]\nname = "redis"\ntcp = "redis:70000"\n',
        'services[0].tcp: expected "host:port" such as "127.0.0.1:6379", got "redis:70000"',
    ),
    "command-empty": (
        '[[services]]\nname = "pg"\ncommand = []\n',
        "services[0].command: expected a non-empty list of strings, got []",
    ),
    "command-string": (
        '[[services]]\nname = "pg"\ncommand = "pg_isready"\n',
        'services[0].command: expected a non-empty list of strings, got "pg_isready"',
    ),
    "command-not-strings": (
        '[[services]]\nname = "pg"\ncommand = ["pg_isready", 5432]\n',
        'services[0].command: expected a non-empty list of strings, got ["pg_isready", 5432]',
    ),
    "tls-on-tcp": (
        '[[services]]\nname = "redis"\ntcp = "h:6379"\ninsecure = true\n',
        "services[0].insecure: only used by a url check, not tcp",
    ),
    "duplicate-service": (
        SVC + '[[services]]\nname = "db"\ntcp = "h:5432"\n' + SVC,
        'services[2].name: expected a unique service name, got "api" (services[0] has it too)',
    ),
    "slo-both": (
        PROM + '[[slos]]\nname = "a"\nobjective = 99.9\nwindow = "30d"\n'
        'error_ratio = "x[{{window}}]"\nquery = "y"\n',
        "slos[0]: expected exactly one of error_ratio (a ratio SLO) or query (a threshold SLO), got both",
    ),
    "slo-neither": (
        PROM + '[[slos]]\nname = "a"\nobjective = 99.9\n',
        "slos[0]: expected exactly one of error_ratio (a ratio SLO) or query (a threshold SLO), got neither",
    ),
    "slo-objective-100": (
        PROM + '[[slos]]\nname = "a"\nobjective = 100\nwindow = "30d"\nerror_ratio = "x[{{window}}]"\n',
        "slos[0].objective: expected a percentage between 0 and 100 (exclusive), got 100",
    ),
    "slo-objective-zero": (
        PROM + '[[slos]]\nname = "a"\nobjective = 0.0\nwindow = "30d"\nerror_ratio = "x[{{window}}]"\n',
        "slos[0].objective: expected a percentage between 0 and 100 (exclusive), got 0.0",
    ),
    "slo-window": (
        PROM + '[[slos]]\nname = "a"\nobjective = 99.9\nwindow = "30 days"\nerror_ratio = "x[{{window}}]"\n',
        'slos[0].window: expected a duration such as "30d", "6h" or "5m", got "30 days"',
    ),
    "slo-window-missing": (
        PROM + '[[slos]]\nname = "a"\nobjective = 99.9\nerror_ratio = "x[{{window}}]"\n',
        'slos[0].window: expected a duration such as "30d", "6h" or "5m", got nothing',
    ),
    "slo-no-placeholder": (
        PROM + '[[slos]]\nname = "a"\nobjective = 99.9\nwindow = "30d"\nerror_ratio = "rate(x[5m])"\n',
        'slos[0].error_ratio: expected a PromQL expression with {{window}} as its range, got "rate(x[5m])"',
    ),
    "slo-warn-after-breach": (
        PROM
        + '[[slos]]\nname = "Celery backlog"\nquery = "sum(q)"\nobjective = 50\nwarn = 100\nbreach = 75\n',
        "slos[0].breach: expected a number > warn (100), got 75",
    ),
    "slo-warn-below-objective": (
        PROM + '[[slos]]\nname = "b"\nquery = "sum(q)"\nobjective = 50\nwarn = 40\n',
        "slos[0].warn: expected a number >= objective (50), got 40",
    ),
    "slo-warn-on-ratio": (
        PROM
        + '[[slos]]\nname = "a"\nobjective = 99\nwindow = "1d"\nerror_ratio = "x[{{window}}]"\nwarn = 1\n',
        "slos[0].warn: only for a threshold SLO (one with query)",
    ),
    "slo-without-prometheus": (
        '[[slos]]\nname = "b"\nquery = "sum(q)"\nobjective = 50\n',
        "slos: expected a [prometheus] table to query them, got none",
    ),
    "logs-kind": (
        '[[logs]]\nkind = "syslog"\n',
        'logs[0].kind: expected one of "kubernetes", "loki", "file", got "syslog"',
    ),
    "logs-file-no-path": ('[[logs]]\nkind = "file"\n', "logs[0].path: expected a file path, got nothing"),
    "logs-loki-no-query": (
        '[loki]\nurl = "http://l:3100"\n[[logs]]\nkind = "loki"\n',
        "logs[0].query: expected a LogQL query such as '{app=\"auth\"}', got nothing",
    ),
    "logs-loki-no-table": (
        '[[logs]]\nkind = "loki"\nquery = \'{app="auth"}\'\n',
        'logs[0]: kind "loki" needs a [loki] table with its url, got none',
    ),
    "logs-kubernetes-no-selector": (
        '[[logs]]\nkind = "kubernetes"\n',
        'logs[0]: expected selector or namespace for kind "kubernetes", got neither',
    ),
    "logs-key-of-other-kind": (
        '[[logs]]\nkind = "kubernetes"\nselector = "app=auth"\nquery = "x"\n',
        'logs[0].query: not used by kind "kubernetes" (only by "loki")',
    ),
    "actor-markup": (
        'actor = "[b]alice[/b]"\n',
        "actor: expected a name of letters, digits, spaces and . _ - ' @ + (at most 64 characters), "
        'got "[b]alice[/b]"',
    ),
    "actor-escape": (
        'actor = "bob\\u001b[2J"\n',
        "actor: expected a name of letters, digits, spaces and . _ - ' @ + (at most 64 characters), "
        'got "bob\\u001b[2J"',
    ),
    "action-neither": (
        '[[actions]]\nname = "a"\n',
        "actions[0]: expected exactly one of command or http, got neither",
    ),
    "action-both": (
        '[[actions]]\nname = "a"\ncommand = ["true"]\nhttp = { url = "http://x" }\n',
        "actions[0]: expected exactly one of command or http, got command and http",
    ),
    "action-http-no-url": (
        '[[actions]]\nname = "a"\n[actions.http]\nmethod = "POST"\n',
        "actions[0].http.url: expected an http:// or https:// URL, got nothing",
    ),
    "action-http-typo": (
        '[[actions]]\nname = "a"\nhttp = { url = "http://x", methd = "GET" }\n',
        'actions[0].http.methd: unknown key (did you mean "method"?)',
    ),
    "action-http-header": (
        '[[actions]]\nname = "a"\nhttp = { url = "http://x", headers = { X-Retries = 3 } }\n',
        "actions[0].http.headers.X-Retries: expected a string, got 3",
    ),
    "action-two-keys": (
        '[[actions]]\nname = "a"\nkey = "K,L"\ncommand = ["true"]\n',
        'actions[0].key: expected one key such as "K" or "ctrl+k", got "K,L"',
    ),
    "action-duplicate-key": (
        '[[actions]]\nname = "a"\nkey = "K"\ncommand = ["true"]\n'
        '[[actions]]\nname = "b"\nkey = "K"\ncommand = ["false"]\n',
        'actions[1].key: expected a key no other action uses, got "K" (actions[0] has it too)',
    ),
    "action-scope": (
        '[[actions]]\nname = "a"\ncommand = ["true"]\nscope = "node"\n',
        'actions[0].scope: expected one of "global", "service", "deployment", "pod", "log line", got "node"',
    ),
    "action-shell-argv": (
        '[[actions]]\nname = "a"\nshell = true\ncommand = ["redis-cli", "ping"]\n',
        'actions[0].command: expected one string for the shell (shell = true), got ["redis-cli", "ping"]',
    ),
    "keys-not-string": (
        '[keys]\n"app.quit" = 5\n',
        'keys."app.quit": expected a key such as "ctrl+r" or "f5" (several: "ctrl+r,f5"), got 5',
    ),
    "keys-not-table": ('keys = "vim"\n', 'keys: expected a table ([keys]), got "vim"'),
    "detection-hold": (
        "[detection]\nhold_s = -1\n",
        "detection.hold_s: expected a number of seconds >= 0, got -1",
    ),
    "detection-hold-text": (
        '[detection]\nhold_s = "10s"\n',
        'detection.hold_s: expected a number, got "10s"',
    ),
    "detection-flaps": (
        "[detection]\nflap_changes = 1\n",
        "detection.flap_changes: expected an integer >= 2 (changes within flap_window_s), got 1",
    ),
    "detection-window": (
        "[detection]\nflap_window_s = 0\n",
        "detection.flap_window_s: expected a number > 0, got 0",
    ),
    "detection-unknown": ("[detection]\nhold = 5\n", 'detection.hold: unknown key (did you mean "hold_s"?)'),
    "severity-rank": (
        '[[severities]]\nname = "SEV1"\nrank = 0\n',
        "severities[0].rank: expected an integer >= 1 (1 is the worst), got 0",
    ),
    "severity-rank-float": (
        '[[severities]]\nname = "SEV1"\nrank = 1.5\n',
        "severities[0].rank: expected an integer >= 1 (1 is the worst), got 1.5",
    ),
    "severity-cadence": (
        '[[severities]]\nname = "SEV1"\nrank = 1\nupdate_every_min = "15m"\n',
        'severities[0].update_every_min: expected a number > 0, got "15m"',
    ),
    "severity-no-name": (
        "[[severities]]\nrank = 1\n",
        "severities[0].name: expected a non-empty string, got nothing",
    ),
    "severity-duplicate": (
        '[[severities]]\nname = "SEV1"\nrank = 1\n[[severities]]\nname = "sev1"\nrank = 2\n',
        'severities[1].name: expected a unique severity name, got "sev1" (severities[0] has it too)',
    ),
    "severities-empty": (
        "severities = []\n",
        "severities: expected at least one [[severities]] table, got []",
    ),
    "read-only-string": ('read_only = "yes"\n', 'read_only: expected true or false, got "yes"'),
    "services-a-table": (
        '[services]\nname = "api"\n',
        "services: expected an array of tables ([[services]]), got a table",
    ),
    "cluster-not-table": ('cluster = "prod"\n', 'cluster: expected a table ([cluster]), got "prod"'),
    "namespaces-string": (
        '[cluster]\nnamespaces = "lomash-wood"\n',
        'cluster.namespaces: expected a list of namespace names such as ["lomash-wood"], or ["*"] for all, '
        'got "lomash-wood"',
    ),
    "namespaces-all-and-some": (
        '[cluster]\nnamespaces = ["*", "payments"]\n',
        'cluster.namespaces: "*" means every namespace and stands alone, got ["*", "payments"]',
    ),
    "selector-malformed": (
        '[cluster]\nselector = "app=web,,tier!=db"\n',
        'cluster.selector: expected a label selector such as "app=web,tier!=db": '
        "empty term in selector 'app=web,,tier!=db'",
    ),
    "log-tail-negative": (
        "[cluster]\nlog_tail = -1\n",
        "cluster.log_tail: expected a whole number of lines from 0 to 10000, such as 200, got -1",
    ),
    "log-tail-not-whole": (
        '[[logs]]\nkind = "kubernetes"\nselector = "app=web"\ntail = 2.5\n',
        "logs[0].tail: expected a whole number of lines from 0 to 10000, such as 200, got 2.5",
    ),
    "log-tail-on-a-file": (
        '[[logs]]\nkind = "file"\npath = "/var/log/x.log"\ntail = 300\n',
        'logs[0].tail: not used by kind "file" (only by "kubernetes")',
    ),
    "client-key-without-cert": (
        PROM + 'client_key = "/etc/warroom/client.key"\n',
        "prometheus.client_key: needs client_cert (the certificate the key belongs to)",
    ),
    "client-cert-on-command": (
        '[[services]]\nname = "q"\ncommand = ["true"]\nclient_cert = "c.pem"\n',
        "services[0].client_cert: only used by a url check, not command",
    ),
    "basic-auth-half": (
        PROM + 'username = "warroom"\n',
        "prometheus: expected both username and password_file (basic auth), got only username",
    ),
    "control-characters-shown-safely": (
        '[[services]]\nname = "a"\ntcp = "redis\\u001b]0;owned\\u0007:6379"\n',
        'services[0].tcp: expected "host:port" such as "127.0.0.1:6379", '
        'got "redis\\u001b]0;owned\\u0007:6379"',
    ),
}


@pytest.mark.parametrize(("text", "message"), list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_file_is_one_exact_line(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "warroom.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("warroom.toml"))
    assert str(caught.value) == f"warroom.toml: {message}"
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, UserError)  # so the CLI prints it and exits 2


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^nowhere\.toml: no such file$"):
        load_config(Path("nowhere.toml"))
    (tmp_path / "conf.d").mkdir()
    with pytest.raises(ConfigError, match=r"^conf\.d: is a directory, not a file$"):
        load_config(Path("conf.d"))
    (tmp_path / "latin1.toml").write_bytes(b'# ok\nname = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"^latin1\.toml: line 2: not UTF-8 text"):
        load_config(Path("latin1.toml"))


def test_a_good_file_becomes_typed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "warroom.toml"
    path.write_text(
        """
db = "~/incidents.db"
[cluster]
kubeconfig = "~/.kube/prod"
namespaces = ["lomash-wood"]
[prometheus]
url = "http://127.0.0.1:9090"
bearer_token_file = "~/prom.token"
timeout_s = 3
[[services]]
name = "redis"
tcp = "[::1]:6379"
[[slos]]
name = "Celery backlog"
query = "sum(celery_queue_length)"
objective = 50
breach = 100
[[actions]]
name = "failover"
shell = true
command = 'redis-cli -a "$REDIS_PASSWORD" FAILOVER'
[[actions]]
name = "flag"
key = "*"
http = { url = "https://flags.example/api", body = { value = "on" } }
[[severities]]
name = "P2"
rank = 2
[[severities]]
name = "P0"
rank = 1
update_every_min = 5
[keys]
app.quit = "ctrl+q"
"""
    )
    config = load_config(path)
    assert config.source == path
    assert config.db == str(tmp_path / "incidents.db")
    assert config.cluster == ClusterConfig(
        kubeconfig=str(tmp_path / ".kube/prod"), namespaces=("lomash-wood",)
    )
    every = tmp_path / "every.toml"
    every.write_text('[cluster]\nnamespaces = ["*"]\nselector = "app in (web, api),tier!=db"\n')
    wanted = ClusterConfig(namespaces=("*",), selector="app in (web, api),tier!=db")
    assert load_config(every).cluster == wanted
    tails = tmp_path / "tails.toml"
    tails.write_text(
        '[cluster]\nlog_tail = 300\n[[logs]]\nkind = "kubernetes"\nnamespace = "shop"\ntail = 0\n'
    )
    tailed = load_config(tails)
    assert tailed.cluster is not None and tailed.cluster.log_tail == 300 and tailed.logs[0].tail == 0
    assert ClusterConfig().log_tail == 200  # the runbooks' kubectl logs --tail=200
    assert config.prometheus == PrometheusConfig(
        url="http://127.0.0.1:9090", bearer_token_file=str(tmp_path / "prom.token"), timeout_s=3.0
    )
    assert config.services == (ServiceConfig(name="redis", tcp="[::1]:6379"),)
    assert config.slos[0].kind == "threshold" and config.slos[0].breach == 100.0
    assert config.actions[0].command == ('redis-cli -a "$REDIS_PASSWORD" FAILOVER',)
    assert config.actions[1].http == {
        "method": "POST",
        "url": "https://flags.example/api",
        "body": {"value": "on"},
    }
    assert config.severities == (SeverityConfig("P0", 1, 5.0), SeverityConfig("P2", 2, None))  # by rank
    assert config.keys == {"app.quit": "ctrl+q"}  # the unquoted dotted id, read back as meant
    # A missing token file is not an error (it may be mounted later), but it is worth a warning.
    assert config_warnings(config) == [
        f'cluster.kubeconfig: "{tmp_path / ".kube/prod"}" does not exist (yet)',
        f'prometheus.bearer_token_file: "{tmp_path / "prom.token"}" does not exist (yet)',
    ]


def test_an_empty_file_keeps_the_defaults() -> None:
    config = parse_config({}, "empty.toml")
    assert config == Config()
    assert config.severities == DEFAULT_SEVERITIES
    in_cluster = parse_config({"cluster": {"kubeconfig": "in-cluster"}}, "x.toml").cluster
    assert in_cluster == ClusterConfig(kubeconfig="in-cluster")  # a keyword, not a path to expand


# --- where the config is found --------------------------------------------------------------------


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_find_config_order(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    env = {"HOME": str(home)}
    assert find_config(None, env, work) is None

    default_xdg = _touch(home / ".config/warroom/config.toml")
    assert find_config(None, env, work) == default_xdg
    xdg = _touch(tmp_path / "xdg/warroom/config.toml")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    assert find_config(None, env, work) == xdg
    # A relative $XDG_CONFIG_HOME is ignored, as the XDG spec says.
    assert find_config(None, {**env, "XDG_CONFIG_HOME": "xdg"}, work) == default_xdg

    local = _touch(work / "warroom.toml")
    assert find_config(None, env, work) == local
    named = _touch(tmp_path / "named.toml")
    env["WARROOM_CONFIG"] = str(named)
    assert find_config(None, env, work) == named
    flagged = _touch(work / "flag.toml")
    assert find_config("flag.toml", env, work) == flagged  # relative to the working directory
    assert find_config("~/.config/warroom/config.toml", env, work) == default_xdg


def test_a_named_config_that_is_missing_is_an_error_not_a_fall_through(tmp_path: Path) -> None:
    _touch(tmp_path / "warroom.toml")  # would be found next; must not be
    env = {"HOME": str(tmp_path), "WARROOM_CONFIG": "gone.toml"}
    with pytest.raises(ConfigError, match=r"^missing\.toml: no such file \(from --config\)$"):
        find_config("missing.toml", env, tmp_path)
    with pytest.raises(ConfigError, match=r"^gone\.toml: no such file \(from \$WARROOM_CONFIG\)$"):
        find_config(None, env, tmp_path)
    assert find_config(None, {**env, "WARROOM_CONFIG": ""}, tmp_path) == tmp_path / "warroom.toml"


# --- the example ----------------------------------------------------------------------------------

SECTIONS: dict[type, str] = {
    Config: "",
    ClusterConfig: "cluster",
    PrometheusConfig: "prometheus",
    LokiConfig: "loki",
    ServiceConfig: "services",
    SloConfig: "slos",
    LogConfig: "logs",
    ActionConfig: "actions",
    SeverityConfig: "severities",
}
HTTP_KEYS = {"method", "url", "headers", "token_file", "body"}  # ActionConfig.http's documented keys


def _keys_in_example() -> dict[str, set[str]]:
    """Per section: the keys set in the example, and the alternatives shown commented out
    (`# username = ...` under [prometheus]) — both count as documented."""
    data = tomllib.loads(EXAMPLE.read_text())
    found: dict[str, set[str]] = {"": set(data)}
    for name, value in data.items():
        tables = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for table in tables:
            found.setdefault(name, set()).update(table)
            if name == "actions" and isinstance(table.get("http"), dict):
                found.setdefault("actions.http", set()).update(table["http"])
    section = ""
    for line in EXAMPLE.read_text().splitlines():
        if header := re.match(r"\s*\[\[?([\w.]+)\]\]?", line):
            section = header.group(1)
        elif commented := re.match(r"\s*#\s*(\w+)\s*=", line):
            found.setdefault(section, set()).add(commented.group(1))
    return found


def test_the_example_documents_every_key() -> None:
    found = _keys_in_example()
    for cls, section in SECTIONS.items():
        for f in dataclasses.fields(cls):
            if cls is Config and f.name == "source":
                continue  # where the config came from, not a key
            assert f.name in found.get(section, set()), f"{cls.__name__}.{f.name} is not in the example"
    assert found["actions.http"] >= HTTP_KEYS


def test_the_example_loads_with_the_runbooks_services() -> None:
    config = load_config(EXAMPLE)
    names = {s.name for s in config.services}
    assert {"api-gateway", "auth", "order-payment", "notification", "postgres", "redis"} <= names
    checks = {s.name: s for s in config.services}
    assert checks["postgres"].command and checks["postgres"].command[0] == "pg_isready"
    assert checks["redis"].tcp and checks["redis-ping"].command == (
        "redis-cli",
        "-h",
        "redis-master.lomash-wood.svc",
        "ping",
    )
    assert {s.kind for s in config.slos} == {"ratio", "threshold"}
    assert {log.kind for log in config.logs} == {"kubernetes", "loki", "file"}
    assert all(not str(p).startswith("~") for p in (config.db, config.cluster and config.cluster.kubeconfig))


def test_the_examples_key_remaps_name_real_bindings() -> None:
    from tui.app import WarroomApp
    from tui.keys import binding_infos, check_keymap

    config = load_config(EXAMPLE)
    assert config.keys
    check_keymap(config.keys, binding_infos("app", WarroomApp.BINDINGS), str(EXAMPLE))


# --- through the real command line ----------------------------------------------------------------


def _warroom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WARROOM_CONFIG", "XDG_CONFIG_HOME")}
    env.update(HOME=str(cwd), PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_config_lists_what_would_be_watched(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(
        PROM
        + 'bearer_token_file = "~/secrets/prom.token"\n'
        + '[cluster]\ncontext = "prod"\nnamespaces = ["lomash-wood"]\n'
        + SVC
        + "interval_s = 5\n"
        + '[[services]]\nname = "postgres"\ncommand = ["pg_isready", "-h", "db"]\ninterval_s = 10\n'
        + '[[slos]]\nname = "API availability"\nobjective = 99.9\nwindow = "30d"\n'
        + "error_ratio = 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'\n"
        + '[[logs]]\nkind = "kubernetes"\nselector = "app=api-gateway"\n'
        + '[[actions]]\nname = "Kill idle DB connections"\nkey = "K"\ncommand = ["psql", "-c", "SELECT 1"]\n'
    )
    result = _warroom("check-config", "good.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("good.toml: valid\n")
    assert "cluster: context prod" in out and "namespaces lomash-wood" in out
    assert "prometheus: http://127.0.0.1:9090" in out
    assert "  api: GET http://127.0.0.1:8080/health every 5 s" in out
    assert "  postgres: command pg_isready -h db every 10 s" in out
    assert "  API availability: ratio, objective 99.9 % over 30d" in out
    assert "  kubernetes: kubernetes pods app=api-gateway, the last 100 lines first" in out
    assert "l shows the last 200 lines of each container" in out
    assert "  [K] Kill idle DB connections: psql -c 'SELECT 1'" in out
    token = tmp_path / "secrets" / "prom.token"
    assert (
        result.stderr == f'good.toml: warning: prometheus.bearer_token_file: "{token}" does not exist (yet)\n'
    )

    _touch(token)  # the secret appears: the warning goes
    assert _warroom("check-config", "good.toml", cwd=tmp_path).stderr == ""

    (tmp_path / "all.toml").write_text('[cluster]\nnamespaces = ["*"]\nselector = "app=web,tier!=db"\n')
    out = _warroom("check-config", "all.toml", cwd=tmp_path).stdout
    assert (
        "namespaces all (one cluster-wide watch, as kubectl get pods -A), pods with labels app=web,tier!=db; "
        "pods and deployments listed once, then watched" in out
    ), out


def test_check_config_of_a_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "warroom.toml").write_text(MALFORMED["timeout-not-a-number"][0])
    result = _warroom("check-config", "warroom.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == 'warroom.toml: services[2].timeout_s: expected a number > 0, got "fast"\n'

    result = _warroom("check-config", cwd=tmp_path)  # no PATH: ./warroom.toml is found
    assert (result.returncode, result.stderr) == (
        2,
        'warroom.toml: services[2].timeout_s: expected a number > 0, got "fast"\n',
    )

    (tmp_path / "keys.toml").write_text('[keys]\n"app.qiut" = "x"\n')  # what the app would refuse at start
    result = _warroom("check-config", "keys.toml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "keys.toml: keys.app.qiut: unknown binding id (see ? for the ids)\n",
    )


def test_no_config_and_a_missing_config_are_one_line(tmp_path: Path) -> None:
    result = _warroom("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no config found" in result.stderr

    for args in (("check-config", "missing.toml"), ("--config", "missing.toml")):
        result = _warroom(*args, cwd=tmp_path)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1
    assert result.stderr == "warroom: missing.toml: no such file (from --config)\n"
