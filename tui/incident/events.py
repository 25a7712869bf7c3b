"""One event of the incident record, as DESIGN.md fixes it. Nothing is updated or deleted: a
correction is a new event whose `supersedes` names the one it replaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ActorKind = Literal["human", "automation", "system"]
EventSource = Literal["key", "cli", "auto"]

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
