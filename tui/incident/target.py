"""Which incident is meant when none is named: the one open incident, and never a guess.

With several incidents open (two outages at once, or a drill beside a real one) a bare
`warroom note` once went to the newest and a second `warroom resolve` resolved the other one.
Now whoever asks for "the" open incident gets it only when there is exactly one; with several
they get `SeveralOpen`, whose one line lists them so the person can say which.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui.core.untrusted import one_line
from tui.incident.lifecycle import CLOSED_STATUSES
from tui.incident.store import IncidentStore, IncidentSummary

LISTED = 5  # open incidents named in one line; more are counted


class SeveralOpen(Exception):
    """More than one incident is open and none was named."""

    def __init__(self, found: Sequence[IncidentSummary]) -> None:
        self.found = tuple(found)
        super().__init__(f"{len(self.found)} incidents are open: {listing(self.found)}")


def is_open(summary: IncidentSummary) -> bool:
    return summary.status not in CLOSED_STATUSES


def label(summary: IncidentSummary, title_len: int = 40) -> str:
    """'#3 DRILL "Redis down" (SEV2 investigating)': one incident, in a line of several."""
    drill = "DRILL " if summary.drill else ""
    title = one_line(summary.title, title_len)
    return f'#{summary.id} {drill}"{title}" ({one_line(summary.severity, 12)} {summary.status})'


def listing(found: Sequence[IncidentSummary]) -> str:
    shown = ", ".join(label(s) for s in found[:LISTED])
    more = len(found) - LISTED
    return shown + (f" and {more} more (warroom incidents)" if more > 0 else "")


async def open_incidents(store: IncidentStore) -> list[IncidentSummary]:
    """The incidents not resolved or closed, drills too, oldest first."""
    return [s for s in await store.incidents() if is_open(s)]


async def the_open_incident(store: IncidentStore) -> int | None:
    """The one open incident; None when none is open; `SeveralOpen` when more than one is."""
    found = await open_incidents(store)
    if len(found) > 1:
        raise SeveralOpen(found)
    return found[0].id if found else None


__all__ = ["SeveralOpen", "is_open", "label", "listing", "open_incidents", "the_open_incident"]
