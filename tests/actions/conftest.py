"""Shared pieces of the action tests: a real incident record on a temporary SQLite file with one
open incident, dispatchers over it, and a real HTTP server (tests/servers/http.py)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from actions import Dispatcher, Registry, StoreIncidents
from tests.servers.http import HttpServer
from tui.config.schema import ActionConfig
from tui.incident.events import Event
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore

PY = sys.executable
WHO = Who("alice@bastion-1 (ssh 10.0.0.5)")


@dataclass
class Record:
    """The incident record of one test: the writer's store, its service and the open incident."""

    path: Path
    store: IncidentStore
    incidents: Incidents
    incident_id: int

    async def events(self) -> list[Event]:
        """Read back through a separate read-only connection, as an observer would."""
        observer = await IncidentStore.open(self.path, read_only=True)
        try:
            return await observer.events(self.incident_id)
        finally:
            await observer.close()

    async def kinds(self) -> list[str]:
        return [e.kind for e in await self.events()]

    def dispatcher(self, registry: Registry, **kw: Any) -> Dispatcher:
        kw.setdefault("read_only", False)
        return Dispatcher(registry, StoreIncidents(self.incidents), **kw)


@pytest.fixture
async def record(tmp_path: Path) -> AsyncIterator[Record]:
    path = tmp_path / "incidents.db"
    store = await IncidentStore.open(path)
    incidents = Incidents(store, who=WHO)
    declared = await incidents.declare("Checkout 5xx after deploy", "SEV2")
    yield Record(path, store, incidents, declared.incident_id)
    await store.close()


def command(name: str, argv: list[str] | str, **kw: Any) -> ActionConfig:
    """An `[[actions]]` command entry (a string is one shell line, shell = true)."""
    if isinstance(argv, str):
        return ActionConfig(name=name, command=(argv,), shell=True, **kw)
    return ActionConfig(name=name, command=tuple(argv), **kw)


def touch_argv(marker: Path) -> list[str]:
    """A command whose only effect is to create `marker`: the proof that it ran."""
    return [PY, "-c", "import pathlib, sys; pathlib.Path(sys.argv[1]).touch()", str(marker)]


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as srv:
        yield srv
