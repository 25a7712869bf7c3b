"""What leaves the record: a postmortem in Markdown and a JSONL audit log with a hash chain.

Both are pure functions of the events (and the state folded from them), so the same record
always exports to the same bytes (golden-tested); the time of the export appears only when the
caller passes `generated_at`.

The postmortem follows what teams file (PagerDuty's and Google's templates, see
shared/notes/incident-practice.md §1): summary, impact, severity/status/roles history, a
`Time (UTC) | Event | Actor` timeline, actions with outcomes, response times, follow-ups, and
the headings the team fills in. Every piece of text from the record (titles, notes, actors,
action output) is untrusted: terminal control is removed (`tui.core.untrusted.clean`), newlines
become " ⏎ ", and Markdown and HTML syntax is backslash-escaped, so a note can neither break a
table nor inject a link, an image or markup. Status updates keep their lines: the timeline's
cell links to the update, quoted in full under the table (`quoted`, escaped the same way).

Choices made here:
- Every table is ordered by occurred_at (then id; `in_time_order`, the order the screen shows
  too): an event asserted to have happened earlier, a detection carried into the incident when
  it was declared, takes its place, marked with when it was recorded. `starred` events
  (star/unstar marks) are not rows of their own; the starred event carries ★. A corrected event
  stays, struck through, naming its correction.
- Events are cited by their number within the incident (#1, #2, ... in id order,
  `event_numbers`), not by the record's id, which all incidents share; the JSONL keeps both.
- Follow-ups are the notes whose text (after corrections) starts with "TODO", "FIXME",
  "follow-up"/"follow up"/"followup" or "action item". The record has no "done" state, so all
  are listed open, as a checklist to copy into the team's tracker.
- Response times: detect = start of impact → first detection (automatic, or the declaration);
  acknowledge = first detection → first event written by a person; mitigate = start of impact
  → status mitigating (or later); resolve = start of impact → resolved. "—" and the reason when
  not reached or not measurable (`tui.incident.response_times`), never a 0 s by construction.
- The status-update cadence is named for each stretch at one severity, as it applied then.

The JSONL audit log is one event a line: ASCII JSON, keys sorted, no spaces, then `hash` as
the last key; `id` is the record's id, `number` the event's number in its incident, `seq` the
line's number in the file. Each line carries `prev_hash`, the SHA-256 of the previous line's exact bytes
(without its newline; the first line's is that of the empty string), and `hash`, the SHA-256
of the line as it reads without its `,"hash":"…"` (that is, the canonical JSON of every other
key), so changing, inserting, removing or reordering lines shows in `check_chain` (which says
where and what, for `warroom verify`).
Cutting lines off the end leaves a valid shorter chain: keep the last hash elsewhere (the CLI
prints it) to detect that. The chain is evidence against edits, not a signature: anyone can
recompute it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.config.schema import DEFAULT_SEVERITIES, SeverityConfig
from tui.core.untrusted import MAX_LINE, clean
from tui.domain.detection import LEVEL_LABEL
from tui.incident.events import ROLES, Event, event_numbers, in_time_order
from tui.incident.lifecycle import STATUS_RANK, IncidentState, fold, severity_named
from tui.incident.outcomes import ROLLING_OUT, UNKNOWN, outcomes, rollout_ends, rollouts_pending, unfinished
from tui.incident.response_times import response_times
from tui.incident.store import IncidentStore, to_db_time

NONE = "—"
NBSP = "\u00a0"
# Markdown (CommonMark + GitHub: strikethrough, tables, math) and HTML characters that could
# start markup inside a line. Block syntax (#, -, >, 1.) only counts at a line's start, and no
# untrusted text ever starts a line here.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
_FOLLOW_UP = re.compile(r"^\s*(?:todo|fixme|follow[- ]?up|action item)\b", re.IGNORECASE)
_LABELS = {
    "declared": "Declared",
    "severity_changed": "Severity",
    "status_changed": "Status",
    "role_assigned": "Role",
    "note": "Note",
    "status_update": "Status update",
    "action_requested": "Action requested",
    "action_succeeded": "Action succeeded",
    "action_failed": "Action failed",
    "action_interrupted": "Action interrupted",
    "rollout_complete": "Rollout complete",
    "rollout_stalled": "Rollout stalled",
    "rollout_interrupted": "Rollout not followed to the end",
    "detected": "Detected",
    "checklist_step": "Checklist",
    "reopened": "Reopened",
    "corrected": "Correction",
    "starred": "Star",
}
_HISTORY_KINDS = ("declared", "severity_changed", "status_changed", "reopened", "role_assigned")


# -- Markdown pieces ------------------------------------------------------------------------


# Printable ASCII with nothing to escape (and the arrow of status texts): `clean` and the
# escaping would return it unchanged, so most cells of a 100 000-row timeline skip both.
_PLAIN = re.compile(r"[ !\"#%'()+,\-./0-9:;=?@A-Z^a-z{}→]*")


def md(text: object) -> str:
    """Untrusted text as literal Markdown on one line: no control, no markup, no table break."""
    text = str(text)
    if len(text) <= MAX_LINE and _PLAIN.fullmatch(text):
        return text
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


def _time(at: datetime | None) -> str:
    if at is None:
        return NONE
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.isoformat(sep=" ", timespec="seconds")[:19]  # without "+00:00"


def duration(span: timedelta | None) -> str:
    """ "45 s", "4 min 05 s", "1 h 02 min", "2 d 3 h 04 min"; negative spans count as 0."""
    if span is None:
        return NONE
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _span(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start is not None and end is not None else None


def _actor(event: Event) -> str:
    who = md(event.actor)
    return who if event.actor_kind == "human" else f"{who} ({event.actor_kind})"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [_row(*header), _row(*("---" for _ in header)), *(_row(*row) for row in rows)]


# -- what the record says --------------------------------------------------------------------


class _Record:
    """The events indexed the ways the postmortem reads them."""

    def __init__(
        self,
        state: IncidentState,
        events: Sequence[Event],
        severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
    ) -> None:
        self.state = state
        self.severities = severities
        self.events = sorted((e for e in events if e.incident_id == state.id), key=lambda e: e.id)
        self.by_id = {e.id: e for e in self.events}
        self.numbers = event_numbers(self.events)
        self.corrected_by = dict(state.corrected)
        self._ordered = in_time_order(self.events)

    def cite(self, event_id: int | None) -> str:
        """ "#7": the event's number in this incident (what a reader cites), "#?" if unknown."""
        number = self.numbers.get(event_id) if event_id is not None else None
        return f"#{number}" if number is not None else "#?"

    def current_text(self, event: Event) -> str:
        """The text after every correction of `event` (a correction can be corrected too)."""
        seen = {event.id}
        while event.id in self.corrected_by:
            later = self.by_id.get(self.corrected_by[event.id])
            if later is None or later.id in seen:
                break
            seen.add(later.id)
            event = later
        return event.text

    def ordered(self) -> list[Event]:
        return self._ordered

    def end(self, generated_at: datetime | None) -> datetime | None:
        """Where an open incident's durations stop: the export time, else its last event."""
        if self.state.resolved_at is not None:
            return self.state.resolved_at
        if generated_at is not None:
            return generated_at
        return max((e.occurred_at for e in self.events), default=None)


