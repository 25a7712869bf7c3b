"""The incident keys (D, S, M, A, n, u, *, E, timeline view toggles): what each asks, and the
record operation it runs. The app routes `incident('<name>')` actions here; `WRITES` names the
ones that write, which the app's one read-only check hides and refuses.

Each key runs as one worker that asks its questions in dialogs (`push_screen_wait`) and then
writes through `Incidents`, whose lifecycle rules have the last word: a refusal
(`LifecycleError`) is shown as a notice with its reason, never raised. The timeline is polled
at once after a write, so the row and the header change as soon as the dialog closes.

Past incidents are opened from the command palette ("Open incident #N ..."); a resolved or
closed one is shown read-only (the header's badge and the timeline's title say so) until
"Follow the active incident" goes back. Another open incident is made the active one of this
screen with "Switch to incident #N ...": the keys and the mitigations then act on it. `D` with
an incident open says so first and offers a note on it instead of a second incident.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.markup import escape
from textual.screen import ModalScreen

from panels.modals import ChoiceScreen, ComposerScreen, PromptScreen
from panels.timeline import KIND_LABEL, TimelinePanel, short_actor
from tui.config.schema import SeverityConfig
from tui.controllers.bindings import WRITES
from tui.core.clock import utc_iso
from tui.core.model import ClusterSnapshot, HealthSnapshot, SloSnapshot
from tui.core.untrusted import clean, one_line
from tui.domain.status_update import can_template
from tui.incident.actor import account_of
from tui.incident.events import ROLES, STATUSES, Event
from tui.incident.lifecycle import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    STATUS_RANK,
    IncidentState,
    LifecycleError,
    plan_severity,
    require_accepts,
    severity_named,
)
from tui.incident.store import IncidentSummary, StoreError
from tui.incident.target import SeveralOpen, is_open, label

if TYPE_CHECKING:
    from tui.app import WarroomApp
    from tui.incident.feed import TimelineSource
    from tui.incident.service import Incidents
    from tui.key_queue import Hold

NO_INCIDENT = "declare an incident first (D)"
STATUS_HELP = {
    "investigating": "investigating: looking for the cause",
    "identified": "identified: the cause is known",
    "mitigating": "mitigating: a fix is under way",
    "resolved": "resolved: the impact is over",
    "closed": "closed: follow-ups filed, nothing more to do",
}
ROLE_HELP = {
    "commander": "runs the response, decides",
    "comms": "writes the status updates",
    "ops": "hands on the systems",
    "scribe": "keeps the timeline",
}
OFFERED = 5  # open incidents offered a note instead of a second declaration


def severity_label(severity: SeverityConfig) -> str:
    every = severity.update_every_min
    cadence = f"status update every {every:g} min" if every else "no status-update cadence"
    return f"{severity.name} · {cadence}"


def export_paths(raw: str, incident_id: int, cwd: Path) -> tuple[Path, Path]:
    """The postmortem's path from what was typed (a directory gets the default name) and the
    audit log's beside it."""
    default = f"warroom-incident-{incident_id}.md"
    path = Path(raw.strip() or default).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if path.is_dir():
        path = path / default
    audit = path.with_suffix(".jsonl") if path.suffix == ".md" else path.with_name(path.name + ".jsonl")
    return path, audit


def write_files(files: dict[Path, str], *, overwrite: bool) -> None:
    """Each file written whole (tui.incident.output); over an existing one only with `overwrite`
    (FileExistsError otherwise, that file left as it was)."""
    from tui.incident.output import write_whole

    for path, text in files.items():
        write_whole(path, text.encode("utf-8"), overwrite=overwrite)


