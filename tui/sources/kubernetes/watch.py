"""List once, then watch: one resource (pods, deployments) in one scope (a namespace, or every
namespace), kept as a cache of converted objects by `namespace/name`, in a thread of its own.

What a reflector does, as client-go's does: list (the cache becomes the list, and the list's
resourceVersion is where the watch starts), then watch from that resourceVersion with
`allowWatchBookmarks`, each event moving the resourceVersion on (a BOOKMARK only moves it).
A watch that ends (the server's `timeoutSeconds`, an idle read) is opened again from where it
was; `410 Gone` (as the HTTP status, or as an ERROR event with code 410: the history was
compacted) lists again, as does "Too large resource version" (a server whose store came back
older than the watch: an etcd restored, a server started anew); any other failure is retried
after a capped, jittered back-off while the cache keeps the last known objects. A 403 is
remembered as "forbidden" and retried slowly.

Responses are read raw (`_preload_content=False`) and line by line as they stream: one JSON
object per line, decoded with `json.loads`, never the client's models nor `watch.Watch` (which
builds them). Only an object whose resourceVersion moved is converted again, so a relist of
10,000 pods of which three changed converts three."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tui.core.clock import Clock
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.kubernetes.connection import Connection, describe_error, items_of
from tui.sources.kubernetes.selector import parse_selector

T = TypeVar("T")

# The watch's own end, as client-go picks it (5 to 10 minutes there; shorter here so a stalled
# connection that no bookmark betrays is noticed within minutes): the server closes the
# stream after `timeoutSeconds`, and a read that waits longer than that and a margin is dead.
WATCH_TIMEOUT_S = (240, 300)
READ_MARGIN_S = 30.0
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
FORBIDDEN_RETRY_S = 60.0  # RBAC is fixed by a person: asking every minute is enough
READ_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Resource:
    plural: str  # as RBAC and kubectl name it: "pods", "deployments"
    group_version: str  # "/api/v1", "/apis/apps/v1"

    def path(self, namespace: str | None) -> str:
        if namespace is None:
            return f"{self.group_version}/{self.plural}"
        return f"{self.group_version}/namespaces/{quote(namespace, safe='')}/{self.plural}"


PODS = Resource("pods", "/api/v1")
DEPLOYMENTS = Resource("deployments", "/apis/apps/v1")
# The workloads view: statefulsets, and the revisions of both kinds (a deployment's ReplicaSets,
# a statefulset's ControllerRevisions) for the revision numbers and the history.
STATEFULSETS = Resource("statefulsets", "/apis/apps/v1")
REPLICASETS = Resource("replicasets", "/apis/apps/v1")
CONTROLLER_REVISIONS = Resource("controllerrevisions", "/apis/apps/v1")
EVENTS = Resource("events", "/api/v1")  # core/v1, as kubectl get events reads them


def raw_get(conn: Connection, path: str, query: list[tuple[str, str]], timeout: Any) -> Any:
    """GET `path` through the connection's client (its auth, TLS and pool) and return the raw
    urllib3 response, streaming. Not the generated `CoreV1Api`/`AppsV1Api` methods: their
    classes take a second of CPU to import (pydantic validators for hundreds of calls), which
    was most of the time to the first pods on the screen."""
    request = conn.api.param_serialize(
        method="GET",
        resource_path=path,
        query_params=query,
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    response = conn.api.call_api(*request, _request_timeout=timeout)
    if not 200 <= response.status <= 299:
        response.read()
        raise ApiException.from_response(http_resp=response, body=None, data=None)
    return response.response


class Gone(Exception):
    """The resourceVersion to watch from is older than the server's history: list again."""