def _impact_basis(state: IncidentState) -> str:
    start = state.impact_started_at
    if start is None:
        return ""
    if state.impact_asserted_at is not None and state.impact_asserted_at == start:
        return "asserted when declared"
    if state.first_detected_at is not None and state.first_detected_at == start:
        return "first automatic detection"
    return "the declaration"


@dataclass(slots=True)
class _Stretch:
    """A stretch of time the incident was open at one severity, and the updates sent in it."""

    severity: str
    start: datetime
    end: datetime | None = None
    updates: int = 0

    @property
    def span(self) -> timedelta:
        return max(timedelta(), (self.end or self.start) - self.start)


def _stretches(record: _Record, generated_at: datetime | None) -> list[_Stretch]:
    """The incident's open time cut at each severity change, resolution and reopening, in
    record (id) order as the state is folded; an open incident's last stretch ends at
    `_Record.end`."""
    out: list[_Stretch] = []
    severity, current = "?", None
    for event in record.events:
        data, at = event.data, event.occurred_at
        if event.kind == "status_update":
            if current is not None:
                current.updates += 1
            elif out:
                out[-1].updates += 1  # sent after resolution: counted with the last stretch
            continue
        if event.kind == "declared":
            severity = str(data.get("severity", "?"))
            opens = True
        elif event.kind == "severity_changed":
            severity = str(data.get("to", severity))
            opens = current is not None
        elif event.kind in ("status_changed", "reopened"):
            opens = STATUS_RANK.get(str(data.get("to", "")), 0) < STATUS_RANK["resolved"]
            if opens and current is not None:
                continue  # a move between open statuses: the same stretch
        else:
            continue
        if current is not None:
            current.end = at
            current = None
        if opens:
            current = _Stretch(severity, at)
            out.append(current)
    if current is not None:
        current.end = record.end(generated_at)
    return out


