"""Container logs as the kubelet would serve them through `pods/{name}/log`: per pod and
container, the current run's and the previous (terminated) run's, each line with the time it was
written (for `timestamps=true` and `sinceSeconds`). `append` wakes the followers (`follow=true`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime

Line = tuple[datetime, str]
LogKey = tuple[str, str, str, bool]  # namespace, pod, container, previous


def rfc3339_nano(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


class Logs:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self._lines: dict[LogKey, list[Line]] = {}

    def set(
        self,
        namespace: str,
        pod: str,
        container: str,
        lines: Iterable[str],
        *,
        previous: bool = False,
        at: datetime | None = None,
    ) -> None:
        """Replace a container's log (`previous`: the last terminated run's)."""
        stamp = at or datetime.now(UTC)
        with self.cond:
            self._lines[(namespace, pod, container, previous)] = [(stamp, line) for line in lines]
            self.cond.notify_all()

    def append(self, namespace: str, pod: str, container: str, *lines: str) -> None:
        """Add lines to the current run's log; a follower gets them at once."""
        stamp = datetime.now(UTC)
        with self.cond:
            self._lines.setdefault((namespace, pod, container, False), []).extend(
                (stamp, line) for line in lines
            )
            self.cond.notify_all()

    def has(self, key: LogKey) -> bool:
        with self.cond:
            return key in self._lines

    def lines(self, key: LogKey) -> list[Line]:
        with self.cond:
            return list(self._lines.get(key, ()))

    def forget(self, namespace: str, pod: str) -> None:
        with self.cond:
            for key in [k for k in self._lines if k[:2] == (namespace, pod)]:
                del self._lines[key]
            self.cond.notify_all()
