"""The terminal driver of a real run: Textual's own, with screen output that survives the
terminal going away.

Textual writes the screen from a thread fed by a queue of 30 writes. When the terminal is gone
(SIGHUP: the SSH link dropped, the tmux server was killed) the first write raises EIO in that
thread, and the thread ends; from then on nothing empties the queue, and the 31st frame blocks
the app's own loop for ever in `Queue.put`. Seen: under load that came before the record was
closed and the drill resolved, and the process stayed behind, an orphan on the bastion (the
exit watchdog, `WarroomApp.leave_within_s`, is armed only after those). Here a write to a
terminal that is gone is dropped instead, so the app leaves as it would have.
"""

from __future__ import annotations

import sys
from typing import IO, Any, cast

from textual.app import App
from textual.driver import Driver


class TerminalOutput:
    """A text file whose writes and flushes stop, silently, once the terminal has gone."""

    def __init__(self, file: IO[str] | None) -> None:
        self._file = file
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone and self._file is not None:
            try:
                return self._file.write(text)
            except (OSError, ValueError):  # EIO, EPIPE; ValueError: the file was closed
                self.gone = True
        return 0

    def flush(self) -> None:
        if not self.gone and self._file is not None:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self.gone = True

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding...: the terminal's own
        return getattr(self._file, name)


def driver_class() -> type[Driver] | None:
    """Textual's driver for Linux and macOS, its output made `TerminalOutput`; None elsewhere
    (Textual's own then)."""
    if sys.platform == "win32":
        return None
    from textual.drivers.linux_driver import LinuxDriver

    class WarroomDriver(LinuxDriver):
        def __init__(self, app: App[Any], **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            # Read by the output thread as it starts (start_application_mode), after this.
            # (`cast`: Textual types the attribute as the terminal's own file)
            cast(Any, self)._file = TerminalOutput(self._file)

    return WarroomDriver


__all__ = ["TerminalOutput", "driver_class"]
