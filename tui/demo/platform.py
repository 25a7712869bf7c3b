"""`warroom demo`'s simulated platform behind the app's own interfaces: four `PollSource`s (health,
pods, SLOs, logs) and a `ClusterControl` whose mitigations act on the simulation.

The state is a pure function of (scenario, seed, time since the start, actions taken and when):
with a `FrozenClock` the same inputs give the same snapshots. Time comes only from the clock;
the world is stepped a second at a time up to the clock's `now()` when something is asked, so a
poll costs the seconds since the previous one.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tui.core.clock import Clock
from tui.core.model import ClusterSnapshot, HealthSnapshot, LogBatch, LogLine, SloSnapshot
from tui.demo.cadence import CADENCE_S
from tui.demo.scenarios import Scenario, get_scenario
from tui.demo.snapshots import cluster_snapshot, health_snapshot, slo_snapshot, wall
from tui.demo.topology import NAMESPACES
from tui.demo.world import MAX_REPLICAS, MITIGATIONS, World
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
        self.acts: list[Act] = []  # every change asked of this world, in time order
        self.epoch = 0  # how many times the world was replaced by another (`rebase`)
        # The world catches up with the clock at its first read (`sync`), not here: its first
        # two minutes take about 45 ms, and in the app the first read comes after the first paint.

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
    def act(self, *call: str | int) -> str:
        """Ask the world for an action (`CALLS`) at the clock's now; it takes effect from the next
        second. Each change is kept as an `Act` (and handed to `collecting()`), so the record can
        carry it to the other screens' simulations."""
        self.sync()
        at = max(self.elapsed_s(), float(self.world.k))
        done = Act(at, call)
        line = _request(self.world, done)  # raises SourceError for what the world refuses
        self.acts.append(done)
        collected = _COLLECTED.get()
        if collected is not None:
            collected.append(done)
        return line

    # ---- another screen's world ---------------------------------------------------------------
    def rebase(self, scenario: str, seed: int, started_at: datetime, acts: Sequence[Act] = ()) -> None:
        """Become the world of (scenario, seed, start) with `acts` done in it (at their times): the
        world of a drill read from the record. Rebuilt from its start, as it is deterministic."""
        self.scenario = get_scenario(scenario)
        self.seed = seed
        self.started_at = started_at
        self.epoch += 1
        self._rebuild(acts)

    def apply(self, acts: Sequence[Act]) -> None:
        """Acts another screen did, read from the record, in its order. Each must be done at its
        own second; one this world has already stepped past (it arrived late) rebuilds the
        world from the start with every act in time order, so both screens agree exactly."""
        late = any(math.floor(a.at) < self.world.k for a in acts)
        ordered = all(a.at <= b.at for a, b in itertools.pairwise(acts))
        if late or not ordered or (self.acts and acts and acts[0].at < self.acts[-1].at):
            self._rebuild([*self.acts, *acts])
            return
        for act in acts:
            self._replay(self.world, act)
            self.acts.append(act)

    def _rebuild(self, acts: Sequence[Act]) -> None:
        ordered = sorted(acts, key=lambda a: a.at)  # stable: same-time acts keep the record's order
        self.world = World(self.scenario, self.seed, self.started_at)
        self.acts = []
        for act in ordered:
            self._replay(self.world, act)
            self.acts.append(act)
        self.sync()

    @staticmethod
    def _replay(world: World, act: Act) -> None:
        world.advance_to(math.floor(act.at))
        with contextlib.suppress(SourceError):  # it succeeded there; here the same world agrees
            _request(world, act)


@dataclass(frozen=True, slots=True)
class Act:
    """One change asked of the world: at `at` (simulated seconds since the start) the call
    ("restart", namespace, deployment) … of `CALLS`."""

    at: float
    call: tuple[str | int, ...]

    def as_data(self) -> dict[str, Any]:
        return {"at": self.at, "call": list(self.call)}

    @classmethod
    def from_data(cls, data: Any) -> Act | None:
        try:
            call = tuple(data["call"])
            if not call or call[0] not in CALLS or not all(isinstance(c, str | int) for c in call):
                return None
            return cls(float(data["at"]), call)
        except (KeyError, TypeError, ValueError):
            return None


