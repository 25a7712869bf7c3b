"""The detector: what the polls see, damped into the changes worth recording."""

from datetime import timedelta

from tests.ui.fakes import T0, cluster, health, pod, service
from tui.config.schema import DetectionConfig
from tui.core.model import SloSnapshot, SloStatus
from tui.domain.detection import Detector

AT_ONCE = DetectionConfig(hold_s=0)


def seconds(n: float):
    return T0 + timedelta(seconds=n)


def down(name: str = "api"):
    return health(service(name, "DOWN", "connection refused", None))


def up(name: str = "api"):
    return health(service(name))


def slo(state: str, burn: float | None = 20.0) -> SloSnapshot:
    return SloSnapshot((SloStatus("API availability", "ratio", 99.9, state, 0.02, "30d", -0.1, burn),))


def test_service_down_is_detected_once_and_its_recovery_too():
    d = Detector(AT_ONCE)
    assert d.health(up(), T0) == []
    found = d.health(down(), T0)
    assert [(x.key, x.level) for x in found] == [("service:api", "problem")]
    assert "connection refused" in found[0].text
    assert d.health(down(), T0) == []
    back = d.health(up(), T0)
    assert [(x.key, x.level) for x in back] == [("service:api", "ok")]
    assert "recovered" in back[0].text


def test_first_sight_of_a_problem_counts_but_first_sight_of_health_does_not():
    d = Detector(AT_ONCE)
    assert len(d.health(health(service("a", "DOWN"), service("b")), T0)) == 1


def test_a_state_is_recorded_only_once_it_held_and_at_the_time_it_began():
    d = Detector(DetectionConfig(hold_s=10))
    assert d.health(up(), seconds(0)) == []
    assert d.health(down(), seconds(5)) == []  # one bad poll is not an outage
    assert d.health(down(), seconds(10)) == []
    [found] = d.health(down(), seconds(15))
    assert found.level == "problem" and found.at == seconds(5)  # the first signal, not the hold's end
    assert d.health(up(), seconds(20)) == []  # recoveries hold too
    [back] = d.health(up(), seconds(30))
    assert back.level == "ok" and back.at == seconds(20)


def test_a_blip_shorter_than_the_hold_writes_nothing():
    d = Detector(DetectionConfig(hold_s=10))
    d.health(up(), seconds(0))
    assert d.health(down(), seconds(5)) == []
    assert d.health(up(), seconds(8)) == []
    assert d.health(up(), seconds(60)) == []


