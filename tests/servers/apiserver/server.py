"""`ApiServer`: the store, logs, RBAC and controller behind a threaded HTTP(S) server on
127.0.0.1, started, stopped and restarted on the same port.

Why our own server and not kmock: kmock 0.8 has no resourceVersion, 410, bookmarks, selectors,
PUT, Table printing or real subresources (tech-facts.md §3), and each would be a reaction bolted
onto its emulator; a small store with a history gives them all from one place. Threads rather
than an event loop: a test's sync client, a subprocess (kubectl) and the test's own loop all
reach it the same way, and a slow watch blocks only its own thread.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.servers.apiserver.handlers import Handler
from tests.servers.apiserver.logs import Logs
from tests.servers.apiserver.patch import merge_patch
from tests.servers.apiserver.rbac import Rbac
from tests.servers.apiserver.resources import BY_KIND, BY_PLURAL
from tests.servers.apiserver.store import ApiError, Store, dumps, not_found
from tests.servers.kube import TOKEN, write_kubeconfig

HOST = "127.0.0.1"


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # watches end when stop() closes their sockets, not by joining
    allow_reuse_address = True  # restart() binds the same port again at once
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: ApiServer, context: ssl.SSLContext | None):
        self.api = api
        self.context = context
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer (kubectl after its answer, a killed watch) is not news

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.context is not None:
            # The handshake happens on the first read, in the handler's thread.
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


def plural(resource: str) -> str:
    """`pods`, `Pod` or `deployments.apps` -> the plural the store keys by."""
    if resource in BY_PLURAL:
        return resource
    if resource in BY_KIND:
        return BY_KIND[resource].plural
    head = resource.split(".")[0]
    if head in BY_PLURAL:
        return head
    raise KeyError(f"not a resource this server serves: {resource}")


class ApiServer:
    def __init__(
        self,
        *,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        controller: bool = True,
        bookmark_interval: float = 60.0,
        history_limit: int = 200_000,
        step: float = 0.05,
        pod_grace: float = 0.0,
    ) -> None:
        self.port = port
        self.tls = tls
        self.bookmark_interval = bookmark_interval
        self.pod_grace = pod_grace
        self.history_limit = history_limit
        self.store = Store(history_limit=history_limit)
        self.logs = Logs()
        self.rbac = Rbac()
        self.seen: collections.deque[dict[str, Any]] = collections.deque(maxlen=5000)
        self._event_numbers = itertools.count()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.controller = None
        if controller:
            from tests.servers.apiserver.controller import Controller

            self.controller = Controller(self, step=step)

    # -- life ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> ApiServer:
        httpd = _HttpServer((HOST, self.port), self, self.tls)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"apiserver:{self.port}",
            daemon=True,
        )
        self._thread.start()
        if self.controller is not None:
            self.controller.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection (watches and followed logs end as when
        a real server goes away)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        for conn in list(httpd.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.store.cond:
            self.store.cond.notify_all()
        with self.logs.cond:
            self.logs.cond.notify_all()
        if self._thread is not None:
            self._thread.join(5)
        if self.controller is not None:
            self.controller.stop()

    def restart(self, *, keep_state: bool = True) -> None:
        """Stop and start again on the same port. `keep_state=False` is a server that comes
        back empty: its resourceVersions continue, but every earlier one is expired (a
        resuming watch gets 410 and must list again)."""
        self.stop()
        if not keep_state:
            old = self.store.rv
            self.store = Store(first_rv=old + 1, history_limit=self.history_limit)
            self.logs = Logs()
            if self.controller is not None:
                self.controller.forget()
        self.start()

    def __enter__(self) -> ApiServer:
        return self.start() if not self.running else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kubeconfig(
        self,
        path: Path,
        *,
        token: str = TOKEN,
        namespace: str | None = "shop",
        context: str = "kmock",
        ca_file: Path | None = None,
    ) -> Path:
        """A kubeconfig for this server (tests/servers/kube.py's layout); with TLS, `ca_file`
        is the CA the client trusts."""
        write_kubeconfig(path, self.url, token=token, namespace=namespace, context=context)
        if ca_file is not None:
            doc = json.loads(path.read_text())
            doc["clusters"][0]["cluster"]["certificate-authority"] = str(ca_file)
            path.write_text(json.dumps(doc))
        return path

    def _seen_request(
        self, method: str, path: str, query: Mapping[str, str], headers: Any, body: bytes
    ) -> None:
        self.seen.append(
            {"method": method, "path": path, "query": dict(query), "headers": dict(headers), "body": body}
        )

    # -- what a test does to the cluster ---------------------------------------------------------

    def seed(self, *objects: Mapping[str, Any]) -> None:
        """Create objects (kube.py builders' dicts or any), their namespaces too."""
        self.store.seed(objects)

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        res = BY_KIND[obj["kind"]]
        ns = (obj.get("metadata") or {}).get("namespace")
        if res.namespaced:
            self.store.ensure_namespace(ns or "default")
        return json.loads(self.store.create(res.plural, obj, ns).raw)

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store.get(plural(resource), namespace, name)

    def list(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return [json.loads(s.raw) for s in self.store.items(plural(resource), namespace)]

    def patch(self, resource: str, namespace: str, name: str, change: Mapping[str, Any]) -> dict[str, Any]:
        """A merge patch (RFC 7386), status included: what a kubelet or controller would write."""
        stored = self.store.mutate(
            plural(resource), namespace, name, lambda obj: obj.update(merge_patch(obj, change))
        )
        return json.loads(stored.raw)

    def mutate(
        self, resource: str, namespace: str, name: str, change: Callable[[dict[str, Any]], Any]
    ) -> dict[str, Any]:
        return json.loads(self.store.mutate(plural(resource), namespace, name, change).raw)

    def replace(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        return json.loads(self.store.replace(BY_KIND[obj["kind"]].plural, obj).raw)

    def delete(
        self, resource: str, namespace: str, name: str, *, grace: float | None = None
    ) -> dict[str, Any]:
        """Delete an object and (background cascading, as the garbage collector does) what it
        owns: a deployment's replicasets and their pods, a statefulset's pods and revisions.

        A pod with a grace period (`grace`, else `ApiServer(pod_grace=...)`; 0 by default) is
        first marked with a deletionTimestamp (kubectl shows it Terminating) and removed when
        the period is over, as the kubelet does."""
        res = BY_PLURAL[plural(resource)]
        wait = self.pod_grace if grace is None else grace
        if res.plural == "pods" and wait > 0:
            return self._terminate(namespace, name, wait)
        with self.store.cond:
            gone = self.store.delete(res.plural, namespace, name)
            uid = gone.obj["metadata"]["uid"]
            for dependent in ("replicasets", "pods", "controllerrevisions"):
                for stored in self.store.items(dependent, namespace or None):
                    refs = stored.obj["metadata"].get("ownerReferences") or []
                    if any(r.get("uid") == uid for r in refs):
                        meta = stored.obj["metadata"]
                        self.delete(dependent, meta.get("namespace", ""), meta["name"])
        if res.plural == "pods":
            return json.loads(gone.raw)
        details: dict[str, Any] = {"name": name, "kind": res.plural, "uid": uid}
        if res.group:
            details["group"] = res.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _terminate(self, namespace: str, name: str, wait: float) -> dict[str, Any]:
        with self.store.cond:
            current = self.store.stored("pods", namespace, name)
            if current is None:
                raise not_found(BY_PLURAL["pods"], name)
            if current.obj["metadata"].get("deletionTimestamp"):
                return json.loads(current.raw)  # already terminating: the first deadline holds
            uid = current.obj["metadata"]["uid"]
            at = (datetime.now(UTC) + timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%M:%SZ")

            def mark(pod: dict[str, Any]) -> None:
                pod["metadata"]["deletionTimestamp"] = at
                pod["metadata"]["deletionGracePeriodSeconds"] = math.ceil(wait)

            marked = self.store.mutate("pods", namespace, name, mark)

        def remove() -> None:
            with self.store.cond:
                still = self.store.stored("pods", namespace, name)
                if still is not None and still.obj["metadata"]["uid"] == uid:
                    self.delete("pods", namespace, name, grace=0)

        timer = threading.Timer(wait, remove)
        timer.daemon = True
        timer.start()
        return json.loads(marked.raw)

    def compact(self, keep: int = 0) -> int:
        """Forget the watch history but the last `keep` changes; returns the oldest
        resourceVersion a watch may still resume from."""
        self.store.compact(keep)
        return self.store.floor

    @property
    def resource_version(self) -> int:
        return self.store.rv

    def event(
        self,
        involved: Mapping[str, Any],
        reason: str,
        message: str,
        *,
        type: str = "Normal",
        count: int = 1,
        first: datetime | None = None,
        last: datetime | None = None,
        component: str = "kubelet",
        name: str | None = None,
    ) -> dict[str, Any]:
        """A core/v1 Event about `involved` (an object dict), as the kubelet or a controller
        records it."""
        meta = involved["metadata"]
        first = first or datetime.now(UTC)
        last = last or first
        iso = "%Y-%m-%dT%H:%M:%SZ"
        ev = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {
                "name": name or f"{meta['name']}.{time.time_ns():x}{next(self._event_numbers)}",
                "namespace": meta.get("namespace", "default"),
            },
            "involvedObject": {
                "kind": involved["kind"],
                "namespace": meta.get("namespace", "default"),
                "name": meta["name"],
                "uid": meta.get("uid", ""),
                "apiVersion": involved.get("apiVersion", "v1"),
            },
            "reason": reason,
            "message": message,
            "type": type,
            "count": count,
            "firstTimestamp": first.astimezone(UTC).strftime(iso),
            "lastTimestamp": last.astimezone(UTC).strftime(iso),
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
        }
        return self.create(ev)

    # -- logs ------------------------------------------------------------------------------------

    def set_log(
        self,
        namespace: str,
        pod: str,
        lines: Iterable[str],
        *,
        container: str = "app",
        previous: bool = False,
    ) -> None:
        self.logs.set(namespace, pod, container, lines, previous=previous)

    def append_log(self, namespace: str, pod: str, *lines: str, container: str = "app") -> None:
        self.logs.append(namespace, pod, container, *lines)


def body_of(obj: Mapping[str, Any]) -> bytes:  # for tests comparing bytes
    return dumps(obj)


__all__ = ["ApiError", "ApiServer", "plural"]
