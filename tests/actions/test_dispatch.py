"""The dispatcher over a real incident record (SQLite on a temporary file): the request is durable
before the run, nothing runs without it, the result follows it, one run per action and target."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from actions import (
    Action,
    Dispatcher,
    InFlightError,
    InvalidInputError,
    NoIncidentError,
    NotApplicableError,
    NotRecordedError,
    Outcome,
    Output,
    Registry,
    RunResult,
    StoreIncidents,
    Target,
    config_actions,
)
from actions.kubernetes import kubernetes_actions
from tests.actions.conftest import PY, Record, command, touch_argv
from tests.timebase import T0
from tui.core.clock import FrozenClock
from tui.demo.platform import DemoControl, DemoPlatform
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

WEB = Target.of_deployment("prod", "shop", "web", replicas=3)
API = Target.of_deployment("prod", "shop", "api", replicas=2)

# Reads the record from its own connection and prints the newest event: what the command sees
# of the record at the moment it runs.
READ_NEWEST = """
import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
row = db.execute("SELECT id, kind, data FROM events ORDER BY id DESC LIMIT 1").fetchone()
print(row[0], row[1], json.loads(row[2])["action"])
"""


class Gate:
    """An action whose run waits until the test opens the gate."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.open = asyncio.Event()
        self.runs: list[str] = []

    def action(self, **kw: Any) -> Action:
        async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
            self.runs.append(target.deployment or "")
            self.started.set()
            await self.open.wait()
            return RunResult(True, "done")

        return Action(
            id="test.gate", title="Gate", scope="deployment", run=run, preview=lambda t, i: "gate", **kw
        )


