"""The exports: golden files of both formats (regenerate with WARROOM_UPDATE_GOLDEN=1 and read
the diff), the hash chain catching edits, and untrusted text kept literal in Markdown."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.incident.helpers import CI, SYSTEM, drill, frozen, open_incidents, outage
from tests.timebase import T0
from tui.incident.export import (
    GENESIS,
    audit_jsonl,
    check_chain,
    duration,
    md,
    postmortem_markdown,
    verify_jsonl,
)
from tui.incident.lifecycle import fold

GOLDEN = Path(__file__).parent / "golden"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("WARROOM_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {name}: run with WARROOM_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


async def _exported(tmp_path: Path, build) -> tuple[str, list[str]]:
    clock = frozen()
    incidents = await open_incidents(tmp_path / "i.db", clock)
    try:
        incident = await build(incidents, clock)
        events = await incidents.store.events(incident)
        state = await incidents.state(incident)
    finally:
        await incidents.store.close()
    assert state == fold(events)
    text = postmortem_markdown(state, events, generated_at=clock.now() + timedelta(hours=20))
    return text, list(audit_jsonl(events))


@pytest.mark.parametrize("name, build", [("outage", outage), ("drill", drill)])
async def test_exports_match_the_golden_files(tmp_path: Path, name: str, build) -> None:
    text, lines = await _exported(tmp_path, build)
    _golden(f"{name}.md", text)
    _golden(f"{name}.jsonl", "".join(f"{line}\n" for line in lines))
    assert verify_jsonl(lines) is None


async def test_a_drill_is_marked_as_one_everywhere(tmp_path: Path) -> None:
    text, lines = await _exported(tmp_path, drill)
    assert text.startswith("# [DRILL] Postmortem: Demo: crash loop\n")
    assert "**DRILL.**" in text and "- **Drill:** yes" in text
    assert all(json.loads(line)["drill"] is True for line in lines)
    (tmp_path / "real").mkdir()
    real, real_lines = await _exported(tmp_path / "real", outage)
    assert "DRILL" not in real and all(json.loads(line)["drill"] is False for line in real_lines)


async def test_the_postmortem_reads_like_one(tmp_path: Path) -> None:
    text, _ = await _exported(tmp_path, outage)
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[:8] == [
        "Summary",
        "Impact",
        "Severity, status and roles",
        "Timeline",
        "Actions taken",
        "Response times",
        "Follow-ups",
        "Root causes",
    ]
    assert "| Time (UTC) | Event | Actor |" in text
    assert "- **Severity:** SEV1" in text and "- **Commander:** bob" in text
    assert "| Time to detect | 4 min 00 s |" in text  # impact asserted 4 min before the declaration
    assert "| Time to resolve | 19 min 42 s |" in text
    assert "**failed**: exit 1: forbidden" in text  # the action's output, its escapes removed
    assert "- [ ] TODO: alert on the 502 rate" in text and "- [ ] follow-up: canary" in text
    assert "Commander handover: alice → bob" in text
    assert "~~rolled back \\*web\\* to v41 ⏎ see \\[dashboard\\](http://x) \\<b\\>~~ (corrected by #" in text
    assert "★ **Note**" in text
    # The status update, several lines as sent, quoted in full below the timeline, not in a cell.
    assert "| **Status update** #16: [see below](#status-update-16) | bob@bastion-1 |" in text
    quote = "> Conditions: checkout recovering\\\n> \\- Actions: undo of v42\\\n> \\- Needs: nothing\n>\n"
    sent = "2026-11-23 03:05:42 UTC, bob@bastion-1, at SEV1 (an update every 15 min):"  # its cadence then
    assert f"### Status update #16\n\n{sent}\n\n{quote}" in text
    assert "_(recorded 2026-11-23 03:05:42)_" in text  # the asserted time is not when it was written


def test_untrusted_text_cannot_break_a_table_or_add_markup() -> None:
    hostile = (
        "a | b\nc\r\n<img src=x onerror=alert(1)> [x](javascript:1) ![i](y) `code` **bold** $x$ "
        "\x1b]0;pwn\x07"
    )
    cell = md(hostile)
    assert "\n" not in cell and "\r" not in cell and "\x1b" not in cell and "\x07" not in cell
    assert re.search(r"(?<!\\)[|<>\[\]`*$]", cell) is None, cell
    row = f"| 2026 | {cell} | x |"
    assert len(re.findall(r"(?<!\\)\|", row)) == 4  # still three cells


def _slug(heading: str) -> str:
    """The id GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


