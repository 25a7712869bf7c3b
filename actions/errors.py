"""Why an action was not run. Every refusal is raised before anything runs; `str(err)` is one line
for the notification ("read-only: Rollout restart was not run")."""

from __future__ import annotations


class ActionRefused(Exception):
    """The dispatcher did not run the action. Nothing ran; see each subclass for what was written."""


class ReadOnlyError(ActionRefused):
    """Read-only (observer) mode: nothing was checked, written or run."""


class NotApplicableError(ActionRefused):
    """The action does not fit the selection (a pod action with no pod selected, a placeholder
    with no value, a selection from another context). Nothing was written."""


class InvalidInputError(ActionRefused):
    """An input is missing, unknown or out of range (replicas = -1). Nothing was written."""


class InFlightError(ActionRefused):
    """The same action on the same target is still running, here or (by the record) on another
    screen. Nothing was written. `request`: the running one's `action_requested` event, when
    the record named it (dispatch again with `override=True` to run anyway)."""

    def __init__(self, message: str, request: object | None = None) -> None:
        super().__init__(message)
        self.request = request


class NoIncidentError(ActionRefused):
    """No open incident to record the action in. Nothing was written."""


class NotRecordedError(ActionRefused):
    """`action_requested` could not be written (database unwritable, locked, closed incident):
    the action was not run, as DESIGN.md requires."""


__all__ = [
    "ActionRefused",
    "InFlightError",
    "InvalidInputError",
    "NoIncidentError",
    "NotApplicableError",
    "NotRecordedError",
    "ReadOnlyError",
]
