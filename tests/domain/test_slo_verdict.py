"""An SLO's verdict from its numbers (`tui.domain.slo_verdict`): the state and the line the panel
shows, for a page, a ticket, a quiet service and a gauge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from tui.config.schema import SloConfig
from tui.domain.slo_verdict import Sample, judge_ratio, judge_threshold


def _ratios(value: float | None, windows: Sequence[str]) -> dict[str, float | None]:
    return dict.fromkeys(windows, value)


WINDOWS_30D = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]


def test_judge_ratio_page_says_how_fast_and_when_the_budget_is_gone() -> None:
    slo = SloConfig(name="api", objective=99.9, window="30d", error_ratio="x")
    ratios = {**_ratios(0.0144 * 1.25, WINDOWS_30D), "30d": 0.0005}  # 18× now, half the budget left
    status = judge_ratio(slo, timedelta(days=30), ratios)
    assert status.state == "BREACH"
    assert status.budget_remaining == pytest.approx(0.5)
    # Half of a 30-day budget at 18×: 30 d × 0.5 / 18 = 20 h.
    assert status.detail == "burning 18.0× budget over 1h (18.0× over 5m); budget gone in 20h"


def test_judge_ratio_ticket_is_warn() -> None:
    slo = SloConfig(name="api", objective=99.9, window="30d", error_ratio="x")
    ratios = {**_ratios(0.0035, WINDOWS_30D), "5m": 0.0001, "30m": 0.0001, "30d": 0.0001}
    status = judge_ratio(slo, timedelta(days=30), ratios)
    assert status.state == "WARN"
    assert status.value == 0.0001 and status.burn_rate == pytest.approx(0.1)
    assert status.detail.startswith("burning 3.5× budget over 1d (3.5× over 2h)")


def test_judge_ratio_without_recent_traffic_uses_the_budget() -> None:
    slo = SloConfig(name="api", objective=99.0, window="7d", error_ratio="x")
    status = judge_ratio(slo, timedelta(days=7), {"7d": 0.002})
    assert status.state == "OK" and status.value == 0.002 and status.budget_remaining == pytest.approx(0.8)
    assert status.detail == "burning 0.2× budget over 7d; 80% budget left"


def test_judge_threshold_without_levels() -> None:
    slo = SloConfig(name="lag", objective=5, query="x")
    assert judge_threshold(slo, Sample(6, 1)).detail == "6 > objective 5"
    assert judge_threshold(slo, Sample(6, 1)).state == "BREACH"
    assert judge_threshold(slo, Sample(2.5, 4)).detail == "2.50 within objective 5 (worst of 4 series)"
