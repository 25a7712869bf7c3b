"""The log tail: a file (`tail -F`), Loki, and the merge of several `[[logs]]` entries into the one
Logs panel. (Pod logs are `tui.sources.kubernetes.logs.KubernetesLogSource`.)

Text stays raw here, escape codes included: `tui.core.untrusted` cleans it in the panel. What this
module bounds is memory and work: a file is read at most `max_bytes_per_poll` per cycle, a line is
kept to `max_line_bytes`, and nothing ever reads a whole file.
"""

from __future__ import annotations

import asyncio
import errno
import heapq
import json
import os
import re
import ssl
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx

from tui.config import LogConfig, LokiConfig
from tui.core.clock import Clock, SystemClock
from tui.core.model import LogBatch, LogLine
from tui.core.untrusted import one_line
from tui.sources.base import PollSource, SourceError
from tui.sources.probe import unreachable, url_endpoint
from tui.sources.tls import chain, tls_line

# ---- levels -------------------------------------------------------------------------------------

_SCAN = 400  # a level is announced near the start of a line; a 5 MB line is not scanned whole

_LEVELS: dict[str, str] = {
    **dict.fromkeys(
        (
            "error",
            "err",
            "eror",
            "fatal",
            "ftl",
            "panic",
            "dpanic",
            "crit",
            "critical",
            "alert",
            "emerg",
            "emergency",
            "severe",
        ),
        "error",
    ),
    **dict.fromkeys(("warn", "warning", "wrn"), "warn"),
    **dict.fromkeys(("info", "inf", "information", "informational", "notice"), "info"),
    **dict.fromkeys(("debug", "dbg", "trace", "trc", "verbose", "fine"), "debug"),
}
# pino / bunyan numeric levels
_NUMERIC = {10: "debug", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "error"}

# level=error, lvl=warn, severity=ERROR, "level":"error", "severity": "WARNING", level: info
_KEYED = re.compile(
    r"""["']?\b(?:level|lvl|severity|loglevel|log_level|levelname|log\.level|detected_level)["']?"""
    r"""\s*[=:]\s*["']?([A-Za-z]+|\d\d)\b""",
    re.IGNORECASE,
)
# klog: E1123 10:00:00.123456 ... (I info, W warning, E error, F fatal)
_KLOG = re.compile(r"^\s*([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s")
_KLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "error"}
# [ERROR], [warn], <error>, (INFO)
_BRACKETED = re.compile(r"[\[<(]\s*([A-Za-z]+)\s*[\]>)]")
# An upper-case level word anywhere near the start (Python logging's "ERROR:root:", log4j's
# "2024-05-01 10:00:00 WARN [main]", zerolog's "ERR"), or any-case one followed by a colon
# ("error: cannot open", "Warning: deprecated"); whichever comes first.
_WORD = re.compile(
    r"\b(?:(ERROR|ERR|FATAL|FTL|PANIC|CRITICAL|CRIT|SEVERE|EMERG|WARN|WARNING|WRN|INFO|INF|NOTICE"
    r"|DEBUG|DBG|TRACE|TRC)\b|(?i:(error|warning|warn|fatal|panic|critical|info|debug))\s*:)"
)
# Last resort: a crash, whatever the shape of the line.
_CRASH = re.compile(
    r"(?i:\b(?:panic|fatal|traceback)\b)|\b[A-Z]\w*(?:Error|Exception)\b:|\bnpm ERR!", re.ASCII
)


_COLOURS = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # "\x1b[31mERROR\x1b[0m" is still ERROR


def _level_word(word: str) -> str | None:
    if word.isdigit():
        return _NUMERIC.get(int(word))
    return _LEVELS.get(word.lower())


def guess_level(text: str) -> str | None:
    """ "error" | "warn" | "info" | "debug" from the common shapes of a log line, or None.

    Structured fields win over words in the message: `level=info msg="recovered from panic"` is
    info. Only the start of a line is looked at.
    """
    head = _COLOURS.sub("", text[:_SCAN])
    for match in _KEYED.finditer(head):
        level = _level_word(match.group(1))
        if level:
            return level
    klog = _KLOG.match(head)
    if klog:
        return _KLOG_LEVELS[klog.group(1)]
    for match in _BRACKETED.finditer(head):
        level = _LEVELS.get(match.group(1).lower())
        if level:
            return level
    word = _WORD.search(head)
    if word:
        return _LEVELS[(word.group(1) or word.group(2)).lower()]
    if _CRASH.search(head):
        return "error"
    return None


# ---- timestamps ---------------------------------------------------------------------------------

# A leading RFC 3339 / ISO 8601 timestamp that names its zone; one without a zone is local time
# of some unknown host, so it is not trusted.
_LEADING_TIME = re.compile(
    r"^\s*\[?(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d{1,9}))?\s?(Z|[+-]\d\d:?\d\d)(?=[\s\]]|$)"
)


