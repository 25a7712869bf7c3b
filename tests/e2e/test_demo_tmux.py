"""`warroom demo` as a person meets it: a real terminal (tmux), real keys, the real screen."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

from tests.e2e.tmux import TmuxSession
from tests.processes import all_gone
from tui.demo.drill import DemoStart
from tui.incident.store import IncidentStore


@pytest.fixture
def demo(tmp_path):
    sessions: list[TmuxSession] = []

    def start(cols: int, rows: int, *extra: str) -> TmuxSession:
        env = {
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "TERM": "xterm-256color",
            "TEXTUAL_ANIMATIONS": "none",
        }
        command = [sys.executable, "-m", "tui", "demo", "--seed", "7", "--db", str(tmp_path / "i.db"), *extra]
        session = TmuxSession(command, cols, rows, env)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.close()


def test_demo_at_80x24_reaches_every_panel_and_quits(demo):
    s = demo(80, 24)
    s.wait_for("Timeline")  # the frame comes first (its data a moment later)
    screen = s.wait_for("● live")  # the Health panel's source has answered
    assert "[RW]" in screen and "demo" in screen and "Health" in screen
    for key, title in (("2", "Pods"), ("3", "SLOs"), ("4", "Logs"), ("5", "Timeline"), ("1", "Health")):
        s.keys(key)
        screen = s.wait_for(f"{key} {title} ")  # the panel's own border title
    s.keys("?")
    s.wait_for("warroom keys")
    s.keys("Escape")
    # Gone before the next key: an escape followed at once by q reads as alt+q in a terminal.
    s.wait_gone("warroom keys")
    s.wait_for("DRILL")  # declared in the timeline's first cycle, which a loaded machine delays
    s.keys("q")  # the demo's drill is open: quitting asks, Cancel first
    s.wait_for("Quit warroom?")
    s.keys("Enter")
    s.wait_gone("Quit warroom?")
    s.keys("q")
    s.wait_for("Quit warroom?")
    s.keys("Tab", "Enter")
    s.wait_for("EXITED:0")


def test_demo_at_160x50_shows_all_panels_live(demo):
    s = demo(160, 50)
    for title in ("1 Health", "2 Pods", "3 SLOs", "4 Logs", "5 Timeline"):
        s.wait_for(title)  # one by one: a capture may catch the first paint half done
    # live data: the health table has rows and the pod table whole pod names (at 160 columns
    # the namespace column gives way to them; it is back on a wider screen)
    screen = s.wait_for("api-gateway-")
    assert screen.count("\n") >= 49
    s.wait_for("DRILL")  # the drill is on the record: q has an open incident to ask about
    s.keys("q")
    s.wait_for("Quit warroom?")
    s.keys("Tab", "Enter")
    s.wait_for("EXITED:0")


def test_read_only_demo_shows_the_r_badge(demo):
    s = demo(160, 50, "--read-only")
    screen = s.wait_for("[R] read-only")
    assert "[RW]" not in screen
    s.keys("D")  # a key that writes answers, and changes nothing
    s.wait_for("read-only: D (declare) is disabled")
    s.keys("q")  # an observer leaves at once: nothing of the record is theirs to leave open
    s.wait_for("EXITED:0")


def _drills(db) -> list[tuple[int, str, int]]:
    """(id, status, pid of the demo that declared it) of every incident in the record."""

    async def read() -> list[tuple[int, str, int]]:
        async with await IncidentStore.open(db, read_only=True) as store:
            found = []
            for summary in await store.incidents():
                start = DemoStart.from_data((await store.events(summary.id, limit=1))[0].data)
                found.append((summary.id, summary.status, start.pid if start else 0))
            return found

    return asyncio.run(read())


def _wait_drills(db, check, timeout: float = 15.0) -> list[tuple[int, str, int]]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = _drills(db)
        except Exception:  # not created yet
            found = []
        if check(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_demo_resolves_its_drill_when_it_quits_is_killed_or_loses_its_terminal(demo, tmp_path):
    db = tmp_path / "i.db"
    s = demo(80, 24)
    s.wait_for("investigating")
    s.keys("q")
    s.wait_for("ends with this demo")  # the dialog says what happens to the drill
    s.keys("Tab", "Enter")
    s.wait_for("EXITED:0")
    assert [d[1] for d in _drills(db)] == ["resolved"]

    # SIGTERM (a kill, a shutdown): the same end as q
    s = demo(80, 24)
    found = _wait_drills(db, lambda ds: len(ds) == 2)
    assert found[-1][1] == "investigating" and found[-1][2] > 0
    os.kill(found[-1][2], signal.SIGTERM)
    s.wait_for("EXITED:143")  # 128 + SIGTERM, as a shell reports it
    assert [d[1] for d in _drills(db)] == ["resolved", "resolved"]

    # SIGHUP: the terminal goes away (an SSH link drops; here the tmux server is killed)
    s = demo(80, 24)
    found = _wait_drills(db, lambda ds: len(ds) == 3)
    s.close()
    found = _wait_drills(db, lambda ds: all(d[1] == "resolved" for d in ds))
    assert [d[1] for d in found] == ["resolved"] * 3
    assert all_gone(found[-1][2], timeout_s=15), "warroom outlived its terminal (an orphan)"

    # killed with no chance to clean up (SIGKILL, a crash): the next demo resolves what it left
    s = demo(80, 24)
    found = _wait_drills(db, lambda ds: len(ds) == 4)
    os.kill(found[-1][2], signal.SIGKILL)
    s.wait_for("EXITED:")
    assert _drills(db)[-1][1] == "investigating"
    s = demo(80, 24)
    found = _wait_drills(db, lambda ds: len(ds) == 5)
    assert [d[1] for d in found] == ["resolved"] * 4 + ["investigating"]
    s.keys("q")
    s.wait_for("Quit warroom?")
    s.keys("Tab", "Enter")
    s.wait_for("EXITED:0")
    assert [d[1] for d in _drills(db)] == ["resolved"] * 5