async def test_a_status_update_keeps_its_lines_and_opens_no_markup(tmp_path: Path) -> None:
    clock = frozen()
    incidents = await open_incidents(tmp_path / "i.db", clock)
    try:
        incident = (await incidents.declare("Checkout down", "SEV1")).incident_id
        update = await incidents.status_update(
            incident,
            "# not a heading\n- not a list\n2. nor this\n    nor code\n> nor a quote\n---\n"
            "[a link](http://x) <b>bold</b> | a \x1b]0;title\x07cell\n\nlast line\\",
        )
        events = await incidents.store.events(incident)
    finally:
        await incidents.store.close()
    text = postmortem_markdown(fold(events), events)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert f"Status update #{update.id}" in headings
    links = [
        c.attrGet("href")
        for t in tokens
        if t.type == "inline"
        for c in t.children or ()
        if c.type == "link_open"
    ]
    assert links == [f"#{_slug(f'Status update #{update.id}')}"]  # the cell's, to that heading
    start = next(i for i, t in enumerate(tokens) if t.type == "blockquote_open")
    end = next(i for i, t in enumerate(tokens) if t.type == "blockquote_close")
    inside = tokens[start + 1 : end]
    assert {t.type for t in inside} == {"paragraph_open", "inline", "paragraph_close"}
    paragraphs = [t for t in inside if t.type == "inline"]
    assert len(paragraphs) == 2
    lines = ["".join(c.content for c in group) for group in _split(paragraphs[0].children or [], "hardbreak")]
    assert lines == [
        "# not a heading",
        "- not a list",
        "2. nor this",
        "\u00a0" * 4 + "nor code",
        "> nor a quote",
        "---",
        "[a link](http://x) <b>bold</b> | a cell",
    ]
    assert "".join(c.content for c in paragraphs[1].children or ()) == "last line\\"


def _split(children: list, kind: str) -> list[list]:
    groups: list[list] = [[]]
    for child in children:
        if child.type == kind:
            groups.append([])
        else:
            groups[-1].append(child)
    return groups


def test_durations() -> None:
    assert [duration(timedelta(seconds=s)) for s in (0, 59, 61, 3599, 3600, 90061)] == [
        "0 s",
        "59 s",
        "1 min 01 s",
        "59 min 59 s",
        "1 h 00 min",
        "1 d 1 h 01 min",
    ]
    assert duration(timedelta(seconds=-5)) == "0 s" and duration(None) == "—"


async def test_the_hash_chain_catches_edits_deletions_and_reordering(tmp_path: Path) -> None:
    _, lines = await _exported(tmp_path, outage)
    assert verify_jsonl(lines) is None
    assert json.loads(lines[0])["prev_hash"] == GENESIS
    # as a file reads back, with newlines, as text or bytes
    assert verify_jsonl(f"{line}\n" for line in lines) is None
    assert verify_jsonl(line.encode() + b"\n" for line in lines) is None

    edited = list(lines)
    edited[4] = edited[4].replace('"text":"', '"text":"nothing happened; ', 1)
    assert verify_jsonl(edited) == 5

    # an edit that also fixes that line's own hash still breaks the next line's prev_hash
    obj = json.loads(lines[4])
    obj["text"] = "nothing happened"
    del obj["hash"]
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    resealed = list(lines)
    resealed[4] = f'{canonical[:-1]},"hash":"{digest}"}}'
    assert verify_jsonl(resealed[:5]) is None, "the resealed line is valid on its own"
    assert verify_jsonl(resealed) == 6

    assert verify_jsonl(lines[:3] + lines[4:]) == 4  # a deleted line
    assert verify_jsonl(lines[1:]) == 1  # the first line deleted
    swapped = list(lines)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    assert verify_jsonl(swapped) == 3
    assert verify_jsonl([*lines[:5], lines[5], *lines[5:]]) == 7  # a duplicated line
    assert verify_jsonl([lines[0].replace(":", ": ", 1), *lines[1:]]) == 1  # whitespace is an edit too
    assert verify_jsonl([*lines[:2], "not json", *lines[2:]]) == 3
    assert verify_jsonl([]) is None


# ---- numbers that read right ---------------------------------------------------------------


