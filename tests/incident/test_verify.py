"""`warroom verify FILE.jsonl` end to end: a real export from a real record, checked by the real
command in a subprocess, intact and after each kind of tampering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.incident.test_commands import _ok, _start, warroom


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    """An audit log of 4 events exported by `warroom export`, and the hash that export printed."""
    tmp = tmp_path_factory.mktemp("verify")
    db = str(tmp / "i.db")
    _ok(warroom(tmp, "declare", "Checkout 502s", "--severity", "SEV1", "--db", db))
    _ok(warroom(tmp, "note", "rolled back to v41", "--db", db))
    _ok(warroom(tmp, "note", "error rate falling", "--db", db))
    _ok(warroom(tmp, "resolve", "--db", db))
    log = tmp / "audit.jsonl"
    done = warroom(tmp, "export", "--db", db, "--format", "jsonl", "-o", str(log))
    assert done.returncode == 0, done.stderr
    printed = done.stderr.split("sha256 ", 1)[1].split(")", 1)[0]
    return tmp, log.read_text(encoding="ascii").splitlines(), printed


def _verify(tmp: Path, lines: list[str], name: str = "x.jsonl") -> subprocess.CompletedProcess[str]:
    path = tmp / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8", newline="")
    return warroom(tmp, "verify", str(path))


def test_an_intact_log_is_one_summary_line_and_exit_0(exported) -> None:
    tmp, lines, printed = exported
    done = _verify(tmp, lines)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.count("\n") == 1
    assert "intact: 4 events of incident #1" in done.stdout
    assert printed in done.stdout  # the same hash as the export printed: nothing cut off the end
    with open(tmp / "x.jsonl", "rb") as log:  # `warroom export --format jsonl | warroom verify -`
        piped = _start(tmp, "verify", "-", stdin=log.fileno())
        out, _ = piped.communicate(timeout=60)
    assert piped.returncode == 0 and out.startswith("warroom verify: standard input: intact: 4 events")


@pytest.mark.parametrize(
    "tamper, line, said",
    [
        (lambda ls: [ls[0], ls[1].replace("rolled back", "did nothing"), *ls[2:]], 2, "(note #2): edited"),
        (lambda ls: [ls[0], *ls[2:]], 2, "deleted: seq 3 follows seq 1: 1 line removed before it"),
        (lambda ls: [ls[0], ls[2], ls[1], ls[3]], 2, "out of order: seq 3 where 2 belongs"),
        (lambda ls: [*ls[:2], '{"note": "nothing to see"}', *ls[2:]], 3, "not an audit line"),
        (lambda ls: [*ls[:2], ls[1], *ls[2:]], 3, "duplicated: the same line as line 2"),
        (lambda ls: [ls[0], ls[1].replace(",", ", "), *ls[2:]], 2, "reformatted: its content is intact"),
    ],
    ids=["edited", "deleted", "swapped", "inserted", "duplicated", "reformatted"],
)
def test_a_broken_chain_names_the_line_and_what_is_wrong_exit_1(exported, tamper, line, said) -> None:
    tmp, lines, _ = exported
    done = _verify(tmp, tamper(lines))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"x.jsonl: line {line}" in done.stdout and said in done.stdout, done.stdout


def test_what_is_not_an_audit_log_is_one_line_and_exit_2(exported) -> None:
    tmp, _, _ = exported
    (tmp / "notes.txt").write_text("meeting at 3\n")
    (tmp / "empty.jsonl").write_bytes(b"")
    (tmp / "binary.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    (tmp / "other.jsonl").write_text('{"level": "info", "msg": "started"}\n')
    for name, said in [
        ("notes.txt", "not a warroom audit log"),
        ("empty.jsonl", "not a warroom audit log (it is empty)"),
        ("binary.jsonl", "not a warroom audit log"),
        ("other.jsonl", "not a warroom audit log"),
        ("missing.jsonl", "cannot read: No such file or directory"),
        (".", "cannot read"),
    ]:
        done = warroom(tmp, "verify", name)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert done.stdout == "" and done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    done = warroom(tmp, "verify")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
