"""SloSource against a real Prometheus (the `prometheus` fixture), and against a small fake
server for what a real one will not do on demand: check credentials, hang, fail, talk nonsense."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.servers.http import Handler, HttpServer, Seen, reply
from tests.servers.needs import program
from tests.servers.prometheus import PrometheusServer
from tui.config.schema import PrometheusConfig, SloConfig
from tui.core.model import SloSnapshot, SloStatus
from tui.domain.slo_verdict import Sample
from tui.sources.base import SourceError
from tui.sources.prometheus import SloSource, expand, parse_result

pytestmark = pytest.mark.timeout(60)


def error_ratio(service: str) -> str:
    sel = f'service="{service}"'
    return (
        f'sum(rate(http_requests_total{{{sel},code=~"5.."}}[{{{{window}}}}]))'
        f" / sum(rate(http_requests_total{{{sel}}}[{{{{window}}}}]))"
    )


def ratio(name: str, service: str, window: str = "30d", objective: float = 99.9) -> SloConfig:
    return SloConfig(name=name, objective=objective, window=window, error_ratio=error_ratio(service))


def by_name(snap: SloSnapshot) -> dict[str, SloStatus]:
    return {s.name: s for s in snap.slos}


async def poll_until(
    source: SloSource, ready: Callable[[dict[str, SloStatus]], bool], timeout_s: float = 15.0
) -> dict[str, SloStatus]:
    """Poll until `ready` holds (Prometheus scrapes every second; rates need a new sample)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        slos = by_name(await source.poll())
        if ready(slos):
            return slos
        if loop.time() > deadline:
            pytest.fail(f"SLOs never reached the expected state: {slos}")
        await asyncio.sleep(0.2)


# ---- against a real Prometheus -------------------------------------------------------------------


async def test_ratio_slo_in_breach(prometheus: PrometheusServer) -> None:
    svc = prometheus.service()
    prometheus.exporter.serve(svc, ok=500, errors=500)
    source = SloSource(PrometheusConfig(url=prometheus.url), [ratio("API availability", svc)])
    try:
        # The windows are separate queries: one may be evaluated just before the scrape that
        # brought the errors and another just after, so wait for all of them, not the first.
        slos = await poll_until(
            source,
            lambda s: (
                s["API availability"].value == pytest.approx(0.5, abs=1e-6)
                and s["API availability"].budget_remaining == pytest.approx(-499, rel=1e-3)
            ),
        )
        slo = slos["API availability"]
        assert slo.state == "BREACH"
        assert slo.kind == "ratio" and slo.window == "30d"
        assert slo.burn_rate == pytest.approx(500, rel=1e-3)
        assert slo.budget_remaining == pytest.approx(-499, rel=1e-3)
        # Every window sees the same half of the requests fail: the 1h/5m page rule fires first.
        assert "budget spent" in slo.detail
        assert "burning 500.0× budget over 1h (500.0× over 5m)" in slo.detail
        again = by_name(await source.poll())["API availability"]
        assert again.history[-2:] == pytest.approx([0.5, 0.5])
    finally:
        await source.close()


async def test_ratio_slo_healthy_over_30d_and_1m(prometheus: PrometheusServer) -> None:
    svc = prometheus.service()
    prometheus.exporter.serve(svc, ok=9999, errors=1)
    slos_cfg = [ratio("30 days", svc), ratio("1 minute", svc, window="1m")]
    source = SloSource(PrometheusConfig(url=prometheus.url), slos_cfg)
    try:
        slos = await poll_until(
            source,
            lambda s: all(
                x.value == pytest.approx(1e-4, rel=1e-6) and x.budget_remaining == pytest.approx(0.9, 1e-3)
                for x in s.values()
            ),
        )
    finally:
        await source.close()
    for slo in slos.values():
        assert slo.state == "OK"
        assert slo.burn_rate == pytest.approx(0.1, rel=1e-3)
        assert slo.budget_remaining == pytest.approx(0.9, rel=1e-3)
        assert "90% budget left" in slo.detail
    assert slos["30 days"].detail.startswith("burning 0.1× budget over 5m")
    # A 1-minute SLO is shorter than every burn-rate window: its own window is the current one.
    assert slos["1 minute"].detail.startswith("burning 0.1× budget over 1m")


