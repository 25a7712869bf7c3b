from datetime import timedelta

from tests.ui.fakes import T0, cluster, health, pod, service, slos
from tui.domain.status_update import can_template
from tui.incident.events import Event


def event(id_: int, kind: str, text: str, minutes: int, **data) -> Event:
    at = T0 + timedelta(minutes=minutes)
    return Event(id_, 1, at, at, "alice@bastion", "human", "key", kind, text, data)


def test_can_template_is_prefilled_from_the_panels_and_recent_actions():
    events = [
        event(1, "action_requested", "rollout restart deployment/api-gateway", 1),
        event(2, "action_succeeded", "ok", 2, request=1),
        event(3, "action_requested", "scale deployment/celery-worker to 6", 20),
        event(4, "action_failed", "exit 1", 21, request=3),
    ]
    text = can_template(
        title="API gateway crash loop",
        severity="SEV1",
        status="mitigating",
        now=T0 + timedelta(minutes=30),
        health=health(service("api-gateway", "DOWN", "connection refused", None), service("auth")),
        cluster=cluster(pod("api-gateway-1-a", "CrashLoopBackOff"), pod("auth-1-b")),
        slos=slos(),
        events=events,
        last_update_at=T0 + timedelta(minutes=10),
        next_update_min=15,
    )
    assert text.startswith("[SEV1] API gateway crash loop — mitigating — 2026-11-23T03:30:00Z")
    assert "- api-gateway DOWN (connection refused)" in text
    assert "- SLO API availability BREACH (error ratio 2.30%, burn 23.0×)" in text
    assert "- SLO Celery backlog WARN (82 vs objective 50)" in text
    assert "- 1 of 2 pods not ready: 1 CrashLoopBackOff" in text
    # only actions since the last update, with their outcome
    assert "scale deployment/celery-worker to 6: FAILED" in text
    assert "rollout restart" not in text
    assert "Needs:" in text and text.endswith("Next update in 15 min.")
