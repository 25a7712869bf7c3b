"""The shell as a user meets it: layout at both sizes, panel keys, help, filter, stale sources,
hostile text. In-memory sources (tests/ui/fakes.py); the real adapters are tested elsewhere."""

from __future__ import annotations

from textual.widgets import Input

from panels.base import Panel
from panels.help import HelpScreen
from tests.timebase import T0, frozen
from tests.ui.fakes import AT_ONCE, ListSource, health, service, standard_sources
from tests.ui.harness import make_app, settle
from tui.app import AppSetup, WarroomApp
from tui.sources.base import SourceError


def focused_panel(app: WarroomApp) -> str:
    node = app.focused
    while node is not None and not isinstance(node, Panel):
        node = node.parent
    return node.PANEL_ID if node else ""


async def test_wide_layout_shows_all_five_panels_at_once():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert not app.narrow
        for panel in app.panels.values():
            assert panel.display and panel.region.width > 40 and panel.region.height >= 5, panel.PANEL_ID
        # The log tail sits beside the timeline; health and SLOs share the top row.
        assert app.panels["health"].region.y == app.panels["slos"].region.y
        assert app.panels["timeline"].region.x > app.panels["logs"].region.x
        assert app.panels["timeline"].region.bottom >= app.panels["logs"].region.bottom - 1


async def test_narrow_layout_shows_one_panel_and_tabs_reach_all():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.narrow
        visible = [p.PANEL_ID for p in app.panels.values() if p.region.width > 0]
        assert visible == ["health"]
        tabs = str(app.tabs.render())
        for title in ("Health", "Pods", "SLOs", "Logs", "Timeline"):
            assert title in tabs
        for key, pid in zip("12345", ("health", "pods", "slos", "logs", "timeline"), strict=True):
            await pilot.press(key)
            assert [p.PANEL_ID for p in app.panels.values() if p.region.width > 0] == [pid]
            assert focused_panel(app) == pid
        await pilot.press("tab")
        assert focused_panel(app) == "health"
        await pilot.press("shift+tab")
        assert focused_panel(app) == "timeline"


async def test_resize_switches_between_layouts():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.narrow
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        assert not app.narrow
        assert all(p.region.width > 0 for p in app.panels.values())


async def test_panel_badges_and_levels_follow_the_data():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert app.panels["health"].level == "error"
        assert app.panels["health"].badge == "1 down, 1 degraded"
        assert app.panels["pods"].badge.startswith("1 failing")
        assert app.panels["slos"].badge == "1 in breach"
        # the worst first: DOWN, then DEGRADED, then UP
        assert app.panels["health"].table.row_keys == ["api-gateway", "order-payment-service", "auth-service"]


async def test_help_lists_the_active_bindings_with_their_ids():
    app = make_app(keymap={"app.filter": "f2"})
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, 1)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: (key, desc) for key, desc, binding_id in app.screen.rows}
        assert rows["app.quit"] == ("q", "Quit")
        assert rows["app.filter"][0] == "f2", "help must show the remapped key"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_failing_source_marks_only_its_panel_stale():
    sources = standard_sources()
    sources["slos"] = ListSource("prometheus", [SourceError("connection refused")], interval_s=5)
    app = make_app(sources=sources)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, 1)
        line = app.panels["slos"].status_line.plain
        assert "connection refused" in line and "no data yet" in line and "retry in 5s" in line
        assert app.panels["health"].status_line.plain == "● live"


async def test_stale_after_success_counts_the_age():
    clock = frozen()
    source = ListSource("health", [health(service("api")), SourceError("timed out")], interval_s=30)
    app = WarroomApp(
        AppSetup(context="t", sources={"health": source}, clock=clock, tick_s=0, detection=AT_ONCE)
    )
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, 1)
        clock.advance(30)
        app.loops["health"].poll_now()
        await settle(pilot, app, 2)
        clock.advance(12)
        app.tick()
        assert "timed out · stale 42s · retry in 18s" in app.panels["health"].status_line.plain


async def test_leaving_closes_the_sources_and_what_the_actions_hold_open_even_after_a_failure():
    closed: list[str] = []

    async def broken() -> None:
        closed.append("broken")
        raise OSError("already gone")

    async def control() -> None:
        closed.append("control")

    sources = standard_sources()
    app = make_app(sources=sources, closers=[broken, control])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app, 1)
        assert closed == [] and not any(s.closed for s in sources.values())
    assert closed == ["broken", "control"]
    assert all(s.closed for s in sources.values())


async def test_filter_narrows_the_focused_panel_and_escape_clears_it():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("1", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"auth")
        assert app.panels["health"].table.row_keys == ["auth-service"]
        await pilot.press("escape")
        assert len(app.panels["health"].table.row_keys) == 3


