"""The mitigation keys (r, U, s, x, a and the team's own): the selection becomes a `Target`,
the registry says which actions apply, the confirmation names the target, and the dispatcher
runs it. The app routes `mitigate('<name>')` actions here; every one of them changes the world,
so the app's one read-only check hides and refuses them all.

The flow of a key: refusals that need no confirmation first (the action does not fit the
selection, it is still running, there is no incident to record it in: one notification each,
nothing written), then the confirmation (what it shows is what runs; escape cancels), then the
dispatcher in a worker, so the screen never waits for a cluster or a command, then one line
saying how it went. The timeline shows the record as the dispatcher writes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.worker import Worker

from actions import (
    NO_INCIDENT,
    Action,
    ActionRefused,
    ActiveIncident,
    Dispatcher,
    FollowOutcome,
    InFlightError,
    Registry,
    Target,
    config_actions,
)
from actions.kubernetes import undo_revision
from panels.modals import AskScreen, ChoiceScreen, ConfirmScreen
from tui.config.schema import ActionConfig
from tui.controllers.bindings import ACTION_BINDINGS, MENU
from tui.core.keynames import normalise
from tui.core.model import ClusterSnapshot
from tui.core.untrusted import one_line

if TYPE_CHECKING:
    from tui.app import WarroomApp
    from tui.core.model import DeploymentInfo

CONFIG_PREFIX = "config."  # the registry's ids of `[[actions]]` (actions.config)
BINDING_PREFIX = "actions."  # their binding ids, what `[keys]` remaps them by
MENU_LABEL = 110  # characters of a menu line (the dialog is 84 wide: two lines at most)
DRY_RUN_TIMEOUT_S = 3.0  # a dry run is a courtesy: the confirmation never waits on it longer
DRY_RUN_PENDING = "asking…"
DRY_RUN_DEBOUNCE_S = 0.4  # a pause in typing this long asks the dry run of the value typed
PREPARE_TIMEOUT_S = 1.0  # what an action reads before its confirmation opens: never longer

_STATIC_IDS = frozenset(b.id for b in ACTION_BINDINGS)


def binding_id(action_id: str) -> str:
    """ "config.kill-idle-db-connections" -> "actions.kill-idle-db-connections"; the built-in
    actions' bindings carry the action's id."""
    if action_id.startswith(CONFIG_PREFIX):
        return BINDING_PREFIX + action_id.removeprefix(CONFIG_PREFIX)
    return action_id


def registry_bindings(actions: Iterable[Action]) -> list[Binding]:
    """A binding for each action with a key of its own that no built-in binding covers: the
    team's `[[actions]]` (and any other action declared with a key)."""
    return [
        Binding(
            normalise(action.key),
            f"mitigate({action.id!r})",
            one_line(action.title, 60),  # a config's [[actions]] name: shown in help and the keys
            show=False,
            id=binding_id(action.id),
        )
        for action in actions
        if action.key and binding_id(action.id) not in _STATIC_IDS
    ]


def config_bindings(configs: Iterable[ActionConfig]) -> list[Binding]:
    """The bindings the config's `[[actions]]` get, for the keymap check before the app starts."""
    return registry_bindings(config_actions(configs))


def config_keymap(configs: Iterable[ActionConfig]) -> dict[str, str]:
    """binding id -> key of each `[[actions]]` with a key: keys the user chose, checked against
    the built-in ones like a `[keys]` remap."""
    return {b.id: b.key for b in config_bindings(configs) if b.id}


class _WorkingIncident:
    """The dispatcher's `IncidentsProvider`: the incident the screen works on, in the record the
    wiring shared (opened here if nothing opened it yet). Asked at each dispatch, because another
    process may declare or resolve an incident at any time."""

    def __init__(self, app: WarroomApp) -> None:
        self.app = app

    async def active(self) -> ActiveIncident | None:
        record = self.app.record
        if record is None:
            raise RuntimeError("this screen has no incident record")
        incidents = await record.open()  # opened once, by whoever needs it first
        # The incident this screen works on (the one shown, or the one chosen from the palette),
        # not the store's newest open one: with several open, that was a guess.
        incident_id = await self.app.incident_keys.working_incident(incidents)
        return None if incident_id is None else ActiveIncident(incidents, incident_id)


