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

from tests.incident.helpers import drill, frozen, open_incidents, outage
from tui.incident.export import GENESIS, audit_jsonl, duration, md, postmortem_markdown, verify_jsonl
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
        "Summary", "Impact", "Severity, status and roles", "Timeline", "Actions taken",
        "Response times", "Follow-ups", "Root causes",
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
    assert f"### Status update #16\n\n2026-11-23 03:05:42 UTC, bob@bastion-1:\n\n{quote}" in text
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
    links = [c.attrGet("href") for t in tokens if t.type == "inline" for c in t.children or ()
             if c.type == "link_open"]
    assert links == [f"#{_slug(f'Status update #{update.id}')}"]  # the cell's, to that heading
    start = next(i for i, t in enumerate(tokens) if t.type == "blockquote_open")
    end = next(i for i, t in enumerate(tokens) if t.type == "blockquote_close")
    inside = tokens[start + 1 : end]
    assert {t.type for t in inside} == {"paragraph_open", "inline", "paragraph_close"}
    paragraphs = [t for t in inside if t.type == "inline"]
    assert len(paragraphs) == 2
    lines = [
        "".join(c.content for c in group)
        for group in _split(paragraphs[0].children or [], "hardbreak")
    ]
    assert lines == [
        "# not a heading", "- not a list", "2. nor this", "\u00a0" * 4 + "nor code", "> nor a quote", "---",
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
        "0 s", "59 s", "1 min 01 s", "59 min 59 s", "1 h 00 min", "1 d 1 h 01 min"
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
