"""The proof that the test API server behaves like a real one: the real kubectl (1.32) against
it, with a kubeconfig from tests/servers/kube.py, its own HOME and discovery cache. kubectl
missing: the test fails in CI, is skipped elsewhere (tests/servers/needs.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers import kube
from tests.servers.apiserver import ApiServer
from tests.servers.needs import program
from tests.servers.tls import ca_signed


@pytest.fixture
def apiserver(apiserver_with_controllers: ApiServer) -> ApiServer:
    """The server with its controllers (rollouts need them)."""
    return apiserver_with_controllers


class Kubectl:
    """The real kubectl with this server's kubeconfig, its own HOME and discovery cache."""

    def __init__(self, api: ApiServer, home: Path, ca_file: Path | None = None) -> None:
        binary = program("kubectl", "the Debian package kubernetes-client or a cloud SDK provides it")
        config = api.kubeconfig(home / "kubeconfig", ca_file=ca_file)
        self.base = [binary, "--kubeconfig", str(config), "--cache-dir", str(home / "cache")]
        self.env = {
            "HOME": str(home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "KUBECONFIG": str(config),
        }

    def __call__(
        self, *args: str, token: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        command = [*self.base, *args, *(["--token", token] if token is not None else [])]
        return subprocess.run(command, capture_output=True, text=True, env=self.env, timeout=timeout)


@pytest.fixture
def kubectl(apiserver: ApiServer, tmp_path: Path) -> Kubectl:
    return Kubectl(apiserver, tmp_path)


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
    assert rows[3][1] in ("30s", "31s", "32s")  # stamped to the second, read a moment later
    assert rows[3][2:5] == ["Warning", "BackOff", "pod/web-2"]
    one_ns = table(ok(kubectl("get", "events", "-n", "shop", "--field-selector", "type=Warning")))
    assert [r[2] for r in one_ns[1:]] == ["BackOff"]


def fresh_deployment(api: ApiServer, **spec: object) -> None:
    dep = kube.deployment("web")
    del dep["status"]
    dep["spec"].update(spec)
    api.seed(dep)


def rolled_out(kubectl: Kubectl, what: str = "deployment/web") -> str:
    return ok(kubectl("rollout", "status", what, "--timeout=60s"))


def test_rollout_restart_and_status_follow_the_rollout_to_the_end(
    apiserver: ApiServer, kubectl: Kubectl
) -> None:
    fresh_deployment(apiserver)
    assert rolled_out(kubectl).strip() == 'deployment "web" successfully rolled out'
    apiserver.controller.ready_after = 0.3  # type: ignore[union-attr]
    assert ok(kubectl("rollout", "restart", "deployment/web")).strip() == "deployment.apps/web restarted"
    out = rolled_out(kubectl)
    assert 'Waiting for deployment "web" rollout to finish:' in out
    assert out.strip().endswith('deployment "web" successfully rolled out')
    dep = apiserver.get("deployments", "shop", "web")
    assert dep and "kubectl.kubernetes.io/restartedAt" in dep["spec"]["template"]["metadata"]["annotations"]
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_rollout_status_fails_when_the_progress_deadline_is_exceeded(
    apiserver: ApiServer, kubectl: Kubectl
) -> None:
    fresh_deployment(apiserver, progressDeadlineSeconds=1)
    rolled_out(kubectl)
    apiserver.controller.failing_images.add("app:bad")  # type: ignore[union-attr]
    assert (
        ok(kubectl("set", "image", "deployment/web", "app=app:bad")).strip()
        == "deployment.apps/web image updated"
    )
    done = kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    assert done.returncode == 1
    assert done.stderr.strip() == 'error: deployment "web" exceeded its progress deadline'


def test_rollout_undo_goes_back_to_the_previous_template(apiserver: ApiServer, kubectl: Kubectl) -> None:
    fresh_deployment(apiserver)
    rolled_out(kubectl)
    first = apiserver.get("deployments", "shop", "web")
    ok(kubectl("set", "image", "deployment/web", "app=registry.example/app:2.0"))
    rolled_out(kubectl)
    assert ok(kubectl("rollout", "undo", "deployment/web")).strip() == "deployment.apps/web rolled back"
    rolled_out(kubectl)
    dep = apiserver.get("deployments", "shop", "web")
    assert first and dep
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/app:1.0"
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    history = table(ok(kubectl("rollout", "history", "deployment/web")))
    assert [row[0] for row in history[2:]] == ["2", "3"]  # revision 1 became 3
    images = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]
        for rs in apiserver.list("replicasets", "shop")
    }
    assert images == {"registry.example/app:1.0", "registry.example/app:2.0"}  # no third ReplicaSet


