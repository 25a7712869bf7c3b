"""The health panel at scale: `warroom --config` with N `[[services]]` (interval 5 s) against one
local HTTP server (bench/http_farm.py), in a real pseudo-terminal at 160x50.

Measures: first paint (the frame) and first rows; CPU of the app's process tree (the screen's
process and the checks' own) and of its UI thread (the event loop that draws and answers keys:
the main thread) and the screen's process's RSS
over a steady window while the checks run; and how fast keys answer while they do: `?` until
the help screen is drawn, `escape` back, `end` / `home` (the cursor to the last and the first
service, thousands of rows apart), `down` / `up` (one row, the keys that move the cursor here:
measured at the edge of the view, where the key scrolls a row into sight that no batch could
have drawn), and `/` with a
service's name until the filtered row count is drawn. Also what the status line says of the
rounds ("checks take 7.2 s > interval 5 s").

    python bench/bench_health_scale.py [--services 1000 10000] [--window 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pty_measure import KeyRunner, key_figures, rss_kib, thread_cpu_s, tree_cpu  # noqa: E402

# The health table's rows in sight at 160x50 with only services configured (the health panel
# has the left column down to the other panels' "not configured" lines).
VIEW_ROWS = 38
UP, DOWN = "\x1b[A", "\x1b[B"

ROOT = HERE.parent
PY = sys.executable
COLS, ROWS = 160, 50
ROUND = re.compile(r"checks take ([\d.]+) s > interval ([\d.]+) s")


def name(i: int, count: int) -> str:
    return f"svc-{i:0{len(str(count))}d}"


def config(count: int, port: int, directory: Path) -> Path:
    # Every entry written out in full, as a generated config would be: 10 000 of them are
    # 1.4 MiB, past the config file's old bound of 1 MiB and well within its 16 MiB.
    lines = []
    for i in range(1, count + 1):
        lines += [
            "[[services]]",
            f'name = "{name(i, count)}"',
            f'url = "http://127.0.0.1:{port}/h/{i}"',
            f'deployment = "{name(i, count)}"',
            'namespace = "bench"',
            "interval_s = 5",
            "timeout_s = 2",
            "",
        ]
    path = directory / f"warroom-{count}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def case(count: int, window: float, repeats: int, tmp: Path) -> dict:
    farm = subprocess.Popen([PY, str(HERE / "http_farm.py")], stdout=subprocess.PIPE, text=True)
    try:
        port = int(farm.stdout.readline())  # type: ignore[union-attr]
        path = config(count, port, tmp)
        args = argparse.Namespace(
            rows=ROWS,
            cols=COLS,
            term="xterm-256color",
            truecolor=True,
            answer_queries=False,
            env=[f"XDG_STATE_HOME={tmp / 'state'}", "TEXTUAL_ANIMATIONS=none"],
            command=[PY, "-m", "tui", "--config", str(path), "--db", str(tmp / f"h{count}.db")],
            startup_timeout=120.0,
            marker="Timeline",
            quit_keys="\\x11",
        )
        r = KeyRunner(args)
        r.spawn()
        try:
            _, paint = r.wait_first_paint()
            rows = r.wait_for(name(1, count))
            r.drain_for(10.0)  # the checks under way, spread over the interval
            pid = r.proc.pid  # type: ignore[union-attr]
            _, sched0 = tree_cpu(pid)
            ui0 = thread_cpu_s(pid, pid)  # the main thread runs the app's event loop
            t0 = time.monotonic()
            r.drain_for(window)
            _, sched1 = tree_cpu(pid)
            ui1 = thread_cpu_s(pid, pid)
            took = time.monotonic() - t0
            cpu = (sched1 - sched0) / took * 100
            ui_cpu = (ui1 - ui0) / took * 100
            rss = rss_kib(r.proc.pid)  # type: ignore[union-attr]
            said = ROUND.findall(r.stripped_tail)
            keys: dict[str, list[float]] = {
                "help": [],
                "back": [],
                "end": [],
                "home": [],
                "down": [],
                "up": [],
                "filter": [],
            }
            last = name(count, count)
            for _ in range(repeats):
                keys["help"].append(r.key("?", "warroom keys"))
                keys["back"].append(r.key("\x1b", "Timeline"))
                r.drain_for(0.3)
                keys["end"].append(r.key("\x1b[F", last))
                r.drain_for(0.3)
                # up to the top row in sight (in one burst: the last one redraws the row it
                # reaches), then the up that scrolls the row above into sight.
                r.key(UP * (VIEW_ROWS - 1), name(count - VIEW_ROWS + 1, count))
                r.drain_for(0.3)
                keys["up"].append(r.key(UP, name(count - VIEW_ROWS, count)))
                r.drain_for(0.3)
                keys["home"].append(r.key("\x1b[H", name(1, count)))
                r.drain_for(0.3)
                r.key(DOWN * (VIEW_ROWS - 1), name(VIEW_ROWS, count))
                r.drain_for(0.3)
                keys["down"].append(r.key(DOWN, name(VIEW_ROWS + 1, count)))
                r.key("\x1b[H", name(1, count))
                r.drain_for(0.3)
                r.key("/", "enter keeps")
                keys["filter"].append(r.key(last, f"1 of {count}"))
                r.key("\x1b", name(1, count))  # escape clears the filter: the first row again
                r.drain_for(0.3)
        finally:
            r.quit()
    finally:
        farm.kill()
        farm.wait()
    out: dict = {
        "services": count,
        "terminal": f"{COLS}x{ROWS}",
        "first_paint_s": round(paint, 2),
        "first_rows_s": round(rows, 2),
        "cpu_pct": round(cpu, 1),
        "ui_cpu_pct": round(ui_cpu, 1),
        "rss_mb": round(rss.get("VmRSS", 0) / 1024, 1),
        "peak_rss_mb": round(rss.get("VmHWM", 0) / 1024, 1),
        "round_note": f"checks take {said[-1][0]} s > interval {said[-1][1]} s" if said else "",
    }
    out.update(key_figures(keys))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--window", type=float, default=20.0, help="steady window for CPU, s")
    parser.add_argument("--repeats", type=int, default=5, help="times each key is measured")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [case(n, args.window, args.repeats, Path(tmp)) for n in args.services]
    if args.json:
        print(json.dumps(results))
    else:
        for r in results:
            print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
