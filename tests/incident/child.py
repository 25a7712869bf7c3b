"""The other processes of the durability tests (run as `python -m tests.incident.child ...`).

  append DB           appends notes forever, printing each id once `append` has returned
  write DB ID N TAG   N notes "TAG-k" through `Incidents.note`, then exits 0
  read DB ID N        polls PRAGMA data_version until it has seen N notes; prints a JSON summary
  open DB             opens (creating and migrating) the database, prints its user_version
Each waits for the file DB.go to exist before touching the database, so several start at once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore, StoreError


def _wait_for_go(db: Path) -> None:
    go = db.with_name(db.name + ".go")
    while not go.exists():
        time.sleep(0.001)


async def append(db: Path) -> None:
    store = await IncidentStore.open(db)
    incident = await store.latest_incident()
    if incident is None:
        declared = await store.declare(
            "crash test", "SEV3", drill=True, actor="t", actor_kind="system", source="auto"
        )
        incident = declared.id
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        event = await store.append(
            incident, "note", f"note {n}", actor="t", actor_kind="automation", source="cli"
        )
        print(event.id, flush=True)


async def write(db: Path, incident: int, count: int, tag: str) -> None:
    store = await IncidentStore.open(db)
    try:
        incidents = Incidents(store, who=Who(f"{tag}@test", "automation", "cli"))
        for k in range(count):
            await incidents.note(incident, f"{tag}-{k}")
    finally:
        await store.close()


async def read(db: Path, incident: int, count: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            store = await IncidentStore.open(db, read_only=True)
            break
        except StoreError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)
    print("ready", flush=True)
    seen: list[int] = []
    notes = polls = changes = 0
    version = None
    ordered = True
    try:
        while notes < count and time.monotonic() < deadline:
            polls += 1
            now = await store.data_version()
            if now != version:
                version = now
                changes += 1
                for event in await store.events(incident, after_id=seen[-1] if seen else 0):
                    ordered = ordered and (not seen or event.id > seen[-1])
                    seen.append(event.id)
                    notes += event.kind == "note"
            await asyncio.sleep(0.005)
    finally:
        await store.close()
    print(json.dumps({"notes": notes, "ordered": ordered, "polls": polls, "changes": changes}), flush=True)


async def open_only(db: Path) -> None:
    store = await IncidentStore.open(db)
    try:
        print((await store.settings())["user_version"], flush=True)
    finally:
        await store.close()


def main(argv: list[str]) -> None:
    command, db = argv[0], Path(argv[1])
    _wait_for_go(db)
    if command == "append":
        asyncio.run(append(db))
    elif command == "write":
        asyncio.run(write(db, int(argv[2]), int(argv[3]), argv[4]))
    elif command == "read":
        asyncio.run(read(db, int(argv[2]), int(argv[3])))
    elif command == "open":
        asyncio.run(open_only(db))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
