"""The incident record on disk: an append-only SQLite database shared by every warroom process
on one host (the IC's screen, observers, `warroom note` from a deploy pipeline).

Durability rules (shared/notes/incident-practice.md §3): WAL with `synchronous=FULL`, so a
commit survives power loss; every event is its own `BEGIN IMMEDIATE` transaction, so a writer
takes the write lock up front and never fails half-way on an upgrade; `append` returns only
after the commit, and raises `StoreError` otherwise: the caller refuses to run an action whose
`action_requested` was not written. Nothing is ever updated or deleted; triggers refuse it, as a
guard against bugs (not a security boundary).

The statements stay portable (no INSERT OR REPLACE, no SQLite-only functions; RETURNING and
LIMIT exist in PostgreSQL too) so that a PostgreSQL backend can implement the same interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sqlite3
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite

from tui.core.clock import Clock, SystemClock
from tui.incident import locked_down
from tui.incident.events import KINDS, ActorKind, Event, EventSource
from tui.incident.lifecycle import CLOSED_STATUSES, FOLD_KINDS, Tally, fold

# PRAGMA application_id marks the file as ours: "WRRM" in ASCII.
APPLICATION_ID = 0x5752524D
SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 5000
# Beyond busy_timeout, BEGIN IMMEDIATE is retried this long before giving up with a StoreError:
# a burst of writers must queue, never surface "database is locked".
BUSY_DEADLINE_S = 30.0

ACTOR_KINDS = ("human", "automation", "system")
SOURCES = ("key", "cli", "auto")
OUR_TABLES = frozenset({"incidents", "events"})

_V1 = (
    """CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        drill INTEGER NOT NULL DEFAULT 0 CHECK (drill IN (0, 1)),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        recorded_at TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_kind TEXT NOT NULL CHECK (actor_kind IN ('human', 'automation', 'system')),
        source TEXT NOT NULL CHECK (source IN ('key', 'cli', 'auto')),
        kind TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL DEFAULT '{}',
        starred INTEGER NOT NULL DEFAULT 0 CHECK (starred IN (0, 1)),
        supersedes INTEGER REFERENCES events (id)
    )""",
    # The timeline's last page and the observers' "after id" polls walk this index.
    "CREATE INDEX events_by_incident ON events (incident_id, id)",
    # The incident list folds only the few state-changing kinds of every incident.
    "CREATE INDEX events_by_kind ON events (kind, incident_id, id)",
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'warroom: events are append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'warroom: events are append-only'); END""",
    """CREATE TRIGGER incidents_no_update BEFORE UPDATE ON incidents
        BEGIN SELECT RAISE(ABORT, 'warroom: incidents are append-only'); END""",
    """CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
        BEGIN SELECT RAISE(ABORT, 'warroom: incidents are append-only'); END""",
)

# Version 2: a subject's state per incident, for events that record a change of state
# (detections). Every process on a database runs its own detector; `append(transition=...)`
# writes only a change of the subject's recorded state, and the unique index makes "the n-th
# change of this subject in this incident" exist once, whichever process wrote it.
_V2 = (
    "ALTER TABLE events ADD COLUMN subject TEXT",
    "ALTER TABLE events ADD COLUMN state TEXT",
    "ALTER TABLE events ADD COLUMN episode INTEGER",
    "CREATE UNIQUE INDEX events_once ON events (incident_id, subject, episode)",
)

# MIGRATIONS[n] takes a database at schema version n to n + 1 (0 is an empty file). Append,
# never edit: a database in the field may stand at any earlier version.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)

_EVENT_COLUMNS = (
    "id, incident_id, recorded_at, occurred_at, actor, actor_kind, source, kind, text, data, "
    "starred, supersedes"
)
# Kinds that change what the incident list shows (title, severity, status).
_SUMMARY_KINDS = ("declared", "severity_changed", "status_changed", "reopened", "corrected")


