"""Panel 3: SLOs: error ratio, budget left and burn rate, or a gauge against its levels."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from panels.base import Panel, fields_text
from panels.fmt import percent, sparkline
from panels.table import Cell, DiffTable
from tui.core.model import SloSnapshot, SloState, SloStatus
from tui.core.untrusted import one_line

STATE_STYLE: dict[SloState, tuple[str, str]] = {
    "OK": ("● OK", "green"),
    "WARN": ("▲ WARN", "bold yellow"),
    "BREACH": ("✖ BREACH", "bold red"),
    "UNKNOWN": ("? N/A", "dim"),
}


SPARK_WIDTH = 10


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.2f}"


def slo_cells(slo: SloStatus) -> tuple[Cell, ...]:
    label, style = STATE_STYLE[slo.state]
    if slo.kind == "ratio":
        now = "-" if slo.value is None else f"{percent(slo.value)} err"
        objective = f"{slo.objective:g}%" + (f"/{slo.window}" if slo.window else "")
        budget = percent(slo.budget_remaining, 0)
        burn = "-" if slo.burn_rate is None else f"{slo.burn_rate:.1f}×"
    else:
        unit = f" {one_line(slo.unit, 16)}" if slo.unit else ""  # "1415 ms", not a bare 1415
        now = "-" if slo.value is None else _number(slo.value) + unit
        objective = f"≤{slo.objective:g}{unit}"
        budget, burn = "-", "-"
    budget_style = "red" if (slo.budget_remaining is not None and slo.budget_remaining < 0) else ""
    return (
        Text(one_line(slo.name, 60)),
        # Its own column: glued to the name, a cut name took the sparkline with it.
        Text(sparkline(slo.history, SPARK_WIDTH), style=style.replace("bold ", "")),
        Text(label, style=style),
        Text(now, style=style if slo.state in ("WARN", "BREACH") else ""),
        Text(objective, style="dim"),
        Text(budget, style=budget_style),
        burn,
    )


def slo_detail(slo: SloStatus) -> str:
    rows: list[tuple[str, object]] = [("state", slo.state), ("kind", slo.kind), ("detail", slo.detail)]
    if slo.kind == "ratio":
        rows += [
            ("objective", f"{slo.objective:g}% over {slo.window or '-'}"),
            ("error ratio", percent(slo.value, 3)),
            ("budget left", percent(slo.budget_remaining, 1)),
            ("burn rate", "-" if slo.burn_rate is None else f"{slo.burn_rate:.2f}×"),
        ]
    else:
        unit = f" {slo.unit}" if slo.unit else ""
        rows += [
            ("objective", f"≤ {slo.objective:g}{unit}"),
            ("value", "-" if slo.value is None else _number(slo.value) + unit),
        ]
    rows.append(
        ("recent", " ".join(_number(v) if slo.kind == "threshold" else percent(v) for v in slo.history))
    )
    return fields_text(rows)


class SloPanel(Panel):
    PANEL_ID = "slos"
    TITLE = "SLOs"
    NUMBER = 3
    CONFIG_HINT = "[prometheus] and [[slos]]"

    def body(self) -> DiffTable:
        self.table = DiffTable(
            [
                ("SLO", "name", None),
                ("Trend", "trend", SPARK_WIDTH),
                ("State", "state", 8),
                ("Now", "now", 12),
                ("Target", "objective", 12),
                ("Budget", "budget", 7),
                ("Burn", "burn", 7),
            ],
            optional=(("trend", SPARK_WIDTH),),  # whole or not at all: a cut one loses "now"
            id="slos-table",
        )
        self.table.flex_need = 16  # the trend goes before the names are cut shorter than this
        self.slos: dict[str, SloStatus] = {}
        return self.table

    def show(self, snap: SloSnapshot, now: datetime) -> None:  # type: ignore[override]
        self.last = snap
        self.slos = {slo.name: slo for slo in snap.slos}
        shown = [slo for slo in snap.slos if self.matches(slo.name, slo.state, slo.detail)]
        self.table.set_rows({slo.name: slo_cells(slo) for slo in shown})
        breach = [s for s in snap.slos if s.state == "BREACH"]
        warn = [s for s in snap.slos if s.state == "WARN"]
        failing_shown = sum(s.state in ("BREACH", "WARN") for s in shown)
        self.count_filtered(len(shown), len(snap.slos), len(breach) + len(warn) - failing_shown)
        if breach:
            self.set_level("error", f"{len(breach)} in breach")
        elif warn:
            self.set_level("warn", f"{len(warn)} warning")
        else:
            self.set_level("ok", f"{len(snap.slos)} ok")

    def detail(self, key: str) -> tuple[str, str] | None:
        slo = self.slos.get(key)
        return None if slo is None else (f"SLO {slo.name}", slo_detail(slo))
