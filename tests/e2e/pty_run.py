"""Run the real program on a pseudo-terminal and keep every byte it writes: what a terminal
would have received (the screen, and whatever is printed after the app restores it)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence


class PtyRun:
    def __init__(
        self, argv: Sequence[str], env: dict[str, str], cwd: str, cols: int = 120, rows: int = 30
    ) -> None:
        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        self.proc = subprocess.Popen(
            list(argv),
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(follower)
        self.output = bytearray()

    def read(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.leader], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.leader, 65536)
                except OSError:  # the child closed the terminal
                    return
                if not chunk:
                    return
                self.output += chunk

    def wait_for(self, needle: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never written; got {bytes(self.output[-2000:])!r}")
            self.read(0.1)

    def send(self, data: bytes) -> None:
        os.write(self.leader, data)

    def finish(self, timeout: float = 20.0) -> int:
        """Read until the program exits; its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read(0.1)
        self.read(0.3)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"still running after {timeout} s")
        os.close(self.leader)
        return self.proc.returncode

    def after_screen(self) -> str:
        """What was written after the app left the alternate screen (its last words)."""
        text = bytes(self.output).decode("utf-8", "replace")
        return text.rsplit("\x1b[?1049l", 1)[-1]
