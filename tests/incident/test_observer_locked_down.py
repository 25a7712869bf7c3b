"""An observer on a locked-down host: a user who may read the incident database but not write its
directory (the design's first lock for `--read-only`). Real SQLite files, the real CLI in a
subprocess, run as an unprivileged user (`setpriv` to nobody when the tests run as root, where
permissions are not enforced).

SQLite's `mode=ro` cannot read a WAL database without its -shm index, and may not create one in
a directory it cannot write: "attempt to write a readonly database". With no writer running, the
file alone is the record and is read `immutable`; with a writer, its -wal/-shm are shared; and
when neither works the one line names the permission that is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unprivileged import NOBODY, as_user, shared_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home() -> Iterator[Path]:
    with shared_dir() as path:
        (path / "record").mkdir()
        (path / "record").chmod(0o755)
        yield path


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WARROOM_CONFIG", "XDG_CONFIG_HOME")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), NO_COLOR="1", XDG_STATE_HOME=str(home / "state"))
    return env


def warroom(home: Path, *args: str, user: bool = False) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "tui", *args]
    return subprocess.run(
        as_user(argv) if user else argv,
        cwd=home,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def child(home: Path, *args: str, user: bool = False) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.incident.observer_child", *args]
    return subprocess.Popen(
        as_user(argv) if user else argv,
        cwd=home,
        env=_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _uid() -> int:
    return NOBODY if os.geteuid() == 0 else os.geteuid()


def _declared(home: Path) -> Path:
    """A record with one incident, written by a writer that has exited (no -wal, no -shm), in a
    directory the observer cannot write."""
    db = home / "record" / "incidents.db"
    result = warroom(home, "declare", "API down", "--severity", "SEV1", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == ["incidents.db"]
    db.chmod(0o644)
    db.parent.chmod(0o555)
    return db


def test_an_observer_reads_the_record_with_no_writer_running(home: Path) -> None:
    db = _declared(home)
    listed = warroom(home, "incidents", "--db", str(db), user=True)
    assert listed.returncode == 0, listed.stderr
    assert "API down" in listed.stdout and "SEV1" in listed.stdout
    exported = warroom(home, "export", "--db", str(db), user=True)
    assert exported.returncode == 0, exported.stderr
    assert "API down" in exported.stdout
    assert sorted(p.name for p in db.parent.iterdir()) == ["incidents.db"]  # nothing written


def test_an_observer_reads_beside_a_running_writer(home: Path) -> None:
    db = _declared(home)
    db.parent.chmod(0o755)  # the writer may write its directory; the observer may not
    writer = child(home, "writer", str(db), "from the writer")
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n", writer.stderr
        db.parent.chmod(0o555)  # the writer's -wal and -shm stay open (and readable: 0644)
        exported = warroom(home, "export", "--db", str(db), user=True)
        assert exported.returncode == 0, exported.stderr
        assert "from the writer" in exported.stdout
    finally:
        writer.communicate(timeout=30)


def test_a_watching_observer_follows_a_writer_that_starts_later(home: Path) -> None:
    """The live screen's case: opened immutable (no writer), then a writer starts and writes;
    the observer's next poll sees the note."""
    db = _declared(home)
    watcher = child(home, "watch", str(db), "live note", user=True)
    writer = None
    try:
        assert watcher.stdout is not None and watcher.stdout.readline() == "immutable\n"
        db.parent.chmod(0o755)
        writer = child(home, "writer", str(db), "live note")
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        out, err = watcher.communicate(timeout=30)
        assert (watcher.returncode, out) == (0, "seen\n"), err
    finally:
        if writer is not None:
            writer.communicate(timeout=30)
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()


def _crashed_writer(home: Path) -> Path:
    """A writer killed with -9 after a commit: its -wal holds the commit, its -shm remains."""
    db = _declared(home)
    db.parent.chmod(0o755)
    writer = child(home, "writer", str(db), "before the crash")
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=30)
    assert (db.parent / "incidents.db-wal").stat().st_size > 0
    return db


def test_what_is_missing_is_named(home: Path) -> None:
    db = _crashed_writer(home)
    wal, shm = db.parent / "incidents.db-wal", db.parent / "incidents.db-shm"
    uid = _uid()

    shm.chmod(0o000)
    db.parent.chmod(0o555)
    result = warroom(home, "incidents", "--db", str(db), user=True)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"warroom incidents: {db}: uid {uid} cannot read incidents.db-shm (owner uid {os.geteuid()} "
    ), result.stderr
    assert result.stderr.endswith("an observer needs read permission on the writer's -wal and -shm files "
                                  "(the writer's group, or a umask of 022)\n")  # fmt: skip

    db.parent.chmod(0o755)
    shm.unlink()  # a crash's -wal without its index: only a writer (or a writable directory) recovers it
    db.parent.chmod(0o555)
    result = warroom(home, "incidents", "--db", str(db), user=True)
    assert (result.returncode, result.stderr) == (
        2,
        f"warroom incidents: {db}: incidents.db-wal holds changes not yet in the database and there "
        f"is no incidents.db-shm; reading it needs write permission on directory {db.parent} for uid "
        f"{uid}, or one run of a writer (warroom without --read-only) to fold it in\n",
    )
    assert wal.exists()

    db.chmod(0o000)
    result = warroom(home, "incidents", "--db", str(db), user=True)
    assert result.returncode == 2
    assert result.stderr.startswith(f"warroom incidents: {db}: uid {uid} has no read permission on it "), (
        result.stderr
    )

    db.parent.chmod(0o000)
    result = warroom(home, "incidents", "--db", str(db), user=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"warroom incidents: {db}: uid {uid} cannot enter directory {db.parent} ")