async def test_hostile_log_text_never_reaches_the_terminal_as_control_or_markup():
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        view = app.panels["logs"].view
        texts = [entry.text for entry in view.entries]
        assert any("[link=x]click[/link]" in t for t in texts), "markup must stay literal"
        rendered = "".join(seg.text for y in range(view.size.height) for seg in view.render_line(y))
        assert "\x1b" not in rendered and "\x07" not in rendered
        assert "pwned" not in rendered  # the OSC title sequence is removed whole


async def test_snapshots_wait_while_a_modal_is_open():
    source = ListSource("health", [health(service("first"))])
    app = make_app(sources={"health": source})
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        source.items = [health(service("second"))]
        cycles = app.loops["health"].cycles
        await settle(pilot, app, cycles + 3)
        assert app.panels["health"].table.row_keys == ["first"], "no repaint under a modal"
        await pilot.press("escape")
        await pilot.pause()
        assert app.panels["health"].table.row_keys == ["second"]


def test_a_16_colour_terminal_gets_the_ansi_theme():
    from themes import default_theme

    assert default_theme({"TERM": "xterm"}) == "warroom-16"
    assert default_theme({"TERM": "linux"}) == "warroom-16"
    assert default_theme({"TERM": "xterm-256color"}) == "warroom"
    assert default_theme({"TERM": "xterm", "COLORTERM": "truecolor"}) == "warroom"


async def test_every_theme_loads_its_stylesheet():
    from themes import THEMES

    for theme in THEMES:
        app = make_app(theme=theme.name)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app, 1)
            assert app.theme == theme.name
            assert app.panels["health"].table.row_count == 3


async def test_enter_on_a_row_shows_it_in_full_literally():
    from panels.modals import DetailScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("1", "enter")
        assert isinstance(app.screen, DetailScreen)
        body = str(app.screen.query_one("#detail-body").render())
        assert "connection refused" in body and "http://127.0.0.1:8080/api-gateway/health" in body
        await pilot.press("escape")
        await pilot.press("2", "enter")
        assert isinstance(app.screen, DetailScreen)
        assert "CrashLoopBackOff" in str(app.screen.query_one("#detail-body").render())


def test_middle_ellipsis_keeps_the_end_of_a_pod_name():
    from panels.fmt import middle_ellipsis

    cut = middle_ellipsis("api-gateway-l99dwp4dt-4n7fl", 19)
    assert len(cut) == 19 and cut.startswith("api-gatew") and cut.endswith("4n7fl") and "…" in cut
    assert middle_ellipsis("short", 19) == "short"


def test_a_latency_at_a_bucket_edge_does_not_flip_the_row():
    from datetime import timedelta

    from panels.fmt import latency
    from panels.health import LatencyTrack

    track = LatencyTrack()
    checks = enumerate([9, 11, 9, 11, 12, 9])
    shown = [latency(track.see(T0 + timedelta(seconds=5 * i), ms)) for i, ms in checks]
    assert len(set(shown)) == 1, shown
    # a real slowdown moves it within two checks
    assert latency(track.see(T0 + timedelta(seconds=40), 400)) == shown[0]
    assert latency(track.see(T0 + timedelta(seconds=45), 420)) == "400ms"


async def test_what_the_keys_act_on_is_what_each_panel_says_is_selected():
    """The mitigation keys read a panel's selection through the panel (`selected()`), never its
    internals: a pod with its deployment, a service, the log line at the bottom of the tail."""
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        target = app.action_keys.target()
        assert target.kind == "log_line"
        assert str(target.extra["text"]).startswith("\x1b]0;pwned")  # raw: the bottom line
        await pilot.press("2")
        target = app.action_keys.target()
        assert (target.kind, target.pod) == ("pod", "api-gateway-7d9f8b6c5-x2k4p")
        await pilot.press("1")
        target = app.action_keys.target()
        assert (target.kind, target.service) == ("service", "api-gateway")


async def test_ctrl_c_quits_as_q_does_and_asks_first_with_an_incident_open(tmp_path):
    from tests.ui.harness import declared, ready, record_app
    from tui.controllers.quitting import QUIT_TITLE
    from tui.core.clock import FrozenClock

    app, _ = record_app(tmp_path / "i.db", FrozenClock(T0))
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await declared(app, "Checkout down", "SEV1")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert getattr(app.screen, "title_text", "") == QUIT_TITLE  # asked, not gone
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.screen is app.screen_stack[0]
    bare = make_app()
    async with bare.run_test(size=(120, 30)) as pilot:
        await settle(pilot, bare, 1)
        await pilot.press("ctrl+c")  # nothing open: it leaves
        await pilot.pause()
        assert not bare.is_running
