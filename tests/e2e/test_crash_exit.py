"""A crash exits non-zero with one line on stderr, and the traceback in a log file under
$XDG_STATE_HOME/warroom/. The crash is provoked in the real program on a real terminal: a child
script replaces one key's handler with one that raises (nothing in warroom is test-only)."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

from tests.e2e.pty_run import PtyRun

ROOT = Path(__file__).resolve().parents[2]
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[=>]|\r")

# `?` (help) raises in the child, inside a Textual handler, as a bug would.
CHILD = """
import sys
from tui.app import WarroomApp

async def broken_help(self):
    raise RuntimeError("provoked by the test: " + "x" * 10)

WarroomApp.action_help = broken_help
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WARROOM_CONFIG", "TEXTUAL")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=str(ROOT),
        TEXTUAL_ANIMATIONS="none",
    )
    return env


def _one_crash_log(tmp_path: Path) -> Path:
    logs = sorted((tmp_path / "state" / "warroom").glob("crash-*.log"))
    assert len(logs) == 1, logs
    return logs[0]


def test_a_crash_in_the_app_exits_1_with_one_line_and_a_log(tmp_path: Path) -> None:
    run = PtyRun(
        [sys.executable, "-c", CHILD, "demo", "--db", str(tmp_path / "demo.db")],
        _env(tmp_path),
        str(tmp_path),
    )
    run.wait_for(b"Timeline")
    run.read(1.0)
    run.send(b"?")
    status = run.finish()
    assert status == 1
    last = [line for line in ESCAPES.sub("", run.after_screen()).split("\n") if line.strip()]
    log = _one_crash_log(tmp_path)
    assert last == [
        f"warroom: crashed: RuntimeError: provoked by the test: xxxxxxxxxx (traceback in {log})"
    ], last
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "broken_help" in text
    assert "RuntimeError: provoked by the test" in text and "command: " in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    # No Rich traceback on the terminal (it prints every local variable).
    assert "locals" not in run.after_screen() and "Traceback" not in run.after_screen()


def test_a_crash_in_a_command_exits_1_with_one_line_and_a_log(tmp_path: Path) -> None:
    import subprocess

    child = CHILD.replace(
        "WarroomApp.action_help = broken_help",
        "import tui.incident.commands as c\n"
        "def broken(rows): raise KeyError('provoked')\n"
        "c.incident_table = broken",
    )
    db = str(tmp_path / "i.db")
    env = _env(tmp_path)
    declared = subprocess.run(
        [sys.executable, "-m", "tui", "declare", "API down", "--db", db],
        env=env,
        capture_output=True,
        text=True,
    )
    assert declared.returncode == 0, declared.stderr
    result = subprocess.run(
        [sys.executable, "-c", child, "incidents", "--db", db],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    log = _one_crash_log(tmp_path)
    assert result.stderr == f"warroom: crashed: KeyError: 'provoked' (traceback in {log})\n"
    assert "in broken" in log.read_text(encoding="utf-8")