def _severity_time(stretches: Sequence[_Stretch]) -> list[tuple[str, timedelta]]:
    """Time spent open at each severity, in the order first reached."""
    totals: dict[str, timedelta] = {}
    for stretch in stretches:
        totals[stretch.severity] = totals.get(stretch.severity, timedelta()) + stretch.span
    return list(totals.items())


def _cadence(severity: str, severities: Sequence[SeverityConfig]) -> str:
    found = severity_named(severity, severities)
    if found is None:
        return "no cadence configured for it"
    if found.update_every_min is None:
        return "no update cadence"
    return f"an update every {found.update_every_min:g} min"


def _level(event: Event) -> str:
    """A detection's level (`tui.domain.detection`): problem, warning, flapping or ok (recovered)."""
    return str(event.data.get("level", "problem"))


def _history_text(event: Event, record: _Record) -> str:
    data = event.data
    if event.kind == "declared":
        title = md(record.current_text(event))
        return f"Declared {md(data.get('severity', '?'))}, {md(data.get('status', 'investigating'))}: {title}"
    if event.kind == "severity_changed":
        return f"Severity {md(event.text)}"
    if event.kind == "status_changed":
        return f"Status {md(event.text)}"
    if event.kind == "reopened":
        return f"Reopened: {md(event.text.removeprefix('reopened: '))}"
    role = md(data.get("role", "?"))
    assignee = data.get("assignee")
    if not assignee:
        return f"{role.capitalize()}: nobody"
    if data.get("handover"):
        return f"{role.capitalize()} handover: {md(data.get('previous'))} → {md(assignee)}"
    return f"{role.capitalize()}: {md(assignee)}"


def _timeline_text(event: Event, record: _Record) -> str:
    label = _LABELS.get(event.kind, event.kind)
    if event.kind == "detected":
        label = LEVEL_LABEL.get(_level(event), "detected").capitalize()  # "Recovered", "Warning"
    if event.kind == "corrected":
        target = record.by_id.get(event.supersedes or -1)
        what = _LABELS.get(target.kind, target.kind).lower() if target else "event"
        head = f"**Correction** {record.cite(event.id)} of {what} {record.cite(event.supersedes)}"
    else:
        head = f"**{label}** {record.cite(event.id)}"
    if event.kind == "declared":
        body = f"{md(event.text)} ({md(event.data.get('severity', '?'))})"
    elif event.kind == "status_update":
        # Several lines, as sent: quoted in full below the table (`_status_update`), not run
        # together into one cell.
        body = f"[see below](#{_status_update_anchor(event, record)})"
    else:
        body = md(event.text) if event.text else ""
    later = record.corrected_by.get(event.id)
    if later is not None:
        by = f"(corrected by {record.cite(later)})"
        body = f"~~{body}~~ {by}" if body else by
    text = f"{head}: {body}" if body else head
    if event.id in record.state.starred:
        text = f"★ {text}"
    if abs((event.recorded_at - event.occurred_at).total_seconds()) >= 1:
        text += f" _(recorded {_time(event.recorded_at)})_"
    return text


def _status_update_anchor(event: Event, record: _Record) -> str:
    """The id GitHub and GitLab give the heading "Status update #16"."""
    return f"status-update-{record.cite(event.id)[1:]}"


