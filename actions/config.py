"""The team's own `[[actions]]` from the config, as actions in the same registry: a `command`
or an `http` action each. Their ids are "config.<name as a slug>", the binding id the keymap
remaps them by."""

from __future__ import annotations

import re
from collections.abc import Iterable

from actions.registry import Action
from tui.config.schema import ActionConfig


def slug(name: str) -> str:
    """ "Kill idle DB connections" -> "kill-idle-db-connections"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "action"


def config_actions(configs: Iterable[ActionConfig]) -> tuple[Action, ...]:
    """One Action per `[[actions]]` entry, in the config's order. Names are unique in a valid
    config; two names with the same slug ("Flush DLQ" and "flush-dlq") get "-2", "-3"."""
    out: list[Action] = []
    seen: set[str] = set()
    for cfg in configs:
        base = f"config.{slug(cfg.name)}"
        action_id, n = base, 1
        while action_id in seen:
            n += 1
            action_id = f"{base}-{n}"
        seen.add(action_id)
        if cfg.http:
            from actions.http import http_action  # lazy: httpx only for a config with HTTP actions

            out.append(http_action(cfg, action_id))
        else:
            from actions.command import command_action  # lazy: only for a config with command actions

            out.append(command_action(cfg, action_id))
    return tuple(out)


__all__ = ["config_actions", "slug"]
