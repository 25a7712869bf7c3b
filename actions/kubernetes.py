"""The Kubernetes mitigations of the runbooks (rollout restart, rollout undo, scale, delete pod)
as actions over any `ClusterControl`: the real adapter and the demo platform alike, so the
registry never knows which it has.

The preview is the kubectl line that does the same thing, so the confirmation says what will
happen in the words of the runbooks.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from actions.output import Output
from actions.registry import Action, DryRun, Run, RunResult, Target
from tui.core.confirm import Field
from tui.sources.base import ClusterControl, SourceError

DEFAULT_TIMEOUT_S = 30.0
# A typo guard ("30" for "3"): scaling beyond it is for kubectl, deliberately.
SCALE_MAX_FLOOR = 100
SCALE_MAX_FACTOR = 4


def kubernetes_actions(
    control: ClusterControl, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> tuple[Action, ...]:
    """Rollout restart (r), rollout undo (U), scale (s) and delete pod (x) over `control`."""

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

    def call(fn: Callable[[Target, Mapping[str, Any]], Awaitable[str]]) -> Run:
        async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
            try:
                line = await fn(target, inputs)
            except SourceError as err:
                output.write(str(err))
                return RunResult(False, str(err))
            output.write(line)
            return RunResult(True, line)

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
            target.namespace or "", target.deployment or "", int(inputs["replicas"]), dry_run=True
        )

    def rollout(verb: str, method: Callable[..., Awaitable[str]]) -> dict[str, Any]:
        """`kubectl rollout <verb>` of the selected deployment: the run, its dry run, the preview."""
        return {
            "run": call(lambda t, i: method(t.namespace or "", t.deployment or "")),
            "dry_run": dry(lambda t, i: method(t.namespace or "", t.deployment or "", dry_run=True)),
            "preview": lambda t, i: kubectl(t, "rollout", verb, f"deployment/{t.deployment}"),
        }

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
        return f"Roll deployment/{target.deployment}{now} back to its previous revision {where(target)}?"

    def delete_question(target: Target) -> str:
        owner = f"; deployment/{target.deployment} will replace it" if target.deployment else ""
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
            question=lambda t: f"Restart every pod of deployment/{t.deployment} {where(t)}?",
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
            run=call(lambda t, i: control.scale(t.namespace or "", t.deployment or "", int(i["replicas"]))),
            preview=lambda t, i: kubectl(
                t, "scale", f"deployment/{t.deployment}", f"--replicas={i.get('replicas', 'N')}"
            ),
            question=lambda t: f"Scale deployment/{t.deployment} {where(t)} to how many replicas?",
            fields=replicas_fields,
            dry_run=dry(scale_dry_run),
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


__all__ = ["kubernetes_actions"]
