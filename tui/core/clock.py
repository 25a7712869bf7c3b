"""Time, injectable: the app, the sources and the demo read `now()` from one clock, so tests and
snapshots can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests, snapshots)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, seconds: float) -> None:
        self._at += timedelta(seconds=seconds)


def utc_iso(at: datetime) -> str:
    """2026-11-23T04:05:06Z: the one UTC format of the record and the exports."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