def leading_time(text: str) -> datetime | None:
    match = _LEADING_TIME.match(text[:64])
    if not match:
        return None
    day, clock, frac, zone = match.groups()
    zone = "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    micro = f".{(frac or '0')[:6]}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}{micro}{zone}").astimezone(UTC)
    except ValueError:
        return None


# ---- a file -------------------------------------------------------------------------------------

MAX_LINE_BYTES = 16 * 1024
PARTIAL_POLLS = 3  # a last line without its newline is shown after this many polls without news


class _Lines:
    """Splits a byte stream into lines, holding at most `max_line` bytes of the line being read:
    the rest of a longer line is counted, not kept."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self.head = bytearray()
        self.extra = 0  # bytes of the current line beyond `head`, dropped
        self.skip = False  # discard up to the next newline: its start was shown, or never seen
        self.idle = 0  # polls in a row without bytes while a partial line is held

    def reset(self) -> None:
        self.head.clear()
        self.extra = 0
        self.skip = False
        self.idle = 0

    def feed(self, data: bytes) -> list[tuple[bytes, int]]:
        out: list[tuple[bytes, int]] = []
        if data:
            self.idle = 0
        start, size = 0, len(data)
        while start < size:
            nl = data.find(b"\n", start)
            end = size if nl < 0 else nl
            if self.skip:
                if nl >= 0:
                    self.skip = False
            else:
                take = max(0, min(self.max_line - len(self.head), end - start))
                if take:
                    self.head += data[start : start + take]
                self.extra += end - start - take
                if nl >= 0:
                    out.append((bytes(self.head), self.extra))
                    self.head.clear()
                    self.extra = 0
            if nl < 0:
                break
            start = nl + 1
        return out

    @property
    def holding(self) -> bool:
        return bool(self.head) or self.extra > 0

    def idle_poll(self) -> list[tuple[bytes, int]]:
        """A poll that brought nothing: after a few, the held partial line is shown as it is."""
        if not self.holding:
            return []
        self.idle += 1
        if self.idle < PARTIAL_POLLS:
            return []
        return self.flush()

    def flush(self) -> list[tuple[bytes, int]]:
        if not self.holding:
            return []
        line = (bytes(self.head), self.extra)
        # A cut line's remainder is still to come: it is skipped, not shown as a line of its own.
        self.skip = self.extra > 0
        self.head.clear()
        self.extra = 0
        self.idle = 0
        return [line]


def _decode(raw: bytes, extra: int) -> str:
    text = raw.decode("utf-8", errors="replace")
    if text.endswith("\r"):
        text = text[:-1]
    return f"{text}… [+{extra} bytes]" if extra else text


class FileLogSource:
    """`tail -F` of one file: the last `backlog_lines` lines at the first poll (read from the end),
    then what was appended, at most `max_bytes_per_poll` per poll. A truncated file is read again
    from its start; a rotated one (a new inode at the path) is read to its end first, then the new
    file from its start. A missing file is a SourceError until it appears.

    A line's time is the timestamp it starts with when that names its zone, else the time it was
    read (None for the backlog, whose time is unknown)."""

    name = "logs"

    def __init__(
        self,
        cfg: LogConfig,
        clock: Clock | None = None,
        *,
        interval_s: float = 1.0,
        max_bytes_per_poll: int = 256 * 1024,
        backlog_lines: int = 200,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.interval_s = interval_s
        self.max_bytes_per_poll = max(1, max_bytes_per_poll)
        self.backlog_lines = max(0, backlog_lines)
        self.shown_path = cfg.path or ""
        self.path = os.path.expanduser(cfg.path) if cfg.path else ""
        self.label = cfg.name or os.path.basename(self.path) or "file"
        self._fh: BinaryIO | None = None
        self._ident: tuple[int, int] | None = None
        self._offset = 0  # where the next read starts in `_fh`
        self._first = True  # the backlog is read only if the file is there at the first poll
        self._lines = _Lines(max(1, max_line_bytes))

    async def poll(self) -> LogBatch:
        return await asyncio.to_thread(self._read)

    async def close(self) -> None:
        self._close_file()

    def _close_file(self) -> None:
        fh, self._fh = self._fh, None
        self._ident = None
        self._offset = 0
        self._lines.reset()
        if fh is not None:
            fh.close()

    def _error(self, err: OSError) -> SourceError:
        reason = "No such file" if isinstance(err, FileNotFoundError) else (err.strerror or str(err))
        return SourceError(f"{one_line(self.shown_path, 120)}: {reason}")

    def _read(self) -> LogBatch:
        if not self.path:
            raise SourceError('a [[logs]] entry of kind "file" needs a path')
        budget = self.max_bytes_per_poll
        out: list[LogLine] = []
        try:
            st: os.stat_result | None = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as err:
            raise self._error(err) from err
        if self._fh is not None and (st is None or (st.st_dev, st.st_ino) != self._ident):
            # Rotated (or removed): what the old file still holds comes first, then the new one.
            read = self._read_more(budget, out)
            budget -= read
            if read and budget <= 0:
                return LogBatch(tuple(out))
            self._emit(self._lines.flush(), out)
            self._close_file()
        if st is None:
            self._first = False
            if out:
                return LogBatch(tuple(out))
            raise SourceError(f"{one_line(self.shown_path, 120)}: No such file")
        if self._fh is None:
            try:
                self._open(st)
            except OSError as err:  # unreadable now: the backlog still applies once it is readable
                raise self._error(err) from err
            if self._first:
                self._first = False
                self._read_backlog(out)
                return LogBatch(tuple(out))
        self._first = False
        self._read_more(budget, out)
        return LogBatch(tuple(out))

    def _open(self, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):  # a directory, or a FIFO whose open would block
            raise OSError(errno.EINVAL, "not a regular file")
        fh = open(self.path, "rb")  # held open across polls, like tail -F
        try:
            st = os.fstat(fh.fileno())
        except BaseException:
            fh.close()
            raise
        self._fh, self._ident, self._offset = fh, (st.st_dev, st.st_ino), 0
        self._lines.reset()

    def _read_backlog(self, out: list[LogLine]) -> None:
        """The last `backlog_lines` lines, found by reading back from the end at most
        `max_bytes_per_poll` bytes (fewer lines when they are long)."""
        assert self._fh is not None
        size = os.fstat(self._fh.fileno()).st_size
        window = min(size, self.max_bytes_per_poll)
        self._fh.seek(size - window)
        data = self._fh.read(window)
        self._offset = size - window + len(data)
        end = len(data) - 1 if data.endswith(b"\n") else len(data)
        pos, found = end, 0
        while found < self.backlog_lines:
            nl = data.rfind(b"\n", 0, pos)
            if nl < 0:
                break
            pos, found = nl, found + 1
        if found == self.backlog_lines and self.backlog_lines > 0:
            start = pos + 1
        elif self.backlog_lines == 0:
            start = len(data)
            self._lines.skip = bool(data) and not data.endswith(b"\n")  # joined mid-line
        elif window == size:
            start = 0  # the whole file is shorter than the backlog
        elif found:
            start = pos + 1  # the window began inside a line: that fragment is not shown
        else:
            start = len(data)  # the window is all one (long) line: skip to its end
            self._lines.skip = True
        self._emit(self._lines.feed(data[start:]), out, backlog=True)

    def _read_more(self, budget: int, out: list[LogLine]) -> int:
        """Read at most `budget` new bytes; returns how many were read."""
        assert self._fh is not None
        size = os.fstat(self._fh.fileno()).st_size
        if size < self._offset:  # truncated (copytruncate, `> file`): start again
            self._offset = 0
            self._lines.reset()
        want = min(budget, size - self._offset)
        data = b""
        if want > 0:
            self._fh.seek(self._offset)
            data = self._fh.read(want)
            self._offset += len(data)
        if data:
            self._emit(self._lines.feed(data), out)
        else:
            self._emit(self._lines.idle_poll(), out)
        return len(data)

    def _emit(self, lines: list[tuple[bytes, int]], out: list[LogLine], *, backlog: bool = False) -> None:
        now = None if backlog else self.clock.now()
        for raw, extra in lines:
            text = _decode(raw, extra)
            out.append(
                LogLine(at=leading_time(text) or now, origin=self.label, text=text, level=guess_level(text))
            )


# ---- Loki ---------------------------------------------------------------------------------------

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
            path = os.path.expanduser(self.loki.bearer_token_file)
            try:
                with open(path, encoding="utf-8") as fh:
                    token = fh.read().strip()
            except OSError as err:
                reason = "No such file" if isinstance(err, FileNotFoundError) else (err.strerror or str(err))
                raise SourceError(
                    f"Loki token file {one_line(self.loki.bearer_token_file, 120)}: {reason}"
                ) from err
            except UnicodeDecodeError as err:
                raise SourceError(
                    f"Loki token file {one_line(self.loki.bearer_token_file, 120)}: not text"
                ) from err
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _verify(self) -> ssl.SSLContext | bool:
        """The TLS trust of `ca_file` / `insecure`, as the Prometheus source has it."""
        if self.loki.insecure:
            return False
        if not self.loki.ca_file:
            return True
        try:
            return ssl.create_default_context(cafile=str(Path(self.loki.ca_file).expanduser()))
        except (OSError, ssl.SSLError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise SourceError(f"cannot read ca_file {one_line(self.loki.ca_file, 120)}: {reason}") from None

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
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.loki.timeout_s, follow_redirects=True, verify=self._verify()
            )
        try:
            resp = await self._client.get(self.endpoint, params=params, headers=headers)
            body = resp.content
        except httpx.TimeoutException as err:
            raise SourceError(f"no answer from {self.host} in {self.loki.timeout_s:g} s") from err
        except (httpx.HTTPError, OSError) as err:
            raise SourceError(_describe_connect(err, self.host, _origin_url(self.loki.url))) from err
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
        label_level = next((_LEVELS.get(str(labels[k]).lower()) for k in _LEVEL_LABELS if k in labels), None)
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


def _describe_connect(err: BaseException, host: str, url: str) -> str:
    tls = tls_line(err, url)
    if tls:
        return tls
    if any(isinstance(e, ConnectionRefusedError) for e in chain(err)) or "refused" in str(err).lower():
        return f"connection refused ({host})"
    return f"cannot reach {host}: {one_line(str(err) or type(err).__name__, 120)}"


def _origin_url(url: str) -> str:
    """scheme://host:port of a URL, for messages (no path, query or credentials)."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port out of range: the request itself says so
        port = ""
    host = parts.hostname or ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"


