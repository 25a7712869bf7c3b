"""`warroom declare | note | incidents | resolve | export` end to end: real subprocesses on a
record in tmp_path, as a deploy pipeline or an alert hook would run them."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

from tui.incident.export import verify_jsonl
from tui.incident.store import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WARROOM_CONFIG", "SSH_CONNECTION", "SUDO_USER")}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _start(
    tmp_path: Path,
    *args: str,
    stdin: int = subprocess.DEVNULL,
    python: tuple[str, ...] = (),
    **env: str,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *python, "-m", "tui", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def warroom(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    proc = _start(tmp_path, *args, **env)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _events(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        query = "SELECT kind, text, actor, actor_kind, source, starred FROM events ORDER BY id"
        return conn.execute(query).fetchall()


def test_a_pipeline_declares_notes_lists_resolves_and_exports(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    incident = _ok(warroom(tmp_path, "declare", "Checkout | 502s", "--severity", "sev1", "--db", db)).strip()
    assert incident == "1"
    ssh = "10.1.2.3 5555 10.0.0.1 22"
    _ok(warroom(tmp_path, "note", "deploy v43 started", "--db", db, SSH_CONNECTION=ssh))
    _ok(warroom(tmp_path, "note", "TODO: alert on 502 rate", "--star", "--db", db))
    listing = _ok(warroom(tmp_path, "incidents", "--db", db)).splitlines()
    assert listing[0].split() == ["ID", "TITLE", "SEVERITY", "STATUS", "DECLARED", "(UTC)"]
    assert listing[1].startswith("1   Checkout | 502s")
    assert listing[1].split()[-4:-2] == ["SEV1", "investigating"]
    _ok(warroom(tmp_path, "resolve", "--reason", "rolled back", "--db", db))
    assert "resolved" in _ok(warroom(tmp_path, "incidents", "--db", db))

    md = tmp_path / "out" / "postmortem.md"
    md.parent.mkdir()
    done = warroom(tmp_path, "export", "--db", db, "-o", str(md))
    assert done.returncode == 0 and done.stdout == "" and "postmortem of incident #1" in done.stderr
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Postmortem: Checkout \\| 502s\n")
    assert "★ **Note** #3: TODO: alert on 502 rate" in text and "- [ ] TODO: alert on 502 rate" in text
    assert "Status mitigating" not in text and "Status investigating → resolved: rolled back" in text

    jsonl = tmp_path / "out" / "audit.jsonl"
    _ok(warroom(tmp_path, "export", "--db", db, "--format", "jsonl", "-o", str(jsonl)))
    with open(jsonl, "rb") as lines:
        assert verify_jsonl(lines) is None
    assert _ok(warroom(tmp_path, "export", "--db", db, "--format", "jsonl")) == jsonl.read_text()
    assert not [p for p in jsonl.parent.iterdir() if p.name.startswith(".")], "a temporary file was left"

    events = _events(tmp_path / "i.db")
    assert [e[0] for e in events] == ["declared", "note", "note", "status_changed"]
    # no terminal on stdin: written as automation, from the cli
    assert {(e[3], e[4]) for e in events} == {("automation", "cli")}
    assert events[1][2].endswith(" (ssh 10.1.2.3)")
    assert [e[5] for e in events] == [0, 0, 1, 0]


def test_at_a_terminal_the_actor_is_a_person(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    _ok(warroom(tmp_path, "declare", "API down", "--db", db))
    leader, follower = pty.openpty()
    try:
        proc = _start(tmp_path, "note", "typed by hand", "--db", db, stdin=follower)
        proc.communicate(timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    assert _events(tmp_path / "i.db")[-1][3:5] == ("human", "cli")


def test_the_record_is_found_where_warroom_looks(tmp_path: Path) -> None:
    # no --db, no config: $XDG_STATE_HOME/warroom/incidents.db, its directory made
    _ok(warroom(tmp_path, "declare", "default place"))
    default = tmp_path / "state" / "warroom" / "incidents.db"
    assert default.exists() and _events(default)[0][1] == "default place"
    # a config's db and severities count (here found as ./warroom.toml)
    elsewhere = tmp_path / "team.db"
    (tmp_path / "warroom.toml").write_text(
        f'db = "{elsewhere}"\n'
        '[[severities]]\nname = "P1"\nrank = 1\nupdate_every_min = 10\n'
        '[[severities]]\nname = "P2"\nrank = 2\n',
        encoding="utf-8",
    )
    assert _ok(warroom(tmp_path, "declare", "from the config", "--severity", "p1")).strip() == "1"
    assert _events(elsewhere)[0][1] == "from the config"
    refused = warroom(tmp_path, "declare", "x", "--severity", "SEV1")
    assert refused.returncode == 2 and "one of P1, P2" in refused.stderr
    # --db wins over the config
    _ok(warroom(tmp_path, "declare", "explicit", "--db", str(tmp_path / "x.db"), "--severity", "P2"))
    assert _events(tmp_path / "x.db")[0][1] == "explicit"


def test_the_record_commands_do_not_load_the_ui(tmp_path: Path) -> None:
    # A deploy pipeline runs these on every deploy: Textual costs ~0.2 s a call for nothing.
    db = str(tmp_path / "i.db")
    commands = [
        ("declare", "API down", "--db", db),
        ("note", "deploy v43", "--db", db),
        ("incidents", "--db", db),
        ("export", "--db", db, "--format", "jsonl"),
        ("resolve", "--db", db),
    ]
    for args in commands:  # in turn: each needs what the one before wrote
        proc = _start(tmp_path, *args, python=("-X", "importtime"))
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, (args, err)
        trace = [line for line in err.splitlines() if line.startswith("import time:")]
        loaded = [line.rsplit("|", 1)[-1].strip() for line in trace]
        assert "tui.incident.store" in loaded, args  # the trace is there: it did record imports
        assert [m for m in loaded if m.split(".")[0] == "textual"] == [], args


def test_every_failure_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    _ok(warroom(tmp_path, "declare", "resolved already", "--db", str(db)))
    _ok(warroom(tmp_path, "resolve", "--db", str(db)))
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    newer = tmp_path / "newer.db"
    _ok(warroom(tmp_path, "declare", "from the future", "--db", str(newer)))
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    (tmp_path / "a-file").write_text("x")
    cases = [
        (("note", "hello", "--db", str(db)), "no active incident"),
        (("resolve", "--incident", "1", "--db", str(db)), "already resolved"),
        (("note", "x", "--incident", "99", "--db", str(db)), "no incident #99"),
        (("declare", "x", "--severity", "SEV9", "--db", str(db)), "unknown severity 'SEV9'"),
        (("declare", "  ", "--db", str(db)), "needs a title"),
        (("note", "x", "--db", str(foreign)), "not a warroom incident database"),
        (("export", "--db", str(foreign)), "not a warroom incident database"),
        (("note", "x", "--db", str(newer)), "newer warroom"),
        (("incidents", "--db", str(newer)), "newer warroom"),
        (("declare", "x", "--db", str(tmp_path / "a-file" / "i.db")), "is not a directory"),
        (("declare", "x", "--db", str(tmp_path / "no-dir" / "i.db")), "does not exist"),
        (("export", "--db", str(db), "-o", str(tmp_path / "no-dir" / "x.md")), "cannot write"),
        (("export", "--db", str(tmp_path / "none.db")), "a writer creates it"),
        (("note", "x", "--read-only", "--db", str(db)), "--read-only"),
        (("export", "--incident", "7", "--db", str(db)), "no incident #7"),
    ]
    # all at once: they are independent, and each is a whole Python start-up
    running = [(args, expected, _start(tmp_path, *args)) for args, expected in cases]
    for args, expected, proc in running:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, (args, err)
        assert err.count("\n") == 1 and err.startswith("warroom "), (args, err)
        assert expected in err and "Traceback" not in err, (args, err)
        assert out == "", (args, out)
    assert not (tmp_path / "no-dir").exists() and not (tmp_path / "none.db").exists()
    with sqlite3.connect(foreign) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)


def test_incidents_on_a_database_not_made_yet_is_an_empty_list(tmp_path: Path) -> None:
    missing = tmp_path / "not-yet" / "i.db"
    result = warroom(tmp_path, "incidents", "--db", str(missing))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "no incidents in" in result.stderr and "Traceback" not in result.stderr
    assert not missing.parent.exists(), "listing must never create the record"
    # the default path too, on a machine where no warroom ever ran
    result = warroom(tmp_path, "incidents")
    assert result.returncode == 0 and result.stdout == "", result.stderr
    assert not (tmp_path / "state" / "warroom").exists()


def test_a_directory_without_write_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = warroom(tmp_path, "declare", "x", "--db", str(locked / "i.db"))
    finally:
        locked.chmod(0o700)
    if os.geteuid() == 0:
        # root writes anywhere: the declaration succeeds; the check is for everyone else
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2 and "cannot write in directory" in result.stderr
        assert result.stderr.count("\n") == 1


def _at_a_terminal(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command with a pseudo-terminal on stdin: a person typing it."""
    leader, follower = pty.openpty()
    try:
        proc = _start(tmp_path, *args, stdin=follower, **env)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_with_several_open_a_command_without_incident_refuses_and_lists_them(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    _ok(warroom(tmp_path, "declare", "Checkout 502s", "--severity", "SEV1", "--db", db))
    second = warroom(tmp_path, "declare", "Redis failover rehearsal", "--drill", "--db", db)
    assert _ok(second) == "2\n"  # the id alone, for `ID=$(warroom declare ...)`
    assert second.stderr == (
        'warroom declare: #2 declared beside 1 open: #1 "Checkout 502s" (SEV1 investigating); '
        "bare note, resolve and export now need --incident ID\n"
    )
    for args in (("note", "which one?"), ("resolve",), ("export",), ("export", "--format", "jsonl")):
        refused = warroom(tmp_path, *args, "--db", db)
        assert refused.returncode == 2 and refused.stdout == "", (args, refused.stderr)
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert "2 incidents are open" in refused.stderr and "--incident ID" in refused.stderr
        assert '#1 "Checkout 502s" (SEV1 investigating)' in refused.stderr
        assert '#2 DRILL "Redis failover rehearsal" (SEV2 investigating)' in refused.stderr
    assert [e[0] for e in _events(tmp_path / "i.db")] == ["declared", "declared"]  # nothing written
    # named, each goes where it is told
    _ok(warroom(tmp_path, "note", "on the drill", "--incident", "2", "--db", db))
    _ok(warroom(tmp_path, "resolve", "--incident", "2", "--db", db))
    drill = _ok(warroom(tmp_path, "export", "--incident", "2", "--db", db))
    assert "Postmortem: Redis failover rehearsal" in drill
    # one open again: the bare commands mean it, and only it
    _ok(warroom(tmp_path, "note", "back to the real one", "--db", db))
    assert "Postmortem: Checkout 502s" in _ok(warroom(tmp_path, "export", "--db", db))
    _ok(warroom(tmp_path, "resolve", "--db", db))
    with sqlite3.connect(tmp_path / "i.db") as conn:
        rows = conn.execute("SELECT incident_id, kind, text FROM events WHERE kind != 'declared' ORDER BY id")
        assert [tuple(r) for r in rows] == [
            (2, "note", "on the drill"),
            (2, "status_changed", "investigating → resolved"),
            (1, "note", "back to the real one"),
            (1, "status_changed", "investigating → resolved"),
        ]
    # none open: export keeps its default, the latest
    assert "Postmortem: Redis failover rehearsal" in _ok(warroom(tmp_path, "export", "--db", db))


def test_the_person_behind_a_shared_account_is_recorded(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    ssh = "10.1.2.3 5555 10.0.0.1 22"
    _ok(_at_a_terminal(tmp_path, "declare", "API down", "--as", "Alice Ng", "--db", db, SSH_CONNECTION=ssh))
    _ok(_at_a_terminal(tmp_path, "note", "from the env", "--db", db, WARROOM_ACTOR="bob"))
    _ok(_at_a_terminal(tmp_path, "--as", "Carol", "note", "--as wins", "--db", db, WARROOM_ACTOR="bob"))
    _ok(_at_a_terminal(tmp_path, "note", "a hook at a terminal", "--automation", "--db", db))
    _ok(warroom(tmp_path, "note", "a pipeline names itself", "--as", "deploy-bot", "--db", db))
    config = tmp_path / "warroom.toml"  # found as ./warroom.toml
    config.write_text(f'db = "{db}"\nactor = "Zoë O\'Brien"\n', encoding="utf-8")
    _ok(_at_a_terminal(tmp_path, "note", "from the config"))
    _ok(_at_a_terminal(tmp_path, "note", "the env over the config", WARROOM_ACTOR="dave"))
    config.unlink()

    events = _events(tmp_path / "i.db")
    user = events[0][2].split(" as ", 1)[1].split("@", 1)[0]  # the unix account running the tests
    people = [(e[2].split(" as ", 1)[0], e[3]) for e in events]
    assert people == [
        ("Alice Ng", "human"),
        ("bob", "human"),
        ("Carol", "human"),
        (events[3][2].split(" ", 1)[0], "automation"),  # no name: user@host alone
        ("deploy-bot", "automation"),  # no terminal: automation, named
        ("Zoë O'Brien", "human"),
        ("dave", "human"),
    ]
    assert events[0][2].startswith(f"Alice Ng as {user}@") and events[0][2].endswith(" (ssh 10.1.2.3)")
    assert " as " not in events[3][2] and events[3][2].startswith(f"{user}@")

    md = _ok(warroom(tmp_path, "export", "--db", db))
    assert "Alice Ng as " in md and "Carol as " in md and "deploy-bot as " in md
    audit = _ok(warroom(tmp_path, "export", "--format", "jsonl", "--db", db))
    jsonl = [json.loads(line) for line in audit.splitlines()]
    assert [(e["actor"].split(" as ")[0], e["actor_kind"]) for e in jsonl] == people


def test_a_hostile_name_is_refused_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    _ok(warroom(tmp_path, "declare", "API down", "--db", str(db)))
    (tmp_path / "bad.toml").write_text('actor = "[red]mallory[/red]"\n', encoding="utf-8")
    cases = [
        (("--as", "eve\x1b]0;owned\x07"), {}, "--as: expected a name of letters", "U+001B"),
        (("--as", "[@click=app.quit]"), {}, "--as:", "'['"),
        (("--as", "a\u202eb"), {}, "--as:", "U+202E"),
        (("--as", "x" * 65), {}, "--as:", "got 65 characters"),
        (("--as", "  "), {}, "--as:", "got an empty one"),
        ((), {"WARROOM_ACTOR": "bob\nroot"}, "$WARROOM_ACTOR:", "U+000A"),
        (("--config", str(tmp_path / "bad.toml")), {}, "bad.toml: actor: expected a name", '"[red]mallory'),
    ]
    running = [
        (args, expected, _start(tmp_path, "note", "x", "--db", str(db), *args, **env))
        for args, env, *expected in cases
    ]
    for args, expected, proc in running:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and out == "", (args, err)
        assert err.count("\n") == 1 and "Traceback" not in err and "\x1b" not in err, (args, err)
        assert all(part in err for part in expected), (args, err)
    assert len(_events(db)) == 1  # nothing written
    # the screen refuses it the same way, before it starts
    demo = warroom(tmp_path, "demo", "--as", "[b]x", "--db", str(tmp_path / "demo.db"))
    assert demo.returncode == 2 and demo.stderr.startswith("warroom: --as: expected a name"), demo.stderr
    assert demo.stderr.count("\n") == 1 and not (tmp_path / "demo.db").exists()


def test_export_never_overwrites_a_file_without_force(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    _ok(warroom(tmp_path, "declare", "API down", "--db", db))
    md = tmp_path / "postmortem.md"
    md.write_text("edited by hand\n", encoding="utf-8")
    refused = warroom(tmp_path, "export", "--db", db, "-o", str(md))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == f"warroom export: {md}: exists, not overwritten (--force overwrites it)\n"
    assert md.read_text(encoding="utf-8") == "edited by hand\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left"
    done = warroom(tmp_path, "export", "--db", db, "-o", str(md), "--force")
    assert done.returncode == 0, done.stderr
    assert md.read_text(encoding="utf-8").startswith("# Postmortem: API down")
    fresh = tmp_path / "new.jsonl"  # a new file needs no --force
    _ok(warroom(tmp_path, "export", "--db", db, "--format", "jsonl", "-o", str(fresh)))
    assert fresh.read_text(encoding="utf-8").count("\n") == 1


def test_a_file_that_appears_while_exporting_is_never_replaced(tmp_path: Path) -> None:
    from tui.incident.output import write_whole

    target = tmp_path / "p.md"
    write_whole(target, b"first", overwrite=False)
    assert target.read_bytes() == b"first"
    try:
        write_whole(target, b"second", overwrite=False)
    except FileExistsError:
        pass
    else:
        raise AssertionError("an existing file was replaced")
    assert target.read_bytes() == b"first"
    write_whole(target, b"third", overwrite=True)
    assert target.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["p.md"]
