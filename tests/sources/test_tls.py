"""TLS failures, in one readable line with their reason, from every source that speaks HTTPS:
health checks and Loki (httpx), Prometheus (httpx), Kubernetes (the kubernetes client, urllib3),
against real TLS servers on 127.0.0.1 (tests/servers/tls.py makes the certificates). urllib3 used
to give "MaxRetryError: HTTPSConnectionPool(host=…, port=…): Max retries exceeded…", cut before
the reason."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kmock
import pytest

from tests.servers.http import HttpServer, json_reply
from tests.servers.kube import declare_resources, pod, seed, write_kubeconfig
from tests.servers.tls import Tls, ca_signed, client_cert_required, kmock_tls_server, self_signed
from tests.timebase import T0
from tui.config.schema import ClusterConfig, LogConfig, LokiConfig, PrometheusConfig, ServiceConfig, SloConfig
from tui.core.clock import FrozenClock
from tui.sources.base import SourceError
from tui.sources.health import HealthSource
from tui.sources.kubernetes.logs import KubernetesLogSource
from tui.sources.kubernetes.pods import KubernetesSource
from tui.sources.logs.loki import LokiLogSource
from tui.sources.prometheus import SloSource

SELF_SIGNED = "certificate verify failed: self-signed certificate"
UNKNOWN_CA = "certificate verify failed: unable to get local issuer certificate"
EXPIRED = "certificate verify failed: certificate has expired"
WRONG_NAME = "certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'"
NOT_TLS = ("wrong version number (is it a TLS port?)", "record layer failure (is it a TLS port?)")

PROMETHEUS_OK = {"status": "success", "data": {"resultType": "vector", "result": []}}
LOKI_OK = {"status": "success", "data": {"resultType": "streams", "result": []}}
THRESHOLD = [SloConfig(name="backlog", objective=50, warn=75, breach=100, query="sum(q)")]


@pytest.fixture(params=["self-signed", "unknown-ca", "expired", "wrong-name"])
def bad_tls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[HttpServer, str]]:
    """An HTTPS server whose certificate a client without a CA file must refuse, and why."""
    kind = request.param
    tls: Tls
    if kind == "self-signed":
        tls, reason = self_signed(tmp_path), SELF_SIGNED
    elif kind == "unknown-ca":
        tls, reason = ca_signed(tmp_path), UNKNOWN_CA
    elif kind == "expired":
        tls, reason = ca_signed(tmp_path, expired=True), UNKNOWN_CA  # no trusted CA: that comes first
    else:
        tls, reason = ca_signed(tmp_path, "db.internal.example"), UNKNOWN_CA
    answers = {"status": "ok", **PROMETHEUS_OK}
    with HttpServer(default=json_reply(answers), ssl_context=tls.server) as server:
        yield server, reason


async def _error_of(source: Any) -> str:
    try:
        with pytest.raises(SourceError) as caught:
            await source.poll()
    finally:
        await source.close()
    message = str(caught.value)
    assert "\n" not in message and "MaxRetryError" not in message and "HTTPSConnectionPool" not in message
    return message


async def test_health_check_says_why_tls_failed(bad_tls: tuple[HttpServer, str]) -> None:
    server, reason = bad_tls
    source = HealthSource([ServiceConfig("api", url=server.url("/health"), timeout_s=3)], FrozenClock(T0))
    try:
        (row,) = (await source.poll()).services
    finally:
        await source.close()
    assert (row.state, row.detail) == ("DOWN", f"TLS: {reason}")


async def test_prometheus_says_why_tls_failed(bad_tls: tuple[HttpServer, str]) -> None:
    server, reason = bad_tls
    source = SloSource(PrometheusConfig(url=server.url(""), timeout_s=3), THRESHOLD)
    assert await _error_of(source) == f"Prometheus 127.0.0.1:{server.port}: TLS: {reason}"


async def test_loki_says_why_tls_failed(bad_tls: tuple[HttpServer, str]) -> None:
    server, reason = bad_tls
    origin = f"https://127.0.0.1:{server.port}"
    source = LokiLogSource(
        LokiConfig(url=origin, timeout_s=3), LogConfig(kind="loki", query="{a}"), FrozenClock(T0)
    )
    assert await _error_of(source) == f"TLS: {reason} ({origin})"


async def test_kubernetes_says_why_tls_failed(bad_tls: tuple[HttpServer, str], tmp_path: Path) -> None:
    server, reason = bad_tls
    origin = f"https://127.0.0.1:{server.port}"
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", origin)
    cfg = ClusterConfig(kubeconfig=str(kubeconfig), timeout_s=3)
    assert await _error_of(KubernetesSource(cfg)) == f"TLS: {reason} ({origin})"
    logs = KubernetesLogSource(cfg, LogConfig(kind="kubernetes", selector="app=web"))
    assert await _error_of(logs) == f"TLS: {reason} ({origin})"


async def test_the_reason_under_a_trusted_ca(tmp_path: Path) -> None:
    """With the CA given, what is left wrong with the certificate is named: expired, wrong name."""
    cases = {
        "expired": (ca_signed(tmp_path / "x", expired=True), EXPIRED),
        "wrong-name": (ca_signed(tmp_path / "n", "db.internal.example"), WRONG_NAME),
    }
    for kind, (tls, reason) in cases.items():
        with HttpServer(default=json_reply(PROMETHEUS_OK), ssl_context=tls.server) as server:
            cfg = PrometheusConfig(url=server.url(""), timeout_s=3, ca_file=str(tls.ca_file))
            message = await _error_of(SloSource(cfg, THRESHOLD))
            assert message == f"Prometheus 127.0.0.1:{server.port}: TLS: {reason}", kind
            kubeconfig = write_kubeconfig(tmp_path / f"kubeconfig-{kind}", server.url("").rstrip("/"))
            _trust(kubeconfig, tls.ca_pem)
            kube = KubernetesSource(ClusterConfig(kubeconfig=str(kubeconfig), timeout_s=3))
            assert await _error_of(kube) == f"TLS: {reason} (https://127.0.0.1:{server.port})", kind


async def test_https_to_a_plain_http_port_says_it_is_not_tls(tmp_path: Path) -> None:
    with HttpServer(default=json_reply(PROMETHEUS_OK)) as plain:
        origin = f"https://127.0.0.1:{plain.port}"
        kube = await _error_of(
            KubernetesSource(ClusterConfig(kubeconfig=str(write_kubeconfig(tmp_path / "kc", origin))))
        )
        prom = await _error_of(SloSource(PrometheusConfig(url=origin, timeout_s=3), THRESHOLD))
    assert kube in {f"TLS: {words} ({origin})" for words in NOT_TLS}
    assert prom in {f"Prometheus 127.0.0.1:{plain.port}: TLS: {words}" for words in NOT_TLS}


def _trust(kubeconfig: Path, ca_pem: bytes) -> None:
    doc = json.loads(kubeconfig.read_text())
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    kubeconfig.write_text(json.dumps(doc))


async def test_a_kube_api_over_tls_with_its_ca_in_the_kubeconfig(tmp_path: Path) -> None:
    """The same API server (kmock, over HTTPS): trusted through certificate-authority-data, the
    pods come; without it, the one line says why."""
    tls = ca_signed(tmp_path)
    async with kmock.KubernetesEmulator() as emulator, kmock_tls_server(emulator, tls.server) as server:
        declare_resources(emulator)
        seed(emulator, pod("web-0", app="web"))
        origin = str(server.url).rstrip("/")
        assert origin.startswith("https://127.0.0.1:")
        trusted = write_kubeconfig(tmp_path / "trusted", origin)
        _trust(trusted, tls.ca_pem)
        source = KubernetesSource(ClusterConfig(kubeconfig=str(trusted)))
        try:
            assert [p.name for p in (await source.poll()).pods] == ["web-0"]
        finally:
            await source.close()
        untrusted = write_kubeconfig(tmp_path / "untrusted", origin)
        assert await _error_of(KubernetesSource(ClusterConfig(kubeconfig=str(untrusted)))) == (
            f"TLS: {UNKNOWN_CA} ({origin})"
        )


async def test_the_pods_panel_status_line_carries_the_reason(tmp_path: Path) -> None:
    """As a user sees it: the real source in the app, its panel's status line."""
    from tui.app import AppSetup, WarroomApp

    tls = self_signed(tmp_path)
    with HttpServer(default=json_reply({}), ssl_context=tls.server) as server:
        origin = f"https://127.0.0.1:{server.port}"
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", origin)
        source = KubernetesSource(ClusterConfig(kubeconfig=str(kubeconfig), timeout_s=3))
        app = WarroomApp(AppSetup(context="t", sources={"pods": source}, clock=FrozenClock(T0), tick_s=0))
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(200):
                loop = app.loops.get("pods")  # the loops start once the first frame is drawn
                if loop is not None and loop.cycles:
                    break
                await pilot.pause(0.02)
            line = app.panels["pods"].status_line.plain
    assert line.startswith(f"✖ TLS: {SELF_SIGNED} ({origin})"), line


