"""In-memory sources behind the app's own source interface, for fast UI tests. The real
adapters have their own tests against real servers (tests/sources)."""

from __future__ import annotations

from datetime import timedelta

from tests.timebase import T0
from tui.config.schema import DetectionConfig
from tui.core.model import (
    ClusterSnapshot,
    HealthSnapshot,
    LogBatch,
    LogLine,
    PodInfo,
    ServiceHealth,
    SloSnapshot,
    SloStatus,
)

# Detection with no hold: the UI tests run on a frozen clock, where a hold would never end
# (the hold itself is tested in tests/ui/test_detection.py).
AT_ONCE = DetectionConfig(hold_s=0)


class ListSource:
    """Returns the given snapshots in turn (the last one forever); an Exception item is raised."""

    def __init__(self, name: str, items: list[object], interval_s: float = 0.05) -> None:
        self.name = name
        self.items = list(items)
        self.interval_s = interval_s
        self.polls = 0
        self.closed = False

    async def poll(self) -> object:
        item = self.items[min(self.polls, len(self.items) - 1)]
        self.polls += 1
        if isinstance(item, Exception):
            raise item
        return item

    async def close(self) -> None:
        self.closed = True


def service(name: str, state: str = "UP", detail: str = "", code: int | None = 200) -> ServiceHealth:
    return ServiceHealth(
        name=name,
        state=state,  # type: ignore[arg-type]
        code=code,
        latency_ms=3.0,
        detail=detail,
        checked_at=T0,
        changed_at=T0 - timedelta(minutes=5),
        history=(("UP",) * 19) + (state,),  # type: ignore[arg-type]
        target=f"http://127.0.0.1:8080/{name}/health",
    )


def health(*services: ServiceHealth) -> HealthSnapshot:
    return HealthSnapshot(services=tuple(services))


def pod(name: str, status: str = "Running", ns: str = "lomash-wood", workload: str | None = None) -> PodInfo:
    ready = 1 if status == "Running" else 0
    return PodInfo(
        namespace=ns,
        name=name,
        workload=workload or name.rsplit("-", 2)[0],
        status=status,
        ready=ready,
        containers=1,
        restarts=7 if status == "CrashLoopBackOff" else 0,
        created_at=T0 - timedelta(hours=2),
    )


def cluster(*pods: PodInfo) -> ClusterSnapshot:
    return ClusterSnapshot(context="test", pods=tuple(pods))


def slos() -> SloSnapshot:
    return SloSnapshot(
        slos=(
            SloStatus("API availability", "ratio", 99.9, "BREACH", 0.023, "30d", -0.4, 23.0),
            SloStatus("Celery backlog", "threshold", 50, "WARN", 82.0, history=(10.0, 40.0, 82.0)),
        )
    )


def logs(*texts: str) -> LogBatch:
    return LogBatch(lines=tuple(LogLine(T0, "api-gateway-7d9f-x2k4p", t, None) for t in texts))


def standard_sources() -> dict[str, ListSource]:
    return {
        "health": ListSource(
            "health",
            [
                health(
                    service("api-gateway", "DOWN", "connection refused", None),
                    service("auth-service"),
                    service("order-payment-service", "DEGRADED", "status: degraded"),
                )
            ],
        ),
        "pods": ListSource(
            "kubernetes",
            [
                cluster(
                    pod("api-gateway-7d9f8b6c5-x2k4p", "CrashLoopBackOff"),
                    pod("auth-service-5c6d7e8f9-abcde"),
                )
            ],
        ),
        "slos": ListSource("prometheus", [slos()]),
        "logs": ListSource(
            "logs",
            [logs("GET /v1/orders 502", "\x1b]0;pwned\x07\x1b[2Jcleared [link=x]click[/link]"), LogBatch(())],
        ),
    }
