"""One event of the incident record, as DESIGN.md fixes it. Nothing is updated or deleted: a
correction is a new event whose `supersedes` names the one it replaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ActorKind = Literal["human", "automation", "system"]
EventSource = Literal["key", "cli", "auto"]

# What ends an `action_requested` (data["request"] names it). A request with none of these is
# running while younger than its timeout, and its outcome is unknown after that.
OUTCOME_KINDS = ("action_succeeded", "action_failed", "action_interrupted")

# What ends the following of a rollout that an action set going (data["request"] names the
# action's request, data["outcome"] its action_succeeded): rolled out, stalled (the controller's
# progress deadline, or warroom's own bound), or not followed to the end (warroom quit, or the
# workload could not be read): the rollout goes on in the cluster, its end is not on the record.
ROLLOUT_KINDS = ("rollout_complete", "rollout_stalled", "rollout_interrupted")

KINDS = (
    "declared",
    "severity_changed",
    "status_changed",
    "role_assigned",
    "note",
    "status_update",
    "action_requested",
    "action_succeeded",
    "action_failed",
    "action_interrupted",
    *ROLLOUT_KINDS,
    "detected",
    "checklist_step",
    "starred",
    "corrected",
    "reopened",
)

STATUSES = ("investigating", "identified", "mitigating", "resolved", "closed")
ROLES = ("commander", "comms", "ops", "scribe")


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    incident_id: int
    recorded_at: datetime  # UTC, set by warroom
    occurred_at: datetime  # UTC, may be asserted
    actor: str  # "alice@bastion-1 (ssh 10.0.0.5)"
    actor_kind: ActorKind
    source: EventSource
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    starred: bool = False
    supersedes: int | None = None


def in_time_order(events: Iterable[Event]) -> list[Event]:
    """The one order every reader shows events in: when they happened (occurred_at), then the
    order they were written (id). An event asserted to have happened earlier, a detection held
    before the declaration and carried in after it, takes its place in time."""
    return sorted(events, key=lambda e: (e.occurred_at, e.id))


def event_numbers(events: Sequence[Event], *, count: int | None = None, last_id: int = 0) -> dict[int, int]:
    """Each event's number within its incident (id -> 1, 2, ...): its position in id order.

    Ids are the record's and shared by all incidents; the number is what a reader cites ("#7").
    `events`: one incident's events in id order, with no gaps: all of them (the default), or its
    newest ones (a screen shows only those) together with `count` and `last_id` of a state folded
    from a read no newer than `events`: `count` events have ids up to `last_id`, so the shown ones
    up to `last_id` end at number `count`, and the newer ones follow.
    """
    if count is None:
        return {event.id: number for number, event in enumerate(events, start=1)}
    known = sum(1 for event in events if event.id <= last_id)
    first = count - known + 1
    return {event.id: first + index for index, event in enumerate(events)}
