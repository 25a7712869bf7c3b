"""One loop per source: poll in a worker, hand the snapshot to its panel, re-arm with
`set_timer` only after the cycle finished (cycles never overlap), and on failure mark only that
panel stale and back off."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual.app import App
from textual.timer import Timer

from tui.clock import Clock
from tui.model import SourceStatus
from tui.sources.base import PollSource, SourceError, backoff
from tui.untrusted import one_line

# A source bounds its own calls (timeouts); this is the net under a source with a bug.
CYCLE_DEADLINE_S = 60.0


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

    async def _cycle(self) -> None:
        try:
            data = await asyncio.wait_for(self.source.poll(), CYCLE_DEADLINE_S)
        except asyncio.CancelledError:
            self._running = False
            raise
        except Exception as err:  # a failing source marks its panel stale; nothing else stops
            self.failures += 1
            message = str(err) if isinstance(err, SourceError) else f"{type(err).__name__}: {err}"
            if isinstance(err, TimeoutError):
                message = f"no answer in {CYCLE_DEADLINE_S:.0f} s"
            delay = backoff(self.failures, max(self.source.interval_s, 1.0))
            now = self.clock.now()
            previous = self.status
            self.status = SourceStatus(
                ok=False,
                updated_at=previous.updated_at if previous else None,
                error=one_line(message or type(err).__name__, 160),
                retry_in_s=delay,
                failing_since=(previous.failing_since if previous and not previous.ok else None) or now,
                retry_at=now + timedelta(seconds=delay),
            )
            self.report(self.status)
        else:
            self.failures = 0
            delay = self.source.interval_s
            self.deliver(data)
            self.status = SourceStatus(ok=True, updated_at=self.clock.now())
            self.report(self.status)
        self.cycles += 1
        self._running = False
        if not self._stopped:
            self._timer = self.app.set_timer(delay, self._run, name=self.group)
