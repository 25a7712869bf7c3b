"""A real Prometheus for tests, scraping an exporter that the tests drive.

The session-scoped fixture `prometheus` starts a prometheus_client exporter in this process (so
tests change its counters directly) and the `prometheus` binary as a subprocess that scrapes it
every second, waits for the first scrape (about 5-6 s: Prometheus's discovery manager throttles
its first update by 5 s), and stops both at the end, Prometheus by its PID.

Counters only give a `rate()` once Prometheus has a sample from before the increase, so the
exporter creates the series of a pool of services at start-up, before the first scrape:
`prom.service()` hands out one of them, fresh for each test, already scraped at zero.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import prometheus_client
import pytest

from tests.servers.needs import program

JOB = "warroom-test"
SCRAPE_S = 1
POOL = 12  # services whose series exist from the first scrape
READY_TIMEOUT_S = 15.0
FIRST_SCRAPE_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prometheus_binary() -> str:
    """The path of `prometheus`, or fail (in CI) / skip (elsewhere) when it is not installed."""
    return program("prometheus")


class Exporter:
    """The metrics the tests drive: http_requests_total{service, code} and
    celery_queue_length{queue}, on a free loopback port."""

    def __init__(self) -> None:
        self.registry = prometheus_client.CollectorRegistry()
        self.requests = prometheus_client.Counter(
            "http_requests", "HTTP requests served", ["service", "code"], registry=self.registry
        )
        self.queue = prometheus_client.Gauge(
            "celery_queue_length", "Tasks waiting", ["queue"], registry=self.registry
        )
        self.pool = [f"svc-{i:02d}" for i in range(POOL)]
        for name in self.pool:
            for code in ("200", "500"):
                self.requests.labels(service=name, code=code)
        self.server, self.thread = prometheus_client.start_http_server(
            0, addr="127.0.0.1", registry=self.registry
        )
        self.port = int(self.server.server_port)

    def serve(self, service: str, ok: int = 0, errors: int = 0) -> None:
        """Count `ok` 200s and `errors` 500s for `service`."""
        self.requests.labels(service=service, code="200").inc(ok)
        self.requests.labels(service=service, code="500").inc(errors)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class PrometheusServer:
    url: str
    exporter: Exporter
    process: subprocess.Popen[bytes]
    log: Path
    _used: set[str] = field(default_factory=set)

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The result list of an instant query (raises on anything but success)."""
        resp = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def wait_for(self, what: str, check: Callable[[], bool], timeout_s: float = 15.0) -> None:
        """Poll `check` until it is true; fail with `what` and the server's log otherwise."""
        deadline = time.monotonic() + timeout_s
        while not check():
            if self.process.poll() is not None:
                pytest.fail(
                    f"prometheus exited ({self.process.returncode}) waiting for {what}: {self.tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"prometheus: no {what} within {timeout_s:g}s: {self.tail()}")
            time.sleep(0.1)

    def service(self) -> str:
        """A service name nobody else used this session, with its counters already scraped at 0."""
        for name in self.exporter.pool:
            if name not in self._used:
                self._used.add(name)
                return name
        raise AssertionError(f"more than {POOL} services asked for: raise POOL in {__name__}")

    def tail(self, lines: int = 15) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _scraped(server: PrometheusServer) -> Callable[[], bool]:
    def check() -> bool:
        result = server.query(f'up{{job="{JOB}"}} == 1')
        return bool(result)

    return check


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    binary = prometheus_binary()
    root = tmp_path_factory.mktemp("prometheus")
    exporter = Exporter()
    port = free_port()
    config = root / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {SCRAPE_S}s\n  evaluation_interval: {SCRAPE_S}s\n"
        f"scrape_configs:\n  - job_name: {JOB}\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{exporter.port}']\n"
    )
    log = root / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = PrometheusServer(f"http://127.0.0.1:{port}", exporter, process, log)
    try:
        server.wait_for("/-/ready", lambda: _ready(server.url), READY_TIMEOUT_S)
        server.wait_for(f'first scrape (up{{job="{JOB}"}} == 1)', _scraped(server), FIRST_SCRAPE_TIMEOUT_S)
        yield server
    finally:
        _stop(process)
        exporter.stop()