def _response_rows(text: str) -> dict[str, str]:
    section = text.split("## Response times\n", 1)[1].split("\n## ", 1)[0]
    return {m[1]: m[2] for m in re.finditer(r"^\| (Time to \w+) \| (.+?) \| ", section, re.MULTILINE)}


async def test_a_time_that_was_never_measured_is_a_dash_with_the_reason_not_0_s(tmp_path: Path) -> None:
    clock = frozen()
    incidents = await open_incidents(tmp_path / "i.db", clock)
    try:
        # Declared by a person, no start of impact asserted, no detection, still open.
        quiet = (await incidents.declare("Orders slow", "SEV3")).incident_id
        clock.advance(60)
        await incidents.note(quiet, "p95 at 3 s")
        # Declared by automation, detected a minute later, nobody ever acted on it.
        hook = (await incidents.declare("Disk full", "SEV2", who=CI)).incident_id
        clock.advance(60)
        await incidents.detected(hook, "db-1 disk at 99 %", signal="host", subject="db-1", who=SYSTEM)
        states = [await incidents.state(quiet), await incidents.state(hook)]
        events = [await incidents.store.events(quiet), await incidents.store.events(hook)]
    finally:
        await incidents.store.close()
    quiet_text = postmortem_markdown(states[0], events[0])
    assert _response_rows(quiet_text) == {
        "Time to detect": "— (no start of impact asserted: it is taken to be the first detection)",
        "Time to acknowledge": "— (a person raised it: no earlier detection to acknowledge)",
        "Time to mitigate": "— (not mitigated yet)",
        "Time to resolve": "— (not resolved yet)",
    }
    hook_rows = _response_rows(postmortem_markdown(states[1], events[1]))
    assert hook_rows["Time to acknowledge"] == "— (no act by a person recorded)"
    for text in (quiet_text, postmortem_markdown(states[1], events[1])):
        assert "| 0 s |" not in text


async def test_the_cadence_is_named_at_each_severity_it_applied(tmp_path: Path) -> None:
    text, _ = await _exported(tmp_path, outage)
    assert (
        "- **Status updates:** 1 sent, by severity:\n"
        "  - SEV2 from 2026-11-23 03:00:00 UTC for 1 min 00 s: an update every 30 min; 0 sent\n"
        "  - SEV1 from 2026-11-23 03:01:00 UTC for 14 min 42 s: an update every 15 min; 1 sent\n"
    ) in text
    clock = frozen()
    incidents = await open_incidents(tmp_path / "j.db", clock)
    try:
        incident = (await incidents.declare("Batch late", "SEV4")).incident_id
        clock.advance(600)
        await incidents.set_severity(incident, "SEV3")
        await incidents.status_update(incident, "Conditions: late by 1 h")
        clock.advance(300)
        await incidents.resolve(incident)
        clock.advance(60)
        await incidents.reopen(incident, reason="late again")
        clock.advance(120)
        events = await incidents.store.events(incident)
    finally:
        await incidents.store.close()
    text = postmortem_markdown(fold(events), events, generated_at=clock.now())
    assert (
        "- **Status updates:** 1 sent, by severity:\n"
        "  - SEV4 from 2026-11-23 03:00:00 UTC for 10 min 00 s: no update cadence; 0 sent\n"
        "  - SEV3 from 2026-11-23 03:10:00 UTC for 5 min 00 s: an update every 60 min; 1 sent\n"
        "  - SEV3 from 2026-11-23 03:16:00 UTC for 2 min 00 s: an update every 60 min; 0 sent\n"
    ) in text
    assert "- **Time at each severity:** SEV4 10 min 00 s, SEV3 7 min 00 s" in text