class StoreError(Exception):
    """One line: what went wrong with which database file."""


class StoreConflict(StoreError):
    """Another writer appended to the incident since the caller last read it (see `expect_last_id`)."""


class Unchanged(Exception):
    """`append(transition=...)`: the subject's recorded state is already that one (another
    process wrote it, or it is a first "ok" that nothing preceded); nothing was written.
    `event_id`: the event that put the subject in that state (None for a quiet first state)."""

    def __init__(self, subject: str, event_id: int | None = None) -> None:
        super().__init__(subject)
        self.subject = subject
        self.event_id = event_id


@dataclass(frozen=True, slots=True)
class Transition:
    """An event that records `subject` entering `state` (a detection, an action starting or
    ending). It is written only when it changes the subject's last recorded state in the
    incident; a first state in `quiet` (ok: nothing to recover from) is not written either.
    `force`: written whatever the last state (an action's outcome, an override).
    `same_for_s`: the same state recorded longer ago than this no longer counts (a request
    whose process died without an outcome cannot still be running past its timeout)."""

    subject: str  # "detected:service:api-gateway", "action:k8s.restart:prod/shop/deployment/web"
    state: str  # "problem" | "warning" | "ok" | "flapping"; "running" | "done"
    quiet: frozenset[str] = frozenset({"ok"})
    force: bool = False
    same_for_s: float | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    drill: bool
    created_at: datetime
    declared: Event  # the `declared` event written with the incident


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """One row of `warroom incidents`; severity and status are folded from the events."""

    id: int
    title: str
    drill: bool
    created_at: datetime
    severity: str
    status: str
    declared_at: datetime
    declared_by: str


