"""The Pods panel's columns as `kubectl get pods` prints them: STATUS never cut, the pod's name
next, kubectl's `-o wide` columns (NODE, IP) where the width allows, AGE and RESTARTS moving on
between snapshots, enter showing the restarts with their age, the node and the IP, and the
filter finding pods by node or IP."""

from __future__ import annotations

from datetime import timedelta

from tests.ui.fakes import T0, ListSource, cluster, standard_sources
from tests.ui.harness import make_app, settle
from tui.core.clock import FrozenClock
from tui.core.model import PodInfo

NODE = "ip-10-0-2-143.eu-west-2.compute.internal"


def kpod(
    name: str,
    status: str = "Running",
    *,
    ns: str = "payments",
    ready: int = 1,
    restarts: int = 0,
    restarted_s: float | None = None,
    age: timedelta = timedelta(days=2, hours=23, minutes=5),
    node: str = NODE,
    ip: str = "10.0.2.17",
) -> PodInfo:
    return PodInfo(
        namespace=ns,
        name=name,
        workload=name.rsplit("-", 2)[0],
        status=status,
        ready=ready,
        containers=1,
        restarts=restarts,
        created_at=T0 - age,
        node=node,
        last_restart_at=None if restarted_s is None else T0 - timedelta(seconds=restarted_s),
        ip=ip,
        phase="Pending" if status.startswith("Init:") or status == "ContainerCreating" else "Running",
    )


FOUR_M_1S = timedelta(minutes=4, seconds=1)
BROKEN = (
    kpod("ledger-migrate-7d4b9c8f6-x2k4p", "Init:CrashLoopBackOff", ready=0, restarts=4, restarted_s=126),
    kpod("order-payment-service-tgfb6z5b9-57l8x", "CrashLoopBackOff", ready=0, restarts=7, restarted_s=91),
    kpod("ingress-nginx-controller-8pkqqfznr-j8slg", "ContainerCreating", ready=0, age=FOUR_M_1S, ip=""),
    kpod("fraud-scorer-5c6d7e8f9-abcde", "Init:ErrImagePull", ready=0, age=timedelta(hours=47)),
    kpod("api-gateway-l99dwp4dt-4n7fl"),
)  # fmt: skip


def sources_with(*pods: PodInfo) -> dict[str, ListSource]:
    sources = standard_sources()
    sources["pods"] = ListSource("kubernetes", [cluster(*pods)])
    return sources


def cells(table, key: str) -> dict[str, str]:
    row = table.get_row(key)
    return {
        col: str(getattr(cell, "plain", cell)) for col, cell in zip(table.shown_columns, row, strict=True)
    }


def fits(table) -> bool:
    """Every shown column on the screen: their widths and padding within the table's."""
    used = sum(table.column_width(k) for k in table.shown_columns) + 2 * table.cell_padding * len(
        table.shown_columns
    )
    return used <= table.size.width


async def test_at_80_columns_the_status_is_whole_and_the_name_gets_the_rest():
    app = make_app(sources=sources_with(*BROKEN))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await pilot.pause()
        table = app.panels["pods"].table
        assert table.column_width("status") == len("Init:CrashLoopBackOff")
        assert [cells(table, p.key)["status"] for p in BROKEN[:4]] == [p.status for p in BROKEN[:4]]
        assert {"status", "pod", "ready", "restarts", "age"} <= set(table.shown_columns)
        assert not {"ip", "node"} & set(table.shown_columns), "the wide columns go first"
        assert fits(table), {k: table.column_width(k) for k in table.shown_columns}
        assert table.column_width("pod") >= table.FLEX_MIN
        # Unhealthy first, as kubectl prints them.
        assert table.row_keys[-1] == BROKEN[-1].key
        row = cells(table, BROKEN[1].key)
        assert (row["ready"], row["restarts"], row["age"]) == ("0/1", "7 (91s ago)", "2d23h")
        assert cells(table, BROKEN[0].key)["restarts"] == "4 (2m6s ago)"
        assert cells(table, BROKEN[2].key)["age"] == "4m1s"
        assert cells(table, BROKEN[3].key)["age"] == "47h"


async def test_node_and_ip_where_the_width_allows_the_ip_going_first():
    short = (
        kpod("redis-0", "Running", ns="cache", ip="10.0.3.88"),
        kpod("redis-1", "Pending", ns="cache", ready=0, node="", ip=""),
    )
    app = make_app(sources=sources_with(*short))
    async with app.run_test(size=(230, 60)) as pilot:
        await settle(pilot, app)
        table = app.panels["pods"].table
        assert {"ns", "node", "ip"} <= set(table.shown_columns)
        assert (cells(table, "cache/redis-0")["node"], cells(table, "cache/redis-0")["ip"]) == (
            NODE,
            "10.0.3.88",
        )
        assert (cells(table, "cache/redis-1")["node"], cells(table, "cache/redis-1")["ip"]) == (
            "<none>",
            "<none>",
        )
        assert fits(table)
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        await pilot.pause()
        # Half the width: the IP goes (never cut: a cut address is a wrong one), the node is cut.
        assert "ip" not in table.shown_columns and {"ns", "node"} <= set(table.shown_columns)
        assert cells(table, "cache/redis-0")["node"].startswith("ip-10-0-2-143")
        assert fits(table), {k: table.column_width(k) for k in table.shown_columns}


