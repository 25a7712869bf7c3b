"""Prometheus: the SLO panel's numbers, from instant queries against `/api/v1/query`.

httpx's AsyncClient talks to Prometheus on the event loop (no threads). A ratio SLO is one
PromQL expression with `{{window}}` placeholders, queried once per window it needs: the SLO
window (budget left) and the windows of the multiwindow burn-rate rules (`tui.domain.slo`). All queries
of one poll run concurrently, identical ones once, and the whole poll is bounded by
`timeout_s`, so a server that accepts and never answers cannot hold the panel.

Failures are split in two: a query Prometheus rejects (HTTP 400/422 with its error JSON) makes
only that SLO UNKNOWN with the error as its detail; anything that says the server itself cannot
be read (refused, timeout, 401, 5xx, a body that is not Prometheus JSON, TLS) raises
`SourceError`, and the panel goes stale.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from tui.config.schema import PrometheusConfig, SloConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import SloSnapshot, SloStatus
from tui.core.untrusted import one_line
from tui.domain.slo import parse_duration, rule_windows
from tui.domain.slo_verdict import DEFAULT_WINDOW, Sample, judge_ratio, judge_threshold
from tui.sources.base import SourceError
from tui.sources.http import ClientSetupError, describe, make_client, trust
from tui.sources.probe import unreachable, url_endpoint
from tui.sources.secrets import read_secret

HISTORY = 10  # values kept per SLO for the sparkline
MAX_CONCURRENT = 8  # queries in flight at once; Prometheus evaluates each on its own goroutine
_API = "api/v1/query"  # relative, so a url with a path prefix (https://host/prometheus) works
_GET_LIMIT = 3000  # longer queries go as a POST form (proxies cap URL length)
_WINDOW = re.compile(r"\{\{\s*window\s*\}\}")
_DETAIL_MAX = 300


def expand(expr: str, window: str) -> str:
    """The PromQL of `expr` with every `{{window}}` (spaces allowed inside) set to `window`."""
    return _WINDOW.sub(window, expr)


def _line(text: str) -> str:
    """One line, bounded; still raw (the panels clean outside text)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _DETAIL_MAX else flat[: _DETAIL_MAX - 1] + "…"


# ---- one query ---------------------------------------------------------------------------------


def _finite(raw: object) -> float | None:
    """A sample value (Prometheus sends strings: "0.5", "NaN", "+Inf") as a finite float or None:
    0/0 is NaN and x/0 is Inf, and both mean "no data to judge by", not a number to show."""
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse_result(body: Mapping[str, Any]) -> Sample:
    """The `data` of a successful query as a Sample. Several series give the highest value
    (higher is worse for both error ratios and the gauges), so an SLO never looks better than its
    worst series. Raises ValueError when the shape is not Prometheus's."""
    data = body["data"]
    kind = data["resultType"]
    result = data["result"]
    if kind == "scalar":
        return Sample(_finite(result[1]), 1)
    if kind == "vector":
        values = [_finite(series["value"][1]) for series in result]
        known = [v for v in values if v is not None]
        return Sample(max(known) if known else None, len(result))
    if kind == "matrix":
        return Sample(error="the query returns a range vector; drop the [range] or wrap it in rate()")
    if kind == "string":
        return Sample(error="the query returns a string, not a number")
    raise ValueError(f"unknown resultType {kind!r}")


# ---- the source --------------------------------------------------------------------------------


