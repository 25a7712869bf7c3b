from tests.ui.fakes import T0, cluster, health, pod, service
from tui.detection import Detector
from tui.model import SloSnapshot, SloStatus


def test_service_down_is_detected_once_and_its_recovery_too():
    d = Detector()
    assert d.health(health(service("api")), T0) == []
    down = d.health(health(service("api", "DOWN", "connection refused", None)), T0)
    assert [(x.key, x.problem) for x in down] == [("service:api", True)]
    assert "connection refused" in down[0].text
    assert d.health(health(service("api", "DOWN", "connection refused", None)), T0) == []
    up = d.health(health(service("api")), T0)
    assert [(x.key, x.problem) for x in up] == [("service:api", False)]


def test_first_sight_of_a_problem_counts_but_first_sight_of_health_does_not():
    d = Detector()
    assert len(d.health(health(service("a", "DOWN"), service("b")), T0)) == 1


def test_crashloop_is_detected_per_deployment_not_per_pod():
    d = Detector()
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
    assert [(x.key, x.problem) for x in healed] == [("deployment:lomash-wood/api-gateway", False)]


def test_slo_breach_and_recovery():
    d = Detector()

    def snap(state: str) -> SloSnapshot:
        return SloSnapshot((SloStatus("API availability", "ratio", 99.9, state, 0.02, "30d", -0.1, 20.0),))

    assert d.slos(snap("OK"), T0) == []
    breach = d.slos(snap("BREACH"), T0)
    assert breach[0].problem and "20.0× budget" in breach[0].text
    assert d.slos(snap("UNKNOWN"), T0) == []  # no data is not a recovery
    assert d.slos(snap("WARN"), T0)[0].problem is False


def test_hostile_names_are_cleaned_in_detection_text():
    d = Detector()
    found = d.health(health(service("api\x1b]0;x\x07", "DOWN", "\x1b[2Jboom")), T0)
    assert "\x1b" not in found[0].text and "boom" in found[0].text


def test_active_problems_are_kept_with_their_first_time_until_they_recover():
    from datetime import timedelta

    from tests.ui.fakes import T0, health, service
    from tui.detection import Detector

    detector = Detector()
    detector.health(health(service("api", "DOWN", "refused", None)), T0)
    detector.health(health(service("api", "DOWN", "refused", None)), T0 + timedelta(seconds=30))
    [problem] = detector.active()
    assert problem.key == "service:api" and problem.at == T0
    detector.health(health(service("api")), T0 + timedelta(seconds=60))
    assert detector.active() == []
