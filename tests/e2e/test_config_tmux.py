"""`warroom --config` as an engineer on a bastion meets it: real health endpoints, a real log
file, the real program in tmux; then a bad config as one line and exit 2."""

from __future__ import annotations

import sys

from tests.e2e.tmux import TmuxSession
from tests.servers.http import HttpServer, json_reply, reply


def test_config_watches_real_services_and_a_log_file(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(
        "2026-11-23T03:00:00Z level=info msg=started\n"
        'level=error msg="upstream connect error" \x1b]0;pwned\x07\x1b[2J[link=x]click[/link]\n',
        encoding="utf-8",
    )
    with (
        HttpServer({"/health": json_reply({"status": "ok"})}) as up,
        HttpServer({"/health": reply(503, b"no")}) as down,
    ):
        config = tmp_path / "warroom.toml"
        config.write_text(
            f"""
[[services]]
name = "api-gateway"
url = "{up.url("/health")}"
interval_s = 1

[[services]]
name = "order-payment"
url = "{down.url("/health")}"
interval_s = 1

[[logs]]
kind = "file"
path = "{log}"
""",
            encoding="utf-8",
        )
        env = {
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "TERM": "xterm-256color",
            "TEXTUAL_ANIMATIONS": "none",
        }
        command = [sys.executable, "-m", "tui", "--config", str(config), "--db", str(tmp_path / "i.db")]
        s = TmuxSession(command, 160, 50, env)
        try:
            screen = s.wait_for("HTTP 503")
            assert "● UP" in screen and "✖ DOWN" in screen
            assert "1 Health · 1 down" in screen
            screen = s.wait_for("upstream connect error")
            assert "[link=x]click[/link]" in screen, "markup from a log line must show literally"
            assert "pwned" not in screen
            # nothing configured for pods and SLOs: they say so, the rest runs
            assert "not configured" in screen
            s.keys("q")
            s.wait_for("EXITED:0")
        finally:
            s.close()


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text('[[services]]\nname = "a"\nurl = "http://127.0.0.1:1/"\ntimeout_s = "fast"\n')
    s = TmuxSession([sys.executable, "-m", "tui", "--config", str(config)], 250, 10, {"TERM": "xterm"})
    try:
        screen = s.wait_for("EXITED:2")
        assert 'services[0].timeout_s: expected a number > 0, got "fast"' in screen
        assert "Traceback" not in screen
    finally:
        s.close()
