"""Service health: the adapter behind the Health panel, one row per `[[services]]` entry.

Three kinds of check, each bounded by the service's `timeout_s` as a whole (connect, TLS,
redirects, headers and body together), so one hung endpoint can never freeze the loop:

- url: an HTTP GET with httpx. Healthy is 2xx and, when the body is JSON with a "status" field,
  one of ok/up/healthy/pass. At most `MAX_BODY` bytes of a body are read (streamed).
- tcp: "host:port" accepts a connection.
- command: an argv (no shell) that exits 0; on timeout its whole process group is killed.

A failing service is a DOWN row with a one-line detail, never an exception out of `poll`. Each
service has its own interval: `poll` checks only those that are due and returns every row, the
unchecked ones with their last known state.

The checks run in a process of their own (tui/sources/health_worker.py), never on the loop that
draws the screen and answers keys: 10 000 services at 5 s are 2 000 checks a second, whose HTTP
parsing alone once left the screen's loop no time for a key (`?` 20 s). A thread was not enough:
it shares the interpreter's lock with the screen, and each turn of the screen's loop waited for
it. The caller's loop only asks "check what is due" and gets back the rows that changed, once
per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pickle
import shlex
import struct
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tui.config.schema import HealthConfig, ServiceConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import HISTORY_LEN, Health, HealthSnapshot, ServiceHealth
from tui.core.process_group import run_group
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.http import (
    ClientSetupError,
    describe,
    describe_connect_error,
    describe_os_error,
    make_client,
    seconds,
    trust,
    url_host,
)
from tui.sources.secrets import read_secret

MAX_BODY = 64 * 1024  # bytes of a response body (or of a command's output tail) ever kept
MAX_REDIRECTS = 5
# A command's output may still be open in a child it left behind after it exited; wait this long
# for the rest of the output, then stop reading (the group is killed afterwards anyway).
_OUTPUT_GRACE_S = 0.5
# Timers may fire a little early; a service whose interval is this close to elapsed is due.
_DUE_SLACK = 0.05
# Checks in flight at once ([health] max_concurrency, 32): enough that a few hung endpoints (each
# holding a worker for its timeout) do not stall the rest, few enough that 10 000 services cannot
# swamp the event loop the screen is drawn from, or the services' own listen backlogs.
DEFAULT_CONCURRENCY = HealthConfig().max_concurrency
# With checks spread over the interval, results are handed to the panel at most this often.
BATCH_S = 1.0

# How long `close` waits for the checks' process to finish its own cleanup (cancelled checks kill
# their commands' process groups, clients close their sockets) before it is killed.
_CLOSE_S = 5.0
_FRAME = struct.Struct(">I")  # each message between the two processes: its length, then a pickle


HEALTHY = frozenset({"ok", "up", "healthy", "pass", "passed", "passing", "green"})
DEGRADED = frozenset({"degraded", "warn", "warning", "yellow"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one check, before it becomes a row."""

    state: Health
    detail: str
    code: int | None = None
    latency_ms: float | None = None


def target_of(svc: ServiceConfig) -> str:
    """What the row shows as the thing being checked."""
    if svc.url is not None:
        return svc.url
    if svc.tcp is not None:
        return svc.tcp
    if svc.command is not None:
        return shlex.join(svc.command)
    return ""


