"""Small formatting helpers shared by the panels (plain strings, no markup)."""

from __future__ import annotations

from datetime import datetime


def age(seconds: float | None) -> str:
    """Compact age like kubectl: 42s, 7m, 3h, 2d."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def since(at: datetime | None, now: datetime) -> str:
    return "-" if at is None else age((now - at).total_seconds())


def latency(ms: float | None) -> str:
    if ms is None:
        return "-"
    if ms < 10:
        # Loopback latencies jitter between 1 and 4 ms; showing them to the millisecond would
        # repaint the row every check for no information, so below 10 ms show one bucket.
        return "<10ms"
    if ms < 1000:
        return f"{int(round(ms, -1))}ms"
    return f"{ms / 1000:.1f}s"


def percent(fraction: float | None, digits: int = 2) -> str:
    return "-" if fraction is None else f"{fraction * 100:.{digits}f}%"


def clock_hms(at: datetime) -> str:
    return at.strftime("%H:%M:%S")


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float, ...] | list[float], width: int = 12) -> str:
    vals = list(values)[-width:]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-12:
        return SPARK[0] * len(vals)
    return "".join(SPARK[min(7, int((v - lo) / (hi - lo) * 7.999))] for v in vals)


def middle_ellipsis(text: str, width: int | None) -> str:
    """Cut `text` to `width` in the middle: pod names differ at the end
    ("api-gateway-7d9f8b6c5-x2k4p"), so the end must survive a narrow column."""
    if width is None or width <= 0 or len(text) <= width:
        return text
    if width < 5:
        return text[:width]
    tail = (width - 1) // 2
    return f"{text[: width - 1 - tail]}…{text[-tail:]}"