# ---- several entries, one panel -----------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _Part:
    source: PollSource[LogBatch]
    label: str
    failing: str | None = None  # the error of the current run of failures


class MergedLogSource:
    """Polls every part each cycle. A failing part does not stop the others: its error becomes one
    line from "warroom" when it starts failing and another when it recovers; only when all parts
    fail does the merged poll fail. Lines are interleaved by time, each part's order kept."""

    name = "logs"

    def __init__(self, sources: Sequence[PollSource[LogBatch]], *, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._parts = [
            _Part(src, str(getattr(src, "label", None) or f"{src.name} #{i + 1}"))
            for i, src in enumerate(sources)
        ]
        self.interval_s: float = min((s.interval_s for s in sources), default=1.0)
        self._notices: list[LogLine] = []  # kept until a poll succeeds

    async def _poll_part(self, part: _Part) -> LogBatch | str:
        try:
            return await part.source.poll()
        except Exception as err:  # one part's surprise must not cost the others
            text = str(err) if isinstance(err, SourceError) else f"{type(err).__name__}: {err}"
            return one_line(text or type(err).__name__, 200)

    async def probe(self) -> None:
        """Passes when any part may answer: one without a probe (a file), or one whose probe
        passes; else the parts' reasons, as a failed poll gives them."""
        found = [(part, getattr(part.source, "probe", None)) for part in self._parts]
        probes = [(part, fn) for part, fn in found if fn is not None]
        if not probes or len(probes) < len(found):
            return
        results = await asyncio.gather(*(fn() for _, fn in probes), return_exceptions=True)
        if any(r is None for r in results):
            return
        if len(results) == 1:
            raise SourceError(one_line(str(results[0]) or type(results[0]).__name__, 200))
        reasons = (f"{part.label}: {r}" for (part, _), r in zip(probes, results, strict=True))
        raise SourceError(one_line("; ".join(reasons), 200))

    async def poll(self) -> LogBatch:
        if not self._parts:
            return LogBatch(())
        results = await asyncio.gather(*(self._poll_part(p) for p in self._parts))
        now = self.clock.now()
        batches: list[LogBatch] = []
        for part, result in zip(self._parts, results, strict=True):
            if isinstance(result, str):
                if part.failing is None:
                    self._notices.append(LogLine(now, "warroom", f"{part.label}: {result}", "warn"))
                part.failing = result
                continue
            if part.failing is not None:
                self._notices.append(LogLine(now, "warroom", f"{part.label}: reading again", "info"))
                part.failing = None
            batches.append(result)
        if not batches:
            failures = [p for p in self._parts if p.failing]
            if len(failures) == 1:
                raise SourceError(failures[0].failing or "failed")
            raise SourceError(one_line("; ".join(f"{p.label}: {p.failing}" for p in failures), 200))
        notices, self._notices = self._notices, []
        streams = [b.lines for b in batches]
        if notices:
            streams.append(tuple(notices))
        lines = tuple(line for _, _, line in heapq.merge(*(_keyed(s, i) for i, s in enumerate(streams))))
        return LogBatch(lines, dropped=sum(b.dropped for b in batches))

    async def close(self) -> None:
        await asyncio.gather(*(p.source.close() for p in self._parts), return_exceptions=True)


def _keyed(lines: Sequence[LogLine], index: int) -> Iterator[tuple[datetime, int, LogLine]]:
    """Each line with a sort key that never goes back within its part: a line without a time
    takes the time of the line before it, so a part's own order is kept."""
    key = _EPOCH
    for line in lines:
        if line.at is not None and line.at > key:
            key = line.at
        yield key, index, line
