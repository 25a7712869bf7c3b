"""From a config (or the demo) to a running app: which source feeds which panel.

This is the one place that knows every adapter; the app knows only `PollSource`s by panel id.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tui.app import AppSetup, WarroomApp, check_app_keymap
from tui.core.clock import Clock, SystemClock
from tui.core.errors import UserError
from tui.core.paths import db_path
from tui.demo.cadence import CADENCE_S
from tui.incident.actor import current_actor, named_person

# Start-up pays only for what it uses: the demo, the actions and the record are imported where
# they are built (the demo's after its first frame is on the screen: `AppSetup.finish`).
if TYPE_CHECKING:
    from actions import Registry
    from tui.config.schema import ClusterConfig, Config, LogConfig
    from tui.controllers.quitting import QuitHook, QuitPlan
    from tui.core.model import LogTarget
    from tui.demo.drill import DemoDrill
    from tui.incident.feed import TimelineSource
    from tui.incident.lifecycle import IncidentState
    from tui.incident.service import Who
    from tui.sources.base import PollSource
    from tui.sources.kubernetes.control import KubernetesControl


def _log_source(log: LogConfig, config: Config, clock: Clock) -> PollSource[Any]:
    if log.kind == "file":
        from tui.sources.logs.file import FileLogSource

        return FileLogSource(log, clock)
    if log.kind == "loki":
        from tui.sources.logs.loki import LokiLogSource

        assert config.loki is not None  # the config's validation requires [loki] for kind = "loki"
        return LokiLogSource(config.loki, log, clock)
    from tui.config.schema import ClusterConfig
    from tui.sources.kubernetes.logs import KubernetesLogSource

    tail = {"tail_lines": log.tail} if log.tail is not None else {}
    return KubernetesLogSource(config.cluster or ClusterConfig(), log, clock=clock, **tail)


def _pod_logs(cluster: ClusterConfig, target: LogTarget, clock: Clock) -> PollSource[Any]:
    """What `l` starts: the logs of a workload's pods or a pod, `[cluster] log_tail` lines first."""
    from tui.sources.kubernetes.pod_logs import PodLogSource

    return PodLogSource(cluster, target, tail_lines=cluster.log_tail, clock=clock)


def _logs(config: Config, clock: Clock) -> PollSource[Any]:
    parts = [_log_source(log, config, clock) for log in config.logs]
    if len(parts) == 1:
        return parts[0]
    from tui.sources.logs.merge import MergedLogSource

    return MergedLogSource(parts, clock=clock)


def sources_for_config(config: Config, clock: Clock) -> dict[str, PollSource[Any]]:
    sources: dict[str, PollSource[Any]] = {}
    if config.services:
        from tui.sources.health import HealthSource

        sources["health"] = HealthSource(
            config.services, clock, max_concurrency=config.health.max_concurrency
        )
    if config.cluster is not None:
        from tui.sources.kubernetes.pods import KubernetesSource

        sources["pods"] = KubernetesSource(config.cluster)
    if config.prometheus is not None and config.slos:
        from tui.sources.prometheus import SloSource

        sources["slos"] = SloSource(config.prometheus, config.slos, clock)
    if config.logs:
        sources["logs"] = _logs(config, clock)
    return sources


