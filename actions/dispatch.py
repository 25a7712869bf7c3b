"""The dispatcher: the only code path that runs an action, and so the only place read-only mode
has to guard (k9s guarded view by view and leaked twice).

`dispatch(action, target, inputs)`, in this order:
1. read-only: raise `ReadOnlyError`. Nothing is checked, read, written or run.
2. check that the action is registered, that it fits the target, the inputs
   (`NotApplicableError`, `InvalidInputError`), and that the same action is not already
   running on the same subject in this process (`InFlightError`). Nothing written.
3. ask the incidents provider for the open incident. None: raise `NoIncidentError`
   ("declare an incident first (D)"). See below for why it does not declare one itself.
4. write `action_requested` (actor, action id, target, inputs, preview), durable when it
   returns. The record refuses it while a request for the same action and target has no
   outcome, from whichever screen (`InFlightError` naming who and when; `override=True` runs
   a stuck one anyway). If it fails for any other reason: raise `NotRecordedError`, run nothing.
5. run, bounded by `asyncio.wait_for(action.timeout_s)`; what it printed or answered goes to a
   bounded `Output`.
6. write `action_succeeded` or `action_failed`: duration, exit code or HTTP status, whether it
   timed out, and an output excerpt; every string of it (and of the request) with secrets
   redacted.
7. return an `Outcome` (and hand it to `notify`). A failed run is an Outcome with ok=False, not
   an exception: the world may have changed, and the caller must say so.

8. an action that set something going (`RunResult.follow`: the rollout of a restart, undo or
   scale) is followed in a task of its own once its outcome is written (which says so,
   data["follow"]); `dispatch` returns at once, the progress is `progress()` ("rolling out
   2/3", `on_progress` hears of each change), and its end is written as `rollout_complete`
   (with how long it took since the request) or `rollout_stalled`.

`interrupt_all(reason)` (warroom quitting, or a signal): every run in flight is stopped (a
command's whole process group) and written as `action_interrupted`, and every follow still
running as `rollout_interrupted` (the rollout goes on in the cluster), before it returns.

No open incident: refuse, rather than declare one automatically. At 3 a.m. the IC loses one
key press (D, a title, enter) and gains an incident with the right title and severity; an
automatic declaration would guess both, start a status-update cadence nobody chose and make a
stray key press look like an incident in the postmortem record. warroom demo declares its drill
on start, so the demo always has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from actions.errors import (
    InFlightError,
    NoIncidentError,
    NotApplicableError,
    NotRecordedError,
    ReadOnlyError,
)
from actions.output import Output
from actions.redact import read_secrets, redact, redact_data
from actions.registry import Action, Follow, FollowEnd, Registry, RunResult, Target
from tui.core.clock import Clock, SystemClock
from tui.incident.events import Event
from tui.incident.outcomes import OUTCOME_GRACE_S, ROLLING_OUT
from tui.incident.service import ActionRunning, Incidents, Who

NO_INCIDENT = "declare an incident first (D)"


@dataclass(frozen=True, slots=True)
class ActiveIncident:
    incidents: Incidents
    incident_id: int


class IncidentsProvider(Protocol):
    """Where the dispatcher records: the incident open now, asked at each dispatch (another
    process may have declared or resolved one since)."""

    async def active(self) -> ActiveIncident | None: ...


class StoreIncidents:
    """The newest open incident in the store behind `incidents`."""

    def __init__(self, incidents: Incidents) -> None:
        self.incidents = incidents

    async def active(self) -> ActiveIncident | None:
        incident_id = await self.incidents.store.active_incident()
        return None if incident_id is None else ActiveIncident(self.incidents, incident_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    action_id: str
    title: str
    subject: str  # "deployment/api-gateway"
    ok: bool
    text: (
        str  # one line for the notification: "Rollout restart deployment/web: deployment.apps/web restarted"
    )
    duration_s: float
    started_at: datetime
    exit_code: int | None
    http_status: int | None
    timed_out: bool
    output: str  # the redacted excerpt, as recorded
    request: Event  # the action_requested event
    finished: Event | None  # action_succeeded / action_failed; None if it could not be written
    record_error: str | None = None  # why the result is not in the record (the run did happen)
    following: str = ""  # what is now followed to its end ("deployment/web"), "" when nothing


@dataclass(frozen=True, slots=True)
class FollowOutcome:
    """How the following of what an action set going ended, as recorded (`on_follow_end`)."""

    request: Event
    kind: str  # rollout_complete | rollout_stalled | rollout_interrupted
    text: str
    duration_s: float
    event: Event | None  # None: it could not be written
    record_error: str | None = None


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        incidents_provider: IncidentsProvider,
        *,
        read_only: bool,
        clock: Clock | None = None,
        who: Who | None = None,
        secret_files: Iterable[str] = (),
        notify: Callable[[Outcome], None] | None = None,
        monotonic: Callable[[], float] = time.perf_counter,
        on_progress: Callable[[], None] | None = None,
        on_follow_end: Callable[[FollowOutcome], None] | None = None,
    ) -> None:
        """`who`: the actor of the records (default: the Incidents' own, the user at this
        terminal). `secret_files`: token files beyond the actions' own (Prometheus, health
        checks) whose contents are redacted from what is recorded. `notify` gets each Outcome;
        `on_progress` is called when a follow's progress changes, `on_follow_end` with how each
        follow ended."""
        self.registry = registry
        self.provider = incidents_provider
        self._read_only = bool(read_only)
        self.clock = clock or SystemClock()
        self.who = who
        self.secret_files = tuple(secret_files)
        self.notify = notify
        self._monotonic = monotonic
        self._running: dict[tuple[str, str, str, str], str] = {}
        self._runs: dict[int, _Run] = {}  # request id -> its run, while it runs
        self._interrupted: str | None = None  # why interrupt_all stopped the runs
        self.on_progress = on_progress
        self.on_follow_end = on_follow_end
        self._follows: dict[int, _Run] = {}  # request id -> its follow, while it runs
        self._progress: dict[int, str] = {}  # request id -> "rolling out 2/3"
        self._follow_what: dict[int, str] = {}  # request id -> "deployment/web"

    @property
    def read_only(self) -> bool:
        """Fixed for the dispatcher's life: an observer cannot become a commander by a bug."""
        return self._read_only

    def running(self) -> tuple[tuple[str, str], ...]:
        """(action id, subject) of every action in flight."""
        return tuple((key[0], subject) for key, subject in self._running.items())

    def progress(self) -> dict[int, str]:
        """request id -> the progress of what it set going ("rolling out 2/3"), while followed."""
        return dict(self._progress)

    async def followed(self) -> None:
        """Wait until every follow started so far has ended and is recorded (tests)."""
        for run in list(self._follows.values()):
            await run.recorded.wait()

    def is_running(self, action: Action | str, target: Target) -> bool:
        action = self._action(action)
        return self._key(action, target) in self._running

    async def dispatch(
        self,
        action: Action | str,
        target: Target,
        inputs: Mapping[str, Any] | None = None,
        *,
        who: Who | None = None,
        override: bool = False,
    ) -> Outcome:
        """Run `action` on `target` (see the module's steps). `override`: run even though the
        record says the same action on the same target is still running (a stuck request)."""
        if self._read_only:
            name = action.title if isinstance(action, Action) else action
            raise ReadOnlyError(f"read-only: {name} was not run")
        action = self._action(action)
        values = action.check(target, inputs)
        key = self._key(action, target)
        subject = action.subject(target)
        if key in self._running:
            raise InFlightError(f"{action.title} on {subject} is still running")
        # Claimed before the first await: two key presses in one loop turn cannot both pass.
        self._running[key] = subject
        try:
            return await self._dispatch(action, target, values, subject, who or self.who, override)
        finally:
            del self._running[key]

    def _action(self, action: Action | str) -> Action:
        """The registered action: only what the registry holds can run (the enumeration test
        covers exactly the registry, so nothing outside it may slip past)."""
        action_id = action if isinstance(action, str) else action.id
        found = self.registry.get(action_id) if action_id in self.registry else None
        if found is None or (isinstance(action, Action) and found is not action):
            raise NotApplicableError(f"{action_id} is not a registered action")
        return found

    @staticmethod
    def _key(action: Action, target: Target) -> tuple[str, str, str, str]:
        return (action.id, target.context or "", target.namespace or "", action.subject(target))

    @property
    def stopping_for(self) -> str | None:
        """Why warroom is stopping (its runs and follows are being interrupted), or None."""
        return self._interrupted

    def following(self) -> tuple[str, ...]:
        """What is followed to its end now ("deployment/web"), one per follow."""
        return tuple(self._follow_what.values())

    def stopping(self, reason: str) -> None:
        """warroom is about to stop: runs cancelled from now on are recorded with `reason`."""
        self._interrupted = self._interrupted or reason

    async def interrupt_all(self, reason: str) -> int:
        """Stop every run in flight and return once each is recorded as `action_interrupted`
        (or its record failed); the number stopped."""
        self.stopping(reason)
        runs = list(self._runs.values())
        for run in runs:
            run.task.cancel()
        for run in runs:
            await run.recorded.wait()
        # Then the follows (a run that ended meanwhile may have started one).
        follows = list(self._follows.values())
        for run in follows:
            run.task.cancel()
        for run in follows:
            await run.recorded.wait()
        return len(runs) + len(follows)

    async def _dispatch(
        self,
        action: Action,
        target: Target,
        values: dict[str, Any],
        subject: str,
        who: Who | None,
        override: bool = False,
    ) -> Outcome:
        secrets = read_secrets((*self.secret_files, *self.registry.secret_files(), *action.secret_files))
        try:
            active = await self.provider.active()
        except Exception as err:
            raise NotRecordedError(f"not run: the incident record cannot be read: {_line(err)}") from err
        if active is None:
            raise NoIncidentError(f"{action.title} was not run: {NO_INCIDENT}")
        preview = action.preview(target, values)
        where = action.where(target)
        shown_inputs = "".join(f" {k}={v}" for k, v in values.items())
        text = f"{action.named(subject)}{shown_inputs}" + (f" · {where}" if where else "")
        data = {
            "action": action.id,
            "title": action.title,
            "kind": action.kind,
            "target": target.as_data(),
            "subject": subject,
            "inputs": values,
            "preview": preview,
            "dangerous": action.dangerous,
            "timeout_s": action.timeout_s,
        }
        guard = "/".join((action.id, target.context or "", target.namespace or "", subject))
        try:
            request = await active.incidents.action_requested(
                active.incident_id,
                redact(text, secrets),
                redact_data(data, secrets),
                who=who,
                guard=guard,
                # A request older than its timeout (and the outcome's write) cannot be running:
                # its process died (kill -9) and its outcome is unknown.
                running_for_s=action.timeout_s + OUTCOME_GRACE_S,
                override=override,
            )
        except ActionRunning as err:
            raise InFlightError(f"{action.named(subject, ' on ')} is {err}", err.request) from None
        except Exception as err:
            # Fail closed: no record, no run (DESIGN.md: "if that write fails, it does not run").
            raise NotRecordedError(f"{action.title} was not run: not recorded: {_line(err)}") from err

        started_at = self.clock.now()
        start = self._monotonic()
        output = Output()
        run = _Run(asyncio.ensure_future(self._bounded(action, target, values, output)), asyncio.Event())
        self._runs[request.id] = run
        interrupted = False
        try:
            try:
                # Shielded: a cancelled caller (the screen's worker) does not cut the run short
                # without the record hearing of it; interrupt_all cancels the run itself.
                result, timed_out = await asyncio.shield(run.task)
            except asyncio.CancelledError:
                interrupted = True
                run.task.cancel()
                with contextlib.suppress(BaseException):
                    await run.task  # the process group stopped, its output read
                why = self._interrupted or "warroom stopped before it finished"
                result, timed_out = RunResult(False, f"interrupted: {why}"), False
            finishing = asyncio.ensure_future(
                self._finish(
                    action,
                    active,
                    request,
                    subject,
                    result,
                    output,
                    start,
                    started_at,
                    timed_out,
                    secrets,
                    who,
                    interrupted,
                )
            )
            try:
                outcome = await asyncio.shield(finishing)
            except asyncio.CancelledError:
                with contextlib.suppress(BaseException):
                    await finishing  # the outcome is written even when the caller goes away
                    done = finishing.result()
                    if done.ok and result.follow is not None and not interrupted:
                        # Its outcome says it is followed: followed it is, in its own task.
                        self._start_follow(action, active, request, done, result.follow, start, who)
                raise
        finally:
            self._runs.pop(request.id, None)
            run.recorded.set()
        if interrupted:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
        if outcome.ok and result.follow is not None:
            self._start_follow(action, active, request, outcome, result.follow, start, who)
            outcome = replace(outcome, following=result.follow.what)
        if self.notify is not None:
            self.notify(outcome)
        return outcome

    # ---- following what an action set going -------------------------------------------------
    def _start_follow(
        self,
        action: Action,
        active: ActiveIncident,
        request: Event,
        outcome: Outcome,
        follow: Follow,
        start: float,
        who: Who | None,
    ) -> None:
        """In a task of its own: the screen, the other keys and the caller never wait for it."""
        self._progress[request.id] = ROLLING_OUT
        recorded = asyncio.Event()
        task = asyncio.ensure_future(
            self._follow(action, active, request, outcome, follow, start, who, recorded)
        )
        self._follows[request.id] = _Run(task, recorded)
        self._follow_what[request.id] = follow.what
        self._progressed()

    def _progressed(self) -> None:
        if self.on_progress is not None:
            with contextlib.suppress(Exception):  # the screen's bug must not end the follow
                self.on_progress()

    async def _follow(
        self,
        action: Action,
        active: ActiveIncident,
        request: Event,
        outcome: Outcome,
        follow: Follow,
        start: float,
        who: Who | None,
        recorded: asyncio.Event,
    ) -> None:
        def report(progress: str) -> None:
            line = _line(progress)
            if line and self._progress.get(request.id) != line:
                self._progress[request.id] = line
                self._progressed()

        subject = outcome.subject
        try:
            try:
                # The follow bounds itself; this is the net for one that does not.
                end = await asyncio.wait_for(follow.run(report), follow.bound_s + OUTCOME_GRACE_S)
            except asyncio.CancelledError:
                why = self._interrupted or "warroom stopped following it"
                last = self._progress.get(request.id, ROLLING_OUT)
                end = FollowEnd(
                    "rollout_interrupted",
                    f"not followed to the end ({why}): {last}; the rollout goes on in the cluster",
                    {"why": why, "status": last},
                )
            except TimeoutError:
                last = self._progress.get(request.id, ROLLING_OUT)
                end = FollowEnd("rollout_stalled", f"still {last}", {"reason": "bound", "status": last})
            except Exception as err:  # a bug in a follow must not take the app down, nor pass unsaid
                end = FollowEnd(
                    "rollout_interrupted",
                    f"not followed to the end: {type(err).__name__}: {_line(err)}",
                    {"why": _line(err)},
                )
            writing = asyncio.ensure_future(
                self._follow_end(action, active, request, outcome, subject, end, start)
            )
            try:
                ended = await asyncio.shield(writing)
            except asyncio.CancelledError:
                with contextlib.suppress(BaseException):
                    await writing  # the end is written even when the follow is cancelled while writing
                raise
        finally:
            self._follows.pop(request.id, None)
            self._follow_what.pop(request.id, None)
            self._progress.pop(request.id, None)
            recorded.set()
            self._progressed()
        if self.on_follow_end is not None:
            with contextlib.suppress(Exception):
                self.on_follow_end(ended)

    async def _follow_end(
        self,
        action: Action,
        active: ActiveIncident,
        request: Event,
        outcome: Outcome,
        subject: str,
        end: FollowEnd,
        start: float,
    ) -> FollowOutcome:
        duration = max(0.0, self._monotonic() - start)
        took = _seconds(duration)
        named = action.named(subject, " ")
        if end.kind == "rollout_complete":
            text = f"{named}: rolled out in {took}" + (f" ({end.detail})" if end.detail else "")
        elif end.kind == "rollout_stalled":
            text = f"{named}: stalled after {took}: {end.detail}"
        else:
            text = f"{named}: {end.detail} (after {took})"
        data = {
            **dict(end.data),
            "action": action.id,
            "subject": subject,
            "duration_s": round(duration, 3),
        }
        event: Event | None = None
        record_error: str | None = None
        try:
            event = await active.incidents.rollout_finished(request, outcome.finished, end.kind, text, data)
        except Exception as err:
            record_error = f"the rollout's end could not be recorded: {_line(err)}"
        return FollowOutcome(request, end.kind, text, duration, event, record_error)

    @staticmethod
    async def _bounded(
        action: Action, target: Target, values: dict[str, Any], output: Output
    ) -> tuple[RunResult, bool]:
        """The run under the action's timeout: (result, timed out). A bug in a run must not take
        the app down, nor go unrecorded."""
        try:
            return await asyncio.wait_for(action.run(target, values, output), action.timeout_s), False
        except TimeoutError:
            note = f"; {action.timeout_note}" if action.timeout_note else ""
            return RunResult(False, f"no result in {action.timeout_s:g} s{note}"), True
        except Exception as err:
            return RunResult(False, f"{type(err).__name__}: {_line(err)}"), False

    async def _finish(
        self,
        action: Action,
        active: ActiveIncident,
        request: Event,
        subject: str,
        result: RunResult,
        output: Output,
        start: float,
        started_at: datetime,
        timed_out: bool,
        secrets: tuple[str, ...],
        who: Who | None,
        interrupted: bool = False,
    ) -> Outcome:
        duration = max(0.0, self._monotonic() - start)
        excerpt = redact(output.text(), secrets)
        line = redact(_line(result.text), secrets)
        verdict = line if result.ok else f"failed: {line}" if line else "failed"
        text = f"{action.named(subject, ' ')}: {verdict} ({_seconds(duration)})"
        data: dict[str, Any] = {
            "action": action.id,
            "subject": subject,
            "ok": result.ok,
            "result": line,
            "duration_s": round(duration, 3),
            "exit_code": result.exit_code,
            "http_status": result.http_status,
            "timed_out": timed_out,
        }
        if excerpt:
            data["output"] = excerpt
        if result.ok and result.follow is not None and not interrupted:
            data["follow"] = {"what": result.follow.what, "bound_s": result.follow.bound_s}
        if result.details:
            data["details"] = redact_data(dict(result.details), secrets)
        finished: Event | None = None
        record_error: str | None = None
        try:
            finished = await active.incidents.action_finished(
                request, ok=result.ok, text=text, data=data, who=who, interrupted=interrupted
            )
        except Exception as err:
            record_error = f"the result could not be recorded: {_line(err)}"
        return Outcome(
            action_id=action.id,
            title=action.title,
            subject=subject,
            ok=result.ok,
            text=text,
            duration_s=duration,
            started_at=started_at,
            exit_code=result.exit_code,
            http_status=result.http_status,
            timed_out=timed_out,
            output=excerpt,
            request=request,
            finished=finished,
            record_error=record_error,
        )


@dataclass(slots=True)
class _Run:
    task: asyncio.Future[Any]
    recorded: asyncio.Event  # set once its outcome (or the failure to write it) is settled


def _line(value: object) -> str:
    return " ".join(str(value).split())


def _seconds(duration: float) -> str:
    return f"{duration * 1000:.0f} ms" if duration < 1 else f"{duration:.1f} s"


__all__ = [
    "NO_INCIDENT",
    "ActiveIncident",
    "Dispatcher",
    "FollowOutcome",
    "IncidentsProvider",
    "Outcome",
    "StoreIncidents",
]
