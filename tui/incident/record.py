"""This screen's incident record, opened once and shared.

The wiring makes one `Record` and hands the same object to the timeline's feed, the dispatcher
and the controllers (`AppSetup.record`); nothing reaches through the app or a panel to find
the database. It opens on first use, on the app's event loop (aiosqlite), by whichever needs it
first: the dispatcher no longer depends on the timeline having polled once. A record that
cannot be opened yet raises `StoreError` to whoever asked, and is tried again next time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from tui.config.schema import DEFAULT_SEVERITIES, SeverityConfig
from tui.core.clock import Clock, SystemClock
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore, StoreError


class Record:
    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        clock: Clock | None = None,
        severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
        who: Who | None = None,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self.clock = clock or SystemClock()
        self.severities = tuple(severities)
        self.who = who  # who this screen's keys write as (default: the user at this terminal)
        self.store: IncidentStore | None = None
        self.incidents: Incidents | None = None
        self._lock = asyncio.Lock()
        self._closed = False  # for good: a late caller must not open a connection nobody closes

    async def open(self) -> Incidents:
        """The record's service, opening the file the first time (a writer creates it)."""
        async with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the record is closed (warroom is stopping)")
            if self.incidents is None:
                if not self.read_only:
                    self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                store = await IncidentStore.open(self.path, read_only=self.read_only, clock=self.clock)
                self.store = store
                self.incidents = Incidents(store, self.severities, self.clock, who=self.who)
            return self.incidents

    async def close(self) -> None:
        self._closed = True
        async with self._lock:  # after an open in progress
            store, self.store, self.incidents = self.store, None, None
        if store is not None:
            await store.close()
