"""A log file followed like `tail -F`: read at most `max_bytes_per_poll` per cycle, a line kept
to `max_line_bytes`, a rotated or truncated file followed to its new start; never a whole file."""

from __future__ import annotations

import asyncio
import errno
import os
import stat
from typing import BinaryIO

from tui.config.schema import LogConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import LogBatch, LogLine
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.logs.lines import MAX_LINE_BYTES, guess_level, leading_time

PARTIAL_POLLS = 3  # a last line without its newline is shown after this many polls without news


class _Lines:
    """Splits a byte stream into lines, holding at most `max_line` bytes of the line being read:
    the rest of a longer line is counted, not kept."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self.head = bytearray()
        self.extra = 0  # bytes of the current line beyond `head`, dropped
        self.skip = False  # discard up to the next newline: its start was shown, or never seen
        self.idle = 0  # polls in a row without bytes while a partial line is held

    def reset(self) -> None:
        self.head.clear()
        self.extra = 0
        self.skip = False
        self.idle = 0

    def feed(self, data: bytes) -> list[tuple[bytes, int]]:
        out: list[tuple[bytes, int]] = []
        if data:
            self.idle = 0
        start, size = 0, len(data)
        while start < size:
            nl = data.find(b"\n", start)
            end = size if nl < 0 else nl
            if self.skip:
                if nl >= 0:
                    self.skip = False
            else:
                take = max(0, min(self.max_line - len(self.head), end - start))
                if take:
                    self.head += data[start : start + take]
                self.extra += end - start - take
                if nl >= 0:
                    out.append((bytes(self.head), self.extra))
                    self.head.clear()
                    self.extra = 0
            if nl < 0:
                break
            start = nl + 1
        return out

    @property
    def holding(self) -> bool:
        return bool(self.head) or self.extra > 0

    def idle_poll(self) -> list[tuple[bytes, int]]:
        """A poll that brought nothing: after a few, the held partial line is shown as it is."""
        if not self.holding:
            return []
        self.idle += 1
        if self.idle < PARTIAL_POLLS:
            return []
        return self.flush()

    def flush(self) -> list[tuple[bytes, int]]:
        if not self.holding:
            return []
        line = (bytes(self.head), self.extra)
        # A cut line's remainder is still to come: it is skipped, not shown as a line of its own.
        self.skip = self.extra > 0
        self.head.clear()
        self.extra = 0
        self.idle = 0
        return [line]


def _decode(raw: bytes, extra: int) -> str:
    text = raw.decode("utf-8", errors="replace")
    if text.endswith("\r"):
        text = text[:-1]
    return f"{text}… [+{extra} bytes]" if extra else text


class FileLogSource:
    """`tail -F` of one file: the last `backlog_lines` lines at the first poll (read from the end),
    then what was appended, at most `max_bytes_per_poll` per poll. A truncated file is read again
    from its start; a rotated one (a new inode at the path) is read to its end first, then the new
    file from its start. A missing file is a SourceError until it appears.

    A line's time is the timestamp it starts with when that names its zone, else the time it was
    read (None for the backlog, whose time is unknown)."""

    name = "logs"

    def __init__(
        self,
        cfg: LogConfig,
        clock: Clock | None = None,
        *,
        interval_s: float = 1.0,
        max_bytes_per_poll: int = 256 * 1024,
        backlog_lines: int = 200,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.interval_s = interval_s
        self.max_bytes_per_poll = max(1, max_bytes_per_poll)
        self.backlog_lines = max(0, backlog_lines)
        self.shown_path = cfg.path or ""
        self.path = os.path.expanduser(cfg.path) if cfg.path else ""
        self.label = cfg.name or os.path.basename(self.path) or "file"
        self._fh: BinaryIO | None = None
        self._ident: tuple[int, int] | None = None
        self._offset = 0  # where the next read starts in `_fh`
        self._first = True  # the backlog is read only if the file is there at the first poll
        self._lines = _Lines(max(1, max_line_bytes))

    async def poll(self) -> LogBatch:
        return await asyncio.to_thread(self._read)

    async def close(self) -> None:
        self._close_file()

    def _close_file(self) -> None:
        fh, self._fh = self._fh, None
        self._ident = None
        self._offset = 0
        self._lines.reset()
        if fh is not None:
            fh.close()

    def _error(self, err: OSError) -> SourceError:
        reason = "No such file" if isinstance(err, FileNotFoundError) else (err.strerror or str(err))
        return SourceError(f"{one_line(self.shown_path, 120)}: {reason}")

    def _read(self) -> LogBatch:
        if not self.path:
            raise SourceError('a [[logs]] entry of kind "file" needs a path')
        budget = self.max_bytes_per_poll
        out: list[LogLine] = []
        try:
            st: os.stat_result | None = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as err:
            raise self._error(err) from err
        if self._fh is not None and (st is None or (st.st_dev, st.st_ino) != self._ident):
            # Rotated (or removed): what the old file still holds comes first, then the new one.
            read = self._read_more(budget, out)
            budget -= read
            if read and budget <= 0:
                return LogBatch(tuple(out))
            self._emit(self._lines.flush(), out)
            self._close_file()
        if st is None:
            self._first = False
            if out:
                return LogBatch(tuple(out))
            raise SourceError(f"{one_line(self.shown_path, 120)}: No such file")
        if self._fh is None:
            try:
                self._open(st)
            except OSError as err:  # unreadable now: the backlog still applies once it is readable
                raise self._error(err) from err
            if self._first:
                self._first = False
                self._read_backlog(out)
                return LogBatch(tuple(out))
        self._first = False
        self._read_more(budget, out)
        return LogBatch(tuple(out))

    def _open(self, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):  # a directory, or a FIFO whose open would block
            raise OSError(errno.EINVAL, "not a regular file")
        fh = open(self.path, "rb")  # held open across polls, like tail -F
        try:
            st = os.fstat(fh.fileno())
        except BaseException:
            fh.close()
            raise
        self._fh, self._ident, self._offset = fh, (st.st_dev, st.st_ino), 0
        self._lines.reset()

    def _read_backlog(self, out: list[LogLine]) -> None:
        """The last `backlog_lines` lines, found by reading back from the end at most
        `max_bytes_per_poll` bytes (fewer lines when they are long)."""
        assert self._fh is not None
        size = os.fstat(self._fh.fileno()).st_size
        window = min(size, self.max_bytes_per_poll)
        self._fh.seek(size - window)
        data = self._fh.read(window)
        self._offset = size - window + len(data)
        end = len(data) - 1 if data.endswith(b"\n") else len(data)
        pos, found = end, 0
        while found < self.backlog_lines:
            nl = data.rfind(b"\n", 0, pos)
            if nl < 0:
                break
            pos, found = nl, found + 1
        if found == self.backlog_lines and self.backlog_lines > 0:
            start = pos + 1
        elif self.backlog_lines == 0:
            start = len(data)
            self._lines.skip = bool(data) and not data.endswith(b"\n")  # joined mid-line
        elif window == size:
            start = 0  # the whole file is shorter than the backlog
        elif found:
            start = pos + 1  # the window began inside a line: that fragment is not shown
        else:
            start = len(data)  # the window is all one (long) line: skip to its end
            self._lines.skip = True
        self._emit(self._lines.feed(data[start:]), out, backlog=True)

    def _read_more(self, budget: int, out: list[LogLine]) -> int:
        """Read at most `budget` new bytes; returns how many were read."""
        assert self._fh is not None
        size = os.fstat(self._fh.fileno()).st_size
        if size < self._offset:  # truncated (copytruncate, `> file`): start again
            self._offset = 0
            self._lines.reset()
        want = min(budget, size - self._offset)
        data = b""
        if want > 0:
            self._fh.seek(self._offset)
            data = self._fh.read(want)
            self._offset += len(data)
        if data:
            self._emit(self._lines.feed(data), out)
        else:
            self._emit(self._lines.idle_poll(), out)
        return len(data)

    def _emit(self, lines: list[tuple[bytes, int]], out: list[LogLine], *, backlog: bool = False) -> None:
        now = None if backlog else self.clock.now()
        for raw, extra in lines:
            text = _decode(raw, extra)
            out.append(
                LogLine(at=leading_time(text) or now, origin=self.label, text=text, level=guess_level(text))
            )
