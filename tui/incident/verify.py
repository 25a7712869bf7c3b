"""`warroom verify FILE.jsonl`: check an exported audit log's hash chain (`check_chain` in
`tui.incident.export`, the code that writes it) and say where it breaks.

Exit 0 and one summary line on stdout when the chain is intact; exit 1 and one line naming
the first line that breaks it and what is wrong there; exit 2 and one line on stderr for a
file that cannot be read or is not a warroom audit log. `-` reads standard input
(`warroom export --format jsonl | warroom verify -`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from tui.core.untrusted import one_line
from tui.incident.export import ChainCheck, check_chain

EXIT_BROKEN = 1
EXIT_BAD_INPUT = 2


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as file:
        return file.read()


def _when(line: dict[str, Any] | None) -> str:
    text = line.get("occurred_at") if line else None
    if not isinstance(text, str):
        return "?"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return "?"


def summary(check: ChainCheck) -> str:
    """The intact chain in one line: what it holds and the hash to compare with the export's."""
    count = check.lines
    incidents = ", ".join(f"#{i}" for i in check.incidents)
    noun = "incident" if len(check.incidents) == 1 else "incidents"
    return (
        f"intact: {count} event{'s' if count != 1 else ''} of {noun} {incidents}, "
        f"{_when(check.first_line)} to {_when(check.last_line)} UTC; last line's sha256 "
        f"{check.last_hash} (compare it with the one `warroom export` printed: lines cut off the "
        "end leave a valid chain)"
    )


def cmd_verify(args: argparse.Namespace) -> int:
    name: str = args.file
    shown = "standard input" if name == "-" else one_line(name, 300)
    try:
        data = _read(name)
    except OSError as err:
        print(f"warroom verify: {shown}: cannot read: {one_line(str(err.strerror or err))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    check = check_chain(lines)
    if check.audit_lines == 0:
        why = "it is empty" if not data else "no line of it is an audit log line"
        print(f"warroom verify: {shown}: not a warroom audit log ({why})", file=sys.stderr)
        return EXIT_BAD_INPUT
    if check.intact:
        print(f"warroom verify: {shown}: {summary(check)}")
        return 0
    what = f" ({check.what})" if check.what else ""
    intact = (check.broken_at or 1) - 1
    before = f"; lines 1 to {intact} are intact" if intact > 1 else ""
    print(one_line(f"warroom verify: {shown}: line {check.broken_at}{what}: {check.problem}{before}", 1000))
    return EXIT_BROKEN


__all__ = ["cmd_verify", "summary"]
