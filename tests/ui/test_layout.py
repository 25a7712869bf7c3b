"""What the screen says about itself: a filter is visible and never hides failures silently,
columns are sized by importance, narrow terminals get tabs, unconfigured is not broken."""

from __future__ import annotations

from textual.widgets import Input

from tests.ui.fakes import ListSource, cluster, health, pod, service, standard_sources
from tests.ui.harness import make_app, settle


def forty_services() -> ListSource:
    services = [service(f"svc-{i:02d}") for i in range(36)]
    services += [
        service("payments", "DOWN", "connection refused", None),
        service("pay-gateway"),
        service("payouts"),
        service("orders", "DEGRADED", "status: degraded"),
    ]
    return ListSource("health", [health(*services)])


async def test_filter_shows_what_is_typed_and_the_title_counts_what_it_leaves():
    sources = standard_sources()
    sources["health"] = forty_services()
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("1", "slash", *"pay")
        bar = app.query_one("#filter-bar", Input)
        assert bar.value == "pay"
        # The bar is on the screen, above the footer, not hidden under it.
        footer_y = app.screen.size.height - 1
        assert bar.region.height == 1 and bar.region.y < footer_y, bar.region
        panel = app.panels["health"]
        assert "filter: pay · 3 of 40" in panel.title_plain
        # "orders" is DEGRADED and filtered out: the title says so.
        assert "1 failing hidden" in panel.title_plain
        await pilot.press("enter")
        assert "filter: pay · 3 of 40" in panel.title_plain, "the filter stays said after enter"
        await pilot.press("escape")
        assert "filter" not in panel.title_plain
        assert len(panel.table.row_keys) == 40


async def test_a_filter_hiding_failing_pods_and_slos_says_how_many_in_the_error_role():
    sources = standard_sources()
    sources["pods"] = ListSource(
        "kubernetes",
        [
            cluster(
                pod("api-gateway-7d9f8b6c5-x2k4p", "CrashLoopBackOff"),
                pod("api-gateway-7d9f8b6c5-q1w2e", "CrashLoopBackOff"),
                pod("auth-service-5c6d7e8f9-abcde"),
            )
        ],
    )
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "slash", *"auth", "enter")
        panel = app.panels["pods"]
        assert "filter: auth · 1 of 3 · 2 failing hidden" in panel.title_plain
        content = panel.title_content()
        hidden = [span for span in content.spans if "error" in str(span.style)]
        assert hidden, "the hidden failures are in the error role"
        await pilot.press("3", "slash", *"celery", "enter")
        slos = app.panels["slos"]
        # Celery backlog (WARN) shown, API availability (BREACH) hidden.
        assert "filter: celery · 1 of 2 · 1 failing hidden" in slos.title_plain


async def test_a_log_filter_counts_lines_and_hidden_errors():
    from tests.timebase import T0
    from tui.core.model import LogBatch, LogLine

    sources = standard_sources()
    lines = (
        LogLine(T0, "api", "GET /pay 200", "info"),
        LogLine(T0, "api", "db down", "error"),
        LogLine(T0, "api", "GET /pay 502", "error"),
    )
    sources["logs"] = ListSource("logs", [LogBatch(lines), LogBatch(())])
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("4", "slash", *"pay", "enter")
        assert "filter: pay · 2 of 3 · 1 failing hidden" in app.panels["logs"].title_plain


async def test_home_and_end_move_to_the_first_and_last_row_in_every_panel(tmp_path):
    from tests.ui.fakes import logs

    sources = standard_sources()
    sources["health"] = forty_services()
    sources["logs"] = ListSource("logs", [logs(*(f"line {i}" for i in range(200))), logs()])
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        for key in ("1", "2", "3"):
            await pilot.press(key)
            table = app.focused
            assert table.row_count >= 2, key
            await pilot.press("end")
            assert table.cursor_row == table.row_count - 1, f"end in panel {key}"
            await pilot.press("home")
            assert table.cursor_row == 0, f"home in panel {key}"
        await pilot.press("4")
        view = app.panels["logs"].view
        await pilot.press("home")
        assert view.scroll_y == 0 and not view.follow
        await pilot.press("end")
        assert view.follow and view.scroll_y == view.max_scroll_y > 0


