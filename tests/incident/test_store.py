"""The SQLite record itself: its durability settings, append-only triggers, what it refuses to
open, read-only connections and schema migrations. Real files in tmp_path."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from tests.incident.helpers import T0, frozen
from tui.incident import store as store_module
from tui.incident.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    IncidentStore,
    StoreConflict,
    StoreError,
)

WHO = {"actor": "alice@bastion-1", "actor_kind": "human", "source": "key"}


async def _declared(path: Path) -> tuple[IncidentStore, int]:
    store = await IncidentStore.open(path, clock=frozen())
    incident = await store.declare("API down", "SEV2", drill=False, **WHO)
    return store, incident.id


def _one_line(err: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    text = str(err.value)
    assert "\n" not in text and str(path) in text, text
    return text


async def test_a_writer_runs_wal_with_full_sync_and_marks_the_file(tmp_path: Path) -> None:
    store, _ = await _declared(tmp_path / "i.db")
    try:
        settings = await store.settings()
    finally:
        await store.close()
    assert settings["journal_mode"] == "wal"
    assert settings["synchronous"] == 2  # FULL: each commit is synced, so it survives power loss
    assert settings["busy_timeout"] == store_module.BUSY_TIMEOUT_MS
    assert settings["query_only"] == 0
    assert settings["application_id"] == APPLICATION_ID
    assert settings["user_version"] == SCHEMA_VERSION
    with sqlite3.connect(tmp_path / "i.db") as conn:  # WAL is stored in the file itself
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_updates_and_deletes_are_refused_by_triggers(tmp_path: Path) -> None:
    store, incident = await _declared(tmp_path / "i.db")
    note = await store.append(incident, "note", "rolled back", **WHO)
    await store.close()
    conn = sqlite3.connect(tmp_path / "i.db")
    try:
        for statement in (
            "UPDATE events SET text = 'nothing happened'",
            "DELETE FROM events",
            "UPDATE incidents SET title = 'renamed'",
            "DELETE FROM incidents",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
            conn.rollback()
        assert conn.execute("SELECT text FROM events WHERE id = ?", (note.id,)).fetchone() == ("rolled back",)
        assert conn.execute("SELECT title FROM incidents").fetchall() == [("API down",)]
    finally:
        conn.close()


async def test_a_foreign_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
        conn.execute("INSERT INTO users VALUES ('ann')")
    for read_only in (False, True):
        with pytest.raises(StoreError) as err:
            await IncidentStore.open(path, read_only=read_only)
        assert "not a warroom incident database" in _one_line(err, path)
        assert "users" in str(err.value)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",), "refused, yet changed"
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)


async def test_our_id_with_tables_we_did_not_create_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    store, _ = await _declared(path)
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE extra (x)")
    with pytest.raises(StoreError) as err:
        await IncidentStore.open(path)
    assert "did not create: extra" in _one_line(err, path)


async def test_a_file_that_is_not_sqlite_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"incident notes, not a database\n" * 200)
    with pytest.raises(StoreError) as err:
        await IncidentStore.open(path)
    assert "not an SQLite database" in _one_line(err, path)


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    store, _ = await _declared(path)
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for read_only in (False, True):
        with pytest.raises(StoreError) as err:
            await IncidentStore.open(path, read_only=read_only)
        assert "newer warroom" in _one_line(err, path)


async def test_read_only_cannot_write_even_through_its_own_connection(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    writer, incident = await _declared(path)
    reader = await IncidentStore.open(path, read_only=True)
    try:
        assert (await reader.settings())["query_only"] == 1
        with pytest.raises(StoreError, match="read-only"):
            await reader.append(incident, "note", "from an observer", **WHO)
        with pytest.raises(StoreError, match="read-only"):
            await reader.declare("x", "SEV1", drill=False, **WHO)
        # Below the store's own check: the connection is mode=ro (and query_only), SQLite refuses.
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
            await reader._conn.execute(
                "INSERT INTO events (incident_id, recorded_at, occurred_at, actor, actor_kind, source, kind)"
                " VALUES (?, 'a', 'a', 'a', 'human', 'key', 'note')",
                (incident,),
            )
        # ... and it still sees what the writer commits
        before = await reader.data_version()
        await writer.append(incident, "note", "seen by the observer", **WHO)
        assert await reader.data_version() != before
        assert (await reader.last_events(incident, 1))[0].text == "seen by the observer"
    finally:
        await reader.close()
        await writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone() == (2,)


async def test_read_only_never_creates_or_initialises(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="a writer creates it"):
        await IncidentStore.open(tmp_path / "none.db", read_only=True)
    assert not (tmp_path / "none.db").exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="empty database"):
        await IncidentStore.open(empty, read_only=True)
    assert empty.stat().st_size == 0


async def test_version_0_files_are_migrated(tmp_path: Path) -> None:
    """A brand-new path, an empty file and an initialised-but-empty SQLite file (user_version 0)
    all become the current schema."""
    empty = tmp_path / "empty.db"
    empty.touch()
    blank = tmp_path / "blank.db"
    with sqlite3.connect(blank) as conn:
        conn.execute("PRAGMA page_size = 8192")
        conn.execute("VACUUM")  # a valid header, no tables, user_version 0
    for path in (tmp_path / "new.db", empty, blank):
        store = await IncidentStore.open(path)
        try:
            assert (await store.settings())["user_version"] == SCHEMA_VERSION
            incident = await store.declare("first", "SEV3", drill=False, **WHO)
            assert [e.kind for e in await store.events(incident.id)] == ["declared"]
        finally:
            await store.close()


async def test_a_later_migration_upgrades_an_older_record_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "i.db"
    store, incident = await _declared(path)
    await store.append(incident, "note", "written by version 1", **WHO)
    await store.close()
    # The next warroom adds a migration; the record at version 1 moves to 2 and keeps everything.
    step = ("CREATE INDEX events_starred ON events (incident_id, id) WHERE starred = 1",)
    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, step))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="needs upgrading"):
        await IncidentStore.open(path, read_only=True)  # an observer cannot migrate
    upgraded = await IncidentStore.open(path)
    try:
        assert (await upgraded.settings())["user_version"] == SCHEMA_VERSION + 1
        assert [e.text for e in await upgraded.events(incident)] == ["API down", "written by version 1"]
    finally:
        await upgraded.close()
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "events_starred" in indexes


async def test_append_checks_what_it_is_given(tmp_path: Path) -> None:
    store, incident = await _declared(tmp_path / "i.db")
    other = (await store.declare("other", "SEV4", drill=False, **WHO)).id
    try:
        foreign = await store.append(other, "note", "elsewhere", **WHO)
        with pytest.raises(ValueError, match="kind"):
            await store.append(incident, "deleted", "x", **WHO)
        with pytest.raises(ValueError, match="actor kind"):
            await store.append(incident, "note", "x", actor="a", actor_kind="robot", source="key")  # type: ignore[arg-type]
        with pytest.raises(StoreError, match="no incident #99"):
            await store.append(99, "note", "x", **WHO)
        with pytest.raises(StoreError, match=f"has no event #{foreign.id}"):
            await store.append(incident, "corrected", "x", supersedes=foreign.id, **WHO)
        with pytest.raises(ValueError, match="timezone"):
            await store.append(incident, "note", "x", occurred_at=datetime(2026, 1, 1), **WHO)
        last = await store.last_event_id(incident)
        await store.append(incident, "note", "meanwhile", **WHO)
        with pytest.raises(StoreConflict):
            await store.append(incident, "note", "stale", expect_last_id=last, **WHO)
        assert [e.text for e in await store.events(incident)] == ["API down", "meanwhile"]
    finally:
        await store.close()


async def test_times_are_utc_and_asserted_times_are_kept_apart(tmp_path: Path) -> None:
    store, incident = await _declared(tmp_path / "i.db")
    try:
        event = await store.append(incident, "note", "earlier", occurred_at=T0.replace(hour=2), **WHO)
        (read,) = await store.events(incident, after_id=event.id - 1)
        assert read == event
        assert read.recorded_at == T0 and read.occurred_at == T0.replace(hour=2)
        assert read.recorded_at.utcoffset() is not None and read.recorded_at.utcoffset().total_seconds() == 0
    finally:
        await store.close()


async def test_a_writer_needs_a_directory_it_can_write(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for path, expected in (
        (tmp_path / "missing" / "i.db", "does not exist"),
        (tmp_path / "file" / "i.db", "is not a directory"),
    ):
        with pytest.raises(StoreError) as err:
            await IncidentStore.open(path)
        assert expected in _one_line(err, path)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_record_deleted_or_replaced_under_a_writer_refuses_every_later_write(tmp_path, how):
    """A connection keeps writing to a deleted file's inode: the events would show on screen and
    be gone at exit. Every write and every poll checks the file is still the one opened."""
    path = tmp_path / "i.db"
    store = await IncidentStore.open(path)
    try:
        incident = await store.declare(
            "API down", "SEV1", drill=False, actor="ic@b", actor_kind="human", source="key"
        )
        path.unlink()
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"i.db{suffix}").unlink(missing_ok=True)
        if how == "replaced":
            path.write_bytes(b"")
        with pytest.raises(StoreError, match=f"record is gone: the file was {how}"):
            await store.append(incident.id, "note", "lost?", actor="ic@b", actor_kind="human", source="key")
        with pytest.raises(StoreError, match="record is gone"):
            await store.data_version()
        with pytest.raises(StoreError, match="record is gone"):
            await store.declare("again", "SEV1", drill=False, actor="ic@b", actor_kind="human", source="key")
    finally:
        await store.close()


async def test_a_write_cancelled_while_it_begins_leaves_no_transaction_open(tmp_path):
    """The app stopping cancels the timeline's worker mid-write; aiosqlite may still run the BEGIN
    in its thread. The store must stay usable (the demo resolves its drill as it closes) and must
    not hold the write lock every other process waits on."""
    async with await IncidentStore.open(tmp_path / "i.db") as store:
        incident = await store.declare("x", "SEV2", drill=True, **WHO)
        for spins in range(12):  # cancel at every point of the write's first steps
            task = asyncio.create_task(store.append(incident.id, "note", "cancelled", **WHO))
            for _ in range(spins):
                await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StoreError):
                await task
            await store.append(incident.id, "note", f"after {spins}", **WHO)
        async with await IncidentStore.open(tmp_path / "i.db") as other:
            await other.append(incident.id, "note", "another process writes too", **WHO)


async def test_a_request_without_outcome_blocks_its_guard_until_it_cannot_still_be_running(tmp_path):
    from tui.core.clock import FrozenClock
    from tui.incident.service import ActionRunning, Incidents

    clock = FrozenClock(T0)
    async with await IncidentStore.open(tmp_path / "i.db", clock=clock) as store:
        incidents = Incidents(store, clock=clock)
        incident = (await incidents.declare("API down", "SEV1")).incident_id
        web = {"guard": "k8s.restart/web", "running_for_s": 60.0}
        first = await incidents.action_requested(incident, "restart", **web)  # type: ignore[arg-type]
        clock.advance(59)
        with pytest.raises(ActionRunning) as running:
            await incidents.action_requested(incident, "restart", **web)  # type: ignore[arg-type]
        assert running.value.request is not None and running.value.request.id == first.id
        await incidents.action_requested(incident, "restart api", guard="k8s.restart/api", running_for_s=60)
        clock.advance(2)  # 61 s: its screen died without an outcome; it cannot still be running
        later = await incidents.action_requested(incident, "restart", **web)  # type: ignore[arg-type]
        await incidents.action_finished(later, ok=True, text="done")
        again = await incidents.action_requested(incident, "restart", **web)  # type: ignore[arg-type]
        assert again.id > later.id


_LEFT_OPEN = """
import asyncio, sys
from tui.incident.store import IncidentStore, stop_left_open

async def main():
    await IncidentStore.open(sys.argv[1])  # never closed, as a bug might leave it

asyncio.run(main())
print(stop_left_open())
"""


def test_a_record_left_open_never_keeps_the_process_from_exiting(tmp_path: Path) -> None:
    """aiosqlite 0.22 serves a connection from a non-daemon thread: without `stop_left_open`
    (which `tui.cli.main` calls last) this process never exits."""
    import subprocess
    import sys

    args = [sys.executable, "-c", _LEFT_OPEN, str(tmp_path / "r.db")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]
