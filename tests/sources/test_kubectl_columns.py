"""READY, STATUS, RESTARTS and AGE as `kubectl get pods` prints them, from the pod's JSON.

Every STATUS value kubectl's pod printer can produce has a row here (the pod as the API sends
it in, the cells out), and AGE is checked against the durations apimachinery's own tests give
for HumanDuration, the function kubectl prints AGE and "(91s ago)" with. Then the same pods go
into the project's test API server and the real kubectl prints them: warroom's cells must be
kubectl's, column for column (kubectl prints what the server's Table says, so this checks the
server's printer and ours against each other, and both against kubectl's reading of them)."""

from __future__ import annotations

import copy
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from panels.fmt import human_duration, human_duration_next, kube_age
from panels.pods import NONE, restarts_text
from tests.servers.apiserver import ApiServer
from tests.servers.apiserver.printers import pod_cells as server_pod_cells
from tests.servers.needs import program
from tests.timebase import T0
from tui.core.model import PodInfo
from tui.sources.kubernetes.status import pod_info, pod_status

NOW = T0
CREATED = NOW - timedelta(days=2, hours=23, minutes=5)  # AGE 2d23h


def iso(at) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float) -> str:
    return iso(NOW - timedelta(seconds=seconds))


# ---- container statuses, as the kubelet reports them --------------------------------------------


def running(name: str = "app", *, ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(3600)}},
        **extra,
    }


def waiting(name: str = "app", reason: str = "ContainerCreating", *, restarts: int = 0, **extra: Any):
    state: dict[str, Any] = {"reason": reason} if reason else {}
    return {
        "name": name,
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {"waiting": state},
        **extra,
    }


