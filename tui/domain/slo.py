"""SLO maths, pure: error budget, burn rate, budget left, time to exhaustion, the multiwindow
burn-rate alert state, and the state of a threshold SLO.

No I/O here: `tui.sources.prometheus` fetches the numbers and calls these functions, and the
tests check them against the worked figures of the SRE workbook (99.9 % over 30 d is a
43.2-minute budget; 2 % of it in 1 h is a burn rate of 14.4).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal

State = Literal["OK", "WARN", "BREACH", "UNKNOWN"]
Severity = Literal["page", "ticket"]

_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str) -> timedelta:
    """A Prometheus duration ("30d", "1h30m", "5m", "500ms") as a timedelta.

    Raises ValueError for anything else, so a typo in a config is reported, not read as zero.
    """
    spec = text.strip()
    pos = 0
    seconds = 0.0
    for match in _DURATION_PART.finditer(spec):
        if match.start() != pos:
            break
        seconds += int(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if not spec or pos != len(spec) or seconds <= 0:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 30d, 6h, 5m, 1h30m)")
    return timedelta(seconds=seconds)


def error_budget(objective_percent: float | str | Decimal) -> Decimal:
    """B = 1 − objective/100, exact: 99.9 gives Decimal("0.001"), not 0.000999999…

    The float is turned into Decimal through its shortest repr (`str`), which is what the config
    file said, so the subtraction has no binary rounding error.
    """
    objective = Decimal(str(objective_percent))
    if not Decimal(0) < objective < Decimal(100):
        raise ValueError(f"objective must be between 0 and 100 percent, got {objective_percent}")
    return Decimal(1) - objective / Decimal(100)


def budget_duration(objective_percent: float, period: timedelta) -> timedelta:
    """How much full outage the budget allows over `period`: 99.9 % over 30 d is 43.2 minutes."""
    seconds = error_budget(objective_percent) * Decimal(str(period.total_seconds()))
    return timedelta(seconds=float(seconds))


def burn_rate(error_ratio: float, objective_percent: float) -> float:
    """BR = error ratio / B: 1 spends the budget exactly over the SLO period, 14.4 in 50 hours."""
    return float(Decimal(str(error_ratio)) / error_budget(objective_percent))


def budget_remaining(error_ratio: float, objective_percent: float) -> float:
    """The share of the budget left when `error_ratio` is the ratio over the whole SLO window:
    1 − BR. It goes negative once the budget is overspent (shown as such, not clamped)."""
    return 1.0 - burn_rate(error_ratio, objective_percent)


def time_to_exhaustion(remaining: float, rate: float, period: timedelta) -> timedelta | None:
    """How long the `remaining` share of the budget lasts at burn rate `rate`.

    A full budget lasts `period / BR`; a share r of it lasts r·period/BR. None when nothing is
    burning (rate ≤ 0): the budget is not being spent. Zero when it is already gone.
    """
    if rate <= 0 or math.isnan(rate) or math.isnan(remaining):
        return None
    if remaining <= 0:
        return timedelta(0)
    return timedelta(seconds=remaining * period.total_seconds() / rate)


def burn_rate_factor(budget_share: float, period: timedelta, long_window: timedelta) -> float:
    """The burn rate that spends `budget_share` of the budget within `long_window`: f·period/W.
    With a 30-day period: 2 % in 1 h is 14.4, 5 % in 6 h is 6, 10 % in 1 d is 3, 10 % in 3 d is 1."""
    value = (
        Decimal(str(budget_share))
        * Decimal(str(period.total_seconds()))
        / Decimal(str(long_window.total_seconds()))
    )
    return float(value)


@dataclass(frozen=True, slots=True)
class BurnRule:
    """Fire when the error ratio over both windows exceeds factor × B (the short window makes the
    alert stop soon after the burning stops)."""

    severity: Severity
    budget_share: float
    long: str
    short: str

    def factor(self, period: timedelta) -> float:
        # Never below 1: for a short SLO period the share-based factor drops under 1 (2 % in 1 h of
        # a 1-day SLO is 0.48), and a burn rate at or under 1 never spends the budget within the
        # period, so alerting on it would page on a healthy service.
        return max(1.0, burn_rate_factor(self.budget_share, period, parse_duration(self.long)))


# The SRE workbook's table 5-8 (page 1h/5m and 6h/30m, ticket 3d/6h) plus the 1d/2h ticket that
# Sloth adds; shares of the budget rather than fixed factors, so the factors follow the period.
DEFAULT_RULES: tuple[BurnRule, ...] = (
    BurnRule("page", 0.02, "1h", "5m"),
    BurnRule("page", 0.05, "6h", "30m"),
    BurnRule("ticket", 0.10, "1d", "2h"),
    BurnRule("ticket", 0.10, "3d", "6h"),
)


def rule_windows(period: timedelta, rules: Sequence[BurnRule] = DEFAULT_RULES) -> tuple[str, ...]:
    """The windows whose error ratios the rules that apply to `period` need, shortest first."""
    windows = {w for rule in applicable_rules(period, rules) for w in (rule.long, rule.short)}
    return tuple(sorted(windows, key=lambda w: parse_duration(w)))


def applicable_rules(period: timedelta, rules: Sequence[BurnRule] = DEFAULT_RULES) -> tuple[BurnRule, ...]:
    """Rules whose long window fits in the SLO period (a 3-day window says nothing about a 1-day SLO)."""
    return tuple(rule for rule in rules if parse_duration(rule.long) <= period)


@dataclass(frozen=True, slots=True)
class BurnAlert:
    """The first rule that fires, with the burn rates that made it fire."""

    severity: Severity
    long: str
    short: str
    factor: float
    long_rate: float
    short_rate: float

    def describe(self) -> str:
        return (
            f"{self.severity}: burn {self.long_rate:.1f}× over {self.long} and "
            f"{self.short_rate:.1f}× over {self.short} (limit {self.factor:g}×)"
        )


def burn_alert(
    error_ratios: Mapping[str, float | None],
    objective_percent: float,
    period: timedelta,
    rules: Sequence[BurnRule] = DEFAULT_RULES,
) -> BurnAlert | None:
    """The most severe firing rule, or None. A window with no data (None or NaN) cannot fire."""
    budget = float(error_budget(objective_percent))
    firing: list[BurnAlert] = []
    for rule in applicable_rules(period, rules):
        long_ratio = error_ratios.get(rule.long)
        short_ratio = error_ratios.get(rule.short)
        if long_ratio is None or short_ratio is None or math.isnan(long_ratio) or math.isnan(short_ratio):
            continue
        factor = rule.factor(period)
        if long_ratio > factor * budget and short_ratio > factor * budget:
            firing.append(
                BurnAlert(
                    rule.severity,
                    rule.long,
                    rule.short,
                    factor,
                    burn_rate(long_ratio, objective_percent),
                    burn_rate(short_ratio, objective_percent),
                )
            )
    if not firing:
        return None
    # Pages before tickets; among equals, the fastest burn.
    return min(firing, key=lambda a: (a.severity != "page", -a.long_rate))


def burn_rate_state(
    error_ratios: Mapping[str, float | None],
    objective_percent: float,
    period: timedelta,
    rules: Sequence[BurnRule] = DEFAULT_RULES,
) -> State:
    """Multiwindow burn-rate state: a page is BREACH, a ticket is WARN, otherwise OK."""
    alert = burn_alert(error_ratios, objective_percent, period, rules)
    if alert is None:
        return "OK"
    return "BREACH" if alert.severity == "page" else "WARN"


def ratio_state(
    window_ratio: float | None,
    error_ratios: Mapping[str, float | None],
    objective_percent: float,
    period: timedelta,
    rules: Sequence[BurnRule] = DEFAULT_RULES,
) -> State:
    """The state of a ratio SLO: BREACH when the budget of the whole window is spent or a page
    rule fires, WARN when a ticket rule fires, UNKNOWN when there is no data at all."""
    known = [r for r in (window_ratio, *error_ratios.values()) if r is not None and not math.isnan(r)]
    if not known:
        return "UNKNOWN"
    state = burn_rate_state(error_ratios, objective_percent, period, rules)
    if window_ratio is not None and not math.isnan(window_ratio):
        if budget_remaining(window_ratio, objective_percent) <= 0:
            return "BREACH"
    if state == "OK" and _burning_fast(error_ratios, objective_percent, period, rules):
        # The rules wait for the long window so as not to page on a blip; a dashboard must not
        # call "OK" a service that is burning at page speed right now.
        return "WARN"
    return state


def _burning_fast(
    error_ratios: Mapping[str, float | None],
    objective_percent: float,
    period: timedelta,
    rules: Sequence[BurnRule],
) -> bool:
    """The shortest window with data burns at least at the fastest page rule's factor."""
    known = sorted(
        (w for w, r in error_ratios.items() if r is not None and not math.isnan(r)), key=parse_duration
    )
    pages = [rule.factor(period) for rule in applicable_rules(period, rules) if rule.severity == "page"]
    if not known or not pages:
        return False
    ratio = error_ratios[known[0]]
    assert ratio is not None
    return burn_rate(ratio, objective_percent) >= max(pages)


def threshold_state(
    value: float | None, objective: float, warn: float | None = None, breach: float | None = None
) -> State:
    """A gauge against its levels, higher is worse.

    `breach` and `warn` are the alarm levels (reaching one counts). Without a `warn` level, going
    above the objective warns; with neither level, going above the objective is a breach.
    """
    if value is None or math.isnan(value):
        return "UNKNOWN"
    if breach is not None and value >= breach:
        return "BREACH"
    if warn is not None:
        return "WARN" if value >= warn else "OK"
    if value > objective:
        return "WARN" if breach is not None else "BREACH"
    return "OK"


def format_duration(delta: timedelta) -> str:
    """Short human duration for a status line: "43m", "2h 5m", "3d 4h"."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"
