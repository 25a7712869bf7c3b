"""Reading a file a user named, safely: only a regular file, and only up to a bound.

`Path.read_bytes()` on whatever a flag points at reads `/dev/zero` until memory runs out and
blocks forever on a FIFO with no writer. Here the path is checked with `stat` first (no side
effects: opening some devices rewinds a tape or raises a modem line), opened non-blocking (a FIFO
swapped in after the check cannot hang the open), checked again on the open descriptor, and
read to at most `limit` bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class FileProblem(Exception):
    """Why the file cannot be read, in a few words without the path: "is a directory, not a file"."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode):
        return "is a character device, not a regular file"
    if stat.S_ISBLK(mode):
        return "is a block device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def size_words(size: int) -> str:
    """1536 -> "1.5 KiB", 1048576 -> "1 MiB": a size a person reads at a glance."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            if unit == "bytes":
                return f"{size} bytes"
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
        value /= 1024
    return f"{size} bytes"  # not reached


def _reason(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file"
    if isinstance(err, PermissionError):
        return f"permission denied (cannot read it as uid {os.geteuid()})"
    if err.errno == errno.ENOTDIR:
        return "a part of the path is not a directory"
    if err.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return f"cannot read: {err.strerror or err}"


def read_bounded(path: Path | str, limit: int) -> bytes:
    """The whole content of the regular file at `path`, at most `limit` bytes; `FileProblem`
    otherwise (missing, unreadable, not a regular file, or larger than `limit`)."""
    try:
        before = os.stat(path)
    except OSError as err:
        raise FileProblem(_reason(err)) from None
    kind = _kind(before.st_mode)
    if kind:
        raise FileProblem(kind)
    if before.st_size > limit:
        raise FileProblem(f"is {size_words(before.st_size)}, larger than {size_words(limit)}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as err:
        raise FileProblem(_reason(err)) from None
    try:
        kind = _kind(os.fstat(fd).st_mode)  # the path may have been swapped since the stat
        if kind:
            raise FileProblem(kind)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:  # one byte over the limit is enough to know it is too large
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise FileProblem(_reason(err)) from None
    finally:
        os.close(fd)
    if total > limit:  # it grew after the stat
        raise FileProblem(f"grew larger than {size_words(limit)} while being read")
    return b"".join(chunks)
