"""What became of each action request, read from the record alone: its outcome event, or, with
none, whether it can still be running. A request is written before its action runs and the
dispatcher bounds the run by the action's timeout, so a request with no outcome older than its
timeout (and the time to write the outcome) ended without warroom hearing: a warroom killed
with -9, a host that lost power. Its outcome is unknown; the record says so, never "running"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tui.incident.events import OUTCOME_KINDS, Event

# How long after its timeout a request may still be waiting for its outcome to be written.
OUTCOME_GRACE_S = 30.0

RUNNING = "running"
UNKNOWN = "outcome unknown"


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


__all__ = ["OUTCOME_GRACE_S", "RUNNING", "UNKNOWN", "outcomes", "pending", "unfinished"]