def test_flapping_is_recorded_once_with_a_count_and_then_its_settling():
    """The redis-down shape: a pod alternating CrashLoopBackOff / Running every few seconds."""
    d = Detector(DetectionConfig(hold_s=10, flap_changes=4, flap_window_s=120))
    crash = cluster(pod("redis-0", "CrashLoopBackOff", workload="redis"))
    running = cluster(pod("redis-0", "Running", workload="redis"))
    found = []
    for step in range(80):  # four minutes of polls every 3 s, the state changing every 6 s
        found += d.pods(crash if (step // 2) % 2 == 0 else running, seconds(3 * step))
    assert [x.level for x in found] == ["flapping"]
    assert "flapping" in found[0].text and "changes" in found[0].text
    assert found[0].data["changes"] >= 4
    settled = []
    for step in range(80, 100):  # healed: it stays running
        settled += d.pods(running, seconds(3 * step))
    assert [x.level for x in settled] == ["ok"]


def test_down_to_degraded_is_a_warning_not_a_recovery():
    d = Detector(AT_ONCE)
    d.health(down(), T0)
    [found] = d.health(health(service("api", "DEGRADED", "p99 1.8 s")), seconds(1))
    assert found.level == "warning"
    assert "recovered" not in found.text and "DEGRADED" in found.text and "was DOWN" in found.text
    [back] = d.health(up(), seconds(2))
    assert back.level == "ok"


def test_degraded_and_slo_warn_are_detected_as_warnings():
    """The bad-deploy scenario's first signals: a DEGRADED service and an SLO burning while WARN."""
    d = Detector(AT_ONCE)
    d.health(up(), T0)
    [degraded] = d.health(health(service("api", "DEGRADED", "slow")), seconds(1))
    assert degraded.level == "warning" and degraded.problem
    d.slos(slo("OK"), T0)
    [warn] = d.slos(slo("WARN", 132.0), seconds(1))
    assert warn.level == "warning" and "132.0× budget" in warn.text
    [breach] = d.slos(slo("BREACH", 140.0), seconds(2))
    assert breach.level == "problem" and "in breach" in breach.text
    assert d.slos(slo("UNKNOWN"), seconds(3)) == []  # no data is not a recovery
    [calmer] = d.slos(slo("WARN"), seconds(4))
    assert calmer.level == "warning" and "was in breach" in calmer.text


def test_crashloop_is_detected_per_deployment_not_per_pod():
    d = Detector(AT_ONCE)
    snap = cluster(
        pod("api-gateway-7d9f8b6c5-aaaaa", "CrashLoopBackOff", workload="api-gateway"),
        pod("api-gateway-7d9f8b6c5-bbbbb", "CrashLoopBackOff", workload="api-gateway"),
        pod("auth-5c6d7e8f9-ccccc", workload="auth"),
    )
    found = d.pods(snap, T0)
    assert [x.key for x in found] == ["deployment:lomash-wood/api-gateway"]
    assert "2 pod(s)" in found[0].text
    healed = d.pods(
        cluster(pod("api-gateway-1-x", workload="api-gateway"), pod("auth-1-y", workload="auth")), T0
    )
    assert [(x.key, x.level) for x in healed] == [("deployment:lomash-wood/api-gateway", "ok")]


def test_the_same_pods_snapshot_again_is_observed_only_while_a_hold_runs():
    """A watched cluster hands over the very same snapshot until something changes: seen
    again, it still ends a hold that is running, and once all is reported it costs nothing."""
    d = Detector(DetectionConfig(hold_s=10))
    snap = cluster(pod("api-gateway-7d9f8b6c5-aaaaa", "CrashLoopBackOff", workload="api-gateway"))
    assert d.pods(snap, seconds(0)) == []  # held
    [found] = d.pods(snap, seconds(11))  # the same object, the hold over: reported
    assert found.key == "deployment:lomash-wood/api-gateway"
    assert d.pods(snap, seconds(12)) == []
    assert d._pods_quiet is snap  # settled: observing it again is skipped


def test_hostile_names_are_cleaned_in_detection_text():
    d = Detector(AT_ONCE)
    found = d.health(health(service("api\x1b]0;x\x07", "DOWN", "\x1b[2Jboom")), T0)
    assert "\x1b" not in found[0].text and "boom" in found[0].text


def test_flapping_begins_where_it_left_the_last_reported_state():
    """On the timeline, flapping sits after what was reported before it, not at the first
    change of its window (which may be an outage already recorded and recovered)."""
    d = Detector(DetectionConfig(hold_s=10, flap_changes=4, flap_window_s=300))
    d.health(up(), seconds(0))
    d.health(down(), seconds(10))
    [first] = d.health(down(), seconds(20))  # DOWN from 10 s, held
    assert d.health(up(), seconds(40)) == []
    [back] = d.health(up(), seconds(50))  # recovered from 40 s
    assert (first.level, back.level) == ("problem", "ok")
    found = []
    for n, state in enumerate([down, up, down, up, down]):  # from 60 s, a change every 2 s
        found += d.health(state(), seconds(60 + 2 * n))
    [flapping] = found
    assert flapping.level == "flapping" and flapping.at == seconds(60)


def test_a_crash_loop_from_the_start_is_flapping_from_its_first_sight():
    d = Detector(DetectionConfig(hold_s=10, flap_changes=4))
    found = []
    for n in range(6):
        found += d.health(down() if n % 2 == 0 else up(), seconds(3 * n))
    assert [(x.level, x.at) for x in found] == [("flapping", seconds(0))]