def test_scale_changes_replicas_and_pods(apiserver: ApiServer, kubectl: Kubectl) -> None:
    fresh_deployment(apiserver)
    rolled_out(kubectl)
    assert ok(kubectl("scale", "deployment/web", "--replicas=5")).strip() == "deployment.apps/web scaled"
    rolled_out(kubectl)
    rows = table(ok(kubectl("get", "deployment", "web")))
    assert rows[1][:4] == ["web", "5/5", "5", "5"]
    assert len(apiserver.list("pods", "shop")) == 5
    ok(kubectl("scale", "deployment/web", "--replicas=2", "--current-replicas=5"))  # GET then PUT the Scale
    rolled_out(kubectl)
    assert len(apiserver.list("pods", "shop")) == 2


def test_a_statefulset_restarts_and_undoes(apiserver: ApiServer, kubectl: Kubectl) -> None:
    apiserver.seed(kube.statefulset("redis"))
    assert (
        rolled_out(kubectl, "statefulset/redis").strip()
        == "partitioned roll out complete: 3 new pods have been updated..."
    )
    first = (apiserver.get("statefulsets", "shop", "redis") or {})["status"]["currentRevision"]
    assert (
        ok(kubectl("rollout", "restart", "statefulset/redis")).strip() == "statefulset.apps/redis restarted"
    )
    out = rolled_out(kubectl, "statefulset/redis")
    assert out.strip().endswith("partitioned roll out complete: 3 new pods have been updated...")
    second = (apiserver.get("statefulsets", "shop", "redis") or {})["status"]["updateRevision"]
    assert second != first
    assert ok(kubectl("rollout", "undo", "statefulset/redis")).strip() == "statefulset.apps/redis rolled back"
    rolled_out(kubectl, "statefulset/redis")
    sts = apiserver.get("statefulsets", "shop", "redis") or {}
    assert sts["status"]["updateRevision"] == first  # the first revision again, now numbered 3
    assert "annotations" not in sts["spec"]["template"]["metadata"]
    revisions = {r["metadata"]["name"]: r["revision"] for r in apiserver.list("controllerrevisions", "shop")}
    assert revisions == {first: 3, second: 2}


def test_logs_previous_with_a_tail_and_follow(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    apiserver.set_log("shop", "web-2", [f"previous {i}" for i in range(300)], previous=True)
    apiserver.set_log("shop", "web-2", ["current 0"])
    lines = ok(kubectl("logs", "web-2", "--previous", "--tail=200")).splitlines()
    assert lines == [f"previous {i}" for i in range(100, 300)]
    assert ok(kubectl("logs", "web-2")).splitlines() == ["current 0"]
    stamped = ok(kubectl("logs", "web-2", "--timestamps")).split(" ", 1)
    assert stamped[0].endswith("Z") and stamped[1] == "current 0\n"
    refused = kubectl("logs", "web-1", "--previous")
    assert refused.returncode == 1
    assert 'previous terminated container "app" in pod "web-1" not found' in refused.stderr

    follow = subprocess.Popen(
        [*kubectl.base, "logs", "-f", "web-2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kubectl.env,
    )
    try:
        assert follow.stdout is not None
        assert follow.stdout.readline() == "current 0\n"
        apiserver.append_log("shop", "web-2", "current 1", "current 2")
        assert [follow.stdout.readline(), follow.stdout.readline()] == ["current 1\n", "current 2\n"]
        apiserver.delete("pods", "shop", "web-2")  # the container's stream ends with its pod
        assert follow.wait(10) == 0
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ApiServer, Kubectl]]:
    """The server over TLS (kubectl sends no bearer token over plain HTTP), trusted by kubectl."""
    tls = ca_signed(tmp_path / "tls")
    with ApiServer(tls=tls.server) as api:
        yield api, Kubectl(api, tmp_path, ca_file=tls.ca_file)


