"""`python -m tests.servers.apiserver`: the test API server as a program, seeded at scale, for
benchmarks and walks in tmux (kubectl and warroom pointed at the kubeconfig it writes).

    python -m tests.servers.apiserver --pods 10000 --namespaces 50 --port 8001 --kubeconfig kc.json
    python -m tests.servers.apiserver --pods 200 --deployments 1 --churn 10 --tls tls-dir

It prints `url=...` and `kubeconfig=...` lines, then serves until interrupted (SIGINT, SIGTERM)
or told `quit`. Commands on standard input, one a line, each answered `ok ...`:

    burst N          N pod changes at once (a container restarts: RESTARTS and its age move)
    churn R          R pod changes a second from now on (0: none)
    restart [empty]  stop and start on the same port (`empty`: without the state)
    compact          forget the watch history (a resuming watch gets 410)
    quit
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.servers import kube
from tests.servers.apiserver.server import ApiServer

STATES = ["running"] * 17 + ["crashloop", "pending", "waiting"]


def population(pods: int, namespaces: int, seed: int = 7) -> list[dict[str, Any]]:
    """`pods` pods over `namespaces` namespaces (ns-00, ns-01, ...): mostly running, some
    crash-looping, pending or creating, of various ages and apps, on 20 nodes, with pod IPs; a
    restarted container last ended a while ago (kubectl's RESTARTS `7 (91s ago)`)."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for i in range(pods):
        ns = f"ns-{i % namespaces:02}"
        app = f"app-{(i // namespaces) % 40:02}"
        state = rng.choice(STATES)
        pod = kube.pod(
            f"{app}-{i:05}",
            ns,
            state=state,
            app=app,
            restarts=rng.choice([0, 0, 0, 1, 7]) if state != "pending" else 0,
            node=f"node-{rng.randrange(20) + 1}",
            created=now - timedelta(seconds=rng.randrange(60, 30 * 86400)),
        )
        if state != "pending":
            pod["status"]["podIP"] = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        for status in pod["status"].get("containerStatuses") or []:
            if status["restartCount"]:
                ended = now - timedelta(seconds=rng.randrange(30, 3 * 86400))
                stamp = ended.strftime("%Y-%m-%dT%H:%M:%SZ")
                status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": stamp}}
        out.append(pod)
    return out


def _restart_one(pod: dict[str, Any], n: int) -> None:
    """The pod's first container restarted just now (a pod without containers running gets a
    label changed instead)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if statuses:
        first = statuses[0]
        first["restartCount"] = int(first.get("restartCount") or 0) + 1
        first["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "startedAt": now, "finishedAt": now}
        }
    else:
        pod.setdefault("metadata", {}).setdefault("labels", {})["churn"] = str(n)


class Churn:
    """Pod changes at a rate (set at any time), in a thread."""

    def __init__(self, api: ApiServer, rate: float, stop: threading.Event) -> None:
        self.api, self.rate, self.stop = api, rate, stop
        self.rng = random.Random(11)
        self.changes = 0
        threading.Thread(target=self._run, daemon=True, name="churn").start()

    def keys(self) -> list[tuple[str, str]]:
        return [
            (s.obj["metadata"]["namespace"], s.obj["metadata"]["name"]) for s in self.api.store.items("pods")
        ]

    def change(self, n: int) -> None:
        keys = self.keys()
        for _ in range(n if keys else 0):
            ns, name = self.rng.choice(keys)
            self.changes += 1
            try:
                self.api.mutate("pods", ns, name, lambda pod: _restart_one(pod, self.changes))
            except Exception:  # deleted meanwhile (a controller's pod): take another next time
                keys = self.keys()

    def _run(self) -> None:
        while not self.stop.is_set():
            if self.rate <= 0:
                self.stop.wait(0.2)
                continue
            self.change(1)
            self.stop.wait(1.0 / self.rate)


def commands(api: ApiServer, churn: Churn, stop: threading.Event) -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "burst":
                churn.change(int(words[1]))
                print(f"ok burst {words[1]} rv={api.resource_version}", flush=True)
            elif words[0] == "churn":
                churn.rate = float(words[1])
                print(f"ok churn {churn.rate:g}", flush=True)
            elif words[0] == "restart":
                api.restart(keep_state=words[1:] != ["empty"])
                print(f"ok restart rv={api.resource_version}", flush=True)
            elif words[0] == "compact":
                print(f"ok compact floor={api.compact()}", flush=True)
            elif words[0] == "quit":
                print("ok quit", flush=True)
                stop.set()
                return
            else:
                print(f"unknown command: {line.strip()}", flush=True)
        except (IndexError, ValueError) as err:
            print(f"bad command: {line.strip()} ({err})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.servers.apiserver", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=5)
    parser.add_argument("--deployments", type=int, default=0, help="deployments of 3 replicas per namespace")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--kubeconfig", type=Path, default=None)
    parser.add_argument("--token", default=kube.TOKEN)
    parser.add_argument(
        "--tls", type=Path, default=None, help="a directory for a CA and a certificate (HTTPS)"
    )
    parser.add_argument("--churn", type=float, default=0.0, help="pod changes per second")
    parser.add_argument("--bookmark-interval", type=float, default=60.0)
    parser.add_argument("--no-controller", action="store_true")
    args = parser.parse_args(argv)

    context = ca_file = None
    if args.tls is not None:
        from tests.servers.tls import ca_signed

        tls = ca_signed(args.tls)
        context, ca_file = tls.server, tls.ca_file
    api = ApiServer(
        port=args.port,
        tls=context,
        controller=not args.no_controller,
        bookmark_interval=args.bookmark_interval,
    )
    started = time.monotonic()
    api.seed(*population(args.pods, args.namespaces))
    for n in range(args.namespaces):
        for d in range(args.deployments):
            dep = kube.deployment(f"web-{d}", f"ns-{n:02}")
            del dep["status"]
            api.seed(dep)
    seeded = time.monotonic() - started
    api.start()
    print(f"url={api.url}", flush=True)
    print(f"seeded={args.pods} pods in {args.namespaces} namespaces in {seeded:.2f}s", flush=True)
    if args.kubeconfig is not None:
        api.kubeconfig(args.kubeconfig, token=args.token, namespace=None, ca_file=ca_file)
        print(f"kubeconfig={args.kubeconfig}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    churn = Churn(api, args.churn, stop)
    threading.Thread(target=commands, args=(api, churn, stop), daemon=True, name="commands").start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
