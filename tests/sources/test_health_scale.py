"""The health source at scale, for correctness (speed is bench/bench_health_scale.py's): the
checks never run more at once than the bound, the first ones are spread over the interval, and
every service is checked within it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from collections import Counter

import pytest

from tests.servers.http import Concurrency, HttpServer, json_reply
from tests.timebase import T0
from tui.config.schema import ServiceConfig
from tui.core.clock import FrozenClock
from tui.sources.base import SourceError
from tui.sources.health import HealthSource


def services(server: HttpServer, count: int, interval_s: float = 5) -> list[ServiceConfig]:
    return [
        ServiceConfig(f"svc-{i}", url=server.url(f"/s/{i}"), interval_s=interval_s, timeout_s=5)
        for i in range(count)
    ]


def checked(server: HttpServer) -> Counter[str]:
    with server.lock:
        return Counter(seen.path for seen in server.seen)


async def test_checks_never_run_more_at_once_than_the_bound() -> None:
    counter = Concurrency(json_reply({"status": "ok"}), hold_s=0.02)
    with HttpServer(default=counter) as server:
        clock = FrozenClock(T0)
        source = HealthSource(services(server, 120), clock, max_concurrency=6, batch_s=20)
        try:
            for _ in range(20):  # the first round: 20 groups of 6, spread 0.25 s apart over 5 s
                await asyncio.wait_for(source.poll(), 30)
                clock.advance(0.25)
            assert source.in_flight == 0
            assert len(checked(server)) == 120  # every service, each on its own path
        finally:
            await source.close()
    # Reached, so the bound is what held it (not a slow client), and never passed.
    assert counter.peak == 6


async def test_first_checks_are_spread_over_the_interval_and_all_done_within_it() -> None:
    counter = Concurrency(json_reply({"status": "ok"}), hold_s=0)
    with HttpServer(default=counter) as server:
        clock = FrozenClock(T0)
        # 100 services, 10 at once, every 5 s: ten groups of ten, each 0.5 s after the one before.
        source = HealthSource(services(server, 100), clock, max_concurrency=10, batch_s=20)
        try:
            snap = await source.poll()
            assert len(checked(server)) == 10, "only the first group fires at once"
            assert [s.state for s in snap.services[:10]] == ["UP"] * 10
            assert {s.state for s in snap.services[10:]} == {"UNKNOWN"}
            waves = [10]
            for _ in range(9):
                clock.advance(0.5)
                await source.poll()
                waves.append(len(checked(server)))
            assert waves == list(range(10, 101, 10))  # one group per step, in config order
            # Within one interval every service was checked, and each exactly once.
            assert set(checked(server).values()) == {1}
            clock.advance(0.5)  # 5 s after the start: the first group is due again, only it
            snap = await source.poll()
            counts = checked(server)
            assert [counts[f"/s/{i}"] for i in range(12)] == [2] * 10 + [1, 1]
            assert all(s.state == "UP" for s in snap.services)
        finally:
            await source.close()


async def test_a_round_that_cannot_fit_the_interval_says_so() -> None:
    slow = Concurrency(json_reply({"status": "ok"}), hold_s=0.2)
    with HttpServer(default=slow) as server:
        clock = FrozenClock(T0)
        # 40 checks of at least 0.2 s, two at a time: a round takes at least 4 s, over a 1 s interval.
        source = HealthSource(services(server, 40, interval_s=1), clock, max_concurrency=2, batch_s=0.5)
        try:
            snap = await source.poll()
            assert snap.round_s is not None and snap.round_s >= 4
            assert snap.interval_s == 1
        finally:
            await source.close()


async def test_few_services_are_checked_at_once_and_delivered_together() -> None:
    counter = Concurrency(json_reply({"status": "ok"}), hold_s=0)
    with HttpServer(default=counter) as server:
        source = HealthSource(services(server, 8), FrozenClock(T0), max_concurrency=8)
        try:
            assert source.interval_s == 5  # not spread: the loop polls once per interval
            snap = await source.poll()
            assert [s.state for s in snap.services] == ["UP"] * 8
            again = await source.poll()  # nothing due, nothing changed: the very same snapshot
            assert again is snap
            assert snap.round_s is not None and snap.round_s < 5
        finally:
            await source.close()


async def test_checks_run_in_their_own_process_and_the_callers_loop_stays_free() -> None:
    """2 000 checks in flight at once (against a port that never answers), none of them on the
    loop that polls, which is the screen's in the app, nor in its process: no task of that loop
    runs a check, the 2 000 connections are the checks' process's, and the loop answers a call
    from another thread (as Textual's input thread hands over a key) while they all hang."""
    count = 2000
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(count)  # accepts (into the backlog) and never answers
        port = silent.getsockname()[1]
        hung = [
            ServiceConfig(f"svc-{i}", url=f"http://127.0.0.1:{port}/s/{i}", interval_s=5, timeout_s=60)
            for i in range(count)
        ]
        source = HealthSource(hung, FrozenClock(T0), max_concurrency=count, batch_s=0.5)
        try:
            for _ in range(120):  # a bound, so a broken source fails instead of hanging
                snap = await asyncio.wait_for(source.poll(), 30)
                if source.in_flight == count:
                    break
            assert source.in_flight == count
            assert {s.state for s in snap.services} == {"UNKNOWN"}  # every one still hangs
            assert _tasks_named("_work") == 0  # no check on this loop
            pid = source.worker_pid
            assert pid is not None and pid != os.getpid()
            assert len(os.listdir(f"/proc/{pid}/fd")) > count  # its sockets, one per check
            assert len(os.listdir("/proc/self/fd")) < count  # not this process's
            pinged = asyncio.Event()
            mine = asyncio.get_running_loop()
            threading.Thread(target=mine.call_soon_threadsafe, args=(pinged.set,)).start()
            await asyncio.wait_for(pinged.wait(), 30)
            assert source.in_flight == count
        finally:
            await source.close()
    assert source.worker_pid is None
    assert not os.path.exists(f"/proc/{pid}")  # closed: the process is gone (and reaped)


def _tasks_named(name: str) -> int:
    return sum(getattr(t.get_coro(), "__name__", "") == name for t in asyncio.all_tasks())


async def test_a_checks_process_that_dies_fails_the_poll_and_the_next_poll_starts_another() -> None:
    """The panel goes stale saying why (the poll fails with one line), and the next try starts
    the checks again from the rows as they stood: nothing learnt so far is lost."""
    with HttpServer(default=json_reply({"status": "ok"})) as server:
        clock = FrozenClock(T0)
        source = HealthSource(services(server, 3), clock, batch_s=20)
        try:
            snap = await asyncio.wait_for(source.poll(), 30)
            assert [s.history for s in snap.services] == [("UP",)] * 3
            pid = source.worker_pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(SourceError, match=r"^health checks stopped \(exit -9\)"):
                await asyncio.wait_for(source.poll(), 30)
            clock.advance(5)
            snap = await asyncio.wait_for(source.poll(), 30)
            assert source.worker_pid not in (None, pid)
            assert [s.history for s in snap.services] == [("UP", "UP")] * 3
        finally:
            await source.close()
