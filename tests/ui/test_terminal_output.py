"""A terminal that goes away (SIGHUP: the SSH link dropped) must not freeze the app before it
has closed the record: Textual's output thread dies on the first failed write and its queue of
30 then blocks the app's loop (tui/terminal.py). These tests show the cause and the cure."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.app import App
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from tui.terminal import TerminalOutput, driver_class


class GoneTerminal:
    """A terminal whose other end has closed: every write is EIO."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        raise OSError(5, "Input/output error")

    def fileno(self) -> int:
        return 2


def _frames(writer: WriterThread, count: int) -> threading.Thread:
    """Write `count` frames from a thread of its own (the app's loop, in a real run)."""
    done = threading.Thread(target=lambda: [writer.write("frame") for _ in range(count)], daemon=True)
    done.start()
    done.join(timeout=2.0)
    return done


# The output thread dies of the EIO: that is the point
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_textual_output_thread_blocks_the_writer_once_the_terminal_is_gone() -> None:
    writer = WriterThread(GoneTerminal())  # type: ignore[arg-type]
    writer.start()
    frames = _frames(writer, MAX_QUEUED_WRITES + 5)
    assert frames.is_alive(), "the cause is gone from Textual: tui/terminal.py may not be needed"
    while frames.is_alive():  # unblock the stuck writer, so the test leaves no thread behind
        writer._queue.get()
        frames.join(timeout=0.05)


def test_warroom_output_drops_what_a_gone_terminal_cannot_take() -> None:
    terminal = GoneTerminal()
    output = TerminalOutput(terminal)  # type: ignore[arg-type]
    writer = WriterThread(output)  # type: ignore[arg-type]
    writer.start()
    frames = _frames(writer, 10 * MAX_QUEUED_WRITES)
    assert not frames.is_alive()
    writer.stop()  # and leaving returns too (LinuxDriver.close -> WriterThread.stop)
    assert output.gone and terminal.writes == 1  # tried once, then no more system calls
    assert output.fileno() == 2  # what Textual asks of the terminal still reaches it


async def test_a_real_run_draws_through_it() -> None:
    cls = driver_class()
    assert cls is not None
    driver: Any = cls(App())
    assert isinstance(driver._file, TerminalOutput)
