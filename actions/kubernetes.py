"""The Kubernetes mitigations of the runbooks (rollout restart, rollout undo, scale, delete pod)
as actions over any `ClusterControl`: the real adapter and the demo platform alike, so the
registry never knows which it has.

The preview is the kubectl line that does the same thing, so the confirmation says what will
happen in the words of the runbooks. The rollout actions act on the selection's workload, a
deployment or a statefulset (`kubectl rollout restart statefulset/redis`).

A restart, undo or scale sets a rollout going: with a control that can read the workload back
(the real adapter), the run hands the dispatcher a `Follow` that watches the one workload (a
list and watch with fieldSelector metadata.name=X, as kubectl does; a control that can only
read it is read every `follow_poll_s`) and decides as `kubectl rollout status` does
(tui.sources.kubernetes.rollout):
complete, or stalled (the deployment controller's ProgressDeadlineExceeded, or warroom's own
bound: no progress in the deployment's progressDeadlineSeconds and a margin, or STALL_S for a
statefulset, which has no deadline; never longer than FOLLOW_MAX_S).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Protocol, cast

from actions.output import Output
from actions.registry import Action, DryRun, Follow, FollowEnd, Run, RunResult, Target
from tui.core.confirm import Field
from tui.core.model import RevisionInfo
from tui.sources.base import ClusterControl, SourceError, WorkloadReader
from tui.sources.kubernetes.rollout import PROGRESS_DEADLINE_EXCEEDED, RolloutStatus, rollout_status

DEFAULT_TIMEOUT_S = 30.0
# A typo guard ("30" for "3"): scaling beyond it is for kubectl, deliberately.
SCALE_MAX_FLOOR = 100
SCALE_MAX_FACTOR = 4
FOLLOW_POLL_S = 1.0  # one GET of one object a second while a rollout is followed
DEADLINE_MARGIN_S = 30.0  # past a deployment's progressDeadlineSeconds, its controller should have said
STALL_S = 600.0  # a statefulset with no progress this long has stalled (a deployment's default deadline)
FOLLOW_MAX_S = 3600.0  # warroom follows no rollout longer than this


class WorkloadWatcher(Protocol):
    """A control that can also watch one workload (the real adapter): its versions come as
    they are written, as `kubectl rollout status` watches them."""

    def watch_workload(
        self,
        namespace: str,
        name: str,
        *,
        kind: str,
        on_object: Callable[[dict[str, Any]], None],
        stop: threading.Event,
        opened: Callable[[Any], None],
    ) -> None: ...


class _Watch:
    """The one workload's versions as a watch brings them (`WorkloadWatcher.watch_workload`, in
    a daemon thread of its own), handed to the follow's task; `close` stops it at once (its
    stream is shut, which wakes the thread's read)."""

    def __init__(self, watcher: WorkloadWatcher, namespace: str, name: str, kind: str) -> None:
        self.watcher, self.namespace, self.name, self.kind = watcher, namespace, name, kind
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.response: Any = None

    def _hand(self, item: dict[str, Any] | BaseException) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: warroom has quit
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    def _opened(self, response: Any) -> None:
        self.response = response
        if self.stop.is_set():
            self._shut()

    def _run(self) -> None:
        try:
            self.watcher.watch_workload(
                self.namespace,
                self.name,
                kind=self.kind,
                on_object=self._hand,
                stop=self.stop,
                opened=self._opened,
            )
        except BaseException as err:  # said to the follow, which retries
            if not self.stop.is_set():
                self._hand(err)

    async def next(self, wait_s: float) -> dict[str, Any] | None:
        """The newest version that came, waiting up to `wait_s` for one; None: none came.
        Raises SourceError when the watch failed (the next call opens it again)."""
        if self.thread is None:
            self.thread = threading.Thread(
                target=self._run, name=f"follow {self.kind}/{self.name}", daemon=True
            )
            self.thread.start()
        try:
            item = await asyncio.wait_for(self.queue.get(), wait_s)
        except TimeoutError:
            return None
        while not self.queue.empty() and not isinstance(item, BaseException):
            item = self.queue.get_nowait()  # only the newest matters
        if isinstance(item, BaseException):
            self.thread = None
            raise item if isinstance(item, SourceError) else SourceError(f"{type(item).__name__}: {item}")
        return item

    def _shut(self) -> None:
        response = self.response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()

    def close(self) -> None:
        self.stop.set()
        self._shut()


