"""Drive the real program in tmux: keys in with send-keys, the screen out with capture-pane."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid

from tests.servers.needs import program


def require_tmux() -> str:
    return program("tmux")


class TmuxSession:
    def __init__(self, command: list[str], cols: int, rows: int, env: dict[str, str]) -> None:
        require_tmux()
        self.name = f"warroom-test-{uuid.uuid4().hex[:8]}"
        # A private server socket: the test never touches a user's tmux.
        self.socket = f"warroom-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # -u: a test run exports COLUMNS/LINES (80x24), which would override the pane's real size.
        shell_cmd = f"env -u COLUMNS -u LINES {exports} {shlex.join(command)}; echo EXITED:$?; sleep 30"
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(cols), "-y", str(rows), shell_cmd)
        # A detached session's window follows tmux's default-size (80x24) unless told otherwise.
        self._tmux("set-option", "-t", self.name, "window-size", "manual")
        self._tmux("resize-window", "-t", self.name, "-x", str(cols), "-y", str(rows))

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True, timeout=10
        )
        if result.returncode != 0:
            raise RuntimeError(f"tmux {args[0]}: {result.stderr.strip()}")
        return result.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def pane(self, fmt: str) -> str:
        """A tmux format of the pane, e.g. "#{alternate_on} #{cursor_flag}": what the terminal's
        state is, as tmux (the terminal here) holds it."""
        return self._tmux("display-message", "-p", "-t", self.name, fmt).strip()

    def keys_at_once(self, *keys: str) -> None:
        """Every key in one send-keys call: one write to the terminal, as a laggy link or a
        paste delivers them, so the program reads them all at once."""
        self._tmux("send-keys", "-t", self.name, *keys)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen after {timeout} s; screen was:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while text in screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} still on screen after {timeout} s:\n{screen}")
            time.sleep(0.2)
            screen = self.screen()
        return screen

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
