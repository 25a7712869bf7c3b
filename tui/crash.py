"""A crash is never silent and never exit 0: one line on stderr that says where the traceback
is, the traceback in `$XDG_STATE_HOME/warroom/crash-<UTC time>.log`, and a non-zero exit.

Textual's `App.run()` returns normally after an unhandled exception in a handler (it keeps the
error and sets `return_code` to 1) and prints a Rich traceback with local variables over the
restored terminal: warroom exited 0 and left a screenful of locals (a token read from a file
among them, potentially) on a shared bastion's scrollback. The log has the plain traceback
without locals, readable only by its owner.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tui.core.paths import state_dir
from tui.core.untrusted import one_line

EXIT_CRASHED = 1


def write_log(
    error: BaseException, *, argv: Sequence[str] | None = None, now: datetime | None = None
) -> Path:
    """The crash log for `error` (its traceback, the command line, the versions): its path.
    Raises OSError when it cannot be written."""
    now = now or datetime.now(UTC)
    directory = state_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S.%fZ")
    path = directory / f"crash-{stamp}.log"
    if path.exists():  # two crashes in the same microsecond (several processes on one host)
        path = directory / f"crash-{stamp}-{os.getpid()}.log"
    lines = [
        f"warroom crashed at {now.isoformat(timespec='microseconds').replace('+00:00', 'Z')}",
        f"command: {' '.join(argv if argv is not None else sys.argv)}",
        f"python {platform.python_version()} on {platform.platform()}, {_versions()}",
        "",
        *traceback.format_exception(error),
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
        out.write("\n".join(line.rstrip("\n") for line in lines) + "\n")
    return path


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("warroom", "textual", "rich"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


def report(error: BaseException, code: int = EXIT_CRASHED, *, argv: Sequence[str] | None = None) -> int:
    """Log `error`, say so in one line on stderr, and give the exit code to leave with (never 0)."""
    what = one_line(f"{type(error).__name__}: {error}", 300)
    try:
        where = f"traceback in {one_line(str(write_log(error, argv=argv)), 500)}"
    except OSError as err:
        where = f"no crash log written: {one_line(str(err), 200)}"
    print(f"warroom: crashed: {what} ({where})", file=sys.stderr, flush=True)
    return code or EXIT_CRASHED


__all__ = ["EXIT_CRASHED", "report", "write_log"]
