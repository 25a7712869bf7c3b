"""`l` on a pod (or a workload): its logs in the log panel's place, `p` there toggles
`--previous`, `l` again or escape goes back to the configured `[[logs]]` sources.

The logs are a source of their own (tui.sources.kubernetes.pod_logs, built by the wiring for
the target) with a loop of its own; the configured sources keep running underneath, into their
own view, so going back loses none of their lines. A cycle in flight when the target changed is
dropped: its loop is stopped, and a stopped loop delivers nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui.core.model import LogBatch, LogTarget, PodLogBatch, SourceStatus
from tui.runtime import SourceLoop
from tui.sources.base import PollSource

if TYPE_CHECKING:
    from panels.logs import LogPanel
    from tui.app import WarroomApp


def about(target: LogTarget, batch: PodLogBatch | None) -> str:
    """What the log panel's title says it shows: "logs of deployment/web: 3 pods, following",
    "previous: web-7d4b9-x2x"."""
    label = batch.label if batch is not None and batch.label else f"{target.kind}/{target.name}"
    if target.kind == "workload" and (batch is None or not batch.label):
        label = target.name  # its kind is known once its pods are read
    if target.previous:
        if target.pod:
            return f"previous: {target.pod}"
        return f"previous: {label}"
    if batch is None:
        return f"logs of {label}: reading…"
    count = len(batch.pods)
    if label.startswith("pod/"):
        return f"logs of {label}: {'following' if count else 'gone'}"
    return f"logs of {label}: {count} pod{'' if count == 1 else 's'}, following"


class PodLogs:
    def __init__(self, app: WarroomApp) -> None:
        self.app = app
        self.target: LogTarget | None = None
        self.source: PollSource[Any] | None = None
        self.loop: SourceLoop | None = None
        self.batches = 0  # batches shown since the target was set (tests wait on it)

    @property
    def panel(self) -> LogPanel:
        from panels.logs import LogPanel

        panel = self.app.panels["logs"]
        assert isinstance(panel, LogPanel)
        return panel

    @property
    def active(self) -> bool:
        return self.target is not None

    def show(self, target: LogTarget) -> None:
        factory = self.app.setup.pod_logs
        if factory is None:
            self.app.notify("l: pod logs need a [cluster]", markup=False)
            return
        self._stop()
        self.target = target
        self.source = factory(target)
        # A stopped loop delivers nothing more (tui.runtime.SourceLoop): the cycle of a stream
        # no longer shown is dropped there.
        loop = SourceLoop(self.app, self.source, self._deliver, self._report, clock=self.app.clock)
        self.loop = loop
        self.batches = 0
        self.panel.show_pod_logs(about(target, None))
        self.app._layout_for(self.app.size.width, self.app.size.height)
        self.app.show_panel("logs")
        loop.start()

    def toggle_previous(self) -> None:
        if self.target is not None:
            self.show(replace(self.target, previous=not self.target.previous))

    def back(self) -> None:
        if self.target is None:
            return
        self._stop()
        self.target = None
        self.panel.back_to_configured()
        self.app._layout_for(self.app.size.width, self.app.size.height)
        self.app.show_panel("pods" if self.app.panels["pods"].configured else "logs")

    def _deliver(self, data: LogBatch) -> None:
        if self.target is None:
            return
        batch = data if isinstance(data, PodLogBatch) else PodLogBatch(data.lines, data.dropped)
        self.batches += 1
        self.panel.show_pod_batch(batch, about(self.target, batch))

    def _report(self, status: SourceStatus) -> None:
        self.panel.set_pod_status(status, self.app.clock.now())

    def _stop(self) -> None:
        loop, source = self.loop, self.source
        self.loop = self.source = None
        if loop is not None:
            loop.stop()
        if source is not None:
            # Closed in the background: its connection pool may take a moment to let go.
            self.app.run_worker(close_quietly(source), group="pod-logs-close", exit_on_error=False)

    async def close(self) -> None:
        """When the app stops."""
        loop, source = self.loop, self.source
        self.loop = self.source = None
        if loop is not None:
            loop.stop()
        if source is not None:
            await close_quietly(source)


async def close_quietly(source: PollSource[Any]) -> None:
    """Close a source no longer shown, within 5 s, whatever it raises."""
    try:
        await asyncio.wait_for(source.close(), 5.0)
    except Exception:  # closing is best effort
        pass
