"""The mitigation actions: one registry (`Registry` of `Action`s, each declared once), one
dispatcher (`Dispatcher`, the only code path that runs one), and where actions come from:
`kubernetes_actions(control)`, `config_actions(configs)` and, for `warroom demo`,
`actions.demo.demo_actions(control)`.

    registry = Registry([*kubernetes_actions(control), *config_actions(config.actions)])
    dispatcher = Dispatcher(registry, StoreIncidents(incidents), read_only=read_only, clock=clock)
    request = registry.get("k8s.scale").confirmation(target)      # -> ConfirmScreen
    outcome = await dispatcher.dispatch("k8s.scale", target, {"replicas": 5})
"""

from actions.config import config_actions
from actions.dispatch import (
    NO_INCIDENT,
    ActiveIncident,
    Dispatcher,
    FollowOutcome,
    IncidentsProvider,
    Outcome,
    StoreIncidents,
)
from actions.errors import (
    ActionRefused,
    InFlightError,
    InvalidInputError,
    NoIncidentError,
    NotApplicableError,
    NotRecordedError,
    ReadOnlyError,
)
from actions.kubernetes import kubernetes_actions
from actions.output import MAX_OUTPUT, Output
from actions.redact import REDACTED, redact
from actions.registry import SCOPES, Action, Follow, FollowEnd, Registry, RunResult, Scope, Target

__all__ = [
    "MAX_OUTPUT",
    "NO_INCIDENT",
    "REDACTED",
    "SCOPES",
    "Action",
    "ActionRefused",
    "ActiveIncident",
    "Dispatcher",
    "Follow",
    "FollowEnd",
    "FollowOutcome",
    "InFlightError",
    "IncidentsProvider",
    "InvalidInputError",
    "NoIncidentError",
    "NotApplicableError",
    "NotRecordedError",
    "Outcome",
    "Output",
    "ReadOnlyError",
    "Registry",
    "RunResult",
    "Scope",
    "StoreIncidents",
    "Target",
    "config_actions",
    "kubernetes_actions",
    "redact",
]
