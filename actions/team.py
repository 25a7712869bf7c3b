"""What every team action (`[[actions]]`: a command or an HTTP request) takes from its config,
whatever it runs: name, scope, key, confirmation and timeout, and a guard that refuses a
selection lacking a safe value for a placeholder the action uses, before anything is written.

The `confirm` text takes the same placeholders ("Restart {service}?"), filled with the very values
the run is given (checked the same way, so a name the run would refuse is never shown either); a
placeholder used only in the confirmation is needed like one in the command, since a question
about "{service}" means nothing without one."""

from __future__ import annotations

from typing import Any

from actions.errors import NotApplicableError
from actions.placeholders import checked_values, substitute, used
from actions.registry import Action, Preview, Run, Target, scope_of
from tui.config.schema import ActionConfig


def team_action(
    cfg: ActionConfig,
    action_id: str,
    *,
    kind: str,
    names: frozenset[str],
    run: Run,
    preview: Preview,
    description: str,
    **more: Any,
) -> Action:
    """The Action of one `[[actions]]` entry; `names` are the placeholders its templates use,
    `more` the fields only its kind has (a timeout note, secret files)."""

    confirm = cfg.confirm or ""
    names = names | used([confirm])

    def guard(target: Target) -> str | None:
        try:
            checked_values(names, target)
        except NotApplicableError as err:
            return str(err)
        return None

    def question(target: Target) -> str:
        return substitute(confirm, checked_values(names, target))

    return Action(
        id=action_id,
        title=cfg.name,
        scope=scope_of(cfg.scope),
        run=run,
        preview=preview,
        key=cfg.key,
        dangerous=cfg.dangerous,
        kind=kind,
        question=question if confirm else None,
        timeout_s=cfg.timeout_s,
        requires=names,
        guard=guard,
        description=description,
        **more,
    )


__all__ = ["team_action"]
