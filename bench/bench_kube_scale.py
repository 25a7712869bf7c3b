"""The Pods panel at k9s scale: 10 000 pods in 50 namespaces on the project's test API server
(tests/servers/apiserver, in this process's threads), `warroom --config` with
`[cluster] namespaces = ["*"]` in a real pseudo-terminal at 160x50, side by side with
`kubectl get pods -A` against the same server in the same run.

Measures:
- `kubectl get pods -A`: process start to its exit (the whole table printed), median of 3;
- warroom: process start to the first pod row drawn (the table's first paint), the first
  failing pod being first (unhealthy first);
- CPU of warroom's process tree and of its UI thread with nothing changing (idle), then with
  10 pod changes a second; RSS;
- a burst of 1 000 pod changes, and how fast `?` (help) and `escape` answer while it lands.

    python bench/bench_kube_scale.py [--pods 10000] [--namespaces 50] [--window 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from pty_measure import KeyRunner, key_figures, rss_kib, thread_cpu_s, tree_cpu  # noqa: E402

from tests.servers import kube  # noqa: E402
from tests.servers.apiserver import ApiServer  # noqa: E402

PY = sys.executable
COLS, ROWS = 160, 50
FAILING_EVERY = 97  # one pod in 97 crash-loops: the rows a reader looks for first


def pod_name(ns: int, i: int) -> str:
    return f"svc-{i % 40:02d}-7d4b9c8f6-{ns:02d}{i:04d}"


def seed(api: ApiServer, pods: int, namespaces: int) -> str:
    """`pods` pods spread over `namespaces`; returns the name of the pod that sorts first
    (the first failing one: namespace, then name)."""
    objects = []
    failing: list[tuple[str, str]] = []
    for n in range(pods):
        ns, i = n % namespaces, n // namespaces
        namespace, name = f"team-{ns:02d}", pod_name(ns, i)
        crash = n % FAILING_EVERY == 0
        if crash:
            failing.append((namespace, name))
        state = "crashloop" if crash else "running"
        objects.append(
            kube.pod(name, namespace, state=state, app=f"svc-{i % 40:02d}", restarts=7 if crash else 0)
        )
    api.seed(*objects)
    return min(failing)[1]


def kubectl_get_all(kubeconfig: Path, cache: Path, repeat: int = 3) -> tuple[float, int]:
    times, lines = [], 0
    for _ in range(repeat):
        t0 = time.monotonic()
        done = subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), "get", "pods", "-A"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        times.append(time.monotonic() - t0)
        if done.returncode != 0:
            raise SystemExit(f"kubectl failed: {done.stderr.strip()}")
        lines = len(done.stdout.splitlines()) - 1
    return statistics.median(times), lines


class Churn:
    """Pod changes from a thread: the restart count of a running pod goes up (what a watch
    delivers as MODIFIED), `per_s` a second, until stopped."""

    def __init__(self, api: ApiServer, names: list[tuple[str, str]]) -> None:
        self.api, self.names = api, names
        self.count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def one(self) -> None:
        namespace, name = self.names[self.count % len(self.names)]
        self.count += 1
        self.api.patch("pods", namespace, name, {"metadata": {"labels": {"bench-change": str(self.count)}}})

    def start(self, per_s: float) -> None:
        def run() -> None:
            next_at = time.monotonic()
            while not self._stop.is_set():
                self.one()
                next_at += 1 / per_s
                self._stop.wait(max(0.0, next_at - time.monotonic()))

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def cpu_over(r: KeyRunner, window: float) -> tuple[float, float]:
    """CPU % of warroom's process tree and of its UI thread over `window` seconds."""
    pid = r.proc.pid  # type: ignore[union-attr]
    _, sched0 = tree_cpu(pid)
    ui0 = thread_cpu_s(pid, pid)
    t0 = time.monotonic()
    r.drain_for(window)
    took = time.monotonic() - t0
    _, sched1 = tree_cpu(pid)
    ui1 = thread_cpu_s(pid, pid)
    return round((sched1 - sched0) / took * 100, 1), round((ui1 - ui0) / took * 100, 1)