async def test_threshold_slo_ok_warn_breach(prometheus: PrometheusServer) -> None:
    levels = {"q-ok": 40, "q-above": 60, "q-warn": 80, "q-breach": 120}
    for queue, value in levels.items():
        prometheus.exporter.queue.labels(queue=queue).set(value)
    cfgs = [
        SloConfig(name=q, objective=50, warn=75, breach=100, query=f'sum(celery_queue_length{{queue="{q}"}})')
        for q in levels
    ]
    source = SloSource(PrometheusConfig(url=prometheus.url), cfgs)
    try:
        slos = await poll_until(source, lambda s: all(s[q].value == levels[q] for q in levels))
    finally:
        await source.close()
    assert {q: s.state for q, s in slos.items()} == {
        "q-ok": "OK",
        "q-above": "OK",
        "q-warn": "WARN",
        "q-breach": "BREACH",
    }
    assert slos["q-ok"].detail == "40 within objective 50"
    assert slos["q-above"].detail == "60 above objective 50, under warn 75"
    assert slos["q-warn"].detail == "80 ≥ warn 75"
    assert slos["q-breach"].detail == "120 ≥ breach 100"
    assert slos["q-breach"].kind == "threshold" and slos["q-breach"].budget_remaining is None


async def test_bad_promql_is_unknown_and_the_others_still_shown(prometheus: PrometheusServer) -> None:
    prometheus.exporter.queue.labels(queue="q-steady").set(10)
    cfgs = [
        SloConfig(
            name="backlog",
            objective=50,
            warn=75,
            breach=100,
            query='sum(celery_queue_length{queue="q-steady"})',
        ),
        SloConfig(
            name="typo",
            objective=99.9,
            window="30d",
            error_ratio="sum(rate(http_requests_total[{{window}}]) /",
        ),
        SloConfig(name="range", objective=50, query="celery_queue_length[1m]"),
    ]
    source = SloSource(PrometheusConfig(url=prometheus.url), cfgs)
    try:
        slos = await poll_until(source, lambda s: s["backlog"].value == 10)
    finally:
        await source.close()
    assert slos["backlog"].state == "OK"
    assert slos["typo"].state == "UNKNOWN" and slos["typo"].value is None
    assert "parse error" in slos["typo"].detail and "\n" not in slos["typo"].detail
    assert slos["range"].state == "UNKNOWN" and "range vector" in slos["range"].detail


async def test_no_data_is_unknown_not_an_error(prometheus: PrometheusServer) -> None:
    quiet = prometheus.service()  # its counters exist, at zero: 0/0 is NaN
    cfgs = [
        ratio("no traffic", quiet),
        SloConfig(
            name="no metric", objective=99, window="1h", error_ratio="sum(rate(nope_total[{{window}}]))"
        ),
        SloConfig(name="no gauge", objective=50, query="sum(nope_queue_length)"),
        SloConfig(name="infinite", objective=50, query="1/0"),
    ]
    source = SloSource(PrometheusConfig(url=prometheus.url), cfgs)
    try:
        slos = by_name(await source.poll())
    finally:
        await source.close()
    for slo in slos.values():
        assert (slo.name, slo.state, slo.value, slo.detail) == (slo.name, "UNKNOWN", None, "no data")
        assert slo.history == ()


# ---- a fake Prometheus ---------------------------------------------------------------------------


Answer = Callable[[Seen], tuple[int, bytes] | None]  # None: never answer


def vector(value: str) -> bytes:
    doc = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1.0, value]}]},
    }
    return json.dumps(doc).encode()


@pytest.fixture
def fake_prom() -> Iterator[Callable[..., tuple[HttpServer, int]]]:
    """A Prometheus-shaped server: `answer` sees each request (its `params["query"]`, its
    headers) and gives the status and JSON body, or None to never answer."""
    servers: list[HttpServer] = []

    def start(answer: Answer, tls: ssl.SSLContext | None = None) -> tuple[HttpServer, int]:
        def route(handler: Handler) -> None:
            got = answer(handler.seen)
            if got is None:
                handler.owner.stopping.wait()
                return
            status, body = got
            reply(status, body, "application/json")(handler)

        server = HttpServer(ssl_context=tls, default=route).start()
        servers.append(server)
        return server, server.port

    yield start
    for server in servers:
        server.stop()


