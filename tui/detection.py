"""Automatic detection: a service going DOWN, a deployment's pods entering CrashLoopBackOff, an
SLO entering breach, and each one's recovery, become one `detected` event per transition.

Pure: snapshots in, detections out. The app writes them to the record (actor kind `system`), or
holds them until an incident is declared, so the first one still counts for time to detect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.model import ClusterSnapshot, HealthSnapshot, SloSnapshot
from tui.untrusted import one_line

CRASHING = {"CrashLoopBackOff", "Error", "OOMKilled", "ImagePullBackOff", "ErrImagePull"}


@dataclass(frozen=True, slots=True)
class Detection:
    key: str  # "service:api-gateway", "deployment:lomash-wood/api-gateway", "slo:API availability"
    problem: bool  # True: entered the bad state; False: recovered
    text: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


class Detector:
    """Remembers the last bad/good state per key and reports only changes. A key first seen
    already bad is reported (it is news to this incident); first seen good is not."""

    def __init__(self) -> None:
        self._bad: dict[str, bool] = {}
        self._open: dict[str, Detection] = {}  # key -> the detection of a problem still present

    def _transition(self, key: str, bad: bool) -> bool:
        before = self._bad.get(key)
        self._bad[key] = bad
        return (before is None and bad) or (before is not None and before != bad)

    def _note(self, found: list[Detection]) -> list[Detection]:
        for detection in found:
            if detection.problem:
                self._open[detection.key] = detection
            else:
                self._open.pop(detection.key, None)
        return found

    def active(self) -> list[Detection]:
        """The problems present now, each as first detected (its time is when it started): an
        incident declared in the middle of an outage gets them, so time to detect counts from
        the first signal, not from the declaration."""
        return sorted(self._open.values(), key=lambda d: d.at)

    def health(self, snap: HealthSnapshot, now: datetime) -> list[Detection]:
        out = []
        for svc in snap.services:
            if svc.state == "UNKNOWN":
                continue  # not checked yet: neither a problem nor a recovery
            key = f"service:{svc.name}"
            bad = svc.state == "DOWN"
            if self._transition(key, bad):
                name = one_line(svc.name, 60)
                text = (
                    f"{name} is DOWN: {one_line(svc.detail, 120)}"
                    if bad
                    else f"{name} recovered ({svc.state})"
                )
                out.append(
                    Detection(
                        key, bad, text, now, {"service": svc.name, "state": svc.state, "code": svc.code}
                    )
                )
        return self._note(out)

    def pods(self, snap: ClusterSnapshot, now: datetime) -> list[Detection]:
        crashing: dict[tuple[str, str], list[str]] = {}
        workloads: set[tuple[str, str]] = set()
        for pod in snap.pods:
            workload = (pod.namespace, pod.workload or pod.name)
            workloads.add(workload)
            if pod.status in CRASHING:
                crashing.setdefault(workload, []).append(pod.name)
        out = []
        for ns, name in sorted(workloads):
            key = f"deployment:{ns}/{name}"
            pods = crashing.get((ns, name), [])
            if self._transition(key, bool(pods)):
                label = f"{one_line(ns, 40)}/{one_line(name, 60)}"
                text = (
                    f"{label}: {len(pods)} pod(s) crash-looping ({one_line(', '.join(pods[:3]), 120)})"
                    if pods
                    else f"{label}: no pod crash-looping any more"
                )
                out.append(
                    Detection(key, bool(pods), text, now, {"namespace": ns, "deployment": name, "pods": pods})
                )
        return self._note(out)

    def slos(self, snap: SloSnapshot, now: datetime) -> list[Detection]:
        out = []
        for slo in snap.slos:
            if slo.state == "UNKNOWN":
                continue
            key = f"slo:{slo.name}"
            bad = slo.state == "BREACH"
            if self._transition(key, bad):
                name = one_line(slo.name, 60)
                text = f"SLO {name} in breach" if bad else f"SLO {name} out of breach ({slo.state})"
                if bad and slo.burn_rate is not None:
                    text += f", burning {slo.burn_rate:.1f}× budget"
                out.append(
                    Detection(key, bad, text, now, {"slo": slo.name, "state": slo.state, "value": slo.value})
                )
        return self._note(out)