def _host(url: str) -> str:
    """host:port of the url for messages (the url itself when it cannot be parsed)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # "http://[bad", a port out of range: reported when the poll runs
        return url
    if not host:
        return url
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def _read_secret(path: str, what: str) -> str:
    secret, problem = read_secret(path, what, word=what == "bearer_token_file")
    if problem is not None:
        raise SourceError(problem)
    return secret


class SloSource:
    """`PollSource[SloSnapshot]` for the `[[slos]]` of the config."""

    name = "prometheus"

    def __init__(self, cfg: PrometheusConfig, slos: Sequence[SloConfig], clock: Clock | None = None) -> None:
        self.cfg = cfg
        self.slos = tuple(slos)
        self.interval_s = cfg.interval_s
        # Queries carry no `time`: Prometheus evaluates at its own now, so a bastion whose clock
        # is off cannot shift the windows. The clock is kept for the interface.
        self.clock = clock or SystemClock()
        self.host = _host(cfg.url)
        self._history: dict[str, deque[float]] = {}
        self._client: httpx.AsyncClient | None = None

    # -- HTTP --

    def _make_client(self) -> httpx.AsyncClient:
        cfg = self.cfg
        try:
            return make_client(
                base_url=cfg.url,
                verify=trust(cfg.ca_file, cfg.insecure, cfg.client_cert, cfg.client_key),
                timeout=httpx.Timeout(cfg.timeout_s, connect=min(1.0, cfg.timeout_s)),
                limits=httpx.Limits(max_connections=MAX_CONCURRENT),
            )
        except ClientSetupError as err:
            raise SourceError(self._say(str(err))) from None

    def _auth(self) -> tuple[dict[str, str], httpx.Auth | None]:
        """Headers and auth, read on every poll so a rotated token file is picked up."""
        headers = {"Accept": "application/json"}
        if self.cfg.bearer_token_file:
            token = _read_secret(self.cfg.bearer_token_file, "bearer_token_file")
            headers["Authorization"] = f"Bearer {token}"
            return headers, None
        if self.cfg.username is not None:
            password = _read_secret(self.cfg.password_file, "password_file") if self.cfg.password_file else ""
            return headers, httpx.BasicAuth(self.cfg.username, password)
        return headers, None

    async def _query(
        self, client: httpx.AsyncClient, query: str, headers: dict[str, str], auth: httpx.Auth | None
    ) -> Sample:
        use_auth = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        try:
            if len(query) <= _GET_LIMIT:
                resp = await client.get(_API, params={"query": query}, headers=headers, auth=use_auth)
            else:
                resp = await client.post(_API, data={"query": query}, headers=headers, auth=use_auth)
        except httpx.InvalidURL as err:
            raise SourceError(self._say(f"bad url: {one_line(str(err), 100)}")) from None
        except httpx.HTTPError as err:
            raise SourceError(self._say(describe(err, timeout_s=self.cfg.timeout_s))) from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        is_prom = isinstance(body, dict) and "status" in body
        if resp.status_code in (400, 422) and is_prom and body.get("status") == "error":
            # Prometheus rejected this query (bad_data: a parse error; execution: e.g. too many
            # samples); the server itself is fine, so only this SLO is affected.
            return Sample(error=_line(str(body.get("error") or body.get("errorType") or "bad query")))
        if resp.status_code != 200:
            reason = resp.reason_phrase or ""
            hint = " (check the credentials)" if resp.status_code in (401, 403) else ""
            message = body.get("error") if is_prom and body.get("error") else reason
            raise SourceError(self._say(one_line(f"HTTP {resp.status_code} {message}".strip(), 120) + hint))
        if not is_prom:
            raise SourceError(self._say("the answer is not Prometheus JSON (is the url right?)"))
        if body.get("status") != "success":
            return Sample(error=_line(str(body.get("error") or "query failed")))
        try:
            return parse_result(body)
        except (KeyError, IndexError, TypeError, ValueError):
            raise SourceError(self._say("the answer is not Prometheus JSON (unexpected shape)")) from None

    def _say(self, problem: str) -> str:
        return f"Prometheus {self.host}: {problem}"

    async def _run(self, queries: Iterable[str]) -> dict[str, Sample]:
        """Every distinct query once, concurrently; the first transport failure ends the poll."""
        if self._client is None:
            self._client = self._make_client()
        client = self._client
        headers, auth = self._auth()
        unique = list(dict.fromkeys(queries))
        gate = asyncio.Semaphore(MAX_CONCURRENT)

        async def one(query: str) -> Sample:
            async with gate:
                return await self._query(client, query, headers, auth)

        try:
            async with asyncio.timeout(self.cfg.timeout_s), asyncio.TaskGroup() as group:
                tasks = {q: group.create_task(one(q)) for q in unique}
        except* SourceError as errors:
            raise errors.exceptions[0] from None
        except* TimeoutError:
            raise SourceError(self._say(describe(TimeoutError(), timeout_s=self.cfg.timeout_s))) from None
        return {q: task.result() for q, task in tasks.items()}

    # -- the poll --

    async def probe(self) -> None:
        """The loop's cheap try while failing: one TCP connect to the server."""
        endpoint = url_endpoint(self.cfg.url)
        if endpoint is not None and (why := await unreachable(*endpoint)):
            raise SourceError(self._say(why))

    async def poll(self) -> SloSnapshot:
        plans = [_plan(slo) for slo in self.slos]
        results = await self._run(q for plan in plans for q in plan.queries.values())
        statuses = []
        for plan in plans:
            status = plan.judge({w: results[q] for w, q in plan.queries.items()})
            statuses.append(self._with_history(status))
        return SloSnapshot(tuple(statuses))

    def _with_history(self, status: SloStatus) -> SloStatus:
        seen = self._history.setdefault(status.name, deque(maxlen=HISTORY))
        if status.value is not None:
            seen.append(status.value)
        return replace(status, history=tuple(seen))

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


# ---- judging one SLO ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """The queries one SLO needs (window or "value" -> PromQL) and how to judge their answers."""

    slo: SloConfig
    queries: Mapping[str, str]
    period: timedelta | None = None
    problem: str | None = None  # a config problem: the SLO is UNKNOWN without querying

    def judge(self, samples: Mapping[str, Sample]) -> SloStatus:
        slo = self.slo
        if self.problem is not None:
            return _unknown(slo, self.problem)
        errors = [s.error for s in samples.values() if s.error]
        if errors:
            return _unknown(slo, errors[0])
        if slo.error_ratio is None:
            return judge_threshold(slo, samples["value"])
        assert self.period is not None
        return judge_ratio(slo, self.period, {w: s.value for w, s in samples.items()})


def _unknown(slo: SloConfig, detail: str) -> SloStatus:
    kind: Literal["ratio", "threshold"] = "ratio" if slo.error_ratio is not None else "threshold"
    window = (slo.window or DEFAULT_WINDOW) if kind == "ratio" else None
    unit = slo.unit or ""
    return SloStatus(slo.name, kind, slo.objective, "UNKNOWN", None, window=window, detail=detail, unit=unit)


def _plan(slo: SloConfig) -> _Plan:
    if slo.error_ratio is not None:
        window = slo.window or DEFAULT_WINDOW
        try:
            period = parse_duration(window)
        except ValueError as err:
            return _Plan(slo, {}, problem=f"bad window: {err}")
        if not _WINDOW.search(slo.error_ratio):
            # Without a placeholder every window would be the same query: only budget is known.
            return _Plan(slo, {window: slo.error_ratio}, period)
        windows = dict.fromkeys((window, *rule_windows(period)))
        return _Plan(slo, {w: expand(slo.error_ratio, w) for w in windows}, period)
    if slo.query is not None:
        return _Plan(slo, {"value": slo.query})
    return _Plan(slo, {}, problem="no query: set error_ratio (with window) or query")
