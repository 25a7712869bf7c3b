"""Runs one mitigation command for warroom, and takes it down with warroom.

warroom starts each command in a process group of its own (so a timeout can stop all of it),
which also means a warroom killed with SIGKILL, or on a host that drops its session, left the
command running on, unrecorded. This small supervisor sits between them: it is the group's
leader, asks the kernel for SIGTERM when warroom dies (PR_SET_PDEATHSIG), and then stops the
whole group as warroom's own timeout does (SIGTERM, a grace, SIGKILL). It reports the command's
exit status as its own, a death by signal included.

Run as a script (`python -I leash.py PARENT_PID GRACE_S -- ARGV...`): stdlib only, so it starts
in a few milliseconds and never imports warroom.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1


def _stop_group(grace_s: float, child: subprocess.Popen[bytes] | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the group's SIGTERM must not stop us half-way
    try:
        os.killpg(0, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace_s
    while child is not None and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.killpg(0, signal.SIGKILL)  # what is left of the group, this process last


def main(argv: list[str]) -> int:
    parent, grace_s, argv = int(argv[0]), float(argv[1]), argv[3:]
    running: list[subprocess.Popen[bytes]] = []
    # Before the command starts: a SIGTERM the moment after would otherwise end this process
    # alone and leave the command running.
    signal.signal(signal.SIGTERM, lambda *_: _stop_group(grace_s, running[0] if running else None))
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != parent:  # warroom died before the request to the kernel
        return 128 + int(signal.SIGTERM)
    child = subprocess.Popen(argv)
    running.append(child)
    code = child.wait()
    if code < 0:  # died of a signal: die of the same one, so warroom reads the same status
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