def test_a_restricted_token_gets_the_real_forbidden_message(tls_server: tuple[ApiServer, Kubectl]) -> None:
    from tests.servers.apiserver import VIEW, rule

    apiserver, kubectl = tls_server
    assert apiserver.url.startswith("https://")
    seed_incident(apiserver)
    apiserver.rbac.grant("viewer-token", "viewer", rule(VIEW, "pods", "payments"))
    rows = table(ok(kubectl("get", "pods", "-n", "payments", token="viewer-token")))
    assert [r[0] for r in rows[1:]] == ["pay-1"]
    denied = kubectl("get", "deployments", "-n", "payments", token="viewer-token")
    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): deployments.apps is forbidden: User "viewer" cannot list resource '
        '"deployments" in API group "apps" in the namespace "payments"'
    )
    everywhere = kubectl("get", "pods", "-A", token="viewer-token")
    assert everywhere.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "viewer" cannot list resource "pods" '
        'in API group "" at the cluster scope'
    )
    one = kubectl("delete", "pod", "pay-1", "-n", "payments", token="viewer-token")
    assert 'pods "pay-1" is forbidden: User "viewer" cannot delete resource "pods"' in one.stderr
    stranger = kubectl("get", "pods", token="nobody")
    assert stranger.returncode == 1 and "Unauthorized" in stranger.stderr
    assert apiserver.get("pods", "payments", "pay-1") is not None


def test_get_pods_watch_prints_each_change_as_a_row(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    watching = subprocess.Popen(
        [*kubectl.base, "get", "pods", "-n", "shop", "-w"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kubectl.env,
    )
    try:
        assert watching.stdout is not None
        header = watching.stdout.readline().split()
        assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        first = {watching.stdout.readline().split()[0] for _ in range(3)}
        assert first == {"web-1", "web-2", "web-3"}
        apiserver.mutate(
            "pods",
            "shop",
            "web-1",
            lambda pod: pod["metadata"].update(deletionTimestamp="2026-12-01T00:00:00Z"),
        )
        assert watching.stdout.readline().split()[:3] == ["web-1", "1/1", "Terminating"]
    finally:
        watching.kill()
        watching.wait()


def test_describe_shows_a_pod_and_its_events(apiserver: ApiServer, kubectl: Kubectl) -> None:
    seed_incident(apiserver)
    pod = apiserver.get("pods", "shop", "web-2")
    assert pod
    apiserver.event(pod, "BackOff", "Back-off restarting failed container app", type="Warning", count=7)
    out = ok(kubectl("describe", "pod", "web-2"))
    assert "State:          Waiting" in out and "Reason:       CrashLoopBackOff" in out
    assert "Restart Count:  7" in out
    assert "Warning  BackOff" in out and "Back-off restarting failed container app" in out


def test_a_deleted_pod_is_terminating_for_its_grace_period(tmp_path: Path) -> None:
    with ApiServer(pod_grace=1.5) as api:
        kubectl = Kubectl(api, tmp_path)
        seed_incident(api)
        deleting = subprocess.Popen(
            [*kubectl.base, "delete", "pod", "web-1"], stdout=subprocess.PIPE, text=True, env=kubectl.env
        )
        try:
            deadline = datetime.now(UTC) + timedelta(seconds=5)
            while not (api.get("pods", "shop", "web-1") or {}).get("metadata", {}).get("deletionTimestamp"):
                assert datetime.now(UTC) < deadline
                time.sleep(0.02)
            rows = {r[0]: r for r in table(ok(kubectl("get", "pods")))[1:]}
            assert rows["web-1"][2] == "Terminating"
            assert deleting.wait(10) == 0  # kubectl waits until the pod is gone
            assert deleting.stdout is not None and deleting.stdout.read().strip() == 'pod "web-1" deleted'
            assert api.get("pods", "shop", "web-1") is None
        finally:
            if deleting.poll() is None:
                deleting.kill()
                deleting.wait()