def follow_rollout(
    reader: WorkloadReader,
    namespace: str,
    name: str,
    kind: str,
    *,
    poll_s: float = FOLLOW_POLL_S,
    stall_s: float | None = None,
    max_s: float = FOLLOW_MAX_S,
) -> Follow:
    """Follow the rollout of `kind`/`name` to its end: by a watch of the one workload when
    `reader` can watch (checking the bounds every `poll_s`), else reading it every `poll_s`.
    `stall_s`: no progress this long is a stall (default: the deployment's progress deadline
    and a margin; STALL_S for a statefulset)."""
    what = f"{kind}/{name}"

    def end_data(status: RolloutStatus) -> dict[str, Any]:
        return {"status": status.message, **status.counts()}

    async def run(report: Callable[[str], None]) -> FollowEnd:
        started = time.monotonic()
        changed = started
        step: tuple[Any, ...] | None = None
        status: RolloutStatus | None = None
        quiet = stall_s
        can_watch = callable(getattr(reader, "watch_workload", None))
        watch = _Watch(cast(WorkloadWatcher, reader), namespace, name, kind) if can_watch else None
        try:
            while True:
                try:
                    if watch is not None:
                        obj = await watch.next(poll_s)  # None: no new version in poll_s
                    else:
                        obj = await reader.read_workload(namespace, name, kind=kind)
                except SourceError as err:
                    error = str(err)
                    if error.startswith("forbidden") and watch is not None:
                        watch.close()  # allowed to read it, maybe, but not to list and watch
                        watch = None
                        continue
                    if error.startswith("forbidden"):  # RBAC lets us act but not look: say so
                        detail = f"not followed to the end: cannot read {what}: {error}"
                        return FollowEnd("rollout_interrupted", detail, {"why": error})
                    report(f"rolling out (cannot read it: {error})")
                    if time.monotonic() - changed >= (quiet or STALL_S):
                        detail = f"no answer about {what} in {quiet or STALL_S:g} s: {error}"
                        return FollowEnd("rollout_stalled", detail, {"reason": "no answer", "error": error})
                    await asyncio.sleep(poll_s)
                    continue
                now = time.monotonic()
                if obj is not None:
                    status = rollout_status(kind, obj)
                    if quiet is None:
                        spec = obj.get("spec") or {}
                        deadline = spec.get("progressDeadlineSeconds") if kind == "deployment" else None
                        quiet = float(deadline) + DEADLINE_MARGIN_S if isinstance(deadline, int) else STALL_S
                    report(status.progress or "rolling out")
                    if status.done:
                        ready = (
                            f"{status.available} available"
                            if kind == "deployment"
                            else f"{status.ready} ready"
                        )
                        detail = f"{status.updated}/{status.desired} updated, {ready}"
                        return FollowEnd("rollout_complete", detail, end_data(status))
                    if status.stalled:
                        detail = f"{status.message} ({status.updated}/{status.desired} updated)"
                        data = {**end_data(status), "reason": PROGRESS_DEADLINE_EXCEEDED}
                        return FollowEnd("rollout_stalled", detail, data)
                    if status.step != step:
                        step, changed = status.step, now
                if status is not None and now - changed >= (quiet or STALL_S):
                    detail = f"no progress in {quiet or STALL_S:g} s: {status.message}"
                    return FollowEnd("rollout_stalled", detail, {**end_data(status), "reason": "no progress"})
                if status is None and now - changed >= (quiet or STALL_S):
                    detail = f"no answer about {what} in {quiet or STALL_S:g} s"
                    return FollowEnd("rollout_stalled", detail, {"reason": "no answer"})
                if now - started >= max_s:
                    said = status.message if status is not None else "no answer"
                    return FollowEnd(
                        "rollout_stalled", f"not rolled out in {max_s:g} s: {said}", {"reason": "bound"}
                    )
                if watch is None:
                    await asyncio.sleep(poll_s)
        finally:
            if watch is not None:
                watch.close()  # at once: the thread's stream is shut, whatever ended the follow

    return Follow(what, max_s, run)


