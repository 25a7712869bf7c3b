"""The proof that the test API server behaves like a real one: the real kubectl (1.32) against
it, with a kubeconfig from tests/servers/kube.py, its own HOME and discovery cache. kubectl
missing: the test fails in CI, is skipped elsewhere (tests/servers/needs.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.servers.needs import program

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def kubectl(apiserver: ApiServer, tmp_path: Path) -> Kubectl:
    binary = program("kubectl", "the Debian package kubernetes-client or a cloud SDK provides it")
    config = apiserver.kubeconfig(tmp_path / "kubeconfig")
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KUBECONFIG": str(config)}

    def run(*args: str, token: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [binary, "--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"), *args]
        if token is not None:
            command += ["--token", token]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)

    return run


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def table(text: str) -> list[list[str]]:
    """kubectl's table as rows of cells (cells are separated by two spaces or more)."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def seed_incident(api: ApiServer) -> None:
    api.seed(
        kube.pod("web-1", app="web"),
        kube.pod("web-2", state="crashloop", restarts=7, app="web"),
        kube.pod("web-3", state="waiting", app="web"),
        kube.pod("db-0", "data", state="pending"),
        kube.pod("pay-1", "payments", app="pay"),
    )


def test_get_pods_all_namespaces_as_json_lists_the_same_pods(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    doc = json.loads(ok(kubectl("get", "pods", "-A", "-o", "json")))
    got = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in doc["items"]}
    stored = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in apiserver.list("pods")}
    assert got.keys() == stored.keys()
    for key, pod in stored.items():
        assert got[key]["metadata"]["uid"] == pod["metadata"]["uid"]
        assert got[key]["metadata"]["resourceVersion"] == pod["metadata"]["resourceVersion"]
        assert got[key]["status"] == pod["status"]


def test_get_pods_all_namespaces_prints_the_table(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    rows = table(ok(kubectl("get", "pods", "-A")))
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["web-1"][2:4] == ["1/1", "Running"]
    assert by_name["web-2"][2:5] == ["0/1", "CrashLoopBackOff", "7"]
    assert by_name["web-3"][3] == "ContainerCreating"
    assert by_name["db-0"][:4] == ["data", "db-0", "0/1", "Pending"]
    assert {row[0] for row in rows[1:]} == {"shop", "data", "payments"}
    wide = table(ok(kubectl("get", "pods", "-n", "shop", "-o", "wide")))
    assert wide[0][:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]


def test_get_pods_with_a_label_selector(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    rows = table(ok(kubectl("get", "pods", "-A", "-l", "app in (web,pay),app!=pay", "-o", "name")))
    assert sorted(r[0] for r in rows) == ["pod/web-1", "pod/web-2", "pod/web-3"]


def test_get_events_sorted_by_last_timestamp(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    now = datetime.now(UTC)
    crashing = apiserver.get("pods", "shop", "web-2")
    pending = apiserver.get("pods", "data", "db-0")
    assert crashing and pending
    apiserver.event(
        crashing,
        "BackOff",
        "Back-off restarting failed container",
        type="Warning",
        count=7,
        last=now - timedelta(seconds=30),
    )
    apiserver.event(crashing, "Pulled", "Container image pulled", last=now - timedelta(minutes=5))
    apiserver.event(
        pending,
        "FailedScheduling",
        "0/3 nodes are available: 3 Insufficient cpu.",
        type="Warning",
        last=now - timedelta(seconds=90),
    )
    rows = table(ok(kubectl("get", "events", "-A", "--sort-by=.lastTimestamp")))
    assert rows[0] == ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert [r[3] for r in rows[1:]] == ["Pulled", "FailedScheduling", "BackOff"]  # oldest first
    assert rows[3][1:5] == ["30s", "Warning", "BackOff", "pod/web-2"]
    one_ns = table(ok(kubectl("get", "events", "-n", "shop", "--field-selector", "type=Warning")))
    assert [r[2] for r in one_ns[1:]] == ["BackOff"]
