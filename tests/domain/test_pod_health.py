"""The one pod-health rule, as the panel (order, colour), detection (crash-looping) and the
status update (pods not ready) all use it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.ui.fakes import T0, cluster, pod
from tui.config.schema import DetectionConfig
from tui.domain.detection import Detector
from tui.domain.pod_health import crash_looping, not_ready, pod_rank
from tui.domain.status_update import conditions

BROKEN = [
    "CrashLoopBackOff",
    "Error",
    "OOMKilled",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "ContainerStatusUnknown",
    "Evicted",
    "Init:CrashLoopBackOff",
    "Init:Error",
    "Init:ImagePullBackOff",
    "Init:ErrImagePull",
    "Init:OOMKilled",
    "Init:ExitCode:1",
    "Init:Signal:9",
    "ExitCode:2",
    "Signal:15",
]
NOT_READY = [
    "Pending",
    "ContainerCreating",
    "PodInitializing",
    "Init:0/2",
    "Init:1/2",
    "Terminating",
    "Unknown",
    "SchedulingGated",
    "NotReady",
    "ExitCode:0",
]


@pytest.mark.parametrize("status", BROKEN)
def test_failures_rank_first_and_count_as_crash_looping(status: str) -> None:
    p = pod("web-7d4b9c8f6-x2k4p", status)
    assert pod_rank(p) == 0
    assert crash_looping(p)
    assert not_ready(p)


@pytest.mark.parametrize("status", NOT_READY)
def test_pods_on_their_way_rank_second_and_are_no_crash(status: str) -> None:
    p = pod("web-7d4b9c8f6-x2k4p", status)
    assert pod_rank(p) == 1
    assert not crash_looping(p)
    assert not_ready(p)


def test_healthy_pods_rank_last() -> None:
    assert pod_rank(pod("web-7d4b9c8f6-x2k4p")) == 2
    done = replace(pod("job-x2k4p", "Completed"), ready=0)  # a finished job: 0/1 and done
    assert pod_rank(done) == 2 and not not_ready(done)
    half = replace(pod("web-7d4b9c8f6-x2k4p"), containers=2)  # Running 1/2
    assert pod_rank(half) == 1
    assert crash_looping(replace(half, restarts=3)), "Running 1/2 between two crashes"


def test_a_pod_the_api_says_failed_is_broken_whatever_its_reason() -> None:
    p = replace(pod("web-7d4b9c8f6-x2k4p", "OutOfcpu"), phase="Failed")
    assert pod_rank(p) == 0
    assert pod_rank(replace(p, phase="Pending")) == 1


def test_detection_and_the_status_update_use_the_same_rule() -> None:
    snap = cluster(
        pod("migrate-7d4b9c8f6-x2k4p", "Init:CrashLoopBackOff", workload="migrate"),
        replace(pod("report-x2k4p", "Completed", workload="report"), ready=0),
        pod("web-7d4b9c8f6-abcde", workload="web"),
    )
    found = Detector(DetectionConfig(hold_s=0)).pods(snap, T0 + timedelta(seconds=1))
    assert [(d.key, d.level) for d in found if d.level == "problem"] == [
        ("deployment:lomash-wood/migrate", "problem")
    ]
    # The completed job is done, not "not ready" (it was counted before: 0/1).
    assert "- 1 of 3 pods not ready: 1 Init:CrashLoopBackOff" in "\n".join(
        f"- {line}" for line in conditions(None, snap, None)
    )
