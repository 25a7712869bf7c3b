"""The SLO maths of tui.domain.slo against the worked figures of the SRE workbook (chapter 5)."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest

from tui.domain.slo import (
    DEFAULT_RULES,
    BurnRule,
    applicable_rules,
    budget_duration,
    budget_remaining,
    burn_alert,
    burn_rate,
    burn_rate_factor,
    burn_rate_state,
    error_budget,
    format_duration,
    parse_duration,
    ratio_state,
    rule_windows,
    threshold_state,
    time_to_exhaustion,
)

DAYS_30 = timedelta(days=30)
NAN = float("nan")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("5m30s", timedelta(minutes=5, seconds=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("2w", timedelta(weeks=2)),
        (" 6h ", timedelta(hours=6)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "1.5h", "5m5", "0s", "30 d", "-5m", "5M"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_error_budget_is_exact() -> None:
    assert error_budget(99.9) == Decimal("0.001")
    assert error_budget(99.95) == Decimal("0.0005")
    assert error_budget(99) == Decimal("0.01")


@pytest.mark.parametrize("objective", [0, 100, 101, -1])
def test_error_budget_rejects_objectives_out_of_range(objective: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        error_budget(objective)


def test_budget_duration_of_three_nines_over_30_days_is_43_2_minutes() -> None:
    assert budget_duration(99.9, DAYS_30) == timedelta(minutes=43, seconds=12)


def test_burn_rate_and_budget_remaining() -> None:
    assert burn_rate(0.0144, 99.9) == pytest.approx(14.4)
    assert burn_rate(0.001, 99.9) == 1.0
    assert burn_rate(0.0, 99.9) == 0.0
    assert budget_remaining(0.0005, 99.9) == pytest.approx(0.5)
    assert budget_remaining(0.003, 99.9) == pytest.approx(-2.0)  # overspent shows as such


def test_burn_rate_factors_of_the_workbook_for_30_days() -> None:
    assert burn_rate_factor(0.02, DAYS_30, timedelta(hours=1)) == pytest.approx(14.4)
    assert [rule.factor(DAYS_30) for rule in DEFAULT_RULES] == pytest.approx([14.4, 6.0, 3.0, 1.0])


def test_burn_rate_factor_never_below_one_for_short_periods() -> None:
    # 2 % of a 1-day budget in 1 h is a burn of 0.48, which would never spend the budget: a rule
    # must not page on it.
    assert burn_rate_factor(0.02, timedelta(days=1), timedelta(hours=1)) == pytest.approx(0.48)
    day = timedelta(days=1)
    assert [rule.factor(day) for rule in applicable_rules(day)] == [1.0, 1.0, 1.0]
    healthy = dict.fromkeys(rule_windows(day), 0.0008)  # a burn of 0.8
    assert burn_rate_state(healthy, 99.9, day) == "OK"
    assert burn_rate_state(dict.fromkeys(rule_windows(day), 0.0012), 99.9, day) == "BREACH"


def test_rules_apply_only_when_their_long_window_fits_the_period() -> None:
    assert rule_windows(DAYS_30) == ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    assert rule_windows(timedelta(days=1)) == ("5m", "30m", "1h", "2h", "6h", "1d")
    assert rule_windows(timedelta(minutes=1)) == ()


def _ratios(**by_window: float | None) -> dict[str, float | None]:
    base: dict[str, float | None] = dict.fromkeys(rule_windows(DAYS_30), 0.0)
    base.update({k.removeprefix("w"): v for k, v in by_window.items()})
    return base


def test_page_fires_only_when_both_windows_burn() -> None:
    # 1h burning at 15× but the last 5m recovered: the short window stops the page.
    assert burn_alert(_ratios(w1h=0.015, w5m=0.0005), 99.9, DAYS_30) is None
    alert = burn_alert(_ratios(w1h=0.015, w5m=0.02), 99.9, DAYS_30)
    assert alert is not None
    assert (alert.severity, alert.long, alert.short) == ("page", "1h", "5m")
    assert alert.factor == pytest.approx(14.4)
    assert alert.long_rate == pytest.approx(15) and alert.short_rate == pytest.approx(20)
    assert alert.describe() == "page: burn 15.0× over 1h and 20.0× over 5m (limit 14.4×)"


def test_at_the_factor_exactly_nothing_fires() -> None:
    assert burn_alert(_ratios(w1h=0.0144, w5m=0.0144), 99.9, DAYS_30) is None


def test_page_wins_over_ticket_and_the_fastest_page_first() -> None:
    everything = dict.fromkeys(rule_windows(DAYS_30), 0.02)
    alert = burn_alert({**everything, "6h": 0.03, "30m": 0.03}, 99.9, DAYS_30)
    assert alert is not None and (alert.severity, alert.long) == ("page", "6h")


def test_ticket_is_warn_page_is_breach() -> None:
    assert burn_rate_state(_ratios(w1d=0.0035, w2h=0.0035), 99.9, DAYS_30) == "WARN"
    assert burn_rate_state(_ratios(w6h=0.007, w30m=0.007), 99.9, DAYS_30) == "BREACH"
    assert burn_rate_state(_ratios(), 99.9, DAYS_30) == "OK"


def test_a_window_without_data_cannot_fire() -> None:
    assert burn_alert(_ratios(w1h=0.02, w5m=None), 99.9, DAYS_30) is None
    assert burn_alert(_ratios(w1h=0.02, w5m=NAN), 99.9, DAYS_30) is None


def test_custom_rules_are_clamped_too() -> None:
    # 25 % of a 2-hour budget in 1 h is a burn of 0.5, clamped to 1: at 99 % that is 1 % errors.
    rules = (BurnRule("page", 0.25, "1h", "1m"),)
    two_hours = timedelta(hours=2)
    assert rules[0].factor(two_hours) == 1.0
    assert burn_rate_state({"1h": 0.008, "1m": 0.008}, 99.0, two_hours, rules) == "OK"
    assert burn_rate_state({"1h": 0.02, "1m": 0.02}, 99.0, two_hours, rules) == "BREACH"


def test_ratio_state() -> None:
    # The whole window's budget spent is a breach even when nothing burns right now.
    assert ratio_state(0.002, _ratios(), 99.9, DAYS_30) == "BREACH"
    assert ratio_state(0.0005, _ratios(w1d=0.0035, w2h=0.0035), 99.9, DAYS_30) == "WARN"
    assert ratio_state(0.0005, _ratios(), 99.9, DAYS_30) == "OK"
    assert ratio_state(None, dict.fromkeys(rule_windows(DAYS_30)), 99.9, DAYS_30) == "UNKNOWN"
    assert ratio_state(NAN, {"5m": NAN}, 99.9, DAYS_30) == "UNKNOWN"
    # Recent windows known, the long one not (yet): judged by the burn rules alone.
    assert ratio_state(None, _ratios(w1h=0.02, w5m=0.02), 99.9, DAYS_30) == "BREACH"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, "OK"), (50, "OK"), (60, "OK"), (75, "WARN"), (99.9, "WARN"), (100, "BREACH"), (1e9, "BREACH")],
)
def test_threshold_state_with_levels(value: float, expected: str) -> None:
    assert threshold_state(value, 50, warn=75, breach=100) == expected


def test_threshold_state_with_fewer_levels() -> None:
    assert threshold_state(51, 50) == "BREACH"
    assert threshold_state(50, 50) == "OK"
    assert threshold_state(60, 50, breach=100) == "WARN"
    assert threshold_state(100, 50, breach=100) == "BREACH"
    assert threshold_state(None, 50, 75, 100) == "UNKNOWN"
    assert threshold_state(NAN, 50, 75, 100) == "UNKNOWN"


def test_time_to_exhaustion() -> None:
    # A full budget at 14.4× lasts 30 d / 14.4 = 50 h; half of it, 25 h.
    assert time_to_exhaustion(1.0, 14.4, DAYS_30) == timedelta(hours=50)
    assert time_to_exhaustion(0.5, 14.4, DAYS_30) == timedelta(hours=25)
    assert time_to_exhaustion(-0.2, 14.4, DAYS_30) == timedelta(0)
    assert time_to_exhaustion(0.5, 0.0, DAYS_30) is None
    assert time_to_exhaustion(0.5, NAN, DAYS_30) is None
    assert time_to_exhaustion(NAN, 2.0, DAYS_30) is None
    assert time_to_exhaustion(0.5, math.inf, DAYS_30) == timedelta(0)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=43, seconds=12), "43m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=2, minutes=5), "2h 5m"),
        (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
        (timedelta(days=7), "7d"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


def test_a_burst_at_page_speed_warns_before_the_long_window_catches_up():
    from datetime import timedelta

    from tui.domain.slo import ratio_state

    period = timedelta(days=30)
    # 5 minutes at 16.5x, the hour still low: no rule fires, yet this is not "OK"
    ratios = {"5m": 0.0165, "30m": 0.004, "1h": 0.002, "2h": 0.001, "6h": 0.0005, "1d": 0.0003, "3d": 0.0002}
    assert ratio_state(0.0004, ratios, 99.9, period) == "WARN"
    calm = {**ratios, "5m": 0.002}
    assert ratio_state(0.0004, calm, 99.9, period) == "OK"