def _status_update(event: Event, record: _Record) -> list[str]:
    """One status update as sent, under its own heading: who and when, then the text as a block
    quote, line by line (`quoted`)."""
    later = record.corrected_by.get(event.id)
    corrected = f"; corrected by {record.cite(later)}" if later is not None else ""
    severity = event.data.get("severity")  # as it was when the update was sent
    at = f", at {md(severity)} ({_cadence(str(severity), record.severities)})" if severity else ""
    return [
        f"### Status update {record.cite(event.id)}",
        "",
        f"{_time(event.occurred_at)} UTC, {_actor(event)}{at}{corrected}:",
        "",
        *quoted(event.text),
    ]


# What would open a block at a line's start in Markdown: a heading, a list item ("-", "+", "1.",
# "1)"), a setext underline or a thematic break ("=", "-"). Inside a block quote untrusted text
# starts lines, so these are escaped too ("*", ">", "`" and "~" already are, by `md`).
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")
_BLOCK_MARK = re.compile(r"^([#+=-])")


def quoted(text: str) -> list[str]:
    """Untrusted text of several lines as a Markdown block quote that keeps its lines and says
    them literally: each line escaped as in a table cell (`md`), its block syntax escaped, its
    indentation kept as no-break spaces (four spaces would start a code block), a hard break
    (a trailing backslash) between lines, an empty quoted line between paragraphs."""
    lines = clean(text, keep_newlines=True).split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        body = line.lstrip(" ")
        if not body:
            out.append(">")
            continue
        indent = NBSP * (len(line) - len(body))
        body = _BLOCK_MARK.sub(r"\\\1", _LIST_NUMBER.sub(r"\1\\\2", md(body)))
        more = i + 1 < len(lines) and bool(lines[i + 1].strip())
        out.append(f"> {indent}{body}" + ("\\" if more else ""))
    return out


def _follow_ups(record: _Record) -> list[tuple[Event, str]]:
    found = []
    for event in record.ordered():
        if event.kind != "note":
            continue
        text = record.current_text(event)
        if _FOLLOW_UP.match(text):
            found.append((event, text))
    return found


# -- the postmortem --------------------------------------------------------------------------


def postmortem_markdown(
    state: IncidentState,
    events: Sequence[Event],
    *,
    severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
    generated_at: datetime | None = None,
) -> str:
    """The incident's postmortem in Markdown; `events` are all of its events, oldest first.

    Deterministic: the same record and `generated_at` give the same text. `severities` give the
    status-update cadences named; the severity names shown are the recorded ones.
    """
    record = _Record(state, events, severities)
    out: list[str] = []
    title = md(state.title or f"incident #{state.id}")
    out.append(f"# {'[DRILL] ' if state.drill else ''}Postmortem: {title}")
    out.append("")
    if state.drill:
        out.append(
            "> **DRILL.** This incident was a drill (a rehearsal), not a real outage: keep it out of "
            "incident counts and response-time metrics."
        )
        out.append("")
    stamp = f", exported {_time(generated_at)} UTC" if generated_at is not None else ""
    out.append(f"Incident #{state.id} from the warroom incident record{stamp}.")
    out += ["", *_summary(record, severities, generated_at)]
    out += ["", *_impact(record, generated_at)]
    out += ["", *_history(record)]
    out += ["", *_timeline(record)]
    out += ["", *_actions(record, generated_at)]
    out += ["", *_response_times(state)]
    out += ["", *_follow_up_section(record)]
    out += ["", *_to_write()]
    return "\n".join(out) + "\n"


