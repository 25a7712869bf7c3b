"""The processes of the locked-down observer tests (`python -m tests.incident.observer_child ...`).

writer DB TEXT    opens DB for writing, notes TEXT on the latest incident, prints "ready";
                  each line on stdin notes that line; closes at end of input
watch DB TEXT     opens DB read-only, prints how it opened ("immutable" or "shared"), then polls
                  data_version as the timeline does until a note TEXT shows (exit 0) or 20 s
                  pass (exit 1)
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tui.incident.store import IncidentStore, StoreError


async def writer(db: Path, text: str) -> None:
    store = await IncidentStore.open(db)
    incident = await store.latest_incident()
    assert incident is not None
    await store.append(incident, "note", text, actor="writer@test", actor_kind="human", source="cli")
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        await store.append(incident, "note", line, actor="writer@test", actor_kind="human", source="cli")
        print("ok", flush=True)
    await store.close()


async def watch(db: Path, text: str) -> int:
    try:
        store = await IncidentStore.open(db, read_only=True)
    except StoreError as err:
        print(f"error: {err}", flush=True)
        return 2
    print("immutable" if store._immutable_since is not None else "shared", flush=True)
    incident = await store.latest_incident()
    assert incident is not None
    version = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = await store.data_version()
        if now != version:
            version = now
            if any(e.text == text for e in await store.events(incident)):
                print("seen", flush=True)
                await store.close()
                return 0
        await asyncio.sleep(0.05)
    await store.close()
    return 1


def main() -> int:
    what, db, text = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    if what == "writer":
        asyncio.run(writer(db, text))
        return 0
    return asyncio.run(watch(db, text))


if __name__ == "__main__":
    sys.exit(main())