THRESHOLD = [SloConfig(name="backlog", objective=50, warn=75, breach=100, query="sum(celery_queue_length)")]


async def test_bearer_token_and_path_prefix(fake_prom: Any, tmp_path: Path) -> None:
    fake, port = fake_prom(lambda req: (200, vector("42")))
    token = tmp_path / "prom.token"
    token.write_text("s3cret-token\n")
    cfg = PrometheusConfig(url=f"http://127.0.0.1:{port}/prometheus", bearer_token_file=str(token))
    source = SloSource(cfg, THRESHOLD)
    try:
        snap = await source.poll()
        token.write_text("rotated\n")  # read on every poll: a rotated token is picked up
        await source.poll()
    finally:
        await source.close()
    assert snap.slos[0].value == 42 and snap.slos[0].state == "OK"
    assert [r.headers.get("authorization") for r in fake.seen] == ["Bearer s3cret-token", "Bearer rotated"]
    assert fake.seen[0].path == "/prometheus/api/v1/query"
    assert fake.seen[0].params["query"] == "sum(celery_queue_length)"


async def test_basic_auth(fake_prom: Any, tmp_path: Path) -> None:
    fake, port = fake_prom(lambda req: (200, vector("1")))
    password = tmp_path / "password"
    password.write_text("pa:ss\n")
    cfg = PrometheusConfig(url=f"http://127.0.0.1:{port}", username="warroom", password_file=str(password))
    source = SloSource(cfg, THRESHOLD)
    try:
        await source.poll()
    finally:
        await source.close()
    expected = "Basic " + base64.b64encode(b"warroom:pa:ss").decode()
    assert fake.seen[0].headers.get("authorization") == expected


async def test_bad_token_files_are_one_line_without_the_secret(tmp_path: Path) -> None:
    cfg = PrometheusConfig(url="http://127.0.0.1:9", bearer_token_file=str(tmp_path / "absent"))
    source = SloSource(cfg, THRESHOLD)
    with pytest.raises(SourceError, match=r"^bearer_token_file .*absent: no such file"):
        await source.poll()
    await source.close()
    two_lines = tmp_path / "two-lines"
    two_lines.write_text("secret-part-1\nsecret-part-2\n")
    cfg = PrometheusConfig(url="http://127.0.0.1:9", bearer_token_file=str(two_lines))
    source = SloSource(cfg, THRESHOLD)
    unusable = r"two-lines: not a usable token \(one word of printable ASCII\)$"
    with pytest.raises(SourceError, match=unusable) as caught:
        await source.poll()
    assert "secret" not in str(caught.value).replace(str(tmp_path), "")
    await source.close()


async def test_all_windows_queried_concurrently_once_each(fake_prom: Any) -> None:
    fake, port = fake_prom(lambda req: (200, vector("0.02")))
    slo = SloConfig(name="api", objective=99.9, window="30d", error_ratio="x[{{ window }}] + y[{{window}}]")
    source = SloSource(PrometheusConfig(url=f"http://127.0.0.1:{port}"), [slo, slo])
    try:
        snap = await source.poll()
    finally:
        await source.close()
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    assert sorted(r.params["query"] for r in fake.seen) == sorted(f"x[{w}] + y[{w}]" for w in windows)
    # 2 % everywhere: a 20× burn, over the 14.4× page limit.
    assert snap.slos[0].state == "BREACH" and snap.slos[0].burn_rate == pytest.approx(20)


async def test_http_400_from_prometheus_is_that_slo_only(fake_prom: Any) -> None:
    error = {
        "status": "error",
        "errorType": "bad_data",
        "error": "1:10: parse error:\nunexpected end of input",
    }

    def answer(req: Seen) -> tuple[int, bytes]:
        if "broken" in req.params["query"]:
            return 400, json.dumps(error).encode()
        return 200, vector("5")

    _, port = fake_prom(answer)
    cfgs = [*THRESHOLD, SloConfig(name="broken", objective=1, query="broken(")]
    source = SloSource(PrometheusConfig(url=f"http://127.0.0.1:{port}"), cfgs)
    try:
        slos = by_name(await source.poll())
    finally:
        await source.close()
    assert slos["backlog"].state == "OK" and slos["backlog"].value == 5
    assert slos["broken"].state == "UNKNOWN"
    assert slos["broken"].detail == "1:10: parse error: unexpected end of input"


