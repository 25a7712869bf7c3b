"""The response times of an incident (detect, acknowledge, mitigate, resolve), each either a span
or the reason it has none.

A span is given only when both of its ends happened and neither is defined by the other: with no
start of impact asserted, the start *is* the first detection, so "time to detect" would read 0 s
by construction; when a person declared before any detection, that declaration is both the
detection and the acknowledgement. Such a measure is "—" with the reason, never a 0 s that
reads like a fast response.

Pure: a function of the folded `IncidentState` (see `tui.incident.lifecycle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tui.incident.lifecycle import IncidentState

_Measure = tuple[timedelta | None, str]  # the span, or None and why


@dataclass(frozen=True, slots=True)
class ResponseTime:
    name: str  # "Time to detect"
    path: str  # what it spans: "start of impact → first detection"
    span: timedelta | None  # None: not measured, see `why_not`
    why_not: str = ""  # one short clause: "no detection recorded"


def response_times(state: IncidentState) -> tuple[ResponseTime, ...]:
    start, detected = state.impact_started_at, state.detected_at
    person, mitigated, resolved = state.acknowledged_at, state.mitigated_at, state.resolved_at
    asserted = state.impact_asserted_at
    detect: _Measure
    ack: _Measure
    mitigate: _Measure
    resolve: _Measure

    if detected is None:
        detect = (None, "no detection recorded")
    elif asserted is None or asserted > detected:
        # The start of impact fell back to the first detection itself.
        detect = (None, "no start of impact asserted: it is taken to be the first detection")
    else:
        detect = (detected - asserted, "")

    if detected is None:
        ack = (None, "no detection recorded")
    elif person is None:
        ack = (None, "no act by a person recorded")
    elif person <= detected:
        ack = (None, "a person raised it: no earlier detection to acknowledge")
    else:
        ack = (person - detected, "")

    if start is None:
        mitigate = (None, "no start of impact recorded")
    elif mitigated is None:
        mitigate = (None, "not mitigated yet")  # resolving counts as mitigated, so it is open
    else:
        mitigate = (max(timedelta(), mitigated - start), "")

    if start is None:
        resolve = (None, "no start of impact recorded")
    elif resolved is None:
        resolve = (None, "not resolved yet")
    else:
        resolve = (max(timedelta(), resolved - start), "")

    return (
        ResponseTime("Time to detect", "start of impact → first detection", *detect),
        ResponseTime("Time to acknowledge", "first detection → first act by a person", *ack),
        ResponseTime("Time to mitigate", "start of impact → mitigating", *mitigate),
        ResponseTime("Time to resolve", "start of impact → resolved", *resolve),
    )


__all__ = ["ResponseTime", "response_times"]
