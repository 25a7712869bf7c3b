"""A mitigation interrupted as a bastion interrupts it: warroom running a 30 s command is sent
SIGTERM, SIGHUP (the SSH session dropped) or SIGINT, or quits with `q`. Each time the record
says the run was interrupted and why, the command's whole process group is gone, and the
terminal is given back as it was (no alternate screen, a visible cursor, no mouse tracking)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.tmux import TmuxSession
from tests.processes import all_gone
from tui.incident.store import IncidentStore

CONFIG = """
[[actions]]
name = "Slow fix"
key = "Z"
command = ["sh", "-c", "sleep 30 & echo $$ $! > {pids}; wait"]
confirm = "Run the slow fix?"
timeout_s = 60
"""


def _warroom_pid(config: Path) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(config).encode() in argv and b"tui" in argv:
            return int(entry.name)
    raise AssertionError("warroom is not running")


async def _action_events(db: Path) -> list[tuple[str, str]]:
    async with await IncidentStore.open(db, read_only=True) as store:
        incident = await store.latest_incident()
        assert incident is not None
        events = await store.events(incident)
    return [(e.kind, str(e.data.get("result", ""))) for e in events if e.kind.startswith("action")]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGINT", "q"])
def test_an_interrupted_mitigation_is_recorded_and_stopped_and_the_terminal_restored(
    tmp_path: Path, how: str
) -> None:
    db, pids, config = tmp_path / "incidents.db", tmp_path / "pids", tmp_path / "warroom.toml"
    config.write_text(CONFIG.format(pids=pids))
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    declared = subprocess.run(
        [sys.executable, "-m", "tui", "declare", "Checkout down", "--db", str(db), "--as", "ic"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert declared.returncode == 0, declared.stderr
    s = TmuxSession([sys.executable, "-m", "tui", "--config", str(config), "--db", str(db)], 120, 30, env)
    try:
        s.wait_for("Checkout down")
        s.keys("Z")
        s.wait_for("Run the slow fix?")
        s.keys("Tab", "Enter")  # from Cancel (the default) to the action
        for _ in range(200):
            if pids.exists() and len(pids.read_text().split()) == 2:
                break
            time.sleep(0.05)
        shell, sleeper = map(int, pids.read_text().split())
        if how == "q":
            s.keys("q")
            s.wait_for("Quit warroom?")
            s.keys("Tab", "Enter")
            expected_code, reason = 0, "warroom quit"
        else:
            sig = signal.Signals[how]
            os.kill(_warroom_pid(config), sig)
            expected_code, reason = 128 + int(sig), f"warroom was stopped by {how}"
        s.wait_for(f"EXITED:{expected_code}", timeout=30)
        assert s.pane("#{alternate_on} #{cursor_flag} #{mouse_any_flag}") == "0 1 0"
        assert all_gone(shell, sleeper), "the command outlived warroom"
    finally:
        s.close()
    assert asyncio.run(_action_events(db)) == [
        ("action_requested", ""),
        ("action_interrupted", f"interrupted: {reason}"),
    ]
