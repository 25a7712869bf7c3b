"""`warroom declare | note | resolve | incidents | export`: the incident record from scripts,
deploy pipelines and alert hooks, on the same database the screens follow.

Each command writes with source `cli`; the actor kind is `human` at a terminal and
`automation` with `--automation` or when stdin is not one (a pipeline, a hook, cron). The actor
names the person when `--as NAME`, `$WARROOM_ACTOR` or the config's `actor` does ("Alice as
root@bastion-1 (ssh 10.0.0.5)"). The database is `--db`, else
the config's `db` (a config given with --config or found where warroom looks; none is loaded
when none is found), else `$XDG_STATE_HOME/warroom/incidents.db`. `note` and `resolve` act on
the active incident (the one not resolved or closed) unless `--incident ID` is given; with
several open they refuse and list them. `export` takes the active incident, else the latest
one, and refuses too when several are open. `incidents` and `export` open the
record read-only; the writing commands refuse to run under `--read-only` or a config's
`read_only = true` (an observer's setup writes nothing).

Every failure (no incident, several open and none named, a bad --as, a move the lifecycle
refuses, a database that is not ours or is newer, a directory that cannot be written, a bad
config) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.config.schema import DEFAULT_SEVERITIES, Config, SeverityConfig
from tui.core.clock import SystemClock
from tui.core.errors import UserError
from tui.core.paths import db_path
from tui.core.untrusted import one_line
from tui.incident.actor import actor_kind_for_cli, current_actor, named_person
from tui.incident.lifecycle import LifecycleError
from tui.incident.service import Incidents, Who
from tui.incident.store import IncidentStore, IncidentSummary, StoreError
from tui.incident.target import SeveralOpen, listing, open_incidents, the_open_incident

EXIT_FAILED = 2
TITLE_WIDTH = 50


class CommandError(Exception):
    """One line: why the command did nothing."""


@dataclass(frozen=True, slots=True)
class _Target:
    path: Path
    config: Config | None
    default_path: bool  # neither --db nor the config named it: the command may make its directory

    @property
    def severities(self) -> tuple[SeverityConfig, ...]:
        return self.config.severities if self.config is not None else DEFAULT_SEVERITIES


def _target(args: argparse.Namespace) -> _Target:
    from tui.config.load import find_config, load_config

    found = find_config(getattr(args, "config", None))
    config = load_config(found) if found is not None else None
    explicit = getattr(args, "db", None)
    configured = config.db if config else None
    return _Target(db_path(explicit, configured), config, not explicit and not configured)


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin: no terminal
        return False


def _who(args: argparse.Namespace, target: _Target) -> Who:
    configured = target.config.actor if target.config is not None else None
    person = named_person(getattr(args, "person", None), configured=configured)
    automation = bool(getattr(args, "automation", False))
    kind = "automation" if automation else actor_kind_for_cli(_stdin_is_tty())
    return Who(current_actor(person=person), kind, "cli")


async def _writer(args: argparse.Namespace, target: _Target) -> IncidentStore:
    if getattr(args, "read_only", False):
        raise CommandError("--read-only: this command writes to the incident record")
    if target.config is not None and target.config.read_only:
        raise CommandError(f"{target.config.source}: read_only = true: this command writes to the record")
    if target.default_path:
        try:
            target.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise CommandError(f"{target.path.parent}: cannot create: {err.strerror or err}") from err
    return await IncidentStore.open(target.path)


async def _active(store: IncidentStore, incident: int | None) -> int:
    if incident is not None:
        return await _existing(store, incident)
    active = await _the_open(store)
    if active is None:
        raise CommandError(f"{store.path}: no active incident (declare one, or pass --incident ID)")
    return active


async def _the_open(store: IncidentStore) -> int | None:
    """The one open incident, or None; several open is a refusal that lists them: picking the
    newest once resolved the wrong incident."""
    try:
        return await the_open_incident(store)
    except SeveralOpen as err:
        raise CommandError(f"{store.path}: {err}; say which with --incident ID") from None


async def _existing(store: IncidentStore, incident: int) -> int:
    if await store.incident(incident) is None:
        raise CommandError(f"{store.path}: no incident #{incident}")
    return incident


def _run(name: str, body: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(body())
    except (CommandError, StoreError, LifecycleError, UserError) as err:
        print(f"warroom {name}: {one_line(str(err), 500)}", file=sys.stderr)
        return EXIT_FAILED


# -- the commands ------------------------------------------------------------------------------


def _writing(name: str, args: argparse.Namespace, act: Callable[[Incidents], Awaitable[str | None]]) -> int:
    """Run a command that writes: the record opened for writing (or refused, see `_writer`), `act`
    on it as the person or pipeline at hand, the record closed; what `act` returns is printed."""

    async def body() -> int:
        target = _target(args)
        who = _who(args, target)  # a bad --as is refused before the record is opened
        store = await _writer(args, target)
        try:
            out = await act(Incidents(store, target.severities, who=who))
        finally:
            await store.close()
        if out is not None:
            print(out)
        return 0

    return _run(name, body)


def cmd_declare(args: argparse.Namespace) -> int:
    """Declare an incident; prints its id (`ID=$(warroom declare "API down" --severity SEV1)`)."""

    async def act(incidents: Incidents) -> str:
        drill = bool(getattr(args, "drill", False))
        already = await open_incidents(incidents.store)
        incident = (await incidents.declare(args.title, args.severity, drill=drill)).incident_id
        if already:
            # Said, not refused: a pipeline cannot answer a question, and two outages at once
            # happen. Standard output stays the id alone (`ID=$(warroom declare ...)`).
            print(
                f"warroom declare: #{incident} declared beside {len(already)} open: {listing(already)}; "
                "bare note, resolve and export now need --incident ID",
                file=sys.stderr,
            )
        return str(incident)

    return _writing("declare", args, act)


def cmd_note(args: argparse.Namespace) -> int:
    """Add a note (`--star` to star it) to the active incident or `--incident ID`."""

    async def act(incidents: Incidents) -> None:
        incident = await _active(incidents.store, args.incident)
        await incidents.note(incident, args.text, starred=bool(getattr(args, "star", False)))

    return _writing("note", args, act)


def cmd_resolve(args: argparse.Namespace) -> int:
    """Move the active incident (or `--incident ID`) to resolved, with an optional `--reason`."""

    async def act(incidents: Incidents) -> None:
        incident = await _active(incidents.store, args.incident)
        await incidents.resolve(incident, getattr(args, "reason", None) or "")

    return _writing("resolve", args, act)


def cmd_incidents(args: argparse.Namespace) -> int:
    """Every incident, oldest first: id, title, severity, status, declared at (UTC), DRILL."""

    async def body() -> int:
        target = _target(args)
        found: list[IncidentSummary] = []
        # No database yet is no incidents yet (a writer creates it), not an error. One out of
        # reach (a directory this user may not enter) is opened anyway: the store says which
        # permission is missing, where Path.exists() raised PermissionError.
        if not _absent(target.path.expanduser()):
            async with await IncidentStore.open(target.path, read_only=True) as store:
                found = await store.incidents()
        if not found:
            print(f"warroom incidents: no incidents in {one_line(str(target.path), 500)}", file=sys.stderr)
            return 0
        for line in incident_table(found):
            print(line)
        return 0

    return _run("incidents", body)


def _absent(path: Path) -> bool:
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def incident_table(incidents: Sequence[IncidentSummary]) -> list[str]:
    """The `warroom incidents` table: aligned columns, titles cleaned and cut to one line."""
    header = ("ID", "TITLE", "SEVERITY", "STATUS", "DECLARED (UTC)", "")
    rows = [
        (
            str(s.id),
            one_line(s.title, TITLE_WIDTH),
            one_line(s.severity, 16),
            s.status,
            s.declared_at.strftime("%Y-%m-%d %H:%M:%S"),
            "DRILL" if s.drill else "",
        )
        for s in incidents
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def cmd_export(args: argparse.Namespace) -> int:
    """The postmortem (`--format md`) or the audit log (`--format jsonl`) to stdout or `-o FILE`."""
    from tui.incident.export import export_incident

    async def body() -> int:
        target = _target(args)
        async with await IncidentStore.open(target.path, read_only=True) as store:
            if args.incident is not None:
                incident = await _existing(store, args.incident)
            else:
                found = await _the_open(store) or await store.latest_incident()
                if found is None:
                    raise CommandError(f"{store.path}: no incidents recorded")
                incident = found
            exported = await export_incident(
                store, incident, severities=target.severities, generated_at=SystemClock().now()
            )
        if args.format == "jsonl":
            payload = exported.audit
            what = f"{len(exported.audit_lines)} events of incident #{incident}"
            if exported.audit_lines:
                what += f" (last line's sha256 {exported.last_hash})"
        else:
            payload = exported.markdown
            what = f"the postmortem of incident #{incident}"
        _emit(payload.encode("utf-8"), args.output, what, force=bool(getattr(args, "force", False)))
        return 0

    return _run("export", body)


def _emit(payload: bytes, output: str | None, what: str, *, force: bool = False) -> None:
    if output is None or output == "-":
        try:
            sys.stdout.buffer.write(payload)
            sys.stdout.flush()
        except BrokenPipeError:  # `warroom export | head`: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    from tui.incident.output import write_whole

    path = Path(output).expanduser()
    shown = one_line(output, 500)
    refusal = f"{shown}: exists, not overwritten (--force overwrites it)"
    if path.exists() and not force:
        raise CommandError(refusal)
    try:
        write_whole(path, payload, overwrite=force)
    except FileExistsError:  # appeared since the check above: still never replaced
        raise CommandError(refusal) from None
    except OSError as err:
        raise CommandError(f"{shown}: cannot write: {err.strerror or err}") from err
    print(f"warroom export: wrote {what} to {shown}", file=sys.stderr)


__all__ = [
    "CommandError",
    "cmd_declare",
    "cmd_export",
    "cmd_incidents",
    "cmd_note",
    "cmd_resolve",
    "incident_table",
]
