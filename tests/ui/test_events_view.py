"""The Pods panel's events view (`e`): the selected pod's or workload's events, warnings first and
the newest first, with their count and how long ago they were last seen, then its namespace's
recent warnings; nothing selected: every namespace's warnings; `e` goes back; outside text shown
literally; at 80x24 and 160x50."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text

from panels.kube_events import event_line
from panels.modals import DetailScreen
from tests.ui.fakes import T0, ListSource, standard_sources
from tests.ui.harness import make_app, settle
from tui.core.model import ClusterSnapshot, DeploymentInfo, KubeEvent, PodInfo, RevisionInfo

WEB2 = PodInfo(
    "shop",
    "web-7d4b9c8f6-x2k4p",
    "web",
    "CrashLoopBackOff",
    0,
    1,
    7,
    T0 - timedelta(hours=1),
    workload_kind="Deployment",
)
WEB1 = PodInfo(
    "shop",
    "web-7d4b9c8f6-abcde",
    "web",
    "Running",
    1,
    1,
    0,
    T0 - timedelta(hours=1),
    workload_kind="Deployment",
)
DB = PodInfo("data", "db-0", "db", "Pending", 0, 1, 0, T0 - timedelta(hours=2))
WEB = DeploymentInfo(
    "shop", "web", 2, 1, 2, 1, revision=3, rollout="progressing", created_at=T0 - timedelta(days=3)
)
RS = RevisionInfo("shop", "web-7d4b9c8f6", "web", "Deployment", 3, "registry.example/web:1.3")


def ev(
    name: str,
    obj: str,
    reason: str,
    message: str,
    *,
    kind: str = "Pod",
    ns: str = "shop",
    warning: bool = False,
    count: int = 1,
    ago_s: float = 60,
) -> KubeEvent:
    return KubeEvent(
        ns,
        name,
        kind,
        obj,
        reason,
        message,
        "Warning" if warning else "Normal",
        count,
        T0 - timedelta(seconds=ago_s),
    )


EVENTS = (
    ev(
        "e1",
        WEB2.name,
        "BackOff",
        "Back-off restarting failed container app",
        warning=True,
        count=7,
        ago_s=120,
    ),
    ev(
        "e2",
        WEB2.name,
        "Pulled",
        'Container image "registry.example/web:1.3" already present',
        count=8,
        ago_s=10,
    ),
    ev(
        "e3",
        WEB2.name,
        "Unhealthy",
        "Liveness probe failed: [@click=app.quit]x\x1b]0;owned\x07",
        warning=True,
        ago_s=300,
    ),
    ev(
        "e4",
        "web-7d4b9c8f6",
        "SuccessfulCreate",
        "Created pod: web-7d4b9c8f6-x2k4p",
        kind="ReplicaSet",
        ago_s=3600,
    ),
    ev(
        "e5",
        "web",
        "ScalingReplicaSet",
        "Scaled up replica set web-7d4b9c8f6 to 2",
        kind="Deployment",
        ago_s=3700,
    ),
    ev("e6", WEB1.name, "Unhealthy", "Readiness probe failed: HTTP 503", warning=True, count=3, ago_s=30),
    ev(
        "e7",
        "db-0",
        "FailedScheduling",
        "0/3 nodes are available: 3 Insufficient memory.",
        ns="data",
        warning=True,
        count=12,
        ago_s=5,
    ),
)


def snapshot() -> ClusterSnapshot:
    return ClusterSnapshot(
        context="test", pods=(WEB2, WEB1, DB), deployments=(WEB,), revisions=(RS,), events=EVENTS
    )


def app_with(snap: ClusterSnapshot):
    sources = standard_sources()
    sources["pods"] = ListSource("kubernetes", [snap])
    return make_app(sources=sources)


def cells(table, key: str) -> dict[str, str]:
    row = table.get_row(key)
    return {col: str(getattr(c, "plain", c)) for col, c in zip(table.shown_columns, row, strict=True)}


def fits(table) -> bool:
    used = sum(table.column_width(k) for k in table.shown_columns)
    return used + 2 * table.cell_padding * len(table.shown_columns) <= table.size.width


async def select(pilot, panel, key: str) -> None:
    table = panel.table
    while table.selected_key() != key:
        await pilot.press("down")


def test_an_event_in_one_line() -> None:
    assert event_line(EVENTS[0], T0) == "BackOff ×7, 2m ago: Back-off restarting failed container app"
    assert event_line(EVENTS[3], T0) == "SuccessfulCreate, 60m ago: Created pod: web-7d4b9c8f6-x2k4p"


async def test_e_on_a_pod_shows_its_events_then_its_namespaces_warnings() -> None:
    app = app_with(snapshot())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        panel = app.panels["pods"]
        await select(pilot, panel, WEB2.key)
        await pilot.press("e")
        await pilot.pause()
        table = panel.events
        assert table.display and not panel.table.display and app.screen.focused is table
        # Its own: warnings first, the newest first; then the namespace's other warnings.
        assert table.row_keys == ["§0", "shop/e1", "shop/e3", "shop/e2", "§1", "shop/e6"]
        assert cells(table, "§0")["message"].startswith("events of pod/web-7d4b9c8f6-x2k4p")
        assert cells(table, "§1")["message"] == "recent warnings in shop"
        row = cells(table, "shop/e1")
        assert (row["reason"], row["age"]) == ("BackOff ×7", "2m")
        assert row["message"] == "Back-off restarting failed container app"
        reason = table.get_row("shop/e1")[0]
        assert isinstance(reason, Text) and "red" in str(reason.style)  # a BackOff: trouble
        assert "yellow" not in str(table.get_row("shop/e2")[0].style)  # a Normal one
        # Outside text is shown literally, the escape sequence removed.
        assert cells(table, "shop/e3")["message"] == "Liveness probe failed: [@click=app.quit]x"
        assert fits(table), {k: table.column_width(k) for k in table.shown_columns}

        # enter: the event in full.
        while table.selected_key() != "shop/e1":
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "count       7" in app.screen.body and "2m ago" in app.screen.body
        await pilot.press("escape")

        # e again: back to the pods.
        await pilot.press("e")
        await pilot.pause()
        assert panel.table.display and not table.display


async def test_e_on_a_workload_shows_its_replicasets_and_pods_events_at_80x24() -> None:
    app = app_with(snapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "w", "e")
        await pilot.pause()
        panel = app.panels["pods"]
        table = panel.events
        assert table.row_keys[:7] == ["§0", "shop/e6", "shop/e1", "shop/e3", "shop/e2", "shop/e4", "shop/e5"]
        assert cells(table, "§0")["message"].startswith("events of deploy/web")
        assert fits(table), {k: table.column_width(k) for k in table.shown_columns}
        assert {"reason", "age", "message"} <= set(table.shown_columns)
        if "object" in table.shown_columns:  # cut in the middle: a workload's pods differ at the end
            assert cells(table, "shop/e1")["object"].endswith("x2k4p")
        # The filter finds events; e goes back to the workloads.
        await pilot.press("slash", *"probe", "enter")
        await pilot.pause()
        assert [k for k in table.row_keys if not k.startswith("§")] == ["shop/e6", "shop/e3"]
        await pilot.press("escape")
        await pilot.press("e")
        await pilot.pause()
        assert panel.workloads.display


async def test_nothing_selected_every_namespaces_warnings() -> None:
    snap = ClusterSnapshot(context="test", pods=(), events=EVENTS)
    app = app_with(snap)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "e")
        await pilot.pause()
        table = app.panels["pods"].events
        assert table.row_keys == ["data/e7", "shop/e6", "shop/e1", "shop/e3"]
        assert cells(table, "data/e7")["reason"] == "FailedScheduling ×12"
