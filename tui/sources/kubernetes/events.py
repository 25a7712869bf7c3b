"""core/v1 Events, watched like the pods (one reflector per scope), in a bounded cache: events
churn (a crash-looping pod reports BackOff every few seconds, a rollout a dozen events per pod),
so only the newest EVENTS_PER_NAMESPACE of each namespace are kept.

`event_info` reads one as `kubectl get events` prints it: its LAST SEEN is lastTimestamp, else the
series' lastObservedTime, else eventTime (events.k8s.io/v1 writers leave lastTimestamp empty);
its COUNT is count, else the series' count, else 1. Pure but for the reflector's thread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.core.model import KubeEvent
from tui.sources.kubernetes.status import parse_time
from tui.sources.kubernetes.watch import Reflector

EVENTS_PER_NAMESPACE = 200
# The pruning runs once the cache has grown this much past what it kept last time (a fraction of
# it, at least a few events): sorting a namespace's events at every new one would cost more than
# the watch itself.
PRUNE_SLACK = 0.25
PRUNE_MIN = 32


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict else {}


def _str(value: Any) -> str:
    return value if type(value) is str else ""


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def event_info(ev: Mapping[str, Any]) -> KubeEvent:
    meta = _mapping(ev.get("metadata"))
    involved = _mapping(ev.get("involvedObject")) or _mapping(ev.get("regarding"))
    series = _mapping(ev.get("series"))
    source = _mapping(ev.get("source"))
    last = (
        parse_time(ev.get("lastTimestamp"))
        or parse_time(series.get("lastObservedTime"))
        or parse_time(ev.get("eventTime"))
        or parse_time(ev.get("firstTimestamp"))
        or parse_time(meta.get("creationTimestamp"))
    )
    first = parse_time(ev.get("firstTimestamp")) or parse_time(ev.get("eventTime"))
    count = _int(ev.get("count")) or _int(series.get("count")) or 1
    return KubeEvent(
        namespace=_str(meta.get("namespace")) or _str(involved.get("namespace")),
        name=_str(meta.get("name")),
        kind=_str(involved.get("kind")),
        object=_str(involved.get("name")),
        reason=_str(ev.get("reason")),
        message=_str(ev.get("message")) or _str(ev.get("note")),
        type=_str(ev.get("type")) or "Normal",
        count=count,
        last_at=last,
        first_at=first,
        component=_str(source.get("component")) or _str(ev.get("reportingComponent")),
    )


def _last_s(ev: KubeEvent) -> float:
    return ev.last_at.timestamp() if ev.last_at is not None else 0.0


class EventReflector(Reflector[KubeEvent]):
    """A reflector whose cache keeps only the newest `keep` events of each namespace. An event
    let go comes back if the server sends it again (it happened again: it is new)."""

    def __init__(self, *args: Any, keep: int = EVENTS_PER_NAMESPACE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep = keep
        self._prune_at = keep + PRUNE_MIN
        self.pruned = 0  # events let go so far (for tests and measurements)

    def _list(self) -> None:
        super()._list()
        self._bound(force=True)

    def _event(self, event: Any) -> None:
        super()._event(event)
        if len(self.items) > self._prune_at:
            self._bound()

    def _bound(self, force: bool = False) -> None:
        with self._changed:
            items = self.items
            if not force and len(items) <= self._prune_at:
                return
            by_namespace: dict[str, list[tuple[float, str]]] = {}
            for key, ev in items.items():
                by_namespace.setdefault(ev.namespace, []).append((_last_s(ev), key))
            drop: list[str] = []
            for found in by_namespace.values():
                if len(found) > self.keep:
                    found.sort(reverse=True)
                    drop.extend(key for _, key in found[self.keep :])
            for key in drop:
                del items[key]
                self._versions.pop(key, None)
            if drop:
                self.pruned += len(drop)
                self.version += 1
            self._prune_at = len(items) + max(PRUNE_MIN, int(len(items) * PRUNE_SLACK))