async def test_the_footer_keeps_the_incident_keys_at_80_columns():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        line = app.keybar.plain
        assert len(line) <= 80
        for key, label in (("D", "Declare"), ("S", "Sev"), ("M", "Status"), ("A", "Role")):
            assert f"{key} {label}" in line, line
        for key, label in (("n", "Note"), ("u", "Update"), ("E", "Export"), ("?", "Help")):
            assert f"{key} {label}" in line, line
        # What the terminal shows is that line.
        assert "D Declare" in "".join(s.text for s in app.keybar.render_line(0))


# ---- unconfigured is not broken --------------------------------------------------------------


async def test_an_unconfigured_source_says_where_to_set_it_up_quietly_and_gives_its_room_away():
    sources = standard_sources()
    del sources["pods"], sources["slos"]
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        pods = app.panels["pods"]
        assert pods.status_line.plain == "not configured (see [cluster] in warroom.example.toml)"
        # The muted role: the line carries no colour of its own (no red "✖"), the status
        # line's muted colour shows.
        assert not pods.status_line._shown.spans and not pods.status_line._shown.style
        assert "✖" not in pods.title_plain
        slos = app.panels["slos"]
        assert "[prometheus] and [[slos]]" in slos.status_line.plain
        # One quiet line tall; the configured panels in its column take the room.
        assert pods.region.height == 3 and slos.region.height == 3
        assert app.panels["logs"].region.height > 30
        assert app.panels["timeline"].region.height > 40
        # tab goes through the panels that show something.
        await pilot.press("1", "tab")
        assert app.active_panel == "logs"


async def test_a_configured_source_that_goes_down_keeps_its_rows_marked_stale_and_its_tab_shows_it():
    from tui.sources.base import SourceError

    sources = standard_sources()
    sources["pods"] = ListSource(
        "kubernetes", [cluster(pod("auth-service-5c6d7e8f9-abcde")), SourceError("connection refused")]
    )
    app = make_app(sources=sources)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app, 3)
        pods = app.panels["pods"]
        assert pods.table.row_keys == ["lomash-wood/auth-service-5c6d7e8f9-abcde"]
        assert "✖ stale" in pods.title_plain
        assert "connection refused" in pods.status_line.plain and "stale" in pods.status_line.plain
        tabs = str(app.tabs.render())
        assert "2 Pods ✖" in tabs, tabs


# ---- columns by importance -------------------------------------------------------------------

LONG_PODS = (
    pod("ingress-nginx-controller-8pkqqfznr-j8slg", "ContainerCreating", ns="ingress-nginx"),
    pod("order-payment-service-tgfb6z5b9-57l8x", "CrashLoopBackOff"),
    pod("api-gateway-l99dwp4dt-4n7fl"),
)


def long_pod_sources() -> dict[str, ListSource]:
    sources = standard_sources()
    sources["pods"] = ListSource("kubernetes", [cluster(*LONG_PODS)])
    return sources


def shown_cells(table, key: str) -> dict[str, str]:
    """What a row shows, column by column (the cell as the table holds it)."""
    row = table.get_row(key)
    columns = table.shown_columns
    return {col: str(getattr(cell, "plain", cell)) for col, cell in zip(columns, row, strict=True)}


async def test_status_is_sized_to_its_values_and_pod_names_keep_their_hash_at_160_columns():
    app = make_app(sources=long_pod_sources())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.panels["pods"].table
        assert table.column_width("status") == len("ContainerCreating")
        for p in LONG_PODS:
            cells = shown_cells(table, p.key)
            assert cells["status"] == p.status
            width = table.column_width("pod")
            if len(p.name) <= width:
                assert cells["pod"] == p.name, "the whole name, ReplicaSet hash and all"
            else:
                # Longer than the room: cut in the deployment's name, never in the hash.
                head, tail = cells["pod"].split("…")
                _, rs_hash, suffix = p.name.rsplit("-", 2)
                assert tail == f"-{rs_hash}-{suffix}" and len(head) >= 10, cells["pod"]
        # The status took its values' width, the namespace went, and the names took the rest.
        assert table.column_width("pod") >= 33


async def test_at_230_columns_the_status_is_whole_and_the_namespace_is_back():
    app = make_app(sources=long_pod_sources())
    async with app.run_test(size=(230, 60)) as pilot:
        await settle(pilot, app)
        table = app.panels["pods"].table
        assert table.column_width("status") >= len("ContainerCreating")
        assert "ns" in table.shown_columns
        assert shown_cells(table, LONG_PODS[0].key)["ns"] == "ingress-nginx"
        for p in LONG_PODS:
            assert shown_cells(table, p.key)["pod"] == p.name


