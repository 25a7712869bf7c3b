"""Where warroom keeps its incident database. Light on purpose (no Textual, no SQLite): the
`warroom note | declare | resolve` commands of a deploy pipeline resolve the path without
loading the UI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/warroom` (default `~/.local/state/warroom`): the record, crash logs."""
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    if not state or not os.path.isabs(state):
        home = env.get("HOME") or str(Path.home())
        state = os.path.join(home, ".local", "state")
    return Path(state) / "warroom"


def default_db_path(env: Mapping[str, str] | None = None, *, create: bool = False) -> Path:
    """`$XDG_STATE_HOME/warroom/incidents.db` (default `~/.local/state`).

    With `create`, the directory is made (mode 0700) so a writer can create the file there.
    """
    directory = state_dir(env)
    if create:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory / "incidents.db"


def db_path(explicit: str | None, configured: str | None, *, demo: bool = False) -> Path:
    """--db, else the config's `db`, else `$XDG_STATE_HOME/warroom/incidents.db`. The demo keeps
    its drills in `demo.db` beside it unless told otherwise, so `warroom note` from a pipeline
    never lands on a drill."""
    if explicit:
        return Path(explicit).expanduser()
    if configured:
        return Path(configured).expanduser()
    default = default_db_path()
    return default.with_name("demo.db") if demo else default


__all__ = ["db_path", "default_db_path", "state_dir"]
