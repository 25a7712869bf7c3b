"""Real HTTP(S) servers on 127.0.0.1 free ports for the source tests.

`HttpServer` runs `http.server` in a thread (so it answers whatever the test's event loop is
doing) and maps a path to a route: a function that writes the whole answer itself, so a route
can also misbehave on purpose (hang, trickle, send 10 MB, redirect forever). Every request's
request is recorded whole in `seen` (method, path, query parameters, headers, body); every
method is routed the same way, and `default` answers paths no route names (a fake API that
reads the request itself: Prometheus, Loki).

`silent_port` and `refused_port` are sockets without any server behind them: the first accepts
TCP connections (the kernel completes the handshake into the backlog) and never answers, the
second refuses them.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[["Handler"], None]
HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Seen:
    path: str  # without the query
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    method: str = "GET"
    target: str = ""  # the request target as sent: path, query, %-escapes
    params: dict[str, str] = field(default_factory=dict)  # the query's (or a form body's) last values
    body: bytes = b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # clients open up to 32 connections at once; the default backlog is 5
    owner: HttpServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-answer (on purpose, in these tests) is not news

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        context = self.owner.ssl_context
        if context is not None:
            # The handshake happens on the first read, in the handler's thread, so a client that
            # rejects the certificate cannot stall the accept loop.
            sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def owner(self) -> HttpServer:
        return self.server.owner

    @property
    def seen(self) -> Seen:
        """This request as recorded (the route may read it instead of parsing again)."""
        return self._seen

    def _any(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = parts.query
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            query = body.decode("utf-8", "replace")
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._seen = Seen(parts.path, headers, self.command, self.path, params, body)
        with owner.lock:
            owner.seen.append(self._seen)
            route = owner.routes.get(parts.path, owner.default)
        if route is None:
            reply(404, b"no such route\n")(self)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            route(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


class HttpServer:
    """A threaded HTTP (or HTTPS, given a server-side `ssl_context`) server on a free port."""

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        default: Route | None = None,
        port: int = 0,
    ):
        self.routes: dict[str, Route] = dict(routes or {})
        self.default = default
        self.ssl_context = ssl_context
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # releases the routes that hang or trickle
        self._server = _Server((HOST, port), Handler)  # a given port: the same server, restarted
        self._server.owner = self
        self.port: int = self._server.server_address[1]
        # A short poll interval: `shutdown` waits for the serve loop to notice, at most this long.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="test-http", daemon=True
        )

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{HOST}:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- routes ----------------------------------------------------------------------------------


def reply(
    status: int = 200,
    body: bytes | str = b"",
    content_type: str = "text/plain",
    *,
    delay_s: float = 0.0,
) -> Route:
    """A plain answer, optionally after `delay_s` (an answer that is slow but arrives)."""
    data = body.encode() if isinstance(body, str) else body

    def route(h: Handler) -> None:
        if delay_s:
            h.owner.stopping.wait(delay_s)
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return route


def json_reply(doc: object, status: int = 200, *, delay_s: float = 0.0) -> Route:
    return reply(status, json.dumps(doc), "application/json", delay_s=delay_s)


def redirect(location: str, status: int = 302) -> Route:
    def route(h: Handler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def hang() -> Route:
    """Reads the request and never answers (until the server stops)."""

    def route(h: Handler) -> None:
        h.owner.stopping.wait()

    return route


def trickle(every_s: float = 0.05, status: int = 200) -> Route:
    """Sends the headers of a large body at once, then one byte every `every_s`."""

    def route(h: Handler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000000")
        h.end_headers()
        h.wfile.flush()
        while not h.owner.stopping.wait(every_s):
            h.wfile.write(b" ")
            h.wfile.flush()

    return route


def big(size: int, status: int = 200, content_type: str = "application/json") -> Route:
    """A body of `size` bytes, written in chunks; a client that stops reading just hangs up."""
    chunk = b"x" * 65536

    def route(h: Handler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(b'{"status": "ok", "pad": "')
        left = size - 26
        while left > 0 and not h.owner.stopping.is_set():
            n = min(left, len(chunk))
            h.wfile.write(chunk[:n])
            left -= n
        h.wfile.write(b'"')

    return route


class Concurrency:
    """A route that counts the requests it is answering at once (each holds `hold_s`): `peak` is
    the most connections a client ever had open here together."""

    def __init__(self, route: Route, hold_s: float = 0.02) -> None:
        self.route = route
        self.hold_s = hold_s
        self.now = 0
        self.peak = 0
        self.served = 0
        self._lock = threading.Lock()

    def __call__(self, h: Handler) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            h.owner.stopping.wait(self.hold_s)
        finally:
            # Counted out before the answer is sent: a client that got its answer and opened the
            # next connection can never be counted twice.
            with self._lock:
                self.now -= 1
                self.served += 1
        self.route(h)


class Switch:
    """A route whose answer the test changes between polls."""

    def __init__(self, route: Route) -> None:
        self.route = route

    def __call__(self, h: Handler) -> None:
        self.route(h)


# ---- sockets without a server ----------------------------------------------------------------


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never reads or answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nothing else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]
