"""The secret files every adapter and action reads (a bearer token, a basic-auth password), in
one way: read at each use (a rotated file is picked up), a regular file only and at most
`MAX_SECRET` bytes (a FIFO or /dev/zero named by mistake can neither hang nor fill memory), and
checked before it goes into a header, because an HTTP client's error for a bad header value
quotes the value: the secret would reach the screen. Every problem is one line naming the file
(and the config key, `what`), never the content."""

from __future__ import annotations

import os

from tui.core.files import FileProblem, read_bounded
from tui.core.untrusted import one_line

MAX_SECRET = 64 * 1024


def read_secret(path: str, what: str = "token file", *, word: bool = True) -> tuple[str, str | None]:
    """(the secret, None) or ("", why). `word`: a token, one printable ASCII word; otherwise one
    line of printable text (a password may hold spaces)."""
    shown = f"{what} {one_line(path, 200)}"
    try:
        raw = read_bounded(os.path.expanduser(path), MAX_SECRET)
    except FileProblem as err:
        return "", f"{shown}: {err}"
    secret = raw.decode("utf-8", errors="replace").strip()
    if not secret:
        return "", f"{shown}: empty"
    if word:
        usable = secret.isascii() and secret.isprintable() and not any(c.isspace() for c in secret)
        if not usable:
            return "", f"{shown}: not a usable token (one word of printable ASCII)"
    elif not secret.isprintable():
        return "", f"{shown}: expected one line of printable text"
    return secret, None