def terminated(
    name: str = "app",
    *,
    exit_code: int = 1,
    reason: str = "",
    signal: int = 0,
    restarts: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": exit_code, "finishedAt": ago(30)}
    if reason:
        state["reason"] = reason
    if signal:
        state["signal"] = signal
    return {
        "name": name,
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {"terminated": state},
        **extra,
    }


def last_ended(seconds_ago: float, reason: str = "Error") -> dict[str, Any]:
    """A container status's lastState: its previous run ended that long ago."""
    return {"lastState": {"terminated": {"exitCode": 1, "reason": reason, "finishedAt": ago(seconds_ago)}}}


def make_pod(
    *,
    phase: str = "Running",
    containers: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    sidecars: tuple[str, ...] = (),
    conditions: dict[str, str] | None = None,
    reason: str = "",
    deleting: bool = False,
    spec_containers: int | None = None,
    scheduled_reason: str = "",
    pod_ip: str = "10.0.1.17",
) -> dict[str, Any]:
    """A pod as the API sends it: `containers` and `init` are the container statuses; the spec
    names the same containers (init containers named in `sidecars` have restartPolicy Always)."""
    containers = containers if containers is not None else []
    init = init or []
    names = [c["name"] for c in containers] or ["app"]
    if spec_containers is not None:
        names = [f"c{i}" for i in range(spec_containers)]
    init_specs = []
    for c in init:
        spec_c: dict[str, Any] = {"name": c["name"], "image": "registry.example/init:1"}
        if c["name"] in sidecars:
            spec_c["restartPolicy"] = "Always"
        init_specs.append(spec_c)
    status: dict[str, Any] = {"phase": phase}
    if reason:
        status["reason"] = reason
    conds = [{"type": t, "status": s} for t, s in (conditions or {}).items()]
    if scheduled_reason:
        conds.append({"type": "PodScheduled", "status": "False", "reason": scheduled_reason})
    if conds:
        status["conditions"] = conds
    if containers:
        status["containerStatuses"] = containers
    if init:
        status["initContainerStatuses"] = init
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    meta: dict[str, Any] = {
        "name": "web-7d4b9c8f6-x2k4p",
        "namespace": "shop",
        "creationTimestamp": iso(CREATED),
    }
    if deleting:
        meta["deletionTimestamp"] = ago(5)
    spec: dict[str, Any] = {"containers": [{"name": n, "image": "registry.example/app:1"} for n in names]}
    if init_specs:
        spec["initContainers"] = init_specs
    spec["nodeName"] = "node-1"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


READY = {"Initialized": "True", "Ready": "True", "ContainersReady": "True", "PodScheduled": "True"}
NOT_READY = {"Initialized": "True", "Ready": "False", "ContainersReady": "False", "PodScheduled": "True"}
INITIALIZING = {"Initialized": "False", "Ready": "False", "PodScheduled": "True"}

# (what the pod is, its JSON, the STATUS kubectl prints, its READY)
STATUS_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # the phase, when nothing more specific applies
    ("running and ready", make_pod(containers=[running()], conditions=READY), "Running", "1/1"),
    ("not scheduled yet", make_pod(phase="Pending", pod_ip=""), "Pending", "0/1"),
    ("ran to completion, statuses gone", make_pod(phase="Succeeded"), "Succeeded", "0/1"),
    ("failed, statuses gone", make_pod(phase="Failed"), "Failed", "0/1"),
    ("phase unknown", make_pod(phase="Unknown"), "Unknown", "0/1"),
    # the pod's own reason
    ("evicted", make_pod(phase="Failed", reason="Evicted", pod_ip=""), "Evicted", "0/1"),
    ("node lost", make_pod(containers=[running()], reason="NodeLost"), "NodeLost", "1/1"),
    ("admission refused", make_pod(phase="Failed", reason="OutOfcpu"), "OutOfcpu", "0/1"),
    (
        "scheduling gated (over a reason)",
        make_pod(phase="Pending", reason="Whatever", scheduled_reason="SchedulingGated", pod_ip=""),
        "SchedulingGated",
        "0/1",
    ),
    (
        "unschedulable is still Pending",
        make_pod(phase="Pending", scheduled_reason="Unschedulable"),
        "Pending",
        "0/1",
    ),
    # a container's waiting reason
    ("creating", make_pod(phase="Pending", containers=[waiting()]), "ContainerCreating", "0/1"),
    (
        "crash loop",
        make_pod(containers=[waiting(reason="CrashLoopBackOff", restarts=7)]),
        "CrashLoopBackOff",
        "0/1",
    ),
    (
        "image pull back-off",
        make_pod(containers=[waiting(reason="ImagePullBackOff")]),
        "ImagePullBackOff",
        "0/1",
    ),
    ("image pull error", make_pod(containers=[waiting(reason="ErrImagePull")]), "ErrImagePull", "0/1"),
    (
        "config error",
        make_pod(containers=[waiting(reason="CreateContainerConfigError")]),
        "CreateContainerConfigError",
        "0/1",
    ),
    (
        "after the init containers",
        make_pod(containers=[waiting(reason="PodInitializing")]),
        "PodInitializing",
        "0/1",
    ),
    (
        "a waiting state without a reason changes nothing",
        make_pod(containers=[waiting(reason="")]),
        "Running",
        "0/1",
    ),
    # a container's terminated reason, signal or exit code
    (
        "out of memory",
        make_pod(containers=[terminated(reason="OOMKilled", exit_code=137)]),
        "OOMKilled",
        "0/1",
    ),
    ("error", make_pod(phase="Failed", containers=[terminated(reason="Error")]), "Error", "0/1"),
    (
        "completed",
        make_pod(phase="Succeeded", containers=[terminated(reason="Completed", exit_code=0)]),
        "Completed",
        "0/1",
    ),
    (
        "status unknown",
        make_pod(phase="Failed", containers=[terminated(reason="ContainerStatusUnknown", exit_code=137)]),
        "ContainerStatusUnknown",
        "0/1",
    ),
    ("killed by a signal", make_pod(containers=[terminated(signal=9, exit_code=137)]), "Signal:9", "0/1"),
    ("an exit code alone", make_pod(containers=[terminated(exit_code=2)]), "ExitCode:2", "0/1"),
    # several containers: the first one in the list that is not running decides
    (
        "the first container's reason wins",
        make_pod(containers=[waiting("a", "CrashLoopBackOff"), waiting("b", "ImagePullBackOff")]),
        "CrashLoopBackOff",
        "0/2",
    ),
    (
        "one of two ready",
        make_pod(containers=[running("a"), running("b", ready=False)], conditions=NOT_READY),
        "Running",
        "1/2",
    ),
    (
        "completed next to a running one, pod ready",
        make_pod(
            containers=[running("a"), terminated("b", reason="Completed", exit_code=0)], conditions=READY
        ),
        "Running",
        "1/2",
    ),
    (
        "completed next to a running one, pod not ready",
        make_pod(
            containers=[running("a"), terminated("b", reason="Completed", exit_code=0)], conditions=NOT_READY
        ),
        "NotReady",
        "1/2",
    ),
    # init containers
    (
        "first init container running",
        make_pod(
            phase="Pending",
            init=[running("migrate", ready=False), waiting("seed", "")],
            conditions=INITIALIZING,
        ),
        "Init:0/2",
        "0/1",
    ),
    (
        "second init container running",
        make_pod(
            phase="Pending",
            init=[terminated("migrate", exit_code=0, reason="Completed"), running("seed", ready=False)],
            containers=[waiting(reason="PodInitializing")],
            conditions=INITIALIZING,
        ),
        "Init:1/2",
        "0/1",
    ),
    (
        "init container waiting to initialize",
        make_pod(phase="Pending", init=[waiting("migrate", "PodInitializing")], conditions=INITIALIZING),
        "Init:0/1",
        "0/1",
    ),
    (
        "init container crash loop",
        make_pod(init=[waiting("migrate", "CrashLoopBackOff", restarts=4)], conditions=INITIALIZING),
        "Init:CrashLoopBackOff",
        "0/1",
    ),
    (
        "init container image pull",
        make_pod(phase="Pending", init=[waiting("migrate", "ImagePullBackOff")], conditions=INITIALIZING),
        "Init:ImagePullBackOff",
        "0/1",
    ),
    (
        "init container pull error",
        make_pod(phase="Pending", init=[waiting("migrate", "ErrImagePull")], conditions=INITIALIZING),
        "Init:ErrImagePull",
        "0/1",
    ),
    (
        "init container failed",
        make_pod(init=[terminated("migrate", reason="Error")], conditions=INITIALIZING),
        "Init:Error",
        "0/1",
    ),
    (
        "init container out of memory",
        make_pod(init=[terminated("migrate", reason="OOMKilled", exit_code=137)], conditions=INITIALIZING),
        "Init:OOMKilled",
        "0/1",
    ),
    (
        "init container killed by a signal",
        make_pod(init=[terminated("migrate", signal=15, exit_code=143)], conditions=INITIALIZING),
        "Init:Signal:15",
        "0/1",
    ),
    (
        "init container exit code",
        make_pod(init=[terminated("migrate", exit_code=3)], conditions=INITIALIZING),
        "Init:ExitCode:3",
        "0/1",
    ),
    # restartable init containers (sidecars): started ones count in READY and do not hold the pod
    (
        "a sidecar up and the app running",
        make_pod(init=[running("proxy")], sidecars=("proxy",), containers=[running()], conditions=READY),
        "Running",
        "2/2",
    ),
    (
        "a sidecar up, not ready yet",
        make_pod(
            init=[running("proxy", ready=False)],
            sidecars=("proxy",),
            containers=[running()],
            conditions=NOT_READY,
        ),
        "Running",
        "1/2",
    ),
    (
        "a sidecar not started yet",
        make_pod(
            phase="Pending",
            init=[running("proxy", ready=False, started=False)],
            sidecars=("proxy",),
            containers=[waiting(reason="PodInitializing")],
            conditions=INITIALIZING,
        ),
        "Init:0/1",
        "0/2",
    ),
    (
        "a sidecar up, an init container after it running",
        make_pod(
            phase="Pending",
            init=[running("proxy"), running("migrate", ready=False)],
            sidecars=("proxy",),
            containers=[waiting(reason="PodInitializing")],
            conditions=INITIALIZING,
        ),
        "Init:1/2",
        "1/2",
    ),
    (
        "a sidecar crash-looping after the pod initialized",
        make_pod(
            init=[waiting("proxy", "CrashLoopBackOff", restarts=3)],
            sidecars=("proxy",),
            containers=[running()],
            conditions=NOT_READY,
        ),
        "Init:CrashLoopBackOff",
        "1/2",
    ),
    # being deleted
    ("terminating", make_pod(containers=[running()], conditions=READY, deleting=True), "Terminating", "1/1"),
    (
        "terminating, its container already waiting",
        make_pod(containers=[waiting(reason="CrashLoopBackOff")], deleting=True),
        "Terminating",
        "0/1",
    ),
    (
        "node lost and being deleted",
        make_pod(containers=[running()], reason="NodeLost", deleting=True),
        "Unknown",
        "1/1",
    ),
    (
        "a completed pod being deleted stays as it ended",
        make_pod(phase="Succeeded", containers=[terminated(reason="Completed", exit_code=0)], deleting=True),
        "Completed",
        "0/1",
    ),
    (
        "a failed pod being deleted stays as it ended",
        make_pod(phase="Failed", containers=[terminated(reason="Error")], deleting=True),
        "Error",
        "0/1",
    ),
]