# The world's requests by name: what an `Act` calls.
CALLS: dict[str, Callable[..., str]] = {
    "restart": World.request_restart,
    "undo": World.request_undo,
    "scale": World.request_scale,
    "delete": World.request_delete,
    "mitigate": World.request_mitigation,
}

ACTS_KEY = "demo_acts"  # an action outcome's data["details"][ACTS_KEY]: the acts of its run
ACTS_BY_KEY = "demo_acts_by"  # …[ACTS_BY_KEY]: the token of the screen that did them (its world has them)
_COLLECTED: ContextVar[list[Act] | None] = ContextVar("demo_acts", default=None)


def _request(world: World, act: Act) -> str:
    name, *args = act.call
    return CALLS[str(name)](world, act.at, *args)


@contextlib.contextmanager
def collecting() -> Iterator[list[Act]]:
    """The acts done by the code inside (this task only): what one action's run changed."""
    acts: list[Act] = []
    token = _COLLECTED.set(acts)
    try:
        yield acts
    finally:
        _COLLECTED.reset(token)


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
    interval_s = CADENCE_S["logs"]  # (why 3 s: tui.demo.cadence)

    def __init__(self, platform: DemoPlatform) -> None:
        self.platform = platform
        self._seq: int | None = None
        self._epoch = platform.epoch

    async def poll(self) -> LogBatch:
        if self._epoch != self.platform.epoch:  # another world now: its backlog, from the top
            self._epoch, self._seq = self.platform.epoch, None
        batch, self._seq = self.platform.logs_after(self._seq)
        return batch

    async def close(self) -> None:
        return None


def demo_sources(platform: DemoPlatform) -> dict[str, PollSource[Any]]:
    """The four panel sources over one platform (each call: new sources, a new log cursor)."""
    return {
        "health": _Source("health", CADENCE_S["health"], platform.health),
        "pods": _Source("kubernetes", CADENCE_S["pods"], platform.cluster),
        "slos": _Source("prometheus", CADENCE_S["slos"], platform.slos),
        "logs": DemoLogSource(platform),
    }


def _deployments_only(kind: str) -> None:
    if kind != "deployment":
        raise SourceError(f"the demo has no {kind}s")


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

    async def rollout_restart(
        self, namespace: str, deployment: str, *, dry_run: bool = False, kind: str = "deployment"
    ) -> str:
        _deployments_only(kind)
        if dry_run:
            latest = max(tpl.revision for tpl in self._world().deployment(namespace, deployment).history)
            then = f"(revision {latest} → {latest + 1})"
            return f"{DEMO_DRY_RUN}deployment {namespace}/{deployment} would be restarted {then}"
        return self.platform.act("restart", namespace, deployment)

    async def rollout_undo(
        self, namespace: str, deployment: str, *, dry_run: bool = False, kind: str = "deployment"
    ) -> str:
        _deployments_only(kind)
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
        return self.platform.act("undo", namespace, deployment)

    async def scale(
        self,
        namespace: str,
        deployment: str,
        replicas: int,
        *,
        dry_run: bool = False,
        kind: str = "deployment",
    ) -> str:
        _deployments_only(kind)
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
        return self.platform.act("scale", namespace, deployment, replicas)

    async def delete_pod(self, namespace: str, pod: str, *, dry_run: bool = False) -> str:
        if dry_run:
            world = self._world()
            if namespace not in NAMESPACES:
                raise SourceError(f'namespace "{namespace}" not found')
            owners = world.controllers.values()
            if not any(c.spec.namespace == namespace and c.find(pod) for c in owners):
                raise SourceError(f'pod "{namespace}/{pod}" not found')
            return f"{DEMO_DRY_RUN}pod {namespace}/{pod} would be deleted"
        return self.platform.act("delete", namespace, pod)

    async def mitigate(self, name: str, target: str = "") -> str:
        return self.platform.act("mitigate", name, target)
