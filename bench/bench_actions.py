"""How long from `Dispatcher.dispatch()` to `action_requested` durable on disk (the goal: a median
of at most 50 ms from the confirming key). A benchmark, not a test: it measures and prints.

The record is a real SQLite file in a temporary directory (WAL, synchronous=FULL, as warroom
runs it) holding an incident with some history; the registry holds every kind of action. The
measured action does nothing: when its run starts, the dispatcher has written and committed
`action_requested` (the store returns only after the commit), so the time from the dispatch
call to the run's first line is the time to durable. The full round trip (the result written
too) is reported beside it.

    python bench/bench_actions.py [--runs 200] [--history 2000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from actions import (  # noqa: E402
    Action,
    Dispatcher,
    Output,
    Registry,
    RunResult,
    StoreIncidents,
    Target,
    config_actions,
    kubernetes_actions,
)
from tui.config.schema import ActionConfig  # noqa: E402
from tui.core.clock import SystemClock  # noqa: E402
from tui.incident.service import Incidents  # noqa: E402
from tui.incident.store import IncidentStore  # noqa: E402

GOAL_MS = 50.0


class _NoCluster:
    """A ClusterControl that is never called: the Kubernetes actions only fill the registry."""

    context = "bench"

    async def rollout_restart(self, namespace: str, deployment: str) -> str:
        raise AssertionError("not called")

    async def rollout_undo(self, namespace: str, deployment: str) -> str:
        raise AssertionError("not called")

    async def scale(self, namespace: str, deployment: str, replicas: int) -> str:
        raise AssertionError("not called")

    async def delete_pod(self, namespace: str, pod: str) -> str:
        raise AssertionError("not called")


async def measure(runs: int, history: int, directory: Path) -> dict[str, Any]:
    store = await IncidentStore.open(directory / "incidents.db")
    incidents = Incidents(store)
    declared = await incidents.declare("Checkout 5xx after deploy", "SEV1")
    for i in range(history):  # an incident some hours old
        await incidents.note(declared.incident_id, f"note {i}: looked at the dashboards")

    started: list[float] = []

    async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
        started.append(time.perf_counter())
        return RunResult(True, "done")

    marker = Action(
        id="bench.noop", title="No-op", scope="deployment", run=run, preview=lambda t, i: "nothing"
    )
    configs = [ActionConfig(name=f"Team action {i}", command=("true",)) for i in range(5)]
    registry = Registry([*kubernetes_actions(_NoCluster()), *config_actions(configs), marker])
    dispatcher = Dispatcher(registry, StoreIncidents(incidents), read_only=False, clock=SystemClock())
    target = Target.of_deployment("bench", "lomash-wood", "api-gateway", replicas=3)

    to_durable: list[float] = []
    round_trip: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        outcome = await dispatcher.dispatch("bench.noop", target)
        t1 = time.perf_counter()
        if not outcome.ok or outcome.finished is None:
            raise SystemExit(f"dispatch failed: {outcome.text} {outcome.record_error or ''}")
        to_durable.append((started[-1] - t0) * 1000)
        round_trip.append((t1 - t0) * 1000)
    events = await store.count(declared.incident_id)
    await store.close()
    return {
        "runs": runs,
        "history_events": history,
        "events_after": events,
        "median_ms_to_requested_durable": round(statistics.median(to_durable), 2),
        "p90_ms_to_requested_durable": round(_quantile(to_durable, 0.9), 2),
        "max_ms_to_requested_durable": round(max(to_durable), 2),
        "median_ms_round_trip": round(statistics.median(round_trip), 2),
        "goal_ms": GOAL_MS,
        "within_goal": statistics.median(to_durable) <= GOAL_MS,
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--history", type=int, default=2000, help="notes in the incident before measuring")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(measure(args.runs, args.history, Path(tmp)))
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"dispatch -> action_requested durable: median {result['median_ms_to_requested_durable']} ms, "
            f"p90 {result['p90_ms_to_requested_durable']} ms, max {result['max_ms_to_requested_durable']} ms "
            f"over {result['runs']} runs (goal {GOAL_MS:g} ms); round trip median "
            f"{result['median_ms_round_trip']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
