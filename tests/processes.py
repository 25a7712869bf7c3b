"""Whether processes still run: what the tests of stopped mitigations and killed warrooms ask."""

from __future__ import annotations

import os
import time


def alive(pid: int) -> bool:
    """Still running. A zombie (stopped, its exit status not yet collected) has stopped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel (a zombie still counts as alive there)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def all_gone(*pids: int, timeout_s: float = 5.0) -> bool:
    """Whether every one of `pids` stops within `timeout_s` (the kernel delivers signals soon,
    not at once)."""
    deadline = time.monotonic() + timeout_s
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
