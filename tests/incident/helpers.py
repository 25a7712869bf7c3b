"""Shared pieces of the incident-record tests: a frozen clock, fixed actors (no host names, so
golden files are the same on every machine) and a realistic incident."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.timebase import T0, frozen
from tui.core.clock import FrozenClock
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

ALICE = Who("alice@bastion-1 (ssh 10.0.0.5)")
BOB = Who("bob@bastion-1")
CI = Who("deploy@ci-runner", "automation", "cli")
SYSTEM = Who("warroom@bastion-1", "system", "auto")


async def open_incidents(path: Path, clock: FrozenClock | None = None, who: Who = ALICE) -> Incidents:
    clock = clock or frozen()
    store = await IncidentStore.open(path, clock=clock)
    return Incidents(store, clock=clock, who=who)


async def outage(incidents: Incidents, clock: FrozenClock) -> int:
    """A SEV2 that becomes SEV1: detection, roles and a handover, a corrected and starred note,
    a failed and a succeeded action, a status update, follow-ups, resolution. Hostile text in
    places (pipes, newlines, markup, a terminal escape) to prove the exports escape it."""
    declared = await incidents.declare(
        "Checkout | 502s from api-gateway", "SEV2", impact_started_at=T0 - timedelta(minutes=4)
    )
    incident = declared.incident_id
    clock.advance(40)
    await incidents.detected(
        incident,
        "api-gateway is DOWN: connection refused",
        signal="service",
        subject="api-gateway",
        who=SYSTEM,
    )
    clock.advance(20)
    await incidents.assign_role(incident, "commander", "alice")
    await incidents.assign_role(incident, "scribe", "carol")
    await incidents.set_severity(incident, "SEV1", "checkout fails for every customer")
    clock.advance(60)
    wrong = await incidents.note(incident, "rolled back *web* to v41\nsee [dashboard](http://x) <b>")
    clock.advance(15)
    await incidents.correct(incident, wrong.id, "rolled back api-gateway | not web, to v41")
    await incidents.star(incident, wrong.id)
    clock.advance(45)
    request = await incidents.action_requested(
        incident, "rollout restart deployment/api-gateway", {"action": "restart", "target": "api-gateway"}
    )
    clock.advance(30)
    await incidents.action_finished(request, ok=False, text="exit 1: \x1b[31mforbidden\x1b[0m")
    clock.advance(30)
    await incidents.assign_role(incident, "commander", "bob", who=BOB)
    await incidents.move_status(incident, "identified", "bad config in v42", who=BOB)
    retry = await incidents.action_requested(
        incident, "rollout undo deployment/api-gateway", {"action": "undo"}, who=BOB
    )
    clock.advance(42)
    await incidents.action_finished(retry, ok=True, text="rolled back to v41", who=BOB)
    await incidents.move_status(incident, "mitigating", who=BOB)
    clock.advance(60)
    await incidents.status_update(
        incident,
        "Conditions: checkout recovering\n- Actions: undo of v42\n- Needs: nothing\n\nNext update 03:20 UTC",
        who=BOB,
    )
    await incidents.note(incident, "TODO: alert on the 502 rate, not only on health", who=BOB)
    await incidents.note(
        incident, "deploy v43 started", who=CI, occurred_at=clock.now() - timedelta(minutes=1)
    )
    clock.advance(600)
    await incidents.note(incident, "follow-up: canary for config changes", starred=True)
    await incidents.resolve(incident, "error rate back under 0.1 %", who=BOB)
    return incident


async def drill(incidents: Incidents, clock: FrozenClock) -> int:
    """A short drill, as `warroom demo` declares one."""
    declared = await incidents.declare("Demo: crash loop", "SEV3", drill=True, who=SYSTEM)
    incident = declared.incident_id
    clock.advance(5)
    await incidents.detected(
        incident, "pod api-7f9 in CrashLoopBackOff", signal="pod", subject="api-7f9", who=SYSTEM
    )
    clock.advance(25)
    await incidents.note(incident, "practising the restart")
    await incidents.move_status(incident, "mitigating")
    clock.advance(120)
    await incidents.resolve(incident)
    return incident
