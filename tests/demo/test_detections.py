"""What each demo scenario writes to the record by itself: its sources polled at their own
cadence for ten simulated minutes through the app's detector with the default damping. The
record must read as a story, not a log: each subject a few times at most, the crash loops as
flapping, and the first signal early."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.demo.helpers import start
from tui.demo.scenarios import SCENARIOS
from tui.domain.detection import Detection, Detector

MINUTES = 10


async def detections(scenario: str) -> list[tuple[float, Detection]]:
    """(simulated seconds since start, detection) for every detection the app would record."""
    demo = start(scenario, started_ago_s=0.0)
    detector = Detector()
    checks = {"health": detector.health, "pods": detector.pods, "slos": detector.slos}
    found = []
    for second in range(MINUTES * 60):
        for name, check in checks.items():
            if second % int(demo.sources[name].interval_s) == 0:
                snap = await demo.sources[name].poll()
                found += [(float(second), d) for d in check(snap, demo.clock.now())]
        demo.advance(1)
    return found


@pytest.mark.parametrize("scenario", [s.name for s in SCENARIOS])
async def test_a_scenario_writes_a_story_not_a_log(scenario: str) -> None:
    found = await detections(scenario)
    assert found, "the outage is detected"
    per_subject = Counter(d.key for _, d in found)
    # Without damping, redis-down wrote 46 events in 4 minutes, most of them one pod's crash loop.
    assert max(per_subject.values()) <= 4, per_subject
    assert len(found) <= 3 * len(per_subject), [d.text for _, d in found]


async def test_a_crash_loop_is_one_flapping_event() -> None:
    found = await detections("redis-down")
    redis = [d for _, d in found if d.key.endswith("/redis-master")]
    assert redis and redis[0].level in ("flapping", "problem"), [d.text for _, d in found]
    assert sum(d.level == "flapping" for d in redis) <= 1


async def test_the_bad_deploy_is_detected_at_its_first_signal() -> None:
    """order-payment-service goes DEGRADED and Checkout burns budget while still WARN: both are
    on the record as warnings when they begin, long before any breach."""
    found = await detections("bad-deploy")
    first_at, first = found[0]
    assert first.level == "warning", [d.text for _, d in found]
    breach = [at for at, d in found if d.level == "problem"]
    assert not breach or first_at < breach[0]
    assert first_at <= 120, f"first signal recorded only after {first_at} s"