@pytest.mark.parametrize(("what", "pod", "status", "ready"), STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_status_and_ready_as_kubectl_prints_them(
    what: str, pod: dict[str, Any], status: str, ready: str
) -> None:
    info = pod_info(pod)
    assert (info.status, f"{info.ready}/{info.containers}") == (status, ready)
    assert pod_status(pod) == status


def test_every_status_kubectl_prints_has_a_case() -> None:
    """The families of kubectl's STATUS values, each with at least one row above."""
    printed = {status for _, _, status, _ in STATUS_CASES}
    for family in ("Init:0/", "Init:1/", "Init:Signal:", "Init:ExitCode:", "Signal:", "ExitCode:"):
        assert any(s.startswith(family) for s in printed), family
    for word in (
        "Running", "Pending", "Succeeded", "Failed", "Unknown", "Evicted", "NodeLost", "SchedulingGated",
        "ContainerCreating", "PodInitializing", "CrashLoopBackOff", "Completed", "NotReady", "Terminating",
        "Init:CrashLoopBackOff", "Init:Error", "Init:ImagePullBackOff", "ContainerStatusUnknown",
    ):  # fmt: skip
        assert word in printed, word


def test_a_pod_without_a_phase_has_no_status_as_for_kubectl() -> None:
    # An API server sets Pending on create; kubectl prints an empty cell for none (not Unknown).
    assert pod_status(make_pod(phase="")) == ""


def test_odd_json_reads_as_absent_and_never_raises() -> None:
    pod = make_pod(containers=[running()])
    pod["status"]["containerStatuses"] = [None, "x", {"name": "app", "restartCount": "7", "state": []}]
    pod["status"]["conditions"] = "Ready"
    pod["spec"]["initContainers"] = {"name": "x"}
    info = pod_info(pod)
    assert (info.status, info.ready, info.restarts) == ("Running", 0, 0)


# ---- RESTARTS: init containers counted, the last restart's age -----------------------------------

RESTART_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("never restarted", make_pod(containers=[running()], conditions=READY), "0"),
    (
        "restarted 91 s ago",
        make_pod(containers=[waiting(reason="CrashLoopBackOff", restarts=7, **last_ended(91))]),
        "7 (91s ago)",
    ),
    (
        "an init container restarted while the pod initializes",
        make_pod(
            init=[waiting("migrate", "CrashLoopBackOff", restarts=4, **last_ended(126))],
            containers=[waiting(reason="PodInitializing")],
            conditions=INITIALIZING,
        ),
        "4 (2m6s ago)",
    ),
    (
        "restarts without a last state: the count alone",
        make_pod(containers=[running(restarts=3)], conditions=READY),
        "3",
    ),
    (
        "the newest end of all the containers counted",
        make_pod(
            containers=[
                running("a", restarts=2, **last_ended(7200)),
                running("b", restarts=1, **last_ended(600)),
            ],
            conditions=READY,
        ),
        "3 (10m ago)",
    ),
    (
        "once initialized, a done init container's restarts no longer count",
        make_pod(
            init=[terminated("migrate", exit_code=0, reason="Completed", restarts=5, **last_ended(60))],
            containers=[running(restarts=1, **last_ended(4000))],
            conditions=READY,
        ),
        "1 (66m ago)",
    ),
    (
        "a sidecar's restarts do",
        make_pod(
            init=[running("proxy", restarts=2, **last_ended(50))],
            sidecars=("proxy",),
            containers=[running(restarts=1, **last_ended(4000))],
            conditions=READY,
        ),
        "3 (50s ago)",
    ),
    (
        "an end without restarts is not shown",
        make_pod(containers=[running(**last_ended(30))], conditions=READY),
        "0",
    ),
    (
        "restarted days ago",
        make_pod(
            containers=[running(restarts=12, **last_ended(2 * 86400 + 3 * 3600 + 60))], conditions=READY
        ),
        "12 (2d3h ago)",
    ),
]


