"""The HTTP side: one request handler (stdlib `http.server`, HTTP/1.1 keep-alive, chunked
streams for watches and followed logs) that routes a request to discovery, a resource verb or a
subresource, checks RBAC first, and answers errors as Status objects.

Paths: `/api/v1/{resource}` (all namespaces), `/api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]`,
the same under `/apis/{group}/{version}`, `/api/v1/namespaces[/{name}]`.
"""

from __future__ import annotations

import base64
import json
import select
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.servers.apiserver import patch as patching
from tests.servers.apiserver import printers, resources
from tests.servers.apiserver.logs import rfc3339_nano
from tests.servers.apiserver.resources import Resource
from tests.servers.apiserver.selectors import Predicate, SelectorError, both, field_selector, label_selector
from tests.servers.apiserver.store import ApiError, conflict, dumps, not_found

if TYPE_CHECKING:
    from tests.servers.apiserver.server import ApiServer, _HttpServer

TOO_LARGE_WAIT_S = 3.0  # kube-apiserver's watch cache waits this long for a future resourceVersion
TRUE = ("true", "1")


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def scale_of(res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale a workload shows through its `scale` subresource."""
    meta = obj["metadata"]
    selector = (obj.get("spec") or {}).get("selector") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": int((obj.get("spec") or {}).get("replicas") or 0)},
        "status": {
            "replicas": int((obj.get("status") or {}).get("replicas") or 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())),
        },
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    @property
    def api(self) -> ApiServer:
        return self.server.api

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = lambda self: self._handle()
    _dry_run = False  # the request being handled asked for `dryRun=All`

    # -- plumbing ------------------------------------------------------------------------------

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, doc: Any) -> None:
        self._send(code, doc if isinstance(doc, bytes) else dumps(doc))

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _client_gone(self) -> bool:
        """Whether the client hung up (a watch sends nothing while nothing changes, so a write
        would not tell): the socket reads as closed."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            if isinstance(sock, ssl.SSLSocket):
                return sock.recv(1) == b""
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError, ssl.SSLError):
            return True

    def _stopping(self) -> bool:
        return self.server.stopping.is_set()

    # -- routing -------------------------------------------------------------------------------

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            body = self._body()
            self.api._seen_request(self.command, parts.path, query, self.headers, body)
            self._route(parts.path, query, body)
        except ApiError as err:
            self._json(err.code, err.status())
        except SelectorError as err:
            self._json(400, _bad_request(str(err)).status())
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _route(self, path: str, query: dict[str, str], body: bytes) -> None:
        auth = self.headers.get("Authorization")
        segs = [s for s in path.split("/") if s]
        if path in ("/version", "/version/"):
            self.api.rbac.user(auth)
            return self._json(200, resources.VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return self._send(200, b"ok", "text/plain; charset=utf-8")
        if not segs or segs[0] not in ("api", "apis"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self.api.rbac.user(auth)  # discovery is for any authenticated user
        if segs == ["api"]:
            return self._json(200, resources.api_versions(self.headers.get("Host", "")))
        if segs == ["apis"]:
            return self._json(200, resources.api_group_list())
        if segs[0] == "api":
            group, version, rest = "", segs[1], segs[2:]
        else:
            if len(segs) == 2:
                found = resources.api_group(segs[1])
                if found is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                return self._json(200, found)
            group, version, rest = segs[1], segs[2], segs[3:]
        if not rest:
            listing = resources.resource_list(group, version)
            if listing is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._json(200, listing)
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = resources.find(group, version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        res = resources.find(group, version, rest[0])
        if res is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub not in res.subresources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if name and res.namespaced and not namespace:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        verb = {
            "GET": ("get" if name else "watch" if query.get("watch") in TRUE else "list"),
            "POST": "create",
            "PUT": "update",
            "PATCH": "patch",
            "DELETE": "delete" if name else "deletecollection",
        }[self.command]
        self.api.rbac.check(auth, verb, res, sub, namespace, name)
        # `dryRun=All`: admitted and answered as for the real call, and nothing stored (what
        # the confirmations' server-side dry runs rely on).
        self._dry_run = query.get("dryRun") == "All"
        if sub == "log":
            return self._logs(namespace, name, query)
        if sub == "scale":
            return self._scale(res, namespace, name, body)
        if verb == "list":
            return self._list(res, namespace, query)
        if verb == "watch":
            return self._watch(res, namespace, query)
        if verb == "get":
            return self._get(res, namespace, name)
        if verb == "create":
            doc = self._decode(body)
            given = (doc.get("metadata") or {}).get("namespace")
            if res.namespaced and given and given != namespace:
                raise _bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            stored = self.api.store.create(res.plural, doc, namespace or None)
            return self._json(201, stored.raw)
        if verb == "update":
            return self._update(res, namespace, name, sub, self._decode(body))
        if verb == "patch":
            return self._patch(res, namespace, name, sub, body)
        if verb == "delete":
            if self._dry_run:
                return self._get(res, namespace, name)
            options = self._decode(body) if body else {}
            grace = query.get(
                "gracePeriodSeconds", options.get("gracePeriodSeconds") if isinstance(options, dict) else None
            )
            seconds = None if grace in (None, "") else float(grace)
            return self._json(200, self.api.delete(res.plural, namespace, name, grace=seconds))
        raise ApiError(405, "MethodNotAllowed", f"{verb} is not supported here")

    def _decode(self, body: bytes) -> Any:
        try:
            return json.loads(body or b"{}")
        except ValueError as err:
            raise _bad_request(f"the body of the request could not be decoded: {err}") from err

    # -- reading -------------------------------------------------------------------------------

    def _predicate(self, res: Resource, query: dict[str, str]) -> Predicate | None:
        return both(
            label_selector(query.get("labelSelector")), field_selector(query.get("fieldSelector"), res.fields)
        )

    def _table_version(self) -> str | None:
        accept = self.headers.get("Accept", "")
        first = accept.split(",")[0]
        if "as=Table" not in first:
            return None
        return "meta.k8s.io/v1beta1" if "v=v1beta1" in first else "meta.k8s.io/v1"

    def _list(self, res: Resource, namespace: str, query: dict[str, str]) -> None:
        store = self.api.store
        predicate = self._predicate(res, query)
        token = query.get("continue")
        with store.cond:
            if token:
                try:
                    state = json.loads(base64.urlsafe_b64decode(token.encode()))
                    rv, after = int(state["rv"]), (state["start"][0], state["start"][1])
                except (ValueError, KeyError, IndexError, TypeError) as err:
                    raise _bad_request(f"continue key is not valid: {err}") from err
                if rv < store.floor:
                    raise ApiError(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. "
                        "You can start a new list without the continue parameter.",
                    )
                items = store.keys_after(res.plural, namespace or None, after)
            else:
                rv = store.rv
                items = store.items(res.plural, namespace or None)
        if predicate is not None:
            items = [s for s in items if predicate(s.obj)]
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        limit = int(query.get("limit") or 0)
        if limit and len(items) > limit:
            last = items[limit - 1].obj["metadata"]
            start = [last.get("namespace", ""), last["name"]]
            meta["continue"] = base64.urlsafe_b64encode(dumps({"rv": rv, "start": start})).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        table = self._table_version()
        if table is not None and res.plural in printers.PRINTERS:
            body = printers.table(
                res.plural,
                [(s.obj, s.raw) for s in items],
                api_version=table,
                include=query.get("includeObject", "Metadata"),
                metadata=meta,
            )
            return self._send(200, body)
        head = dumps({"kind": f"{res.kind}List", "apiVersion": res.api_version, "metadata": meta})
        self._send(200, head[:-1] + b',"items":[' + b",".join(s.item for s in items) + b"]}")

    def _get(self, res: Resource, namespace: str, name: str) -> None:
        stored = self.api.store.stored(res.plural, namespace, name)
        if stored is None:
            raise not_found(res, name)
        table = self._table_version()
        if table is not None and res.plural in printers.PRINTERS:
            meta = {"resourceVersion": stored.obj["metadata"]["resourceVersion"]}
            body = printers.table(
                res.plural, [(stored.obj, stored.raw)], api_version=table, include="Metadata", metadata=meta
            )
            return self._send(200, body)
        self._send(200, stored.raw)

    def _watch(self, res: Resource, namespace: str, query: dict[str, str]) -> None:
        store = self.api.store
        predicate = self._predicate(res, query)
        rv_param = query.get("resourceVersion", "")
        bookmarks = query.get("allowWatchBookmarks") in TRUE
        initial = query.get("sendInitialEvents") in TRUE
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        deadline = None if timeout is None else time.monotonic() + timeout

        def matches(obj: dict[str, Any] | None) -> bool:
            return obj is not None and (predicate is None or predicate(obj))

        table = self._table_version() if res.plural in printers.PRINTERS else None
        include = query.get("includeObject", "Metadata")

        def event(kind: str, raw: bytes, obj: dict[str, Any] | None = None) -> bytes:
            if table is not None and obj is not None:
                # `kubectl get -w` asks for Tables: each event carries a one-row Table.
                meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
                raw = printers.table(
                    res.plural, [(obj, raw)], api_version=table, include=include, metadata=meta
                )
            return b'{"type":"' + kind.encode() + b'","object":' + raw + b"}\n"

        def bookmark(rv: int, end_of_initial: bool = False) -> bytes:
            meta: dict[str, Any] = {"resourceVersion": str(rv)}
            if end_of_initial:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            return event(
                "BOOKMARK", dumps({"kind": res.kind, "apiVersion": res.api_version, "metadata": meta})
            )

        first: list[bytes] = []
        error: ApiError | None = None
        with store.cond:
            if rv_param in ("", "0") or initial:
                # No resourceVersion (or 0): the current state as ADDED events, then the changes.
                last = store.rv
                first = [
                    event("ADDED", s.raw, s.obj)
                    for s in store.items(res.plural, namespace or None)
                    if matches(s.obj)
                ]
                if initial and bookmarks:
                    first.append(bookmark(last, end_of_initial=True))
            else:
                try:
                    last = int(rv_param)
                except ValueError as err:
                    raise _bad_request(f"invalid resource version: {rv_param}") from err
                if last < store.floor:
                    # Like the watch cache: HTTP 200, then one ERROR event carrying 410 Expired.
                    error = ApiError(410, "Expired", f"too old resource version: {last} ({store.floor})")
                elif last > store.rv:
                    # From a resourceVersion the server has not reached (its store came back
                    # older: an etcd restored, a test server started anew): the watch cache
                    # waits a moment for it, then answers "Too large resource version".
                    wait = TOO_LARGE_WAIT_S
                    if deadline is not None:  # the watch's own timeoutSeconds comes first
                        wait = min(wait, max(0.0, deadline - time.monotonic()))
                    store.cond.wait_for(lambda: store.rv >= last, wait)
                    if last > store.rv and (deadline is None or time.monotonic() < deadline):
                        error = ApiError(
                            504,
                            "Timeout",
                            f"Too large resource version: {last}, current: {store.rv}",
                            {
                                "causes": [
                                    {
                                        "reason": "ResourceVersionTooLarge",
                                        "message": "Too large resource version",
                                    }
                                ],
                                "retryAfterSeconds": 1,
                            },
                        )
        self._start_stream("application/json")
        try:
            if error is not None:
                self._chunk(event("ERROR", dumps(error.status())))
                return self._end_stream()
            self._chunk(b"".join(first))
            next_bookmark = time.monotonic() + self.api.bookmark_interval
            next_check = time.monotonic() + 1.0
            while not self._stopping():
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                with store.cond:
                    try:
                        changes = store.changes_after(last)
                    except ApiError as err:  # history trimmed under a slow watcher
                        self._chunk(event("ERROR", dumps(err.status())))
                        break
                    if not changes:
                        waits = [next_bookmark - now if bookmarks else 1.0, next_check - now, 1.0]
                        if deadline is not None:
                            waits.append(deadline - now)
                        store.cond.wait(max(0.0, min(waits)))
                out: list[bytes] = []
                for ch in changes:
                    last = ch.rv
                    if ch.resource != res.plural or (namespace and ch.namespace != namespace):
                        continue
                    if predicate is None:
                        out.append(event(ch.type, ch.raw, ch.obj))
                        continue
                    now_match, was_match = matches(ch.obj), matches(ch.old)
                    if ch.type == "MODIFIED":
                        if now_match and was_match:
                            out.append(event("MODIFIED", ch.raw, ch.obj))
                        elif now_match:
                            out.append(event("ADDED", ch.raw, ch.obj))
                        elif was_match:
                            out.append(event("DELETED", ch.raw, ch.obj))
                    elif now_match:
                        out.append(event(ch.type, ch.raw, ch.obj))
                if out:
                    self._chunk(b"".join(out))
                now = time.monotonic()
                if bookmarks and now >= next_bookmark:
                    self._chunk(bookmark(last))
                    next_bookmark = now + self.api.bookmark_interval
                if now >= next_check:
                    next_check = now + 1.0
                    if self._client_gone():
                        self.close_connection = True
                        return
            if self._stopping():
                self.close_connection = True
                return
            self._end_stream()
        except OSError:
            self.close_connection = True

    # -- writing -------------------------------------------------------------------------------

    def _keep_status(
        self, res: Resource, sub: str, old: dict[str, Any], new: dict[str, Any]
    ) -> dict[str, Any]:
        """The main resource's writes leave status alone; the status subresource's touch only it."""
        if "status" not in res.subresources:
            return new
        if sub == "status":
            merged = json.loads(dumps(old))
            merged["status"] = new.get("status")
            return merged
        new = dict(new)
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
        return new

    def _update(self, res: Resource, namespace: str, name: str, sub: str, doc: dict[str, Any]) -> None:
        store = self.api.store
        with store.cond:
            current = store.stored(res.plural, namespace, name)
            if current is None:
                raise not_found(res, name)
            doc.setdefault("metadata", {})["name"] = name
            expect = doc["metadata"].get("resourceVersion")
            new = self._keep_status(res, sub, current.obj, doc)
            stored = store.replace(res.plural, new, namespace=namespace or None, expect_rv=expect)
        self._json(200, stored.raw)

    def _patch(self, res: Resource, namespace: str, name: str, sub: str, body: bytes) -> None:
        store = self.api.store
        content_type = self.headers.get("Content-Type", "")
        patch_doc = self._decode(body)
        with store.cond:
            current = store.stored(res.plural, namespace, name)
            if current is None:
                raise not_found(res, name)
            patched = patching.apply(content_type, json.loads(current.raw), patch_doc)
            if not isinstance(patched, dict):
                raise ApiError(422, "Invalid", "the patch did not produce an object")
            patched.setdefault("metadata", {})["name"] = name
            expect = (
                (patch_doc.get("metadata") or {}).get("resourceVersion")
                if isinstance(patch_doc, dict)
                else None
            )
            new = self._keep_status(res, sub, current.obj, patched)
            if self._dry_run:
                return self._json(200, new)
            stored = store.replace(res.plural, new, namespace=namespace or None, expect_rv=expect)
        self._json(200, stored.raw)

    def _scale(self, res: Resource, namespace: str, name: str, body: bytes) -> None:
        store = self.api.store
        with store.cond:
            current = store.stored(res.plural, namespace, name)
            if current is None:
                raise not_found(res, name)
            scale = scale_of(res, current.obj)
            if self.command == "GET":
                return self._json(200, scale)
            doc = self._decode(body)
            if self.command == "PATCH":
                wanted = patching.apply(self.headers.get("Content-Type", ""), scale, doc)
            else:
                wanted = doc
                expect = (doc.get("metadata") or {}).get("resourceVersion")
                if expect and expect != current.obj["metadata"]["resourceVersion"]:
                    raise conflict(res, name)
            replicas = int(((wanted.get("spec") or {}).get("replicas")) or 0)

            def set_replicas(obj: dict[str, Any]) -> None:
                obj.setdefault("spec", {})["replicas"] = replicas

            if self._dry_run:
                would = json.loads(current.raw)
                set_replicas(would)
                return self._json(200, scale_of(res, would))
            stored = store.mutate(res.plural, namespace, name, set_replicas)
        self._json(200, scale_of(res, stored.obj))

    # -- logs ----------------------------------------------------------------------------------

    def _logs(self, namespace: str, name: str, query: dict[str, str]) -> None:
        pods = resources.BY_PLURAL["pods"]
        pod = self.api.store.stored("pods", namespace, name)
        if pod is None:
            raise not_found(pods, name)
        spec = pod.obj.get("spec") or {}
        names = [c["name"] for c in spec.get("containers") or []]
        every = names + [c["name"] for c in spec.get("initContainers") or []]
        container = query.get("container", "")
        if not container:
            if len(names) != 1:
                choices = " ".join(names)
                raise _bad_request(
                    f"a container name must be specified for pod {name}, choose one of: [{choices}]"
                )
            container = names[0]
        if container not in every:
            raise _bad_request(f"container {container} is not valid for pod {name}")
        previous = query.get("previous") in TRUE
        key = (namespace, name, container, previous)
        logs = self.api.logs
        if previous and not logs.has(key):
            raise _bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        stamps = query.get("timestamps") in TRUE

        def text(lines: list[tuple[datetime, str]]) -> bytes:
            if stamps:
                return "".join(f"{rfc3339_nano(at)} {line}\n" for at, line in lines).encode()
            return "".join(f"{line}\n" for _, line in lines).encode()

        lines = logs.lines(key)
        sent = len(lines)
        if query.get("sinceSeconds"):
            cut = datetime.now(UTC) - timedelta(seconds=int(query["sinceSeconds"]))
            lines = [ln for ln in lines if ln[0] >= cut]
        if query.get("tailLines"):
            tail = int(query["tailLines"])
            lines = lines[-tail:] if tail > 0 else []
        if query.get("follow") not in TRUE or previous:
            return self._send(200, text(lines), "text/plain")
        self._start_stream("text/plain")
        try:
            self._chunk(text(lines))
            next_check = time.monotonic() + 1.0
            while not self._stopping():
                with logs.cond:
                    more = logs.lines(key)[sent:]
                    if not more:
                        logs.cond.wait(0.5)
                if more:
                    sent += len(more)
                    self._chunk(text(more))
                if self.api.store.stored("pods", namespace, name) is None:
                    break  # the pod is gone: the kubelet ends the stream
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + 1.0
                    if self._client_gone():
                        self.close_connection = True
                        return
            if self._stopping():
                self.close_connection = True
                return
            self._end_stream()
        except OSError:
            self.close_connection = True
