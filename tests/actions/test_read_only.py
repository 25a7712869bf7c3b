"""The enumeration test: every registered action, of every kind, dispatched in read-only mode,
raises ReadOnlyError; none runs and nothing is written (k9s leaked dangerous actions into its
read-only mode twice because it guarded view by view; here one dispatcher guards them all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actions import (
    ActiveIncident,
    Dispatcher,
    ReadOnlyError,
    Registry,
    StoreIncidents,
    Target,
    config_actions,
    kubernetes_actions,
)
from actions.demo import demo_actions
from tests.actions.conftest import command, touch_argv
from tests.servers.http import HttpServer, reply
from tests.timebase import T0
from tui.config.schema import ActionConfig
from tui.core.clock import FrozenClock
from tui.demo.platform import DemoControl, DemoPlatform
from tui.incident.service import Incidents
from tui.incident.store import IncidentStore


class SpyControl(DemoControl):
    """The demo's control, noting every call that reaches it."""

    def __init__(self, platform: DemoPlatform) -> None:
        super().__init__(platform)
        self.calls: list[str] = []

    async def rollout_restart(self, namespace: str, deployment: str) -> str:
        self.calls.append("rollout_restart")
        return await super().rollout_restart(namespace, deployment)

    async def rollout_undo(self, namespace: str, deployment: str) -> str:
        self.calls.append("rollout_undo")
        return await super().rollout_undo(namespace, deployment)

    async def scale(self, namespace: str, deployment: str, replicas: int) -> str:
        self.calls.append("scale")
        return await super().scale(namespace, deployment, replicas)

    async def delete_pod(self, namespace: str, pod: str) -> str:
        self.calls.append("delete_pod")
        return await super().delete_pod(namespace, pod)

    async def mitigate(self, name: str, target: str = "") -> str:
        self.calls.append(f"mitigate {name}")
        return await super().mitigate(name, target)


class CountingProvider:
    def __init__(self, inner: StoreIncidents) -> None:
        self.inner = inner
        self.asked = 0

    async def active(self) -> ActiveIncident | None:
        self.asked += 1
        return await self.inner.active()


def _configs(tmp_path: Path, server: HttpServer) -> list[ActionConfig]:
    m = tmp_path / "markers"
    m.mkdir()
    return [
        command("Global command", touch_argv(m / "global")),
        command("Shell command", f"touch {m}/shell-{{pod}}", scope="pod"),
        command("Deployment command", [*touch_argv(m / "deployment"), "{deployment}"], scope="deployment"),
        command("Service command", [*touch_argv(m / "service"), "{service}"], scope="service"),
        command("Log line command", touch_argv(m / "log-line"), scope="log line"),
        ActionConfig(
            name="Disable flag",
            http={"method": "POST", "url": server.url("/flags/{service}/off")},
            scope="service",
        ),
        ActionConfig(
            name="Status page", http={"method": "PUT", "url": server.url("/status"), "body": {"s": "x"}}
        ),
    ]


@pytest.mark.parametrize("store_mode", ["observer store (mode=ro)", "writable store"])
async def test_no_action_runs_or_writes_in_read_only_mode(
    tmp_path: Path, server: HttpServer, store_mode: str
) -> None:
    path = tmp_path / "incidents.db"
    async with await IncidentStore.open(path) as writer:  # the commander declared an incident
        await Incidents(writer).declare("Checkout 5xx", "SEV1")
    server.routes["/flags/api-gateway/off"] = server.routes["/status"] = reply(200)

    platform = DemoPlatform(None, 7, FrozenClock(T0))
    control = SpyControl(platform)
    registry = Registry(
        [*kubernetes_actions(control), *config_actions(_configs(tmp_path, server)), *demo_actions(control)]
    )
    assert {a.kind for a in registry} == {"kubernetes", "command", "http", "demo"}
    assert len(registry) == 4 + 7 + 5

    snap = platform.cluster()
    gateway = next(d for d in snap.deployments if d.name == "api-gateway")
    pod = next(p for p in snap.pods if p.workload == "api-gateway")
    targets = {
        "global": Target.none("demo"),
        "service": Target.of_service(
            "api-gateway", context="demo", namespace="lomash-wood", deployment="api-gateway"
        ),
        "deployment": Target.of_deployment(
            "demo", gateway.namespace, gateway.name, replicas=gateway.replicas, revision=gateway.revision
        ),
        "pod": Target.of_pod("demo", pod.namespace, pod.name, deployment="api-gateway"),
        "log_line": Target.of_log_line(
            "ERROR upstream timed out",
            context="demo",
            namespace="lomash-wood",
            pod=pod.name,
            service="api-gateway",
        ),
    }

    store = await IncidentStore.open(path, read_only=store_mode.startswith("observer"))
    provider = CountingProvider(StoreIncidents(Incidents(store)))
    dispatcher = Dispatcher(registry, provider, read_only=True, clock=FrozenClock(T0))
    before = await store.count(1)
    refused = []
    for action in registry:
        target = targets[action.scope]
        inputs = action.defaults(target)
        action.check(target, inputs)  # valid: read-only is the only reason left to refuse
        assert action.confirmation(target).target  # the UI could still show what it would do
        for how in (action, action.id):
            with pytest.raises(ReadOnlyError, match=r"^read-only: .* was not run$"):
                await dispatcher.dispatch(how, target, inputs)
        # refused before any check: an unfit target and bad inputs get the same answer
        with pytest.raises(ReadOnlyError):
            await dispatcher.dispatch(action, Target.none(), {"replicas": -1})
        refused.append(action.id)
    await store.close()

    assert refused == [a.id for a in registry]
    assert control.calls == [] and platform.world.pending == []  # the (simulated) world untouched
    assert list((tmp_path / "markers").iterdir()) == []  # no command ran
    assert server.seen == []  # no request sent
    assert provider.asked == 0  # the record was not even read
    assert dispatcher.running() == ()
    async with await IncidentStore.open(path, read_only=True) as observer:
        assert await observer.count(1) == before == 1  # only the declaration
        assert [i.id for i in await observer.incidents()] == [1]


def test_read_only_cannot_be_switched_off() -> None:
    dispatcher = Dispatcher(Registry(), _NoProvider(), read_only=True)
    with pytest.raises(AttributeError):
        dispatcher.read_only = False  # type: ignore[misc]
    assert dispatcher.read_only


class _NoProvider:
    async def active(self) -> Any:
        raise AssertionError("not asked in read-only mode")
