"""The test API server at the issue's scale: 10,000 pods in 50 namespaces list in well under a
second (each object's JSON is kept; a list joins it), and the command that serves them for
benchmarks and tmux walks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers.apiserver import ApiServer
from tests.servers.apiserver.__main__ import population

ROOT = Path(__file__).resolve().parents[2]


def test_ten_thousand_pods_list_in_well_under_a_second() -> None:
    with ApiServer(controller=False) as api:
        api.seed(*population(10_000, 50))
        with httpx.Client(timeout=30) as client:
            client.get(api.url + "/version")  # the connection is open before the clock starts
            started = time.perf_counter()
            body = client.get(api.url + "/api/v1/pods").content
            took = time.perf_counter() - started
            one_ns = client.get(api.url + "/api/v1/namespaces/ns-07/pods").json()
        doc = json.loads(body)
        assert len(doc["items"]) == 10_000
        assert {p["metadata"]["namespace"] for p in doc["items"]} == {f"ns-{i:02}" for i in range(50)}
        assert len(one_ns["items"]) == 200
        assert took < 0.5, f"listing 10,000 pods took {took:.3f}s"
        restarted = [
            p for p in doc["items"] if p["status"].get("containerStatuses", [{}])[0].get("restartCount")
        ]
        assert restarted and all(
            p["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"] for p in restarted
        )


def test_the_command_serves_a_seeded_cluster_until_terminated(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.json"
    command = [sys.executable, "-m", "tests.servers.apiserver", "--pods", "60", "--namespaces", "3"]
    server = subprocess.Popen(
        [*command, "--kubeconfig", str(kubeconfig), "--deployments", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip().removeprefix("url=")
        assert url.startswith("http://127.0.0.1:")
        assert server.stdout.readline().startswith("seeded=60 pods in 3 namespaces")
        assert server.stdout.readline().strip() == f"kubeconfig={kubeconfig}"
        assert json.loads(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        deadline = time.monotonic() + 10
        while True:  # 60 seeded pods and 3 deployments of 3 replicas, made by the controller
            pods = httpx.get(url + "/api/v1/pods", timeout=5).json()["items"]
            if len(pods) == 69:
                break
            assert time.monotonic() < deadline, len(pods)
            time.sleep(0.05)
        assert len(httpx.get(url + "/apis/apps/v1/deployments", timeout=5).json()["items"]) == 3
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_the_command_takes_commands_on_its_input(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.servers.apiserver",
            "--pods",
            "20",
            "--namespaces",
            "2",
            "--no-controller",
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert server.stdin is not None and server.stdout is not None

    def say(command: str) -> str:
        server.stdin.write(command + "\n")  # type: ignore[union-attr]
        server.stdin.flush()  # type: ignore[union-attr]
        return server.stdout.readline().strip()  # type: ignore[union-attr]

    try:
        url = server.stdout.readline().strip().removeprefix("url=")
        server.stdout.readline()  # seeded=...
        before = int(httpx.get(url + "/api/v1/pods", timeout=5).json()["metadata"]["resourceVersion"])
        assert say("burst 50") == f"ok burst 50 rv={before + 50}"
        pods = httpx.get(url + "/api/v1/pods", timeout=5).json()["items"]
        assert sum(p["status"].get("containerStatuses", [{}])[0].get("restartCount", 0) for p in pods) >= 50
        assert say("compact") == f"ok compact floor={before + 50}"
        assert say("restart") == f"ok restart rv={before + 50}"
        assert len(httpx.get(url + "/api/v1/pods", timeout=5).json()["items"]) == 20
        assert say("bogus") == "unknown command: bogus"
        assert say("quit") == "ok quit"
        assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
