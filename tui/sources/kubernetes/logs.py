"""Pod logs for the log tail: each container's stream followed from where the last read ended."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tui.config.schema import ClusterConfig, LogConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import LogBatch, LogLine
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.kubernetes.connection import Cluster, Connection, in_namespace, items_of, read_json
from tui.sources.kubernetes.selector import parse_selector
from tui.sources.kubernetes.status import parse_time
from tui.sources.logs.lines import MAX_LINE_BYTES, guess_level

_TIMESTAMPED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$", re.S)


@dataclass(frozen=True, slots=True)
class _Cursor:
    """Where the tail of one container stands: the newest timestamp read, the lines carrying
    exactly that timestamp (the API's `sinceSeconds` is whole seconds, so each read overlaps the
    previous one and these lines are how the overlap is dropped), when that read was made (our
    clock), and whether it was cut short by `limit_bytes`."""

    last: datetime | None = None
    at_last: frozenset[str] = frozenset()
    read_at: datetime | None = None
    truncated: bool = False


class KubernetesLogSource:
    """Logs of the pods matching a label selector, stern-like: every cycle lists the pods again,
    so a pod that appears (a restart, a scale-up) is followed from the next cycle; each container
    is read with `sinceSeconds` covering the time since the previous read, timestamps on, and the
    overlap is dropped. A line is kept to `MAX_LINE_BYTES`, like the file tail's."""

    name = "logs"

    def __init__(
        self,
        cfg: ClusterConfig,
        log_cfg: LogConfig,
        *,
        interval_s: float = 2.0,
        tail_lines: int = 100,
        max_lines: int = 1000,
        limit_bytes: int = 1_000_000,
        clock: Clock | None = None,
    ) -> None:
        self.cfg = cfg
        self.log_cfg = log_cfg
        self.interval_s = interval_s
        self.tail_lines = tail_lines
        self.max_lines = max_lines  # lines handed on per cycle; the rest are counted as dropped
        self.limit_bytes = limit_bytes  # read per container per cycle
        self.clock = clock or SystemClock()
        self.label = log_cfg.name or (f"pods {log_cfg.selector}" if log_cfg.selector else "pods")
        self._selector_error: str | None = None
        try:
            self._match = parse_selector(log_cfg.selector)
        except ValueError as err:  # reported at every poll, like any other unreadable source
            self._match = lambda labels: False
            self._selector_error = f"selector: {one_line(str(err), 160)}"
        self._cluster = Cluster(cfg)
        self._cursors: dict[tuple[str, str, str], _Cursor] = {}

    async def probe(self) -> None:
        await self._cluster.probe()

    async def poll(self) -> LogBatch:
        if self._selector_error:
            raise SourceError(self._selector_error)
        return await asyncio.to_thread(self._cluster.call, self._read)

    def _namespace(self, conn: Connection) -> str:
        if self.log_cfg.namespace:
            return self.log_cfg.namespace
        return self.cfg.namespaces[0] if self.cfg.namespaces else conn.namespace

    def _read(self, conn: Connection) -> LogBatch:
        core = client.CoreV1Api(conn.api)
        ns = self._namespace(conn)
        listing = read_json(
            core.list_namespaced_pod(
                ns,
                label_selector=self.log_cfg.selector or None,
                _preload_content=False,
                _request_timeout=self.cfg.timeout_s,
            )
        )
        pods = [
            p
            for p in items_of(listing)
            if in_namespace(p, ns) and self._match((p.get("metadata") or {}).get("labels") or {})
        ]
        lines: list[LogLine] = []
        # The cursors move on only when the whole cycle succeeded: a failure on one container
        # must not lose the lines already read from the others.
        cursors: dict[tuple[str, str, str], _Cursor] = {}
        now = self.clock.now()
        for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name"))):
            pod_name = str((pod.get("metadata") or {}).get("name") or "")
            containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
            for container in containers:
                key = (ns, pod_name, container)
                if not _has_started(pod, container):
                    continue  # a waiting container has no log yet; asking is a 400
                origin = pod_name if len(containers) == 1 else f"{pod_name}/{container}"
                got, cursors[key] = self._read_container(conn, key, origin, now)
                lines.extend(got)
        self._cursors = cursors  # pods that went away are forgotten
        # Interleave the pods by time and hand on the newest `max_lines` (a burst over the cap is
        # counted, so the panel can say lines were dropped).
        ordered = sorted(lines, key=lambda ln: ln.at or now)
        kept = ordered[-self.max_lines :] if self.max_lines > 0 else []
        return LogBatch(lines=tuple(kept), dropped=len(ordered) - len(kept))

    def _read_container(
        self, conn: Connection, key: tuple[str, str, str], origin: str, now: datetime
    ) -> tuple[list[LogLine], _Cursor]:
        cursor = self._cursors.get(key) or _Cursor()
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
            )
        except ApiException as err:
            if (err.status or 0) in (400, 404):  # the pod went away or its container is not up
                return [], cursor
            raise

    async def close(self) -> None:
        await asyncio.to_thread(self._cluster.drop)


