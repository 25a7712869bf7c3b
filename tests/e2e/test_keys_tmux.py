"""Keys in one read, in a real terminal: a note typed and two Enters sent in one `send-keys`
(one write, as a laggy SSH link delivers them) is recorded exactly once and the war room runs
on."""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.tmux import TmuxSession


def _notes(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM events WHERE kind = 'note' ORDER BY id")]


def _until(check: Callable[[], bool], db: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"notes recorded: {_notes(db)}")
        time.sleep(0.2)


def test_a_note_and_two_enters_in_one_write_are_recorded_once(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    session = TmuxSession([sys.executable, "-m", "tui", "demo", "--db", str(db)], 160, 50, env)
    try:
        session.wait_for("DRILL")
        session.keys("n")
        session.wait_for("Note on #1")
        session.keys_at_once("pool exhausted on pgbouncer", "Enter", "Enter")
        session.wait_gone("Note on #1")
        _until(lambda: _notes(db) == ["pool exhausted on pgbouncer"], db)
        session.wait_for("✎ note")  # on the timeline (all five panels show at 160x50)
        # Still running, still answering keys: a second note, Enter four times at once.
        session.keys("n")
        session.wait_for("Note on #1")
        session.keys_at_once("second", "Enter", "Enter", "Enter", "Enter")
        session.wait_gone("Note on #1")
        _until(lambda: _notes(db) == ["pool exhausted on pgbouncer", "second"], db)
        time.sleep(1.0)  # nothing more is written by the extra enters
        assert _notes(db) == ["pool exhausted on pgbouncer", "second"]
        assert "EXITED" not in session.screen()
        session.keys("q")
        session.wait_for("Quit warroom?")
        session.keys("Tab", "Enter")
        session.wait_for("EXITED:0")
    finally:
        session.close()


def _declared(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return list(
            conn.execute(
                "SELECT i.title, json_extract(e.data, '$.severity') FROM incidents i "
                "JOIN events e ON e.incident_id = i.id AND e.kind = 'declared' ORDER BY i.id"
            )
        )


def test_whole_lines_typed_in_one_write_reach_their_dialogs(tmp_path: Path) -> None:
    """Each burst is one send-keys (one write): the key that opens a dialog and everything typed
    for it, through a second dialog, the filter bar, and the quit dialog."""
    db = tmp_path / "demo.db"
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    session = TmuxSession([sys.executable, "-m", "tui", "demo", "--db", str(db)], 160, 50, env)
    try:
        session.wait_for("DRILL")
        _until(lambda: len(_declared(db)) == 1, db)
        # A note, its key and its Enter in one write.
        session.keys_at_once("n", "pool exhausted on pgbouncer", "Enter")
        _until(lambda: _notes(db) == ["pool exhausted on pgbouncer"], db)
        # The filter: "/" and the text in one write are all in the filter bar.
        session.keys_at_once("/", "api")
        session.wait_for("filter: api")
        session.keys_at_once("Enter", "Escape")
        session.wait_gone("filter: api")
        # D with the drill open: pick "declare a second" by typing, the title, the severity by
        # name: three dialogs, one write.
        session.keys_at_once("D", "d", "Enter", "Checkout 502s", "Enter", "SEV1", "Enter")
        _until(lambda: len(_declared(db)) == 2, db)
        assert _declared(db)[1] == ("Checkout 502s", "SEV1")
        session.wait_for("Checkout 502s")
        assert "EXITED" not in session.screen()
        # q, tab to Quit, enter: the quit dialog answered in the same write that opened it.
        session.keys_at_once("q", "Tab", "Enter")
        session.wait_for("EXITED:0")
        assert _notes(db) == ["pool exhausted on pgbouncer"]
    finally:
        session.close()