def _summary(
    record: _Record, severities: Sequence[SeverityConfig], generated_at: datetime | None
) -> list[str]:
    state = record.state
    severity = md(state.severity)
    if state.peak_severity not in ("?", state.severity):
        severity += f" (peak {md(state.peak_severity)})"
    status = md(state.status)
    if state.reopened_at is not None:
        status += f" (reopened {_time(state.reopened_at)} UTC)"
    start = state.impact_started_at
    if state.resolved_at is not None:
        length = f"{duration(_span(start, state.resolved_at))}, from the start of impact to resolution"
    elif generated_at is not None:
        length = f"ongoing: {duration(_span(start, generated_at))} at the time of export"
    else:
        length = "ongoing"
    others = [role for role in ROLES if role != "commander" and role in state.roles]
    roles = [f"{role} {md(state.roles[role])}" for role in others]
    updates = sum(1 for e in record.events if e.kind == "status_update")
    # The cadence as it applied: one line per stretch at one severity, not only today's.
    cadences = [
        f"  - {md(s.severity)} from {_time(s.start)} UTC for {duration(s.span)}: "
        f"{_cadence(s.severity, severities)}; {s.updates} sent"
        for s in _stretches(record, generated_at)
    ]
    lines = ["## Summary", ""]
    if state.drill:
        lines.append("- **Drill:** yes")
    lines += [
        f"- **Severity:** {severity}",
        f"- **Status:** {status}",
        f"- **Declared:** {_time(state.declared_at)} UTC by {md(state.declared_by or '?')}",
        f"- **Commander:** {md(state.commander) if state.commander else NONE + ' (none assigned)'}",
        f"- **Other roles:** {', '.join(roles) if roles else NONE}",
        f"- **Duration:** {length}",
        f"- **Status updates:** {updates} sent" + (", by severity:" if cadences else ""),
        *cadences,
        f"- **Events recorded:** {len(record.events)}",
    ]
    return lines


def _impact(record: _Record, generated_at: datetime | None) -> list[str]:
    state = record.state
    lines = ["## Impact", ""]
    start = state.impact_started_at
    lines.append(f"- **Impact started:** {_time(start)} UTC ({_impact_basis(state)})")
    stretches = _stretches(record, generated_at)
    spent = [f"{md(name)} {duration(span)}" for name, span in _severity_time(stretches)]
    lines.append(f"- **Time at each severity:** {', '.join(spent) if spent else NONE}")
    subjects: dict[tuple[str, str], list[Event]] = {}
    for event in record.ordered():
        if event.kind == "detected":
            key = (str(event.data.get("signal", "?")), str(event.data.get("subject", "?")))
            subjects.setdefault(key, []).append(event)
    if subjects:
        lines.append("- **Detected automatically:**")
        for (signal, subject), found in subjects.items():
            # A recovery is recorded as a `detected` event too; it is not a detection.
            times = [e.occurred_at for e in found if _level(e) != "ok"]
            recovered = [e.occurred_at for e in found if _level(e) == "ok"]
            said = []
            if times:
                count = f"{len(times)} detection{'s' if len(times) != 1 else ''}"
                span = f"first {_time(times[0])}" + (f", last {_time(times[-1])}" if len(times) > 1 else "")
                said.append(f"{count}, {span} UTC")
            if recovered:
                said.append(f"recovered {_time(recovered[-1])} UTC")
            lines.append(f"  - {md(signal)} {md(subject)}: {'; '.join(said)}")
    else:
        lines.append("- **Detected automatically:** nothing")
    lines.append("- **Who and what was affected, and how much:** _to be written by the team_")
    return lines


def _history(record: _Record) -> list[str]:
    rows = [
        (_time(e.occurred_at), _history_text(e, record), _actor(e))
        for e in record.ordered()
        if e.kind in _HISTORY_KINDS
    ]
    return ["## Severity, status and roles", "", *_table(("Time (UTC)", "Change", "By"), rows)]


def _timeline(record: _Record) -> list[str]:
    rows = [
        (_time(e.occurred_at), _timeline_text(e, record), _actor(e))
        for e in record.ordered()
        if e.kind != "starred"
    ]
    lines = ["## Timeline", ""]
    lines += _table(("Time (UTC)", "Event", "Actor"), rows)
    lines += ["", "★ starred. Struck-through text was corrected; the correction follows it."]
    for event in record.ordered():
        if event.kind == "status_update":
            lines += ["", *_status_update(event, record)]
    return lines


