"""The registry: each action declared once, the ones valid for a selection, the confirmation it
produces; and the demo's mitigations recorded like real ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from actions import Action, NotApplicableError, Output, Registry, RunResult, Target, config_actions
from actions.demo import demo_actions
from actions.kubernetes import kubernetes_actions
from tests.actions.conftest import Record, command
from tests.timebase import T0
from tui.config.schema import ActionConfig
from tui.core.clock import FrozenClock
from tui.demo.platform import DEMO_MITIGATIONS, DemoControl, DemoPlatform


async def _ok(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
    return RunResult(True)


def _action(action_id: str, scope: Any = "global", **kw: Any) -> Action:
    return Action(id=action_id, title=action_id, scope=scope, run=_ok, preview=lambda t, i: "", **kw)


def test_ids_are_unique_and_lookups_name_the_id() -> None:
    registry = Registry([_action("a")])
    with pytest.raises(ValueError, match="'a' is registered twice"):
        registry.register(_action("a"))
    with pytest.raises(KeyError, match="no action 'b'"):
        registry.get("b")
    assert "a" in registry and "b" not in registry and len(registry) == 1
    with pytest.raises(ValueError, match="unknown scope 'node'"):
        _action("c", "node")


def test_a_selection_and_an_action_name_their_target_one_way() -> None:
    pod = Target.of_pod("prod", "shop", "web-0", deployment="web")
    line = Target.of_log_line("GET   /v1/orders\n502", pod="web-0")
    assert [pod.label(), pod.label("deployment")] == ["pod/web-0", "deployment/web"]
    assert Target.of_service("auth").label() == "service/auth"
    assert line.label() == "log line 'GET /v1/orders 502'"
    assert Target.of_log_line("", pod="web-0").label() == "log line of web-0"
    assert Target.none().label() == ""
    # the confirmation, the menu and the record join the title and the subject the same way
    restart, failover = _action("Restart", "deployment"), _action("Failover")
    assert restart.named(restart.subject(pod), " · ") == "Restart · deployment/web"
    assert failover.named(failover.subject(pod), " · ") == "Failover"
    assert restart.confirm_text(pod) == "Restart: deployment/web (context prod · namespace shop)?"


def test_for_target_offers_what_the_selection_has() -> None:
    registry = Registry(
        [
            _action("g"),
            _action("svc", "service"),
            _action("dep", "deployment"),
            _action("pod", "pod"),
            _action("line", "log_line"),
        ]
    )
    ids = lambda t: [a.id for a in registry.for_target(t)]  # noqa: E731
    assert ids(Target.none()) == ["g"]
    assert ids(Target.of_service("auth")) == ["g", "svc"]
    assert ids(Target.of_service("auth", namespace="lomash-wood", deployment="auth")) == ["g", "svc", "dep"]
    assert ids(Target.of_deployment("prod", "shop", "web")) == ["g", "dep"]
    assert ids(Target.of_pod("prod", "shop", "web-0")) == ["g", "pod"]
    assert ids(Target.of_pod("prod", "shop", "web-0", deployment="web")) == ["g", "dep", "pod"]
    assert ids(Target.of_log_line("boom", service="auth")) == ["g", "svc", "line"]
    # a line from a pod also offers that pod's actions; their confirmation names the pod
    assert ids(Target.of_log_line("boom", pod="web-0", namespace="shop")) == ["g", "pod", "line"]
    with pytest.raises(NotApplicableError, match="dep needs a deployment; the selection has none"):
        registry.get("dep").confirmation(Target.of_pod("prod", "shop", "web-0"))


def test_config_actions_keep_name_key_confirm_and_scope() -> None:
    actions = config_actions(
        [
            command(
                "Kill idle DB connections", ["psql", "-c", "SELECT 1"], key="K", confirm="Terminate idle?"
            ),
            command("kill idle db connections!", ["true"], scope="log line", dangerous=False),
            ActionConfig(name="Flag", http={"method": "POST", "url": "http://flags.internal/x"}, timeout_s=5),
        ]
    )
    first, second, flag = actions
    assert (first.id, first.key, first.kind, first.scope) == (
        "config.kill-idle-db-connections",
        "K",
        "command",
        "global",
    )
    assert (second.id, second.scope, second.dangerous) == (
        "config.kill-idle-db-connections-2",
        "log_line",
        False,
    )
    assert (flag.id, flag.kind, flag.timeout_s) == ("config.flag", "http", 5)
    confirm = first.confirmation(Target.none("prod"))
    assert confirm.question == "Terminate idle?"
    assert confirm.preview == "psql -c 'SELECT 1'"
    assert confirm.dangerous and confirm.verb == "Run"
    assert flag.confirmation(Target.none()).question == "Flag?"


def test_config_confirm_texts_fill_their_placeholders_with_the_values_the_run_gets() -> None:
    restart, page = config_actions(
        [
            command(
                "Restart", ["systemctl", "restart", "{service}"], confirm="Restart {service} in {namespace}?"
            ),
            # {pod} is only in the question: the action needs a pod all the same.
            ActionConfig(name="Page", http={"url": "http://pager.internal/x"}, confirm="Page about {pod}?"),
        ]
    )
    checkout = Target.of_service("checkout", namespace="shop")
    confirm = restart.confirmation(checkout)
    assert confirm.question == "Restart checkout in shop?"
    assert confirm.preview == "systemctl restart checkout"
    assert "{" not in confirm.question
    assert restart.confirmation(Target.of_service("[b]x[/b]", namespace="shop")).question == (
        "Restart [b]x[/b] in shop?"  # the value as it is: the dialog shows it as text, never markup
    )
    # A selection without a value for the question's placeholder is refused before any dialog.
    assert page.refusal(checkout) == "Page needs a pod; the selection has none"
    assert page.confirmation(Target.of_pod(None, "shop", "web-0")).question == "Page about web-0?"
    # ... and a value the run would refuse (an option, control characters) is never shown either.
    for bad in ("-rf", "a\x1b]0;pwned\x07"):
        assert restart.refusal(Target.of_service(bad, namespace="shop")) is not None
        with pytest.raises(NotApplicableError):
            restart.confirmation(Target.of_service(bad, namespace="shop"))


def test_kubernetes_confirmations_name_the_exact_target() -> None:
    platform = DemoPlatform(None, 7, FrozenClock(T0))
    registry = Registry(kubernetes_actions(DemoControl(platform)))
    dep = Target.of_deployment("demo", "lomash-wood", "api-gateway", replicas=4, revision=12)
    undo = registry.get("k8s.rollout_undo").confirmation(dep)
    assert undo.question == (
        "Roll deployment/api-gateway (now revision 12) back to its previous revision "
        "in namespace lomash-wood on context demo?"
    )
    assert undo.preview == "kubectl --context demo -n lomash-wood rollout undo deployment/api-gateway"
    assert undo.verb == "Roll back" and undo.dangerous
    (replicas,) = registry.get("k8s.scale").confirmation(dep).fields
    assert (replicas.label, replicas.default, replicas.maximum) == ("Replicas (now 4)", "4", 100)
    pod = Target.of_pod("demo", "lomash-wood", "api-gateway-7d4b9c8f6-x2x9q", deployment="api-gateway")
    delete = registry.get("k8s.delete_pod").confirmation(pod)
    assert delete.target == "pod/api-gateway-7d4b9c8f6-x2x9q"
    assert delete.question == (
        "Delete pod/api-gateway-7d4b9c8f6-x2x9q in namespace lomash-wood on context demo; "
        "deployment/api-gateway will replace it?"
    )
    assert [a.key for a in registry] == ["r", "U", "s", "x"]


async def test_demo_mitigations_run_through_the_dispatcher_and_are_recorded(record: Record) -> None:
    platform = DemoPlatform(None, 7, FrozenClock(T0))
    control = DemoControl(platform)
    registry = Registry([*kubernetes_actions(control), *demo_actions(control)])
    assert [a.id for a in registry][4:] == [f"demo.{name}" for name, _, _ in DEMO_MITIGATIONS]
    dispatcher = record.dispatcher(registry)

    flag = await dispatcher.dispatch("demo.disable-feature-flag", Target.none("demo"))
    assert flag.ok and flag.subject == DEMO_MITIGATIONS[2][2]
    restart = await dispatcher.dispatch(
        "k8s.rollout_restart", Target.of_deployment("demo", "lomash-wood", "api-gateway")
    )
    assert restart.ok and len(platform.world.pending) == 1  # the simulation applies it next second
    missing = await dispatcher.dispatch(
        "k8s.rollout_restart", Target.of_deployment("demo", "lomash-wood", "nope")
    )
    assert not missing.ok and missing.output == 'deployment "lomash-wood/nope" not found'
    assert await record.kinds() == [
        "declared",
        *["action_requested", "action_succeeded"] * 2,
        "action_requested",
        "action_failed",
    ]