def undo_revision(
    revisions: Iterable[RevisionInfo], namespace: str, kind: str, name: str, current: int | None
) -> RevisionInfo | None:
    """The revision `kubectl rollout undo` would go back to, from what the snapshot lists: a
    deployment's newest ReplicaSet other than its current revision's; a statefulset's
    second-newest ControllerRevision (kubectl's findHistory). None when there is none."""
    owner_kind = "StatefulSet" if kind == "statefulset" else "Deployment"
    own = sorted(
        (r for r in revisions if r.namespace == namespace and r.owner == name and r.owner_kind == owner_kind),
        key=lambda r: r.revision if r.revision is not None else -1,
    )
    own = [r for r in own if r.revision is not None]
    if owner_kind == "StatefulSet":
        return own[-2] if len(own) >= 2 else None
    older = [r for r in own if r.revision != current]
    return older[-1] if older else None


def kubernetes_actions(
    control: ClusterControl,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    follow_poll_s: float = FOLLOW_POLL_S,
    stall_s: float | None = None,
    follow_max_s: float = FOLLOW_MAX_S,
) -> tuple[Action, ...]:
    """Rollout restart (r), rollout undo (U), scale (s) and delete pod (x) over `control`; the
    rollouts the first three set going are followed to their end when `control` can read a
    workload back (see `follow_rollout`)."""
    reader = cast(WorkloadReader, control) if callable(getattr(control, "read_workload", None)) else None

    def context_of(target: Target) -> str:
        return target.context or control.context

    def guard(target: Target) -> str | None:
        # A selection read from one context must not be acted on in another.
        if target.context and control.context and target.context != control.context:
            return (
                f"the selection is from context {target.context}, the cluster control is on {control.context}"
            )
        return None

    def kubectl(target: Target, *words: str) -> str:
        context = context_of(target)
        head = ["kubectl"] + (["--context", context] if context else []) + ["-n", target.namespace or ""]
        return shlex.join([*head, *words])

    def call(fn: Callable[[Target, Mapping[str, Any]], Awaitable[str]], *, follow: bool = False) -> Run:
        async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
            try:
                line = await fn(target, inputs)
            except SourceError as err:
                output.write(str(err))
                return RunResult(False, str(err))
            output.write(line)
            following = None
            if follow and reader is not None and " skipped rollback " not in line:
                following = follow_rollout(
                    reader,
                    target.namespace or "",
                    target.deployment or "",
                    target.workload_kind,
                    poll_s=follow_poll_s,
                    stall_s=stall_s,
                    max_s=follow_max_s,
                )
            return RunResult(True, line, follow=following)

        return run

    def dry(fn: Callable[[Target, Mapping[str, Any]], Awaitable[str]]) -> DryRun:
        async def dry_run(target: Target, inputs: Mapping[str, Any]) -> str:
            if guard(target) is not None:  # never ask a cluster other than the selection's
                raise SourceError(guard(target) or "")
            return await fn(target, inputs)

        return dry_run

    async def scale_dry_run(target: Target, inputs: Mapping[str, Any]) -> str:
        # The count as typed in the confirmation (the dialog asks again as it changes): the
        # system says whether it would be admitted and from what to what.
        if "replicas" not in inputs:
            raise SourceError("no replica count to try")
        return await control.scale(
            target.namespace or "",
            target.deployment or "",
            int(inputs["replicas"]),
            dry_run=True,
            kind=target.workload_kind,
        )

    def rollout(verb: str, method: Callable[..., Awaitable[str]]) -> dict[str, Any]:
        """`kubectl rollout <verb>` of the selected workload: the run, its dry run, the preview."""
        return {
            "run": call(
                lambda t, i: method(t.namespace or "", t.deployment or "", kind=t.workload_kind), follow=True
            ),
            "dry_run": dry(
                lambda t, i: method(t.namespace or "", t.deployment or "", dry_run=True, kind=t.workload_kind)
            ),
            "preview": lambda t, i: kubectl(t, "rollout", verb, workload(t)),
        }

    def workload(target: Target) -> str:
        return f"{target.workload_kind}/{target.deployment}"

    async def scale_prepare(target: Target) -> Target:
        """A statefulset's replicas (the pods panel knows only deployments'), read from the
        cluster so the confirmation says "now 3" and starts from it."""
        if reader is None or "replicas" in target.extra or not target.deployment:
            return target
        obj = await reader.read_workload(target.namespace or "", target.deployment, kind=target.workload_kind)
        replicas = (obj.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool):
            return target
        return replace(target, extra={**target.extra, "replicas": replicas})

    def replicas_fields(target: Target) -> tuple[Field, ...]:
        current = target.extra.get("replicas")
        now = current if isinstance(current, int) and not isinstance(current, bool) else None
        label = f"Replicas (now {now})" if now is not None else "Replicas"
        top = max(SCALE_MAX_FLOOR, SCALE_MAX_FACTOR * (now or 0))
        return (Field("replicas", label, str(now) if now is not None else "", "int", 0, top),)

    def where(target: Target) -> str:
        return f"in namespace {target.namespace} on context {context_of(target) or '(current)'}"

    def undo_question(target: Target) -> str:
        revision = target.extra.get("revision")
        now = f" (now revision {revision})" if revision is not None else ""
        # "revision 2 (registry.example/app:1.0)", when the screen knows the history.
        back = target.extra.get("back_to")
        to = f"revision {back}" if isinstance(back, str) and back else "its previous revision"
        return f"Roll {workload(target)}{now} back to {to} {where(target)}?"

    def delete_question(target: Target) -> str:
        owner = f"; {workload(target)} will replace it" if target.deployment else ""
        return f"Delete pod/{target.pod} {where(target)}{owner}?"

    common: dict[str, Any] = {
        "kind": "kubernetes",
        "timeout_s": timeout_s,
        "timeout_note": "the request may still take effect",
        "guard": guard,
    }
    return (
        Action(
            id="k8s.rollout_restart",
            title="Rollout restart",
            scope="deployment",
            key="r",
            verb="Restart",
            **rollout("restart", control.rollout_restart),
            question=lambda t: f"Restart every pod of {workload(t)} {where(t)}?",
            description="restart a deployment's pods, one by one (kubectl rollout restart)",
            **common,
        ),
        Action(
            id="k8s.rollout_undo",
            title="Rollout undo",
            scope="deployment",
            key="U",
            verb="Roll back",
            **rollout("undo", control.rollout_undo),
            question=undo_question,
            description="roll a deployment back to its previous revision (kubectl rollout undo)",
            **common,
        ),
        Action(
            id="k8s.scale",
            title="Scale",
            scope="deployment",
            key="s",
            verb="Scale",
            run=call(
                lambda t, i: control.scale(
                    t.namespace or "", t.deployment or "", int(i["replicas"]), kind=t.workload_kind
                ),
                follow=True,
            ),
            preview=lambda t, i: kubectl(t, "scale", workload(t), f"--replicas={i.get('replicas', 'N')}"),
            question=lambda t: f"Scale {workload(t)} {where(t)} to how many replicas?",
            fields=replicas_fields,
            dry_run=dry(scale_dry_run),
            prepare=scale_prepare,
            description="set a deployment's replicas (kubectl scale)",
            **common,
        ),
        Action(
            id="k8s.delete_pod",
            title="Delete pod",
            scope="pod",
            key="x",
            verb="Delete",
            run=call(lambda t, i: control.delete_pod(t.namespace or "", t.pod or "")),
            preview=lambda t, i: kubectl(t, "delete", "pod", t.pod or ""),
            dry_run=dry(lambda t, i: control.delete_pod(t.namespace or "", t.pod or "", dry_run=True)),
            question=delete_question,
            description="delete one pod; its controller starts a new one (kubectl delete pod)",
            **common,
        ),
    )


__all__ = [
    "FOLLOW_MAX_S",
    "FOLLOW_POLL_S",
    "STALL_S",
    "follow_rollout",
    "kubernetes_actions",
    "undo_revision",
]
