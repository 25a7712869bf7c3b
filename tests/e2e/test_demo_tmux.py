"""`warroom demo` as a person meets it: a real terminal (tmux), real keys, the real screen."""

from __future__ import annotations

import sys

import pytest

from tests.e2e.tmux import TmuxSession


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
    screen = s.wait_for("Timeline")
    assert "[RW]" in screen and "demo" in screen
    assert "Health" in screen and "live" in screen.lower()
    for key, title in (("2", "Pods"), ("3", "SLOs"), ("4", "Logs"), ("5", "Timeline"), ("1", "Health")):
        s.keys(key)
        screen = s.wait_for(f"{key} {title} ")  # the panel's own border title
    s.keys("?")
    s.wait_for("warroom keys")
    s.keys("Escape")
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
    screen = s.wait_for("5 Timeline")
    for title in ("1 Health", "2 Pods", "3 SLOs", "4 Logs", "5 Timeline"):
        assert title in screen
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