class ClusterScope:
    """The context and the namespaces the pods, the cluster's logs, `l` and the cluster actions
    are on, and what the command palette switches them to (k9s's `:ctx` and `:ns`). A switch
    builds those sources anew for the app to put in the old ones' place, and moves the cluster
    actions to the new context."""

    def __init__(
        self, config: Config, clock: Clock, control: KubernetesControl | None, pods: PollSource[Any] | None
    ) -> None:
        from tui.sources.kubernetes.connection import resolve_context

        assert config.cluster is not None
        self.config = config
        self.cluster: ClusterConfig = config.cluster
        self.clock = clock
        self.control = control
        self.pods = pods
        self.context = resolve_context(self.cluster)
        self.listed: tuple[str, ...] = ()  # the cluster's namespaces, as last listed
        self.list_error: str | None = None  # why they could not be listed (RBAC, most often)

    def contexts(self) -> dict[str, str]:
        """The kubeconfig's contexts -> each one's namespace (read now: kubectl may have added one)."""
        from tui.sources.kubernetes.connection import kubeconfig_contexts

        return kubeconfig_contexts(self.cluster)

    def label(self) -> str:
        """The namespaces watched, as the header says them: "all namespaces", "ns shop, payments",
        or the context's own namespace ("ns shop")."""
        from tui.config.schema import ALL_NAMESPACES

        if ALL_NAMESPACES in self.cluster.namespaces:
            return "all namespaces"
        if self.cluster.namespaces:
            return "ns " + ", ".join(self.cluster.namespaces)
        return "ns " + self.contexts().get(self.context, "default")

    def namespaces(self) -> tuple[str, ...]:
        """What the palette offers: the listed namespaces, else (not allowed to list) the
        configured ones and the contexts' own."""
        from tui.config.schema import ALL_NAMESPACES

        known = self.listed or (*self.cluster.namespaces, *self.contexts().values())
        return tuple(sorted({n for n in known if n != ALL_NAMESPACES}))

    async def list_namespaces(self) -> None:
        """List the cluster's namespaces (`kubectl get namespaces`) for the palette; a refusal is
        kept in `list_error` and the palette offers what the config and kubeconfig name."""
        from tui.sources.base import SourceError

        lister = getattr(self.pods, "list_namespaces", None)
        if lister is None:
            return
        try:
            self.listed, self.list_error = await lister(), None
        except SourceError as err:
            self.listed, self.list_error = (), str(err)

    async def switch(
        self, *, context: str | None = None, namespaces: tuple[str, ...] | None = None
    ) -> dict[str, PollSource[Any]]:
        """Move to `context` (the namespaces chosen stay: `-n` is kept across `--context`, and the
        context's own namespace follows it) and/or `namespaces`; the new sources by panel id."""
        from dataclasses import replace

        from tui.sources.kubernetes.connection import resolve_context
        from tui.sources.kubernetes.pods import KubernetesSource

        cluster = replace(
            self.cluster,
            context=context or self.cluster.context or self.context or None,
            namespaces=self.cluster.namespaces if namespaces is None else namespaces,
        )
        self.cluster = cluster
        self.config = replace(self.config, cluster=cluster)
        self.context = resolve_context(cluster)
        if self.control is not None:
            await self.control.retarget(cluster)
        self.listed, self.list_error = (), None
        self.pods = KubernetesSource(cluster)
        fresh: dict[str, PollSource[Any]] = {"pods": self.pods}
        if any(log.kind == "kubernetes" for log in self.config.logs):
            fresh["logs"] = _logs(self.config, self.clock)
        return fresh

    def pod_logs(self, target: LogTarget) -> PollSource[Any]:
        return _pod_logs(self.cluster, target, self.clock)


def secret_files(config: Config) -> tuple[str, ...]:
    """The token and password files of the sources: what an action prints or answers must never
    carry their contents into the record (the actions' own token files the registry knows)."""
    found: list[str | None] = []
    if config.prometheus is not None:
        found += [config.prometheus.bearer_token_file, config.prometheus.password_file]
    if config.loki is not None:
        found.append(config.loki.bearer_token_file)
    found += [s.bearer_token_file for s in config.services]
    return tuple(dict.fromkeys(str(Path(p).expanduser()) for p in found if p))


class ConfigActions(NamedTuple):
    registry: Registry
    context: str | None  # the cluster actions' context: "" when not known yet, None without a cluster
    closers: tuple[Callable[[], Awaitable[None]], ...]  # for the app to close when it stops
    control: KubernetesControl | None = None  # what the cluster actions act through