def to_db_time(at: datetime) -> str:
    """Fixed-width UTC text, so string order is time order in any SQL backend."""
    if at.tzinfo is not UTC:  # what the record reads back is UTC already: the common case
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("timestamps of the record must be timezone-aware")
        at = at.astimezone(UTC)
    # isoformat, not strftime: 5x faster (an export formats 200 000 of these), and it pads
    # the year to four digits where strftime's %Y may not. "+00:00" becomes "Z".
    return at.isoformat(timespec="microseconds")[:-6] + "Z"


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dump_data(data: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(data or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_event(row: Sequence[Any]) -> Event:
    # Positional, in Event's field order: an export decodes 100 000 of these.
    return Event(
        row[0],  # id
        row[1],  # incident_id
        _fromiso(row[2]),  # recorded_at
        _fromiso(row[3]),  # occurred_at
        row[4],  # actor
        row[5],  # actor_kind
        row[6],  # source
        row[7],  # kind
        row[8],  # text
        _loads(row[9]) if row[9] not in ("", "{}") else {},  # data
        bool(row[10]),  # starred
        row[11],  # supersedes
    )


_fromiso = datetime.fromisoformat
_loads = json.loads


def _is_busy(err: sqlite3.Error) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        # Extended codes (SQLITE_BUSY_SNAPSHOT, ...) keep the primary code in the low byte.
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(err) or "busy" in str(err)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


# Every connection opened, until it is garbage. aiosqlite (0.22 and newer) serves each one from
# a non-daemon thread, so one that a bug left open would keep the process from ever exiting;
# `stop_left_open` ends them as the process leaves (tui.cli.main).
_OPENED: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()


def stop_left_open() -> int:
    """Stop every connection's thread (closing its sqlite3 connection; nothing is written): the
    last step before exit, when no event loop runs any more. Returns how many were opened and
    not yet garbage (closed ones stop again harmlessly)."""
    left = list(_OPENED)
    for conn in left:
        with contextlib.suppress(Exception):
            conn.stop()
    _OPENED.clear()
    return len(left)


class IncidentStore:
    """The SQLite incident record. Open with `await IncidentStore.open(path)`; `close()` it.

    One store holds one connection; its operations are serialised with a lock, because a
    connection can hold only one transaction at a time. Several processes may open the same
    file; their writes queue on SQLite's write lock.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path, *, read_only: bool, clock: Clock) -> None:
        self._conn = conn
        self.path = path
        self.read_only = read_only
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closed = False
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        # A read-only store opened `immutable` (no writer was running): the database as it was
        # then, watched for a writer; see tui/incident/locked_down.py.
        self._immutable_since: locked_down.Signature | None = None
        self._reopened = 0

    # -- opening --------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        clock: Clock | None = None,
        _immutable: bool = False,
    ) -> IncidentStore:
        """Open (a writer creates it) the incident database at `path`.

        Raises `StoreError` with one line when the file is missing (read-only), is not an SQLite
        database, is another program's database, or was written by a newer warroom.
        """
        path = Path(path).expanduser()
        where = str(path)
        if read_only and (problem := locked_down.unreadable(path)):
            raise StoreError(f"{where}: {problem}")
        if not read_only:
            _check_directory(path)
        mode = "ro" if read_only else "rwc"
        uri = f"file:{quote(str(path.absolute()))}?mode={mode}" + ("&immutable=1" if _immutable else "")
        try:
            # isolation_level=None: no implicit transactions; every write is an explicit
            # BEGIN IMMEDIATE ... COMMIT below.
            conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            _OPENED.add(conn)
        except sqlite3.Error as err:
            raise StoreError(f"{where}: cannot open: {_one_line(err)}") from err
        store = cls(conn, path, read_only=read_only, clock=clock or SystemClock())
        try:
            await store._prepare()
            store._identity = _identity(path)
        except StoreError as err:
            await conn.close()
            if read_only and not _immutable and locked_down.cannot_share_wal(err.__cause__):
                return await cls._open_without_writer(path, store._clock)
            raise
        except BaseException:
            await conn.close()
            raise
        return store

    @classmethod
    async def _open_without_writer(cls, path: Path, clock: Clock) -> IncidentStore:
        """An observer who cannot create the -shm index: with no writer running the file alone
        is the record, read `immutable`; else one line naming the permission that is missing."""
        problem = locked_down.why_not_immutable(path)
        if problem:
            raise StoreError(f"{path}: {problem}")
        since = locked_down.signature(path)
        store = await cls.open(path, read_only=True, clock=clock, _immutable=True)
        store._immutable_since = since
        if locked_down.signature(path) != since:  # a writer started meanwhile: look again
            await store._follow_writer()
        return store

    async def _follow_writer(self) -> None:
        """Open again once the database changed under an `immutable` connection (which would
        never notice): shared with the writer when its -wal/-shm are readable, else immutable
        again, else the StoreError that names the missing permission."""
        if self._immutable_since is None or locked_down.signature(self.path) == self._immutable_since:
            return
        fresh = await IncidentStore.open(self.path, read_only=True, clock=self._clock)
        async with self._lock:
            old, self._conn = self._conn, fresh._conn
            self._immutable_since = fresh._immutable_since
            self._reopened += 1
        await old.close()

    async def _prepare(self) -> None:
        where = str(self.path)
        try:
            await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await self._conn.execute("PRAGMA foreign_keys = ON")
            if self.read_only:
                # mode=ro already refuses writes; query_only also refuses them on this
                # connection should the file ever be opened otherwise.
                await self._conn.execute("PRAGMA query_only = ON")
            version = await self._check_ours()
            if self.read_only:
                if version < SCHEMA_VERSION:
                    raise StoreError(
                        f"{where}: schema version {version} needs upgrading; open it once without --read-only"
                    )
                return
            await self._enable_wal()
            if version < SCHEMA_VERSION:
                await self._migrate()
            # Per connection, not stored in the file: every writer must set it.
            await self._conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as err:
            if getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
                raise StoreError(f"{where}: not an SQLite database ({_one_line(err)})") from err
            raise StoreError(f"{where}: cannot open: {_one_line(err)}") from err

    async def _check_ours(self) -> int:
        """The schema version, after refusing a foreign or newer database."""
        where = str(self.path)
        # One statement, so one snapshot: read apart, the header and the tables could straddle
        # another process's first migration (tables there, application_id not yet) and a
        # fresh record would be refused as foreign.
        async with self._conn.execute(
            "SELECT 'application_id', application_id FROM pragma_application_id "
            "UNION ALL SELECT 'user_version', user_version FROM pragma_user_version "
            "UNION ALL SELECT 'table', name FROM sqlite_master WHERE type IN ('table', 'view')"
        ) as cur:
            rows = list(await cur.fetchall())
        header = {str(what): value for what, value in rows if what != "table"}
        app_id = int(header.get("application_id") or 0)
        version = int(header.get("user_version") or 0)
        names = (str(name) for what, name in rows if what == "table")
        tables = sorted(name for name in names if not name.startswith("sqlite_"))
        if app_id == 0 and version == 0 and not tables:
            if self.read_only:
                raise StoreError(f"{where}: empty database (a writer creates the incident record)")
            return 0
        if app_id != APPLICATION_ID:
            raise StoreError(
                f"{where}: not a warroom incident database "
                f"(application_id {app_id:#x}, tables: {', '.join(tables) or 'none'})"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{where}: written by a newer warroom (schema version {version}, "
                f"this one knows up to {SCHEMA_VERSION}); upgrade warroom"
            )
        strange = sorted(set(tables) - OUR_TABLES)
        if strange:
            raise StoreError(f"{where}: has tables warroom did not create: {', '.join(strange)}")
        return version

    async def _enable_wal(self) -> None:
        async with self._conn.execute("PRAGMA journal_mode") as cur:
            row = await cur.fetchone()
        if row and str(row[0]).lower() == "wal":
            return
        for attempt in range(50):
            try:
                async with self._conn.execute("PRAGMA journal_mode = WAL") as cur:
                    row = await cur.fetchone()
                break
            except sqlite3.OperationalError as err:
                if not _is_busy(err) or attempt == 49:
                    raise
                await asyncio.sleep(0.05)
        if not row or str(row[0]).lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch to WAL journal mode (got {row and row[0]})")

    async def _migrate(self) -> None:
        """Bring the schema to SCHEMA_VERSION in one transaction (another process may race us)."""
        await self._begin_immediate()
        try:
            version = await self._check_ours()  # re-read under the write lock
            for step in MIGRATIONS[version:SCHEMA_VERSION]:
                for statement in step:
                    await self._conn.execute(statement)
            await self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            await self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._rollback()
            raise

    # -- transactions ---------------------------------------------------------------------

    async def _begin_immediate(self) -> None:
        """BEGIN IMMEDIATE, queueing behind other writers instead of failing as locked."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_DEADLINE_S
        delay = 0.005
        while True:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as err:
                if not _is_busy(err):
                    raise
                if loop.time() >= deadline:
                    raise StoreError(
                        f"{self.path}: still busy after {BUSY_DEADLINE_S:.0f} s: another process "
                        "holds the write lock"
                    ) from err
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)

    async def _rollback(self) -> None:
        try:
            await self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # no transaction open (BEGIN failed, or SQLite rolled back itself)

    def _check_writable(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; nothing can be written")
        self._check_same_file()

    def _check_same_file(self) -> None:
        """The file at the path is still the one opened. A connection keeps writing to a deleted
        (or replaced) file's inode, and every event written there is lost at exit: so a write
        refuses instead, and the observers' polls say so."""
        if self._identity is None:
            return
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            now = None
        except OSError as err:
            raise StoreError(f"{self.path}: the incident record cannot be checked: {_one_line(err)}") from err
        if now != self._identity:
            what = "deleted" if now is None else "replaced by another file"
            raise StoreError(
                f"{self.path}: the incident record is gone: the file was {what} while warroom had it "
                "open; nothing more is recorded (restore it, or restart warroom to start a new one)"
            )

    # -- writing --------------------------------------------------------------------------

    async def append(
        self,
        incident_id: int,
        kind: str,
        text: str = "",
        data: Mapping[str, Any] | None = None,
        *,
        actor: str,
        actor_kind: ActorKind,
        source: EventSource,
        occurred_at: datetime | None = None,
        supersedes: int | None = None,
        starred: bool = False,
        expect_last_id: int | None = None,
        transition: Transition | None = None,
    ) -> Event:
        """Append one event in its own transaction; durable (synchronous=FULL) when it returns.

        `expect_last_id`: refuse with `StoreConflict` unless the incident's newest event still
        has this id, so a caller that validated against the state it read writes nothing if
        another writer got in between. `transition`: raise `Unchanged` instead of writing when
        the subject is already in that state. Raises `StoreError` when the write failed.
        """
        _validate(kind, actor_kind, source)
        self._check_writable()
        payload = _dump_data(data)
        async with self._transaction("event not written") as recorded:
            await self._require_incident(incident_id)
            if supersedes is not None:
                await self._require_event(incident_id, supersedes)
            if expect_last_id is not None:
                last = await self._last_id(incident_id)
                if last != expect_last_id:
                    raise StoreConflict(
                        f"incident #{incident_id} changed (last event #{last}, expected #{expect_last_id})"
                    )
            episode = await self._episode(incident_id, transition, recorded) if transition else None
            event = await self._insert_event(
                incident_id,
                recorded,
                occurred_at or recorded,
                actor,
                actor_kind,
                source,
                kind,
                text,
                payload,
                starred,
                supersedes,
                transition,
                episode,
            )
        return event

    async def _episode(self, incident_id: int, transition: Transition, recorded: datetime) -> int:
        """The number of this change of the subject, under the write lock; `Unchanged` when the
        subject's last recorded state is the same (or a quiet first state)."""
        async with self._conn.execute(
            "SELECT state, episode, id, recorded_at FROM events WHERE incident_id = ? AND subject = ? "
            "ORDER BY episode DESC LIMIT 1",
            (incident_id, transition.subject),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            if transition.state in transition.quiet and not transition.force:
                raise Unchanged(transition.subject)
            return 1
        if row[0] == transition.state and not transition.force:
            age = (recorded - from_db_time(row[3])).total_seconds()
            if transition.same_for_s is None or age <= transition.same_for_s:
                raise Unchanged(transition.subject, int(row[2]))
        return int(row[1]) + 1

    async def declare(
        self,
        title: str,
        severity: str,
        *,
        drill: bool,
        actor: str,
        actor_kind: ActorKind,
        source: EventSource,
        occurred_at: datetime | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Incident:
        """Create the incident and its `declared` event in one transaction.

        The event's data holds {"title", "severity", "drill", "status": "investigating"} plus
        `data` (e.g. "impact_started_at").
        """
        _validate("declared", actor_kind, source)
        self._check_writable()
        payload_data = {
            **dict(data or {}),
            "title": title,
            "severity": severity,
            "drill": bool(drill),
            "status": "investigating",
        }
        payload = _dump_data(payload_data)
        async with self._transaction("incident not declared") as recorded:
            async with self._conn.execute(
                "INSERT INTO incidents (title, drill, created_at) VALUES (?, ?, ?) RETURNING id",
                (title, int(bool(drill)), to_db_time(recorded)),
            ) as cur:
                row = await cur.fetchone()
            assert row is not None
            event = await self._insert_event(
                int(row[0]),
                recorded,
                occurred_at or recorded,
                actor,
                actor_kind,
                source,
                "declared",
                title,
                payload,
                False,
                None,
            )
        return Incident(event.incident_id, title, bool(drill), event.recorded_at, event)

    @contextlib.asynccontextmanager
    async def _transaction(self, failure: str) -> AsyncIterator[datetime]:
        """One write: the store's lock, BEGIN IMMEDIATE, and COMMIT when the block ends; ROLLBACK
        when anything in it raises, an SQLite error becoming StoreError("<path>: <failure>: ...").
        Yields the time the write is recorded at, taken under the lock so that the record's
        times follow the order of its ids."""
        async with self._lock:
            recorded = self._clock.now()
            try:
                await self._begin_immediate_or_fail()
            except asyncio.CancelledError:
                # aiosqlite runs the BEGIN in its own thread: cancelled while waiting for it (the
                # app stopping), it may have begun all the same, and an open transaction keeps
                # every later write of this store failing and holds the write lock of all.
                await self._rollback()
                raise
            try:
                yield recorded
                await self._conn.execute("COMMIT")
            except sqlite3.Error as err:
                await self._rollback()
                raise StoreError(f"{self.path}: {failure}: {_one_line(err)}") from err
            except BaseException:  # a StoreError of the block's own checks, or a cancellation
                await self._rollback()
                raise

    async def _begin_immediate_or_fail(self) -> None:
        try:
            await self._begin_immediate()
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot start a write: {_one_line(err)}") from err

    async def _insert_event(
        self,
        incident_id: int,
        recorded: datetime,
        occurred: datetime,
        actor: str,
        actor_kind: ActorKind,
        source: EventSource,
        kind: str,
        text: str,
        payload: str,
        starred: bool,
        supersedes: int | None,
        transition: Transition | None = None,
        episode: int | None = None,
    ) -> Event:
        """The INSERT of one event, inside a `_transaction`; the event as it reads back."""
        async with self._conn.execute(
            "INSERT INTO events (incident_id, recorded_at, occurred_at, actor, actor_kind, source, "
            "kind, text, data, starred, supersedes, subject, state, episode) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                incident_id,
                to_db_time(recorded),
                to_db_time(occurred),
                actor,
                actor_kind,
                source,
                kind,
                text,
                payload,
                int(bool(starred)),
                supersedes,
                transition.subject if transition else None,
                transition.state if transition else None,
                episode,
            ),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return Event(
            id=int(row[0]),
            incident_id=incident_id,
            recorded_at=_db_round(recorded),
            occurred_at=_db_round(occurred),
            actor=actor,
            actor_kind=actor_kind,
            source=source,
            kind=kind,
            text=text,
            data=json.loads(payload),
            starred=bool(starred),
            supersedes=supersedes,
        )

    async def _require_incident(self, incident_id: int) -> None:
        async with self._conn.execute("SELECT id FROM incidents WHERE id = ?", (incident_id,)) as cur:
            if await cur.fetchone() is None:
                raise StoreError(f"{self.path}: no incident #{incident_id}")

    async def _require_event(self, incident_id: int, event_id: int) -> None:
        async with self._conn.execute("SELECT incident_id FROM events WHERE id = ?", (event_id,)) as cur:
            row = await cur.fetchone()
        if row is None or row[0] != incident_id:
            raise StoreError(f"{self.path}: incident #{incident_id} has no event #{event_id}")

    async def _last_id(self, incident_id: int) -> int:
        async with self._conn.execute(
            "SELECT id FROM events WHERE incident_id = ? ORDER BY id DESC LIMIT 1", (incident_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- reading --------------------------------------------------------------------------

    async def _fetch(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        async with self._lock:
            try:
                return list(await self._conn.execute_fetchall(sql, tuple(params)))
            except sqlite3.Error as err:
                raise StoreError(f"{self.path}: read failed: {_one_line(err)}") from err

    async def events(self, incident_id: int, after_id: int = 0, limit: int | None = None) -> list[Event]:
        """The incident's events with id > `after_id`, oldest first (at most `limit`)."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident_id = ? AND id > ? ORDER BY id"
        params: list[Any] = [incident_id, after_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_row_event(row) for row in await self._fetch(sql, params)]

    async def last_events(self, incident_id: int, n: int) -> list[Event]:
        """The newest `n` events, oldest first (the timeline's last page)."""
        rows = await self._fetch(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE incident_id = ? ORDER BY id DESC LIMIT ?",
            (incident_id, n),
        )
        return [_row_event(row) for row in reversed(rows)]

    async def fold_input(self, incident_id: int, after_id: int = 0) -> tuple[list[Event], Tally]:
        """What `lifecycle.fold_tallied` needs for the events after `after_id`: the events of
        FOLD_KINDS or starred, and the tally of all of them, read in one snapshot.

        This is the cheap way to an incident's state: a few indexed aggregates instead of
        decoding every event (100 000 events: ~50 ms instead of ~650 ms).
        """
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        marks = ", ".join("?" for _ in FOLD_KINDS)
        scope = "incident_id = ? AND id > ?"
        key = (incident_id, after_id)
        async with self._lock:
            try:
                # One read transaction: a commit by another process between these statements
                # must not make the tally disagree with the events.
                await self._conn.execute("BEGIN")
                try:
                    rows = await self._conn.execute_fetchall(
                        f"SELECT {_EVENT_COLUMNS} FROM events WHERE {scope} "
                        f"AND (kind IN ({marks}) OR starred = 1) ORDER BY id",
                        (*key, *FOLD_KINDS),
                    )
                    sums = await self._conn.execute_fetchall(
                        f"SELECT COUNT(*), MAX(id) FROM events WHERE {scope}", key
                    )
                    human = await self._conn.execute_fetchall(
                        f"SELECT occurred_at FROM events WHERE {scope} AND actor_kind = 'human' "
                        "ORDER BY id LIMIT 1",
                        key,
                    )
                    # A recovery is not a detection: time to detect counts from the first signal.
                    detected = await self._conn.execute_fetchall(
                        f"SELECT MIN(occurred_at) FROM events WHERE kind = 'detected' AND {scope} "
                        "AND (state IS NULL OR state <> 'ok')",
                        key,
                    )
                    update = await self._conn.execute_fetchall(
                        f"SELECT occurred_at FROM events WHERE kind = 'status_update' AND {scope} "
                        "ORDER BY id DESC LIMIT 1",
                        key,
                    )
                finally:
                    await self._rollback()  # ends the read transaction; nothing was written
            except sqlite3.Error as err:
                raise StoreError(f"{self.path}: read failed: {_one_line(err)}") from err

        def first_time(found: Iterable[Any]) -> datetime | None:
            row = next(iter(found), None)
            return from_db_time(row[0]) if row is not None and row[0] is not None else None

        count, last_id = next(iter(sums))
        tally = Tally(
            count=int(count),
            last_id=int(last_id or 0),
            first_human_at=first_time(human),
            first_detected_at=first_time(detected),
            last_status_update_at=first_time(update),
        )
        return [_row_event(row) for row in rows], tally

    async def settings(self) -> dict[str, int | str]:
        """This connection's durability settings, as SQLite reports them (for tests and
        `warroom check-config`): journal_mode, synchronous (2 = FULL), busy_timeout (ms),
        query_only, application_id, user_version."""
        found: dict[str, int | str] = {}
        for name in (
            "journal_mode",
            "synchronous",
            "busy_timeout",
            "query_only",
            "application_id",
            "user_version",
        ):
            rows = await self._fetch(f"PRAGMA {name}")
            value = rows[0][0]
            found[name] = value if isinstance(value, str) else int(value)
        return found

    async def event(self, event_id: int) -> Event | None:
        rows = await self._fetch(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ?", (event_id,))
        return _row_event(rows[0]) if rows else None

    async def count(self, incident_id: int) -> int:
        rows = await self._fetch("SELECT COUNT(*) FROM events WHERE incident_id = ?", (incident_id,))
        return int(rows[0][0])

    async def last_event_id(self, incident_id: int) -> int:
        """The id of the incident's newest event, 0 when there is none."""
        rows = await self._fetch(
            "SELECT id FROM events WHERE incident_id = ? ORDER BY id DESC LIMIT 1", (incident_id,)
        )
        return int(rows[0][0]) if rows else 0

    async def incident(self, incident_id: int) -> IncidentSummary | None:
        found = [s for s in await self._summaries(incident_id) if s.id == incident_id]
        return found[0] if found else None

    async def incidents(self) -> list[IncidentSummary]:
        """Every incident, oldest first, with severity and status folded from its events."""
        return await self._summaries(None)

    async def _summaries(self, only: int | None) -> list[IncidentSummary]:
        where = "" if only is None else " WHERE id = ?"
        rows = await self._fetch(
            f"SELECT id, title, drill, created_at FROM incidents{where} ORDER BY id",
            () if only is None else (only,),
        )
        marks = ", ".join("?" for _ in _SUMMARY_KINDS)
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE kind IN ({marks})"
        params: list[Any] = list(_SUMMARY_KINDS)
        if only is not None:
            sql += " AND incident_id = ?"
            params.append(only)
        by_incident: dict[int, list[Event]] = {}
        for row in await self._fetch(sql + " ORDER BY incident_id, id", params):
            event = _row_event(row)
            by_incident.setdefault(event.incident_id, []).append(event)
        summaries = []
        for incident_id, title, drill, created_at in rows:
            events = by_incident.get(incident_id, [])
            created = from_db_time(created_at)
            if not events:  # cannot happen through `declare`; shown rather than hidden
                summaries.append(
                    IncidentSummary(incident_id, title, bool(drill), created, "?", "?", created, "?")
                )
                continue
            state = fold(events)
            summaries.append(
                IncidentSummary(
                    id=incident_id,
                    title=state.title or title,
                    drill=bool(drill),
                    created_at=created,
                    severity=state.severity,
                    status=state.status,
                    declared_at=state.declared_at or created,
                    declared_by=state.declared_by,
                )
            )
        return summaries

    async def active_incident(self) -> int | None:
        """The newest incident that is not resolved or closed."""
        for summary in reversed(await self.incidents()):
            if summary.status not in CLOSED_STATUSES:
                return summary.id
        return None

    async def latest_incident(self) -> int | None:
        rows = await self._fetch("SELECT id FROM incidents ORDER BY id DESC LIMIT 1")
        return int(rows[0][0]) if rows else None

    async def data_version(self) -> int:
        """Changes whenever another connection commits: what every screen polls (so it also
        checks that the file is still the one opened)."""
        self._check_same_file()
        await self._follow_writer()
        rows = await self._fetch("PRAGMA data_version")
        # A new connection starts its own count: moving to one is a change too.
        return int(rows[0][0]) + (self._reopened << 32)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._conn.close()

    async def __aenter__(self) -> IncidentStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _identity(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _check_directory(path: Path) -> None:
    """A writer needs the directory itself: WAL keeps its -wal and -shm files beside the database."""
    parent = path.parent
    if not parent.exists():
        raise StoreError(f"{path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise StoreError(f"{path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"{path}: cannot write in directory {parent} (WAL needs its -wal and -shm there)")


def _db_round(at: datetime) -> datetime:
    """The datetime as it reads back from the database (UTC, microseconds)."""
    return from_db_time(to_db_time(at))


def _validate(kind: str, actor_kind: str, source: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if actor_kind not in ACTOR_KINDS:
        raise ValueError(f"unknown actor kind {actor_kind!r}")
    if source not in SOURCES:
        raise ValueError(f"unknown event source {source!r}")


__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Incident",
    "IncidentStore",
    "IncidentSummary",
    "StoreConflict",
    "StoreError",
    "Transition",
    "Unchanged",
    "from_db_time",
    "to_db_time",
]
