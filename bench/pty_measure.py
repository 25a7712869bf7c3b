#!/usr/bin/env python3
"""Measure a terminal (e.g. Textual) app's startup time, terminal output rate and idle CPU.

The app runs on the slave side of a pseudo-terminal of a fixed size; this script
drains the master side (so the app never blocks on write), counts the bytes the app
writes, and samples CPU time of the app's whole process tree from /proc.

Phases
  1. startup : spawn -> first byte -> "first paint" (a --marker text is visible, or,
               without --marker, ~90% of the screen's cells have been written).
  2. settle  : --settle seconds after first paint are ignored (layout, timers start).
  3. window  : --duration seconds: bytes written, read() chunks, synchronized-output
               frames (only if the app uses DEC 2026), CPU% of the process tree.
  4. quit    : --quit-keys are sent (default Ctrl+Q, Textual's quit binding); if the
               app is still alive after 3 s it gets SIGTERM, then SIGKILL (by its PID).

Usage
  python3 pty_measure.py [options] -- python my_app.py --flag
  python3 pty_measure.py --duration 10 --marker "ticks:" --json -- python tiny_app.py

Linux only (/proc). Standard library only.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
ANSI_RE = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC ... BEL / ST
    rb"|\x1bP[^\x1b]*\x1b\\"  # DCS ... ST
    rb"|\x1b[@-Z\\-_]"  # other 2-byte escapes
    rb"|\x1b[()][0-9A-Za-z]"  # charset selection
)
BSU = b"\x1b[?2026h"  # begin synchronized update (one per frame when the app uses it)


def proc_tree(root: int) -> list[int]:
    """PIDs of root and all its descendants (walks /proc/*/stat ppid)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                rest = f.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(rest[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(pid: int) -> float:
    """utime+stime of one process (all its threads), from /proc/<pid>/stat, in seconds."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            rest = f.read().rsplit(b")", 1)[1].split()
        # rest[0] is field 3 (state) -> utime is field 14 = rest[11], stime field 15 = rest[12]
        return (int(rest[11]) + int(rest[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def sched_ns(pid: int) -> int:
    """On-CPU time in ns summed over the threads of pid (/proc/<pid>/task/*/schedstat)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total


def tree_cpu(root: int) -> tuple[float, float]:
    """(seconds from /proc stat ticks, seconds from schedstat ns) for the process tree."""
    pids = proc_tree(root)
    return sum(cpu_seconds(p) for p in pids), sum(sched_ns(p) for p in pids) / 1e9


