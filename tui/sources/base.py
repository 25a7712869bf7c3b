"""The source interface every adapter (real or demo) implements."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

T_co = TypeVar("T_co", covariant=True)


class SourceError(Exception):
    """A source cycle failed. `str(err)` is one line for the panel's status: "connection refused"."""


class PollSource(Protocol[T_co]):
    """Polled by one worker; the next cycle is armed only after this one finished, so cycles never
    overlap. A blocking client runs inside `poll` via `asyncio.to_thread`, never on the loop."""

    name: str  # "health", "kubernetes", "prometheus", "logs"
    interval_s: float

    async def poll(self) -> T_co:
        """One cycle. Raises `SourceError` (one line) when the system cannot be read."""
        ...

    async def close(self) -> None:
        """Release connections. Called once, when the app stops."""
        ...


def backoff(failures: int, base: float, cap: float = 60.0) -> float:
    """Delay before the next try after `failures` consecutive failures: base, 2×, 4× … cap."""
    if failures <= 0:
        return base
    return min(cap, base * (2 ** (failures - 1)))


class ClusterControl(Protocol):
    """What the Kubernetes mitigations need from a cluster: the real adapter (kubernetes client)
    and the demo platform both implement it, so the action registry never knows which it has.
    Each call returns one line saying what happened, or raises `SourceError` (one line).

    With `dry_run=True` a call changes nothing: the system checks it (a Kubernetes server-side
    dry run, `dryRun=All`) and the line says what it *would* do, for the confirmation."""

    context: str

    # `kind`: the workload `deployment` names, "deployment" or "statefulset" (a control that has
    # only deployments refuses the others with a SourceError).
    async def rollout_restart(
        self, namespace: str, deployment: str, *, dry_run: bool = False, kind: str = "deployment"
    ) -> str: ...

    async def rollout_undo(
        self, namespace: str, deployment: str, *, dry_run: bool = False, kind: str = "deployment"
    ) -> str: ...

    async def scale(
        self,
        namespace: str,
        deployment: str,
        replicas: int,
        *,
        dry_run: bool = False,
        kind: str = "deployment",
    ) -> str: ...

    async def delete_pod(self, namespace: str, pod: str, *, dry_run: bool = False) -> str: ...


class WorkloadReader(Protocol):
    """A control that can also read a workload (raw JSON), so a rollout it set going can be
    followed to its end (the real adapter; the demo's world shows its rollouts itself)."""

    async def read_workload(
        self, namespace: str, name: str, *, kind: str = "deployment"
    ) -> dict[str, Any]: ...