def registry_for_config(config: Config, clock: Clock) -> ConfigActions:
    """The Kubernetes actions when `[cluster]` is set, then the team's `[[actions]]`; the context
    the cluster actions act on, and what they hold open (the cluster control's connection)."""
    from actions import Registry, config_actions, kubernetes_actions

    registry = Registry()
    context: str | None = None
    closers: list[Callable[[], Awaitable[None]]] = []
    control = None
    if config.cluster is not None:
        from tui.sources.kubernetes.control import KubernetesControl

        control = KubernetesControl(config.cluster, clock)
        context = control.context
        registry.extend(kubernetes_actions(control))
        closers.append(control.close)
    registry.extend(config_actions(config.actions))
    return ConfigActions(registry, context, tuple(closers), control)


def _read_only(args: argparse.Namespace, config: Config | None) -> bool:
    return bool(getattr(args, "read_only", False) or (config is not None and config.read_only))


def _who(args: argparse.Namespace, config: Config | None) -> Who:
    """The person at these keys: `--as`, else $WARROOM_ACTOR, else the config's `actor`."""
    from tui.incident.service import Who

    person = named_person(getattr(args, "person", None), configured=config.actor if config else None)
    return Who(current_actor(person=person))


def setup_for_config(config: Config, args: argparse.Namespace, clock: Clock | None = None) -> AppSetup:
    from tui.incident.feed import TimelineSource
    from tui.incident.record import Record

    clock = clock or SystemClock()
    where = str(config.source) if config.source else "config"
    check_app_keymap(dict(config.keys), where, config.actions)
    read_only = _read_only(args, config)
    sources = sources_for_config(config, clock)
    # One record, opened once: the timeline, the dispatcher and the controllers share it.
    record = Record(
        db_path(args.db, config.db),
        read_only=read_only,
        clock=clock,
        severities=config.severities,
        who=_who(args, config),
    )
    sources["timeline"] = TimelineSource(record=record)
    # Built read-only too: the dispatcher refuses every action of an observer, whatever the keys.
    actions = registry_for_config(config, clock)
    context = "no cluster" if actions.context is None else actions.context or "current context"
    scope = None
    if config.cluster is not None:
        scope = ClusterScope(config, clock, actions.control, sources.get("pods"))
    return AppSetup(
        context=context,
        sources=sources,
        clock=clock,
        read_only=read_only,
        theme=args.theme or config.theme,
        keymap=dict(config.keys),
        registry=actions.registry,
        secret_files=secret_files(config),
        closers=actions.closers,
        detection=config.detection,
        record=record,
        pod_logs=scope.pod_logs if scope is not None else None,
        scope=scope,
    )


def setup_for_demo(
    args: argparse.Namespace, clock: Clock | None = None, *, deferred: bool = False
) -> AppSetup:
    """`warroom demo`'s set-up. What its first frame needs is checked and built here (the flags,
    the database's path, who is at the keys); the simulated world, the record and the actions
    by `_finish_demo`, at once, or with `deferred` once the app's first frame is on the screen
    (the command line's way: the frame is not held back by the world's first two minutes)."""
    clock = clock or SystemClock()
    read_only = _read_only(args, None)
    db = db_path(args.db, None, demo=True)
    person = named_person(getattr(args, "person", None), configured=None)
    actor = current_actor(person=person)
    setup = AppSetup(
        context="demo",
        sources={},
        clock=clock,
        read_only=read_only,
        theme=args.theme,
        panels=CADENCE_S,
        finish=lambda setup: _finish_demo(setup, args, db, actor),
    )
    return setup if deferred else setup.complete()


