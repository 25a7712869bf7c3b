"""What an action asks before it runs: its inputs and the confirmation to show. Plain data
shared by the actions (which describe the question) and the dialogs (which ask it), so that
neither imports the other."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    """One input of a confirmation (e.g. replicas, with the current value shown)."""

    name: str
    label: str
    default: str = ""
    kind: str = "str"  # "str" | "int"
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ConfirmRequest:
    title: str  # "Rollout restart"
    target: str  # "deployment/api-gateway"
    where: str  # "context demo · namespace lomash-wood"
    preview: str  # the argv or request line it will send, for the fields' first values
    question: str = ""  # the action's own confirmation text
    verb: str = "Run"  # the confirm button's label
    fields: Sequence[Field] = field(default_factory=tuple)
    dangerous: bool = True
    # What a dry run of it answered ("server dry run: … would be restarted"), or why it failed;
    # "" when the action has none. It may arrive after the dialog is up (`show_dry_run`).
    dry_run: str = ""
    # The preview for the inputs as typed (the same function the dispatcher records with), so
    # the "Will run" line follows the field; None when it does not depend on the inputs. It may
    # raise ValueError (its message is shown, and the run button is off).
    preview_for: Callable[[Mapping[str, Any]], str] | None = None


def read_fields(fields: Sequence[Field], raw: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    """The inputs typed into `fields` (name -> text), checked and converted: (values, None), or
    (what could be read, the first problem in one line)."""
    values: dict[str, Any] = {}
    for f in fields:
        text = raw.get(f.name, "").strip()
        if f.kind != "int":
            values[f.name] = text
            continue
        if not text:
            return values, f"{f.label}: type a whole number"
        try:
            number = int(text)
        except ValueError:
            return values, f"{f.label}: expected a whole number, got {text!r}"
        if (f.minimum is not None and number < f.minimum) or (f.maximum is not None and number > f.maximum):
            low = "" if f.minimum is None else f.minimum
            high = "" if f.maximum is None else f.maximum
            return values, f"{f.label}: expected {low}–{high}, got {number}"
        values[f.name] = number
    return values, None
