"""A demo platform on a frozen clock, read through its own sources, as the app reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.timebase import T0
from tui.core.clock import FrozenClock
from tui.core.model import (
    ClusterSnapshot,
    DeploymentInfo,
    HealthSnapshot,
    LogBatch,
    LogLine,
    PodInfo,
    ServiceHealth,
    SloSnapshot,
    SloStatus,
)
from tui.demo.platform import DemoControl, DemoPlatform, demo_sources

NS = "lomash-wood"
CRASHING = {"CrashLoopBackOff", "Error", "OOMKilled"}


@dataclass
class Demo:
    platform: DemoPlatform
    clock: FrozenClock
    control: DemoControl
    sources: dict[str, Any] = field(default_factory=dict)

    @property
    def t(self) -> float:
        return self.platform.elapsed_s()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    async def health(self) -> HealthSnapshot:
        return await self.sources["health"].poll()

    async def cluster(self) -> ClusterSnapshot:
        return await self.sources["pods"].poll()

    async def slos(self) -> SloSnapshot:
        return await self.sources["slos"].poll()

    async def logs(self) -> LogBatch:
        return await self.sources["logs"].poll()

    async def service(self, name: str) -> ServiceHealth:
        return next(s for s in (await self.health()).services if s.name == name)

    async def slo(self, name: str) -> SloStatus:
        return next(s for s in (await self.slos()).slos if s.name == name)

    async def pods(self, workload: str) -> list[PodInfo]:
        return [p for p in (await self.cluster()).pods if p.workload == workload]

    async def deployment(self, name: str, namespace: str = NS) -> DeploymentInfo:
        snap = await self.cluster()
        return next(d for d in snap.deployments if (d.namespace, d.name) == (namespace, name))

    async def log_lines_over(self, seconds: int) -> list[LogLine]:
        """The lines written over the next `seconds`, read once a second as the log panel does."""
        lines: list[LogLine] = []
        for _ in range(seconds):
            self.advance(1)
            lines += (await self.logs()).lines
        return lines


def start(scenario: str | None, seed: int = 1, started_ago_s: float = 120.0) -> Demo:
    clock = FrozenClock(T0)
    platform = DemoPlatform(scenario, seed, clock, started_ago_s=started_ago_s)
    return Demo(platform, clock, DemoControl(platform), demo_sources(platform))


async def until(demo: Demo, seconds: int, check: Any, step: int = 5) -> float | None:
    """Advance up to `seconds` in steps; the simulated seconds until `check()` (async) first
    held, or None. The simulation's time, not the wall clock's: nothing here is timed."""
    waited = 0
    while waited <= seconds:
        if await check():
            return waited
        demo.advance(step)
        waited += step
    return None