def _finish_demo(setup: AppSetup, args: argparse.Namespace, db: Path, actor: str) -> None:
    from actions import Registry, kubernetes_actions
    from actions.demo import demo_actions, recording_acts
    from tui.demo.drill import DemoDrill, demo_start, new_token
    from tui.demo.follow import DrillFollower, following
    from tui.demo.platform import ACTS_BY_KEY, ACTS_KEY, DemoControl, DemoPlatform, collecting, demo_sources
    from tui.demo.scenarios import DEFAULT_SCENARIO
    from tui.incident.feed import TimelineSource
    from tui.incident.record import Record
    from tui.incident.service import Who

    clock, read_only = setup.clock, setup.read_only
    scenario = args.scenario or DEFAULT_SCENARIO
    platform = DemoPlatform(scenario, args.seed, clock)
    token = new_token()  # this screen, in the drill's record: who joined, and whose acts are whose
    # A commander joins the drill another commander's demo runs (one war room, one drill), and
    # only declares one when there is none; an observer follows the newest. The drill's world is
    # rebuilt from the record either way, and every screen replays the mitigations the others ran.
    drill = (
        None
        if read_only
        else DemoDrill(f"Drill: {scenario}", start=demo_start(platform, token), scenario=args.scenario)
    )
    record = Record(db, read_only=read_only, clock=clock, who=Who(actor))
    timeline = TimelineSource(record=record, drill=drill)
    member = None if read_only else (lambda: timeline.drill_id)
    follower = DrillFollower(platform, db, scenario=args.scenario, member=member, own=token)
    sources: dict[str, PollSource[Any]] = following(dict(demo_sources(platform)), follower)
    sources["timeline"] = timeline
    # The same Kubernetes actions as against a real cluster, over the simulation, and the
    # runbooks' own mitigations the demo knows (in the action menu, `a`).
    control = DemoControl(platform)
    # Each run records what it changed in the simulation (its time and call) and which screen
    # did it, so that the other screens in this drill replay it in their own (tui.demo.follow).
    actions = [*kubernetes_actions(control), *demo_actions(control)]
    setup.sources = sources
    setup.registry = Registry(recording_acts(actions, collecting, ACTS_KEY, {ACTS_BY_KEY: token}))
    setup.quit_hook = _drill_ends_with_the_demo(timeline, drill)
    setup.record = record


def _drill_ends_with_the_demo(timeline: TimelineSource, drill: DemoDrill | None) -> QuitHook:
    """The quit dialog of the demo says what quitting does to its drill, as it will be: the
    timeline's source resolves it as it closes (on q as on SIGTERM/SIGHUP, which do not ask),
    unless another commander's demo is still in it, who then has it."""

    from tui.controllers.quitting import QuitPlan

    async def hook(state: IncidentState) -> QuitPlan | None:
        if state.id != timeline.drill_id:
            return None  # an incident someone declared: it stays open, as anywhere
        incidents = timeline.incidents
        others = (
            await drill.others(incidents, state.id) if drill is not None and incidents is not None else []
        )
        if others:
            names = ", ".join(p.label() for p in others)
            return QuitPlan(
                f"Drill #{state.id} {state.title!r} stays open: {names} "
                f"{'is' if len(others) == 1 else 'are'} still in it. It ends when the last "
                "commander's demo quits."
            )
        return QuitPlan(
            f"Drill #{state.id} {state.title!r} ends with this demo: quitting resolves it "
            "(its simulated world stops with it); no other commander's demo is in it."
        )

    return hook


def run_app(setup: AppSetup) -> int:
    if setup.theme:
        from themes import THEMES

        names = [theme.name for theme in THEMES]
        if setup.theme not in names and setup.theme not in _builtin_themes():
            raise UserError(f"--theme: unknown theme {setup.theme!r} (one of: {', '.join(names)})")
    from tui.terminal import driver_class

    app = WarroomApp(setup)
    driver = driver_class()
    if driver is not None and os.environ.get("TEXTUAL_DRIVER") is None:  # (Textual's own way wins)
        app.driver_class = driver
    app.log_crashes = True
    app.leave_within_s = 5.0
    result = app.run()
    # After an unhandled exception in a handler Textual's run() returns as if all went well; it
    # keeps the first error and sets a non-zero return code.
    error = app._exception
    if error is not None:
        from tui.crash import report

        return report(error, app.return_code or 1)
    if app.stop_reason is not None and app.return_code:
        return app.return_code  # 128 + the signal, as a shell expects
    return int(result or 0)


def _builtin_themes() -> set[str]:
    from textual.theme import BUILTIN_THEMES

    return set(BUILTIN_THEMES)


__all__ = [
    "ClusterScope",
    "ConfigActions",
    "registry_for_config",
    "run_app",
    "secret_files",
    "setup_for_config",
    "setup_for_demo",
    "sources_for_config",
]
