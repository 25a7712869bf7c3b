"""The command palette's context and namespace switch (k9s's `:ctx` and `:ns`, kubectl's
`--context` and `-n`/`-A`): "Switch to context prod-us", "All namespaces", "Namespace payments",
"Namespace…" (typed: a namespace one may not list). A switch puts fresh sources in the place of
the pods' and the cluster logs' (tui.wiring.ClusterScope builds them), moves the cluster actions
to the new context and says so in the header.

A switch waits for no one: it is refused while a cluster action runs or a rollout is followed
(they would end on one context and be read on another). A confirmation opened before it names
the old context, and the actions' guard refuses it rather than act on the new one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual.app import SystemCommand

from tui.config.schema import ALL_NAMESPACES
from tui.controllers.pod_logs import close_quietly
from tui.core.untrusted import one_line

if TYPE_CHECKING:
    from tui.app import Scope, WarroomApp
    from tui.sources.base import PollSource

# A namespace's name is a DNS-1123 label (what the API server accepts in a path).
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_CLUSTER_ACTIONS = "k8s."  # the ids of the cluster's own actions (actions.kubernetes)


def valid_namespace(name: str) -> bool:
    return _NAMESPACE.fullmatch(name) is not None


class ScopeSwitch:
    def __init__(self, app: WarroomApp, scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.switches = 0  # switches done (tests wait on it)

    def list_namespaces(self) -> None:
        """List the cluster's namespaces for the palette, in the background."""
        self.app.run_worker(self.scope.list_namespaces(), group="scope-namespaces", exclusive=True)

    # ---- the palette ---------------------------------------------------------------------------
    def system_commands(self) -> Iterator[SystemCommand]:
        scope = self.scope
        # Context and namespace names come from the kubeconfig and the cluster: escaped, as the
        # palette reads its entries as markup.
        watched = scope.cluster.namespaces
        contexts = scope.contexts()
        for name, namespace in sorted(contexts.items()):
            if name == scope.context:
                continue
            # The namespaces chosen stay across the switch; none chosen: the context's own.
            where = scope.label() if watched else f"ns {namespace}"
            yield SystemCommand(
                f"Switch to context {escape(one_line(name, 80))}",
                escape(f"pods, logs and actions on {one_line(name, 80)} ({one_line(where, 80)})"),
                partial(self._start, context=name),
            )
        if ALL_NAMESPACES not in watched:
            yield SystemCommand(
                "All namespaces",
                escape(f"every namespace's pods on {one_line(scope.context, 80)}, as kubectl get pods -A"),
                partial(self._start, namespaces=(ALL_NAMESPACES,)),
            )
        current = watched or (contexts.get(scope.context, "default"),)  # none chosen: the context's
        for namespace in scope.namespaces():
            if current == (namespace,):
                continue
            yield SystemCommand(
                f"Namespace {escape(one_line(namespace, 63))}",
                escape(f"the pods of namespace {one_line(namespace, 63)} only, as kubectl -n"),
                partial(self._start, namespaces=(namespace,)),
            )
        why = f" (the list: {scope.list_error})" if scope.list_error else ""
        yield SystemCommand(
            "Namespace…",
            escape(f"type the namespace to watch{why}"),
            self._ask_namespace,
        )

    def _start(self, *, context: str | None = None, namespaces: tuple[str, ...] | None = None) -> None:
        self.app.call_later(partial(self.switch, context=context, namespaces=namespaces))

    def _ask_namespace(self) -> None:
        from panels.modals import PromptScreen

        def typed(name: str | None) -> None:
            if name is None:
                return
            if not valid_namespace(name):
                self.app.notify(
                    f"not a namespace name: {one_line(name, 63)!r} (lower-case letters, digits and '-')",
                    severity="error",
                    markup=False,
                )
                return
            self._start(namespaces=(name,))

        self.app.push_screen(
            PromptScreen("Watch namespace", placeholder="payments", hint="enter watches it · esc cancels"),
            typed,
        )

    # ---- the switch ----------------------------------------------------------------------------
    def busy(self) -> str | None:
        """Why the cluster cannot be switched now: a cluster action running or followed."""
        if not self.app._built("action_keys"):
            return None
        dispatcher = self.app.action_keys.dispatcher
        running = [subject for action, subject in dispatcher.running() if action.startswith(_CLUSTER_ACTIONS)]
        followed = list(dispatcher.following())
        if running:
            return f"{running[0]} is running on {self.scope.context}"
        if followed:
            return f"the rollout of {followed[0]} is followed on {self.scope.context}"
        return None

    async def switch(self, *, context: str | None = None, namespaces: tuple[str, ...] | None = None) -> None:
        busy = self.busy()
        if busy is not None:
            self.app.notify(
                f"not switched: {busy}; switch once it has ended", severity="warning", markup=False
            )
            return
        app = self.app
        if app._built("pod_logs") and app.pod_logs.active:
            app.pod_logs.back()  # a pod's logs are of the context left
        try:
            fresh = await self.scope.switch(context=context, namespaces=namespaces)
        except Exception as err:  # the screen stays where it was, and says why
            self.app.notify(
                f"not switched: {type(err).__name__}: {one_line(str(err), 160)}",
                severity="error",
                markup=False,
            )
            return
        for pid, source in fresh.items():
            self._replace(pid, source)
        app.header.set_where(self.scope.context, self.scope.label())
        self.switches += 1
        self.list_namespaces()
        app.notify(
            f"{self.scope.context} · {self.scope.label()}: pods, logs and actions are here now",
            title="switched",
            markup=False,
        )

    def _replace(self, pid: str, source: PollSource[Any]) -> None:
        app = self.app
        old_loop = app.loops.pop(pid, None)
        old = app.setup.sources.get(pid)
        if old_loop is not None:
            old_loop.stop()  # a cycle under way is dropped (tui.runtime.SourceLoop)
        sources = dict(app.setup.sources)
        sources[pid] = source
        app.setup.sources = sources
        if old is not None:
            app.run_worker(close_quietly(old), group="scope-close", exit_on_error=False)
        app.forget(pid)
        app.panels[pid].source_replaced(app.clock.now())
        app.start_loop(pid, source)