def _actions(record: _Record, now: datetime | None) -> list[str]:
    """Each request with its outcome; one with none is "outcome unknown" unless the export is
    made while it may still be running (no export time: unknown)."""
    done_by = outcomes(record.events)
    rolled = rollout_ends(record.events)
    rolling = rollouts_pending(record.events, now) if now is not None else {}
    rows = []
    for event in record.ordered():
        if event.kind != "action_requested":
            continue
        done = done_by.get(event.id)
        if done is None:
            if now is None or unfinished(event, now) == UNKNOWN:
                outcome = "**outcome unknown**: no outcome recorded (warroom stopped without hearing)"
            else:
                outcome = "still running at export"
            took = NONE
        else:
            verb = {"action_succeeded": "succeeded", "action_interrupted": "**interrupted**"}.get(
                done.kind, "**failed**"
            )
            text = md(record.current_text(done))
            cited = record.cite(done.id)
            outcome = f"{verb}: {text} ({cited})" if text else f"{verb} ({cited})"
            took = duration(done.occurred_at - event.occurred_at)
            end = rolled.get(event.id)
            if end is not None:
                # The rollout it set going, followed to its end: that is when the action was done.
                how = {"rollout_complete": "rolled out", "rollout_stalled": "**rollout stalled**"}.get(
                    end.kind, "**rollout not followed to the end**"
                )
                outcome += f"; {how}: {md(record.current_text(end))} ({record.cite(end.id)})"
                took = duration(end.occurred_at - event.occurred_at)
            elif rolling.get(done.id) == ROLLING_OUT:
                outcome += "; still rolling out at export"
            elif isinstance(done.data.get("follow"), dict):
                outcome += "; **rollout outcome unknown**: no end of its rollout recorded"
        action = f"{md(record.current_text(event))} ({record.cite(event.id)})"
        rows.append((_time(event.occurred_at), action, _actor(event), outcome, took))
    lines = ["## Actions taken", ""]
    if not rows:
        return [*lines, "No actions were run through warroom."]
    return lines + _table(("Requested (UTC)", "Action", "By", "Outcome", "Took"), rows)


def _response_times(state: IncidentState) -> list[str]:
    rows = [
        (r.name, duration(r.span) if r.span is not None else f"{NONE} ({r.why_not})", r.path)
        for r in response_times(state)
    ]
    lines = ["## Response times", "", *_table(("Measure", "Time", "From → to"), rows)]
    if state.drill:
        lines += ["", "A drill: these times are practice, not incident metrics."]
    return lines


def _follow_up_section(record: _Record) -> list[str]:
    found = _follow_ups(record)
    lines = ["## Follow-ups", ""]
    if not found:
        return [*lines, 'None recorded (notes starting with "TODO" or "follow-up:" are collected here).']
    for event, text in found:
        cited = record.cite(event.id)
        lines.append(f"- [ ] {md(text)} ({cited}, {md(event.actor)}, {_time(event.occurred_at)} UTC)")
    return lines


def _to_write() -> list[str]:
    lines = []
    for heading in (
        "Root causes",
        "Trigger",
        "Resolution",
        "What went well",
        "What went wrong",
        "Where we got lucky",
    ):
        lines += [f"## {heading}", "", "_To be written by the team._", ""]
    return lines[:-1]


# -- the JSONL audit log ---------------------------------------------------------------------


# ASCII only: no line separator (U+2028, NEL) inside a line for any tool to split on. One
# encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _canonical(obj: dict[str, Any]) -> str:
    return _ENCODER.encode(obj)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _sealed(body: dict[str, Any]) -> str:
    """The line of `body`: its canonical JSON with `"hash"` (of that JSON) added last."""
    canonical = _canonical(body)
    return f'{canonical[:-1]},"hash":"{_sha256(canonical)}"}}'


GENESIS = hashlib.sha256(b"").hexdigest()


