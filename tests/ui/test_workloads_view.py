"""The Pods panel's workloads view (`w`): deployments and statefulsets with desired / ready /
up-to-date / available, the revision, the image and the rollout's state, the stalled and the
not-ready first; at 80x24 and 160x50; in the help and the key bar; `enter` on a row says what
`kubectl describe` and `rollout status` would; the rollout keys act on the selected workload."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text

from panels.modals import DetailScreen
from tests.ui.fakes import T0, ListSource, standard_sources
from tests.ui.harness import make_app, settle
from tui.core.model import ClusterSnapshot, DeploymentInfo, PodInfo, WorkloadCondition


def workload(name: str, kind: str = "Deployment", **fields: object) -> DeploymentInfo:
    base: dict[str, object] = {
        "namespace": "shop",
        "name": name,
        "replicas": 3,
        "ready": 3,
        "updated": 3,
        "available": 3,
        "revision": 4,
        "image": f"registry.example/{name}:1.4",
        "kind": kind,
        "rollout": "complete",
        "created_at": T0 - timedelta(days=2, hours=3),
    }
    base.update(fields)
    return DeploymentInfo(**base)  # type: ignore[arg-type]


STALLED = workload(
    "checkout-api",
    ready=2,
    updated=1,
    available=2,
    revision=7,
    image="registry.example/checkout-api:2.0-bad",
    rollout="stalled",
    rollout_message='deployment "checkout-api" exceeded its progress deadline',
    strategy="RollingUpdate (25% max unavailable, 25% max surge)",
    conditions=(
        WorkloadCondition(
            "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."
        ),
        WorkloadCondition(
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            'ReplicaSet "checkout-api-6b7c8d9f5" has timed out progressing.',
            T0 - timedelta(minutes=3),
        ),
    ),
)
REDIS = workload(
    "redis", "StatefulSet", replicas=3, ready=2, updated=2, available=2, revision=2, rollout="progressing"
)
FINE = workload("web", revision=12)
POD = PodInfo("shop", "web-7d4b9c8f6-x2k4p", "web", "Running", 1, 1, 0, T0 - timedelta(hours=5))


def snapshot() -> ClusterSnapshot:
    return ClusterSnapshot(context="test", pods=(POD,), deployments=(FINE, STALLED), statefulsets=(REDIS,))


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


async def test_w_shows_the_workloads_the_stalled_first_at_160x50() -> None:
    app = app_with(snapshot())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        panel = app.panels["pods"]
        assert [k for k, b in app.screen.active_bindings.items() if b.binding.id == "pods.workloads"] == ["w"]
        assert "Workloads/pods" in app.keybar.plain
        await pilot.press("w")
        await pilot.pause()
        table = panel.workloads
        assert table.display and not panel.table.display
        assert app.screen.focused is table
        # kubectl rollout status' verdict: stalled first, then not all ready, then the rest.
        assert table.row_keys == ["deploy:shop/checkout-api", "sts:shop/redis", "deploy:shop/web"]
        row = cells(table, "deploy:shop/checkout-api")
        assert row["state"] == "stalled"
        assert (row["ready"], row["updated"], row["available"], row["revision"]) == ("2/3", "1", "2", "7")
        assert row["image"] == "checkout-api:2.0-bad"
        assert not {"ns", "age"} & set(table.shown_columns), "the namespace and the age go first"
        assert cells(table, "sts:shop/redis")["name"] == "sts/redis"
        assert cells(table, "sts:shop/redis")["state"] == "progressing"
        assert cells(table, "deploy:shop/web")["state"] == "complete"
        assert fits(table)
        state = table.get_row("deploy:shop/checkout-api")[0]
        assert isinstance(state, Text) and "red" in str(state.style)

        # The rollout keys act on the selected workload, of its kind.
        target = app.action_keys.target()
        assert (target.kind, target.deployment, target.workload_kind) == (
            "deployment",
            "checkout-api",
            "deployment",
        )
        assert target.extra == {"replicas": 3, "revision": 7}
        await pilot.press("down")
        target = app.action_keys.target()
        assert (target.deployment, target.workload_kind) == ("redis", "statefulset")

        # enter: what kubectl describe and rollout status would say.
        await pilot.press("up", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        body = app.screen.body
        assert "exceeded its progress deadline" in body
        assert "condition Progressing  False ProgressDeadlineExceeded" in body
        assert "RollingUpdate (25% max unavailable, 25% max surge)" in body
        await pilot.press("escape")

        # w again: the pods, and the pod keys act on the pod once more.
        await pilot.press("w")
        await pilot.pause()
        assert panel.table.display and not table.display
        assert app.action_keys.target().kind == "pod"


async def test_the_workloads_view_fits_80x24_and_the_filter_finds_a_workload() -> None:
    app = app_with(snapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "w")
        await pilot.pause()
        table = app.panels["pods"].workloads
        assert fits(table), {k: table.column_width(k) for k in table.shown_columns}
        assert {"state", "name", "ready", "updated", "available", "revision", "image"} <= set(
            table.shown_columns
        )
        assert cells(table, "deploy:shop/checkout-api")["name"] == "deploy/checkout-api"
        await pilot.press("slash", *"redis", "enter")
        await pilot.pause()
        assert table.row_keys == ["sts:shop/redis"]
        title = app.panels["pods"].title_plain
        assert "1 of 3" in title and "1 failing hidden" in title  # the stalled one is hidden


async def test_help_names_the_toggle() -> None:
    app = app_with(snapshot())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "question_mark")
        await pilot.pause()
        rows = app.screen.rows  # type: ignore[attr-defined]
        assert ("w", "Workloads/pods", "pods.workloads") in rows
