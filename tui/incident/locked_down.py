"""An observer on a locked-down host: a `--read-only` user who may read the incident database but
not write its directory.

SQLite reads a WAL database through its `-shm` index. `mode=ro` opens one only when the writer's
`-wal` and `-shm` already exist and are readable, or when the reader may create them (write
permission on the directory); else it fails with "attempt to write a readonly database"
(SQLITE_READONLY_DIRECTORY). With no writer running there are no such files (the last writer to
close checkpoints and removes them) and the database file alone is the whole record: it can be
opened `immutable=1`, which needs no `-shm`. `immutable` also means SQLite never looks for
changes, so the store watches the file itself and opens it again once a writer starts (a `-wal`
appears) or the file changes (a writer came and went between two looks).

When neither way works the message names the file and the permission that is missing.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

Signature = tuple[int, int, int, int, bool]  # device, inode, size, mtime (ns), -wal present


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def shm_of(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def signature(path: Path) -> Signature | None:
    """What changes when a writer touches the database: its file and the presence of a -wal."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, os.path.exists(wal_of(path)))


def cannot_share_wal(err: BaseException | None) -> bool:
    """The error SQLite gives a `mode=ro` reader that cannot use or create the `-shm` index."""
    code = getattr(err, "sqlite_errorcode", None)
    return (
        isinstance(err, sqlite3.Error)
        and code is not None
        and code & 0xFF
        in (
            sqlite3.SQLITE_READONLY,
            sqlite3.SQLITE_CANTOPEN,
        )
    )


def _who() -> str:
    return f"uid {os.geteuid()}"


def _owner_mode(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "?"
    return f"owner uid {st.st_uid} gid {st.st_gid}, mode {stat.filemode(st.st_mode)}"


def unreadable(path: Path) -> str | None:
    """Why this user cannot read the database file itself (or reach it), None when it can."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return "no incident database here (a writer creates it)"
    except PermissionError:
        closed = next(
            (d for d in reversed(path.absolute().parents) if not os.access(d, os.X_OK)), path.parent
        )
        return f"{_who()} cannot enter directory {closed} ({_owner_mode(closed)}): it needs x permission"
    except OSError as err:
        return f"cannot look at it: {err.strerror or err}"
    if not os.access(path, os.R_OK):
        return f"{_who()} has no read permission on it ({_owner_mode(path)})"
    return None


def why_not_immutable(path: Path) -> str | None:
    """None when no writer is running (no -wal, no -shm: the file alone is the record, safe to open
    immutable); else the one line that says what this user lacks to read alongside the writer."""
    problem = unreadable(path)
    if problem:
        return problem
    wal, shm = wal_of(path), shm_of(path)
    if not os.path.exists(wal) and not os.path.exists(shm):
        return None
    for f in (wal, shm):
        if os.path.exists(f) and not os.access(f, os.R_OK):
            return (
                f"{_who()} cannot read {f.name} ({_owner_mode(f)}); an observer needs read permission "
                "on the writer's -wal and -shm files (the writer's group, or a umask of 022)"
            )
    if os.path.exists(wal) and not os.path.exists(shm):
        return (
            f"{wal.name} holds changes not yet in the database and there is no {shm.name}; reading "
            f"it needs write permission on directory {path.parent} for {_who()}, or one run of a "
            "writer (warroom without --read-only) to fold it in"
        )
    return (
        f"cannot read it without write permission on directory {path.parent} for {_who()} "
        f"(a WAL database: {shm.name} is there but {wal.name} is not)"
    )
