"""An SLO's verdict from the numbers its queries gave: state, value, budget left, burn rate and
the one line the panel shows ("burning 14.4× budget over 1h (15.0× over 5m); budget gone in 2h").

Pure, like the maths it uses (`tui.domain.slo`): the Prometheus adapter judges what it fetched
with these functions, and the demo judges its simulated numbers with the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from tui.config.schema import SloConfig
from tui.core.model import SloState, SloStatus
from tui.domain.slo import (
    budget_remaining,
    burn_alert,
    burn_rate,
    format_duration,
    parse_duration,
    ratio_state,
    rule_windows,
    threshold_state,
    time_to_exhaustion,
)

DEFAULT_WINDOW = "30d"


@dataclass(frozen=True, slots=True)
class Sample:
    """What one instant query said: a finite value (None: no data), how many series it had, or
    the error Prometheus gave for the query."""

    value: float | None = None
    series: int = 0
    error: str | None = None


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.2f}"


def judge_ratio(slo: SloConfig, period: timedelta, ratios: Mapping[str, float | None]) -> SloStatus:
    """A ratio SLO from its error ratio per window (None: no data in that window).

    `value` and `burn_rate` are over the shortest burn-rate window with data (5 m for a 30-day
    SLO), so a mitigation shows up within minutes; budget left is over the SLO window.
    """
    window = slo.window or DEFAULT_WINDOW
    objective = slo.objective
    window_ratio = ratios.get(window)
    rule_ratios = {w: ratios.get(w) for w in rule_windows(period)}
    state: SloState = ratio_state(window_ratio, rule_ratios, objective, period)
    if state == "UNKNOWN":
        return SloStatus(slo.name, "ratio", objective, "UNKNOWN", None, window=window, detail="no data")

    by_length = sorted((w for w in rule_ratios if rule_ratios[w] is not None), key=parse_duration)
    current = by_length[0] if by_length else window
    value = ratios.get(current)
    rate = burn_rate(value, objective) if value is not None else None
    remaining = budget_remaining(window_ratio, objective) if window_ratio is not None else None
    alert = burn_alert(rule_ratios, objective, period)

    parts: list[str] = []
    if remaining is not None and remaining <= 0:
        parts.append(f"budget spent ({1 - remaining:.0%} of the {window} budget used)")
    if alert is not None:
        burn = f"burning {alert.long_rate:.1f}× budget over {alert.long}"
        parts.append(f"{burn} ({alert.short_rate:.1f}× over {alert.short})")
        gone = _gone_in(remaining, alert.long_rate, period)
        if gone:
            parts.append(gone)
    elif rate is not None:
        if rate == 0:
            parts.append(f"no errors over {current}")
        else:
            parts.append(f"burning {rate:.1f}× budget over {current}")
        if remaining is not None and remaining > 0:
            parts.append(f"{remaining:.0%} budget left")
            gone = _gone_in(remaining, rate, period) if rate > 1 else None
            if gone:
                parts.append(gone)
    elif remaining is not None and remaining > 0:
        parts.append(f"no traffic lately; {remaining:.0%} budget left")
    return SloStatus(
        slo.name,
        "ratio",
        objective,
        state,
        value,
        window=window,
        budget_remaining=remaining,
        burn_rate=rate,
        detail="; ".join(parts),
    )


def _gone_in(remaining: float | None, rate: float, period: timedelta) -> str | None:
    if remaining is None or remaining <= 0:
        return None
    left = time_to_exhaustion(remaining, rate, period)
    return None if left is None else f"budget gone in {format_duration(left)}"


def judge_threshold(slo: SloConfig, sample: Sample) -> SloStatus:
    """A gauge against objective ≤ warn ≤ breach; lower is better."""
    value = sample.value
    state = threshold_state(value, slo.objective, slo.warn, slo.breach)
    if value is None:
        detail = "no data"
    elif state == "BREACH" and slo.breach is not None and value >= slo.breach:
        detail = f"{_num(value)} ≥ breach {_num(slo.breach)}"
    elif state == "WARN" and slo.warn is not None:
        detail = f"{_num(value)} ≥ warn {_num(slo.warn)}"
    elif state in ("WARN", "BREACH"):  # no level of its own: the objective is the line
        detail = f"{_num(value)} > objective {_num(slo.objective)}"
    elif value > slo.objective:
        detail = f"{_num(value)} above objective {_num(slo.objective)}"
        if slo.warn is not None:
            detail += f", under warn {_num(slo.warn)}"
    else:
        detail = f"{_num(value)} within objective {_num(slo.objective)}"
    if sample.series > 1:
        detail += f" (worst of {sample.series} series)"
    return SloStatus(slo.name, "threshold", slo.objective, state, value, detail=detail, unit=slo.unit or "")