def case(pods: int, namespaces: int, window: float, tmp: Path, listed: bool = False) -> dict:
    with ApiServer(controller=False) as api:
        t0 = time.monotonic()
        first = seed(api, pods, namespaces)
        seeded_s = time.monotonic() - t0
        kubeconfig = api.kubeconfig(tmp / "kubeconfig", namespace=None)
        kubectl_s, kubectl_rows = kubectl_get_all(kubeconfig, tmp / "kube-cache")
        config = tmp / "warroom.toml"
        scope = ", ".join(f'"team-{n:02d}"' for n in range(namespaces)) if listed else '"*"'
        config.write_text(
            f'[cluster]\nkubeconfig = "{kubeconfig}"\nnamespaces = [{scope}]\n', encoding="utf-8"
        )
        args = argparse.Namespace(
            rows=ROWS,
            cols=COLS,
            term="xterm-256color",
            truecolor=True,
            answer_queries=False,
            env=[f"XDG_STATE_HOME={tmp / 'state'}", "TEXTUAL_ANIMATIONS=none"],
            command=[PY, "-m", "tui", "--config", str(config), "--db", str(tmp / "k.db")],
            startup_timeout=120.0,
            marker="Timeline",
            quit_keys="\\x11",
        )
        running = [
            (f"team-{n % namespaces:02d}", pod_name(n % namespaces, n // namespaces))
            for n in range(1, pods, 7)
        ]
        churn = Churn(api, [p for p in running if p[1] != first])
        r = KeyRunner(args)
        r.spawn()
        try:
            _, frame = r.wait_first_paint()
            table = r.wait_for(first)
            r.drain_for(5.0)
            idle_cpu, idle_ui = cpu_over(r, window)
            churn.start(10.0)
            r.drain_for(2.0)
            churn_cpu, churn_ui = cpu_over(r, window)
            churn.stop()
            rss = rss_kib(r.proc.pid)  # type: ignore[union-attr]
            r.drain_for(2.0)
            keys: dict[str, list[float]] = {"help": [], "back": []}
            for _ in range(3):
                burst = threading.Thread(target=lambda: [churn.one() for _ in range(1000)], daemon=True)
                burst.start()
                keys["help"].append(r.key("?", "warroom keys"))
                keys["back"].append(r.key("\x1b", "Timeline"))
                burst.join()
                r.drain_for(2.0)
        finally:
            r.quit()
    out: dict = {
        "pods": pods,
        "scope": "each namespace listed" if listed else '"*"',
        "namespaces": namespaces,
        "terminal": f"{COLS}x{ROWS}",
        "seeded_s": round(seeded_s, 2),
        "kubectl_get_pods_A_s": round(kubectl_s, 2),
        "kubectl_rows": kubectl_rows,
        "first_paint_frame_s": round(frame, 2),
        "first_paint_table_s": round(table, 2),
        "table_vs_kubectl": round(table / kubectl_s, 2),
        "idle_cpu_pct": idle_cpu,
        "idle_ui_cpu_pct": idle_ui,
        "churn_10_per_s_cpu_pct": churn_cpu,
        "churn_10_per_s_ui_cpu_pct": churn_ui,
        "rss_mb": round(rss.get("VmRSS", 0) / 1024, 1),
        "peak_rss_mb": round(rss.get("VmHWM", 0) / 1024, 1),
    }
    out.update(key_figures(keys, "burst_"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--window", type=float, default=20.0, help="steady window for CPU, s")
    parser.add_argument("--listed", action="store_true", help='name every namespace instead of "*"')
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = case(args.pods, args.namespaces, args.window, Path(tmp), args.listed)
    print(json.dumps(result, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    sys.exit(main())
