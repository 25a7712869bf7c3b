"""The incident's state, folded from its events, and the rules for what may be written next.

Everything here is pure: `fold` turns events into an `IncidentState`; the `plan_*` functions
check a requested change against a state and return the event to write (`Planned`) or raise
`LifecycleError` with the reason. `tui.incident.service.Incidents` ties them to the store.

What each kind carries in `data` (the contract the fold, the export and the UI read):
- declared: {"title", "severity", "drill", "status": "investigating"} and optionally
  "impact_started_at" (UTC ISO) when the impact began before the declaration.
- severity_changed / status_changed: {"from", "to"} and "reason" when one was given.
- reopened: {"from": "resolved" | "closed", "to": an open status} and "reason".
- role_assigned: {"role", "assignee", "previous": name | None, "handover": bool}; "handover"
  is true when the role passes from someone to someone else (a commander handover).
- status_update: {"severity", "status"} at the time of the update.
- starred: {"event": id, "starred": bool}: stars or unstars another event.
- corrected: `supersedes` = the corrected event's id, `text` = the new text, {"event": id}.
  A correction replaces text only (a corrected `declared` event renames the incident); the
  old event stays in the record, shown as corrected.
- detected: {"signal": "slo" | "deployment" | "service" | ..., "subject": what was detected,
  "level": "problem" | "warning" | "ok" (recovered) | "flapping", and the signal's own state}.
- action_requested: whatever the dispatcher records (action, target, command ...).
- action_succeeded / action_failed / action_interrupted: {"request": the action_requested
  event's id, ...}; interrupted: warroom stopped (quit, a signal) before the run ended.
  action_succeeded of an action that set a rollout going (restart, undo, scale) also carries
  "follow": {"what": "deployment/web", "bound_s": the longest warroom follows it}.
- rollout_complete / rollout_stalled / rollout_interrupted: {"request": the action_requested
  event's id, "outcome": its action_succeeded event's id, "subject", "duration_s" (from the
  request to the end), "status": the last rollout status read (kubectl's words), "replicas"
  ...}; stalled: "reason" ("ProgressDeadlineExceeded" or "no progress"); interrupted: "why".

Status moves only forward (investigating → identified → mitigating → resolved → closed; skipping
ahead is allowed); going back is refused; a resolved or closed incident is reopened by its own
`reopened` event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from tui.config.schema import DEFAULT_SEVERITIES, SeverityConfig
from tui.incident.events import KINDS, ROLES, ROLLOUT_KINDS, STATUSES, Event

OPEN_STATUSES = ("investigating", "identified", "mitigating")
CLOSED_STATUSES = ("resolved", "closed")
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}
MAX_TITLE = 200
# Kinds a closed incident still takes: the postmortem goes on after closing.
CLOSED_ACCEPTS = frozenset(
    {
        "note",
        "starred",
        "corrected",
        "reopened",
        "checklist_step",
        "action_requested",
        "action_succeeded",
        "action_failed",
        "action_interrupted",
        *ROLLOUT_KINDS,
    }
)
_NO_CORRECTION = frozenset({"starred", "corrected"})


class LifecycleError(Exception):
    """The reason a change was refused, one line, fit to show the person who asked."""


@dataclass(frozen=True, slots=True)
class IncidentState:
    id: int
    title: str = ""
    drill: bool = False
    severity: str = "?"
    peak_severity: str = "?"  # the worst (lowest rank) severity it ever had
    status: str = "investigating"
    declared_at: datetime | None = None
    declared_by: str = ""
    title_event_id: int = 0  # the event whose text is the title (declared, or its correction)
    roles: Mapping[str, str] = field(default_factory=dict)  # role -> assignee
    last_status_update_at: datetime | None = None
    next_update_due: datetime | None = None  # by the severity's cadence; None: none due
    starred: frozenset[int] = frozenset()
    corrected: Mapping[int, int] = field(default_factory=dict)  # corrected id -> correcting id
    impact_asserted_at: datetime | None = None  # "impact_started_at" of the declaration, if any
    first_detected_at: datetime | None = None  # the earliest `detected` event, if any
    acknowledged_at: datetime | None = None  # first event written by a human
    mitigated_at: datetime | None = None  # first move into mitigating (or past it)
    resolved_at: datetime | None = None  # the standing resolution; cleared by a reopen
    closed_at: datetime | None = None
    reopened_at: datetime | None = None  # the last reopen
    last_event_id: int = 0
    event_count: int = 0

    @property
    def commander(self) -> str | None:
        return self.roles.get("commander")

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def detected_at(self) -> datetime | None:
        """The first detection: the earliest `detected` event, or the declaration if earlier
        (declaring is a human's detection)."""
        times = [t for t in (self.first_detected_at, self.declared_at) if t is not None]
        return min(times) if times else None

    @property
    def impact_started_at(self) -> datetime | None:
        """The asserted start of impact, else the earliest of detection and declaration."""
        times = [t for t in (self.impact_asserted_at, self.detected_at, self.declared_at) if t is not None]
        return min(times) if times else None


@dataclass(slots=True)
class _Fold:
    """The mutable twin of IncidentState: folding 100 000 events must not copy per event."""

    id: int
    title: str = ""
    drill: bool = False
    severity: str = "?"
    peak_severity: str = "?"
    status: str = "investigating"
    declared_at: datetime | None = None
    declared_by: str = ""
    title_event_id: int = 0
    roles: dict[str, str] = field(default_factory=dict)
    last_status_update_at: datetime | None = None
    starred: set[int] = field(default_factory=set)
    corrected: dict[int, int] = field(default_factory=dict)
    impact_asserted: datetime | None = None
    first_detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    last_event_id: int = 0
    event_count: int = 0


def severity_named(name: str, severities: Sequence[SeverityConfig]) -> SeverityConfig | None:
    """The configured severity called `name` (case-insensitive), or None."""
    wanted = name.strip().casefold()
    for severity in severities:
        if severity.name.casefold() == wanted:
            return severity
    return None


def _rank(name: str, severities: Sequence[SeverityConfig]) -> int:
    found = severity_named(name, severities)
    return found.rank if found else 1 << 30


def fold(
    events: Iterable[Event],
    severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
    start: IncidentState | None = None,
) -> IncidentState:
    """The state after `events` (oldest first), continuing from `start` when given."""
    acc: _Fold | None = _thaw(start) if start is not None else None
    for event in events:
        if acc is None:
            acc = _Fold(id=event.incident_id)
        elif event.incident_id != acc.id:
            raise ValueError(f"event #{event.id} belongs to incident #{event.incident_id}, not #{acc.id}")
        if event.id <= acc.last_event_id:
            continue  # already folded (an overlapping refresh)
        _apply(acc, event, severities)
    if acc is None:
        raise ValueError("an incident's state needs at least its declared event")
    return _freeze(acc, severities)


# The kinds whose content the fold reads. Every other kind changes only the event count, the
# last id, the first human act, the first detection and the last status update: sums the store
# computes in SQL (`Tally`), so opening a 100 000-event incident decodes only these rows (and
# the starred ones) instead of every row.
FOLD_KINDS = (
    "declared",
    "severity_changed",
    "status_changed",
    "reopened",
    "role_assigned",
    "starred",
    "corrected",
)


@dataclass(frozen=True, slots=True)
class Tally:
    """What all the events of an incident after some id add up to (see `fold_tallied`)."""

    count: int
    last_id: int
    first_human_at: datetime | None  # occurred_at of the first (by id) event by a human
    first_detected_at: datetime | None  # the earliest occurred_at of a `detected` event
    last_status_update_at: datetime | None  # occurred_at of the last (by id) status update


def fold_tallied(
    incident_id: int,
    events: Iterable[Event],
    tally: Tally,
    severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
    start: IncidentState | None = None,
) -> IncidentState:
    """The same state as `fold` over every event after `start`, computed from only the events
    of FOLD_KINDS or starred (`events`, oldest first) and the `tally` of all of them, both read
    in one snapshot. A star (starred column or `starred` event) always follows the event it
    names, so adding the starred column's ids in order with the `starred` events is exact.
    """
    if start is None and tally.count == 0:
        raise ValueError("an incident's state needs at least its declared event")
    acc = _thaw(start) if start is not None else _Fold(id=incident_id)
    before = acc.last_event_id
    for event in events:
        if event.incident_id != incident_id:
            raise ValueError(f"event #{event.id} is not of incident #{incident_id}")
        if event.id > before:
            _apply(acc, event, severities)
    # The tally covers every event, those applied above included, so it overrides what they set.
    acc.event_count = (start.event_count if start is not None else 0) + tally.count
    acc.last_event_id = max(before, tally.last_id)
    earlier = start or IncidentState(id=incident_id)
    acc.acknowledged_at = earlier.acknowledged_at or tally.first_human_at
    detections = [t for t in (earlier.first_detected_at, tally.first_detected_at) if t is not None]
    acc.first_detected_at = min(detections) if detections else None
    acc.last_status_update_at = tally.last_status_update_at or earlier.last_status_update_at
    return _freeze(acc, severities)


def _apply(acc: _Fold, event: Event, severities: Sequence[SeverityConfig]) -> None:
    data = event.data
    kind = event.kind
    at = event.occurred_at
    acc.last_event_id = event.id
    acc.event_count += 1
    if event.starred:
        acc.starred.add(event.id)
    if acc.acknowledged_at is None and event.actor_kind == "human":
        acc.acknowledged_at = at
    if kind == "declared":
        acc.title = str(data.get("title", event.text))
        acc.title_event_id = event.id
        acc.drill = bool(data.get("drill", False))
        acc.severity = acc.peak_severity = str(data.get("severity", "?"))
        acc.status = str(data.get("status", "investigating"))
        acc.declared_at = at
        acc.declared_by = event.actor
        asserted = data.get("impact_started_at")
        if isinstance(asserted, str):
            try:
                acc.impact_asserted = datetime.fromisoformat(asserted)
            except ValueError:
                acc.impact_asserted = None
    elif kind == "severity_changed":
        acc.severity = str(data.get("to", acc.severity))
        if _rank(acc.severity, severities) < _rank(acc.peak_severity, severities):
            acc.peak_severity = acc.severity
    elif kind in ("status_changed", "reopened"):
        to = str(data.get("to", acc.status))
        if kind == "reopened" or STATUS_RANK.get(to, -1) < STATUS_RANK.get(acc.status, -1):
            acc.resolved_at = acc.closed_at = None
            acc.reopened_at = at if kind == "reopened" else acc.reopened_at
        acc.status = to
        rank = STATUS_RANK.get(to, -1)
        if rank >= STATUS_RANK["mitigating"] and acc.mitigated_at is None:
            acc.mitigated_at = at
        if rank >= STATUS_RANK["resolved"] and acc.resolved_at is None:
            acc.resolved_at = at
        if to == "closed" and acc.closed_at is None:
            acc.closed_at = at
    elif kind == "role_assigned":
        role = str(data.get("role", ""))
        assignee = data.get("assignee")
        if assignee:
            acc.roles[role] = str(assignee)
        else:
            acc.roles.pop(role, None)
    elif kind == "status_update":
        acc.last_status_update_at = at
    elif kind == "starred":
        target = data.get("event")
        if isinstance(target, int):
            if data.get("starred", True):
                acc.starred.add(target)
            else:
                acc.starred.discard(target)
    elif kind == "corrected" and event.supersedes is not None:
        acc.corrected[event.supersedes] = event.id
        if event.supersedes == acc.title_event_id:
            acc.title = event.text
            acc.title_event_id = event.id
    elif (
        kind == "detected"
        and data.get("level") != "ok"  # a recovery is not a detection
        and (acc.first_detected_at is None or at < acc.first_detected_at)
    ):
        acc.first_detected_at = at


def _thaw(state: IncidentState) -> _Fold:
    return _Fold(
        id=state.id,
        title=state.title,
        drill=state.drill,
        severity=state.severity,
        peak_severity=state.peak_severity,
        status=state.status,
        declared_at=state.declared_at,
        declared_by=state.declared_by,
        title_event_id=state.title_event_id,
        roles=dict(state.roles),
        last_status_update_at=state.last_status_update_at,
        starred=set(state.starred),
        corrected=dict(state.corrected),
        impact_asserted=state.impact_asserted_at,
        first_detected_at=state.first_detected_at,
        acknowledged_at=state.acknowledged_at,
        mitigated_at=state.mitigated_at,
        resolved_at=state.resolved_at,
        closed_at=state.closed_at,
        reopened_at=state.reopened_at,
        last_event_id=state.last_event_id,
        event_count=state.event_count,
    )


def _freeze(acc: _Fold, severities: Sequence[SeverityConfig]) -> IncidentState:
    return IncidentState(
        id=acc.id,
        title=acc.title,
        drill=acc.drill,
        severity=acc.severity,
        peak_severity=acc.peak_severity,
        status=acc.status,
        declared_at=acc.declared_at,
        declared_by=acc.declared_by,
        title_event_id=acc.title_event_id,
        roles=MappingProxyType(dict(acc.roles)),
        last_status_update_at=acc.last_status_update_at,
        next_update_due=_next_due(acc, severities),
        starred=frozenset(acc.starred),
        corrected=MappingProxyType(dict(acc.corrected)),
        impact_asserted_at=acc.impact_asserted,
        first_detected_at=acc.first_detected_at,
        acknowledged_at=acc.acknowledged_at,
        mitigated_at=acc.mitigated_at,
        resolved_at=acc.resolved_at,
        closed_at=acc.closed_at,
        reopened_at=acc.reopened_at,
        last_event_id=acc.last_event_id,
        event_count=acc.event_count,
    )


def _next_due(acc: _Fold, severities: Sequence[SeverityConfig]) -> datetime | None:
    if acc.status in CLOSED_STATUSES:
        return None
    severity = severity_named(acc.severity, severities)
    if severity is None or severity.update_every_min is None:
        return None
    bases = [t for t in (acc.last_status_update_at, acc.declared_at, acc.reopened_at) if t is not None]
    if not bases:
        return None
    return max(bases) + timedelta(minutes=severity.update_every_min)


# -- what may be written next ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """An event that passed the rules, ready for `IncidentStore.append`."""

    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    supersedes: int | None = None


def _with_reason(text: str, reason: str) -> str:
    reason = reason.strip()
    return f"{text}: {reason}" if reason else text


def _reason_data(data: dict[str, Any], reason: str) -> dict[str, Any]:
    if reason.strip():
        data["reason"] = reason.strip()
    return data


def require_accepts(state: IncidentState, kind: str) -> None:
    """Refuse kinds a closed incident does not take (it can be reopened)."""
    if kind not in KINDS:
        raise LifecycleError(f"unknown event kind {kind!r}")
    if state.status == "closed" and kind not in CLOSED_ACCEPTS:
        raise LifecycleError(f"incident #{state.id} is closed; reopen it first")


def check_declare(title: str, severity: str, severities: Sequence[SeverityConfig]) -> tuple[str, str]:
    """The title (trimmed) and the configured severity name, or the reason they are refused."""
    title = " ".join(title.split())
    if not title:
        raise LifecycleError("an incident needs a title")
    if len(title) > MAX_TITLE:
        raise LifecycleError(f"title too long ({len(title)} characters, at most {MAX_TITLE})")
    found = severity_named(severity, severities)
    if found is None:
        raise LifecycleError(f"unknown severity {severity!r} (one of {_names(severities)})")
    return title, found.name


def _names(severities: Sequence[SeverityConfig]) -> str:
    return ", ".join(s.name for s in sorted(severities, key=lambda s: s.rank))


def plan_severity(
    state: IncidentState, severity: str, severities: Sequence[SeverityConfig], reason: str = ""
) -> Planned:
    require_accepts(state, "severity_changed")
    if not state.is_open:
        raise LifecycleError(f"incident #{state.id} is {state.status}; reopen it to change its severity")
    found = severity_named(severity, severities)
    if found is None:
        raise LifecycleError(f"unknown severity {severity!r} (one of {_names(severities)})")
    if found.name == state.severity:
        raise LifecycleError(f"incident #{state.id} is already {found.name}")
    data = _reason_data({"from": state.severity, "to": found.name}, reason)
    return Planned("severity_changed", _with_reason(f"{state.severity} → {found.name}", reason), data)


def plan_status(state: IncidentState, status: str, reason: str = "") -> Planned:
    require_accepts(state, "status_changed")
    if status not in STATUS_RANK:
        raise LifecycleError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")
    if status == state.status:
        raise LifecycleError(f"incident #{state.id} is already {status}")
    if STATUS_RANK[status] < STATUS_RANK[state.status]:
        if state.status in CLOSED_STATUSES:
            raise LifecycleError(
                f"incident #{state.id} is {state.status}; reopen it instead of moving it back to {status}"
            )
        raise LifecycleError(
            f"status moves forward only: incident #{state.id} is {state.status}, not back to {status}"
        )
    data = _reason_data({"from": state.status, "to": status}, reason)
    return Planned("status_changed", _with_reason(f"{state.status} → {status}", reason), data)


def plan_reopen(state: IncidentState, status: str = "investigating", reason: str = "") -> Planned:
    if state.is_open:
        raise LifecycleError(f"incident #{state.id} is still open ({state.status}); nothing to reopen")
    if status not in OPEN_STATUSES:
        raise LifecycleError(f"a reopened incident is {', '.join(OPEN_STATUSES)}, not {status!r}")
    data = _reason_data({"from": state.status, "to": status}, reason)
    return Planned("reopened", _with_reason(f"reopened: {state.status} → {status}", reason), data)


def plan_role(state: IncidentState, role: str, assignee: str) -> Planned:
    require_accepts(state, "role_assigned")
    if role not in ROLES:
        raise LifecycleError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    assignee = " ".join(assignee.split())
    if not assignee:
        raise LifecycleError(f"who is {role}? the name is empty")
    previous = state.roles.get(role)
    if previous == assignee:
        raise LifecycleError(f"{assignee} is already {role}")
    handover = previous is not None
    text = f"{assignee} takes over as {role} from {previous}" if handover else f"{assignee} is {role}"
    data = {"role": role, "assignee": assignee, "previous": previous, "handover": handover}
    return Planned("role_assigned", text, data)


def plan_text(state: IncidentState, kind: str, text: str) -> Planned:
    """A note, a status update or a checklist step: free text, not empty."""
    require_accepts(state, kind)
    if not text.strip():
        raise LifecycleError(f"an empty {kind.replace('_', ' ')} is not written")
    data: dict[str, Any] = {}
    if kind == "status_update":
        data = {"severity": state.severity, "status": state.status}
    return Planned(kind, text, data)


def plan_star(state: IncidentState, event: Event, starred: bool = True) -> Planned:
    require_accepts(state, "starred")
    if event.incident_id != state.id:
        raise LifecycleError(f"event #{event.id} is not part of incident #{state.id}")
    if event.kind == "starred":
        raise LifecycleError("a star cannot be starred")
    if (event.id in state.starred) == starred:
        # No id here: the screen cites events by their number in the incident, not the record's id.
        what = event.kind.replace("_", " ")
        raise LifecycleError(f"that {what} is already {'starred' if starred else 'not starred'}")
    text = f"starred #{event.id}" if starred else f"unstarred #{event.id}"
    return Planned("starred", text, {"event": event.id, "starred": starred})


def plan_correct(state: IncidentState, event: Event, text: str) -> Planned:
    require_accepts(state, "corrected")
    if event.incident_id != state.id:
        raise LifecycleError(f"event #{event.id} is not part of incident #{state.id}")
    if event.kind == "starred":
        raise LifecycleError("a star is undone by unstarring, not corrected")
    later = state.corrected.get(event.id)
    if later is not None:
        raise LifecycleError(f"event #{event.id} was already corrected by #{later}; correct #{later}")
    if not text.strip():
        raise LifecycleError("a correction needs the corrected text")
    if text == event.text:
        raise LifecycleError(f"that {event.kind.replace('_', ' ')} already says that: nothing to correct")
    return Planned("corrected", text, {"event": event.id}, supersedes=event.id)


def plan_detected(
    state: IncidentState, text: str, signal: str, subject: str, data: Mapping[str, Any] | None = None
) -> Planned:
    require_accepts(state, "detected")
    if not text.strip():
        raise LifecycleError("a detection needs a description")
    return Planned("detected", text, {**dict(data or {}), "signal": signal, "subject": subject})


def plan_action_finished(
    state: IncidentState,
    request: Event,
    ok: bool,
    text: str,
    data: Mapping[str, Any],
    interrupted: bool = False,
) -> Planned:
    if request.kind != "action_requested" or request.incident_id != state.id:
        raise LifecycleError(f"event #{request.id} is not an action request of incident #{state.id}")
    kind = "action_interrupted" if interrupted else "action_succeeded" if ok else "action_failed"
    return Planned(kind, text, {**dict(data), "request": request.id})


def plan_rollout_finished(
    state: IncidentState, request: Event, outcome: Event | None, kind: str, text: str, data: Mapping[str, Any]
) -> Planned:
    """The end of the following of a rollout that `request` set going (`outcome`: its
    action_succeeded, when it could be written)."""
    if request.kind != "action_requested" or request.incident_id != state.id:
        raise LifecycleError(f"event #{request.id} is not an action request of incident #{state.id}")
    if kind not in ROLLOUT_KINDS:
        raise LifecycleError(f"{kind!r} is not a rollout's end (one of {', '.join(ROLLOUT_KINDS)})")
    require_accepts(state, kind)
    linked = {"request": request.id} | ({"outcome": outcome.id} if outcome is not None else {})
    return Planned(kind, text, {**dict(data), **linked})


@dataclass(frozen=True, slots=True)
class TimelineSnapshot:
    """What the timeline panel shows: plain data, read from the record by the feed."""

    state: IncidentState | None  # None: no incident declared (or none open)
    events: tuple[Event, ...]  # the newest SHOWN_EVENTS of it, oldest first
    pending: int = 0  # problems on screen with no incident to record them in yet
    open_ids: tuple[int, ...] = ()  # every open incident (drills too), oldest first: "also open"


__all__ = [
    "CLOSED_STATUSES",
    "FOLD_KINDS",
    "OPEN_STATUSES",
    "STATUS_RANK",
    "IncidentState",
    "LifecycleError",
    "Planned",
    "Tally",
    "TimelineSnapshot",
    "check_declare",
    "fold",
    "fold_tallied",
    "plan_action_finished",
    "plan_correct",
    "plan_detected",
    "plan_reopen",
    "plan_role",
    "plan_rollout_finished",
    "plan_severity",
    "plan_star",
    "plan_status",
    "plan_text",
    "require_accepts",
    "severity_named",
]
