"""`make bench`: the speed and memory goals, measured (not asserted). Prints a Markdown table
and writes bench/results.json; the README quotes the table.

Cases:
  startup                    first paint of a bare Textual app (bench/bare_app.py: one Static)
                             and of `warroom demo`, alternately, --repeat times each at 80x24 in
                             the same pseudo-terminal: the medians and their ratio (goal <= 1.5)
  demo-80x24 / demo-160x50   `warroom demo` in a real pseudo-terminal: first paint, then CPU,
                             bytes/s written to the terminal and RSS over the steady state
  healthy-8-160x50           `warroom --config` watching 8 healthy local HTTP services
  store                      bench/bench_store.py (100 000-event incident)
  actions                    bench/bench_actions.py (key -> confirm -> action_requested durable)
  health-scale               bench/bench_health_scale.py: 1 000 and 10 000 services against one
                             local HTTP server at 160x50: CPU, RSS, first paint, key latency
  kube-scale                 bench/bench_kube_scale.py: 10 000 pods in 50 namespaces on the test
                             API server, namespaces = ["*"], beside `kubectl get pods -A`: the
                             table's first paint, CPU idle and at 10 changes/s, keys in a burst
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
WARROOM = [PY, "-m", "tui"]
GOALS = {
    "first_paint_s": 0.6,
    "demo_cpu_pct": 2.0,
    "demo_bytes_per_s": 2048,
    "healthy_cpu_pct": 1.0,
    "healthy_bytes_per_s": 300,
    "rss_mb": 120,
    "startup_ratio": 1.5,  # demo's first paint / a bare Textual app's, same run
}


def pty_case(
    name: str,
    cmd: list[str],
    cols: int,
    rows: int,
    duration: float,
    env: dict[str, str],
    settle: float = 3.0,
) -> dict:
    args = [
        PY,
        str(HERE / "pty_measure.py"),
        "--json",
        "--cols",
        str(cols),
        "--rows",
        str(rows),
        "--duration",
        str(duration),
        "--settle",
        str(settle),
        "--marker",
        "Timeline",
    ]
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]
    out = subprocess.run(
        [*args, "--", *cmd], capture_output=True, text=True, cwd=ROOT, timeout=duration + settle + 60
    )
    if out.returncode != 0:
        raise SystemExit(f"{name}: pty_measure failed: {out.stderr.strip() or out.stdout.strip()}")
    raw = json.loads(out.stdout)
    return {
        "case": name,
        "terminal": raw["terminal"],
        "first_paint_s": raw["startup"]["first_paint_s"],
        "cpu_s_until_first_paint": raw["startup"]["cpu_s_until_first_paint"],
        "cpu_pct": raw["window"]["cpu_pct_schedstat"],
        "bytes_per_s": raw["window"]["bytes_per_s"],
        "rss_mb": round(raw["memory_kib"].get("VmHWM", 0) / 1024, 1),
        "quit_s": raw["quit_to_exit_s"],
    }


def startup_case(repeat: int, tmpdir: Path, env: dict[str, str]) -> dict:
    """The demo's first paint against a bare Textual app's, measured alternately (so that a
    neighbour's load on the shared machine falls on both alike); medians over `repeat` runs."""
    bare: list[float] = []
    demo: list[float] = []
    cpu: dict[str, list[float]] = {"bare": [], "demo": []}
    quick = {"cols": 80, "rows": 24, "duration": 0.5, "env": env, "settle": 0.2}
    # One run of each first, not counted: it writes the bytecode and warms the page cache.
    for i in range(repeat + 1):
        bare_run = pty_case("bare", [PY, str(HERE / "bare_app.py")], **quick)
        db = str(tmpdir / f"startup-{i}.db")
        demo_run = pty_case("demo", [*WARROOM, "demo", "--seed", "1", "--db", db], **quick)
        if i:
            bare.append(bare_run["first_paint_s"])
            demo.append(demo_run["first_paint_s"])
            cpu["bare"].append(bare_run["cpu_s_until_first_paint"])
            cpu["demo"].append(demo_run["cpu_s_until_first_paint"])
    bare_s, demo_s = statistics.median(bare), statistics.median(demo)
    return {
        "case": "startup-80x24",
        "bare_first_paint_s": bare_s,
        "demo_first_paint_s": demo_s,
        "ratio": round(demo_s / bare_s, 2),
        # CPU until the first paint: less at the mercy of the neighbours' load than the time
        "bare_cpu_s": statistics.median(cpu["bare"]),
        "demo_cpu_s": statistics.median(cpu["demo"]),
        "bare_runs_s": bare,
        "demo_runs_s": demo,
    }


def healthy_config(ports: list[int], directory: Path) -> Path:
    lines = []
    for i, port in enumerate(ports):
        lines += [
            "[[services]]",
            f'name = "svc-{i + 1}"',
            f'url = "http://127.0.0.1:{port}/health"',
            "interval_s = 5",
            "timeout_s = 2",
            "",
        ]
    path = directory / "warroom.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def script_case(name: str, script: str) -> dict:
    path = HERE / script
    out = subprocess.run([PY, str(path), "--json"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"{name}: {script} failed: {out.stderr.strip()[-500:]}")
    return {"case": name, **json.loads(out.stdout)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=30.0, help="steady-state window, s (default 30)")
    parser.add_argument("--only", action="append", help="run only these cases (prefix match)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each start-up case (default 3)")
    args = parser.parse_args()
    # Measured as installed: pip compiles an installed package's bytecode, and a checkout writes
    # its own at the first run. Without it every start compiles the project's modules again (with
    # PYTHONDONTWRITEBYTECODE set that was 0.1 s of the demo's first paint, and none of the bare
    # app's, whose Textual comes compiled).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        env = {"XDG_STATE_HOME": str(tmpdir / "state"), "TEXTUAL_ANIMATIONS": "none"}

        def wanted(case: str) -> bool:
            return not args.only or any(case.startswith(prefix) for prefix in args.only)

        if wanted("startup"):
            results.append(startup_case(args.repeat, tmpdir, env))
        for cols, rows in ((80, 24), (160, 50)):
            case = f"demo-{cols}x{rows}"
            if wanted(case):
                db = str(tmpdir / f"{case}.db")
                results.append(
                    pty_case(
                        case,
                        [*WARROOM, "demo", "--seed", "1", "--db", db],
                        cols,
                        rows,
                        args.duration,
                        env,
                        # steady state: after the first minute's news (the drill declared, the
                        # first detections written, every panel filled)
                        settle=30.0,
                    )
                )
        if wanted("healthy"):
            servers = subprocess.Popen(
                [PY, str(HERE / "local_services.py"), "8"], stdout=subprocess.PIPE, text=True
            )
            try:
                ports = [int(servers.stdout.readline()) for _ in range(8)]  # type: ignore[union-attr]
                config = healthy_config(ports, tmpdir)
                db = str(tmpdir / "healthy.db")
                results.append(
                    pty_case(
                        "healthy-8-160x50",
                        [*WARROOM, "--config", str(config), "--db", db],
                        160,
                        50,
                        args.duration,
                        env,
                        # steady state: after the first 8 checks (40 s) have filled the
                        # Recent column, only latencies and the clock change
                        settle=45.0,
                    )
                )
            finally:
                servers.kill()
                servers.wait()
        for case, script in (
            ("store", "bench_store.py"),
            ("actions", "bench_actions.py"),
            ("kube-scale", "bench_kube_scale.py"),
        ):
            if wanted(case) and (HERE / script).exists():
                results.append(script_case(case, script))
        if wanted("health-scale"):
            out = subprocess.run(
                [PY, str(HERE / "bench_health_scale.py"), "--json"],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=1200,
            )
            if out.returncode != 0:
                raise SystemExit(f"health-scale: {out.stderr.strip()[-500:]}")
            for r in json.loads(out.stdout):
                results.append({"case": f"health-scale-{r.pop('services')}", **r})
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"# warroom benchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)\n")
    if any("bytes_per_s" in r for r in results):
        print("| case | terminal | first paint | CPU | bytes/s | peak RSS |")
        print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        if "bytes_per_s" in r:
            print(
                f"| {r['case']} | {r['terminal']} | {r['first_paint_s']:.2f} s | {r['cpu_pct']:.2f} % "
                f"| {r['bytes_per_s']:.0f} | {r['rss_mb']:.0f} MB |"
            )
    for r in results:
        if r["case"].startswith("startup"):
            print(
                f"\n{r['case']}: first paint, median of {len(r['demo_runs_s'])}: bare Textual app "
                f"{r['bare_first_paint_s']:.2f} s, `warroom demo` {r['demo_first_paint_s']:.2f} s, "
                f"ratio {r['ratio']:.2f} (goal <= {GOALS['startup_ratio']}); CPU until then "
                f"{r['bare_cpu_s']:.2f} s / {r['demo_cpu_s']:.2f} s"
            )
        elif "bytes_per_s" not in r:
            figures = ", ".join(f"{k} = {v}" for k, v in r.items() if k != "case")
            print(f"\n{r['case']}: {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
