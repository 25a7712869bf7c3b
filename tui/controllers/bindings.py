"""The controllers' keys as the app declares them: the incident keys (`INCIDENT_BINDINGS`, with
`WRITES` naming those that write) and the mitigation keys (`ACTION_BINDINGS`). Apart from the
controllers, which load the record and the actions, so that the app's class can be built and
its first frame drawn before either is loaded (start-up pays for the frame first)."""

from __future__ import annotations

from textual.binding import Binding

INCIDENT_BINDINGS: list[Binding] = [
    Binding("D", "incident('declare')", "Declare", id="incident.declare"),
    Binding("S", "incident('severity')", "Set severity", show=False, id="incident.severity"),
    Binding("M", "incident('status')", "Move the status on", show=False, id="incident.status"),
    Binding("A", "incident('role')", "Assign a role", show=False, id="incident.role"),
    Binding("n", "incident('note')", "Note", id="incident.note"),
    Binding("u", "incident('update')", "Update", id="incident.update"),
    Binding("E", "incident('export')", "Export postmortem", show=False, id="incident.export"),
]
# The timeline's own keys (`*` star, `c` correct, `t`, `k`, `F`) are declared on TimelinePanel:
# they act on its selected row, so they are active only while it has the focus.

WRITES: frozenset[str] = frozenset(
    {"declare", "severity", "status", "role", "note", "update", "star", "correct"}
)

MENU = "menu"  # mitigate('menu'): the action menu, not an action

# The Kubernetes actions' bindings carry the actions' own ids (actions.kubernetes declares the
# same default keys; a test holds the two together). Only `a` is in the footer: at 80 columns
# the footer has room for a few keys, and the menu lists the rest with their keys.
ACTION_BINDINGS: list[Binding] = [
    Binding("a", f"mitigate('{MENU}')", "Actions", id="app.actions"),
    Binding("r", "mitigate('k8s.rollout_restart')", "Rollout restart", show=False, id="k8s.rollout_restart"),
    Binding("U", "mitigate('k8s.rollout_undo')", "Rollout undo", show=False, id="k8s.rollout_undo"),
    Binding("s", "mitigate('k8s.scale')", "Scale", show=False, id="k8s.scale"),
    Binding("x", "mitigate('k8s.delete_pod')", "Delete pod", show=False, id="k8s.delete_pod"),
]

__all__ = ["ACTION_BINDINGS", "INCIDENT_BINDINGS", "MENU", "WRITES"]
