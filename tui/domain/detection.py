"""Automatic detection: a service DOWN or DEGRADED, a deployment's pods crash-looping, an SLO in
breach or burning (WARN), and each one's way back, become `detected` events.

Pure: snapshots in, detections out. A state is reported only once it has held for
`[detection] hold_s` (a single bad poll is not an incident), and at the time it started (so
time to detect counts from the first signal, not from the end of the hold). A subject that keeps
changing (a service that crash-loops behind its health check) is reported once as flapping,
with the count of changes, and then again only when it has settled: back to ok for
`settle_s`, or in one bad state for the whole `flap_window_s`.

The levels are ordered: problem (DOWN, BREACH, crash-looping), warning (DEGRADED, WARN), ok. Going
from DOWN to DEGRADED is a warning, not a recovery; only ok is "recovered".

Every process on one database runs its own detector; the record keeps each subject's state per
incident and writes a detection only when it changes that state (see
`IncidentStore.append(transition=...)`), so any number of processes record it once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from tui.config.schema import DetectionConfig
from tui.core.model import ClusterSnapshot, HealthSnapshot, SloSnapshot
from tui.core.untrusted import one_line
from tui.domain.pod_health import crash_looping

Level = Literal["problem", "warning", "ok", "flapping"]
# What the timeline calls each level: a recovery must not read like a detection.
LEVEL_LABEL: dict[str, str] = {
    "problem": "detected",
    "warning": "warning",
    "ok": "recovered",
    "flapping": "flapping",
}


@dataclass(frozen=True, slots=True)
class Detection:
    key: str  # "service:api-gateway", "deployment:lomash-wood/api-gateway", "slo:API availability"
    level: Level
    text: str
    at: datetime  # when the state began (the first poll that saw it)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def problem(self) -> bool:
        """Anything but ok: a problem, a warning or flapping."""
        return self.level != "ok"

    @property
    def signal(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def subject(self) -> str:
        return self.key.split(":", 1)[-1]


@dataclass(slots=True)
class _Observation:
    """What one poll says of one subject, and how the record words it."""

    level: Level
    label: str  # the subject as the text names it: "api-gateway", "SLO API availability"
    said: str  # "is DOWN", "in breach", "2 pod(s) crash-looping (…)"; for ok, its state: "UP"
    data: dict[str, Any]
    worse: str = ""  # how its problem level reads, for "(was …)" when it eases to a warning

    def text(self, before: str | None) -> str:
        if self.level == "ok":
            return f"{self.label} recovered ({self.said})"
        eased = self.level == "warning" and before in ("problem", "flapping") and self.worse
        was = f" (was {self.worse if before == 'problem' else 'flapping'})" if eased else ""
        return f"{self.label} {self.said}{was}"


@dataclass(slots=True)
class _Subject:
    level: Level  # what the last poll saw
    since: datetime  # since when it has seen that level
    seen: _Observation
    reported: Level | None = None  # what this detector last reported
    # Since when it has been away from what was reported (first seen, if nothing was): where
    # flapping begins on the timeline, so it sits after the last state it reported.
    unreported_since: datetime | None = None
    changes: deque[datetime] = field(default_factory=deque)
    flapping: bool = False


class Detector:
    """Per subject: the level the polls see, how long it has held, and what was reported; reports
    only changes that held (or the start and end of flapping). A subject first seen bad is
    reported (it is news to this incident); first seen ok is not."""

    def __init__(self, rules: DetectionConfig | None = None) -> None:
        self.rules = rules or DetectionConfig()
        self._subjects: dict[str, _Subject] = {}
        self._health_seen: dict[str, object] = {}  # service -> the row the last snapshot had
        # The pods snapshot last observed, while observing it again could report nothing: a
        # watched cluster hands over the very same snapshot until something changes.
        self._pods_quiet: object | None = None

    def _settled(self, key: str) -> bool:
        """What the polls see was reported and nothing is held or flapping: the same observation
        again returns nothing (it is not a change, and no hold or flap window is running)."""
        subject = self._subjects.get(key)
        return subject is not None and not subject.flapping and subject.level == subject.reported

    def _observe(self, key: str, seen: _Observation, now: datetime) -> Detection | None:
        rules = self.rules
        subject = self._subjects.get(key)
        if subject is None:
            subject = self._subjects[key] = _Subject(seen.level, now, seen, unreported_since=now)
        elif seen.level != subject.level:
            if subject.level == subject.reported:
                subject.unreported_since = now
            subject.level, subject.since = seen.level, now
            subject.changes.append(now)
        subject.seen = seen  # the newest text and data of the level it is at
        window = now - timedelta(seconds=rules.flap_window_s)
        while subject.changes and subject.changes[0] < window:
            subject.changes.popleft()
        held = (now - subject.since).total_seconds()
        if subject.flapping:
            # Back to ok is news soon (the mitigation worked); a bad state must outlast the
            # whole window, or a crash loop's longer back-offs would each read as "settled".
            if held < (rules.settle_s if seen.level == "ok" else rules.flap_window_s):
                return None
            subject.flapping = False  # settled: what it settled on is news, even if ok
            subject.changes.clear()
            return self._report(key, subject, subject.since, before="flapping")
        if len(subject.changes) >= rules.flap_changes:
            subject.flapping = True
            count = len(subject.changes)
            subject.reported = "flapping"
            first = subject.changes[0]
            return Detection(
                key,
                "flapping",
                f"{seen.label} flapping: {count} changes in {_span(now - first)}",
                subject.unreported_since or first,
                {**seen.data, "level": "flapping", "changes": count},
            )
        if held < rules.hold_s or seen.level == subject.reported:
            return None
        if subject.reported is None and seen.level == "ok":
            subject.reported = "ok"  # first seen healthy: nothing to say
            return None
        return self._report(key, subject, subject.since, before=subject.reported)

    @staticmethod
    def _report(key: str, subject: _Subject, at: datetime, *, before: str | None) -> Detection:
        seen = subject.seen
        subject.reported, subject.unreported_since = seen.level, None
        return Detection(key, seen.level, seen.text(before), at, {**seen.data, "level": seen.level})

    def _found(self, observed: list[tuple[str, _Observation]], now: datetime) -> list[Detection]:
        out = []
        for key, seen in observed:
            detection = self._observe(key, seen, now)
            if detection is not None:
                out.append(detection)
        return out

    def health(self, snap: HealthSnapshot, now: datetime) -> list[Detection]:
        observed = []
        seen_last = self._health_seen
        self._health_seen = {}
        for svc in snap.services:
            self._health_seen[svc.name] = svc
            if svc.state == "UNKNOWN":
                continue  # not checked yet: neither a problem nor a recovery
            if seen_last.get(svc.name) is svc and self._settled(f"service:{svc.name}"):
                # Not checked since the last snapshot (a health source hands over the same row),
                # and nothing pending for it: observing it again could not report anything. With
                # 10 000 services spread over the interval, most rows of a batch are these.
                continue
            state = svc.state
            level: Level = "problem" if state == "DOWN" else "warning" if state == "DEGRADED" else "ok"
            detail = one_line(svc.detail, 120)
            said = svc.state if level == "ok" else f"is {svc.state}" + (f": {detail}" if detail else "")
            data = {"service": svc.name, "state": svc.state, "code": svc.code}
            observed.append(
                (f"service:{svc.name}", _Observation(level, one_line(svc.name, 60), said, data, "DOWN"))
            )
        return self._found(observed, now)

    def pods(self, snap: ClusterSnapshot, now: datetime) -> list[Detection]:
        if snap is self._pods_quiet or self._same_as_quiet(snap):
            self._pods_quiet = snap
            return []
        crashing: dict[tuple[str, str], list[str]] = {}
        workloads: set[tuple[str, str]] = set()
        for pod in snap.pods:
            workload = (pod.namespace, pod.workload or pod.name)
            workloads.add(workload)
            if crash_looping(pod):
                crashing.setdefault(workload, []).append(pod.name)
        observed = []
        for ns, name in sorted(workloads):
            pods = crashing.get((ns, name), [])
            label = f"{one_line(ns, 40)}/{one_line(name, 60)}"
            said = (
                f"{len(pods)} pod(s) crash-looping ({one_line(', '.join(pods[:3]), 120)})"
                if pods
                else "no pod crash-looping"
            )
            data = {"namespace": ns, "deployment": name, "pods": pods}
            level: Level = "problem" if pods else "ok"
            observed.append((f"deployment:{ns}/{name}", _Observation(level, label, said, data)))
        found = self._found(observed, now)
        settled = all(self._settled(key) for key, _ in observed)
        self._pods_quiet = snap if settled else None  # (a hold or a flap window still runs)
        return found

    def _same_as_quiet(self, snap: ClusterSnapshot) -> bool:
        """The snapshot observed last, settled, with pods changed in place that are neither
        crash-looping now nor were (a restart count, a label): observing it would say the same.
        A pass by identity over the pods, not the whole grouping of them by workload."""
        quiet = self._pods_quiet
        if not isinstance(quiet, ClusterSnapshot) or len(quiet.pods) != len(snap.pods):
            return False
        for old, new in zip(quiet.pods, snap.pods, strict=True):
            if old is new:
                continue
            if (old.namespace, old.name, old.workload) != (new.namespace, new.name, new.workload):
                return False
            if crash_looping(old) or crash_looping(new):
                return False
        return True

    def slos(self, snap: SloSnapshot, now: datetime) -> list[Detection]:
        observed = []
        for slo in snap.slos:
            if slo.state == "UNKNOWN":
                continue
            level: Level = "problem" if slo.state == "BREACH" else "warning" if slo.state == "WARN" else "ok"
            said = {"problem": "in breach", "warning": "at risk (WARN)"}.get(level, slo.state)
            if level != "ok" and slo.burn_rate is not None:
                said += f", burning {slo.burn_rate:.1f}× budget"
            data = {"slo": slo.name, "state": slo.state, "value": slo.value}
            label = f"SLO {one_line(slo.name, 60)}"
            observed.append((f"slo:{slo.name}", _Observation(level, label, said, data, "in breach")))
        return self._found(observed, now)


def _span(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 1)
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
