"""A Loki-shaped HTTP server on a free 127.0.0.1 port, for the Loki log source's tests.

There is no Loki to run here (Debian's `loki` package is an unrelated genetics program), so this
serves `GET /loki/api/v1/query_range` the way Loki documents it: a stream selector of `label="v"`
matchers, `start` / `end` in nanoseconds (start inclusive, end exclusive), `limit` over all
streams, `direction` forward or backward, and the answer
`{"status": "success", "data": {"resultType": "streams", "result": [{"stream": {...},
"values": [["<ns>", "<line>"], ...]}]}}`. A bad query is answered 400 with a plain-text message,
as Loki does. `answer_with` makes it misbehave on purpose; `delay_s` makes it slow.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.servers.http import Handler, HttpServer, Seen, reply

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*')


@dataclass(frozen=True, slots=True)
class Entry:
    labels: tuple[tuple[str, str], ...]
    ns: int
    line: str


def parse_selector(query: str) -> dict[str, str] | None:
    """`{app="web", env="prod"}` as a dict; None when it is not such a selector."""
    query = query.strip()
    if not (query.startswith("{") and query.endswith("}")):
        return None
    body = query[1:-1].strip()
    if not body:
        return None
    out: dict[str, str] = {}
    for part in body.split(","):
        match = _MATCHER.fullmatch(part)
        if not match:
            return None
        out[match.group(1)] = match.group(2)
    return out


class LokiServer:
    """Loki's `query_range` over `tests.servers.http.HttpServer` (which records every request)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.delay_s = 0.0
        self._answer: tuple[int, str, bytes] | None = None
        self._lock = threading.Lock()
        self._http = HttpServer({"/loki/api/v1/query_range": self._route})

    # ---- lifecycle ----
    def __enter__(self) -> LokiServer:
        self._http.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.stop()

    @property
    def url(self) -> str:
        return self._http.url("")

    @property
    def seen(self) -> list[Seen]:
        return self._http.seen

    def _route(self, handler: Handler) -> None:
        if self.delay_s:
            handler.owner.stopping.wait(self.delay_s)
        status, content_type, body = self.query_range(handler.seen.params)
        reply(status, body, content_type)(handler)

    # ---- what it holds and how it answers ----
    def push(self, labels: dict[str, str], ns: int, line: str) -> None:
        with self._lock:
            self.entries.append(Entry(tuple(sorted(labels.items())), ns, line))

    def answer_with(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        """Answer every request so from now on (until `answer_normally`)."""
        self._answer = (status, content_type, body)

    def answer_normally(self) -> None:
        self._answer = None

    def query_range(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        if self._answer is not None:
            return self._answer
        selector = parse_selector(params.get("query", ""))
        if selector is None:
            message = "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"
            return 400, "text/plain; charset=utf-8", message.encode()
        try:
            now = time.time_ns()
            end = int(params.get("end", now))
            start = int(params.get("start", end - 3600 * 10**9))
            limit = int(params.get("limit", 100))
        except ValueError as err:
            return 400, "text/plain; charset=utf-8", f"invalid parameter: {err}".encode()
        backward = params.get("direction", "backward") == "backward"
        with self._lock:
            chosen = [
                e
                for e in self.entries
                if start <= e.ns < end and all(dict(e.labels).get(k) == v for k, v in selector.items())
            ]
        chosen.sort(key=lambda e: e.ns, reverse=backward)
        chosen = chosen[:limit]
        streams: dict[tuple[tuple[str, str], ...], list[list[str]]] = {}
        for e in chosen:
            streams.setdefault(e.labels, []).append([str(e.ns), e.line])
        doc: dict[str, Any] = {
            "status": "success",
            "data": {
                "resultType": "streams",
                "result": [{"stream": dict(labels), "values": values} for labels, values in streams.items()],
                "stats": {},
            },
        }
        return 200, "application/json", json.dumps(doc).encode()