class IncidentKeys:
    def __init__(self, app: WarroomApp) -> None:
        self.app = app
        self.busy = False  # one key's dialogs at a time
        self.queued: str | None = None  # a key pressed while the previous one was saving
        self.past: int | None = None  # a resolved/closed incident opened from the history
        self.chosen: int | None = None  # an open incident made the active one from the palette
        self.history: list[IncidentSummary] = []  # for the command palette, refreshed in the background
        self._refreshing = False
        self.flows: dict[str, Callable[[], Awaitable[None]]] = {
            "declare": self.declare,
            "severity": self.severity,
            "status": self.status,
            "role": self.role,
            "note": self.note,
            "update": self.update,
            "star": self.star,
            "correct": self.correct,
            "export": self.export,
            "history": self.pick_history,
            "follow_active": self.follow_active,
            "follow_newest": self.follow_newest,
        }

    # ---- running a key ---------------------------------------------------------------------
    async def run(self, name: str) -> None:
        flow = self.flows[name]  # KeyError: a binding names no flow (a bug, found by the tests)
        if self.busy:
            # The previous key is still saving (its dialogs are closed, or this press would have
            # gone to them): run this one next rather than drop it on a slow bastion.
            self.queued = name
            return
        self.busy = True
        # The keys typed after this one wait for its dialog (or its end): in one read, `D` and a
        # title put the title in the dialog, not in the panel underneath.
        hold = self.app.key_queue.hold()
        self.app.run_worker(self._guarded(name, flow, hold), group="incident-keys", exit_on_error=False)

    async def _guarded(self, name: str, flow: Callable[[], Awaitable[None]], hold: Hold) -> None:
        try:
            if name in WRITES and not self._may_write(name):
                return
            await flow()
        except LifecycleError as err:
            self.say(str(err), "warning")
        except StoreError as err:
            self.say(f"not recorded: {err}", "error")
        except Exception as err:  # a bug in one key must not take the war room down mid-incident
            self.app.log.error(f"incident key {name!r} failed", err)
            self.say(f"{name} failed: {type(err).__name__}: {err}", "error")
        finally:
            self.busy = False
            hold.release()
            queued, self.queued = self.queued, None
            if queued is not None:
                await self.run(queued)

    def say(self, message: str, severity: str = "information", timeout: float | None = None) -> None:
        """A notice; any outside text in it stays literal (no markup, no control codes)."""
        self.app.notify(
            one_line(message, 400),
            severity=severity,  # type: ignore[arg-type]
            markup=False,
            timeout=timeout,
        )

    async def ask(self, screen: ModalScreen[Any]) -> Any:
        return await self.app.push_screen_wait(screen)

    # ---- what the keys need ----------------------------------------------------------------
    @property
    def panel(self) -> TimelinePanel:
        panel = self.app.panels["timeline"]
        assert isinstance(panel, TimelinePanel)
        return panel

    def _may_write(self, name: str) -> bool:
        if self.app.setup.read_only:
            self.say("read-only: this screen changes nothing", "warning")
            return False
        feed = self.app.timeline
        if name != "declare" and self.past is not None and feed is not None and feed.incident_id == self.past:
            self.say(
                f"incident #{self.past} is a past incident, shown read-only; "
                "ctrl+p, Follow the active incident, to go back",
                "warning",
            )
            return False
        return True

    def _record(self) -> tuple[TimelineSource, Incidents] | None:
        """The open record, or None after saying why there is none."""
        feed = self.app.timeline
        if feed is None:
            self.say("this screen has no incident record", "warning")
            return None
        if feed.incidents is None:
            status = self.panel.source_status
            why = f": {status.error}" if status is not None and status.error else ""
            self.say(f"the incident record is not open yet{why}", "warning")
            return None
        return feed, feed.incidents

    async def _incident(self) -> tuple[TimelineSource, Incidents, IncidentState] | None:
        """The followed incident's record and state, or None after saying why there is none."""
        found = self._record()
        if found is None:
            return None
        feed, incidents = found
        if feed.incident_id is None:
            self.say(NO_INCIDENT if not self.app.setup.read_only else "no incident declared yet", "warning")
            return None
        return feed, incidents, await incidents.state(feed.incident_id)

    def _written(self) -> None:
        """After a write: show it now, and keep the palette's history current."""
        loop = self.app.loops.get("timeline")
        if loop is not None:
            loop.poll_now()
        self.refresh_history()

    def _selected(self) -> Event | None:
        event = self.panel.selected()
        if event is None:
            self.say("select an event on the timeline first (5, then the arrows)", "warning")
        return event

    # ---- the keys that write ---------------------------------------------------------------
    async def declare(self) -> None:
        found = self._record()
        if found is None:
            return
        feed, incidents = found
        already = await incidents.open_ones()
        if already and not await self._second_declaration(feed, incidents, already):
            return
        title = await self.ask(
            PromptScreen(
                "Declare an incident",
                placeholder="what users see, e.g. Checkout fails with 502s",
                hint="a short title · enter goes on to the severity · esc cancels",
            )
        )
        if title is None:
            return
        severities = sorted(incidents.severities, key=lambda s: s.rank)
        default = "SEV2" if any(s.name == "SEV2" for s in severities) else severities[0].name
        severity = await self.ask(
            ChoiceScreen(
                f"Severity of: {one_line(title, 100)}",
                [(s.name, severity_label(s)) for s in severities],
                selected=default,
            )
        )
        if severity is None:
            return
        declared = await incidents.declare(title, severity)
        feed.follow(declared.incident_id)  # carries in what is already wrong, each once
        self.chosen = None
        self._show_past(None)
        self._written()
        self.say(
            f"declared #{declared.incident_id} {declared.data.get('severity', severity)}: "
            f"{declared.data.get('title', title)}; A assigns the commander"
        )

    async def _second_declaration(
        self, feed: TimelineSource, incidents: Incidents, already: list[IncidentSummary]
    ) -> bool:
        """`D` while incidents are open: most often the problem is the one already declared, so
        say so and offer a note on it; True goes on to declare a second incident."""
        newest_first = list(reversed(already))
        offered = newest_first[:OFFERED]
        shown = feed.incident_id if any(s.id == feed.incident_id for s in offered) else offered[0].id
        choices = [(f"note:{s.id}", f"add a note to {label(s, 60)} instead") for s in offered]
        choices.append(("declare", "declare a second, separate incident"))
        # Short, so it is one line at 80 columns; the choices name each incident in full.
        if len(already) == 1:
            title = f"#{already[0].id} is already open: declare a second incident?"
        else:
            title = f"{len(already)} incidents are already open: declare another?"
        choice = await self.ask(
            ChoiceScreen(
                title,
                choices,
                hint="a second incident splits the timeline and the postmortem · enter picks · esc cancels",
                selected=f"note:{shown}",
            )
        )
        if choice is None or choice == "declare":
            return choice == "declare"
        incident_id = int(choice.removeprefix("note:"))
        if incident_id != feed.incident_id or self.past is not None:
            await self._open(incident_id)  # the note goes to the incident the screen then shows
        await self._note_on(incidents, await incidents.state(incident_id))
        return False

    async def severity(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        severities = sorted(incidents.severities, key=lambda s: s.rank)
        others = [s for s in severities if s.name != state.severity]
        if not others:
            raise LifecycleError("only one severity is configured")
        plan_severity(state, others[0].name, severities)  # a resolved incident: refused now, not after
        choice = await self.ask(
            ChoiceScreen(
                f"Severity of #{state.id} (now {state.severity})",
                [(s.name, severity_label(s)) for s in others],
            )
        )
        if choice is None:
            return
        event = await incidents.set_severity(state.id, choice)
        self._written()
        self.say(f"#{state.id} severity {event.text}{self._due_text(severity_named(choice, severities))}")

    async def status(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        choices: list[tuple[str, str]] = []
        if state.is_open:
            rank = STATUS_RANK[state.status]
            choices = [(s, STATUS_HELP[s]) for s in STATUSES if STATUS_RANK[s] > rank]
        else:
            if state.status == "resolved":
                choices.append(("closed", STATUS_HELP["closed"]))
            choices += [(f"reopen:{s}", f"reopen it as {s}") for s in OPEN_STATUSES]
        choice = await self.ask(ChoiceScreen(f"#{state.id} is {state.status}: move it on to", choices))
        if choice is None:
            return
        if choice.startswith("reopen:"):
            event = await incidents.reopen(state.id, status=choice.removeprefix("reopen:"))
        else:
            event = await incidents.move_status(state.id, choice)
        self._written()
        self.say(f"#{state.id} {event.text}")

    async def role(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        require_accepts(state, "role_assigned")
        choices = []
        for role in ROLES:
            holder = state.roles.get(role)
            who = f"held by {one_line(holder, 60)}" if holder else "nobody yet"
            choices.append((role, f"{role} ({ROLE_HELP[role]}): {who}"))
        role = await self.ask(ChoiceScreen(f"Assign a role on #{state.id}", choices))
        if role is None:
            return
        me = short_actor_host(incidents.who.actor)
        holder = state.roles.get(role)
        assignee = await self.ask(
            PromptScreen(
                f"Who is {role} of #{state.id}?",
                value=me,
                hint=(f"now {one_line(holder, 60)}: a new name is a handover · " if holder else "")
                + "enter assigns · esc cancels",
            )
        )
        if assignee is None:
            return
        event = await incidents.assign_role(state.id, role, assignee)
        self._written()
        prefix = "handover: " if event.data.get("handover") else ""
        self.say(f"{prefix}{event.text}")

    async def note(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        await self._note_on(incidents, state)

    async def _note_on(self, incidents: Incidents, state: IncidentState) -> None:
        require_accepts(state, "note")
        text = await self.ask(
            PromptScreen(f"Note on #{state.id}", placeholder="what you saw, did or decided")
        )
        if text is None:
            return
        await incidents.note(state.id, text)
        self._written()

    async def update(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        require_accepts(state, "status_update")
        severity = severity_named(state.severity, incidents.severities)
        panels = self.app.panels
        template = can_template(
            title=state.title,
            severity=state.severity,
            status=state.status,
            now=self.app.clock.now(),
            health=_of(panels["health"].last, HealthSnapshot),
            cluster=_of(panels["pods"].last, ClusterSnapshot),
            slos=_of(panels["slos"].last, SloSnapshot),
            events=list(self.panel.events.values()),
            last_update_at=state.last_status_update_at,
            next_update_min=severity.update_every_min if severity else None,
        )
        lines = template.split("\n")
        needs = lines.index("Needs:") + 1 if "Needs:" in lines[:-1] else len(lines) - 1
        text = await self.ask(
            ComposerScreen(
                f"Status update for #{state.id}: conditions, actions, needs",
                template,
                cursor=(needs, len(lines[needs])),  # what the team needs is for a person to say
            )
        )
        if text is None:
            return
        await incidents.status_update(state.id, text)
        # OSC 52: the terminal itself takes the text, so it works over SSH on a bastion.
        self.app.copy_to_clipboard(text)
        self._written()
        self.say(
            "status update recorded and copied to the clipboard (OSC 52, works over SSH; "
            f"tmux needs set-clipboard on): paste it into the channel{self._due_text(severity)}",
            timeout=10,
        )

    async def star(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        event = self._selected()
        if event is None:
            return
        starred = event.id not in state.starred
        await incidents.star(state.id, event.id, starred)
        self._written()
        self.say(f"{'starred' if starred else 'unstarred'}: {event.text}")

    async def correct(self) -> None:
        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        event = self._selected()
        if event is None:
            return
        if event.kind == "starred":
            raise LifecycleError("a star is undone by unstarring it (*), not corrected")
        # A corrected row is corrected again through its newest correction, which it names.
        while event.id in state.corrected:
            newer = await incidents.event(state.corrected[event.id])
            if newer is None:
                break
            event = newer
        title = f"Correct this {KIND_LABEL.get(event.kind, event.kind.replace('_', ' '))} of #{state.id}"
        screen: ModalScreen[str | None]
        if "\n" in event.text:
            screen = ComposerScreen(title, event.text, hint="ctrl+s saves the correction · esc cancels")
        else:
            screen = PromptScreen(
                title, value=event.text, hint="the old text stays in the record, shown as corrected"
            )
        text = await self.ask(screen)
        if text is None:
            return
        await incidents.correct(state.id, event.id, text)
        self._written()
        self.say(f"corrected: {text}")

    def _due_text(self, severity: SeverityConfig | None) -> str:
        if severity is None or not severity.update_every_min:
            return ""
        return f"; next update due in {severity.update_every_min:g} min"

    # ---- export: allowed read-only, it writes no record ----------------------------------------
    async def export(self) -> None:

        found = await self._incident()
        if found is None:
            return
        _, incidents, state = found
        cwd = Path.cwd()
        default, _ = export_paths("", state.id, cwd)
        raw = await self.ask(
            PromptScreen(
                f"Export the postmortem of #{state.id} to",
                value=str(default),
                hint="Markdown here, the JSONL audit log beside it · enter writes · esc cancels",
            )
        )
        if raw is None:
            return
        path, audit = export_paths(raw, state.id, cwd)
        existing = [p for p in (path, audit) if p.exists()]
        if existing and self.app.setup.read_only:
            # An observer's export never replaces anything (the commander's postmortem, say).
            names = " and ".join(str(p) for p in existing)
            self.say(
                f"read-only: {names} already exist{'s' if len(existing) == 1 else ''}; "
                "an observer's export writes only new files: nothing written",
                "warning",
                timeout=15,
            )
            return
        if existing:
            names = " and ".join(str(p) for p in existing)
            choice = await self.ask(
                ChoiceScreen(
                    f"{names} already exist{'s' if len(existing) == 1 else ''}",
                    [("keep", "keep it: export nothing"), ("overwrite", "overwrite")],
                    selected="keep",
                )
            )
            if choice != "overwrite":
                self.say("export cancelled: nothing written")
                return
        exported = await incidents.export(state.id, generated_at=self.app.clock.now())
        files = {path: exported.markdown, audit: exported.audit}
        try:
            await asyncio.to_thread(write_files, files, overwrite=bool(existing))
        except FileExistsError as err:  # made by someone else since the question: never replaced
            taken = err.filename2 or err.filename or path
            self.say(f"{taken}: a file appeared there meanwhile; not overwritten", "error", timeout=15)
            return
        except OSError as err:
            self.say(f"{path}: cannot write: {err.strerror or err}", "error", timeout=15)
            return
        self.say(f"postmortem of #{state.id} written to {path} (audit log {audit.name})", timeout=15)

    # ---- history: the command palette ----------------------------------------------------------
    def refresh_history(self) -> None:
        """Read the incident list in the background for the next palette search."""
        feed = self.app.timeline
        if self._refreshing or feed is None or feed.incidents is None:
            return
        self._refreshing = True
        self.app.run_worker(
            self._refresh_history(feed.incidents), group="incident-history", exit_on_error=False
        )

    async def _refresh_history(self, incidents: Incidents) -> None:
        try:
            self.history = await incidents.summaries()
        except StoreError:
            pass  # the palette keeps the last list; the timeline's status line says what is wrong
        finally:
            self._refreshing = False

    def system_commands(self) -> Iterator[SystemCommand]:
        """Palette entries: the other open incidents to switch to, the incident history, and
        the way back from it."""
        feed = self.app.timeline
        if feed is None:
            return
        self.refresh_history()  # the palette searches again as one types: it sees the fresh list
        if self.past is not None:
            yield SystemCommand(
                "Follow the active incident",
                "Back from the history to the incident being worked on here",
                partial(self._start, "follow_active"),
            )
        elif feed.pinned:
            yield SystemCommand(
                "Follow the newest incident",
                "Let go of the incident chosen here: the newest open one takes the screen, as it "
                "does when one is declared anywhere",
                partial(self._start, "follow_newest"),
            )
        yield SystemCommand(
            "Incident history",
            "Pick an incident: a past one to read (read-only), or an open one to work on",
            partial(self._start, "history"),
        )
        history = list(reversed(self.history))
        for summary in [s for s in history if is_open(s)] + [s for s in history if not is_open(s)]:
            if summary.id == feed.incident_id:
                continue
            # The palette reads titles as markup: escaped, so a title stays text.
            title = escape(one_line(summary.title, 80))
            if is_open(summary):
                name = f"Switch to incident #{summary.id} {title}"
                help_text = f"make it the active one: keys and mitigations act on it · {describe(summary)}"
            else:
                name = f"Open incident #{summary.id} {title}"
                help_text = f"read it (read-only) · {describe(summary)}"
            yield SystemCommand(name, escape(help_text), partial(self.open_incident, summary.id))

    def _start(self, name: str) -> None:
        self.app.call_later(self.run, name)

    def open_incident(self, incident_id: int) -> None:
        """Show an incident (a palette entry): an open one becomes the active incident of this
        screen; a resolved or closed one is shown read-only."""
        if self.busy:
            return
        self.busy = True
        flow = partial(self._open, incident_id)
        hold = self.app.key_queue.hold()
        self.app.run_worker(self._guarded("open", flow, hold), group="incident-keys", exit_on_error=False)

    async def _open(self, incident_id: int) -> None:
        found = self._record()
        if found is None:
            return
        feed, incidents = found
        summary = await incidents.summary(incident_id)
        if summary is None:
            raise LifecycleError(f"no incident #{incident_id}")
        feed.follow(incident_id, pinned=True)
        closed = summary.status in CLOSED_STATUSES
        self._show_past(incident_id if closed else None)
        self._written()
        if closed:
            self.say(
                f"showing #{incident_id} {summary.title} ({summary.status}), read-only; "
                "ctrl+p, Follow the active incident, to go back"
            )
            return
        self.chosen = incident_id
        self.say(
            f"#{incident_id} {summary.title} ({summary.status}) is now the active incident here: "
            "the keys and mitigations act on it"
        )

    async def pick_history(self) -> None:
        found = self._record()
        if found is None:
            return
        feed, incidents = found
        self.history = await incidents.summaries()
        if not self.history:
            self.say("no incident recorded yet")
            return
        choice = await self.ask(
            ChoiceScreen(
                "Incident history (newest first)",
                [(str(s.id), f"#{s.id} {s.title} · {describe(s)}") for s in reversed(self.history)],
                selected=str(feed.incident_id) if feed.incident_id is not None else None,
            )
        )
        if choice is not None:
            await self._open(int(choice))

    async def follow_newest(self) -> None:
        self.chosen = None
        await self.follow_active()

    async def follow_active(self) -> None:
        """Back to the incident chosen here (while it is open), else to the newest open one."""
        found = self._record()
        if found is None:
            return
        feed, incidents = found
        chosen = await incidents.summary(self.chosen) if self.chosen is not None else None
        self._show_past(None)
        if chosen is not None and is_open(chosen):
            feed.follow(chosen.id, pinned=True)
            self._written()
            self.say(f"following #{chosen.id} {chosen.title}, the active incident here")
            return
        self.chosen = None
        active = await incidents.to_follow()
        if active is None:
            feed.pinned = False
            self.say("no incident declared yet")
            return
        feed.follow(active)
        self._written()
        summary = await incidents.summary(active)
        self.say(f"following #{active} {summary.title if summary else ''}")

    def _show_past(self, incident_id: int | None) -> None:
        """Whether the screen shows a past incident (read-only): the timeline's title and the
        header's badge say so, and the keys that write refuse with a notice."""
        self.past = incident_id
        self.panel.set_past(incident_id is not None)
        self.app.header.set_past(incident_id is not None)

    async def working_incident(self, incidents: Incidents) -> int | None:
        """The incident this screen works on, for the mitigations' record: the one shown when it
        is open (and not a past one being read), else the one chosen here while it is open, else
        the one open incident. Several open and none of those is a refusal that says how to
        choose, never a guess."""
        feed = self.app.timeline
        shown = feed.incident_id if feed is not None and feed.incident_id != self.past else None
        for candidate in (shown, self.chosen):
            if candidate is not None and (await incidents.state(candidate)).is_open:
                return candidate
        try:
            return await incidents.the_open_one()
        except SeveralOpen as err:
            raise LifecycleError(f"{err}; ctrl+p, Switch to incident #N, makes one active here") from None


def describe(summary: IncidentSummary) -> str:
    drill = "DRILL · " if summary.drill else ""
    return (
        f"{drill}{summary.severity} {summary.status} · declared {utc_iso(summary.declared_at)} "
        f"by {short_actor(summary.declared_by)}"
    )


def short_actor_host(actor: str) -> str:
    """ "alice@bastion-1 (ssh 10.0.0.5)" -> "alice@bastion-1", or the named person ("Alice Ng as
    root@bastion-1 …" -> "Alice Ng"): a person's name for a role."""
    return clean(account_of(actor), max_len=100)


def _of(value: object, kind: type[Any]) -> Any:
    return value if isinstance(value, kind) else None
