"""Hostile text through every channel, in the real program on a real terminal (tmux), the raw
bytes the program wrote to the terminal kept (pipe-pane): names in the config (services, SLOs,
actions), the kubeconfig's context, pod and namespace names from an API server that validates
nothing (kmock), an event kind and an actor written into the record by another writer, and a
config file's name. No control sequence from them reaches the terminal, no markup is
interpreted (the screen shows it literally), and invisible characters never move a border."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.tmux import TmuxSession
from tests.servers.kube import declare_resources, pod, seed, write_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
# Each payload names itself: none of these words may ever reach the terminal's byte stream inside
# a control sequence; the cleaner removes an escape sequence whole, payload and all.
TITLE = "\x1b]0;PWNED-{}\x07"
CLIP = "\x1b]52;c;" + base64.b64encode(b"rm -rf ~").decode() + "\x07"
TAGS = "".join(chr(0xE0041 + i) for i in range(20))  # a line of tag characters (invisible)
ZERO_WIDTH = "\u200b\u200d\u2060\ufeff"


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _config(tmp_path: Path, kubeconfig: Path) -> Path:
    services = [
        "[@click=app.quit]X[/]",
        "checkout [/bold]",
        "tags" + TAGS + "end",
        "zw" + ZERO_WIDTH + "end",
    ]
    lines = [
        "[cluster]",
        f"kubeconfig = {_toml(str(kubeconfig))}",
    ]
    for name in services:
        lines += ["[[services]]", f"name = {_toml(name)}", 'command = ["true"]', "interval_s = 1"]
    lines += [
        "[[actions]]",
        f"name = {_toml('Kill ' + TITLE.format('ACTION') + ' [@click=app.quit]now[/]')}",
        'key = "K"',
        'command = ["true"]',
    ]
    path = tmp_path / ("warroom" + TITLE.format("FILE") + ".toml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm-256color",
        "TEXTUAL_ANIMATIONS": "none",
        "PYTHONPATH": str(ROOT),
    }


def _hostile_event(db: Path) -> None:
    """Another writer (a newer warroom, a script with sqlite3) puts a kind and an actor this one
    does not know into the record."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO events (incident_id, recorded_at, occurred_at, actor, actor_kind, source, kind, "
            "text) SELECT incident_id, recorded_at, occurred_at, ?, actor_kind, source, ?, ? FROM events "
            "WHERE id = 1",
            (
                "[@click=app.quit]eve[/]" + TITLE.format("ACTOR"),
                "kind" + TITLE.format("KIND") + "[b]x",
                "text" + CLIP,
            ),
        )


async def _wait(session: TmuxSession, text: str, timeout: float = 20.0) -> str:
    return await asyncio.to_thread(session.wait_for, text, timeout)


async def test_hostile_text_in_every_channel_stays_text(kmock: Any, tmp_path: Path) -> None:
    context = "prod" + TITLE.format("CONTEXT") + CLIP + "[@click=app.quit]ctx[/]"
    namespace = "shop[red]ns"
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig", str(kmock.url), context=context, namespace=namespace
    )
    declare_resources(kmock)
    seed(
        kmock,
        pod("[@click=app.quit]pod[/]", namespace),
        pod("web" + TITLE.format("POD") + "-1", namespace),
        pod("tags" + TAGS + "-2", namespace),
    )
    config = _config(tmp_path, kubeconfig)
    db = tmp_path / "i.db"
    env = _env(tmp_path)
    declared = subprocess.run(
        [sys.executable, "-m", "tui", "declare", "Checkout down", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert declared.returncode == 0, declared.stderr
    _hostile_event(db)

    raw = tmp_path / "terminal.bytes"
    command = [sys.executable, "-m", "tui", "--config", str(config), "--db", str(db)]
    # A moment before it starts, so that pipe-pane keeps every byte from the first.
    session = TmuxSession(["sh", "-c", 'sleep 1; exec "$@"', "sh", *command], 160, 50, env)
    try:
        session._tmux("pipe-pane", "-t", session.name, "-o", f"cat >> {raw}")
        screen = await _wait(session, "checkout [/bold]")
        screen = await _wait(session, "[@click=app.quit]pod[/]")
        await _wait(session, "kind")
        screen = session.screen()
        # Markup shown as it is written, in every cell that carries outside text.
        assert "[@click=app.quit]X[/]" in screen  # a service
        assert "shop[red]ns" in screen  # a namespace
        assert "[@click=app.quit]eve[/]" in screen or "[@click=a" in screen  # an actor, cut to its column
        assert "prod" in screen.splitlines()[0] and "ctx[/]" in screen.splitlines()[0]  # the context
        # Invisible characters are shown as placeholders, one cell each: every line is as wide as
        # the terminal and the panels' borders line up.
        assert "tags����" in screen
        lines = screen.splitlines()
        edge = lines[1].index("╮")  # the right border of the left column's panels
        left_column = [line for line in lines[1:-1] if line[:1] in "╭│╰"]
        assert len(left_column) > 20
        assert all(line[edge] in "╮│╯" for line in left_column), screen
        # Help (and the palette's "Keys", which is the same help) shows the action's name literally.
        session.keys("?")
        help_screen = await _wait(session, "warroom keys")
        assert "Kill  [@click=app.quit]now[/]" in help_screen
        session.keys("Escape")
        await asyncio.to_thread(session.wait_gone, "warroom keys")
        session.keys("C-p")
        await _wait(session, "Search")
        session.keys("K", "e", "y", "s")
        await asyncio.sleep(1.0)
        session.keys("Enter")
        await _wait(session, "warroom keys")
        session.keys("Escape")
        await asyncio.sleep(1.0)
        assert "EXITED" not in session.screen()
    finally:
        session.close()
    data = raw.read_bytes()
    assert b"PWNED" not in data  # no OSC 0 title (nor any other sequence) from outside text
    assert b"\x1b]52;" not in data  # nothing written to the clipboard
    assert base64.b64encode(b"rm -rf ~") not in data
    assert b"\x1b]8;" not in data  # no hyperlink made from markup


def test_a_file_name_with_escapes_is_never_echoed_raw(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "PATH": "/usr/bin:/bin"}
    missing = tmp_path / ("nope" + TITLE.format("MISSING") + ".toml")
    for args in (["check-config", str(missing)], ["--config", str(missing)]):
        result = subprocess.run(
            [sys.executable, "-m", "tui", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and "nope" in result.stderr, result.stderr
    valid = tmp_path / ("ok" + TITLE.format("VALID") + ".toml")
    valid.write_text('[[services]]\nname = "api"\ncommand = ["true"]\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "check-config", str(valid)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr
