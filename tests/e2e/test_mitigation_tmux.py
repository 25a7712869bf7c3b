"""A mitigation as a person runs it: `warroom demo` in a real terminal (tmux), an incident
declared from another process (`warroom declare`), `r` on the crash-looping gateway, the
confirmation read off the screen, and the record's rows on the timeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.tmux import TmuxSession


def test_restart_the_crashlooping_gateway_with_r_and_see_it_on_the_timeline(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    demo = [sys.executable, "-m", "tui", "demo", "--scenario", "api-gateway-crashloop", "--seed", "1"]
    s = TmuxSession([*demo, "--db", str(db)], 80, 24, env)
    try:
        s.wait_for("DRILL")  # the demo's drill is open: the record exists
        declared = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "declare",
                "Gateway crash loop",
                "--severity",
                "SEV1",
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert declared.returncode == 0, declared.stderr
        s.wait_for("#2")  # the screen follows the newer incident
        s.keys("2")
        s.wait_for("api-gatew")  # the crash-looping pod sorts first
        s.keys("r")
        screen = s.wait_for("Confirm: Rollout restart")
        assert "deployment/api-gateway" in screen and "context demo · namespace lomash-wood" in screen
        assert "kubectl --context demo -n lomash-wood rollout restart" in screen
        s.keys("Tab", "Enter")  # from Cancel (the default) to Restart
        s.wait_for("lomash-wood/api-gateway restarted")  # the outcome, in a notification
        s.keys("5")
        screen = s.wait_for("action ok")
        assert "» action" in screen and "Rollout restart" in screen
        s.keys("q")
        s.wait_for("Quit warroom?")
        s.keys("Tab", "Enter")
        s.wait_for("EXITED:0")
    finally:
        s.close()