def rss_kib(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.master = -1
        self.proc: subprocess.Popen | None = None
        self.total_bytes = 0
        self.chunks = 0
        self.frames = 0
        self.visible_chars = 0
        self.tail = b""  # recent raw output, to find markers/queries split across reads
        self.stripped_tail = ""  # recent visible text

    # ---- process / pty -------------------------------------------------------------
    def spawn(self) -> None:
        a = self.args
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
        env = dict(os.environ)
        env.update(TERM=a.term, COLUMNS=str(a.cols), LINES=str(a.rows))
        if a.truecolor:
            env["COLORTERM"] = "truecolor"
        for kv in a.env:
            k, _, v = kv.partition("=")
            env[k] = v

        def child_setup() -> None:  # make the pty the controlling terminal
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.t_spawn = time.monotonic()
        self.proc = subprocess.Popen(
            a.command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            preexec_fn=child_setup,
            close_fds=True,
        )
        os.close(slave)
        self.master = master

    def pump(self, timeout: float) -> int:
        """Read whatever the app wrote within `timeout` seconds. Returns bytes read."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return 0
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:  # EIO: slave closed (app exited)
            return -1
        if not data:
            return -1
        self.total_bytes += len(data)
        self.chunks += 1
        window = self.tail[-16:] + data
        self.frames += window.count(BSU)
        if self.args.answer_queries:
            self.answer(window)
        self.tail = window[-4096:]
        visible = ANSI_RE.sub(b"", data).replace(b"\r", b"").replace(b"\n", b"")
        text = visible.decode("utf-8", "replace")
        self.visible_chars += len(text)
        self.stripped_tail = (self.stripped_tail + text)[-65536:]
        return len(data)

    def answer(self, window: bytes) -> None:
        """Reply like a modern terminal to the queries Textual sends at startup."""
        if b"\x1b[?2026$p" in window:  # DECRQM synchronized output -> "supported, reset"
            os.write(self.master, b"\x1b[?2026;2$y")
        if b"\x1b[c" in window or b"\x1b[0c" in window:  # DA1
            os.write(self.master, b"\x1b[?62;22c")

    def drain_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.pump(min(left, 0.05)) < 0:
                raise SystemExit(
                    f"app exited early (rc={self.proc.wait()})\nlast output: {self.stripped_tail[-500:]!r}"
                )

    # ---- phases --------------------------------------------------------------------
    def wait_first_paint(self) -> tuple[float | None, float]:
        a = self.args
        cells = a.cols * a.rows
        t_first_byte = None
        deadline = self.t_spawn + a.startup_timeout
        while time.monotonic() < deadline:
            n = self.pump(0.02)
            if n < 0:
                raise SystemExit(
                    f"app exited before first paint (rc={self.proc.wait()}):\n{self.stripped_tail[-2000:]}"
                )
            if n > 0 and t_first_byte is None:
                t_first_byte = time.monotonic() - self.t_spawn
            painted = (a.marker in self.stripped_tail) if a.marker else (self.visible_chars >= 0.9 * cells)
            if painted:
                return t_first_byte, time.monotonic() - self.t_spawn
        raise SystemExit(
            f"no first paint within {a.startup_timeout}s "
            f"(marker={a.marker!r}, bytes={self.total_bytes}); "
            f"tail: {self.stripped_tail[-500:]!r}"
        )

    def quit(self) -> int | None:
        assert self.proc is not None
        self.t_quit = time.monotonic()
        if self.args.quit_keys:
            try:
                os.write(self.master, self.args.quit_keys.encode().decode("unicode_escape").encode())
            except OSError:
                pass
        end = time.monotonic() + 3
        while time.monotonic() < end and self.proc.poll() is None:
            self.pump(0.05)
        self.quit_s = round(time.monotonic() - self.t_quit, 3) if self.proc.poll() is not None else None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass
        return self.proc.returncode

    def run(self) -> dict:
        a = self.args
        self.spawn()
        try:
            t_first_byte, t_paint = self.wait_first_paint()
            startup_cpu, _ = tree_cpu(self.proc.pid)
            startup_bytes = self.total_bytes
            self.drain_for(a.settle)

            b0, c0, f0 = self.total_bytes, self.chunks, self.frames
            cpu0, sch0 = tree_cpu(self.proc.pid)
            t0 = time.monotonic()
            per_second: list[int] = []
            while (elapsed := time.monotonic() - t0) < a.duration:
                before = self.total_bytes
                self.drain_for(min(1.0, a.duration - elapsed))
                per_second.append(self.total_bytes - before)
            window = time.monotonic() - t0
            cpu1, sch1 = tree_cpu(self.proc.pid)
            mem = rss_kib(self.proc.pid)
            nbytes = self.total_bytes - b0
            result = {
                "command": a.command,
                "terminal": f"{a.cols}x{a.rows}",
                "startup": {
                    "first_byte_s": round(t_first_byte, 3) if t_first_byte is not None else None,
                    "first_paint_s": round(t_paint, 3),
                    "cpu_s_until_first_paint": round(startup_cpu, 3),
                    "bytes_until_first_paint": startup_bytes,
                },
                "window": {
                    "seconds": round(window, 2),
                    "bytes": nbytes,
                    "bytes_per_s": round(nbytes / window, 1),
                    "bytes_per_1s_slice": per_second,
                    "write_chunks": self.chunks - c0,
                    "sync_frames": self.frames - f0,
                    "cpu_pct_ticks": round(100 * (cpu1 - cpu0) / window, 2),
                    "cpu_pct_schedstat": round(100 * (sch1 - sch0) / window, 2),
                    "cpu_s": round(sch1 - sch0, 4),
                },
                "memory_kib": mem,
            }
        finally:
            rc = self.quit()
        result["exit_code"] = rc
        result["quit_to_exit_s"] = self.quit_s  # None: did not exit on the quit keys within 3 s
        return result


class KeyRunner(Runner):
    """A Runner that also keeps the visible text written since the last key."""

    since = ""

    def pump(self, timeout: float) -> int:
        before = self.visible_chars
        n = super().pump(timeout)
        grown = self.visible_chars - before
        if n > 0 and grown > 0:
            self.since = (self.since + self.stripped_tail[-grown:])[-65536:]
        return n

    def key(self, keys: str, marker: str, timeout: float = 60.0) -> float:
        """Send `keys`; seconds until `marker` shows in what the app writes after them."""
        self.since = ""
        t0 = time.monotonic()
        os.write(self.master, keys.encode())
        while time.monotonic() - t0 < timeout:
            if self.pump(0.005) < 0:
                raise SystemExit("the app exited")
            if marker in self.since:
                return time.monotonic() - t0
        raise SystemExit(f"{marker!r} not drawn within {timeout} s after {keys!r}")

    def wait_for(self, marker: str, timeout: float = 120.0) -> float:
        t0 = time.monotonic()
        while marker not in self.stripped_tail[-20000:]:
            if time.monotonic() - t0 > timeout:
                raise SystemExit(f"{marker!r} not drawn within {timeout} s")
            self.pump(0.02)
        return time.monotonic() - self.t_spawn


def thread_cpu_s(pid: int, tid: int) -> float:
    """On-CPU seconds of one thread (schedstat)."""
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9


def key_figures(keys: dict[str, list[float]], prefix: str = "") -> dict[str, int]:
    """Each key's median and max latency in ms, as the scale benchmarks report them."""
    out: dict[str, int] = {}
    for what, values in keys.items():
        out[f"{prefix}{what}_ms"] = round(statistics.median(values) * 1000)
        out[f"{prefix}{what}_max_ms"] = round(max(values) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cols", type=int, default=120)
    p.add_argument("--rows", type=int, default=40)
    p.add_argument("--duration", type=float, default=10.0, help="measurement window, s")
    p.add_argument("--settle", type=float, default=2.0, help="ignored seconds after first paint")
    p.add_argument("--marker", default=None, help="visible text that marks the first paint")
    p.add_argument("--startup-timeout", type=float, default=20.0)
    p.add_argument("--term", default="xterm-256color")
    p.add_argument("--no-truecolor", dest="truecolor", action="store_false")
    p.add_argument(
        "--answer-queries",
        action="store_true",
        help="answer DECRQM 2026 (synchronized output) and DA1 like a modern terminal",
    )
    p.add_argument(
        "--quit-keys", default=r"\x11", help=r"sent at the end (default Ctrl+Q = \x11); '' for none"
    )
    p.add_argument("--env", action="append", default=[], metavar="K=V")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        p.error("missing command (put it after --)")
    res = Runner(args).run()
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        s, w = res["startup"], res["window"]
        print(f"command        : {' '.join(res['command'])}  ({res['terminal']})")
        print(
            f"first byte     : {s['first_byte_s']} s   first paint: {s['first_paint_s']} s "
            f"(cpu {s['cpu_s_until_first_paint']} s, {s['bytes_until_first_paint']} bytes)"
        )
        print(
            f"idle window    : {w['seconds']} s  bytes={w['bytes']}  -> {w['bytes_per_s']} B/s  "
            f"chunks={w['write_chunks']}  sync_frames={w['sync_frames']}"
        )
        print(f"per-1s bytes   : {w['bytes_per_1s_slice']}")
        print(f"idle CPU       : {w['cpu_pct_schedstat']} % (schedstat)  {w['cpu_pct_ticks']} % (stat ticks)")
        print(
            f"memory         : {res['memory_kib']}   exit code: {res['exit_code']}  "
            f"quit->exit: {res['quit_to_exit_s']} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