def jittered_backoff(failures: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """base, 2×, 4× … cap, each scaled by a random 0.5–1.0 so that many watches that broke at
    once (a server restart) do not come back in step."""
    delay = min(cap, base * (2 ** max(0, failures - 1)))
    return delay * random.uniform(0.5, 1.0)


def too_large(status: Mapping[str, Any]) -> bool:
    """A watch from a resourceVersion the server has not reached: its store came back older
    (an etcd restored from a backup, a server started anew). As 410 Gone: list again."""
    causes = (status.get("details") or {}).get("causes") or []
    if any(isinstance(c, dict) and c.get("reason") == "ResourceVersionTooLarge" for c in causes):
        return True
    return "too large resource version" in str(status.get("message") or "").lower()


def object_key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def resource_version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def stream_lines(response: Any) -> Iterator[bytes]:
    """The lines of a streamed body as they arrive: `read1` returns what one read of the
    socket gave (a chunk of a chunked body), never waiting for a full buffer."""
    pending = b""
    while True:
        data = response.read1(READ_CHUNK)
        if not data:
            break
        if b"\n" not in data:
            pending += data
            continue
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        yield from lines
    if pending.strip():
        yield pending


class Reflector(Generic[T]):
    """The cache of one resource in one scope, filled by a thread that lists and watches.

    `version` moves whenever the cache's contents (as converted) or the reflector's state
    (synced, failing, forbidden) change, so a reader rebuilds its snapshot only then."""

    def __init__(
        self,
        connection: Callable[[], Connection],
        resource: Resource,
        namespace: str | None,  # None: every namespace
        convert: Callable[[Mapping[str, Any]], T],
        *,
        selector: str | None = None,
        timeout_s: float = 5.0,
        clock: Clock,
        on_failure: Callable[[BaseException], None] = lambda err: None,
        on_back: Callable[[], None] = lambda: None,
    ) -> None:
        self._connection = connection
        self.resource = resource
        self.namespace = namespace
        self._convert = convert
        self.selector = selector or None
        self._matches = parse_selector(selector)
        self.timeout_s = timeout_s
        self.clock = clock
        self._on_failure = on_failure
        self._on_back = on_back  # called (in this thread) when a watch opens after a failure
        self._broken = False  # failed since the watch was last open
        self.items: dict[str, T] = {}
        self._versions: dict[str, str] = {}  # key -> resourceVersion of the converted object
        self.resource_version = ""  # where the next watch starts ("": list first)
        self.version = 0
        self.members = 0  # moves when a key comes or goes (a snapshot's order can be kept else)
        self.synced = False  # listed at least once: the cache holds a whole list
        self.error: str | None = None  # the last failure, one line; None while up
        self.forbidden = False
        self.down_since: datetime | None = None
        self.attempts = 0  # tries finished: a watch opened (after its list), or a failure
        self.lists = 0  # lists made (the first, and one per 410 Gone)
        self._gone = 0  # 410s in a row, without an event in between
        self.lock = threading.Lock()
        self._changed = threading.Condition(self.lock)
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._response: Any = None
        self._thread: threading.Thread | None = None

    @property
    def scope(self) -> str:
        return self.namespace or "all namespaces"

    @property
    def up(self) -> bool:
        return self.synced and self.error is None

    def start(self) -> None:
        if self._thread is None:
            name = f"watch {self.resource.plural} in {self.scope}"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        response = self._response
        if response is not None:
            try:
                response.shutdown()  # wakes the thread out of its blocking read
            except Exception:  # best effort: the thread is a daemon
                pass

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def kick(self) -> int:
        """Try again now rather than after the back-off; the attempt count to wait past."""
        with self.lock:
            attempts = self.attempts
        self._kick.set()
        return attempts

    def wait_attempt(self, past: int, timeout_s: float) -> bool:
        """Wait until a try after the `past`th has finished; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.attempts > past, timeout_s)

    # ---- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if not self.resource_version or not self.synced:
                    self._list()
                self._watch()
                failures = 0
            except Gone:
                with self.lock:
                    self.resource_version = ""  # list again: at once the first time
                    self._gone += 1
                    gone = self._gone
                if gone > 1:  # a server that answers every fresh list's watch with 410
                    self._kick.wait(jittered_backoff(gone - 1))
                    self._kick.clear()
                continue
            except Exception as err:  # every failure is a state, and retried
                if self._stop.is_set():
                    break
                failures += 1
                self._failed(err)
                delay = FORBIDDEN_RETRY_S if self.forbidden else jittered_backoff(failures)
                self._kick.wait(delay)
            self._kick.clear()

    def _get(self, query: dict[str, str], timeout: Any) -> Any:
        params = list(query.items())
        if self.selector:
            params.append(("labelSelector", self.selector))
        return raw_get(self._connection(), self.resource.path(self.namespace), params, timeout)

    def _list(self) -> None:
        response = self._get({}, self.timeout_s)
        try:
            listing = json.loads(response.data)
        finally:
            response.release_conn()
        objects = items_of(listing)
        rv = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        with self.lock:
            old_items, old_versions = self.items, self._versions
        items: dict[str, T] = {}
        versions: dict[str, str] = {}
        changed = False
        for obj in objects:
            if not self._wanted(obj):
                continue
            key = object_key(obj)
            obj_rv = resource_version(obj)
            if obj_rv and old_versions.get(key) == obj_rv and key in old_items:
                items[key] = old_items[key]  # unchanged since last seen: not converted again
            else:
                items[key] = self._convert(obj)
                changed = changed or old_items.get(key) != items[key]
            versions[key] = obj_rv
        changed = changed or items.keys() != old_items.keys()
        with self._changed:
            if items.keys() != self.items.keys():
                self.members += 1
            self.items, self._versions = items, versions
            self.resource_version = rv
            self.lists += 1
            if changed or not self.synced or self.error is not None:
                self.version += 1
            self.synced = True
            # A list that came is the server there and letting us read: no longer down.
            self.error, self.forbidden, self.down_since = None, False, None

    def _watch(self) -> None:
        low, high = WATCH_TIMEOUT_S
        seconds = random.randint(low, high)
        query = {"watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": str(seconds)}
        if self.resource_version:
            query["resourceVersion"] = self.resource_version
        try:
            response = self._get(query, (self.timeout_s, seconds + READ_MARGIN_S))
        except ApiException as err:
            if err.status == 410 or (
                err.status == 504 and "too large resource version" in str(err.body).lower()
            ):
                raise Gone() from err
            raise
        self._response = response
        try:
            self._opened()
            if self._stop.is_set():
                return
            for line in stream_lines(response):
                if line.strip():
                    self._event(json.loads(line))
                if self._stop.is_set():
                    return
        except (ReadTimeoutError, ProtocolError) as err:
            if self._stop.is_set():
                return
            if isinstance(err, ReadTimeoutError):
                return  # quiet for longer than the server's own timeout: open it again
            raise
        finally:
            self._response = None
            response.release_conn()

    def _opened(self) -> None:
        with self._changed:
            was_down = self.error is not None or self.forbidden
            back, self._broken = self._broken, False
            self.error, self.forbidden, self.down_since = None, False, None
            self.attempts += 1
            if was_down:
                self.version += 1
            self._changed.notify_all()
        if back:
            self._on_back()

    def _event(self, event: Any) -> None:
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        obj = event.get("object")
        if not isinstance(obj, dict):
            return
        if kind == "ERROR":
            code = obj.get("code")
            if code == 410 or too_large(obj):
                raise Gone()
            message = one_line(str(obj.get("message") or obj.get("reason") or "watch error"), 160)
            raise SourceError(f"{code} {message}" if code else message)
        rv = resource_version(obj)
        if kind == "BOOKMARK":
            with self.lock:
                self._gone = 0
                if rv:
                    self.resource_version = rv
            return
        key = object_key(obj)
        with self._changed:
            self._gone = 0
            if rv:
                self.resource_version = rv
            if kind == "DELETED" or not self._wanted(obj):
                if self.items.pop(key, None) is not None:
                    self._versions.pop(key, None)
                    self.version += 1
                    self.members += 1
                return
            if kind not in ("ADDED", "MODIFIED"):
                return
            if rv and self._versions.get(key) == rv and key in self.items:
                return  # a replay of what is known (a server that ignores resourceVersion)
        info = self._convert(obj)  # outside the lock: readers never wait on a conversion
        with self._changed:
            self._versions[key] = rv
            if self.items.get(key) != info:
                if key not in self.items:
                    self.members += 1
                self.items[key] = info
                self.version += 1

    def _wanted(self, obj: Mapping[str, Any]) -> bool:
        """In this scope and matching the selector: a server (or proxy) that ignores either
        would otherwise show more than was asked for."""
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace") not in (None, "", self.namespace):
            return False
        labels = meta.get("labels") or {}
        return self.selector is None or self._matches(labels if isinstance(labels, dict) else {})

    def _failed(self, err: BaseException) -> None:
        conn_host = "the API server"
        if not isinstance(err, SourceError):  # (a kubeconfig that cannot be read has no host)
            try:
                conn_host = self._connection().host
            except Exception:  # the connection itself is what failed
                pass
        self._on_failure(err)
        forbidden = isinstance(err, ApiException) and err.status == 403
        if forbidden:
            message = f"forbidden (RBAC: list {self.resource.plural} in {self.scope})"
        else:
            message = describe_error(err, conn_host, self.timeout_s)
        with self._changed:
            if message != self.error or forbidden != self.forbidden:
                self.version += 1
            self.error, self.forbidden = message, forbidden
            self._broken = True
            if self.down_since is None:
                self.down_since = self.clock.now()
            self.attempts += 1
            self._changed.notify_all()
