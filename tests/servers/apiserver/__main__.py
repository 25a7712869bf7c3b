"""`python -m tests.servers.apiserver`: the test API server as a program, seeded at scale, for
benchmarks and walks in tmux (kubectl and warroom pointed at the kubeconfig it writes).

    python -m tests.servers.apiserver --pods 10000 --namespaces 50 --port 8001 --kubeconfig kc.json
    python -m tests.servers.apiserver --pods 200 --deployments 1 --churn 10 --tls tls-dir

It prints `url=...` and `kubeconfig=...` lines, then serves until interrupted (SIGINT, SIGTERM).
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
    crash-looping, pending or creating, of various ages and apps, on 20 nodes."""
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
        out.append(pod)
    return out


def churn(api: ApiServer, rate: float, stop: threading.Event) -> None:
    """`rate` changes a second to random pods: a label flips (a MODIFIED per change)."""
    rng = random.Random(11)
    keys = [(s.obj["metadata"]["namespace"], s.obj["metadata"]["name"]) for s in api.store.items("pods")]
    n = 0
    while keys and not stop.wait(1.0 / rate):
        ns, name = rng.choice(keys)
        n += 1
        api.patch("pods", ns, name, {"metadata": {"labels": {"churn": str(n)}}})


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
    if args.churn > 0:
        threading.Thread(target=churn, args=(api, args.churn, stop), daemon=True).start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
