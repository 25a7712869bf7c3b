"""Two terminals on one record, as issue 3 ends: the commander's `warroom demo` and an
observer's `--read-only` screen in real terminals (tmux), the incident run by keys on one and
followed live on the other, then exported from both."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.e2e.tmux import TmuxSession


def test_commander_runs_the_incident_by_keys_and_the_observer_follows_it(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    demo = [sys.executable, "-m", "tui", "demo", "--seed", "3", "--db", str(db)]
    commander = TmuxSession(demo, 80, 24, env)
    observer = None
    try:
        commander.wait_for("DRILL")  # the demo's drill: the record exists
        observer = TmuxSession([*demo, "--read-only"], 80, 24, env)
        # At 80 columns the badge is short, so the incident's status keeps its place beside it.
        header = observer.wait_for("investigating").splitlines()[0]
        assert "investigating" in header and " [R] " in header and "read-only" not in header, header
        observer.keys("5")
        observer.wait_for("declared")

        commander.keys("D")
        commander.wait_for("#1 is already open: declare a second incident?")  # the drill is open: asked first
        commander.keys("Down", "Enter")  # past "add a note to #1 … instead", to a second incident
        commander.wait_for("Declare an incident")
        commander.keys("Orders API 502s", "Enter")
        commander.wait_for("Severity of: Orders API 502s")
        commander.keys("Up", "Enter")  # SEV2 is offered first; one up is SEV1
        commander.wait_for("SEV1")
        observer.wait_for("Orders API 502s")  # the observer follows the new incident

        commander.keys("n")
        commander.wait_for("Note on #2")
        commander.keys("rolled back v2.3.1", "Enter")
        commander.wait_gone("Note on #2")
        commander.keys("u")
        commander.wait_for("Status update for #2")
        commander.keys("C-s")
        commander.wait_for("update recorded")
        screen = observer.wait_for("rolled back v2.3.1")
        observer.wait_for("update")

        # The observer is offered no key that writes: n does nothing there.
        observer.keys("n")
        observer.wait_for("read-only: n (note) is disabled")
        assert "Note on" not in observer.screen()
        assert "D Declare" not in screen

        commander.keys("M")
        commander.wait_for("move it on to")
        commander.keys("Down", "Down", "Enter")  # identified, mitigating, resolved
        observer.wait_for("investigating → resolved")

        # Both export; paths typed into the prompt, so nothing lands in the working directory.
        for who, session in (("ic", commander), ("observer", observer)):
            session.keys("E")
            session.wait_for("Export the postmortem of #2")
            session.keys("Home", "C-k", str(tmp_path / f"{who}.md"), "Enter")
            session.wait_for("postmortem of #2 written")
            postmortem = (tmp_path / f"{who}.md").read_text()
            assert "Orders API 502s" in postmortem and "rolled back v2.3.1" in postmortem
            assert (tmp_path / f"{who}.jsonl").exists()
        commander.keys("q")  # #2 is resolved, the drill (#1) is still open: quitting asks
        commander.wait_for("Quit warroom?")
        commander.keys("Tab", "Enter")
        commander.wait_for("EXITED:0")
    finally:
        commander.close()
        if observer is not None:
            observer.close()
