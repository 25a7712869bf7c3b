"""Secrets out of what the record keeps: an action's output, result line, preview and inputs are
written to an append-only database that is exported into postmortems, so a token printed once
would live there forever.

Two passes: first the exact contents of the token files warroom knows (whatever shape they
have), then patterns for what commonly carries a secret (Authorization headers, bearer tokens,
`password=`, `token: ...`, `--password x`, credentials in a URL). Over-redacting prose such as
"token: expired" is the accepted price.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
MIN_SECRET = 4  # shorter file contents would redact ordinary words; such a token is no secret
MAX_SECRET_FILE = 64 * 1024

_NAME = (
    r"[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credential|session[_-]?id|cookie)[\w.-]*"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # An Authorization / Cookie header, to the end of its line; unless its value is already
    # "[redacted]" or a description in angle brackets ("Bearer <token from FILE>", a preview's).
    (
        re.compile(
            r"(?im)\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key)"
            r"(?!\s*[:=]\s*(?:\[redacted\]|(?:\w+\s+)?<[^>\r\n]*>))(\s*[:=]\s*)[^\r\n]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    # "Bearer abc.def", "Basic dXNlcjpwdw==" anywhere.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{4,}"), rf"\1\2{REDACTED}"),
    # user:password@ in a URL.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@"), rf"\1{REDACTED}@"),
    # --password x, -token x (the =-form is the key=value rule below).
    (re.compile(rf"(?i)(\s--?{_NAME})(\s+)(?!-)\S+"), rf"\1\2{REDACTED}"),
    # password=x, token: x, "api_key": "x", PGPASSWORD='x'
    (
        re.compile(rf"""(?i)(["']?\b{_NAME}["']?\s*[=:]\s*)(["']?)[^\s"'&,;}}]+"""),
        rf"\1\2{REDACTED}",
    ),
)


def read_secrets(paths: Iterable[str]) -> tuple[str, ...]:
    """The contents of the token files that exist and can be read (each stripped); the others
    are skipped: a file that cannot be read cannot have leaked into an output either."""
    out: list[str] = []
    for path in paths:
        try:
            with open(os.path.expanduser(path), "rb") as f:
                raw = f.read(MAX_SECRET_FILE)
        except OSError:
            continue
        secret = raw.decode("utf-8", errors="replace").strip()
        if len(secret) >= MIN_SECRET:
            out.append(secret)
            out.extend(line.strip() for line in secret.splitlines() if len(line.strip()) >= MIN_SECRET)
    # Longest first, so a secret that contains another is replaced whole.
    return tuple(sorted(set(out), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if len(secret) >= MIN_SECRET:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_data(value: Any, secrets: Iterable[str] = ()) -> Any:
    """`value` (JSON-like: dicts, lists, strings, numbers) with every string redacted."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {str(k): redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, secrets) for v in value]
    return value


__all__ = ["REDACTED", "read_secrets", "redact", "redact_data"]
