"""A source whose server went away and came back is seen again within about two of its intervals,
and the "retry in" its panel counts down is when the next try really starts.

Real servers, real time, small intervals (1 s): kmock (a Kubernetes API) over real HTTP, the real
Prometheus binary, and the test HTTP server as Loki, each stopped for 8 s and started again on
the same port, watched by the real `SourceLoop`s in a Textual app. With the old back-off
(1, 2, 4, 8 … 60 s) the try after an 8 s outage came about 7 s after the servers were back."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import kmock
import pytest
from textual.app import App

from tests.servers.http import HttpServer, json_reply
from tests.servers.kube import declare_resources, kmock_server, pod, seed, write_kubeconfig
from tests.servers.prometheus import free_port, prometheus_binary
from tui.config.schema import ClusterConfig, LogConfig, LokiConfig, PrometheusConfig, SloConfig
from tui.core.clock import SystemClock
from tui.core.model import SourceStatus
from tui.runtime import SourceLoop

RETRY_CAP_INTERVALS = 2.0  # the promise: tried again at least every two intervals

INTERVAL_S = 1.0
OUTAGE_S = 8.0
SLACK_S = 1.0  # a poll's own time and a loaded CI machine's scheduling
LOKI_OK = {"status": "success", "data": {"resultType": "streams", "result": []}}


@dataclass
class Watched:
    """A source as the loop sees it, with every try (probe or poll) and every status it reported."""

    source: Any
    tries: list[tuple[datetime, str]] = field(default_factory=list)
    statuses: list[tuple[float, SourceStatus]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.source.name)

    @property
    def interval_s(self) -> float:
        return float(self.source.interval_s)

    async def probe(self) -> None:
        self.tries.append((datetime.now(UTC), "probe"))
        await self.source.probe()

    async def poll(self) -> Any:
        if not self.tries or self.tries[-1][1] != "probe":
            self.tries.append((datetime.now(UTC), "poll"))
        return await self.source.poll()

    async def close(self) -> None:
        await self.source.close()

    def report(self, status: SourceStatus) -> None:
        self.statuses.append((time.monotonic(), status))

    def ok_after(self, since: float) -> float | None:
        return next((at for at, s in self.statuses if at >= since and s.ok), None)


def _start_prometheus(root: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            prometheus_binary(),
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def _ready(url: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    pytest.fail(f"prometheus at {url} not ready in {timeout_s:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def prometheus_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    yield tmp_path


async def _until(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout_s:g} s")
        await asyncio.sleep(0.05)


async def test_sources_are_back_within_two_intervals_of_their_servers(
    tmp_path: Path, prometheus_dir: Path
) -> None:
    from tui.sources.kubernetes.pods import KubernetesSource
    from tui.sources.logs.loki import LokiLogSource
    from tui.sources.prometheus import SloSource

    kube_port, prom_port, loki_port = free_port(), free_port(), free_port()
    emulator = kmock.KubernetesEmulator()
    await emulator.__aenter__()
    declare_resources(emulator)
    seed(emulator, pod("web-0", app="web"))
    kube_server = kmock_server(emulator, kube_port)
    await kube_server.__aenter__()
    prom = _start_prometheus(prometheus_dir, prom_port)
    loki = HttpServer({"/loki/api/v1/query_range": json_reply(LOKI_OK)}, port=loki_port).start()
    prom_url = f"http://127.0.0.1:{prom_port}"
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{kube_port}")
    watched = {
        "kubernetes": Watched(
            KubernetesSource(ClusterConfig(kubeconfig=str(kubeconfig), interval_s=INTERVAL_S))
        ),
        "prometheus": Watched(
            SloSource(
                PrometheusConfig(url=prom_url, interval_s=INTERVAL_S, timeout_s=2),
                [SloConfig(name="backlog", objective=50, warn=75, breach=100, query="sum(q)")],
            )
        ),
        "loki": Watched(
            LokiLogSource(
                LokiConfig(url=f"http://127.0.0.1:{loki_port}", timeout_s=2),
                LogConfig(kind="loki", query="{a}"),
                interval_s=INTERVAL_S,
            )
        ),
    }
    try:
        await asyncio.to_thread(_ready, prom_url)
        app: App[None] = App()
        async with app.run_test():
            loops = [
                SourceLoop(app, w, deliver=lambda _: None, report=w.report, clock=SystemClock())
                for w in watched.values()
            ]
            for loop in loops:
                loop.start()
            await _until(lambda: all(w.ok_after(0) for w in watched.values()), 20, "first data")

            # The outage: every server stops at once, for OUTAGE_S.
            await kube_server.__aexit__(None, None, None)
            _stop(prom)
            loki.stop()
            down, down_wall = time.monotonic(), datetime.now(UTC)
            await _until(lambda: all(not w.statuses[-1][1].ok for w in watched.values()), 5, "failure")
            await asyncio.sleep(OUTAGE_S - (time.monotonic() - down))

            # Back, on the same ports.
            up_wall = datetime.now(UTC)
            kube_server = kmock_server(emulator, kube_port)
            await kube_server.__aenter__()
            kube_up = time.monotonic()
            loki = HttpServer({"/loki/api/v1/query_range": json_reply(LOKI_OK)}, port=loki_port).start()
            loki_up = time.monotonic()
            prom = _start_prometheus(prometheus_dir, prom_port)
            await asyncio.to_thread(_ready, prom_url)
            prom_up = time.monotonic()
            await _until(lambda: all(w.ok_after(kube_up) for w in watched.values()), 15, "recovery")
            for loop in loops:
                loop.stop()

        bound = RETRY_CAP_INTERVALS * INTERVAL_S + SLACK_S
        back = {
            "kubernetes": watched["kubernetes"].ok_after(kube_up) - kube_up,  # type: ignore[operator]
            "prometheus": watched["prometheus"].ok_after(prom_up) - prom_up,  # type: ignore[operator]
            "loki": watched["loki"].ok_after(loki_up) - loki_up,  # type: ignore[operator]
        }
        assert all(seconds <= bound for seconds in back.values()), f"back after {back} (bound {bound:g} s)"

        for name, w in watched.items():
            # Tried all along the outage, at most two intervals apart, and cheaply: probes only
            # (no whole poll reached for a server that was not there).
            during = [(at, what) for at, what in w.tries if down_wall <= at <= up_wall]
            assert during and all(what == "probe" for _, what in during[1:]), (name, during)
            probes = [at for at, what in during if what == "probe"]
            assert len(probes) >= OUTAGE_S / (RETRY_CAP_INTERVALS * INTERVAL_S) - 1, (name, during)
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(probes)]
            assert max(gaps) <= RETRY_CAP_INTERVALS * INTERVAL_S + SLACK_S, (name, gaps)
            _countdowns_are_true(name, w)
    finally:
        with contextlib.suppress(Exception):
            await kube_server.__aexit__(None, None, None)
        await emulator.__aexit__(None, None, None)
        _stop(prom)
        loki.stop()
        for w in watched.values():
            await w.close()


def _countdowns_are_true(name: str, w: Watched) -> None:
    """Every "retry in" a failure reported is when the next try started (within timer accuracy)."""
    promised = [s.retry_at for _, s in w.statuses if not s.ok and s.retry_at is not None]
    assert promised, name
    for retry_at in promised:
        following = [at for at, _ in w.tries if at >= retry_at - timedelta(seconds=0.3)]
        if following:  # (none: the loop was stopped before that try)
            assert abs((following[0] - retry_at).total_seconds()) <= 0.4, (name, retry_at, following[0])


def test_the_status_line_says_a_try_is_under_way_and_counts_down_rounded_up() -> None:
    from panels.status import status_text

    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    failing = SourceStatus(
        ok=False, updated_at=now - timedelta(seconds=42), error="connection refused",
        retry_in_s=2.0, retry_at=now + timedelta(seconds=1.2),
    )  # fmt: skip
    assert status_text(failing, now, 1.0).plain == "✖ connection refused · stale 42s · retry in 2s"
    trying = SourceStatus(ok=False, updated_at=failing.updated_at, error="connection refused", trying=True)
    assert status_text(trying, now, 1.0).plain == "✖ connection refused · stale 42s · retrying now"


async def test_probes_name_the_server_that_is_not_there(tmp_path: Path) -> None:
    """Each source's probe is one connect to its own server, and says why it failed the way the
    source's poll does; several log parts pass while any can answer."""
    from tests.servers.http import refused_port
    from tui.sources.base import SourceError
    from tui.sources.kubernetes.pods import KubernetesSource
    from tui.sources.logs.file import FileLogSource
    from tui.sources.logs.loki import LokiLogSource
    from tui.sources.logs.merge import MergedLogSource
    from tui.sources.prometheus import SloSource

    def loki(port: int, name: str) -> LokiLogSource:
        return LokiLogSource(
            LokiConfig(url=f"http://127.0.0.1:{port}"), LogConfig(kind="loki", query="{a}", name=name)
        )

    with refused_port() as port, HttpServer({}) as up:
        kube = KubernetesSource(
            ClusterConfig(kubeconfig=str(write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}")))
        )
        prom = SloSource(PrometheusConfig(url=f"http://127.0.0.1:{port}"), [])
        expected = {
            kube: f"connection refused (127.0.0.1:{port})",
            prom: f"Prometheus 127.0.0.1:{port}: connection refused",
            loki(port, "a"): f"connection refused (127.0.0.1:{port})",
            MergedLogSource([loki(port, "a"), loki(port, "b")]): (
                f"a: connection refused (127.0.0.1:{port}); b: connection refused (127.0.0.1:{port})"
            ),
        }
        for source, message in expected.items():
            with pytest.raises(SourceError) as caught:
                await source.probe()
            assert str(caught.value) == message
            await source.close()
        log = tmp_path / "app.log"
        log.write_text("")
        for merged in (
            MergedLogSource([loki(port, "a"), loki(up.port, "b")]),  # one Loki answers
            MergedLogSource([loki(port, "a"), FileLogSource(LogConfig(kind="file", path=str(log)))]),
        ):
            await merged.probe()  # passes: the poll says what each part has
            await merged.close()
