"""`warroom demo`'s simulated platform behind the app's own interfaces: four `PollSource`s (health,
pods, SLOs, logs) and a `ClusterControl` whose mitigations act on the simulation.

The state is a pure function of (scenario, seed, time since the start, actions taken and when):
with a `FrozenClock` the same inputs give the same snapshots. Time comes only from the clock;
the world is stepped a second at a time up to the clock's `now()` when something is asked, so a
poll costs the seconds since the previous one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tui.clock import Clock
from tui.demo.scenarios import Scenario, get_scenario
from tui.demo.snapshots import cluster_snapshot, health_snapshot, slo_snapshot, wall
from tui.demo.topology import NAMESPACES
from tui.demo.world import MAX_REPLICAS, MITIGATIONS, World
from tui.model import ClusterSnapshot, HealthSnapshot, LogBatch, LogLine, SloSnapshot
from tui.sources.base import PollSource, SourceError

# The team's own actions the demo knows: (name, title, scope: the exact target, for the confirm).
DEMO_MITIGATIONS: tuple[tuple[str, str, str], ...] = MITIGATIONS

MAX_STARTED_AGO_S = 6 * 3600.0  # the simulation replays every second since the start
DEMO_DRY_RUN = "dry run: "  # the simulation's own check; there is no API server to ask
LOG_BACKLOG = 40  # lines the first log poll returns, so the panel is full at first paint
LOG_MAX_BATCH = 200  # lines one later poll returns at most; the rest are counted as dropped


class DemoPlatform:
    context = "demo"

    def __init__(
        self, scenario: str | None, seed: int, clock: Clock, *, started_ago_s: float = 120.0
    ) -> None:
        if not 0 <= started_ago_s <= MAX_STARTED_AGO_S:
            raise ValueError(
                f"started_ago_s must be between 0 and {MAX_STARTED_AGO_S:g}, got {started_ago_s}"
            )
        self.scenario: Scenario = get_scenario(scenario)
        self.seed = seed
        self.clock = clock
        self.started_at = clock.now() - timedelta(seconds=started_ago_s)
        self.world = World(self.scenario, seed, self.started_at)
        self.sync()

    def elapsed_s(self) -> float:
        """Seconds since the scenario's start, by the clock."""
        return (self.clock.now() - self.started_at).total_seconds()

    def sync(self) -> int:
        """Step the world up to the clock's current second (never back: a clock that jumps back
        sees the state it already had)."""
        self.world.advance_to(math.floor(self.elapsed_s()))
        return self.world.k

    # ---- what the sources read ---------------------------------------------------------------
    def health(self) -> HealthSnapshot:
        self.sync()
        return health_snapshot(self.world, self.clock.now())

    def cluster(self) -> ClusterSnapshot:
        self.sync()
        return cluster_snapshot(self.world, self.context)

    def slos(self) -> SloSnapshot:
        self.sync()
        return slo_snapshot(self.world)

    def logs_after(self, seq: int | None) -> tuple[LogBatch, int]:
        """The lines after line number `seq` (None: the first poll, which gets the backlog), and
        the number of the last line returned, for the next call."""
        self.sync()
        book = self.world.logbook
        if seq is None:
            seq = max(0, book.total - LOG_BACKLOG)
        lines = book.after(seq)
        dropped = (book.total - seq) - len(lines)  # fell out of the kept lines
        if len(lines) > LOG_MAX_BATCH:
            dropped += len(lines) - LOG_MAX_BATCH
            lines = lines[-LOG_MAX_BATCH:]
        batch = LogBatch(
            lines=tuple(
                LogLine(at=wall(self.world, at), origin=origin, text=text, level=level)
                for _, at, origin, text, level in lines
            ),
            dropped=dropped,
        )
        return batch, book.total

    # ---- what the control does ---------------------------------------------------------------
    def act(self, request: Callable[[World, float], str]) -> str:
        """Ask the world for an action at the clock's now; it takes effect from the next second."""
        self.sync()
        return request(self.world, max(self.elapsed_s(), float(self.world.k)))


class _Source:
    def __init__(self, name: str, interval_s: float, read: Callable[[], Any]) -> None:
        self.name = name
        self.interval_s = interval_s
        self._read = read

    async def poll(self) -> Any:
        return self._read()

    async def close(self) -> None:
        return None