def since_seconds(cursor: _Cursor, now: datetime) -> int:
    """Since the previous read, measured on our clock, so that a node whose clock is off
    from ours neither loses lines nor re-reads an hour each cycle; since the newest line
    read when the previous read was cut short (what lies after it is still to read)."""
    start = cursor.last if cursor.truncated or cursor.read_at is None else cursor.read_at
    assert start is not None
    return max(1, math.ceil((now - start) / timedelta(seconds=1)) + 2)


def get_bytes(conn: Connection, path: str, query: list[tuple[str, str]], timeout_s: float) -> bytes:
    """The body of a GET through the connection's client (its auth, TLS and pool), not the
    generated API classes (a second of CPU to import: tui/sources/kubernetes/watch.py). A
    status outside 2xx is an `ApiException`, as the client raises it."""
    request = conn.api.param_serialize(
        method="GET",
        resource_path=path,
        query_params=query,
        # A log is text/plain; kube-apiserver refuses a stream whose type the client did not accept.
        header_params={"Accept": "application/json, text/plain, */*"},
        auth_settings=["BearerToken"],
    )
    response = conn.api.call_api(*request, _request_timeout=timeout_s)
    try:
        data = response.read() if hasattr(response, "read") else response.data
        if not 200 <= response.status <= 299:
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return data if isinstance(data, bytes) else bytes(data or b"")
    finally:
        inner = getattr(response, "response", None)
        if inner is not None:
            inner.release_conn()


def log_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log"


def read_container(
    conn: Connection,
    key: tuple[str, str, str],
    origin: str,
    cursor: _Cursor,
    now: datetime,
    *,
    tail_lines: int,
    limit_bytes: int,
    timeout_s: float,
    previous: bool = False,
) -> tuple[list[LogLine], _Cursor]:
    """One read of one container's log from where `cursor` stands (the last `tail_lines` on the
    first read; `previous`: the last terminated run's, read whole up to `tail_lines`): its new
    lines and the cursor after them. An `ApiException` is the caller's to judge."""
    ns, pod, container = key
    query = [("container", container), ("timestamps", "true")]
    if limit_bytes > 0:
        query.append(("limitBytes", str(limit_bytes)))
    if previous:
        query.append(("previous", "true"))
    if cursor.last is None and cursor.read_at is None:
        query.append(("tailLines", str(tail_lines)))
    else:
        query.append(("sinceSeconds", str(since_seconds(cursor, now))))
    raw = get_bytes(conn, log_path(ns, pod), query, timeout_s)
    out: list[LogLine] = []
    newest, at_newest = cursor.last, set(cursor.at_last)
    # Lines end at "\n" only: str.splitlines would also split at \r, \x1c or U+2028 inside
    # a line, and those fragments, without a timestamp, would come again every cycle.
    pieces = raw.split(b"\n")
    if pieces and not pieces[-1]:
        pieces.pop()
    for piece in pieces:
        text_line = _cut_line(piece)
        match = _TIMESTAMPED.match(text_line)
        at = parse_time(match.group(1)) if match else None
        body = match.group(2) if match and at else text_line
        if at is not None and cursor.last is not None:
            if at < cursor.last or (at == cursor.last and body in cursor.at_last):
                continue  # already handed on in an earlier cycle
        if at is not None:
            if newest is None or at > newest:
                newest, at_newest = at, {body}
            elif at == newest:
                at_newest.add(body)
        out.append(LogLine(at=at, origin=origin, text=body, level=guess_level(body)))
    truncated = limit_bytes > 0 and len(raw) >= limit_bytes
    return out, _Cursor(newest, frozenset(at_newest), now, truncated)


def _has_started(pod: Mapping[str, Any], container: str) -> bool:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container:
            state = cs.get("state") or {}
            return bool(state.get("running") or state.get("terminated") or cs.get("restartCount"))
    return False


def _cut_line(raw: bytes) -> str:
    """One line of a pod's log as text: the trailing CR dropped, and cut at `MAX_LINE_BYTES` with
    the size of the cut in the text."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) <= MAX_LINE_BYTES:
        return raw.decode("utf-8", errors="replace")
    return f"{raw[:MAX_LINE_BYTES].decode('utf-8', errors='replace')}… [+{len(raw) - MAX_LINE_BYTES} bytes]"
