"""A TLS failure in words, whichever client hit it.

Each client buries the `ssl` error differently: httpx chains it (`__cause__`/`__context__`, and
anyio may wrap it in an exception group); urllib3 (the kubernetes client, requests) keeps it in
`MaxRetryError.reason`, an `urllib3.exceptions.SSLError` whose *argument* is the ssl error. Their
`str()` is a paragraph of pool names with the reason at the end, so the one line a panel shows
was cut before the reason ("MaxRetryError: HTTPSConnectionPool(host=…"). Every HTTPS source asks
`tls_reason` first and says "TLS: certificate verify failed: self-signed certificate".
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator

from tui.core.untrusted import one_line

# "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: x (_ssl.c:1006)" loses its brackets
# and its source location
_OPENSSL_NOISE = re.compile(r"^\s*\[[A-Z0-9_ ]+:\s*[A-Z0-9_]+\]\s*|\s*\(_ssl\.c:\d+\)\s*$")

# OpenSSL reason codes whose words alone do not say what to do.
_HINTS = {
    "WRONG_VERSION_NUMBER": "wrong version number (is it a TLS port?)",
    "RECORD_LAYER_FAILURE": "record layer failure (is it a TLS port?)",
    "PACKET_LENGTH_TOO_LONG": "packet length too long (is it a TLS port?)",
    "UNEXPECTED_EOF_WHILE_READING": "the server closed the connection during the handshake",
    "TLSV1_ALERT_UNKNOWN_CA": "the server does not trust our client certificate's CA",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the server rejected our client certificate",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "handshake failure (no cipher or protocol in common)",
}


def chain(err: BaseException) -> Iterator[BaseException]:
    """`err` and everything it wraps: causes, contexts, urllib3's `reason`, exceptions passed as
    arguments (urllib3's SSLError, requests' ConnectionError) and exception-group members."""
    seen: set[int] = set()
    todo: list[BaseException] = [err]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        inner: list[object] = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
        if isinstance(e, BaseExceptionGroup):
            inner.extend(e.exceptions)
        todo.extend(x for x in inner if isinstance(x, BaseException))


def _words(err: ssl.SSLError) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        why = (getattr(err, "verify_message", "") or "").strip().rstrip(".")
        if not why:
            text = _OPENSSL_NOISE.sub("", str(err.strerror or err))
            why = text.removeprefix("certificate verify failed").lstrip(": ")
        return f"certificate verify failed: {why}" if why else "certificate verify failed"
    code = err.reason or ""
    if code in _HINTS:
        return _HINTS[code]
    if code:
        return code.lower().replace("_", " ")
    text = _OPENSSL_NOISE.sub("", str(err.strerror or "") or str(err))
    return text or "handshake failed"


def tls_reason(err: BaseException) -> str | None:
    """The TLS failure anywhere in `err`'s chain, in words ("certificate verify failed:
    self-signed certificate", "wrong version number (is it a TLS port?)"); None when TLS is not
    what failed. The verification error wins over the generic one that wraps it."""
    found = [e for e in chain(err) if isinstance(e, ssl.SSLError)]
    if not found:
        return None
    verify = [e for e in found if isinstance(e, ssl.SSLCertVerificationError)]
    best = verify[0] if verify else next((e for e in found if e.reason), found[0])
    return one_line(_words(best), 140)


def tls_line(err: BaseException, where: str) -> str | None:
    """ "TLS: certificate verify failed: self-signed certificate (https://10.0.0.1:6443)", or None."""
    reason = tls_reason(err)
    return f"TLS: {reason} ({one_line(where, 80)})" if reason else None