async def test_loki_trusts_a_private_ca_or_insecure(tmp_path: Path) -> None:
    """[loki] ca_file / insecure, as [prometheus] has them: the reason above is something to act on."""
    tls = ca_signed(tmp_path)
    with HttpServer(default=json_reply(LOKI_OK), ssl_context=tls.server) as server:
        origin = f"https://127.0.0.1:{server.port}"
        for cfg in (LokiConfig(url=origin, ca_file=str(tls.ca_file)), LokiConfig(url=origin, insecure=True)):
            source = LokiLogSource(cfg, LogConfig(kind="loki", query="{a}"), FrozenClock(T0))
            try:
                assert (await source.poll()).lines == ()
            finally:
                await source.close()
        missing = LokiConfig(url=origin, ca_file=str(tmp_path / "nope.pem"))
        source = LokiLogSource(missing, LogConfig(kind="loki", query="{a}"), FrozenClock(T0))
        assert (
            await _error_of(source)
            == f"cannot read ca_file {tmp_path / 'nope.pem'}: No such file or directory"
        )


async def test_a_client_certificate_is_presented_where_the_server_asks_for_one(tmp_path: Path) -> None:
    """`client_cert` (+ `client_key`) on [[services]], [prometheus] and [loki], read by the one
    client builder: without it the server refuses, with it (one PEM or two files) it answers."""
    tls = client_cert_required(tmp_path)
    routes = {"/health": json_reply({"status": "ok"}), "/loki/api/v1/query_range": json_reply(LOKI_OK)}
    with HttpServer(routes=routes, default=json_reply(PROMETHEUS_OK), ssl_context=tls.server) as server:
        url, ca = server.url("/health"), str(tls.ca_file)
        pem, apart = (
            {"client_cert": str(tls.client_pem)},
            {
                "client_cert": str(tls.client_cert),
                "client_key": str(tls.client_key),
            },
        )
        refused = HealthSource([ServiceConfig("api", url=url, ca_file=ca, timeout_s=3)], FrozenClock(T0))
        try:
            (row,) = (await refused.poll()).services
        finally:
            await refused.close()
        assert row.state == "DOWN" and row.detail.startswith("TLS: "), row.detail
        for given in (pem, apart):
            health = HealthSource(
                [ServiceConfig("api", url=url, ca_file=ca, timeout_s=3, **given)], FrozenClock(T0)
            )
            try:
                (row,) = (await health.poll()).services
            finally:
                await health.close()
            assert (row.state, row.code) == ("UP", 200), row.detail
            prom = PrometheusConfig(url=server.url("/"), ca_file=ca, **given)
            prometheus = SloSource(prom, THRESHOLD, FrozenClock(T0))
            try:
                assert len((await prometheus.poll()).slos) == 1  # an answer, not a SourceError
            finally:
                await prometheus.close()
            loki = LokiLogSource(
                LokiConfig(url=server.url("/"), ca_file=ca, **given),
                LogConfig(kind="loki", query="{a}"),
                FrozenClock(T0),
            )
            try:
                assert (await loki.poll()).lines == ()
            finally:
                await loki.close()
        missing = str(tmp_path / "nope.pem")
        for cfg in (LokiConfig(url=url, ca_file=ca, client_cert=missing),):
            source = LokiLogSource(cfg, LogConfig(kind="loki", query="{a}"), FrozenClock(T0))
            assert await _error_of(source) == f"cannot read client_cert {missing}: No such file or directory"
