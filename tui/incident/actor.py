"""Who is writing: "alice@bastion-1 (ssh 10.0.0.5)", the actor of every event.

On a shared bastion account every person is "root@bastion-1": the person says who they are
with `--as NAME`, `$WARROOM_ACTOR` or the config's `actor` (in that order), and the actor
becomes "Alice Ng as root@bastion-1 (ssh 10.0.0.5)": the name first, for the timeline's Who
column and the postmortem, the account, host and SSH client kept beside it as evidence.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import pwd
import re
import socket
import unicodedata
from collections.abc import Mapping

from tui.core.errors import UserError
from tui.core.untrusted import one_line
from tui.incident.events import ActorKind

ACTOR_ENV = "WARROOM_ACTOR"
PERSON_MAX = 64  # a name, not a note: the Who column and a role holder show it whole
PERSON_PUNCTUATION = frozenset(" .-_'@+")
PERSON_RULE = f"a name of letters, digits, spaces and . _ - ' @ + (at most {PERSON_MAX} characters)"
# "NAME as user@host" plus the "(sudo …)" / "(ssh …)" parts: greedy, so a name may hold " as ".
_NAMED = re.compile(r"^(?P<person>.+) as (?P<account>[^\s@()]+@[^\s()]+)(?P<rest>(?: \(.*\))?)$")


def _user() -> str:
    # The account of the real uid first: an exported USER cannot make alice look like bob.
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, OSError):
        return getpass.getuser()


def _host() -> str:
    return socket.gethostname().split(".", 1)[0] or "localhost"


def check_person(raw: str) -> str:
    """A person's name as typed, trimmed and with runs of spaces made one; raises ValueError
    with the reason. Strict on purpose: the name lands in every event, the header, the
    postmortem and the audit log, so no control character, markup bracket or bidi override
    gets in through it (a refusal, not a silent rewrite: the person must know what is recorded)."""
    name = re.sub(" {2,}", " ", raw.strip())
    if not name:
        raise ValueError(f"expected {PERSON_RULE}, got an empty one")
    for char in name:
        if char not in PERSON_PUNCTUATION and unicodedata.category(char)[0] not in "LMN":
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            raise ValueError(f"expected {PERSON_RULE}, got {shown} in the name")
    if len(name) > PERSON_MAX:
        raise ValueError(f"expected {PERSON_RULE}, got {len(name)} characters")
    return name


def named_person(
    flag: str | None, env: Mapping[str, str] | None = None, configured: str | None = None
) -> str | None:
    """The person behind the account: `--as` (flag), else `$WARROOM_ACTOR`, else the config's
    `actor` (checked when the config was read). UserError names where a bad name came from."""
    env = os.environ if env is None else env
    for where, value in (("--as", flag), (f"${ACTOR_ENV}", env.get(ACTOR_ENV) or None)):
        if value is None or (where != "--as" and not value.strip()):
            continue  # an empty $WARROOM_ACTOR is unset, as shells treat it
        try:
            return check_person(value)
        except ValueError as err:
            raise UserError(f"{where}: {err}") from None
    return configured


def current_actor(env: Mapping[str, str] | None = None, *, person: str | None = None) -> str:
    """unix user @ host, plus " (ssh ADDRESS)" when the session came in over SSH; with a named
    `person` (see `named_person`), "PERSON as user@host ...", unless it is the account's own name."""
    env = os.environ if env is None else env
    actor = f"{_user()}@{_host()}"
    if person and person != _user():
        actor = f"{person} as {actor}"
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


def person_of(actor: str) -> str | None:
    """The named person of an actor string ("Alice Ng as root@bastion-1 …" -> "Alice Ng")."""
    found = _NAMED.match(actor)
    return found.group("person") if found else None


def short_name(actor: str) -> str:
    """Who, in a few characters: the named person, else the unix user ("alice@bastion-1 (ssh
    10.0.0.5)" -> "alice"); the full actor is in the event's detail."""
    return person_of(actor) or actor.split(" ", 1)[0].split("@", 1)[0]


def account_of(actor: str) -> str:
    """The person, else user@host: how someone is named for a role ("alice@bastion-1")."""
    return person_of(actor) or actor.split(" (", 1)[0]


def system_actor() -> str:
    """The actor of what warroom writes by itself (detections)."""
    return f"warroom@{_host()}"


def actor_kind_for_cli(stdin_isatty: bool) -> ActorKind:
    """A command run at a terminal is a person; without one it is a script or a hook."""
    return "human" if stdin_isatty else "automation"


__all__ = [
    "ACTOR_ENV",
    "account_of",
    "actor_kind_for_cli",
    "check_person",
    "current_actor",
    "named_person",
    "person_of",
    "short_name",
    "ssh_client",
    "system_actor",
]
