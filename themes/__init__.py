"""Themes and the app's stylesheet. Semantic colours only ($error, $warning, $success, $accent),
so every theme, including the 16-colour one for a bare SSH session, reads the same. Imports
Textual's theme types and nothing of ours."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual.app import App
from textual.theme import Theme

WARROOM = Theme(
    name="warroom",
    primary="#5fafff",
    secondary="#87afd7",
    accent="#ffaf00",
    warning="#ffd75f",
    error="#ff5f5f",
    success="#5fd787",
    foreground="#e4e4e4",
    background="#121212",
    surface="#1c1c1c",
    panel="#262626",
    dark=True,
)

WARROOM_LIGHT = Theme(
    name="warroom-light",
    primary="#005fd7",
    secondary="#005f87",
    accent="#d75f00",
    warning="#af8700",
    error="#d70000",
    success="#008700",
    foreground="#1c1c1c",
    background="#ffffff",
    surface="#f0f0f0",
    panel="#e4e4e4",
    dark=False,
)

# For terminals with 16 colours (a bastion's bare xterm, TERM=linux): ANSI colours only, so the
# terminal's own palette decides and nothing is dithered.
WARROOM_16 = Theme(
    name="warroom-16",
    primary="ansi_bright_blue",
    secondary="ansi_cyan",
    accent="ansi_bright_yellow",
    warning="ansi_yellow",
    error="ansi_bright_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    ansi=True,
    # The variables Textual's own ANSI theme defines: without them its widgets' CSS has holes.
    variables={
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "border-blurred": "ansi_black",
        "block-cursor-foreground": "ansi_black",
        "block-cursor-background": "ansi_white",
        "input-cursor-background": "ansi_black",
        "input-cursor-foreground": "ansi_bright_white",
        "input-cursor-text-style": "none",
        "input-selection-background": "ansi_bright_blue",
        "input-selection-foreground": "ansi_black",
        "screen-selection-background": "ansi_bright_blue",
        "screen-selection-foreground": "ansi_black",
    },
)

THEMES = (WARROOM, WARROOM_LIGHT, WARROOM_16)
DEFAULT_THEME = "warroom"


def default_theme(env: Mapping[str, str] | None = None) -> str:
    """`warroom`, unless the terminal says it has only 16 colours (a bare `TERM=xterm`, `linux`,
    `screen` on a bastion): then `warroom-16`, whose ANSI colours the terminal's palette renders
    instead of hex colours squeezed into the nearest of 16."""
    env = os.environ if env is None else env
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return DEFAULT_THEME
    term = env.get("TERM", "")
    if "256" in term or "direct" in term or term in ("", "dumb"):
        return DEFAULT_THEME
    return WARROOM_16.name


def register_themes(app: App[Any]) -> None:
    for theme in THEMES:
        app.register_theme(theme)


def stylesheet() -> str:
    # Beside this module (the package ships it: pyproject's package-data); read as a file, not
    # through importlib.resources, whose readers cost 3 ms of the start-up.
    return (Path(__file__).parent / "warroom.tcss").read_text(encoding="utf-8")
