"""What became of each action request, read from the record alone: its outcome event, or, with
none, whether it can still be running. A request is written before its action runs and the
dispatcher bounds the run by the action's timeout, so a request with no outcome older than its
timeout (and the time to write the outcome) ended without warroom hearing: a warroom killed
with -9, a host that lost power. Its outcome is unknown; the record says so, never "running"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tui.incident.events import OUTCOME_KINDS, ROLLOUT_KINDS, Event

# How long after its timeout a request may still be waiting for its outcome to be written.
OUTCOME_GRACE_S = 30.0

RUNNING = "running"
UNKNOWN = "outcome unknown"
ROLLING_OUT = "rolling out"
ROLLOUT_UNKNOWN = "rollout outcome unknown"


def outcomes(events: Iterable[Event]) -> dict[int, Event]:
    """request id -> the first outcome event that names it."""
    found: dict[int, Event] = {}
    for event in events:
        if event.kind in OUTCOME_KINDS:
            request = event.data.get("request")
            if isinstance(request, int) and request not in found:
                found[request] = event
    return found


def unfinished(request: Event, now: datetime) -> str:
    """RUNNING while the request may still be running, else UNKNOWN."""
    timeout = request.data.get("timeout_s")
    limit = (float(timeout) if isinstance(timeout, int | float) else 0.0) + OUTCOME_GRACE_S
    return RUNNING if (now - request.recorded_at).total_seconds() <= limit else UNKNOWN


def pending(
    events: Iterable[Event], now: datetime, done: Mapping[int, Event] | None = None
) -> dict[int, str]:
    """request id -> RUNNING or UNKNOWN, for every request without an outcome."""
    events = list(events)
    done = outcomes(events) if done is None else done
    return {e.id: unfinished(e, now) for e in events if e.kind == "action_requested" and e.id not in done}


def rollout_ends(events: Iterable[Event]) -> dict[int, Event]:
    """request id -> the first rollout_complete / _stalled / _interrupted that names it."""
    found: dict[int, Event] = {}
    for event in events:
        if event.kind in ROLLOUT_KINDS:
            request = event.data.get("request")
            if isinstance(request, int) and request not in found:
                found[request] = event
    return found


def rollouts_pending(events: Iterable[Event], now: datetime) -> dict[int, str]:
    """action_succeeded event id -> ROLLING_OUT or ROLLOUT_UNKNOWN, for every action that set a
    rollout going (data["follow"]) with no end of it on the record yet: the follow may still be
    running (within its bound, and the time to write its end), or warroom stopped without
    hearing (kill -9)."""
    events = list(events)
    ended = rollout_ends(events)
    out: dict[int, str] = {}
    for event in events:
        follow = event.data.get("follow") if event.kind == "action_succeeded" else None
        request = event.data.get("request")
        if not isinstance(follow, Mapping) or not isinstance(request, int) or request in ended:
            continue
        bound = follow.get("bound_s")
        limit = (float(bound) if isinstance(bound, int | float) else 0.0) + OUTCOME_GRACE_S
        out[event.id] = ROLLING_OUT if (now - event.recorded_at).total_seconds() <= limit else ROLLOUT_UNKNOWN
    return out


__all__ = [
    "OUTCOME_GRACE_S",
    "ROLLING_OUT",
    "ROLLOUT_UNKNOWN",
    "RUNNING",
    "UNKNOWN",
    "outcomes",
    "pending",
    "rollout_ends",
    "rollouts_pending",
    "unfinished",
]
