"""HealthSource against real servers on 127.0.0.1: HTTP(S), raw TCP sockets and real commands."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.servers.http import (
    HttpServer,
    Switch,
    big,
    hang,
    json_reply,
    redirect,
    refused_port,
    reply,
    silent_port,
    trickle,
)
from tests.servers.needs import missing
from tests.timebase import T0
from tui.config.schema import ServiceConfig
from tui.core.clock import FrozenClock
from tui.core.model import HISTORY_LEN, HealthSnapshot, ServiceHealth
from tui.sources.health import HealthSource

QUICK = 0.5  # the timeout of the checks that are meant to time out
# The timeout of a check that must get somewhere first (headers, a started process) before it is
# cut: roomy enough for a loaded CI machine.
ROOMY = 1.5


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as srv:
        yield srv


async def poll_once(*services: ServiceConfig, clock: FrozenClock | None = None) -> dict[str, ServiceHealth]:
    # A poll waits up to its batch for the checks it started: here long enough for all of them.
    source = HealthSource(services, clock or FrozenClock(T0), batch_s=20)
    try:
        # A generous bound: a frozen check fails the test instead of hanging it.
        snap = await asyncio.wait_for(source.poll(), 20)
    finally:
        await source.close()
    assert isinstance(snap, HealthSnapshot)
    assert [s.name for s in snap.services] == [s.name for s in services]
    return {s.name: s for s in snap.services}


# ---- HTTP: what a body says -------------------------------------------------------------------


async def test_http_verdicts_from_code_and_json_status(server: HttpServer) -> None:
    server.routes.update(
        {
            "/ok": json_reply({"status": "ok", "checks": {"db": "up"}}),
            "/UP": json_reply({"status": "UP"}),
            "/degraded": json_reply({"status": "degraded"}),
            "/warn": json_reply({"status": "Warn"}),
            "/failing": json_reply({"status": "failing"}),
            "/503": json_reply({"status": "ok"}, 503),
            "/404": reply(404, "not found"),
            "/text": reply(200, "<html>fine</html>", "text/html"),
            "/broken": reply(200, '{"status": "ok"', "application/json"),
            "/nostatus": json_reply({"version": "1.2.3"}),
        }
    )
    rows = await poll_once(*(ServiceConfig(path[1:], url=server.url(path)) for path in server.routes))
    expected = {
        "ok": ("UP", 200, "status: ok"),
        "UP": ("UP", 200, "status: UP"),
        "degraded": ("DEGRADED", 200, "status: degraded"),
        "warn": ("DEGRADED", 200, "status: Warn"),
        "failing": ("DOWN", 200, "status: failing"),
        "503": ("DOWN", 503, "HTTP 503"),
        "404": ("DOWN", 404, "HTTP 404"),
        "text": ("UP", 200, "HTTP 200"),
        "broken": ("UP", 200, "HTTP 200, body is not valid JSON"),
        "nostatus": ("UP", 200, "HTTP 200"),
    }
    for name, (state, code, detail) in expected.items():
        row = rows[name]
        assert (row.state, row.code, row.detail) == (state, code, detail), name
        assert row.latency_ms is not None and row.latency_ms >= 0
        assert row.target == server.url(f"/{name}")


async def test_first_check_fills_every_field(server: HttpServer) -> None:
    server.routes["/health"] = json_reply({"status": "healthy"})
    clock = FrozenClock(T0)
    svc = ServiceConfig("api-gateway", url=server.url("/health"), deployment="api-gateway", namespace="shop")
    row = (await poll_once(svc, clock=clock))["api-gateway"]
    assert row.state == "UP"
    assert row.checked_at == T0
    assert row.changed_at == T0  # UNKNOWN -> UP is the first change
    assert row.history == ("UP",)
    assert (row.deployment, row.namespace) == ("api-gateway", "shop")


async def test_slower_than_degraded_ms_is_degraded(server: HttpServer) -> None:
    server.routes["/slow"] = json_reply({"status": "ok"}, delay_s=0.3)
    server.routes["/fast"] = json_reply({"status": "ok"})
    rows = await poll_once(
        ServiceConfig("slow", url=server.url("/slow"), degraded_ms=100, timeout_s=10),
        ServiceConfig("fast", url=server.url("/fast"), degraded_ms=60_000),
    )
    assert rows["slow"].state == "DEGRADED"
    assert rows["slow"].code == 200
    assert rows["slow"].detail.startswith("slow: ") and rows["slow"].detail.endswith("(over 100 ms)")
    assert rows["slow"].latency_ms is not None and rows["slow"].latency_ms >= 300
    assert rows["fast"].state == "UP"


async def test_huge_body_is_not_read_whole(server: HttpServer) -> None:
    server.routes["/huge"] = big(10 * 1024 * 1024)
    server.routes["/huge503"] = big(10 * 1024 * 1024, status=503)
    rows = await poll_once(
        ServiceConfig("huge", url=server.url("/huge"), timeout_s=10),
        ServiceConfig("huge503", url=server.url("/huge503"), timeout_s=10),
    )
    assert (rows["huge"].state, rows["huge"].code) == ("UP", 200)
    assert rows["huge"].detail == "HTTP 200, body over 64 KiB, status not read"
    assert (rows["huge503"].state, rows["huge503"].detail) == ("DOWN", "HTTP 503")


# ---- HTTP: auth and redirects -----------------------------------------------------------------


async def test_bearer_token_is_read_from_file_and_sent(server: HttpServer, tmp_path: Path) -> None:
    server.routes["/secure"] = json_reply({"status": "ok"})
    token = tmp_path / "token"
    token.write_text("s3cr3t-token\n")
    svc = ServiceConfig("secure", url=server.url("/secure"), bearer_token_file=str(token))
    clock = FrozenClock(T0)
    source = HealthSource([svc], clock)
    try:
        assert (await source.poll()).services[0].state == "UP"
        token.write_text("rotated\n")  # read at every check, so a rotation is picked up
        clock.advance(10)
        assert (await source.poll()).services[0].state == "UP"
    finally:
        await source.close()
    assert [s.headers.get("authorization") for s in server.hits("/secure")] == [
        "Bearer s3cr3t-token",
        "Bearer rotated",
    ]


async def test_missing_token_file_is_a_down_row_not_a_crash(server: HttpServer, tmp_path: Path) -> None:
    server.routes["/secure"] = json_reply({"status": "ok"})
    missing = tmp_path / "nope.token"
    empty = tmp_path / "empty.token"
    empty.write_text("  \n")
    rows = await poll_once(
        ServiceConfig("missing", url=server.url("/secure"), bearer_token_file=str(missing)),
        ServiceConfig("empty", url=server.url("/secure"), bearer_token_file=str(empty)),
    )
    assert rows["missing"].state == "DOWN"
    assert rows["missing"].detail == f"token file {missing}: no such file"
    assert (rows["empty"].state, rows["empty"].detail) == ("DOWN", f"token file {empty}: empty")
    assert server.hits("/secure") == []  # no request went out without its token


async def test_redirects_are_followed_a_few_times(server: HttpServer) -> None:
    server.routes["/old"] = redirect("/health")
    server.routes["/health"] = json_reply({"status": "ok"})
    server.routes["/loop"] = redirect("/loop")
    rows = await poll_once(
        ServiceConfig("moved", url=server.url("/old")),
        ServiceConfig("loop", url=server.url("/loop")),
    )
    assert (rows["moved"].state, rows["moved"].code, rows["moved"].detail) == ("UP", 200, "status: ok")
    assert rows["loop"].state == "DOWN"
    assert rows["loop"].detail.startswith("too many redirects")
    assert 2 <= len(server.hits("/loop")) <= 10  # followed a few, then gave up


# ---- failures that never reach an answer ----------------------------------------------------


async def test_connection_failures_are_one_line_each(server: HttpServer) -> None:
    server.routes["/hangup"] = lambda h: None  # reads the request, closes without a word
    server.routes["/garbage"] = lambda h: h.wfile.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    with refused_port() as closed:
        rows = await poll_once(
            ServiceConfig("hangup", url=server.url("/hangup")),
            ServiceConfig("garbage", url=server.url("/garbage")),
            ServiceConfig("refused", url=f"http://127.0.0.1:{closed}/health"),
            ServiceConfig("dns", url="http://no-such-host.invalid/health", timeout_s=5),
            ServiceConfig("scheme", url="ftp://127.0.0.1/health"),
            ServiceConfig("relative", url="/health"),
        )
    assert (rows["refused"].state, rows["refused"].detail) == ("DOWN", "connection refused")
    assert rows["refused"].code is None
    assert rows["dns"].state == "DOWN"
    assert rows["dns"].detail.startswith("DNS: no-such-host.invalid: ")
    assert (rows["hangup"].state, rows["hangup"].detail) == ("DOWN", "connection closed without an answer")
    assert rows["garbage"].state == "DOWN"
    assert rows["garbage"].detail == 'not an HTTP answer: illegal status line: "SSH-2.0-OpenSSH_9.2"'
    for name in ("scheme", "relative"):
        assert rows[name].state == "DOWN"
        assert rows[name].detail.startswith("invalid URL: "), rows[name].detail


async def test_servers_that_never_answer_are_cut_at_the_timeout(server: HttpServer) -> None:
    server.routes["/hang"] = hang()
    server.routes["/trickle"] = trickle()
    with silent_port() as silent:
        rows = await poll_once(
            ServiceConfig("silent", url=f"http://127.0.0.1:{silent}/health", timeout_s=QUICK),
            ServiceConfig("hang", url=server.url("/hang"), timeout_s=QUICK),
            ServiceConfig("trickle", url=server.url("/trickle"), timeout_s=ROOMY),
        )
    for name in ("silent", "hang"):
        assert (rows[name].state, rows[name].code, rows[name].detail) == ("DOWN", None, "no answer in 0.5 s")
    # The slow body is bounded too: the headers came, the body never finished.
    assert (rows["trickle"].state, rows["trickle"].code) == ("DOWN", 200)
    assert rows["trickle"].detail == "HTTP 200, body still arriving after 1.5 s"


async def test_a_hung_server_does_not_hold_up_the_others(server: HttpServer) -> None:
    server.routes["/health"] = json_reply({"status": "ok"})
    with silent_port() as silent:
        hung = [
            ServiceConfig(f"hung{i}", url=f"http://127.0.0.1:{silent}/h", timeout_s=QUICK) for i in range(2)
        ]
        fine = [ServiceConfig(f"ok{i}", url=server.url("/health"), timeout_s=5) for i in range(3)]
        # One check at a time: every healthy one waits behind both hung ones, which end at their
        # own timeout, and then still gets its whole timeout for itself. (With more services than
        # checks at once, their first checks are spread: the frozen clock walks through them.)
        clock = FrozenClock(T0)
        source = HealthSource([*hung, *fine], clock, max_concurrency=1, batch_s=20)
        try:
            for _ in range(5):
                snap = await asyncio.wait_for(source.poll(), 20)
                clock.advance(1)  # five services in five groups over the 5 s interval
        finally:
            await source.close()
    states = {s.name: (s.state, s.detail) for s in snap.services}
    assert states == {
        "hung0": ("DOWN", "no answer in 0.5 s"),
        "hung1": ("DOWN", "no answer in 0.5 s"),
        "ok0": ("UP", "status: ok"),
        "ok1": ("UP", "status: ok"),
        "ok2": ("UP", "status: ok"),
    }


# ---- TLS ------------------------------------------------------------------------------------


@pytest.fixture
def trustme() -> ModuleType:
    try:
        import trustme
    except ImportError:
        missing("the trustme package is missing (a test dependency)")
    return trustme


async def test_tls_verification(trustme: ModuleType, tmp_path: Path) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with (
        HttpServer({"/health": json_reply({"status": "ok"})}, ssl_context=context) as tls,
        HttpServer({"/health": json_reply({"status": "ok"})}) as plain,
    ):
        url = tls.url("/health")
        rows = await poll_once(
            ServiceConfig("unverified", url=url),
            ServiceConfig("with-ca", url=url, ca_file=str(ca_file)),
            ServiceConfig("insecure", url=url, insecure=True),
            ServiceConfig("bad-ca", url=url, ca_file=str(tmp_path / "missing.pem")),
            ServiceConfig("not-tls", url=plain.url("/health").replace("http:", "https:")),
        )
    assert rows["unverified"].state == "DOWN"
    assert rows["unverified"].detail.startswith("TLS: certificate verify failed")
    assert (rows["with-ca"].state, rows["with-ca"].detail) == ("UP", "status: ok")
    assert (rows["insecure"].state, rows["insecure"].detail) == ("UP", "status: ok")
    assert rows["bad-ca"].state == "DOWN"
    assert (
        rows["bad-ca"].detail == f"cannot read ca_file {tmp_path / 'missing.pem'}: No such file or directory"
    )
    assert rows["not-tls"].state == "DOWN"
    assert rows["not-tls"].detail.startswith("TLS: "), rows["not-tls"].detail  # the words vary by OpenSSL


# ---- tcp --------------------------------------------------------------------------------------


async def test_tcp_checks(server: HttpServer) -> None:
    with refused_port() as closed, silent_port() as silent:
        rows = await poll_once(
            ServiceConfig("open", tcp=f"127.0.0.1:{server.port}"),
            ServiceConfig("backlog", tcp=f"127.0.0.1:{silent}"),
            ServiceConfig("closed", tcp=f"127.0.0.1:{closed}"),
            ServiceConfig("nonsense", tcp="db-without-port"),
            ServiceConfig("dns", tcp="no-such-host.invalid:5432", timeout_s=5),
        )
    assert (rows["open"].state, rows["open"].code, rows["open"].detail) == ("UP", None, "connected")
    assert rows["open"].latency_ms is not None
    assert rows["open"].target == f"127.0.0.1:{server.port}"
    assert rows["backlog"].state == "UP"  # a tcp check asks only that the port accepts
    assert (rows["closed"].state, rows["closed"].detail) == ("DOWN", "connection refused")
    assert rows["nonsense"].state == "DOWN"
    assert rows["nonsense"].detail == 'invalid tcp target "db-without-port": expected host:port'
    assert rows["dns"].state == "DOWN"
    assert rows["dns"].detail.startswith("DNS: no-such-host.invalid: ")


# ---- command ----------------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    """True once `pid` no longer runs (gone, or a zombie nobody has reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


async def test_command_checks(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 30 & echo $! > {pid_file}; echo waiting; wait"
    rows = await poll_once(
        ServiceConfig("ok", command=("sh", "-c", "echo accepting connections")),
        ServiceConfig(
            "fails", command=("sh", "-c", r"printf 'starting\nno \033[31mresponse\033[0m \n'; exit 2")
        ),
        ServiceConfig("silent-fail", command=("false",)),
        ServiceConfig("stuck", command=("sh", "-c", script), timeout_s=ROOMY),
        ServiceConfig("missing", command=("no-such-check-command",)),
    )
    assert (rows["ok"].state, rows["ok"].code, rows["ok"].detail) == ("UP", 0, "accepting connections")
    assert rows["ok"].target == "sh -c 'echo accepting connections'"
    # The last line of the output, with the terminal escape removed.
    assert (rows["fails"].state, rows["fails"].code, rows["fails"].detail) == (
        "DOWN",
        2,
        "exit 2: no response",
    )
    assert (rows["silent-fail"].state, rows["silent-fail"].code, rows["silent-fail"].detail) == (
        "DOWN",
        1,
        "exit 1",
    )
    assert (rows["stuck"].state, rows["stuck"].code) == ("DOWN", None)
    assert rows["stuck"].detail == "no answer in 1.5 s (killed)"
    assert (rows["missing"].state, rows["missing"].detail) == (
        "DOWN",
        "command not found: no-such-check-command",
    )
    # The whole process group went, the shell's background child too.
    child = int(pid_file.read_text())
    for _ in range(100):
        if _gone(child):
            break
        await asyncio.sleep(0.02)
    assert _gone(child)


# ---- scheduling and history -------------------------------------------------------------------


async def test_each_service_keeps_its_own_interval(server: HttpServer) -> None:
    server.routes["/fast"] = json_reply({"status": "ok"})
    server.routes["/slow"] = json_reply({"status": "ok"})
    clock = FrozenClock(T0)
    source = HealthSource(
        [
            ServiceConfig("fast", url=server.url("/fast"), interval_s=2),
            ServiceConfig("slow", url=server.url("/slow"), interval_s=30),
        ],
        clock,
    )
    assert source.interval_s == 2
    try:
        await source.poll()
        clock.advance(2)
        snap = await source.poll()
        assert (len(server.hits("/fast")), len(server.hits("/slow"))) == (2, 1)
        fast, slow = snap.services
        assert fast.checked_at == T0.replace(second=2)
        assert (slow.state, slow.checked_at, slow.history) == ("UP", T0, ("UP",))  # last known state
        await source.poll()  # no time passed: nothing is due
        assert (len(server.hits("/fast")), len(server.hits("/slow"))) == (2, 1)
        clock.advance(28)
        await source.poll()
        assert (len(server.hits("/fast")), len(server.hits("/slow"))) == (3, 2)
    finally:
        await source.close()


async def test_history_and_changed_at_follow_state_changes(server: HttpServer) -> None:
    switch = Switch(json_reply({"status": "ok"}))
    server.routes["/health"] = switch
    clock = FrozenClock(T0)
    source = HealthSource([ServiceConfig("api", url=server.url("/health"), interval_s=5)], clock)

    async def step(seconds: float = 5) -> ServiceHealth:
        clock.advance(seconds)
        return (await source.poll()).services[0]

    try:
        row = await step(0)
        assert (row.state, row.changed_at, row.history) == ("UP", T0, ("UP",))
        row = await step()
        assert (row.state, row.changed_at, row.history) == ("UP", T0, ("UP", "UP"))
        switch.route = json_reply({"status": "down"}, 503)
        row = await step()
        down_at = clock.now()
        assert (row.state, row.code, row.detail) == ("DOWN", 503, "HTTP 503")
        assert (row.changed_at, row.checked_at, row.history) == (down_at, down_at, ("UP", "UP", "DOWN"))
        row = await step()
        assert (row.changed_at, row.history[-2:]) == (down_at, ("DOWN", "DOWN"))
        switch.route = json_reply({"status": "degraded"})
        row = await step()
        assert (row.state, row.changed_at) == ("DEGRADED", clock.now())
        for _ in range(HISTORY_LEN):
            row = await step()
        assert row.history == ("DEGRADED",) * HISTORY_LEN  # only the last HISTORY_LEN are kept
    finally:
        await source.close()


async def test_a_row_with_nothing_to_check_stays_unknown() -> None:
    rows = await poll_once(ServiceConfig("empty"))
    assert (rows["empty"].state, rows["empty"].changed_at) == ("UNKNOWN", None)
    assert rows["empty"].detail == "no url, tcp or command to check"


def test_a_secret_file_is_read_bounded_from_a_regular_file_only(tmp_path: Path) -> None:
    """One reader for every token and password file (tui.sources.secrets): /dev/zero or a FIFO
    named by mistake is refused at once, never read until memory runs out or hung on."""
    import os

    from tui.sources.secrets import MAX_SECRET, read_secret

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (2 * MAX_SECRET))
    spaced = tmp_path / "spaced"
    spaced.write_text("pa ss\n")
    assert read_secret("/dev/zero") == ("", "token file /dev/zero: is a character device, not a regular file")
    assert read_secret(str(fifo))[1] == f"token file {fifo}: is a FIFO (named pipe), not a regular file"
    assert read_secret(str(big))[1] == f"token file {big}: is 128 KiB, larger than 64 KiB"
    assert read_secret(str(spaced), "password_file", word=False) == ("pa ss", None)
    unusable = f"token file {spaced}: not a usable token (one word of printable ASCII)"
    assert read_secret(str(spaced))[1] == unusable