class ActionKeys:
    def __init__(self, app: WarroomApp) -> None:
        self.app = app
        setup = app.setup
        self.registry: Registry = setup.registry if setup.registry is not None else Registry()
        self.provider = _WorkingIncident(app)
        self.dispatcher = Dispatcher(
            self.registry,
            self.provider,
            read_only=setup.read_only,
            clock=app.clock,
            secret_files=setup.secret_files,
            on_progress=self._progressed,
            on_follow_end=self._follow_ended,
        )
        self.workers: list[Worker[None]] = []
        self.dry_run_worker: Worker[None] | None = None  # the latest confirmation's dry run
        self._dry_screen: ConfirmScreen | None = None  # the dialog the last dry run was for
        self.dry_runs = 0  # dry runs asked of the system so far (the debounce keeps it low)
        self.started = 0  # actions handed to the dispatcher so far
        # Textual's public `bind()` takes no binding id, and `[keys]` remaps by id: the team's
        # actions go into the app's own binding map, exactly as its BINDINGS do.
        for binding in registry_bindings(self.registry):
            app._bindings.key_to_bindings.setdefault(binding.key, []).append(binding)

    # ---- the key ---------------------------------------------------------------------------------
    async def run(self, name: str) -> None:
        if self.dispatcher.read_only:  # the app refuses first; this is the second of three locks
            self._say("read-only: this screen changes nothing", "warning")
            return
        target = self.target()
        if name == MENU:
            self.menu(target)
            return
        if name not in self.registry:
            why = "no [cluster] in the config" if name.startswith("k8s.") else "not in the registry"
            self._say(f"{name}: not available here ({why})", "warning")
            return
        await self.ask(self.registry.get(name), target)

    async def ask(self, action: Action, target: Target) -> None:
        """Refuse what can be refused now; otherwise confirm, then dispatch."""
        reason = action.refusal(target)
        if reason is not None:
            if target.kind == "global":
                reason += ": select a pod (2) or a service (1) first"
            self._say(reason, "warning", action.title)
            return
        if self.dispatcher.is_running(action, target):
            named = action.named(action.subject(target), " on ")
            self._say(f"{named} is still running", "warning", action.title)
            return
        refusal = await self._incident_refusal(action)
        if refusal is not None:
            self._say(refusal, "warning", action.title)
            return
        if action.prepare is not None:
            try:
                target = await asyncio.wait_for(action.prepare(target), timeout=PREPARE_TIMEOUT_S)
            except Exception:  # a courtesy: the confirmation opens with what the selection had
                pass
        if not action.dangerous and not action.fields(target):
            # `dangerous = false` declares a diagnostic that changes nothing (the config's
            # contract): it runs without a dialog, and is recorded like any other.
            self.start(action, target, {})
            return
        try:
            request = action.confirmation(target)
        except ActionRefused as err:  # a preview that cannot be built names what is missing
            self._say(str(err), "warning", action.title)
            return
        if action.dry_run is not None:
            request = replace(request, dry_run=DRY_RUN_PENDING)

        def inputs_changed(inputs: dict[str, Any] | None) -> None:
            if inputs is not None:
                self._ask_dry_run(action, target, screen, inputs)
            elif self._dry_screen is screen and self.dry_run_worker is not None:
                self.dry_run_worker.cancel()  # typed past a valid value: its ask is not wanted

        # The dialog calls back with each new set of valid inputs (the first values as it opens):
        # the dry run follows what is typed, as the "Will run" line does.
        screen = ConfirmScreen(request, on_inputs=inputs_changed if action.dry_run is not None else None)
        self.app.push_screen(screen, lambda inputs: self._confirmed(action, target, inputs))

    def _ask_dry_run(
        self, action: Action, target: Target, screen: ConfirmScreen, inputs: dict[str, Any]
    ) -> None:
        """In a worker, so the dialog is up at once and the screen never waits for a cluster; its
        line arrives in the open dialog. The first values are asked at once; after that, once
        typing pauses for DRY_RUN_DEBOUNCE_S (a dry run is a server call, not one per key), and a
        newer value cancels the older one's ask. Not a dispatch: it changes nothing and is not
        recorded (read-only never gets here)."""
        first = self._dry_screen is not screen
        self._dry_screen = screen
        if not first:
            screen.show_dry_run(DRY_RUN_PENDING, inputs)
        self.dry_run_worker = self.app.run_worker(
            self._dry_run(action, target, screen, inputs, 0.0 if first else DRY_RUN_DEBOUNCE_S),
            name=f"dry run {action.id}",
            group="dry-runs",
            exclusive=True,
            exit_on_error=False,
        )

    async def _dry_run(
        self, action: Action, target: Target, screen: ConfirmScreen, inputs: dict[str, Any], delay: float
    ) -> None:
        assert action.dry_run is not None
        if delay > 0:
            await asyncio.sleep(delay)
        self.dry_runs += 1
        try:
            line = await asyncio.wait_for(action.dry_run(target, inputs), timeout=DRY_RUN_TIMEOUT_S)
        except TimeoutError:
            line = f"dry run failed: no answer in {DRY_RUN_TIMEOUT_S:g} s"
        except Exception as err:  # a failed dry run is said, and does not block the confirm
            line = f"dry run failed: {one_line(str(err)) or type(err).__name__}"
        if screen.is_attached:  # the dialog may be gone already (escape, or confirmed)
            screen.show_dry_run(line, inputs)  # dropped if the inputs changed meanwhile

    def _confirmed(self, action: Action, target: Target, inputs: dict[str, Any] | None) -> None:
        if inputs is None:
            self._say(f"{action.title}: cancelled, nothing was run")
            return
        self.start(action, target, inputs)

    async def _incident_refusal(self, action: Action) -> str | None:
        """Why the dispatcher would refuse for want of an incident, asked before the dialog so
        nobody confirms an action that cannot be recorded. The dispatcher asks again."""
        try:
            active = await self.provider.active()
        except Exception as err:
            return f"not run: {one_line(str(err))}"
        return None if active is not None else f"{action.title} was not run: {NO_INCIDENT}"

    # ---- the action menu -------------------------------------------------------------------------
    def menu(self, target: Target) -> None:
        actions = self.registry.for_target(target)
        if not actions:
            self._say("No action fits the selection: select a pod (2) or a service (1)", "warning")
            return
        keys = self._keys()
        choices = [(a.id, self._menu_label(a, target, keys.get(a.id, ""))) for a in actions]
        title = f"Actions · {target.label() or 'nothing selected'}"

        async def chosen(action_id: str | None) -> None:
            if action_id is not None and action_id in self.registry:
                await self.ask(self.registry.get(action_id), target)

        self.app.push_screen(ChoiceScreen(title, choices, "enter picks, then confirm · esc cancels"), chosen)

    def _keys(self) -> dict[str, str]:
        """action id -> the key that runs it now (after any `[keys]` remap)."""
        keymap: Mapping[str, str] = self.app.setup.keymap
        out: dict[str, str] = {}
        for action in self.registry:
            bid = binding_id(action.id)
            if bid in keymap:
                out[action.id] = keymap[bid].split(",")[0].strip()
            elif action.key:
                out[action.id] = action.key
        return out

    @staticmethod
    def _menu_label(action: Action, target: Target, key: str) -> str:
        text = f"{key:<2} {action.named(action.subject(target), ' · ')}"
        text += "" if action.dangerous else " (changes nothing)"
        return text if len(text) <= MENU_LABEL else text[: MENU_LABEL - 1] + "…"

    # ---- the selection ---------------------------------------------------------------------------
    def target(self) -> Target:
        """What the focused panel has selected: a pod (with its deployment, when it has one), a
        service (with the deployment its config links), the log line at the bottom of the tail,
        or nothing; with the revision an undo of its workload would go back to, when the pods
        panel's snapshot lists the workload's history."""
        from panels.pods import PodsPanel

        found = self._selection()
        pods = self.app.panels["pods"]
        snap = pods.last if isinstance(pods, PodsPanel) else None
        if not found.deployment or not isinstance(snap, ClusterSnapshot) or not snap.revisions:
            return found
        current = found.extra.get("revision")
        if found.workload_kind == "statefulset" and current is None:
            current = next(
                (
                    s.revision
                    for s in snap.statefulsets
                    if s.namespace == found.namespace and s.name == found.deployment
                ),
                None,
            )
        back = undo_revision(
            snap.revisions,
            found.namespace or "",
            found.workload_kind,
            found.deployment,
            current if isinstance(current, int) else None,
        )
        if back is None or back.revision is None:
            return found
        image = f" ({back.image})" if back.image else ""
        return replace(found, extra={**found.extra, "back_to": f"{back.revision}{image}"})

    def _selection(self) -> Target:
        from panels.health import HealthPanel
        from panels.logs import LogPanel
        from panels.pods import PodsPanel

        pods = self.app.panels["pods"]
        assert isinstance(pods, PodsPanel)
        context = pods.context or None
        panel = self.app.panels[self.app._focused_panel_id()]
        if isinstance(panel, PodsPanel):
            pod = panel.selected()
            if pod is not None:
                if pod.workload_kind == "StatefulSet" and pod.workload:
                    # `kubectl rollout restart statefulset/redis`: the rollout keys act on it.
                    return Target.of_pod(
                        context, pod.namespace, pod.name, deployment=pod.workload, workload_kind="statefulset"
                    )
                dep = panel.selected_deployment()
                found = Target.of_pod(
                    context, pod.namespace, pod.name, deployment=dep.name if dep is not None else None
                )
                return _with_deployment(found, dep)
            workload = panel.selected_workload()
            if workload is not None:
                # A row of the workloads view (`w`): the rollout keys act on that workload.
                return Target.of_deployment(
                    context,
                    workload.namespace,
                    workload.name,
                    replicas=workload.replicas,
                    revision=workload.revision,
                    workload_kind=workload.kind.lower(),
                )
        elif isinstance(panel, HealthPanel):
            svc = panel.selected()
            if svc is not None:
                dep = pods.deployment(svc.namespace, svc.deployment) if svc.deployment else None
                found = Target.of_service(
                    svc.name, context=context, namespace=svc.namespace, deployment=svc.deployment
                )
                return _with_deployment(found, dep)
        elif isinstance(panel, LogPanel):
            line = panel.selected()
            if line is not None:
                return Target.of_log_line(line.text, context=context, origin=line.origin)
        return Target.none(context)

    # ---- the run ---------------------------------------------------------------------------------
    def start(
        self, action: Action, target: Target, inputs: Mapping[str, Any], *, override: bool = False
    ) -> Worker[None]:
        """Dispatch in a worker: the screen keeps moving while a cluster or a command answers.
        Not `exclusive`: cancelling a running action would only stop warroom waiting for it."""
        self.workers = [w for w in self.workers if not w.is_finished]
        worker = self.app.run_worker(
            self._dispatch(action, target, dict(inputs), override),
            name=f"action {action.id}",
            group="actions",
            exit_on_error=False,
        )
        self.workers.append(worker)
        self.started += 1
        return worker

    async def settled(self) -> None:
        """Wait for every action started so far to finish (tests, and a quit that waits)."""
        for worker in list(self.workers):
            if not worker.is_finished:
                await worker.wait()

    async def _dispatch(
        self, action: Action, target: Target, inputs: dict[str, Any], override: bool = False
    ) -> None:
        try:
            outcome = await self.dispatcher.dispatch(action, target, inputs, override=override)
        except InFlightError as err:
            if err.request is None:  # running on this screen: nothing to override
                self._say(str(err), "warning", action.title)
                return
            self._ask_override(action, target, inputs, str(err))
            return
        except ActionRefused as err:
            self._say(str(err), "warning", action.title)
            return
        except Exception as err:  # a bug must not take the war room down, nor pass in silence
            self._say(f"{type(err).__name__}: {err}", "error", action.title)
            return
        finally:
            self._refresh()
        text = outcome.text + (f" · {outcome.record_error}" if outcome.record_error else "")
        if outcome.following:
            text += f" · following the rollout of {outcome.following}"
        if outcome.ok:
            self._say(text, "information", "Done")
        else:
            self._say(text, "error", "Failed")

    def _ask_override(self, action: Action, target: Target, inputs: dict[str, Any], why: str) -> None:
        """The record says another screen started the same action and has no outcome for it. It
        may be running there (wait), or stuck (its screen was killed): run it anyway on purpose,
        recorded as an override. Cancel is focused."""

        def answered(again: bool | None) -> None:
            if again:
                self.start(action, target, inputs, override=True)
            else:
                self._say(f"{action.title}: not run again", "information")

        self.app.push_screen(
            AskScreen(
                "Already running",
                f"{why}.\n\nIt may still be running on another screen. If it is stuck (that "
                "screen was closed or killed), run it again: the record says you overrode it.",
                "Run anyway",
            ),
            answered,
        )

    def _progressed(self) -> None:
        """A followed rollout moved on: its action's row says so ("rolling out 2/3")."""
        from panels.timeline import TimelinePanel

        panel = self.app.panels.get("timeline")
        if isinstance(panel, TimelinePanel) and panel.is_mounted:
            panel.set_progress(self.dispatcher.progress())

    def _follow_ended(self, ended: FollowOutcome) -> None:
        text = ended.text + (f" · {ended.record_error}" if ended.record_error else "")
        if ended.kind == "rollout_complete":
            self._say(text, "information", "Rolled out")
        elif ended.kind == "rollout_stalled":
            self._say(text, "error", "Rollout stalled")
        elif not self.dispatcher.stopping_for:  # quitting: the quit dialog said so already
            self._say(text, "warning", "Rollout not followed")
        self._refresh()

    def _refresh(self) -> None:
        # The record and the panels the action touched, now rather than at their next cycle.
        for pid in ("timeline", "pods", "health"):
            loop = self.app.loops.get(pid)
            if loop is not None:
                loop.poll_now()

    def _say(self, message: str, severity: str = "information", title: str = "") -> None:
        # Names and outputs come from outside: never markup.
        self.app.notify(
            one_line(message, 300),
            title=one_line(title, 60),
            severity=severity,  # type: ignore[arg-type]
            markup=False,
        )


def _with_deployment(target: Target, dep: DeploymentInfo | None) -> Target:
    """The deployment's replicas and revision, for the confirmation (scale shows "now 4")."""
    if dep is None:
        return target
    extra = {"replicas": dep.replicas}
    if dep.revision is not None:
        extra["revision"] = dep.revision
    return replace(target, extra=extra)


__all__ = [
    "ACTION_BINDINGS",
    "MENU",
    "ActionKeys",
    "binding_id",
    "config_bindings",
    "config_keymap",
    "registry_bindings",
]