class HealthChecks:
    """The checks themselves, on the loop they are polled from: in warroom, the loop of the
    checks' own process (`HealthSource` runs one there).

    Collection runs apart from rendering: `max_concurrency` workers take due services from one
    queue and write each result into the rows as it lands; `poll` only queues what is due, waits
    a little (at most `batch_s`) for the queue to empty, and hands over the rows as one snapshot,
    so the panel repaints once per batch, not once per check. The bound is structural: there are
    never more checks in flight than workers.

    With more services than workers, the first checks are spread over each service's interval
    (groups of `max_concurrency`, each group offset a step later), so 10 000 services do not all
    fire at once; afterwards each service is due one interval after its last check started, which
    keeps the spread. The snapshot says how long a round of checks takes at this bound
    (`round_s`), so a panel can say when that does not fit the interval.
    """

    name = "health"

    def __init__(
        self,
        services: Sequence[ServiceConfig],
        clock: Clock | None = None,
        *,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        batch_s: float = BATCH_S,
        rows: Sequence[ServiceHealth] | None = None,
    ) -> None:
        """`rows`: where each service stands (its last result and history), when the checks
        start again; by default every service is not checked yet."""
        self._services = tuple(services)
        self._clock: Clock = clock or SystemClock()
        self.max_concurrency = max(1, int(max_concurrency))
        self._batch_s = batch_s
        self.check_interval_s: float = min((s.interval_s for s in self._services), default=5.0)
        count = len(self._services)
        spread = count > self.max_concurrency
        # The loop's pace is the batch when checks are spread (results land all the time), else
        # the interval itself (everything is checked at once, as before).
        self.interval_s: float = min(self.check_interval_s, batch_s) if spread else self.check_interval_s
        groups = -(-count // self.max_concurrency)  # ceil
        self._offsets: list[float] = [
            (i // self.max_concurrency) * (s.interval_s / groups) if spread else 0.0
            for i, s in enumerate(self._services)
        ]
        self._clients: dict[tuple[str | None, bool, str | None, str | None], httpx.AsyncClient] = {}
        now = self._clock.now()
        # Rows are kept by position: two services may share a name in a careless config, and
        # each still gets its own row.
        self._rows: list[ServiceHealth] = [
            ServiceHealth(
                name=s.name,
                state="UNKNOWN",
                code=None,
                latency_ms=None,
                detail="not checked yet",
                checked_at=now,
                changed_at=None,
                target=target_of(s),
                deployment=s.deployment,
                namespace=s.namespace,
            )
            for s in self._services
        ]
        if rows is not None and len(rows) == count:
            self._rows = list(rows)
        self._last_start: list[datetime | None] = [None] * count
        self._durations: list[float | None] = [None] * count  # seconds each last check took
        self._duration_sum = 0.0
        self._durations_known = 0
        self._started_at: datetime | None = None
        self._pending: set[int] = set()  # queued or being checked
        self._queue: asyncio.Queue[int] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._idle: asyncio.Event | None = None
        self._snapshot: HealthSnapshot | None = None
        self._dirty = True
        self.in_flight = 0  # checks running now; never above max_concurrency

    @property
    def rows(self) -> list[ServiceHealth]:
        return self._rows

    async def poll(self) -> HealthSnapshot:
        now = self._clock.now()
        if self._started_at is None or now < self._started_at:
            self._started_at = now
        queue, idle = self._ensure_workers()
        for i in range(len(self._services)):
            if i not in self._pending and self._is_due(i, now):
                self._pending.add(i)
                queue.put_nowait(i)
        if self._pending:
            idle.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._batch_s):
                    await idle.wait()
        return self.snapshot()

    def snapshot(self) -> HealthSnapshot:
        """The rows as they are now; the very same object while nothing changed (the app skips
        painting a snapshot it painted already)."""
        if self._dirty or self._snapshot is None:
            self._dirty = False
            self._snapshot = HealthSnapshot(
                services=tuple(self._rows),
                round_s=self.round_s(),
                interval_s=self.check_interval_s,
            )
        return self._snapshot

    def round_s(self) -> float | None:
        """How long one round of every service's check takes at this concurrency: what the last
        checks took (the mean for those not checked yet), over the number of workers. With mixed
        intervals, the time the checks due within the shortest interval need."""
        if not self._durations_known:
            return None
        mean = self._duration_sum / self._durations_known
        load = 0.0
        for svc, took in zip(self._services, self._durations, strict=True):
            load += (mean if took is None else took) / svc.interval_s
        return load * self.check_interval_s / self.max_concurrency

    def _ensure_workers(self) -> tuple[asyncio.Queue[int], asyncio.Event]:
        if self._queue is None or self._idle is None:
            self._queue, self._idle = asyncio.Queue(), asyncio.Event()
        wanted = min(self.max_concurrency, len(self._services))
        self._workers = [w for w in self._workers if not w.done()]
        while len(self._workers) < wanted:
            self._workers.append(asyncio.create_task(self._work(self._queue, self._idle)))
        return self._queue, self._idle

    async def _work(self, queue: asyncio.Queue[int], idle: asyncio.Event) -> None:
        while True:
            i = await queue.get()
            svc = self._services[i]
            self.in_flight += 1
            self._last_start[i] = self._clock.now()
            start = time.monotonic()
            try:
                outcome, checked_at = await self._checked(svc)
                self._rows[i] = self._next_row(self._rows[i], outcome, checked_at)
                self._dirty = True
                self._note_duration(i, time.monotonic() - start)
            finally:
                self.in_flight -= 1
                self._pending.discard(i)
                if not self._pending:
                    idle.set()

    def _note_duration(self, i: int, took: float) -> None:
        old = self._durations[i]
        if old is None:
            self._durations_known += 1
        else:
            self._duration_sum -= old
        self._durations[i] = took
        self._duration_sum += took

    def _is_due(self, i: int, now: datetime) -> bool:
        last = self._last_start[i]
        if last is None:
            assert self._started_at is not None
            first = self._started_at + timedelta(seconds=self._offsets[i])
            return now >= first - timedelta(seconds=self._services[i].interval_s * _DUE_SLACK)
        if now < last:  # the wall clock stepped back
            return True
        interval = self._services[i].interval_s
        return now - last >= timedelta(seconds=interval * (1 - _DUE_SLACK))

    @staticmethod
    def _next_row(old: ServiceHealth, outcome: Outcome, at: datetime) -> ServiceHealth:
        changed = outcome.state != old.state
        return replace(
            old,
            state=outcome.state,
            code=outcome.code,
            latency_ms=outcome.latency_ms,
            detail=outcome.detail,
            checked_at=at,
            changed_at=at if changed else old.changed_at,
            history=(*old.history, outcome.state)[-HISTORY_LEN:],
        )

    async def _checked(self, svc: ServiceConfig) -> tuple[Outcome, datetime]:
        """One check, and when it finished; a surprise in one check is that row's DOWN."""
        try:
            outcome = await self.check(svc)
        except Exception as exc:  # a bug or a surprise in one check must not cost the others
            outcome = Outcome("DOWN", f"check failed: {type(exc).__name__}: {one_line(str(exc), 120)}")
        return outcome, self._clock.now()

    async def check(self, svc: ServiceConfig) -> Outcome:
        """One check of one service, whatever its kind."""
        if svc.url is not None:
            return await self._check_http(svc, svc.url)
        if svc.tcp is not None:
            return await self._check_tcp(svc, svc.tcp)
        if svc.command:
            return await self._check_command(svc, svc.command)
        return Outcome("UNKNOWN", "no url, tcp or command to check")

    async def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(BaseException):
                await worker
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()

    # ---- http ------------------------------------------------------------------------------------

    def _client(self, svc: ServiceConfig) -> httpx.AsyncClient:
        """One client per TLS setup. Keep-alive is off: each check opens its own connection, as
        curl would, so a refused or slow connect shows up instead of hiding behind a pooled one."""
        key = (svc.ca_file, svc.insecure, svc.client_cert, svc.client_key)
        client = self._clients.get(key)
        if client is None:
            client = make_client(
                verify=trust(svc.ca_file, svc.insecure, svc.client_cert, svc.client_key),
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
            self._clients[key] = client
        return client

    async def _check_http(self, svc: ServiceConfig, url: str) -> Outcome:
        headers = {"Accept": "application/json, */*;q=0.5", "Accept-Encoding": "identity"}
        if svc.bearer_token_file:
            token, problem = read_secret(svc.bearer_token_file)
            if problem:
                return Outcome("DOWN", problem)
            headers["Authorization"] = f"Bearer {token}"
        try:
            client = self._client(svc)
        except ClientSetupError as exc:
            return Outcome("DOWN", str(exc))
        progress = _Progress()
        start = time.monotonic()
        try:
            async with asyncio.timeout(svc.timeout_s):
                return await self._fetch(client, svc, url, headers, start, progress)
        except TimeoutError:
            if progress.code is not None:
                return Outcome(
                    "DOWN",
                    f"HTTP {progress.code}, body still arriving after {seconds(svc.timeout_s)} s",
                    progress.code,
                    elapsed_ms(start),
                )
            return Outcome("DOWN", f"no answer in {seconds(svc.timeout_s)} s")
        except (httpx.HTTPError, OSError) as exc:
            return Outcome("DOWN", describe(exc, host=url_host(url), timeout_s=svc.timeout_s), progress.code)

    async def _fetch(
        self,
        client: httpx.AsyncClient,
        svc: ServiceConfig,
        url: str,
        headers: dict[str, str],
        start: float,
        progress: _Progress,
    ) -> Outcome:
        async with client.stream("GET", url, headers=headers, timeout=svc.timeout_s) as resp:
            progress.code = code = resp.status_code
            body = bytearray()
            over = False
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    over = True  # stop reading: leaving the block closes the connection
                    break
        latency = elapsed_ms(start)
        if not 200 <= code < 300:
            return Outcome("DOWN", f"HTTP {code}", code, latency)
        state, detail = judge_body(bytes(body), over, resp.headers.get("content-type", ""), code)
        if state == "UP" and svc.degraded_ms is not None and latency > svc.degraded_ms:
            state, detail = "DEGRADED", f"slow: {latency:.0f} ms (over {svc.degraded_ms:g} ms)"
        return Outcome(state, detail, code, latency)

    # ---- tcp -------------------------------------------------------------------------------------

    async def _check_tcp(self, svc: ServiceConfig, target: str) -> Outcome:
        host, port = split_host_port(target)
        if host is None or port is None:
            return Outcome("DOWN", f'invalid tcp target "{one_line(target, 80)}": expected host:port')
        start = time.monotonic()
        try:
            async with asyncio.timeout(svc.timeout_s):
                _, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            return Outcome("DOWN", f"no answer in {seconds(svc.timeout_s)} s")
        except OSError as exc:
            return Outcome("DOWN", describe_connect_error(exc, host))
        latency = elapsed_ms(start)
        writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(svc.timeout_s):
                await writer.wait_closed()
        return Outcome("UP", "connected", None, latency)

    # ---- command ---------------------------------------------------------------------------------

    async def _check_command(self, svc: ServiceConfig, argv: Sequence[str]) -> Outcome:
        start = time.monotonic()
        tail = bytearray()

        def keep(chunk: bytes) -> None:  # the last MAX_BODY bytes: where the reason is
            tail.extend(chunk)
            if len(tail) > MAX_BODY:
                del tail[:-MAX_BODY]

        try:
            # reap: what it left behind is killed too: a check must not leak processes
            code = await run_group(
                argv, keep, timeout_s=svc.timeout_s, term_grace_s=0, output_grace_s=_OUTPUT_GRACE_S, reap=True
            )
        except TimeoutError:  # (an OSError too: first)
            return Outcome("DOWN", f"no answer in {seconds(svc.timeout_s)} s (killed)")
        except FileNotFoundError:
            return Outcome("DOWN", f"command not found: {one_line(argv[0], 120)}")
        except OSError as exc:
            return Outcome("DOWN", f"cannot run {one_line(argv[0], 120)}: {describe_os_error(exc)}")
        latency = elapsed_ms(start)
        line = last_line(tail)
        if code == 0:
            return Outcome("UP", line or "exit 0", 0, latency)
        what = f"killed by signal {-code}" if code < 0 else f"exit {code}"
        return Outcome("DOWN", f"{what}: {line}" if line else what, code, latency)


class HealthSource:
    """Implements `PollSource[HealthSnapshot]`: `HealthChecks` in a process of its own.

    The process (`python -m tui.sources.health_worker`) gets the services, the bound and the
    rows as they stand; each `poll` asks it for one cycle (check what is due, wait at most a
    batch) and gets back only the rows that changed, which replace theirs here. Rows not checked
    since stay the very same objects, and a cycle that changed nothing hands back the very same
    snapshot, as the panel and the detector expect. With a clock other than the system's (a
    test's), the process follows this one: each poll tells it the time.

    The process ends when its input closes: on `close`, or when warroom dies however it dies
    (kill -9 too), so it cannot outlive it; ^C at the terminal is warroom's to handle, not its.
    If it dies, the poll fails with why ("health checks stopped (exit 1): MemoryError"), the
    panel goes stale with "retry in", and the next poll starts another from the rows as they
    stood.
    """

    name = "health"

    def __init__(
        self,
        services: Sequence[ServiceConfig],
        clock: Clock | None = None,
        *,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        batch_s: float = BATCH_S,
    ) -> None:
        # The same plan the process follows, for its pace and its first rows.
        plan = HealthChecks(services, clock, max_concurrency=max_concurrency, batch_s=batch_s)
        self._services = plan._services
        self._clock = plan._clock
        self.max_concurrency = plan.max_concurrency
        self._batch_s = batch_s
        self.check_interval_s = plan.check_interval_s
        self.interval_s = plan.interval_s
        self._rows: list[ServiceHealth] = list(plan.rows)
        self._round_s: float | None = None
        self._snapshot: HealthSnapshot | None = None
        self._dirty = True
        self.in_flight = 0  # as the process last said: checks running there
        self._worker: _Worker | None = None

    @property
    def worker_pid(self) -> int | None:
        """The process the checks run in (None before the first poll and after close)."""
        return self._worker.pid if self._worker is not None else None

    async def poll(self) -> HealthSnapshot:
        worker = self._worker
        if worker is None or worker.stopped is not None:
            if worker is not None:
                await worker.close()
            follow = None if isinstance(self._clock, SystemClock) else self._clock.now()
            worker = self._worker = await _Worker.start(
                (self._services, self.max_concurrency, self._batch_s, tuple(self._rows), follow),
                self._apply,
            )
        now = None if isinstance(self._clock, SystemClock) else self._clock.now()
        await worker.ask(now)
        return self.snapshot()

    def _apply(self, reply: tuple[list[tuple[int, ServiceHealth]], float | None, int]) -> None:
        changed, round_s, in_flight = reply
        for i, row in changed:
            self._rows[i] = row
        if changed or round_s != self._round_s:
            self._dirty = True
        self._round_s = round_s
        self.in_flight = in_flight

    def snapshot(self) -> HealthSnapshot:
        if self._dirty or self._snapshot is None:
            self._dirty = False
            self._snapshot = HealthSnapshot(
                services=tuple(self._rows), round_s=self._round_s, interval_s=self.check_interval_s
            )
        return self._snapshot

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.close()


def encode_frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME.pack(len(data)) + data


async def read_frame(reader: asyncio.StreamReader) -> Any:
    """One message; `asyncio.IncompleteReadError` when the other side has gone."""
    (size,) = _FRAME.unpack(await reader.readexactly(_FRAME.size))
    return pickle.loads(await reader.readexactly(size))  # our own child, our own parent: trusted


class _Worker:
    """The checks' process, seen from warroom: one request out, one reply back, in order."""

    def __init__(self, proc: asyncio.subprocess.Process, apply: Any) -> None:
        self.proc = proc
        self.pid = proc.pid
        self._apply = apply
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._stderr: deque[str] = deque(maxlen=5)
        self.stopped: str | None = None  # why it is gone
        self._tasks = [
            asyncio.ensure_future(self._replies()),
            asyncio.ensure_future(self._errors()),
        ]

    @classmethod
    async def start(cls, setup: tuple[Any, ...], apply: Any) -> _Worker:
        env = dict(os.environ)
        # The package this module is part of, wherever warroom was started from.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tui.sources.health_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,  # never the terminal: the screen is drawn there
                env=env,
            )
        except OSError as exc:
            raise SourceError(f"cannot start the health checks: {describe_os_error(exc)}") from None
        worker = cls(proc, apply)
        worker._send(setup)
        return worker

    def _send(self, message: object) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(encode_frame(message))
        except (OSError, RuntimeError) as exc:  # its end closed: it is gone
            self._gone(f"health checks stopped: {describe_os_error(exc)}")

    async def ask(self, now: datetime | None) -> None:
        """One cycle there; returns once its reply is applied."""
        if self.stopped is not None:
            raise SourceError(self.stopped)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Its outcome is taken even when no poll waits for it any more (one was cancelled).
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._waiting.append(done)
        self._send(("poll", now))
        # A cancelled poll leaves its reply to be applied when it comes.
        await asyncio.shield(done)

    async def _replies(self) -> None:
        assert self.proc.stdout is not None
        try:
            while True:
                reply = await read_frame(self.proc.stdout)
                self._apply(reply)
                if self._waiting:
                    done = self._waiting.popleft()
                    if not done.done():
                        done.set_result(None)
        except (asyncio.IncompleteReadError, OSError, pickle.UnpicklingError, EOFError):
            pass
        code = await self.proc.wait()
        await asyncio.sleep(0)  # the last lines of its stderr
        said = f": {self._stderr[-1]}" if self._stderr else ""
        self._gone(f"health checks stopped (exit {code}){said}")

    async def _errors(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            text = one_line(line.decode("utf-8", errors="replace"), 160)
            if text:
                self._stderr.append(text)

    def _gone(self, why: str) -> None:
        if self.stopped is None:
            self.stopped = why
        while self._waiting:
            done = self._waiting.popleft()
            if not done.done():
                done.set_exception(SourceError(self.stopped))

    async def close(self) -> None:
        """Close its input (it then stops its checks and exits); kill it if it does not."""
        if self.proc.returncode is None and self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), _CLOSE_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._gone("health checks stopped")


@dataclass(slots=True)
class _Progress:
    """How far an HTTP check got, for the message when the timeout cuts it short."""

    code: int | None = None


def elapsed_ms(start: float) -> float:
    return (time.monotonic() - start) * 1000


def judge_body(body: bytes, over: bool, content_type: str, code: int) -> tuple[Health, str]:
    """State and detail of a 2xx answer from what its body says."""
    if over:
        return "UP", f"HTTP {code}, body over {MAX_BODY // 1024} KiB, status not read"
    says_json = "json" in content_type.lower()
    stripped = body.strip()
    if not says_json and not stripped.startswith(b"{"):
        return "UP", f"HTTP {code}"  # plain text, HTML, empty: the code is the answer
    try:
        doc = json.loads(stripped)
    except ValueError:
        if says_json:
            return "UP", f"HTTP {code}, body is not valid JSON"
        return "UP", f"HTTP {code}"
    status = doc.get("status") if isinstance(doc, dict) else None
    if not isinstance(status, str):
        return "UP", f"HTTP {code}"
    word = status.strip().lower()
    shown = one_line(status, 60)
    if word in HEALTHY:
        return "UP", f"status: {shown}"
    if word in DEGRADED:
        return "DEGRADED", f"status: {shown}"
    return "DOWN", f"status: {shown}"


def split_host_port(target: str) -> tuple[str | None, int | None]:
    """`db:5432` and `[::1]:5432` as (host, port); (None, None) when it is neither."""
    host, sep, port_text = target.strip().rpartition(":")
    if not sep or not host:
        return None, None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        return None, None
    if not 0 < port < 65536:
        return None, None
    return host, port


def last_line(tail: bytes | bytearray) -> str:
    """The last non-blank line of a command's output, as one clean line."""
    for line in reversed(tail.decode("utf-8", errors="replace").splitlines()):
        if line.strip():
            return one_line(line, 160)
    return ""
