"""The health panel with thousands of rows: a batch repaints what changed and nothing else (no
clearing, no re-adding, no rewriting of unchanged cells), and says when checks cannot keep up.
Speed is measured in bench/bench_health_scale.py; here only what is done."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App, ComposeResult

from panels.health import HealthPanel
from tests.timebase import T0, frozen
from tests.ui.fakes import service
from tui.core.model import HealthSnapshot, SourceStatus

COUNT = 2000


class PanelApp(App[None]):
    clock = frozen()

    def compose(self) -> ComposeResult:
        self.panel = HealthPanel(5.0)
        yield self.panel


def snapshot(rows: list, **kwargs: object) -> HealthSnapshot:
    return HealthSnapshot(services=tuple(rows), **kwargs)  # type: ignore[arg-type]


async def test_a_batch_writes_only_the_rows_that_changed() -> None:
    app = PanelApp()
    async with app.run_test(size=(160, 50)) as pilot:
        panel, table = app.panel, app.panel.table
        rows = [service(f"svc-{i}") for i in range(COUNT)]
        panel.show(snapshot(rows), T0)
        await pilot.pause()
        assert len(table.row_keys) == COUNT
        table.move_cursor(row=10, animate=False)
        await pilot.pause()
        calls: list[str] = []
        for name in ("clear", "add_row", "remove_row", "sort", "update_cell"):
            original = getattr(table, name)
            setattr(table, name, lambda *a, _n=name, _o=original, **k: (calls.append(_n), _o(*a, **k))[1])
        before_rows = dict(table.rows)
        before_cells = {key: table.get_row(key) for key in table.row_keys}

        # One batch: three services checked since, one of them now DOWN; the rest the same rows.
        rows[500] = service("svc-500", "DOWN", "connection refused", None)
        rows[7] = replace(rows[7], latency_ms=400.0, checked_at=T0.replace(second=5))
        rows[1999] = replace(rows[1999], detail="status: ok", checked_at=T0.replace(second=5))
        panel.show(snapshot(rows), T0)
        await pilot.pause()

        assert calls == []  # neither cleared, nor re-added, nor one cell at a time
        assert table.row_keys[0] == "svc-500"  # the failing one moved to the top
        assert table.row_keys[1:] == [f"svc-{i}" for i in range(COUNT) if i != 500]
        assert all(table.rows[key] is row for key, row in before_rows.items())  # the same rows
        assert table.selected_key() == "svc-10"  # the cursor stayed on its service
        rewritten = {
            key
            for key in table.row_keys
            if any(a is not b for a, b in zip(table.get_row(key), before_cells[key], strict=True))
        }
        assert rewritten == {"svc-500", "svc-7", "svc-1999"}
        assert panel.badge == "1 down"


async def test_the_filter_and_back_keeps_every_row() -> None:
    app = PanelApp()
    async with app.run_test(size=(160, 50)) as pilot:
        panel, table = app.panel, app.panel.table
        rows = [service(f"svc-{i}") for i in range(COUNT)]
        panel.show(snapshot(rows), T0)
        panel.set_filter("svc-19")
        await pilot.pause()
        assert table.row_keys == [
            "svc-19",
            *(f"svc-{i}" for i in range(190, 200)),
            *(f"svc-{i}" for i in range(1900, 2000)),
        ]
        assert "111 of 2000" in panel.title_plain
        panel.set_filter("")
        await pilot.pause()
        assert table.row_keys == [f"svc-{i}" for i in range(COUNT)]
        assert [str(c) for c in table.get_row("svc-1999")][1] == "svc-1999"


async def test_the_status_line_says_when_a_round_of_checks_cannot_fit_the_interval() -> None:
    app = PanelApp()
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.panel
        rows = [service(f"svc-{i}") for i in range(10)]
        panel.set_source_status(SourceStatus(ok=True, updated_at=T0), T0)
        panel.show(snapshot(rows, round_s=3.0, interval_s=5.0), T0)
        panel.tick(T0)
        await pilot.pause()
        assert panel.status_line.plain == "● live"
        panel.show(snapshot(rows, round_s=7.24, interval_s=5.0), T0)
        panel.tick(T0)
        assert panel.status_line.plain == "● live · checks take 7.2 s > interval 5 s"


async def test_an_untouched_cursor_stays_on_top_while_rows_settle() -> None:
    app = PanelApp()
    async with app.run_test(size=(160, 50)) as pilot:
        panel, table = app.panel, app.panel.table
        # The first round: unknown rows above checked ones, the checked ones sinking below them.
        rows = [service(f"svc-{i}", "UNKNOWN") for i in range(COUNT)]
        panel.show(snapshot(rows), T0)
        await pilot.pause()
        for start in range(0, COUNT, 500):
            rows[start : start + 500] = [service(f"svc-{i}") for i in range(start, start + 500)]
            panel.show(snapshot(rows), T0)
            await pilot.pause()
            # Nobody chose a row: the view stays on top, it does not follow svc-0 down.
            assert (table.cursor_row, table.scroll_y) == (0, 0)
        assert table.selected_key() == "svc-0"