def audit_jsonl(events: Iterable[Event], *, drill: bool | None = None) -> Iterator[str]:
    """One JSON object per event (no newline), chained by hashes (see the module's docstring).

    `events`: all of an incident's events, oldest (by id) first, so `number` is each event's
    number in its incident (`event_numbers`). `drill`: whether the incident is a drill; by
    default read from its `declared` event. Every line says so, so no line of a drill is
    mistaken for a real incident's.
    """
    prev = GENESIS
    numbers: dict[int, int] = {}  # incident -> events numbered so far
    for seq, event in enumerate(events, start=1):
        if drill is None:
            drill = bool(event.data.get("drill")) if event.kind == "declared" else False
        numbers[event.incident_id] = number = numbers.get(event.incident_id, 0) + 1
        body = {
            "seq": seq,
            "id": event.id,
            "number": number,
            "incident_id": event.incident_id,
            "drill": drill,
            "recorded_at": to_db_time(event.recorded_at),
            "occurred_at": to_db_time(event.occurred_at),
            "actor": event.actor,
            "actor_kind": event.actor_kind,
            "source": event.source,
            "kind": event.kind,
            "text": event.text,
            "data": event.data,
            "starred": event.starred,
            "supersedes": event.supersedes,
            "prev_hash": prev,
        }
        line = _sealed(body)
        yield line
        prev = _sha256(line)


