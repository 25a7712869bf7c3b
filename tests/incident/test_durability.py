"""The record survives what happens to processes on a bastion: a writer killed with SIGKILL at
any moment, two writers and several observers at once, several first openers racing to create
it. Real child processes (tests/incident/child.py) on a real file."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tui.incident.store import APPLICATION_ID, SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]


def _child(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.incident.child", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def _go(db: Path) -> None:
    db.with_name(db.name + ".go").touch()


def test_every_append_that_returned_survives_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    _go(db)
    rng = random.Random(20261123)
    printed: list[int] = []
    for round_ in range(50):
        child = _child("append", db)
        assert child.stdout is not None
        if round_ % 5 == 0:
            # From spawn: the kill may land in start-up, the WAL switch or the first migration.
            time.sleep(rng.uniform(0.0, 0.25))
        else:
            # After the store is open: the kill lands among appends, mid-transaction or between.
            assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
            time.sleep(rng.uniform(0.0, 0.03))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
        assert child.returncode == -signal.SIGKILL
        complete = out.split("\n")[:-1]  # a line cut by the kill has no newline: not counted
        printed += [int(line) for line in complete if line.isdigit()]
    assert len(printed) > 50, "the kills came too early to test anything"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        stored = {row[0]: row[1] for row in conn.execute("SELECT id, kind FROM events")}
    missing = [event_id for event_id in printed if event_id not in stored]
    assert not missing, f"appends that returned but are gone: {missing}"
    assert len(set(printed)) == len(printed), "an id was handed out twice"


def test_two_writers_and_three_observers_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    declare = subprocess.run(
        [sys.executable, "-m", "tui", "declare", "shared incident", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert declare.returncode == 0, declare.stderr
    incident = int(declare.stdout)
    _go(db)
    readers = [_child("read", db, incident, 1000) for _ in range(3)]
    for reader in readers:
        assert reader.stdout is not None and reader.stdout.readline() == "ready\n"
    writers = [_child("write", db, incident, 500, tag) for tag in ("w1", "w2")]
    outcomes = [(w.communicate(timeout=60), w.returncode) for w in writers]
    for (_, err), code in outcomes:
        assert code == 0 and err == "", err
    summaries = []
    for reader in readers:
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    for summary in summaries:
        assert summary["notes"] == 1000 and summary["ordered"], summary
        assert summary["changes"] > 1, "the observer never saw the record move"
    with sqlite3.connect(db) as conn:
        texts = [row[0] for row in conn.execute("SELECT text FROM events WHERE kind = 'note' ORDER BY id")]
    assert sorted(texts) == sorted(f"{tag}-{k}" for tag in ("w1", "w2") for k in range(500))
    # each writer's own notes are in its own order
    for tag in ("w1", "w2"):
        mine = [t for t in texts if t.startswith(f"{tag}-")]
        assert mine == [f"{tag}-{k}" for k in range(500)]


def test_first_openers_racing_create_one_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    openers = [_child("open", db) for _ in range(4)]
    _go(db)
    for opener in openers:
        out, err = opener.communicate(timeout=60)
        assert opener.returncode == 0 and err == "", err
        assert out.strip() == str(SCHEMA_VERSION)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"incidents", "events"}
    assert not os.path.exists(str(db) + "-journal")


def test_three_screens_on_one_record_write_each_detection_once(tmp_path: Path) -> None:
    """Three read-write warroom processes (a commander, a second commander, one started two
    minutes late) watch the same outage: the record has each change once, in order, and the
    crash loop once as flapping, not a line per crash."""
    import asyncio

    from tui.incident.service import Incidents, Who
    from tui.incident.store import IncidentStore

    db = tmp_path / "room.db"

    async def declare() -> int:
        async with await IncidentStore.open(db) as store:
            event = await Incidents(store).declare("API down", "SEV1", who=Who("ic@bastion"))
            return event.incident_id

    incident = asyncio.run(declare())
    screens = {"ic": 0, "second-ic": 0, "late": 24}
    children = [_child("watch", db, first, name) for name, first in screens.items()]
    _go(db)
    from tests.incident.child import WATCHED_STEPS

    step_file = db.with_name(db.name + ".step")
    for step in range(WATCHED_STEPS):
        step_file.write_text(str(step))
        deadline = time.monotonic() + 60
        for name in screens:
            ack = db.with_name(f"{db.name}.ack.{name}")
            while not (ack.exists() and ack.read_text() == str(step)):
                assert time.monotonic() < deadline, f"screen {name} is stuck at step {step}"
                time.sleep(0.002)
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0 and out == "done\n", err

    async def detected() -> list[tuple[str, str, str]]:
        async with await IncidentStore.open(db, read_only=True) as store:
            events = await store.events(incident)
        return [(e.data["subject"], e.data["level"], e.text) for e in events if e.kind == "detected"]

    found = asyncio.run(detected())
    api = [(level, text) for subject, level, text in found if subject == "api"]
    assert [level for level, _ in api] == ["problem", "warning", "ok", "problem", "ok"], found
    assert "was DOWN" in api[1][1]
    redis = [level for subject, level, _ in found if subject == "lomash-wood/redis"]
    assert redis == ["flapping", "ok"], found
