"""The one-line status every panel shows about its source: live, late, or the error and when the
next try is."""

from __future__ import annotations

import math
from datetime import datetime

from rich.text import Text

from panels.fmt import age
from tui.core.model import SourceStatus
from tui.core.untrusted import one_line


def status_text(status: SourceStatus | None, now: datetime, interval_s: float) -> Text:
    """What the status line says. While the source is fresh it reads "live" and stays constant
    (a ticking age on five panels would repaint five lines a second for no news); the age
    appears once the data is late or the source fails."""
    if status is None:
        return Text("… waiting for the first data", style="dim")
    if status.ok and status.updated_at is not None:
        late_after = max(3.0, 2.5 * interval_s)
        seconds = (now - status.updated_at).total_seconds()
        if seconds <= late_after:
            return Text("● live", style="green")
        return Text(f"◌ no new data for {age(seconds)}", style="yellow")
    parts = Text("✖ ", style="bold red")
    parts.append(one_line(status.error or "failed", 90), style="red")
    if status.updated_at is not None:
        parts.append(f" · stale {age((now - status.updated_at).total_seconds())}", style="yellow")
    else:
        parts.append(" · no data yet", style="yellow")
    if status.trying:
        parts.append(" · retrying now", style="dim")
    elif status.retry_at is not None:
        # Rounded up, as a countdown is: "retry in 0s" would be said a whole second early.
        parts.append(f" · retry in {age(math.ceil((status.retry_at - now).total_seconds()))}", style="dim")
    return parts
