"""`warroom demo`'s own mitigations (kill idle DB connections, fail Redis over, disable the
feature flag, switch the SMS provider, flush the dead-letter queue) as actions of the same
registry, run against the simulated platform. Each is recorded like a real one; whether it
helps is for the simulation to show on the panels."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from actions.output import Output
from actions.registry import Action, RunResult, Target
from tui.sources.base import SourceError


class Mitigator(Protocol):
    """What `tui.demo.platform.DemoControl` offers beyond `ClusterControl`."""

    async def mitigate(self, name: str, target: str = "") -> str: ...


def demo_actions(
    control: Mitigator, mitigations: Iterable[tuple[str, str, str]] | None = None, *, timeout_s: float = 30.0
) -> tuple[Action, ...]:
    """One global action "demo.<name>" per (name, title, what it acts on); by default the demo's
    own list (`tui.demo.platform.DEMO_MITIGATIONS`)."""
    if mitigations is None:
        from tui.demo.platform import DEMO_MITIGATIONS  # only the demo needs the simulation

        mitigations = DEMO_MITIGATIONS
    return tuple(_action(control, name, title, acts_on, timeout_s) for name, title, acts_on in mitigations)


def recording_acts(
    actions: Iterable[Action],
    collecting: Callable[[], AbstractContextManager[list[Any]]],
    key: str,
    stamp: Mapping[str, Any] | None = None,
) -> tuple[Action, ...]:
    """The same actions, each run's result carrying what it changed in the simulation
    (details[key]: the simulated time and call of each change, as `collecting()` gathers them),
    so that the record carries them to the other screens' simulations. `stamp`: more for the
    details of a run that changed something (which screen did it, so that it is not done twice)."""

    def recorded(action: Action) -> Action:
        async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
            with collecting() as acts:
                result = await action.run(target, inputs, output)
            if not acts:
                return result
            details = {**result.details, **(stamp or {}), key: [act.as_data() for act in acts]}
            return dataclasses.replace(result, details=details)

        return dataclasses.replace(action, run=run)

    return tuple(recorded(action) for action in actions)


def _action(control: Mitigator, name: str, title: str, acts_on: str, timeout_s: float) -> Action:
    async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
        try:
            line = await control.mitigate(name)
        except SourceError as err:
            output.write(str(err))
            return RunResult(False, str(err))
        output.write(line)
        return RunResult(True, line)

    return Action(
        id=f"demo.{name}",
        title=title,
        scope="global",
        run=run,
        preview=lambda t, i: f"demo platform: {name} on {acts_on}",
        kind="demo",
        question=lambda t: f"{title}: {acts_on}?",
        subject_text=lambda t: acts_on,
        timeout_s=timeout_s,
        description=acts_on,
    )


__all__ = ["Mitigator", "demo_actions", "recording_acts"]
