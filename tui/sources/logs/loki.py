"""Loki's query_range API polled for new lines (`[[logs]] kind = "loki"`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui.config.schema import LogConfig, LokiConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import LogBatch, LogLine
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.http import ClientSetupError, describe, make_client, trust
from tui.sources.logs.lines import guess_level, level_word
from tui.sources.probe import unreachable, url_endpoint
from tui.sources.secrets import read_secret
from tui.sources.tls import tls_line

_ORIGIN_LABELS = (
    "pod",
    "app",
    "app_kubernetes_io_name",
    "job",
    "container",
    "service_name",
    "filename",
    "instance",
    "host",
)
_LEVEL_LABELS = ("level", "detected_level", "severity", "lvl")


class LokiLogSource:
    """`GET /loki/api/v1/query_range` for the entry's LogQL query: the newest `backlog_lines`
    entries of the last `lookback_s` at the first poll, then forward from the newest entry seen
    (at most `limit` per poll; the rest comes next time)."""

    name = "logs"

    def __init__(
        self,
        loki: LokiConfig,
        cfg: LogConfig,
        clock: Clock | None = None,
        *,
        interval_s: float = 2.0,
        limit: int = 1000,
        backlog_lines: int = 200,
        lookback_s: float = 3600.0,
    ) -> None:
        self.loki = loki
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.interval_s = interval_s
        self.limit = max(1, limit)
        self.backlog_lines = max(1, backlog_lines)
        self.lookback_s = lookback_s
        self.label = cfg.name or "loki"
        self.endpoint = f"{loki.url.rstrip('/')}/loki/api/v1/query_range"
        self.host = urlsplit(loki.url).netloc or loki.url
        self._last_ns: int | None = None
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.loki.bearer_token_file:
            token, problem = read_secret(self.loki.bearer_token_file, "Loki token file")
            if problem is not None:
                raise SourceError(problem)
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _params(self) -> dict[str, str]:
        if not self.cfg.query:
            raise SourceError('a [[logs]] entry of kind "loki" needs a query')
        now_ns = _to_ns(self.clock.now())
        oldest = now_ns - int(self.lookback_s * 1e9)
        if self._last_ns is None:
            return {
                "query": self.cfg.query,
                "start": str(oldest),
                "limit": str(self.backlog_lines),
                "direction": "backward",
            }
        return {
            "query": self.cfg.query,
            "start": str(max(self._last_ns + 1, oldest)),
            "limit": str(self.limit),
            "direction": "forward",
        }

    async def probe(self) -> None:
        """The loop's cheap try while failing: one TCP connect to Loki."""
        endpoint = url_endpoint(self.loki.url)
        if endpoint is not None and (why := await unreachable(*endpoint)):
            raise SourceError(f"{why} ({self.host})")

    async def poll(self) -> LogBatch:
        headers = self._headers()
        params = self._params()
        loki = self.loki
        if self._client is None:
            try:
                verify = trust(loki.ca_file, loki.insecure, loki.client_cert, loki.client_key)
                self._client = make_client(timeout=loki.timeout_s, follow_redirects=True, verify=verify)
            except ClientSetupError as err:
                raise SourceError(str(err)) from None
        try:
            resp = await self._client.get(self.endpoint, params=params, headers=headers)
            body = resp.content
        except (httpx.HTTPError, OSError) as err:
            tls = tls_line(err, _origin_url(loki.url))  # names the url: TLS is about that server
            why = tls or describe(err, host=self.host, timeout_s=loki.timeout_s, name_host=True)
            raise SourceError(why) from err
        if resp.status_code != 200:
            raise SourceError(f"Loki HTTP {resp.status_code}: {_loki_message(body)}")
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as err:
            raise SourceError(f"{self.host} did not answer with Loki JSON") from err
        entries = _parse_streams(doc)
        if entries:
            self._last_ns = max(self._last_ns or 0, entries[-1][0])
        elif self._last_ns is None:  # nothing yet: from now on, forward from the window's start
            self._last_ns = int(params["start"]) - 1
        return LogBatch(tuple(line for _, line in entries))


def _to_ns(at: datetime) -> int:
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _from_ns(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1_000)


def _loki_message(body: bytes) -> str:
    """Loki answers a bad query with plain text ("parse error at line 1, col 7: …"); some proxies
    and newer versions with JSON."""
    text = body[:2000].decode("utf-8", errors="replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        text = str(doc.get("error") or doc.get("message") or text)
    return one_line(text.splitlines()[0] if text else "(empty answer)", 160)


def _parse_streams(doc: Any) -> list[tuple[int, LogLine]]:
    """The entries of a query_range answer, oldest first, as (ns, LogLine)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise SourceError("Loki answered without a data object")
    if doc.get("status") not in (None, "success"):
        raise SourceError(f"Loki: {one_line(str(doc.get('error') or doc.get('status')), 160)}")
    data = doc["data"]
    kind = data.get("resultType")
    if kind != "streams":
        raise SourceError(f"the Loki query returns {one_line(str(kind), 20)}, not log lines")
    result = data.get("result")
    if not isinstance(result, list):
        raise SourceError("Loki answered without a result list")
    entries: list[tuple[int, int, LogLine]] = []
    for stream in result:
        if not isinstance(stream, dict):
            continue
        given = stream.get("stream")
        labels: dict[str, Any] = given if isinstance(given, dict) else {}
        origin = _origin(labels)
        label_level = next((level_word(str(labels[k])) for k in _LEVEL_LABELS if k in labels), None)
        for value in stream.get("values") or []:
            if not isinstance(value, list) or len(value) < 2:
                continue
            try:
                ns = int(value[0])
            except (TypeError, ValueError):
                continue
            text = value[1] if isinstance(value[1], str) else str(value[1])
            level = label_level or guess_level(text)
            entries.append(
                (ns, len(entries), LogLine(at=_from_ns(ns), origin=origin, text=text, level=level))
            )
    entries.sort(key=lambda e: (e[0], e[1]))
    return [(ns, line) for ns, _, line in entries]


def _origin(labels: Mapping[str, Any]) -> str:
    for key in _ORIGIN_LABELS:
        if labels.get(key):
            return str(labels[key])
    if labels:
        return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    return "loki"


def _origin_url(url: str) -> str:
    """scheme://host:port of a URL, for messages (no path, query or credentials)."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port out of range: the request itself says so
        port = ""
    host = parts.hostname or ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"