# What every line of an audit log has (older exports have no `number`; their chain still holds).
_AUDIT_KEYS = {"seq": int, "id": int, "incident_id": int, "kind": str, "prev_hash": str, "hash": str}


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What `check_chain` found: an intact chain, or the first line that breaks it and why."""

    lines: int  # lines read
    broken_at: int | None = None  # the number (from 1) of the first line that breaks the chain
    problem: str = ""  # what is wrong there, one line: "edited: its content does not match its hash"
    what: str = ""  # the breaking line's event as it says, "note #5", when it reads as one
    audit_lines: int = 0  # lines that look like audit lines at all: none, and it is not an audit log
    incidents: tuple[int, ...] = ()  # the incidents of the intact lines, in order of appearance
    first_line: dict[str, Any] | None = None  # the first and last intact lines, parsed
    last_line: dict[str, Any] | None = None
    last_hash: str = ""  # the SHA-256 of the last line, what `warroom export` prints

    @property
    def intact(self) -> bool:
        return self.broken_at is None


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    obj: dict[str, Any] | None  # None: not an audit line, see `problem`
    problem: str = ""


def _parse(raw: str | bytes) -> _Line:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")  # not ASCII is a reformat (or an edit), said below
        except UnicodeDecodeError:
            return _Line("", None, "not text (not UTF-8)")
    text = raw.removesuffix("\n")
    if not text.strip():
        return _Line(text, None, "an empty line")
    try:
        obj = json.loads(text)
    except ValueError:
        return _Line(text, None, "not JSON")
    if not isinstance(obj, dict):
        return _Line(text, None, "not a JSON object")
    missing = [key for key, kind in _AUDIT_KEYS.items() if not isinstance(obj.get(key), kind)]
    if missing or isinstance(obj.get("seq"), bool):
        return _Line(text, None, f"not an audit line (no {', '.join(missing) or 'seq'})")
    return _Line(text, obj)


def _what(obj: dict[str, Any]) -> str:
    number = obj.get("number")
    return f"{obj['kind']} #{number}" if isinstance(number, int) else f"{obj['kind']}, id {obj['id']}"


def check_chain(lines: Iterable[str | bytes]) -> ChainCheck:
    """Check an audit log's hash chain: where it first breaks and what is wrong there.

    `lines` as `audit_jsonl` wrote them; each may end with "\\n" (as a file iterates). What is
    told apart: a line not of an audit log (not JSON, inserted text), an edited line (its content
    no longer matches its own hash), a reformatted one (content intact, bytes not the export's:
    spacing, key order, escapes, line endings), a line edited and resealed (its hash recomputed:
    the next line's `prev_hash` names another), and by `seq`: deleted lines (a gap), lines out
    of order (the missing seq is further down), duplicated or inserted lines (a seq again).
    Lines cut off the end leave a valid chain: compare `last_hash` with the one kept at export.
    """
    parsed = [_parse(raw) for raw in lines]
    audit = sum(1 for line in parsed if line.obj is not None)
    prev = GENESIS
    incidents: list[int] = []
    first: dict[str, Any] | None = None
    last: dict[str, Any] | None = None

    def broken(number: int, problem: str) -> ChainCheck:
        what = _what(parsed[number - 1].obj or {}) if parsed[number - 1].obj is not None else ""
        return ChainCheck(len(parsed), number, problem, what, audit, tuple(incidents), first, last)

    for number, line in enumerate(parsed, start=1):
        obj = line.obj
        if obj is None:
            return broken(number, f"{line.problem}: inserted, or an audit line damaged past reading")
        body = {key: value for key, value in obj.items() if key != "hash"}
        canonical = _canonical(body)
        if _sha256(canonical) != obj["hash"]:
            return broken(number, "edited: its content does not match its hash")
        if line.text != f'{canonical[:-1]},"hash":"{obj["hash"]}"}}':
            return broken(
                number,
                "reformatted: its content is intact, but not as exported "
                "(spacing, key order, escapes or line ending changed)",
            )
        if first is not None and obj["incident_id"] != first["incident_id"]:
            return broken(
                number,
                f"an event of incident #{obj['incident_id']} in the log of "
                f"incident #{first['incident_id']}: inserted from another export",
            )
        seq = obj["seq"]
        if seq > number:
            later = next(
                (
                    n
                    for n, other in enumerate(parsed[number:], start=number + 1)
                    if other.obj is not None and other.obj["seq"] == number
                ),
                None,
            )
            if later is not None:
                return broken(
                    number,
                    f"out of order: seq {seq} where {number} belongs "
                    f"(seq {number} is at line {later}): lines moved or swapped",
                )
            gap = seq - number
            after = f"the log starts at seq {seq}" if number == 1 else f"seq {seq} follows seq {number - 1}"
            return broken(number, f"deleted: {after}: {gap} line{'s' if gap != 1 else ''} removed before it")
        if seq < number:
            earlier = parsed[seq - 1] if seq >= 1 else None
            if earlier is not None and earlier.text == line.text:
                return broken(number, f"duplicated: the same line as line {seq}")
            return broken(
                number,
                f"seq {seq} again (line {seq} has it): a line was inserted before this one, "
                "or this one is a copy from another export",
            )
        if obj["prev_hash"] != prev:
            if number == 1:
                problem = "its prev_hash does not start a chain: not the first line of an export"
            else:
                problem = (
                    f"its prev_hash does not match line {number - 1}: line {number - 1} was edited "
                    "and its own hash recomputed, or this line was inserted or replaced"
                )
            return broken(number, problem)
        prev = _sha256(line.text)  # ASCII: it equals its canonical form
        if not incidents or incidents[-1] != obj["incident_id"]:
            incidents.append(obj["incident_id"])
        first = first or obj
        last = obj
    return ChainCheck(len(parsed), None, "", "", audit, tuple(incidents), first, last, prev if last else "")


def verify_jsonl(lines: Iterable[str | bytes]) -> int | None:
    """The number (from 1) of the first line that breaks the chain, or None when all hold
    (`check_chain` says what is wrong there)."""
    return check_chain(lines).broken_at


@dataclass(frozen=True, slots=True)
class IncidentExport:
    """One incident as it leaves the record (the `E` key and `warroom export` alike): the
    postmortem and the audit log, made from the very same events, so the two always agree."""

    incident_id: int
    markdown: str
    audit_lines: tuple[str, ...]

    @property
    def audit(self) -> str:
        return "".join(f"{line}\n" for line in self.audit_lines)

    @property
    def last_hash(self) -> str:
        """What a reader records (in the ticket) to detect lines cut off the end later."""
        return hashlib.sha256(self.audit_lines[-1].encode("ascii")).hexdigest() if self.audit_lines else ""


async def export_incident(
    store: IncidentStore,
    incident_id: int,
    *,
    severities: Sequence[SeverityConfig] = DEFAULT_SEVERITIES,
    generated_at: datetime,
) -> IncidentExport:
    events = await store.events(incident_id)  # all of them, not a screen's newest
    state = fold(events, severities)
    markdown = postmortem_markdown(state, events, severities=severities, generated_at=generated_at)
    return IncidentExport(incident_id, markdown, tuple(audit_jsonl(events)))


__all__ = [
    "GENESIS",
    "ChainCheck",
    "IncidentExport",
    "audit_jsonl",
    "check_chain",
    "duration",
    "export_incident",
    "md",
    "postmortem_markdown",
    "verify_jsonl",
]