@contextmanager
def _refused_port() -> Iterator[int]:
    # Bound but not listening: connections are refused, and nobody else can take the port.
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def _silent_port() -> Iterator[int]:
    # Listening but never accepting: the kernel completes the handshake, nobody ever answers.
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("refused", "connection refused"),
        ("silent", "no answer in 0.5 s"),
        ("hang", "no answer in 0.5 s"),
        ("503", "HTTP 503 Service Unavailable"),
        ("401", "HTTP 401 Unauthorized (check the credentials)"),
        ("html", "the answer is not Prometheus JSON (is the url right?)"),
        ("broken", "the answer is not Prometheus JSON (is the url right?)"),
        ("shape", "the answer is not Prometheus JSON (unexpected shape)"),
        ("tls", "TLS: "),
    ],
)
async def test_whole_source_failures_raise_one_line(fake_prom: Any, case: str, expected: str) -> None:
    answers: dict[str, Answer] = {
        "hang": lambda req: None,
        "503": lambda req: (503, b"Service Unavailable"),
        "401": lambda req: (401, b"Unauthorized\n"),
        "html": lambda req: (200, b"<html>login</html>"),
        "broken": lambda req: (200, b'{"status": "success", "data": {'),
        "shape": lambda req: (200, b'{"status": "success", "data": {"resultType": "vector"}}'),
        "tls": lambda req: (200, vector("1")),
    }
    with ExitStack() as stack:
        if case == "refused":
            port = stack.enter_context(_refused_port())
        elif case == "silent":
            port = stack.enter_context(_silent_port())
        else:
            port = fake_prom(answers[case])[1]
        scheme = "https" if case == "tls" else "http"
        cfg = PrometheusConfig(url=f"{scheme}://127.0.0.1:{port}", timeout_s=0.5)
        source = SloSource(cfg, [*THRESHOLD, ratio("api", "x")])
        try:
            with pytest.raises(SourceError) as caught:
                await source.poll()
        finally:
            await source.close()
    message = str(caught.value)
    assert message.startswith(f"Prometheus 127.0.0.1:{port}: {expected}")
    assert "\n" not in message


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (made by the openssl command) and a server context."""
    openssl = program("openssl")
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


async def test_tls_ca_file_and_insecure(fake_prom: Any, self_signed: tuple[Path, ssl.SSLContext]) -> None:
    cert, context = self_signed
    _, port = fake_prom(lambda req: (200, vector("3")), tls=context)
    url = f"https://127.0.0.1:{port}"
    for cfg in (PrometheusConfig(url=url, ca_file=str(cert)), PrometheusConfig(url=url, insecure=True)):
        source = SloSource(cfg, THRESHOLD)
        try:
            assert (await source.poll()).slos[0].value == 3
        finally:
            await source.close()
    source = SloSource(PrometheusConfig(url=url, timeout_s=2), THRESHOLD)
    try:
        with pytest.raises(SourceError, match=r": TLS: certificate verify failed: self.signed"):
            await source.poll()
    finally:
        await source.close()


# ---- the judging, without a server ---------------------------------------------------------------


def test_expand_fills_every_window_placeholder() -> None:
    assert expand("a[{{window}}] / b[{{ window }}]", "5m") == "a[5m] / b[5m]"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"resultType": "vector", "result": []}, Sample(None, 0)),
        ({"resultType": "vector", "result": [{"metric": {}, "value": [1, "NaN"]}]}, Sample(None, 1)),
        ({"resultType": "vector", "result": [{"metric": {}, "value": [1, "+Inf"]}]}, Sample(None, 1)),
        (
            {
                "resultType": "vector",
                "result": [{"value": [1, "3"]}, {"value": [1, "7.5"]}, {"value": [1, "NaN"]}],
            },
            Sample(7.5, 3),
        ),
        ({"resultType": "scalar", "result": [1, "0.25"]}, Sample(0.25, 1)),
    ],
)
def test_parse_result(body: dict[str, Any], expected: Sample) -> None:
    assert parse_result({"status": "success", "data": body}) == expected


def test_parse_result_rejects_a_foreign_shape() -> None:
    with pytest.raises(ValueError):
        parse_result({"status": "success", "data": {"resultType": "table", "result": []}})
