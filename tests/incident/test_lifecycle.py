"""The lifecycle rules through `Incidents` on a real record: what is refused (with a reason),
reopening, handovers, corrections, stars, two writers checking against the same state, and
the fast state read agreeing with a fold of every event."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from tests.incident.helpers import ALICE, BOB, CI, SYSTEM, T0, frozen, open_incidents, outage
from tui.incident.lifecycle import LifecycleError, fold
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore


@pytest.fixture
async def setup(tmp_path: Path):
    clock = frozen()
    incidents = await open_incidents(tmp_path / "i.db", clock)
    incident = (await incidents.declare("API errors", "SEV2")).incident_id
    yield incidents, incident, clock
    await incidents.store.close()


async def _refused(call, reason: str) -> str:
    with pytest.raises(LifecycleError) as err:
        await call
    text = str(err.value)
    assert reason in text and "\n" not in text, text
    return text


async def test_status_moves_forward_and_says_why_not(setup) -> None:
    incidents, i, _ = setup
    await incidents.move_status(i, "mitigating")  # skipping identified is allowed
    await _refused(incidents.move_status(i, "identified"), "moves forward only")
    await _refused(incidents.move_status(i, "mitigating"), "already mitigating")
    await _refused(incidents.move_status(i, "fixed"), "unknown status 'fixed'")
    await incidents.resolve(i)
    await _refused(incidents.move_status(i, "investigating"), "reopen it instead")
    await _refused(incidents.set_severity(i, "SEV1"), "reopen it to change its severity")
    await incidents.close_incident(i)
    await _refused(incidents.assign_role(i, "comms", "carol"), "closed; reopen it first")
    await incidents.note(i, "the postmortem goes on after closing")  # still taken
    state = await incidents.state(i)
    assert state.status == "closed" and state.resolved_at is not None and state.closed_at is not None
    assert state.next_update_due is None


async def test_severity_rules_and_peak(setup) -> None:
    incidents, i, _ = setup
    await _refused(incidents.set_severity(i, "SEV9"), "unknown severity 'SEV9' (one of SEV1, SEV2")
    await _refused(incidents.set_severity(i, "sev2"), "already SEV2")
    event = await incidents.set_severity(i, "sev1", "checkout down")
    assert event.data == {"from": "SEV2", "to": "SEV1", "reason": "checkout down"}
    await incidents.set_severity(i, "SEV3")
    state = await incidents.state(i)
    assert (state.severity, state.peak_severity) == ("SEV3", "SEV1")
    with pytest.raises(LifecycleError, match="needs a title"):
        await incidents.declare("   ", "SEV1")


async def test_reopen_is_its_own_event_and_clears_the_resolution(setup) -> None:
    incidents, i, clock = setup
    await _refused(incidents.reopen(i), "still open")
    await incidents.resolve(i, "looked fine")
    clock.advance(300)
    await _refused(incidents.reopen(i, status="resolved"), "a reopened incident is")
    event = await incidents.reopen(i, "errors are back", status="identified")
    assert event.kind == "reopened" and event.data == {
        "from": "resolved",
        "to": "identified",
        "reason": "errors are back",
    }
    state = await incidents.state(i)
    assert state.status == "identified" and state.is_open
    assert state.resolved_at is None and state.reopened_at == clock.now()
    assert state.next_update_due == clock.now() + timedelta(minutes=30)  # SEV2's cadence, from the reopen
    await incidents.move_status(i, "resolved")  # and it can be resolved again


async def test_roles_and_the_commander_handover(setup) -> None:
    incidents, i, _ = setup
    first = await incidents.assign_role(i, "commander", "alice")
    assert first.data == {"role": "commander", "assignee": "alice", "previous": None, "handover": False}
    await _refused(incidents.assign_role(i, "commander", "alice"), "already commander")
    await _refused(incidents.assign_role(i, "captain", "alice"), "unknown role 'captain'")
    await _refused(incidents.assign_role(i, "ops", "  "), "name is empty")
    handover = await incidents.assign_role(i, "commander", "bob", who=BOB)
    assert handover.data["handover"] is True and handover.data["previous"] == "alice"
    assert handover.text == "bob takes over as commander from alice" and handover.actor == BOB.actor
    state = await incidents.state(i)
    assert state.commander == "bob"


async def test_corrections_supersede_and_keep_the_original(setup) -> None:
    incidents, i, _ = setup
    note = await incidents.note(i, "rolled back web")
    fix = await incidents.correct(i, note.id, "rolled back api")
    assert fix.kind == "corrected" and fix.supersedes == note.id
    await _refused(
        incidents.correct(i, note.id, "again"), f"already corrected by #{fix.id}; correct #{fix.id}"
    )
    await incidents.correct(i, fix.id, "rolled back api to v41")  # a correction can be corrected
    await _refused(incidents.correct(i, note.id + 1000, "x"), "has no event")
    declared = (await incidents.store.events(i))[0]
    await incidents.correct(i, declared.id, "API 5xx errors")  # renames the incident
    state = await incidents.state(i)
    assert state.title == "API 5xx errors"
    assert state.corrected[note.id] == fix.id
    stored = await incidents.store.event(note.id)
    assert stored is not None and stored.text == "rolled back web", "the original stays as it was"
    await _refused(incidents.correct(i, note.id + 3, ""), "needs the corrected text")


async def test_stars(setup) -> None:
    incidents, i, _ = setup
    note = await incidents.note(i, "the moment it broke")
    star = await incidents.star(i, note.id)
    await _refused(incidents.star(i, note.id), "that note is already starred")  # no record id
    await _refused(incidents.correct(i, note.id, "the moment it broke"), "that note already says that")
    await _refused(incidents.star(i, star.id), "cannot be starred")
    await _refused(incidents.correct(i, star.id, "x"), "undone by unstarring")
    assert note.id in (await incidents.state(i)).starred
    await incidents.star(i, note.id, starred=False)
    assert note.id not in (await incidents.state(i)).starred
    starred_note = await incidents.note(i, "key moment", starred=True)
    assert starred_note.id in (await incidents.state(i)).starred
    other = (await incidents.declare("other", "SEV4")).incident_id
    await _refused(incidents.star(other, note.id), f"has no event #{note.id}")


async def test_two_writers_checking_the_same_state_cannot_both_win(tmp_path: Path) -> None:
    clock = frozen()
    a = await open_incidents(tmp_path / "i.db", clock, ALICE)
    b = Incidents(await IncidentStore.open(tmp_path / "i.db", clock=clock), clock=clock, who=BOB)
    try:
        i = (await a.declare("API errors", "SEV2")).incident_id
        assert (await a.state(i)).status == "investigating"  # A has read the state...
        await b.move_status(i, "identified")  # ...B moves it in between...
        await _refused(a.move_status(i, "identified"), "already identified")  # ...A re-reads, refused
        await a.assign_role(i, "commander", "alice")
        # B's cached state is stale too; its handover must see alice
        handover = await b.assign_role(i, "commander", "bob")
        assert handover.data["previous"] == "alice"
        # free text never conflicts: a note from A after B wrote is simply appended
        await a.note(i, "from A")
        assert [e.kind for e in await a.store.events(i)][-1] == "note"
    finally:
        await a.store.close()
        await b.store.close()


async def test_detection_and_acknowledgement_times(setup) -> None:
    incidents, i, clock = setup
    clock.advance(60)
    await incidents.detected(
        i, "SLO API in breach", signal="slo", subject="API", who=SYSTEM, occurred_at=T0 - timedelta(minutes=5)
    )
    state = await incidents.state(i)
    assert state.first_detected_at == T0 - timedelta(minutes=5)
    assert state.detected_at == T0 - timedelta(minutes=5) and state.impact_started_at == state.detected_at
    assert state.acknowledged_at == T0  # the human declaration


async def test_the_fast_state_read_equals_a_fold_of_every_event(tmp_path: Path) -> None:
    """`Incidents.state` reads only the state-changing events plus SQL sums of the rest; at
    every point of a long random history, and read incrementally from any earlier point, it
    must equal `fold` over every event."""
    rng = random.Random(7)
    clock = frozen()
    path = tmp_path / "i.db"
    writer = await open_incidents(path, clock, SYSTEM)  # a system declaration: no human yet
    store = writer.store
    try:
        i = (await writer.declare("random history", "SEV3")).incident_id
        await outage(writer, clock)  # another incident in the same file, interleaved
        whos = [ALICE, BOB, CI, SYSTEM, Who("svc@x", "system", "auto")]
        statuses = ["identified", "mitigating", "resolved", "closed"]
        checkpoints = []
        for step in range(400):
            clock.advance(rng.uniform(0, 90))
            who = rng.choice(whos)
            events = await store.events(i)
            choice = rng.random()
            try:
                if choice < 0.35:
                    await writer.note(
                        i,
                        f"note {step}",
                        who=who,
                        starred=rng.random() < 0.1,
                        occurred_at=clock.now() - timedelta(seconds=rng.uniform(0, 600)),
                    )
                elif choice < 0.5:
                    await writer.detected(
                        i,
                        f"d {step}",
                        signal="slo",
                        subject="api",
                        who=who,
                        occurred_at=clock.now() - timedelta(seconds=rng.uniform(0, 900)),
                    )
                elif choice < 0.58:
                    await writer.status_update(i, f"update {step}", who=who)
                elif choice < 0.66:
                    await writer.move_status(i, rng.choice(statuses), who=who)
                elif choice < 0.7:
                    await writer.reopen(i, who=who)
                elif choice < 0.76:
                    await writer.set_severity(i, rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"]), who=who)
                elif choice < 0.82:
                    role, name = rng.choice(["commander", "ops"]), rng.choice(["a", "b"])
                    await writer.assign_role(i, role, name, who=who)
                elif choice < 0.9:
                    await writer.star(i, rng.choice(events).id, rng.random() < 0.7, who=who)
                elif choice < 0.95:
                    await writer.correct(i, rng.choice(events).id, f"fixed {step}", who=who)
                else:
                    request = await writer.action_requested(i, f"act {step}", who=who)
                    await writer.action_finished(request, ok=rng.random() < 0.5, who=who)
            except LifecycleError:
                pass  # the rules refused it: fine, the history goes on
            if step % 40 == 0:
                checkpoints.append(await Incidents(store, clock=clock).state(i))
        everything = fold(await store.events(i))
        assert await Incidents(store, clock=clock).state(i) == everything
        assert everything.acknowledged_at is not None and everything.first_detected_at is not None
        assert everything.starred and everything.corrected
        # from each earlier state, reading only what came after it
        for earlier in checkpoints:
            reader = Incidents(store, clock=clock)
            reader._states[i] = earlier
            assert await reader.state(i) == everything
    finally:
        await store.close()


async def test_unknown_incident(setup) -> None:
    incidents, _, _ = setup
    with pytest.raises(LifecycleError, match="no incident #42"):
        await incidents.state(42)
