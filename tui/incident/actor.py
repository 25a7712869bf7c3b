"""Who is writing: "alice@bastion-1 (ssh 10.0.0.5)", the actor of every event."""

from __future__ import annotations

import getpass
import ipaddress
import os
import pwd
import socket
from collections.abc import Mapping

from tui.incident.events import ActorKind
from tui.untrusted import one_line


def _user() -> str:
    # The account of the real uid first: an exported USER cannot make alice look like bob.
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, OSError):
        return getpass.getuser()


def _host() -> str:
    return socket.gethostname().split(".", 1)[0] or "localhost"


def current_actor(env: Mapping[str, str] | None = None) -> str:
    """unix user @ host, plus " (ssh ADDRESS)" when the session came in over SSH."""
    env = os.environ if env is None else env
    actor = f"{_user()}@{_host()}"
    sudo_user = env.get("SUDO_USER")
    if sudo_user and sudo_user != _user():
        actor += f" (sudo {one_line(sudo_user, 64)})"
    client = ssh_client(env)
    if client:
        actor += f" (ssh {client})"
    return actor


def ssh_client(env: Mapping[str, str]) -> str | None:
    """The client address from SSH_CONNECTION ("client_ip client_port server_ip server_port")."""
    fields = env.get("SSH_CONNECTION", "").split()
    if not fields:
        return None
    try:
        return str(ipaddress.ip_address(fields[0]))
    except ValueError:
        return one_line(fields[0], 64)  # not an address; kept, made safe, as evidence


def system_actor() -> str:
    """The actor of what warroom writes by itself (detections)."""
    return f"warroom@{_host()}"


def actor_kind_for_cli(stdin_isatty: bool) -> ActorKind:
    """A command run at a terminal is a person; without one it is a script or a hook."""
    return "human" if stdin_isatty else "automation"


__all__ = ["actor_kind_for_cli", "current_actor", "ssh_client", "system_actor"]