@pytest.mark.parametrize(("what", "pod", "shown"), RESTART_CASES, ids=[c[0] for c in RESTART_CASES])
def test_restarts_as_kubectl_prints_them(what: str, pod: dict[str, Any], shown: str) -> None:
    assert restarts_text(pod_info(pod), NOW) == shown


def test_age_node_and_ip_of_a_pod() -> None:
    info = pod_info(make_pod(containers=[running()], conditions=READY))
    assert (kube_age(info.created_at, NOW), info.node, info.ip, info.phase) == (
        "2d23h",
        "node-1",
        "10.0.1.17",
        "Running",
    )
    older = make_pod(containers=[running()])
    del older["status"]["podIPs"]  # an older server sends podIP only
    assert pod_info(older).ip == "10.0.1.17"
    assert pod_info(make_pod(phase="Pending", pod_ip="")).ip == ""
    assert kube_age(None, NOW) == "<unknown>"


# ---- AGE: apimachinery's HumanDuration, by its own test tables ------------------------------------

S, M, H, D, Y = 1, 60, 3600, 86400, 365 * 86400
MS = timedelta(milliseconds=1)
HUMAN_DURATIONS: list[tuple[timedelta, str]] = [
    # TestHumanDuration
    (timedelta(seconds=1), "1s"),
    (timedelta(seconds=70), "70s"),
    (timedelta(seconds=190), "3m10s"),
    (timedelta(minutes=70), "70m"),
    (timedelta(hours=47), "47h"),
    (timedelta(hours=49), "2d1h"),
    (timedelta(hours=8 * 24 + 2), "8d"),
    (timedelta(hours=367 * 24), "367d"),
    (timedelta(hours=365 * 2 * 24 + 25), "2y1d"),
    (timedelta(hours=365 * 8 * 24 + 2), "8y"),
    # TestHumanDurationBoundaries
    (timedelta(seconds=-2), "<invalid>"),
    (timedelta(seconds=-2, microseconds=1), "0s"),
    (timedelta(0), "0s"),
    (timedelta(seconds=1) - MS, "0s"),
    (timedelta(minutes=2) - MS, "119s"),
    (timedelta(minutes=2), "2m"),
    (timedelta(minutes=2, seconds=1), "2m1s"),
    (timedelta(minutes=10) - MS, "9m59s"),
    (timedelta(minutes=10), "10m"),
    (timedelta(minutes=10, seconds=1), "10m"),
    (timedelta(hours=3) - MS, "179m"),
    (timedelta(hours=3), "3h"),
    (timedelta(hours=3, minutes=1), "3h1m"),
    (timedelta(hours=8) - MS, "7h59m"),
    (timedelta(hours=8), "8h"),
    (timedelta(hours=8, minutes=59), "8h"),
    (timedelta(days=2) - MS, "47h"),
    (timedelta(days=2), "2d"),
    (timedelta(days=2, hours=1), "2d1h"),
    (timedelta(days=8) - MS, "7d23h"),
    (timedelta(days=8), "8d"),
    (timedelta(days=8, hours=23), "8d"),
    (timedelta(days=2 * 365) - MS, "729d"),
    (timedelta(days=2 * 365), "2y"),
    (timedelta(days=2 * 365, hours=23), "2y"),
    (timedelta(days=2 * 365, hours=23, minutes=59), "2y"),
    (timedelta(days=2 * 365, hours=24) - MS, "2y"),
    (timedelta(days=2 * 365, hours=24), "2y1d"),
    (timedelta(days=3 * 365), "3y"),
    (timedelta(days=4 * 365), "4y"),
    (timedelta(days=5 * 365), "5y"),
    (timedelta(days=6 * 365), "6y"),
    (timedelta(days=7 * 365), "7y"),
    (timedelta(days=8 * 365) - MS, "7y364d"),
    (timedelta(days=8 * 365), "8y"),
    (timedelta(days=8 * 365 + 364), "8y"),
    (timedelta(days=9 * 365), "9y"),
    # the figures
    (timedelta(days=2, hours=23, minutes=5), "2d23h"),
    (timedelta(minutes=4, seconds=1), "4m1s"),
    (timedelta(days=3 * 365 + 45, hours=6), "3y45d"),
]


