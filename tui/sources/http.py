"""The one place that builds an HTTP client and says in one line why a request failed.

Health checks, Prometheus, Loki and the HTTP actions all come here, so a TLS option means the
same in every `[…]` table (`ca_file`, `insecure`, `client_cert` + `client_key`) and a failure
reads the same in every panel: "no answer in 2.0 s", "connection refused", "TLS: certificate
verify failed: self-signed certificate", "DNS: db.internal: Name or service not known". Before,
four describers said one timeout three ways ("no answer in 2 s", "no answer within 5s", "no
answer from host in 5 s"), and Loki had no TLS options at all.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import ssl

import httpx

from tui.core.untrusted import one_line
from tui.sources.tls import chain, tls_reason

# h11 shows the bytes it could not parse as a repr: b'SSH-2.0-OpenSSH\r\n'
_BYTES_REPR = re.compile(r"(?:bytearray\()?b'(.*?)'\)?")


class ClientSetupError(ValueError):
    """The client cannot be built (a CA or certificate file that cannot be read): one line."""


def seconds(value: float) -> str:
    """2.0 -> "2.0", 0.25 -> "0.25": one decimal unless it needs more."""
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


def trust(
    ca_file: str | None = None,
    insecure: bool = False,
    client_cert: str | None = None,
    client_key: str | None = None,
) -> ssl.SSLContext | bool:
    """What httpx's `verify` takes for these options: the system's CAs (True), none (False,
    `insecure`), or a context with a private CA and/or a client certificate."""
    if insecure and not client_cert:
        return False
    if not ca_file and not client_cert:
        return True
    ctx = _context(ca_file, insecure)
    if client_cert:
        try:
            key = os.path.expanduser(client_key) if client_key else None
            ctx.load_cert_chain(os.path.expanduser(client_cert), key)
        except (OSError, ssl.SSLError) as err:
            shown = one_line(client_cert if not client_key else f"{client_cert} / {client_key}", 160)
            raise ClientSetupError(f"cannot read client_cert {shown}: {describe_os_error(err)}") from None
    return ctx


def _context(ca_file: str | None, insecure: bool) -> ssl.SSLContext:
    if insecure:  # a client certificate to present, no check of the server's
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    try:
        return ssl.create_default_context(cafile=os.path.expanduser(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as err:
        shown = one_line(ca_file or "", 120)
        raise ClientSetupError(f"cannot read ca_file {shown}: {describe_os_error(err)}") from None


def make_client(
    *,
    verify: ssl.SSLContext | bool = True,
    timeout: httpx.Timeout | float | None = None,
    base_url: str = "",
    follow_redirects: bool = False,
    max_redirects: int = 20,
    limits: httpx.Limits | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient; `ClientSetupError` for a url httpx refuses as a base."""
    try:
        return httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            verify=verify,
            follow_redirects=follow_redirects,
            max_redirects=max_redirects,
            limits=limits or httpx.Limits(),
        )
    except (httpx.InvalidURL, ValueError) as err:
        raise ClientSetupError(f"bad url: {one_line(str(err), 100)}") from None


def describe(
    err: BaseException, *, host: str | None = None, timeout_s: float | None = None, name_host: bool = False
) -> str:
    """One line for a request that failed before an answer: timeout, refused, DNS, TLS, a
    server that spoke something else, or what the system said. `name_host` where the line is
    shown without the server beside it (a source's status line, not a service's own row)."""
    shown = host if name_host else None
    if isinstance(err, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(err, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"invalid URL: {one_line(str(err), 120)}"
    if isinstance(err, httpx.TimeoutException | TimeoutError):
        where = f" from {one_line(shown, 80)}" if shown else ""
        return f"no answer{where} in {seconds(timeout_s)} s" if timeout_s else f"no answer{where}"
    return describe_connect_error(err, host, name_host=name_host)


def describe_connect_error(exc: BaseException, host: str | None = None, *, name_host: bool = False) -> str:
    """One line for a failed connection: refused, DNS, TLS, or what the system said. The
    host is named in a DNS failure always, elsewhere with `name_host`."""
    causes = list(chain(exc))
    tls = tls_reason(exc)
    if tls:
        return f"TLS: {tls}"
    for e in causes:
        if isinstance(e, socket.gaierror):
            name = f"{one_line(host, 80)}: " if host else ""
            return f"DNS: {name}{one_line(e.strerror or str(e), 100)}"
    if any(isinstance(e, ConnectionRefusedError) for e in causes) or "refused" in str(exc).lower():
        return "connection refused" + (f" ({one_line(host, 80)})" if host and name_host else "")
    for e in causes:
        if isinstance(e, httpx.RemoteProtocolError):
            text = str(e)
            if "disconnected" in text.lower():  # h11: "Server disconnected without sending a response."
                return "connection closed without an answer"
            text = _BYTES_REPR.sub(lambda m: f'"{m.group(1)}"', text)
            return f"not an HTTP answer: {one_line(text, 100)}"
        if isinstance(e, ConnectionResetError | asyncio.IncompleteReadError):
            return "connection closed without an answer"
    for e in causes:
        if isinstance(e, OSError) and e.strerror:
            return one_line(e.strerror, 120)
    return one_line(str(exc), 120) or type(exc).__name__


def describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return tls_reason(exc) or "TLS error"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(str(exc), 100) or type(exc).__name__


def url_host(url: str) -> str | None:
    try:
        return httpx.URL(url).host or None
    except Exception:
        return None


__all__ = [
    "ClientSetupError",
    "describe",
    "describe_connect_error",
    "describe_os_error",
    "make_client",
    "seconds",
    "trust",
    "url_host",
]
