import threading
import time
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.servers.prometheus", "tests.servers.apiserver.plugin"]

# aiosqlite (0.22 and newer) runs each connection in a non-daemon thread: a record left open
# keeps the interpreter from exiting at all, so a leak would hang CI after the last test
# instead of failing one. Each test must close every store it opened.
_SQLITE_WORKER = "_connection_worker_thread"


def _sqlite_workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if _SQLITE_WORKER in t.name and t.is_alive()}


@pytest.fixture(autouse=True)
def _no_open_record() -> Iterator[None]:
    before = _sqlite_workers()
    yield
    deadline = time.monotonic() + 2.0
    while (left := _sqlite_workers() - before) and time.monotonic() < deadline:
        time.sleep(0.02)
    if left:
        pytest.fail(f"{len(left)} record connection(s) left open (aiosqlite worker threads)")
