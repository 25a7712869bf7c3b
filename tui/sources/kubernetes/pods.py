"""The pods panel's source: pods and deployments of the configured namespaces (or of every
namespace), listed once and then watched (tui/sources/kubernetes/watch.py).

The watches run in threads of their own and keep the truth, a cache by `namespace/name`;
`poll()` only looks at it, so it is cheap, and returns the very snapshot it returned last time
while nothing changed (the app then paints nothing). Failures stay where they are: a 403 on
deployments leaves the pods shown and says so; a watch that is down keeps the last known pods,
and the poll says since when."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException

from tui.config.schema import ALL_NAMESPACES, ClusterConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import (
    ClusterSnapshot,
    DeploymentInfo,
    KubeEvent,
    PodDescription,
    PodInfo,
    RevisionInfo,
)
from tui.sources.base import SourceError
from tui.sources.kubernetes.connection import Cluster, Connection, describe_error, items_of, read_json
from tui.sources.kubernetes.describe import pod_description
from tui.sources.kubernetes.events import EVENTS_PER_NAMESPACE, EventReflector, event_info
from tui.sources.kubernetes.status import (
    controller_revision,
    deployment_info,
    pod_info,
    replicaset_revision,
    statefulset_info,
)
from tui.sources.kubernetes.watch import (
    CONTROLLER_REVISIONS,
    DEPLOYMENTS,
    EVENTS,
    PODS,
    REPLICASETS,
    STATEFULSETS,
    Reflector,
    raw_get,
)

# How often the cache is looked at: a look costs a comparison of counters, and a change is on
# the screen within this (the config's interval_s, the old re-list period, is the upper bound).
LOOK_INTERVAL_S = 0.5
STOP_WAIT_S = 2.0
T = TypeVar("T")


def watched_namespaces(cfg: ClusterConfig, context_namespace: str) -> tuple[str | None, ...]:
    """The scopes to watch: None for every namespace (`["*"]`), else each namespace once."""
    if ALL_NAMESPACES in cfg.namespaces:
        return (None,)
    return tuple(dict.fromkeys(cfg.namespaces or (context_namespace,)))


class KubernetesSource:
    """Pods and deployments of the configured namespaces (default: the context's namespace)."""

    name = "kubernetes"

    def __init__(
        self, cfg: ClusterConfig, clock: Clock | None = None, *, events_kept: int = EVENTS_PER_NAMESPACE
    ) -> None:
        self.cfg = cfg
        self.events_kept = events_kept  # the newest events kept of each namespace
        self.clock = clock or SystemClock()
        self.interval_s = min(cfg.interval_s, LOOK_INTERVAL_S)
        self._cluster = Cluster(cfg)
        self._shared = SharedConnection(self._cluster)
        self._context = ""
        self.pods: list[Reflector[PodInfo]] = []
        self.deployments: list[Reflector[DeploymentInfo]] = []
        # The workloads view's: statefulsets, ReplicaSets and ControllerRevisions (revisions).
        self.statefulsets: list[Reflector[DeploymentInfo]] = []
        self.revisions: list[Reflector[RevisionInfo]] = []
        self.events: list[Reflector[KubeEvent]] = []  # the newest of each namespace only
        # Each resource's merged rows, kept while its reflectors' versions stay: a change to one
        # resource (a revision) does not merge and sort the 10 000 pods again.
        self._merges: dict[str, tuple[tuple[int, ...], tuple[Any, ...]]] = {}
        self._orders: dict[str, Merged[Any]] = {}  # each resource's (namespace, name) order
        self._numbers: tuple[Any, ...] | None = None  # (statefulsets, revisions, numbered)
        self._seen: tuple[Any, ...] | None = None
        self._snapshot: ClusterSnapshot | None = None

    @property
    def reflectors(self) -> Sequence[Reflector[Any]]:
        return [*self.pods, *self.deployments, *self.statefulsets, *self.revisions, *self.events]

    @property
    def _others(self) -> Sequence[Reflector[Any]]:
        return [*self.deployments, *self.statefulsets, *self.revisions, *self.events]

    async def probe(self) -> None:
        """The app's cheap try while the source is failing (one TCP connect); when the watch
        that was up is what went down, the line still says since when."""
        try:
            await self._cluster.probe()
        except SourceError as err:
            down = next((r for r in self.pods if r.synced and r.down_since is not None), None)
            if down is None:
                raise
            raise SourceError(self._down_line(down, str(err))) from err

    async def poll(self) -> ClusterSnapshot:
        if not self.pods:
            await asyncio.to_thread(self._start)
        if not all(r.up for r in self.pods) or not all(r.attempts for r in self._others):
            await asyncio.to_thread(self._retry_now)
        return self._look()

    def _pods_back(self) -> None:
        """A pods watch is open again after a failure (a server restart): the other watches
        try now rather than at the end of the back-off their failures drew out meanwhile."""
        for r in self._others:
            if r.error is not None and not r.forbidden:
                r.kick()

    # ---- the watches -------------------------------------------------------------------------
    def _start(self) -> None:
        conn = self._shared.call()  # the kubeconfig's problem, if any, in one line
        self._context = conn.context
        common: dict[str, Any] = {
            "selector": self.cfg.selector,
            "timeout_s": self.cfg.timeout_s,
            "clock": self.clock,
            "on_failure": self._shared.failed,
        }
        for ns in watched_namespaces(self.cfg, conn.namespace):
            self.pods.append(
                Reflector(self._shared.get, PODS, ns, pod_info, on_back=self._pods_back, **common)
            )
            # The selector is about pods (kubectl get pods -l); a deployment's own labels may
            # differ from its pods', and the panel looks deployments up by the pods' owner.
            unselected = {**common, "selector": None}
            self.deployments.append(
                Reflector(self._shared.get, DEPLOYMENTS, ns, deployment_info, **unselected)
            )
            self.statefulsets.append(
                Reflector(self._shared.get, STATEFULSETS, ns, statefulset_info, **unselected)
            )
            self.revisions.append(
                Reflector(self._shared.get, REPLICASETS, ns, replicaset_revision, **unselected)
            )
            self.revisions.append(
                Reflector(self._shared.get, CONTROLLER_REVISIONS, ns, controller_revision, **unselected)
            )
            self.events.append(
                EventReflector(self._shared.get, EVENTS, ns, event_info, keep=self.events_kept, **unselected)
            )
        for r in self.reflectors:
            r.start()
        # A source dropped without close() (a test, a failed start) stops its threads when it
        # goes: they hold the shared connection, never the source.
        weakref.finalize(self, _stop, tuple(self.reflectors), self._shared)

    def _retry_now(self) -> None:
        """Some pods are not up: have every watch that is not up try at once (the app's loop
        calls this only once a probe found the server there), and wait for those tries, so
        the answer is about now; the first time, wait for the deployments' first try too.
        Deployments that failed keep their own back-off (forbidden: a slow one)."""
        tries: list[tuple[Reflector[Any], int]] = [(r, r.kick()) for r in self.pods if not r.up]
        tries += [(r, r.kick()) for r in self._others if not r.attempts]  # the first snapshot's
        deadline = time.monotonic() + self.cfg.timeout_s + 1.0
        for r, past in tries:
            r.wait_attempt(past, max(0.0, deadline - time.monotonic()))

    def _look(self) -> ClusterSnapshot:
        seen = tuple((r.version, r.synced, r.error) for r in self.reflectors)
        if seen != self._seen or self._snapshot is None:
            self._snapshot = self._build()
            self._seen = seen
        failing = [r for r in self.pods if not r.up]
        if failing and (len(failing) == len(self.pods) or any(not r.forbidden for r in failing)):
            raise SourceError(self._down_line(failing[0]))
        return self._snapshot

    def _down_line(self, r: Reflector[Any], error: str | None = None) -> str:
        error = error or r.error or "not listed yet"
        if not r.synced or r.forbidden or r.down_since is None:
            return error  # nothing shown yet, or a refusal: the reason alone
        since = r.down_since.strftime("%H:%M:%S UTC")
        return f"watch down since {since}: {error}; retrying"

    def _build(self) -> ClusterSnapshot:
        pods = self._merge("pods", self.pods)
        deployments = self._merge("deployments", self.deployments)
        revisions = self._merge("revisions", self.revisions)
        statefulsets = self._merge("statefulsets", self.statefulsets)
        events = self._merge("events", self.events)
        if statefulsets:
            statefulsets = self._numbered(statefulsets, revisions)
        problems: list[str] = []
        for r in self.reflectors:
            if r.error is None or (r in self.pods and not r.forbidden):
                continue
            if r.forbidden:
                problems.append(f"{r.resource.plural}: {r.error}")
            else:
                since = r.down_since.strftime("%H:%M:%S UTC") if r.down_since else "now"
                where = f" in {r.scope}" if r.namespace is not None else ""
                problems.append(f"{r.resource.plural}{where}: down since {since}, {r.error}")
        return ClusterSnapshot(
            context=self._context,
            pods=tuple(pods),
            deployments=tuple(deployments),
            problems=tuple(problems),
            statefulsets=statefulsets,
            revisions=revisions,
            events=events,
        )

    def _merge(self, name: str, reflectors: Sequence[Reflector[Any]]) -> tuple[Any, ...]:
        versions = tuple(r.version for r in reflectors)
        kept = self._merges.get(name)
        if kept is not None and kept[0] == versions:
            return kept[1]
        merged = tuple(self._orders.setdefault(name, Merged()).merged(reflectors))
        self._merges[name] = (versions, merged)
        return merged

    def _numbered(
        self, statefulsets: tuple[DeploymentInfo, ...], revisions: tuple[RevisionInfo, ...]
    ) -> tuple[DeploymentInfo, ...]:
        """Each statefulset with the number of its updateRevision (a ControllerRevision's)."""
        kept = self._numbers
        if kept is not None and kept[0] is statefulsets and kept[1] is revisions:
            return kept[2]
        numbers = {(r.namespace, r.name): r.revision for r in revisions if r.owner_kind == "StatefulSet"}
        numbered = tuple(
            replace(s, revision=numbers.get((s.namespace, s.update_revision))) if s.update_revision else s
            for s in statefulsets
        )
        self._numbers = (statefulsets, revisions, numbered)
        return numbered

    async def describe_pod(self, namespace: str, name: str) -> PodDescription:
        """One GET of the pod, as `kubectl describe pod` makes: its containers' states and last
        states, conditions, owner (not kept for every pod watched: read when asked for)."""

        def read() -> PodDescription:
            conn = self._shared.get()
            path = f"{PODS.path(namespace)}/{quote(name, safe='')}"
            try:
                found = read_json(raw_get(conn, path, [], self.cfg.timeout_s))
            except ApiException as err:
                if err.status == 403:
                    raise SourceError(f"forbidden (RBAC: get pods in {namespace})") from err
                if err.status == 404:
                    raise SourceError(f"pod {namespace}/{name} is gone") from err
                raise SourceError(describe_error(err, conn.host, self.cfg.timeout_s)) from err
            except SourceError:
                raise
            except Exception as err:  # a connection refused, a timeout: one line
                raise SourceError(describe_error(err, conn.host, self.cfg.timeout_s)) from err
            if type(found) is not dict:
                raise SourceError(f"the API server answered pod {namespace}/{name} without an object")
            return pod_description(found)

        return await asyncio.to_thread(read)

    async def list_namespaces(self) -> tuple[str, ...]:
        """The cluster's namespaces, sorted (`kubectl get namespaces`): what the command palette
        offers to switch to. Raises SourceError, "forbidden (RBAC: list namespaces)" for a 403."""

        def read() -> tuple[str, ...]:
            conn = self._shared.get()
            try:
                found = read_json(raw_get(conn, "/api/v1/namespaces", [], self.cfg.timeout_s))
            except ApiException as err:
                if err.status == 403:
                    raise SourceError("forbidden (RBAC: list namespaces)") from err
                raise SourceError(describe_error(err, conn.host, self.cfg.timeout_s)) from err
            except SourceError:
                raise
            except Exception as err:  # a connection refused, a timeout: one line
                raise SourceError(describe_error(err, conn.host, self.cfg.timeout_s)) from err
            names = ((item.get("metadata") or {}).get("name") for item in items_of(found))
            return tuple(sorted({n for n in names if isinstance(n, str) and n}))

        return await asyncio.to_thread(read)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        _stop(tuple(self.reflectors), self._shared, wait_s=STOP_WAIT_S)


class SharedConnection:
    """The one connection the watches share, built on first use and built again after a
    failure that a new one may cure: a kubeconfig that could not be read (fixed since), or
    credentials the server refused (a rotated token)."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._lock = threading.Lock()

    def get(self) -> Connection:
        with self._lock:
            return self._cluster.get()

    def call(self) -> Connection:
        with self._lock:
            return self._cluster.call(lambda c: c)  # a failure as one line

    def failed(self, err: BaseException) -> None:
        if isinstance(err, SourceError) or (isinstance(err, ApiException) and err.status == 401):
            self.drop()

    def drop(self) -> None:
        with self._lock:
            self._cluster.drop()


def _stop(reflectors: Sequence[Reflector[Any]], shared: SharedConnection, wait_s: float = 0.0) -> None:
    for r in reflectors:
        r.stop()
    for r in reflectors:
        if wait_s:
            r.join(wait_s)
    shared.drop()


class Merged(Generic[T]):
    """The objects of several reflectors as one list in (namespace, name) order; the order is
    sorted again only when a key came or went, so a snapshot of 10,000 pods with a few changed
    in place is a pass of lookups, not a sort."""

    def __init__(self) -> None:
        self._members: tuple[int, ...] | None = None
        self._order: list[tuple[int, str]] = []

    def merged(self, reflectors: Sequence[Reflector[T]]) -> list[T]:
        copies: list[dict[str, T]] = []
        members: list[int] = []
        for r in reflectors:
            with r.lock:
                copies.append(dict(r.items))
                members.append(r.members)
        if tuple(members) != self._members:
            owner: dict[str, int] = {}
            for i, items in enumerate(copies):
                owner.update(dict.fromkeys(items, i))  # a key in two scopes: the later one
            self._order = [(owner[k], k) for k in sorted(owner, key=_key_order)]
            self._members = tuple(members)
        return [copies[i][k] for i, k in self._order]


def _key_order(key: str) -> tuple[str, str]:
    ns, _, name = key.partition("/")
    return ns, name