def _block(path: Path, kind: str) -> None:
    """Make the database refuse to record one kind of event, as a full disk or a broken file
    would refuse it: the INSERT fails inside SQLite."""
    with sqlite3.connect(path) as db:
        db.execute(
            f"CREATE TRIGGER block_{kind} BEFORE INSERT ON events WHEN NEW.kind = '{kind}' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    db.close()


async def test_the_request_is_durable_before_the_command_runs(record: Record) -> None:
    reg = Registry(config_actions([command("Ordering", [PY, "-c", READ_NEWEST, str(record.path)])]))
    outcome = await record.dispatcher(reg).dispatch("config.ordering", Target.none())
    assert outcome.ok, outcome.output
    # The command itself found its own action_requested as the newest event of the record.
    assert outcome.output == f"{outcome.request.id} action_requested config.ordering\n"
    assert outcome.finished is not None and outcome.finished.id > outcome.request.id
    assert outcome.finished.data["request"] == outcome.request.id


async def test_an_unwritable_database_runs_nothing(record: Record, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _block(record.path, "action_requested")
    reg = Registry(config_actions([command("Touch", touch_argv(marker))]))
    with pytest.raises(
        NotRecordedError, match=r"Touch was not run: not recorded: .*database or disk is full"
    ):
        await record.dispatcher(reg).dispatch("config.touch", Target.none())
    assert not marker.exists()
    assert await record.kinds() == ["declared"]


async def test_a_deleted_database_runs_nothing(record: Record, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    record.path.unlink()
    reg = Registry(config_actions([command("Touch", touch_argv(marker))]))
    with pytest.raises(NotRecordedError, match="the incident record is gone: the file was deleted"):
        await record.dispatcher(reg).dispatch("config.touch", Target.none())
    assert not marker.exists()


async def test_a_read_only_store_runs_nothing(record: Record, tmp_path: Path) -> None:
    """Even a dispatcher wired (by a bug) to write over an observer's read-only store."""
    marker = tmp_path / "ran"
    observer = await IncidentStore.open(record.path, read_only=True)
    reg = Registry(config_actions([command("Touch", touch_argv(marker))]))
    dispatcher = Dispatcher(reg, StoreIncidents(Incidents(observer)), read_only=False)
    with pytest.raises(NotRecordedError, match="opened read-only"):
        await dispatcher.dispatch("config.touch", Target.none())
    await observer.close()
    with pytest.raises(NotRecordedError, match="the store is closed"):
        await dispatcher.dispatch("config.touch", Target.none())
    assert not marker.exists()
    assert await record.kinds() == ["declared"]


async def test_no_open_incident_refuses_and_says_to_declare(record: Record, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    reg = Registry(config_actions([command("Touch", touch_argv(marker))]))
    await record.incidents.resolve(record.incident_id)
    with pytest.raises(NoIncidentError, match=r"Touch was not run: declare an incident first \(D\)"):
        await record.dispatcher(reg).dispatch("config.touch", Target.none())
    assert not marker.exists()
    assert await record.kinds() == ["declared", "status_changed"]


async def test_the_result_is_recorded_with_duration_and_notified(record: Record) -> None:
    seen: list[Outcome] = []
    reg = Registry(config_actions([command("Ok", ["/bin/true"])]))
    outcome = await record.dispatcher(reg, notify=seen.append).dispatch("config.ok", Target.none())
    assert seen == [outcome]
    assert outcome.finished is not None and outcome.record_error is None
    assert outcome.finished.kind == "action_succeeded"
    assert outcome.finished.data["duration_s"] == round(outcome.duration_s, 3) >= 0


async def test_a_result_that_cannot_be_recorded_is_reported(record: Record, tmp_path: Path) -> None:
    """The run happened: the outcome says so, and that its result is missing from the record."""
    marker = tmp_path / "ran"
    _block(record.path, "action_succeeded")
    reg = Registry(config_actions([command("Touch", touch_argv(marker))]))
    outcome = await record.dispatcher(reg).dispatch("config.touch", Target.none())
    assert outcome.ok and marker.exists()
    assert outcome.finished is None
    assert outcome.record_error is not None and "database or disk is full" in outcome.record_error
    assert await record.kinds() == ["declared", "action_requested"]


async def test_the_same_action_on_the_same_target_is_not_started_twice(record: Record) -> None:
    gate = Gate()
    dispatcher = record.dispatcher(Registry([gate.action()]))
    first = asyncio.create_task(dispatcher.dispatch("test.gate", WEB))
    await gate.started.wait()
    assert dispatcher.is_running("test.gate", WEB)
    assert dispatcher.running() == (("test.gate", "deployment/web"),)
    with pytest.raises(InFlightError, match="Gate on deployment/web is still running"):
        await dispatcher.dispatch("test.gate", WEB)
    # the same deployment seen from one of its pods is the same target
    with pytest.raises(InFlightError):
        await dispatcher.dispatch("test.gate", Target.of_pod("prod", "shop", "web-0", deployment="web"))
    other = asyncio.create_task(dispatcher.dispatch("test.gate", API))  # another target may run
    while len(gate.runs) < 2:
        await asyncio.sleep(0)
    gate.open.set()
    assert (await first).ok and (await other).ok
    assert gate.runs == ["web", "api"]
    assert not dispatcher.running()
    assert (await dispatcher.dispatch("test.gate", WEB)).ok  # finished: it may run again
    kinds = await record.kinds()
    assert kinds.count("action_requested") == kinds.count("action_succeeded") == 3


async def test_timeout_of_any_run_is_a_recorded_failure(record: Record) -> None:
    gate = Gate()
    dispatcher = record.dispatcher(Registry([gate.action(timeout_s=0.2, timeout_note="it may still happen")]))
    outcome = await dispatcher.dispatch("test.gate", WEB)
    assert outcome.timed_out and not outcome.ok
    assert outcome.text.startswith("Gate deployment/web: failed: no result in 0.2 s; it may still happen (")
    assert (await record.events())[-1].data["timed_out"] is True


async def test_a_run_that_raises_is_a_recorded_failure(record: Record) -> None:
    async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
        output.write("half way\n")
        raise RuntimeError("bug in a run")

    action = Action(id="test.bug", title="Bug", scope="global", run=run, preview=lambda t, i: "bug")
    outcome = await record.dispatcher(Registry([action])).dispatch(action, Target.none())
    assert not outcome.ok and outcome.text.startswith("Bug: failed: RuntimeError: bug in a run (")
    failed = (await record.events())[-1]
    assert failed.kind == "action_failed" and failed.data["output"] == "half way\n"


async def test_a_cancelled_dispatch_records_that_it_was_interrupted(record: Record) -> None:
    gate = Gate()
    dispatcher = record.dispatcher(Registry([gate.action()]))
    task = asyncio.create_task(dispatcher.dispatch("test.gate", WEB))
    await gate.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    failed = (await record.events())[-1]
    assert failed.kind == "action_interrupted"
    assert failed.data["result"] == "interrupted: warroom stopped before it finished"
    assert not dispatcher.running()


async def test_the_same_action_from_two_screens_runs_once(record: Record) -> None:
    """Two commanders (two connections to one record): the second request is refused by the
    record while the first has no outcome, naming who started it; after the outcome it runs."""
    gate = Gate()
    reg = Registry([gate.action()])
    other_store = await IncidentStore.open(record.path)
    try:
        bob = Incidents(other_store, who=Who("bob@bastion-2"))
        other = Dispatcher(reg, StoreIncidents(bob), read_only=False)
        first = asyncio.create_task(record.dispatcher(reg).dispatch("test.gate", WEB))
        await gate.started.wait()
        with pytest.raises(InFlightError, match=r"already running: started by alice@bastion-1 .* at \d\d:"):
            await other.dispatch("test.gate", WEB)
        assert gate.runs == ["web"]
        gate.open.set()
        await first
        gate.open.clear()
        second = asyncio.create_task(other.dispatch("test.gate", WEB))
        for _ in range(200):
            if len(gate.runs) == 2:
                break
            await asyncio.sleep(0.01)
        assert gate.runs == ["web", "web"]
        gate.open.set()
        await second
    finally:
        await other_store.close()
    kinds = [e.kind for e in await record.events() if e.kind.startswith("action")]
    assert kinds == ["action_requested", "action_succeeded", "action_requested", "action_succeeded"]


async def test_a_stuck_request_is_overridden_on_purpose_or_expires(record: Record) -> None:
    """A request whose screen was killed (-9) has no outcome: it blocks the same action until
    it is overridden, or until it is older than its timeout (it cannot still be running)."""
    ran: list[str] = []

    async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
        ran.append("ran")
        return RunResult(True, "done")

    action = Action(
        id="test.quick", title="Quick", scope="global", run=run, preview=lambda t, i: "q", timeout_s=5
    )
    reg = Registry([action])
    guard = "/".join(("test.quick", "", "", action.subject(Target.none())))
    await record.incidents.action_requested(record.incident_id, "Quick (killed -9)", {}, guard=guard)
    with pytest.raises(InFlightError, match="already running") as refused:
        await record.dispatcher(reg).dispatch("test.quick", Target.none())
    assert refused.value.request is not None
    outcome = await record.dispatcher(reg).dispatch("test.quick", Target.none(), override=True)
    assert outcome.ok and ran == ["ran"]
    requests = [e for e in await record.events() if e.kind == "action_requested"]
    assert requests[-1].data["override"] is True


async def test_inputs_are_checked_before_anything_is_written(record: Record) -> None:
    platform = DemoPlatform(None, 7, FrozenClock(T0))
    reg = Registry(kubernetes_actions(DemoControl(platform)))
    dispatcher = record.dispatcher(reg)
    web = Target.of_deployment("demo", "lomash-wood", "api-gateway", replicas=3)
    for bad in ({}, {"replicas": -1}, {"replicas": "three"}, {"replicas": True}, {"replicas": 3, "force": 1}):
        with pytest.raises(InvalidInputError):
            await dispatcher.dispatch("k8s.scale", web, bad)
    assert await record.kinds() == ["declared"]
    outcome = await dispatcher.dispatch("k8s.scale", web, {"replicas": "4"})
    assert outcome.ok and outcome.text.startswith(
        "Scale deployment/api-gateway: deployment lomash-wood/api-gateway scaled from 3 to 4 replicas ("
    )
    assert outcome.request.data["inputs"] == {"replicas": 4}
    assert (
        outcome.request.text
        == "Scale: deployment/api-gateway replicas=4 · context demo · namespace lomash-wood"
    )


async def test_only_registered_actions_run(record: Record, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (stray,) = config_actions([command("Touch", touch_argv(marker))])
    (lookalike,) = config_actions([command("Touch", touch_argv(marker))])
    dispatcher = record.dispatcher(Registry([lookalike]))
    with pytest.raises(NotApplicableError, match=r"config\.touch is not a registered action"):
        await dispatcher.dispatch(stray, Target.none())  # same id, not the registered object
    with pytest.raises(NotApplicableError, match=r"config\.other is not a registered action"):
        await dispatcher.dispatch("config.other", Target.none())
    assert not marker.exists() and await record.kinds() == ["declared"]