@pytest.mark.parametrize(("d", "shown"), HUMAN_DURATIONS, ids=[f"{d}={s}" for d, s in HUMAN_DURATIONS])
def test_age_as_kubectl_prints_it(d: timedelta, shown: str) -> None:
    assert human_duration(d) == shown
    assert kube_age(NOW - d, NOW) == shown


@pytest.mark.parametrize(
    "start",
    [0, 50 * S, 119 * S, 9 * M + 58 * S, 10 * M, 179 * M + 30 * S, 7 * H + 59 * M, 47 * H + 59 * M,
     7 * D + 23 * H, 729 * D + 23 * H, 8 * Y - D, 8 * Y + 100 * D],
)  # fmt: skip
def test_the_text_changes_exactly_when_it_says(start: int) -> None:
    """`human_duration_next` (when the panel writes a row's AGE again) names the very moment
    the text moves: the same text up to it, another text at it."""
    d = timedelta(seconds=start, milliseconds=300)
    for _ in range(3):
        at = timedelta(seconds=human_duration_next(d.total_seconds()))
        assert at > d
        assert human_duration(at - MS) == human_duration(d), (d, at)
        assert human_duration(at) != human_duration(d), (d, at)
        d = at


# ---- the same pods, printed by the test API server and by the real kubectl ----------------------


