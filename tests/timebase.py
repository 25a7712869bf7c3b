"""The instant every test's frozen clock starts at (03:00 UTC, a night's outage), one for all:
golden files, snapshots and the demo's seeded story are written against it."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.core.clock import FrozenClock

T0 = datetime(2026, 11, 23, 3, 0, 0, tzinfo=UTC)


def frozen(at: datetime = T0) -> FrozenClock:
    return FrozenClock(at)


__all__ = ["T0", "frozen"]