class DemoLogSource:
    """The log tail: the backlog first, then what was written since the previous poll."""

    name = "logs"
    # Every batch repaints the whole visible tail (Textual has no cheap terminal scroll): at
    # 160x50 that is 3 KB, so batching 3 s keeps the demo near 2 KB/s over a slow SSH link.
    interval_s = 3.0

    def __init__(self, platform: DemoPlatform) -> None:
        self.platform = platform
        self._seq: int | None = None

    async def poll(self) -> LogBatch:
        batch, self._seq = self.platform.logs_after(self._seq)
        return batch

    async def close(self) -> None:
        return None


def demo_sources(platform: DemoPlatform) -> dict[str, PollSource[Any]]:
    """The four panel sources over one platform (each call: new sources, a new log cursor)."""
    return {
        # The real adapters' default cadences (SLOs a little faster, so the demo moves).
        "health": _Source("health", 5.0, platform.health),
        "pods": _Source("kubernetes", 2.0, platform.cluster),
        "slos": _Source("prometheus", 10.0, platform.slos),
        "logs": DemoLogSource(platform),
    }


class DemoControl:
    """`tui.sources.base.ClusterControl` against the simulation, plus the team's own actions
    (`DEMO_MITIGATIONS`). Each call returns one line saying what it did, or raises SourceError."""

    def __init__(self, platform: DemoPlatform) -> None:
        self.platform = platform
        self.context = platform.context

    # A dry run reads the simulation as it stands and says what the call would do; it asks the
    # world for nothing (no `act`), so the state stays what it would have been without it.
    def _world(self) -> World:
        self.platform.sync()  # only catches up with the clock, as any poll does
        return self.platform.world

    async def rollout_restart(self, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        if dry_run:
            latest = max(tpl.revision for tpl in self._world().deployment(namespace, deployment).history)
            then = f"(revision {latest} → {latest + 1})"
            return f"{DEMO_DRY_RUN}deployment {namespace}/{deployment} would be restarted {then}"
        return self.platform.act(lambda world, at: world.request_restart(at, namespace, deployment))

    async def rollout_undo(self, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        if dry_run:
            ctrl = self._world().deployment(namespace, deployment)
            latest = max(ctrl.history, key=lambda tpl: tpl.revision)
            older = [tpl for tpl in ctrl.history if tpl.hash != latest.hash]
            if not older:
                raise SourceError(f'no rollout history found for deployment "{namespace}/{deployment}"')
            previous = max(older, key=lambda tpl: tpl.revision)
            image = f"{ctrl.spec.image.rsplit('/', 1)[-1]}:{previous.tag}"
            return (
                f"{DEMO_DRY_RUN}deployment {namespace}/{deployment} would be rolled back to revision "
                f"{previous.revision} ({image})"
            )
        return self.platform.act(lambda world, at: world.request_undo(at, namespace, deployment))

    async def scale(self, namespace: str, deployment: str, replicas: int, *, dry_run: bool = False) -> str:
        if dry_run:
            world = self._world()
            ctrl = world.deployment(namespace, deployment)
            if not 0 <= replicas <= MAX_REPLICAS:
                raise SourceError(f"replicas must be between 0 and {MAX_REPLICAS}, got {replicas}")
            before = world.planned_replicas[ctrl.key]
            return (
                f"{DEMO_DRY_RUN}deployment {namespace}/{deployment} would be scaled "
                f"from {before} to {replicas} replicas"
            )
        return self.platform.act(lambda world, at: world.request_scale(at, namespace, deployment, replicas))

    async def delete_pod(self, namespace: str, pod: str, *, dry_run: bool = False) -> str:
        if dry_run:
            world = self._world()
            if namespace not in NAMESPACES:
                raise SourceError(f'namespace "{namespace}" not found')
            owners = world.controllers.values()
            if not any(c.spec.namespace == namespace and c.find(pod) for c in owners):
                raise SourceError(f'pod "{namespace}/{pod}" not found')
            return f"{DEMO_DRY_RUN}pod {namespace}/{pod} would be deleted"
        return self.platform.act(lambda world, at: world.request_delete(at, namespace, pod))

    async def mitigate(self, name: str, target: str = "") -> str:
        return self.platform.act(lambda world, at: world.request_mitigation(at, name, target))
