"""The other processes of the durability tests (run as `python -m tests.incident.child ...`).

  append DB           appends notes forever, printing each id once `append` has returned
  write DB ID N TAG   N notes "TAG-k" through `Incidents.note`, then exits 0
  read DB ID N        polls PRAGMA data_version until it has seen N notes; prints a JSON summary
  open DB             opens (creating and migrating) the database, prints its user_version
  watch DB FIRST NAME a war-room screen's detection: the outage of `watched` from its step
                      FIRST on (a process started later), through a Detector and a
                      TimelineSource as the app runs them, in lockstep; prints "done"
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


def watched(step: int) -> tuple[object, object]:
    """What every screen polls at step `step` (10 s apart): api DOWN from step 4, DEGRADED from
    step 10, UP from 12, DOWN again from 40 to 46 (changes far enough apart not to be flapping);
    redis-0 alternating CrashLoopBackOff / Running every 10 s from step 4 to 30, then running."""
    from tests.ui.fakes import cluster, health, pod, service

    if 4 <= step < 10 or 40 <= step < 46:
        api = service("api", "DOWN", "connection refused", None)
    elif 10 <= step < 12:
        api = service("api", "DEGRADED", "p99 1.8 s")
    else:
        api = service("api")
    crashing = 4 <= step < 30 and step % 2 == 0
    redis = pod("redis-0", "CrashLoopBackOff" if crashing else "Running", workload="redis")
    return health(api), cluster(redis)


WATCHED_STEPS = 60


async def watch(db: Path, first: int, name: str) -> None:
    """Steps in lockstep with the other screens: the test writes the step number to DB.step and
    waits for every screen's DB.ack.NAME, so each one has seen the same world at each step,
    however loaded the machine (as real screens see it within one poll)."""
    from datetime import timedelta

    from tests.timebase import T0
    from tui.core.clock import FrozenClock
    from tui.domain.detection import Detector
    from tui.incident.feed import TimelineSource

    step_file, ack = db.with_name(db.name + ".step"), db.with_name(f"{db.name}.ack.{name}")
    clock = FrozenClock(T0)
    feed = TimelineSource(db, clock=clock)
    detector = Detector()
    done = -1
    try:
        await feed.poll()
        while done < WATCHED_STEPS - 1:
            try:
                step = int(step_file.read_text() or -1)
            except (FileNotFoundError, ValueError):
                step = -1
            if step <= done:
                await asyncio.sleep(0.002)
                continue
            done = step
            if step >= first:  # a screen started late saw nothing before
                clock.advance((T0 + timedelta(seconds=10 * step) - clock.now()).total_seconds())
                health_snap, cluster_snap = watched(step)
                feed.detect(detector.health(health_snap, clock.now()))  # type: ignore[arg-type]
                feed.detect(detector.pods(cluster_snap, clock.now()))  # type: ignore[arg-type]
                await feed.poll()
            ack.write_text(str(step))
    finally:
        await feed.close()
    print("done", flush=True)


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
    elif command == "watch":
        asyncio.run(watch(db, int(argv[2]), argv[3]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
