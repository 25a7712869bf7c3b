"""The cheap try of a failing source: does its server accept a TCP connection at all?

While a source fails, the loop tries it again every interval or two (tui/runtime.py) so that a
server that comes back is seen at once. A whole poll of a server that is still down can be
dear: several requests, each waiting out its connect timeout on a host that drops packets. The
probe is one connect, bounded by `PROBE_TIMEOUT_S`; only once it passes does the loop poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from urllib.parse import urlsplit

from tui.core.untrusted import one_line

PROBE_TIMEOUT_S = 1.0
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the scheme's port when it names none; None if unparsable."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname, port


async def unreachable(host: str, port: int, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when host:port accepts a connection within `timeout_s`; else why not, in a few words
    ("connection refused", "no answer in 1 s", "DNS: Name or service not known")."""
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return f"no answer in {timeout_s:g} s"
    except ConnectionRefusedError:
        return "connection refused"
    except socket.gaierror as err:
        return f"DNS: {one_line(host, 80)}: {one_line(err.strerror or str(err), 80)}"
    except OSError as err:
        return one_line(err.strerror or str(err), 100) or type(err).__name__
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None