def our_cells(info: PodInfo, now: datetime) -> list[str]:
    """What warroom shows for the pod, in `kubectl get pods -o wide`'s order (NAME READY STATUS
    RESTARTS AGE IP NODE)."""
    return [
        info.name,
        f"{info.ready}/{info.containers}",
        info.status,
        restarts_text(info, now),
        kube_age(info.created_at, now),
        info.ip or NONE,
        info.node or NONE,
    ]


ALL_CASES = [(what, pod) for what, pod, _, _ in STATUS_CASES] + [
    (what, pod) for what, pod, _ in RESTART_CASES
]


def named(i: int, pod: dict[str, Any]) -> dict[str, Any]:
    pod = copy.deepcopy(pod)
    pod["metadata"]["name"] = f"case-{i:02d}"
    return pod


@pytest.mark.parametrize(("what", "pod"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_the_test_api_servers_printer_says_the_same(what: str, pod: dict[str, Any]) -> None:
    cells, _ = server_pod_cells(pod, NOW)
    assert our_cells(pod_info(pod), NOW) == cells[:7]


def kubectl_rows(api: ApiServer, tmp_path: Path, *args: str) -> list[list[str]]:
    binary = program("kubectl", "the Debian package kubernetes-client or a cloud SDK provides it")
    config = api.kubeconfig(tmp_path / "kubeconfig")
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KUBECONFIG": str(config)}
    command = [binary, "--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    # Cells are two spaces or more apart ("7 (91s ago)" has single spaces).
    return [re.split(r"\s{2,}", line.strip()) for line in done.stdout.splitlines() if line.strip()]


def test_kubectl_get_pods_wide_prints_what_warroom_shows(apiserver: ApiServer, tmp_path: Path) -> None:
    pods = [named(i, pod) for i, (_, pod) in enumerate(ALL_CASES)]
    apiserver.seed(*pods)
    rows = kubectl_rows(apiserver, tmp_path, "get", "pods", "-n", "shop", "-o", "wide")
    now = datetime.now(UTC)  # kubectl's ages are the server's, at about this time (days: no edge)
    assert rows[0][:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    printed = {row[0]: row[:7] for row in rows[1:]}
    stored = {p["metadata"]["name"]: p for p in apiserver.list("pods", "shop")}
    assert printed.keys() == stored.keys() == {p["metadata"]["name"] for p in pods}
    differ = {
        name: (printed[name], ours)
        for name, pod in stored.items()
        if printed[name] != (ours := our_cells(pod_info(pod), now))
    }
    assert differ == {}, "\n".join(f"{n}: kubectl {k} / warroom {w}" for n, (k, w) in differ.items())
