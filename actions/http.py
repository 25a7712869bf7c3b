"""`http` actions: a team's own mitigation as one HTTP request (disable a feature flag, post to a
status page, switch to the contingency SMS provider).

Placeholders are URL-quoted into the URL (a value cannot add a path segment or a query), put as
they are into header values (control characters are refused, so a value cannot add a header),
and into the body: a table body is sent as JSON with the values inside its strings (JSON-encoded,
so a value cannot change its shape); a string body is a template sent as written.

The bearer token is read from its file at each run (a rotated token is picked up) and is never
part of the preview or the record. Redirects are not followed: a mitigation's POST answered
with a 3xx did not do what it was meant to, and says so. Any status outside 2xx is a failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from actions.output import MAX_OUTPUT, Output
from actions.placeholders import checked_values, substitute, used
from actions.registry import Action, RunResult, Target
from actions.team import team_action
from tui.config.schema import ActionConfig
from tui.sources.http import describe, make_client, url_host
from tui.sources.secrets import read_secret

USER_AGENT = "warroom (mitigation action)"
BODY_CUT = " [… rest of the body not read]"
PREVIEW_BODY = 200  # characters of the body the preview shows
_SENSITIVE_HEADER = re.compile(r"(?i)auth|token|key|secret|cookie|password|session")


@dataclass(frozen=True, slots=True)
class HttpSpec:
    method: str
    url: str
    headers: Mapping[str, str]
    token_file: str | None = None
    body: str | Mapping[str, Any] | None = None

    @classmethod
    def from_config(cls, http: Mapping[str, object]) -> HttpSpec:
        headers = http.get("headers") or {}
        body = http.get("body")
        token = http.get("token_file")
        return cls(
            method=str(http.get("method") or "POST").upper(),
            url=str(http["url"]),
            headers={str(k): str(v) for k, v in dict(headers).items()},  # type: ignore[call-overload]
            token_file=str(token) if token else None,
            body=body if isinstance(body, str | Mapping) else None,
        )

    def templates(self) -> list[str]:
        out = [self.url, *self.headers.values()]
        if isinstance(self.body, str):
            out.append(self.body)
        elif isinstance(self.body, Mapping):
            out.extend(_strings(self.body))
        return out


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request, placeholders filled; the token is added by `send`."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None

    def line(self) -> str:
        return f"{self.method} {self.url}"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, Mapping):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, values) for v in value]
    return value


def build_request(spec: HttpSpec, values: Mapping[str, str]) -> HttpRequest:
    """The request for these (checked) placeholder values."""
    url = substitute(spec.url, values, lambda v: quote(v, safe=""))
    headers = {name: substitute(value, values) for name, value in spec.headers.items()}
    content: bytes | None = None
    if isinstance(spec.body, Mapping):
        content = json.dumps(_fill(spec.body, values), separators=(",", ":")).encode()
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
    elif isinstance(spec.body, str):
        content = substitute(spec.body, values).encode()
    return HttpRequest(spec.method, url, headers, content)


def preview_of(request: HttpRequest, token_file: str | None) -> str:
    """The request line, the headers (sensitive values hidden) and the start of the body."""
    parts = [request.line()]
    shown = [
        f"{name}: {'[redacted]' if _SENSITIVE_HEADER.search(name) else value}"
        for name, value in request.headers.items()
    ]
    if token_file:
        shown.append(f"Authorization: Bearer <token from {token_file}>")
    if shown:
        parts.append("· " + "; ".join(shown))
    if request.content:
        text = request.content.decode("utf-8", errors="replace")
        cut = f"… ({len(request.content)} bytes)" if len(text) > PREVIEW_BODY else ""
        parts.append(f"· body {text[:PREVIEW_BODY]}{cut}")
    return " ".join(parts)


async def send(request: HttpRequest, output: Output, *, token_file: str | None = None) -> RunResult:
    """Send it; the body's first `MAX_OUTPUT` bytes go to `output`. No timeout of its own: the
    dispatcher bounds the whole run (connect, send, answer) with the action's timeout."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **request.headers}
    if token_file:
        token, problem = read_secret(token_file)
        if problem:
            return RunResult(False, problem)
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with (
            make_client() as client,
            client.stream(request.method, request.url, headers=headers, content=request.content) as resp,
        ):
            # The start of the body is where an API says what went wrong: keep the head, and
            # leave room for the mark (the Output itself keeps a tail).
            limit = min(MAX_OUTPUT, output.limit) - len(BODY_CUT.encode())
            kept = 0
            async for chunk in resp.aiter_raw():
                room = limit - kept
                output.write(chunk[:room])
                kept += min(len(chunk), room)
                if len(chunk) > room:
                    output.write(BODY_CUT)
                    break
            status = resp.status_code
            text = f"HTTP {status} {resp.reason_phrase}".rstrip()
            location = resp.headers.get("location")
            if 300 <= status < 400 and location:
                text += f" → {location} (redirects are not followed)"
    except (httpx.HTTPError, OSError) as err:
        return RunResult(False, describe(err, host=url_host(request.url)))
    return RunResult(200 <= status < 300, text, http_status=status)


def http_action(cfg: ActionConfig, action_id: str) -> Action:
    """An `[[actions]]` entry with `http` as an Action."""
    if not cfg.http:
        raise ValueError(f"action {cfg.name!r} has no http table")
    spec = HttpSpec.from_config(cfg.http)
    names = used(spec.templates())

    def request_for(target: Target) -> HttpRequest:
        return build_request(spec, checked_values(names, target))

    async def run(target: Target, inputs: Mapping[str, Any], output: Output) -> RunResult:
        return await send(request_for(target), output, token_file=spec.token_file)

    return team_action(
        cfg,
        action_id,
        kind="http",
        names=names,
        run=run,
        preview=lambda t, i: preview_of(request_for(t), spec.token_file),
        description=f"sends {spec.method} {spec.url}",
        secret_files=(spec.token_file,) if spec.token_file else (),
    )


__all__ = ["HttpRequest", "HttpSpec", "build_request", "http_action", "preview_of", "send"]
