"""Several `[[logs]]` entries merged into the one Logs panel, in time order."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tui.core.clock import Clock, SystemClock
from tui.core.model import LogBatch, LogLine
from tui.core.untrusted import one_line
from tui.sources.base import PollSource, SourceError

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
