"""The incident record at scale (a benchmark, not a test: it measures, it asserts nothing).

A 100 000-event incident (notes, detections, status updates, actions with outcomes, stars,
corrections, severity and status changes, as a long incident writes them) in a fresh file:
- open_last_page_ms: what a screen does to show it: open the store, find the active incident,
  fold its state (`Incidents.state`) and read the timeline's last page (`last_events(id, 2000)`);
  the median of 5 fresh opens, and the first one (goal ≤ 300 ms)
- export_md_ms / export_jsonl_ms: read every event and write the postmortem / the audit log,
  the median of 3 (goal ≤ 2 s each)
- append_median_ms / append_p95_ms: one durable append (its own BEGIN IMMEDIATE, WAL,
  synchronous=FULL), over 200 appends (goal ≤ 20 ms median)

`python bench/bench_store.py` prints the figures; `--json` prints one JSON object (bench/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.incident.export import audit_jsonl, postmortem_markdown
from tui.incident.lifecycle import fold
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore, to_db_time

EVENTS = 100_000
PAGE = 2000  # what the timeline reads (tui/incident/feed.py SHOWN_EVENTS)
APPENDS = 200
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
GOALS = {"open_last_page_ms": 300, "export_md_ms": 2000, "export_jsonl_ms": 2000, "append_median_ms": 20}


async def build(path: Path, count: int) -> int:
    """Declare through the store, then add the rest in one bulk transaction (a benchmark of
    reading must not wait for 100 000 fsyncs)."""
    store = await IncidentStore.open(path)
    try:
        incidents = Incidents(store, who=Who("alice@bastion-1"))
        incident = (await incidents.declare("Checkout 502s, a long one", "SEV2")).incident_id
        await incidents.assign_role(incident, "commander", "alice")
    finally:
        await store.close()
    rng = random.Random(1)
    rows = []
    statuses = iter(["identified", "mitigating"])
    status = "investigating"
    next_id = 3
    requests: list[int] = []
    for n in range(count - 2):
        at = to_db_time(T0 + timedelta(seconds=n * 0.5))
        roll = rng.random()
        kind, text = "note", f"note {n}: checked the api-gateway pods again"
        data, supersedes, starred = {}, None, 0
        actor, actor_kind, source = "alice@bastion-1", "human", "key"
        if roll < 0.3:
            kind, text = "detected", f"api-gateway is DOWN: connection refused ({n})"
            data = {"signal": "service", "subject": f"api-gateway-{n % 7}"}
            actor, actor_kind, source = "warroom@bastion-1", "system", "auto"
        elif roll < 0.35:
            kind, text, data = "status_update", f"Conditions: 502s. Actions: restart {n}. Needs: none", {}
        elif roll < 0.40:
            kind, text = "action_requested", f"rollout restart deployment/api-{n % 5}"
            data = {"action": "restart"}
            requests.append(next_id)
        elif roll < 0.45 and requests:
            kind = "action_succeeded" if rng.random() < 0.8 else "action_failed"
            text, data = "exit 0", {"request": requests.pop()}
        elif roll < 0.46:
            kind, text, data = "starred", f"starred #{next_id - 1}", {"event": next_id - 1, "starred": True}
        elif roll < 0.47:
            kind, text, supersedes = "corrected", f"corrected note {n}", next_id - 1
            data = {"event": next_id - 1}
        elif roll < 0.471:
            new = rng.choice(["SEV1", "SEV2", "SEV3"])
            kind, text, data = "severity_changed", f"→ {new}", {"from": "?", "to": new}
        elif n in (count // 3, 2 * count // 3):
            new = next(statuses)
            kind, text, data = "status_changed", f"{status} → {new}", {"from": status, "to": new}
            status = new
        elif roll < 0.5:
            starred = 1
        rows.append(
            (
                incident,
                at,
                at,
                actor,
                actor_kind,
                source,
                kind,
                text,
                json.dumps(data, sort_keys=True, separators=(",", ":")),
                starred,
                supersedes,
            )
        )
        next_id += 1
    conn = sqlite3.connect(path)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO events (incident_id, recorded_at, occurred_at, actor, actor_kind, source, kind, "
            "text, data, starred, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return incident


async def open_last_page(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    store = await IncidentStore.open(path)
    try:
        incident = await store.active_incident()
        assert incident is not None
        state = await Incidents(store).state(incident)
        page = await store.last_events(incident, PAGE)
        elapsed = time.perf_counter() - started
    finally:
        await store.close()
    assert len(page) == PAGE
    return elapsed, state.event_count


async def export(path: Path, incident: int, kind: str) -> tuple[float, int]:
    started = time.perf_counter()
    store = await IncidentStore.open(path, read_only=True)
    try:
        events = await store.events(incident)
    finally:
        await store.close()
    if kind == "md":
        payload = postmortem_markdown(fold(events), events, generated_at=T0 + timedelta(days=1))
    else:
        payload = "".join(f"{line}\n" for line in audit_jsonl(events))
    data = payload.encode("utf-8")
    return time.perf_counter() - started, len(data)


async def appends(path: Path, incident: int, count: int) -> list[float]:
    store = await IncidentStore.open(path)
    times = []
    try:
        for n in range(count):
            started = time.perf_counter()
            await store.append(
                incident,
                "note",
                f"append {n}",
                actor="bench@bastion-1",
                actor_kind="automation",
                source="cli",
            )
            times.append(time.perf_counter() - started)
    finally:
        await store.close()
    return times


async def measure(directory: Path, count: int) -> dict[str, object]:
    path = directory / "big.db"
    started = time.perf_counter()
    incident = await build(path, count)
    build_s = time.perf_counter() - started
    opens = [await open_last_page(path) for _ in range(5)]
    md_runs = [await export(path, incident, "md") for _ in range(3)]
    jsonl_runs = [await export(path, incident, "jsonl") for _ in range(3)]
    md_s, md_bytes = statistics.median(t for t, _ in md_runs), md_runs[0][1]
    jsonl_s, jsonl_bytes = statistics.median(t for t, _ in jsonl_runs), jsonl_runs[0][1]
    latencies = sorted(await appends(path, incident, APPENDS))
    return {
        "events": opens[0][1],
        "build_s": round(build_s, 2),
        "open_last_page_ms": round(statistics.median(t for t, _ in opens) * 1000, 1),
        "open_last_page_first_ms": round(opens[0][0] * 1000, 1),
        "export_md_ms": round(md_s * 1000, 1),
        "export_md_bytes": md_bytes,
        "export_jsonl_ms": round(jsonl_s * 1000, 1),
        "export_jsonl_bytes": jsonl_bytes,
        "append_median_ms": round(statistics.median(latencies) * 1000, 2),
        "append_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--events", type=int, default=EVENTS, help=f"events in the incident (default {EVENTS})"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(measure(Path(tmp), args.events))
    if args.json:
        print(json.dumps(figures))
        return 0
    for key, value in figures.items():
        goal = GOALS.get(key)
        verdict = ""
        if goal is not None:
            verdict = f"  (goal ≤ {goal}: {'met' if float(value) <= goal else 'MISSED'})"  # type: ignore[arg-type]
        print(f"{key:<26} {value}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
