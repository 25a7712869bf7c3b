"""The logs `l` asks for: a workload's pods (or one pod), merged in time order, following the
pods as they come and go (a rollout replaces them), or `--previous`: the last terminated
container of each (`kubectl logs --previous`).

One source per stream asked for, in the log panel's place while it is shown. Each cycle lists
the pods (by the workload's own label selector, read once; each pod is then checked to be the
workload's), reads each container from where its last read ended (tui/sources/kubernetes/logs.py
`read_container`: `sinceSeconds` and the overlap dropped), and hands on the new lines sorted by
their timestamps. What cannot be read is one line from "warroom", said once until it changes:
a pod that is gone, a container not started yet, a 403 on pods/log, no previous container.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException

from tui.config.schema import ALL_NAMESPACES, ClusterConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import LogLine, LogTarget, PodLogBatch
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.kubernetes.connection import Cluster, Connection, in_namespace, items_of
from tui.sources.kubernetes.logs import _Cursor, get_bytes, read_container
from tui.sources.kubernetes.status import pod_workload

NOTICE = "warroom"  # the origin of the lines that say what could not be read
# The owner kinds a pod names, as `kubectl logs <kind>/<name>` spells the workload.
OWNER_KINDS = {
    "ReplicaSet": "deployment",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
}
# The workload kinds whose spec.selector lists their pods: their plural under /apis/apps/v1.
WORKLOAD_PLURALS = {"deployment": "deployments", "statefulset": "statefulsets", "daemonset": "daemonsets"}

Key = tuple[str, str, str]  # namespace, pod, container
Read = tuple[list[LogLine], _Cursor]  # one container's new lines and where its tail stands
MAX_PARALLEL_READS = 8  # containers read at once (the client's pool keeps more connections)


class PodLogSource:
    """The logs of `target`, polled every `interval_s`; `tail_lines` of each container first."""

    name = "pod-logs"  # its own loop group: never cancels the configured log source's cycle

    def __init__(
        self,
        cfg: ClusterConfig,
        target: LogTarget,
        *,
        tail_lines: int = 200,
        interval_s: float = 1.0,
        max_lines: int = 5000,
        limit_bytes: int = 1_000_000,
        clock: Clock | None = None,
    ) -> None:
        self.cfg = cfg
        self.target = target
        self.tail_lines = tail_lines
        self.interval_s = interval_s
        self.max_lines = max_lines  # lines handed on per cycle; the rest are counted as dropped
        self.limit_bytes = limit_bytes  # read per container per cycle
        self.clock = clock or SystemClock()
        self.kind = target.kind  # "workload" until the first pod names its owner's kind
        # The one pod followed (a pod target, or a "workload" whose pod has no owner after all).
        self._pod_name: str | None = target.name if target.kind == "pod" else None
        self._cluster = Cluster(cfg)
        self._selector: str | None = None  # the workload's spec.selector, as a label selector
        self._selector_read = False
        self._cursors: dict[Key, _Cursor] = {}
        self._done: set[Key] = set()  # previous: containers read once and for all
        self._said: dict[str, str] = {}  # subject -> the notice said last (once until it changes)
        self._pods: tuple[str, ...] = ()
        self._first = True
        self._held: list[LogLine] = []  # stamped after the last cycle began: the next one's
        self._pool: ThreadPoolExecutor | None = None

    @property
    def label(self) -> str:
        return f"pod/{self._pod_name}" if self._pod_name else f"{self.kind}/{self.target.name}"

    async def poll(self) -> PodLogBatch:
        return await asyncio.to_thread(self._cluster.call, self._read)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._cluster.drop)

    # ---- one cycle -------------------------------------------------------------------------------
    def _read(self, conn: Connection) -> PodLogBatch:
        if not self.target.namespace:  # a service's deployment with no namespace of its own
            namespaces = [ns for ns in self.cfg.namespaces if ns != ALL_NAMESPACES]
            self.target = replace(self.target, namespace=namespaces[0] if namespaces else conn.namespace)
        now = self.clock.now()
        notices: list[LogLine] = []
        try:
            pods = self._list(conn)
        except ApiException as err:
            if err.status == 403:
                raise SourceError(f"forbidden (RBAC: list pods in {self.target.namespace})") from None
            raise
        names = tuple(sorted(_name(p) for p in pods))
        if self.target.previous and self.target.pod:
            pods = [p for p in pods if _name(p) == self.target.pod]
            if not pods:
                line = f"{self.target.pod}: gone (the pod was deleted): no previous container to read"
                self._say(notices, now, self.target.pod, line, "warn")
        elif not self.target.previous:
            self._notice_pods(names, notices, now)
        lines: list[LogLine] = []
        cursors: dict[Key, _Cursor] = {}
        reads: list[tuple[Key, str, _Cursor]] = []
        ns = self.target.namespace
        for pod in sorted(pods, key=_name):
            containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
            for container in containers:
                key = (ns, _name(pod), container)
                origin = key[1] if len(containers) == 1 else f"{key[1]}/{container}"
                cursor = self._cursors.get(key) or _Cursor()
                if self.target.previous and key in self._done:
                    cursors[key] = cursor
                    continue
                waiting = None if self.target.previous else _waiting(pod, container)
                if waiting is not None:  # read from its first line once it runs
                    self._say(notices, now, origin, f"{origin}: waiting to start: {waiting}", "info")
                    continue
                reads.append((key, origin, cursor))
        # The containers are read side by side (a deployment of 30 pods is 30 requests a
        # cycle: over a bastion's link, one after the other they took longer than the cycle).
        results = self._fetch_all(conn, reads, now)
        for (key, origin, cursor), result in zip(reads, results, strict=True):
            got, after = self._settle(key, origin, cursor, result, now, notices)
            lines.extend(got)
            if after is not None:
                cursors[key] = after
        self._cursors = cursors  # the containers of pods that went away are forgotten
        self._pods = names
        self._first = False
        # Every container was read after `now`: the lines stamped up to it are all here, and
        # sorted they are in order across pods. One stamped later (written while the others
        # were read) waits for the next cycle, so that a line of a pod read first never lands
        # after a later line of a pod read last; it waits one cycle at most (a node's clock
        # ahead of ours must not hold its lines for ever).
        held, self._held = self._held, []
        for got_line in lines:
            if got_line.at is not None and got_line.at > now and not self.target.previous:
                self._held.append(got_line)
            else:
                held.append(got_line)
        ordered = sorted(held, key=lambda ln: ln.at or now)
        kept = ordered[-self.max_lines :] if self.max_lines > 0 else []
        return PodLogBatch(
            lines=(*kept, *notices),
            dropped=len(ordered) - len(kept),
            label=self.label,
            pods=names,
            previous=self.target.previous,
        )

    def _fetch_all(
        self, conn: Connection, reads: list[tuple[Key, str, _Cursor]], now: datetime
    ) -> list[Read | ApiException]:
        """Each container's read, in order: its lines and cursor, or the API's refusal. Any
        other failure (the server went away) fails the cycle, after every read has ended."""

        def one(job: tuple[Key, str, _Cursor]) -> Read | ApiException | BaseException:
            key, origin, cursor = job
            try:
                return read_container(
                    conn,
                    key,
                    origin,
                    cursor,
                    now,
                    tail_lines=self.tail_lines,
                    limit_bytes=self.limit_bytes,
                    timeout_s=self.cfg.timeout_s,
                    previous=self.target.previous,
                )
            except ApiException as err:
                return err
            except Exception as err:  # re-raised below, on the cycle's thread
                return err

        if len(reads) <= 1:
            results = [one(job) for job in reads]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(MAX_PARALLEL_READS, thread_name_prefix="pod-logs")
            results = list(self._pool.map(one, reads))
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, ApiException):
                raise result
        return results

    def _settle(
        self,
        key: Key,
        origin: str,
        cursor: _Cursor,
        result: Read | ApiException,
        now: datetime,
        notices: list[LogLine],
    ) -> tuple[list[LogLine], _Cursor | None]:
        previous = self.target.previous
        if isinstance(result, ApiException):
            self._say(notices, now, *self._refusal(result, origin, key))
            if previous:
                self._done.add(key)
            return [], cursor if (result.status or 0) != 404 else None
        got, after = result
        if previous:
            self._done.add(key)
        self._said.pop(origin, None)
        self._said.pop("pods/log", None)
        return got, after

    def _refusal(self, err: ApiException, origin: str, key: Key) -> tuple[str, str, str]:
        """(subject, line, level) for a read the API server refused."""
        status = err.status or 0
        message = _message(err)
        if status == 403:
            # Said once for the whole source: RBAC refuses every pod of a namespace alike.
            return "pods/log", f"forbidden (RBAC: get pods/log in {key[0]})", "warn"
        if status == 404:  # as the next list will say it (the same subject: said once)
            return key[1], gone_line(key[1]), "warn"
        if status == 400 and self.target.previous and "previous terminated container" in message:
            return origin, f"{origin}: no previous container: it has not restarted", "info"
        if status == 400 and "waiting to start" in message:
            reason = message.rsplit("waiting to start", 1)[1].lstrip(": ") or "not started"
            return origin, f"{origin}: waiting to start: {one_line(reason, 80)}", "info"
        return origin, f"{origin}: {status} {one_line(message or str(err.reason or ''), 160)}", "warn"

    # ---- which pods --------------------------------------------------------------------------------
    def _get(self, conn: Connection, path: str, query: list[tuple[str, str]] | None = None) -> Any:
        return json.loads(get_bytes(conn, path, query or [], self.cfg.timeout_s))

    def _list(self, conn: Connection) -> list[Mapping[str, Any]]:
        ns, target = self.target.namespace, self.target
        pods_path = f"/api/v1/namespaces/{quote(ns, safe='')}/pods"
        if not self._selector_read and self._pod_name is None:
            self._selector = self._workload_selector(conn)
        if self._pod_name is not None:
            name = self._pod_name
            listing = self._get(conn, pods_path, [("fieldSelector", f"metadata.name={name}")])
            return [p for p in items_of(listing) if in_namespace(p, ns) and _name(p) == name]
        listing = self._get(conn, pods_path, [("labelSelector", self._selector)] if self._selector else [])
        # The selector narrows the list; the owner decides (two workloads may share labels, and
        # a bare pod with the workload's `app` label is nobody's).
        pods = [
            p
            for p in items_of(listing)
            if in_namespace(p, ns) and _owner_kind(p) is not None and pod_workload(p) == target.name
        ]
        if self.kind == "workload":
            kinds = {_owner_kind(p) for p in pods} - {None}
            if len(kinds) == 1:
                self.kind = kinds.pop()  # type: ignore[assignment]
        return pods

    def _workload_selector(self, conn: Connection) -> str | None:
        """The workload's spec.selector.matchLabels as a label selector, read once: the kind is
        that of the pod `l` was pressed on. None (every pod of the namespace, each then checked
        by its owner) when it cannot be read: a 403 on deployments must not cost the logs."""
        target = self.target
        kind = target.kind if target.kind != "workload" else None
        ns = quote(target.namespace, safe="")
        try:
            if kind is None and target.pod:
                pod = self._get(conn, f"/api/v1/namespaces/{ns}/pods/{quote(target.pod, safe='')}")
                kind = _owner_kind(pod) if isinstance(pod, dict) else None
                if kind is None:  # a pod of no workload (its `app` label named one): the pod alone
                    self._pod_name = target.pod
                    return None
                self.kind = kind
            plural = WORKLOAD_PLURALS.get(kind or "")
            if plural is None:
                return None
            name = quote(target.name, safe="")
            workload = self._get(conn, f"/apis/apps/v1/namespaces/{ns}/{plural}/{name}")
        except (ApiException, ValueError):
            return None
        finally:
            self._selector_read = True
        labels = (((workload or {}).get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not isinstance(labels, dict) or not labels:
            return None
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))

    # ---- what is said ------------------------------------------------------------------------------
    def _notice_pods(self, names: tuple[str, ...], notices: list[LogLine], now: datetime) -> None:
        """Pods that came or went since the last cycle, one line each; a pod asked for by name
        that is not there, once."""
        if self._pod_name is not None and not names:
            gone = f"{self._pod_name}: gone (no such pod in {self.target.namespace})"
            self._say(notices, now, "pod", gone, "warn")
            return
        self._said.pop("pod", None)
        if self._first:
            if not names:
                self._say(notices, now, "pods", f"{self.label}: no pods", "warn")
            return
        for gone in sorted(set(self._pods) - set(names)):
            self._say(notices, now, gone, gone_line(gone), "warn")
        for new in sorted(set(names) - set(self._pods)):
            self._said.pop(new, None)
            notices.append(LogLine(now, NOTICE, f"{new}: new pod, following", "info"))
        if names:
            self._said.pop("pods", None)

    def _say(self, notices: list[LogLine], now: datetime, subject: str, text: str, level: str) -> None:
        if self._said.get(subject) == text:
            return
        self._said[subject] = text
        notices.append(LogLine(now, NOTICE, text, level))


def gone_line(pod: str) -> str:
    return f"{pod}: gone (the pod was deleted); no longer followed"


def _name(pod: Mapping[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("name") or "")


def _owner_kind(pod: Mapping[str, Any]) -> str | None:
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        kind = OWNER_KINDS.get(str(ref.get("kind")))
        if kind is not None:
            return kind
    return None


def _waiting(pod: Mapping[str, Any], container: str) -> str | None:
    """Why a container has not started yet ("ContainerCreating"), or None when it has run (a
    container waiting after it ran, CrashLoopBackOff, has a log: its last run's)."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container:
            state = cs.get("state") or {}
            if "running" in state or "terminated" in state or cs.get("restartCount"):
                return None
            waiting = state.get("waiting") or {}
            return str(waiting.get("reason") or "ContainerCreating")
    # No status for it yet: the pod is not on a node yet, or its containers are being created.
    return "ContainerCreating" if (pod.get("spec") or {}).get("nodeName") else "Pending (not scheduled yet)"


def _message(err: ApiException) -> str:
    try:
        body = json.loads(err.body or b"")
    except (ValueError, TypeError):
        return str(err.body or "")
    return str(body.get("message") or "") if isinstance(body, dict) else ""