async def test_a_status_column_holding_only_running_is_no_wider_than_its_label():
    sources = standard_sources()
    sources["pods"] = ListSource("kubernetes", [cluster(pod("api-gateway-l99dwp4dt-4n7fl"))])
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert app.panels["pods"].table.column_width("status") == len("Running")


async def test_slo_names_stand_apart_from_their_sparklines():
    app = make_app()
    async with app.run_test(size=(230, 60)) as pilot:
        await settle(pilot, app)
        table = app.panels["slos"].table
        assert "trend" in table.shown_columns
        cells = shown_cells(table, "Celery backlog")
        assert cells["name"] == "Celery backlog"
        assert cells["trend"] and set(cells["trend"]) <= set("▁▂▃▄▅▆▇█")


async def test_health_detail_gets_room_at_80_columns():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.panels["health"].table
        assert {"state", "name", "detail"} <= set(table.shown_columns)
        assert table.column_width("detail") >= 20


# ---- tabs below the width where the panels fit ---------------------------------------------------


async def test_tabs_below_the_width_where_five_panels_fit():
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert app.narrow, "at 120×30 five panels at once are unreadable"
        assert [p.PANEL_ID for p in app.panels.values() if p.region.width > 0] == ["health"]
        # The one panel shown has the whole width, and the pods tab its key columns.
        assert app.panels["health"].region.width == 120
        await pilot.press("2")
        table = app.panels["pods"].table
        assert {"status", "pod", "ready", "restarts", "age"} <= set(table.shown_columns)
        await pilot.resize_terminal(140, 50)
        await pilot.pause()
        assert app.narrow
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        assert not app.narrow
        assert all(p.region.width > 0 for p in app.panels.values())


# ---- the demo as a user sees it: the timeline's text, the header's title ------------------------


async def run_demo(tmp_path, size, check) -> None:
    from tests.ui.harness import demo_app, settle_demo

    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle_demo(pilot)
        await check(pilot, app)


async def test_the_timeline_text_gets_the_room_at_160x50(tmp_path):
    async def check(pilot, app) -> None:
        table = app.panels["timeline"].table
        assert table.row_count >= 1
        # The fixed columns are as wide as their values; the text takes the rest.
        assert table.column_width("text") >= 34, {k: table.column_width(k) for k in table.shown_columns}
        assert table.column_width("kind") <= len(" ◆ declared") + 1

    await run_demo(tmp_path, (160, 50), check)


async def test_the_header_keeps_the_incident_title_at_100_and_80_columns(tmp_path):
    title = "Drill: db-connection-exhaustion"

    async def at_100(pilot, app) -> None:
        part = app.header.incident
        assert title in part.plain
        # Shown whole: the part is as wide as what it holds up to the title's end.
        assert part.region.width >= part.plain.index(title) + len(title), (part.region, part.plain)
        assert "warroom" not in app.header.where.plain  # the brand goes first

    async def at_80(pilot, app) -> None:
        part = app.header.incident
        shown = part.plain[: part.region.width]
        assert "Drill: db-con" in shown, shown

    await run_demo(tmp_path / "100", (100, 30), at_100)
    await run_demo(tmp_path / "80", (80, 24), at_80)


def test_threshold_values_keep_their_unit_and_the_trend_is_whole_or_gone():
    from panels.slos import slo_cells
    from tui.core.model import SloStatus

    slo = SloStatus("API p95", "threshold", 500, "WARN", 1415.0, history=(1.0, 2.0, 3.0), unit="ms")
    _, trend, _, now, target, _, _ = slo_cells(slo)
    assert (now.plain, target.plain) == ("1415 ms", "≤500 ms")
    assert trend.plain == "▁▄█"


async def test_the_slo_trend_is_never_cut_only_given_up():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        table = app.panels["slos"].table
        for width in (160, 150, 100, 80):
            await pilot.resize_terminal(width, 50)
            await pilot.pause()
            if "trend" in table.shown_columns:
                for key in table.row_keys:
                    trend = shown_cells(table, key)["trend"]
                    assert len(trend) <= table.column_width("trend"), (width, key, trend)


async def test_home_and_end_in_the_timeline(tmp_path):
    async def check(pilot, app) -> None:
        await pilot.press("5")
        table = app.panels["timeline"].table
        assert table.row_count >= 3
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1

    await run_demo(tmp_path, (160, 50), check)
