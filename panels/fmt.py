"""Small formatting helpers shared by the panels (plain strings, no markup)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


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
    """Age in whole minutes ("<1m", "7m", "3h"): a cell that ticked every second would repaint
    its row with every check for no news (the status line already says when data is late)."""
    if at is None:
        return "-"
    seconds = (now - at).total_seconds()
    return "<1m" if seconds < 60 else age(seconds)


def human_duration(d: timedelta) -> str:
    """A duration the way kubectl prints AGE and "(91s ago)" (apimachinery's HumanDuration):
    two or three significant figures, "4m1s", "47h", "2d23h", "8d", "3y45d". A clock up to 2 s
    behind reads "0s"; further behind, "<invalid>"."""
    us = d // timedelta(microseconds=1)
    seconds = us // 1_000_000 if us >= 0 else -(-us // 1_000_000)  # truncated toward zero, as Go
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 2 * 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m{s}s" if s else f"{minutes}m"
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h{m}m" if m else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 8 * 24:
        h = hours % 24
        return f"{hours // 24}d{h}h" if h else f"{hours // 24}d"
    if hours < 2 * 365 * 24:
        return f"{hours // 24}d"
    years, days = divmod(hours // 24, 365)
    if hours < 8 * 365 * 24 and days:
        return f"{years}y{days}d"
    return f"{years}y"


def human_duration_next(elapsed_s: float) -> int:
    """The elapsed whole seconds at which `human_duration`'s text next changes (later than
    `elapsed_s`): a cell showing "3h12m" needs writing again only a minute on, "8d" a day on.
    Seconds, not timedeltas: the pods panel asks this for every pod of every snapshot."""
    seconds = math.floor(elapsed_s)
    # The text moves every second below 10 minutes ("4m1s"), then every minute ("179m",
    # "7h59m"), every hour ("47h", "7d23h"), every day ("729d", "7y364d"), every year. Each band
    # starts on a multiple of the step before it, so the text changes exactly when the elapsed
    # whole steps do.
    if seconds < 10 * 60:
        step = 1
    elif seconds < 8 * 3600:
        step = 60
    elif seconds < 8 * 86400:
        step = 3600
    elif seconds < 8 * 365 * 86400:
        step = 86400
    else:
        step = 365 * 86400
    return (seconds // step + 1) * step


def kube_age(at: datetime | None, now: datetime) -> str:
    """AGE as `kubectl get pods` prints it ("<unknown>" without a creation time)."""
    return "<unknown>" if at is None else human_duration(now - at)


def latency(ms: float | None) -> str:
    if ms is None:
        return "-"
    # Latencies jitter by a few milliseconds from one check to the next; shown exactly, every
    # check would repaint its row for no information. Below 100 ms three buckets tell enough.
    if ms < 10:
        return "<10ms"
    if ms < 50:
        return "<50ms"
    if ms < 100:
        return "<100ms"
    if ms < 1000:
        # 50 ms steps: jitter of a few ms would otherwise repaint the row on every check.
        return f"{int(round(ms / 50) * 50)}ms"
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
    # A pod's name ends in its ReplicaSet hash and its own suffix ("-7d9f8b6c5-x2k4p"): keep
    # both whole when the deployment's name can still show a few characters before the cut.
    parts = text.rsplit("-", 2)
    if len(parts) == 3:
        ids = len(parts[1]) + len(parts[2]) + 2
        if width - 1 - ids >= 5:
            tail = max(tail, ids)
    return f"{text[: width - 1 - tail]}…{text[-tail:]}"
