"""One way to run a command in a process group of its own: command health checks and command
actions both come here.

The process gets its own session (so its children can be stopped with it), stdin from
/dev/null (a prompt reads EOF instead of waiting for ever) and stdout+stderr together into the
caller's `sink`. On a timeout or a cancellation the whole group is stopped: SIGTERM, `term_grace_s`
to exit cleanly (0: straight to SIGKILL), then SIGKILL, in a `finally` so a second cancellation
cannot skip it. After a normal exit, the rest of the output may take `output_grace_s`; with
`reap=True` (a health check, which must never leak processes) what the command left behind in
its group is killed too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping, Sequence

READ_CHUNK = 65536


def exit_words(code: int) -> str:
    """ "exit 3", "killed by SIGKILL"."""
    if code >= 0:
        return f"exit {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


async def run_group(
    argv: Sequence[str],
    sink: Callable[[bytes], None],
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
    term_grace_s: float = 1.0,
    output_grace_s: float = 0.5,
    reap: bool = False,
) -> int:
    """Run `argv` to its end and return its exit code (negative: the signal that killed it).
    Raises OSError when it cannot start (FileNotFoundError: no such command), TimeoutError
    after `timeout_s` (the group stopped), and lets a cancellation through (the group stopped)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        env=dict(env) if env is not None else None,
    )
    reader = asyncio.ensure_future(_pump(proc, sink))
    try:
        async with asyncio.timeout(timeout_s):
            code = await proc.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), output_grace_s)
    except BaseException:
        await _stop_group(proc, term_grace_s)
        raise
    finally:
        reader.cancel()
        if reap:
            _signal_group(proc.pid, signal.SIGKILL)
    return code


async def _pump(proc: asyncio.subprocess.Process, sink: Callable[[bytes], None]) -> None:
    if proc.stdout is None:
        return
    while chunk := await proc.stdout.read(READ_CHUNK):
        sink(chunk)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def _stop_group(proc: asyncio.subprocess.Process, term_grace_s: float) -> None:
    try:
        if term_grace_s > 0:
            _signal_group(proc.pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), term_grace_s)
    finally:
        _signal_group(proc.pid, signal.SIGKILL)
        if proc.returncode is None:
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())


__all__ = ["READ_CHUNK", "exit_words", "run_group"]