async def test_long_names_and_long_nodes_never_push_a_column_off_the_screen():
    app = make_app(sources=sources_with(*BROKEN))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.panels["pods"].table
        assert fits(table), {k: table.column_width(k) for k in table.shown_columns}
        assert cells(table, BROKEN[3].key)["age"] == "47h"  # the last column whole


async def test_age_and_restarts_move_on_between_snapshots_row_by_row():
    clock = FrozenClock(T0)
    old = kpod("billing-7d4b9c8f6-abcde", age=timedelta(days=8, hours=3))
    young = kpod("billing-7d4b9c8f6-fghij", age=timedelta(minutes=4, seconds=1), restarts=1, restarted_s=30)
    app = make_app(clock=clock, sources=sources_with(old, young))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        for loop in app.loops.values():
            loop.stop()  # no new snapshot: what moves now moves by the panel's tick alone
        panel = app.panels["pods"]
        table = panel.table
        assert (cells(table, young.key)["age"], cells(table, young.key)["restarts"]) == (
            "4m1s",
            "1 (30s ago)",
        )
        before = table.get_row(old.key)
        clock.advance(1)
        panel.tick(clock.now())
        assert (cells(table, young.key)["age"], cells(table, young.key)["restarts"]) == (
            "4m2s",
            "1 (31s ago)",
        )
        assert table.get_row(old.key) == before and cells(table, old.key)["age"] == "8d"
        clock.advance(6 * 60)
        panel.tick(clock.now())
        assert (cells(table, young.key)["age"], cells(table, young.key)["restarts"]) == (
            "10m",
            "1 (6m31s ago)",
        )


async def test_enter_on_a_pod_shows_its_restarts_with_their_age_its_node_and_its_ip():
    app = make_app(sources=sources_with(*BROKEN))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        title, body = app.panels["pods"].detail(BROKEN[1].key) or ("", "")
        assert title == f"Pod {BROKEN[1].name}"
        # The row's fields, then (after a blank line) its events and the like.
        lines = dict(line.split(None, 1) for line in body.split("\n\n")[0].splitlines())
        assert lines["restarts"] == "7 (91s ago), last at 2026-11-23T02:58:29Z"
        assert lines["node"] == NODE
        assert lines["ip"] == "10.0.2.17"
        assert lines["created"] == "2026-11-20T03:55:00Z (2d23h ago)"
        _, pending = app.panels["pods"].detail(BROKEN[2].key) or ("", "")
        assert dict(line.split(None, 1) for line in pending.split("\n\n")[0].splitlines())["ip"] == "<none>"


async def test_the_filter_finds_the_pods_of_a_node_or_an_ip():
    pods = (
        kpod("redis-0", ns="cache", node="ip-10-0-3-88.eu-west-2.compute.internal", ip="10.0.3.88"),
        kpod("redis-1", ns="cache", ip="10.0.2.19"),
        kpod("web-7d4b9c8f6-x2k4p", ip="10.0.2.31"),
    )
    app = make_app(sources=sources_with(*pods))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "slash", *"ip-10-0-3-88", "enter")
        await pilot.pause()
        table = app.panels["pods"].table
        assert table.row_keys == ["cache/redis-0"]
        await pilot.press("slash", *["backspace"] * 12, *"10.0.2.", "enter")
        await pilot.pause()
        assert table.row_keys == ["cache/redis-1", "payments/web-7d4b9c8f6-x2k4p"]


async def test_a_big_first_snapshot_paints_its_first_rows_then_all_of_them():
    """10 000 pods: the first rows (the failing ones first) are drawn at once and every row
    follows a frame later, in the same order as a full fill gives."""
    from panels.pods import FIRST_ROWS

    many = [kpod(f"web-7d4b9c8f6-{i:05d}") for i in range(FIRST_ROWS * 3)]
    many.append(kpod("ledger-migrate-7d4b9c8f6-x2k4p", "Init:CrashLoopBackOff", ready=0))
    app = make_app(sources=sources_with(*many))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        table = app.panels["pods"].table
        for _ in range(100):
            if len(table.row_keys) == len(many):
                break
            await pilot.pause(0.02)
        assert len(table.row_keys) == len(many)
        assert table.row_keys[0] == many[-1].key  # unhealthy first
        assert table.row_keys[1:] == sorted(p.key for p in many[:-1])
