"""The health checks' own process: `python -m tui.sources.health_worker`, started by
`HealthSource` (tui/sources/health.py), never by hand.

It reads messages on stdin (each a length and a pickle, from the warroom that started it): first
the services, the bound, the batch, the rows as they stand and, with a test's clock, the time;
then one ("poll", time) per cycle. For each it runs one cycle of `HealthChecks` and writes back
the rows that changed since its last reply, how long a round takes and the checks in flight.

When stdin closes (warroom closed it, or died however it died) it stops its checks (a command's
process group is killed, connections are closed) and exits. SIGINT and SIGHUP reach it with the
terminal's process group; they are warroom's to act on, and warroom closes this process then.
It runs at a lower priority (nice 10) than the screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import datetime

from tui.core.clock import Clock, SystemClock
from tui.sources.health import HealthChecks, encode_frame, read_frame


class SentClock:
    """The time warroom sent with the last poll: a test's clock, followed step by step."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    out = sys.stdout.buffer
    try:
        services, bound, batch_s, rows, follow = await read_frame(reader)
    except asyncio.IncompleteReadError:
        return
    sent_clock = SentClock(follow) if follow is not None else None
    clock: Clock = sent_clock if sent_clock is not None else SystemClock()
    checks = HealthChecks(services, clock, max_concurrency=bound, batch_s=batch_s, rows=rows)
    polls: asyncio.Queue[datetime | None] = asyncio.Queue()

    async def read() -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                _, at = await read_frame(reader)
                polls.put_nowait(at)

    async def answer() -> None:
        sent = list(checks.rows)
        while True:
            at = await polls.get()
            if sent_clock is not None and at is not None:
                sent_clock.at = at
            snap = await checks.poll()
            pairs = enumerate(zip(snap.services, sent, strict=True))
            changed = [(i, row) for i, (row, was) in pairs if row is not was]
            sent = list(snap.services)
            out.write(encode_frame((changed, snap.round_s, checks.in_flight)))
            out.flush()

    reading = asyncio.ensure_future(read())
    answering = asyncio.ensure_future(answer())
    try:
        await asyncio.wait({reading, answering}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, answering):
            task.cancel()
        for task in (reading, answering):
            with contextlib.suppress(BaseException):
                await task
        await checks.close()
    error = answering.exception() if answering.done() and not answering.cancelled() else None
    if error is not None:
        raise error


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    # The screen comes first: when the bastion's cores are busy, the checks take what is left
    # (a round then takes longer, and the status line says so), not the screen's turn at a key.
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        asyncio.run(serve())
    except BrokenPipeError:  # warroom has gone: nobody to tell
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
