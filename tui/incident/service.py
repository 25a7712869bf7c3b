"""`Incidents`: the operations the keys and the CLI run on the record. Each one reads the
incident's state, checks the change with the lifecycle rules and appends the event.

Check and write are one step: the append carries the id of the newest event the check saw
(`expect_last_id`); if another process wrote in between, the store refuses, the state is read
again and the rules checked again, so two people moving the status at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.config.schema import DEFAULT_SEVERITIES, SeverityConfig
from tui.core.clock import Clock, SystemClock
from tui.incident.actor import current_actor, system_actor
from tui.incident.events import ActorKind, Event, EventSource
from tui.incident.lifecycle import (
    IncidentState,
    LifecycleError,
    Planned,
    check_declare,
    fold,
    fold_tallied,
    plan_action_finished,
    plan_correct,
    plan_detected,
    plan_reopen,
    plan_role,
    plan_rollout_finished,
    plan_severity,
    plan_star,
    plan_status,
    plan_text,
    require_accepts,
)
from tui.incident.store import IncidentStore, IncidentSummary, StoreConflict, Transition, Unchanged
from tui.incident.target import open_incidents, the_open_incident

if TYPE_CHECKING:
    from tui.incident.export import IncidentExport

CONFLICT_RETRIES = 20


@dataclass(frozen=True, slots=True)
class Who:
    """Who writes an event: the actor string, its kind and where it came from."""

    actor: str
    kind: ActorKind = "human"
    source: EventSource = "key"


class Incidents:
    """The incident operations over one store; each returns the `Event` it wrote.

    Raises `LifecycleError` for a change the rules refuse and `StoreError` when the record
    could not be read or written.
    """

    def __init__(
        self,
        store: IncidentStore,
        severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
        clock: Clock | None = None,
        *,
        who: Who | None = None,
    ) -> None:
        self.store = store
        self.severities = tuple(severities) or DEFAULT_SEVERITIES
        self.clock = clock or SystemClock()
        self.who = who or Who(current_actor())
        self._states: dict[int, IncidentState] = {}

    async def state(self, incident_id: int) -> IncidentState:
        """The incident's state, read incrementally (only events newer than the last read)."""
        known = self._states.get(incident_id)
        after = known.last_event_id if known else 0
        # Not every event: the state-changing ones and SQL sums of the rest (see `fold_tallied`).
        events, tally = await self.store.fold_input(incident_id, after)
        if tally.count == 0:
            if known is None:
                raise LifecycleError(f"no incident #{incident_id}")
            return known
        state = fold_tallied(incident_id, events, tally, self.severities, start=known)
        self._states[incident_id] = state
        return state

    # ---- reading: what the keys and the palette ask of the record (nothing goes around) ----

    async def summaries(self) -> list[IncidentSummary]:
        """Every incident, oldest first."""
        return await self.store.incidents()

    async def summary(self, incident_id: int) -> IncidentSummary | None:
        return await self.store.incident(incident_id)

    async def event(self, event_id: int) -> Event | None:
        return await self.store.event(event_id)

    async def active(self) -> int | None:
        """The newest open incident, if any."""
        return await self.store.active_incident()

    async def to_follow(self) -> int | None:
        """What a screen follows by default: the newest open incident, else the newest one."""
        return await self.store.active_incident() or await self.store.latest_incident()

    async def open_ones(self) -> list[IncidentSummary]:
        return await open_incidents(self.store)

    async def the_open_one(self) -> int | None:
        """The one open incident; `SeveralOpen` when there are more (never a guess)."""
        return await the_open_incident(self.store)

    async def export(self, incident_id: int, generated_at: datetime) -> IncidentExport:
        """The postmortem and the audit log, as `E` and `warroom export` write them (imported
        here: start-up does not pay for the export)."""
        from tui.incident.export import export_incident

        return await export_incident(
            self.store, incident_id, severities=self.severities, generated_at=generated_at
        )

    async def _write(
        self,
        incident_id: int,
        plan: Callable[[IncidentState], Planned],
        who: Who | None,
        *,
        occurred_at: datetime | None = None,
        starred: bool = False,
        exclusive: bool = True,
        transition: Transition | None = None,
    ) -> Event:
        """Check `plan` against the state and append it (`Unchanged` from the store passes up).

        `exclusive`: the check depends on the state (status, roles, stars), so the append is
        refused if anything was written since the read, and checked again. Free text (notes,
        detections, action records) is checked but never refused for a concurrent write:
        under a burst of automation it must not starve, and an action must not be refused
        its record because someone else wrote a note.
        """
        who = who or self.who
        for _ in range(CONFLICT_RETRIES):
            state = await self.state(incident_id)
            planned = plan(state)
            try:
                event = await self.store.append(
                    incident_id,
                    planned.kind,
                    planned.text,
                    planned.data,
                    actor=who.actor,
                    actor_kind=who.kind,
                    source=who.source,
                    occurred_at=occurred_at,
                    supersedes=planned.supersedes,
                    starred=starred,
                    expect_last_id=state.last_event_id if exclusive else None,
                    transition=transition,
                )
            except StoreConflict:
                continue  # someone else wrote first: read again, check again
            if exclusive or event.id == state.last_event_id + 1:
                self._states[incident_id] = fold([event], self.severities, start=state)
            # else: others wrote in between; the next read folds them and this one in order.
            return event
        raise LifecycleError(f"incident #{incident_id} keeps changing under us; try again")

    async def declare(
        self,
        title: str,
        severity: str = "SEV2",
        *,
        drill: bool = False,
        impact_started_at: datetime | None = None,
        occurred_at: datetime | None = None,
        who: Who | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        """A new incident (status investigating); returns its `declared` event. `data`: more for
        the declared event's data (the demo's drill: its scenario, seed and start)."""
        who = who or self.who
        title, name = check_declare(title, severity, self.severities)
        extra: dict[str, Any] = dict(data or {})
        if impact_started_at is not None:
            extra["impact_started_at"] = impact_started_at.astimezone(UTC).isoformat()
        incident = await self.store.declare(
            title,
            name,
            drill=drill,
            actor=who.actor,
            actor_kind=who.kind,
            source=who.source,
            occurred_at=occurred_at,
            data=extra,
        )
        self._states[incident.id] = fold([incident.declared], self.severities)
        return incident.declared

    async def set_severity(
        self, incident_id: int, severity: str, reason: str = "", *, who: Who | None = None
    ) -> Event:
        return await self._write(
            incident_id, lambda s: plan_severity(s, severity, self.severities, reason), who
        )

    async def move_status(
        self, incident_id: int, status: str, reason: str = "", *, who: Who | None = None
    ) -> Event:
        return await self._write(incident_id, lambda s: plan_status(s, status, reason), who)

    async def resolve(self, incident_id: int, reason: str = "", *, who: Who | None = None) -> Event:
        return await self.move_status(incident_id, "resolved", reason, who=who)

    async def close_incident(self, incident_id: int, reason: str = "", *, who: Who | None = None) -> Event:
        return await self.move_status(incident_id, "closed", reason, who=who)

    async def reopen(
        self, incident_id: int, reason: str = "", *, status: str = "investigating", who: Who | None = None
    ) -> Event:
        return await self._write(incident_id, lambda s: plan_reopen(s, status, reason), who)

    async def assign_role(
        self, incident_id: int, role: str, assignee: str, *, who: Who | None = None
    ) -> Event:
        """Give `role` to `assignee`; replacing someone is a handover (data["handover"])."""
        return await self._write(incident_id, lambda s: plan_role(s, role, assignee), who)

    async def note(
        self,
        incident_id: int,
        text: str,
        *,
        occurred_at: datetime | None = None,
        starred: bool = False,
        who: Who | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        """`data`: more for the note's data (a demo joining or leaving its drill says who)."""

        def plan(state: IncidentState) -> Planned:
            planned = plan_text(state, "note", text)
            return Planned(planned.kind, planned.text, {**planned.data, **(data or {})})

        return await self._write(
            incident_id,
            plan,
            who,
            occurred_at=occurred_at,
            starred=starred,
            exclusive=False,
        )

    async def status_update(self, incident_id: int, text: str, *, who: Who | None = None) -> Event:
        """A status update sent out; the next one is due by the severity's cadence from now."""
        return await self._write(
            incident_id, lambda s: plan_text(s, "status_update", text), who, exclusive=False
        )

    async def checklist_step(self, incident_id: int, text: str, *, who: Who | None = None) -> Event:
        return await self._write(
            incident_id, lambda s: plan_text(s, "checklist_step", text), who, exclusive=False
        )

    async def star(
        self, incident_id: int, event_id: int, starred: bool = True, *, who: Who | None = None
    ) -> Event:
        target = await self._event_of(incident_id, event_id)
        return await self._write(incident_id, lambda s: plan_star(s, target, starred), who)

    async def correct(self, incident_id: int, event_id: int, text: str, *, who: Who | None = None) -> Event:
        """A `corrected` event superseding `event_id` with `text`; the old one stays, marked."""
        target = await self._event_of(incident_id, event_id)
        return await self._write(incident_id, lambda s: plan_correct(s, target, text), who)

    async def detected(
        self,
        incident_id: int,
        text: str,
        *,
        signal: str,
        subject: str,
        level: str = "problem",
        data: Mapping[str, Any] | None = None,
        occurred_at: datetime | None = None,
        who: Who | None = None,
    ) -> Event | None:
        """An automatic detection (SLO breach, CrashLoopBackOff, failing health check) or a
        recovery (`level` "ok"); None when the record already has the subject at that level
        (another warroom process on the database wrote it first), so it is recorded once.

        Written by the system (`system_actor()`, source auto) unless `who` says otherwise.
        """
        who = who or Who(system_actor(), "system", "auto")
        payload = {**dict(data or {}), "level": level}
        try:
            return await self._write(
                incident_id,
                lambda s: plan_detected(s, text, signal, subject, payload),
                who,
                occurred_at=occurred_at,
                exclusive=False,
                transition=Transition(f"detected:{signal}:{subject}", level),
            )
        except Unchanged:
            return None

    async def action_requested(
        self,
        incident_id: int,
        text: str,
        data: Mapping[str, Any] | None = None,
        *,
        who: Who | None = None,
        guard: str | None = None,
        running_for_s: float | None = None,
        override: bool = False,
    ) -> Event:
        """Written before the action runs; if this raises, the action must not run.

        `guard` names the action and its target: while another request for it has no outcome
        (from any process on the record) and is younger than `running_for_s`, this one is
        refused with `ActionRunning`, naming it. `override`: written anyway (a stuck one).
        """
        payload = dict(data or {})
        if guard is not None:
            payload["guard"] = guard
            if override:
                payload["override"] = True

        def plan(state: IncidentState) -> Planned:
            require_accepts(state, "action_requested")
            return Planned("action_requested", text, payload)

        transition = (
            Transition(_guard(guard), "running", force=override, same_for_s=running_for_s)
            if guard is not None
            else None
        )
        try:
            return await self._write(incident_id, plan, who, exclusive=False, transition=transition)
        except Unchanged as running:
            first = await self.store.event(running.event_id) if running.event_id is not None else None
            raise ActionRunning(first) from None

    async def action_finished(
        self,
        request: Event,
        *,
        ok: bool,
        text: str = "",
        data: Mapping[str, Any] | None = None,
        who: Who | None = None,
        interrupted: bool = False,
    ) -> Event:
        """`action_succeeded` / `action_failed` / `action_interrupted` for `request`, linked by
        data["request"]; it frees the request's guard."""
        payload = dict(data or {})
        guard = request.data.get("guard")
        return await self._write(
            request.incident_id,
            lambda s: plan_action_finished(s, request, ok, text, payload, interrupted),
            who,
            exclusive=False,
            transition=Transition(_guard(guard), "done", force=True) if isinstance(guard, str) else None,
        )

    async def rollout_finished(
        self,
        request: Event,
        outcome: Event | None,
        kind: str,
        text: str,
        data: Mapping[str, Any] | None = None,
        *,
        who: Who | None = None,
    ) -> Event:
        """`rollout_complete` / `rollout_stalled` / `rollout_interrupted`: the end of the rollout
        that `request`'s action set going, as warroom saw it. Written by the system (it watched;
        the person is on the request) unless `who` says otherwise."""
        who = who or Who(system_actor(), "system", "auto")
        payload = dict(data or {})
        return await self._write(
            request.incident_id,
            lambda s: plan_rollout_finished(s, request, outcome, kind, text, payload),
            who,
            exclusive=False,
        )

    async def _event_of(self, incident_id: int, event_id: int) -> Event:
        event = await self.store.event(event_id)
        if event is None or event.incident_id != incident_id:
            raise LifecycleError(f"incident #{incident_id} has no event #{event_id}")
        return event


def _guard(guard: str) -> str:
    return f"action:{guard}"


class ActionRunning(LifecycleError):
    """The same action on the same target was requested and has no outcome yet; `request` is
    that request (None if it could not be read back)."""

    def __init__(self, request: Event | None) -> None:
        when = f" at {request.occurred_at.strftime('%H:%M:%SZ')}" if request is not None else ""
        who = f" by {request.actor}" if request is not None else ""
        super().__init__(f"already running: started{who}{when}, no outcome recorded yet")
        self.request = request


__all__ = ["ActionRunning", "Incidents", "Who"]
