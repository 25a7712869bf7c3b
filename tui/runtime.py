"""One loop per source: poll in a worker, hand the snapshot to its panel, re-arm with
`set_timer` only after the cycle finished (cycles never overlap), and on failure mark only that
panel stale and back off.

The back-off is short on purpose: a failing source is tried again after one interval, then every
two (`RETRY_CAP_INTERVALS`), so a server that comes back is seen within about two intervals (a
60 s cap once left Kubernetes dark 38 s after its API server was back). The tries stay cheap: a
source with a `probe` (one TCP connect, tui/sources/probe.py) is probed first and polled only once
the probe passes. The "retry in" the panel counts down is the timer that is armed, to the
instant, and while a try runs the line says so."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from textual.app import App
from textual.timer import Timer

from tui.core.clock import Clock
from tui.core.model import SourceStatus
from tui.core.untrusted import one_line
from tui.sources.base import PollSource, SourceError, backoff

# A source bounds its own calls (timeouts); this is the net under a source with a bug.
CYCLE_DEADLINE_S = 60.0
PROBE_DEADLINE_S = 5.0  # a probe is one connect of at most a second; the same kind of net
RETRY_CAP_INTERVALS = 2.0  # the longest wait between tries of a failing source, in its intervals
MIN_RETRY_S = 1.0  # however short the interval, a failing server is not hammered


class SourceLoop:
    def __init__(
        self,
        app: App[Any],
        source: PollSource[Any],
        deliver: Callable[[Any], None],
        report: Callable[[SourceStatus], None],
        clock: Clock,
    ) -> None:
        self.app = app
        self.source = source
        self.deliver = deliver
        self.report = report
        self.clock = clock
        self.failures = 0
        self.status: SourceStatus | None = None
        self.cycles = 0
        self._timer: Timer | None = None
        self._stopped = False
        self._running = False

    @property
    def group(self) -> str:
        return f"source:{self.source.name}"

    def start(self) -> None:
        self._run()

    def poll_now(self) -> None:
        """Refresh now (ctrl+r), unless a cycle is already under way."""
        if self._running or self._stopped:
            return
        if self._timer is not None:
            self._timer.stop()
        self._run()

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()

    def _run(self) -> None:
        if self._stopped:
            return
        self._running = True
        self.app.run_worker(self._cycle(), group=self.group, exclusive=True, exit_on_error=False)

    def retry_delay(self) -> float:
        """The wait before the next try after `self.failures` failures in a row: one interval,
        then two, never more (nor under MIN_RETRY_S)."""
        base = max(self.source.interval_s, MIN_RETRY_S)
        return backoff(self.failures, base, cap=RETRY_CAP_INTERVALS * base)

    async def _cycle(self) -> None:
        try:
            if self.failures and self.status is not None:
                self.report(replace(self.status, trying=True, retry_in_s=None, retry_at=None))
            probe: Callable[[], Awaitable[None]] | None = getattr(self.source, "probe", None)
            if self.failures and probe is not None:
                try:
                    await asyncio.wait_for(probe(), PROBE_DEADLINE_S)
                except TimeoutError:
                    raise SourceError(f"no answer in {PROBE_DEADLINE_S:.0f} s") from None
            data = await asyncio.wait_for(self.source.poll(), CYCLE_DEADLINE_S)
        except asyncio.CancelledError:
            self._running = False
            raise
        except Exception as err:  # a failing source marks its panel stale; nothing else stops
            if self._stopped:  # its source was replaced (a context switch): not reported
                self._running = False
                return
            self.failures += 1
            message = str(err) if isinstance(err, SourceError) else f"{type(err).__name__}: {err}"
            if isinstance(err, TimeoutError):
                message = f"no answer in {CYCLE_DEADLINE_S:.0f} s"
            delay = self.retry_delay()
            now = self._arm(delay)  # the countdown shown is this timer, armed at this instant
            previous = self.status
            self.status = SourceStatus(
                ok=False,
                updated_at=previous.updated_at if previous else None,
                error=one_line(message or type(err).__name__, 160),
                retry_in_s=delay,
                failing_since=(previous.failing_since if previous and not previous.ok else None) or now,
                retry_at=now + timedelta(seconds=delay),
            )
            self.cycles += 1
            self._running = False
            self.report(self.status)
        else:
            if self._stopped:  # a cycle under way when its source was replaced: not shown
                self._running = False
                return
            self.failures = 0
            self.deliver(data)
            self.status = SourceStatus(ok=True, updated_at=self.clock.now())
            self.cycles += 1
            self._running = False
            self._arm(self.source.interval_s)
            self.report(self.status)

    def _arm(self, delay: float) -> datetime:
        """Start the timer of the next cycle; the instant it was armed, by the loop's clock."""
        if not self._stopped:
            self._timer = self.app.set_timer(delay, self._run, name=self.group)
        return self.clock.now()