async def test_events_are_numbered_in_their_incident_and_shown_in_time_order(tmp_path: Path) -> None:
    """Two incidents written side by side (ids interleave) and a detection carried in at the
    declaration (written after it, occurred before it): the postmortem cites #1, #2 ... of its
    own incident and puts the detection where it happened; the JSONL keeps the record's id."""
    clock = frozen()
    incidents = await open_incidents(tmp_path / "i.db", clock)
    try:
        other = (await incidents.declare("Drill: pod crash", "SEV3", drill=True, who=SYSTEM)).incident_id
        clock.advance(120)
        incident = (await incidents.declare("Checkout 502s", "SEV1")).incident_id
        await incidents.detected(
            incident,
            "api-gateway is DOWN",
            signal="service",
            subject="api-gateway",
            who=SYSTEM,
            occurred_at=T0 + timedelta(seconds=30),
        )
        await incidents.note(other, "practising")
        clock.advance(60)
        wrong = await incidents.note(incident, "restarted web")
        await incidents.note(other, "practising again")
        fix = await incidents.correct(incident, wrong.id, "restarted api-gateway")
        await incidents.status_update(incident, "Conditions: restarting")
        events = await incidents.store.events(incident)
        state = await incidents.state(incident)
    finally:
        await incidents.store.close()
    assert [e.id for e in events] == [2, 3, 5, 7, 8]  # ids of the record, shared with the drill
    text = postmortem_markdown(state, events)
    timeline = text.split("## Timeline\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in timeline.splitlines() if line.startswith("| 2026")]
    assert [re.search(r"\*\*(.+?)\*\* (#\d+)", row).groups() for row in rows] == [  # type: ignore[union-attr]
        ("Detected", "#2"),  # 03:00:30, carried in: before the declaration it was written after
        ("Declared", "#1"),
        ("Note", "#3"),
        ("Correction", "#4"),
        ("Status update", "#5"),
    ]
    assert rows[0].startswith("| 2026-11-23 03:00:30 |") and "_(recorded 2026-11-23 03:02:00)_" in rows[0]
    assert "~~restarted web~~ (corrected by #4)" in rows[2] and "**Correction** #4 of note #3" in rows[3]
    assert "[see below](#status-update-5)" in rows[4] and "### Status update #5\n" in text
    assert "- **Impact started:** 2026-11-23 03:00:30 UTC (first automatic detection)" in text
    assert _response_rows(text)["Time to acknowledge"] == "1 min 30 s"  # detected 03:00:30, declared 03:02

    lines = [json.loads(line) for line in audit_jsonl(events)]
    assert [(x["number"], x["id"]) for x in lines] == [(1, 2), (2, 3), (3, 5), (4, 7), (5, 8)]
    assert lines[3]["supersedes"] == wrong.id == 5 and fix.id == 7  # references stay record ids
    assert verify_jsonl(audit_jsonl(events)) is None


async def test_check_chain_says_where_and_what(tmp_path: Path) -> None:
    _, lines = await _exported(tmp_path, outage)
    intact = check_chain(lines)
    assert intact.intact and intact.lines == 20 and intact.incidents == (1,)
    assert intact.last_hash == hashlib.sha256(lines[-1].encode()).hexdigest()

    def problem(changed: list[str]) -> tuple[int | None, str, str]:
        found = check_chain(changed)
        return found.broken_at, found.what, found.problem

    edited = list(lines)
    edited[4] = edited[4].replace('"text":"', '"text":"nothing happened; ', 1)
    assert problem(edited) == (5, "severity_changed #5", "edited: its content does not match its hash")

    obj = json.loads(lines[4])
    obj["text"] = "nothing happened"
    del obj["hash"]
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    resealed = list(lines)
    resealed[4] = f'{canonical[:-1]},"hash":"{hashlib.sha256(canonical.encode()).hexdigest()}"}}'
    at, _, why = problem(resealed)
    assert at == 6 and why.startswith("its prev_hash does not match line 5: line 5 was edited")

    at, _, why = problem(lines[:3] + lines[4:])
    assert at == 4 and why == "deleted: seq 5 follows seq 3: 1 line removed before it"
    assert problem(lines[2:])[::2] == (1, "deleted: the log starts at seq 3: 2 lines removed before it")
    swapped = list(lines)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    assert problem(swapped)[::2] == (
        3,
        "out of order: seq 4 where 3 belongs (seq 3 is at line 4): lines moved or swapped",
    )
    assert problem([*lines[:6], lines[5], *lines[6:]])[::2] == (7, "duplicated: the same line as line 6")
    at, _, why = problem([*lines[:2], "not json", *lines[2:]])
    assert at == 3 and why.startswith("not JSON: inserted")
    at, what, why = problem([lines[0].replace(":", ": ", 1), *lines[1:]])
    assert (at, what) == (1, "declared #1") and why.startswith("reformatted: its content is intact")
    at, _, why = problem([f"{line}\r\n" for line in lines])  # Windows line endings
    assert at == 1 and why.startswith("reformatted")
    (tmp_path / "other").mkdir()
    _, others = await _exported(tmp_path / "other", drill)
    at, _, why = problem([*lines[:3], others[3], *lines[3:]])  # a line of another log, seq 4 too
    assert at == 4 and "line 3" in why and "inserted" in why
    assert not check_chain(["hello", "world"]).audit_lines


async def test_actions_without_an_outcome_or_interrupted_say_so(tmp_path: Path) -> None:
    async def build(incidents, clock) -> int:
        incident = (await incidents.declare("API down", "SEV1")).incident_id
        stopped = await incidents.action_requested(incident, "Restart api", {"timeout_s": 60}, guard="r/api")
        await incidents.action_finished(
            stopped, ok=False, text="Restart api: failed: interrupted: warroom got SIGHUP", interrupted=True
        )
        await incidents.action_requested(incident, "Scale web", {"timeout_s": 60}, guard="s/web")
        return incident

    text, _ = await _exported(tmp_path, build)
    rows = [line for line in text.splitlines() if (line.startswith("|") and "api" in line) or "web" in line]
    restart = next(row for row in rows if "Restart api (" in row and "interrupted" in row)
    assert "**interrupted**" in restart and "SIGHUP" in restart
    scale = next(row for row in rows if "Scale web (" in row and "outcome" in row)
    assert "**outcome unknown**" in scale


async def test_a_recovery_reads_as_one_and_is_not_counted_as_a_detection(tmp_path: Path) -> None:
    clock = frozen()
    incidents = await open_incidents(tmp_path / "i.db", clock)
    try:
        incident = (await incidents.declare("Checkout slow", "SEV2")).incident_id
        clock.advance(30)
        await incidents.detected(
            incident, "checkout DEGRADED", signal="service", subject="checkout", level="warning", who=SYSTEM
        )
        clock.advance(30)
        await incidents.detected(
            incident, "checkout recovered (UP)", signal="service", subject="checkout", level="ok", who=SYSTEM
        )
        events = await incidents.store.events(incident)
    finally:
        await incidents.store.close()
    text = postmortem_markdown(fold(events), events)
    assert "| **Warning** #2: checkout DEGRADED |" in text
    assert "| **Recovered** #3: checkout recovered (UP) |" in text
    impact = "  - service checkout: 1 detection, first 2026-11-23 03:00:30 UTC; recovered 2026-11-23 03:01:00"
    assert impact in text


async def test_an_action_that_set_a_rollout_going_is_done_when_the_rollout_is(tmp_path: Path) -> None:
    async def build(incidents, clock) -> int:
        incident = (await incidents.declare("API down", "SEV1")).incident_id
        follow = {"follow": {"what": "deployment/web", "bound_s": 600}}
        restart = await incidents.action_requested(incident, "Rollout restart: deployment/web", guard="r/web")
        clock.advance(1)
        ok = await incidents.action_finished(restart, ok=True, text="restarted", data=follow)
        clock.advance(41)
        await incidents.rollout_finished(
            restart, ok, "rollout_complete", "Rollout restart deployment/web: rolled out in 42.0 s"
        )
        scale = await incidents.action_requested(incident, "Scale: deployment/api", guard="s/api")
        ok = await incidents.action_finished(scale, ok=True, text="scaled", data=follow)
        await incidents.rollout_finished(
            scale, ok, "rollout_stalled", "Scale deployment/api: stalled after 600 s: no progress"
        )
        undo = await incidents.action_requested(incident, "Rollout undo: deployment/db", guard="u/db")
        await incidents.action_finished(undo, ok=True, text="rolled back", data=follow)
        return incident

    text, _ = await _exported(tmp_path, build)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    restart = next(row for row in rows if "Rollout restart: deployment/web (" in row)
    assert "; rolled out: Rollout restart deployment/web: rolled out in 42.0 s (" in restart
    assert restart.rstrip(" |").endswith("42 s")  # took: from the request to the end of the rollout
    scale = next(row for row in rows if "Scale: deployment/api (" in row)
    assert "; **rollout stalled**: Scale deployment/api: stalled after 600 s: no progress" in scale
    undo = next(row for row in rows if "Rollout undo: deployment/db (" in row)
    assert "**rollout outcome unknown**" in undo or "still rolling out at export" in undo
    assert "**Rollout complete** #" in text and "**Rollout stalled** #" in text
