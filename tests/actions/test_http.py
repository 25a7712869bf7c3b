"""`http` actions against real local HTTP servers, through the dispatcher and a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from actions import MAX_OUTPUT, Registry, Target, config_actions
from tests.actions.conftest import Record
from tests.servers.http import HttpServer, hang, json_reply, reply
from tests.servers.http import refused_port as refused
from tui.config.schema import ActionConfig

SERVICE = Target.of_service("notification-service", context="prod", namespace="lomash-wood")


def http(name: str, url: str, **kw: Any) -> ActionConfig:
    spec: dict[str, object] = {"method": kw.pop("method", "POST"), "url": url}
    for key in ("headers", "token_file", "body"):
        if key in kw:
            spec[key] = kw.pop(key)
    return ActionConfig(name=name, http=spec, **kw)


async def test_2xx_is_a_success_with_status_and_body(record: Record, server: HttpServer) -> None:
    server.routes["/flags/promo-banner/disable"] = json_reply({"flag": "promo-banner", "enabled": False})
    reg = Registry(config_actions([http("Disable flag", server.url("/flags/promo-banner/disable"))]))
    outcome = await record.dispatcher(reg).dispatch("config.disable-flag", Target.none())
    assert outcome.ok and outcome.http_status == 200 and outcome.exit_code is None
    assert json.loads(outcome.output) == {"flag": "promo-banner", "enabled": False}
    assert [(r.method, r.path) for r in server.seen] == [("POST", "/flags/promo-banner/disable")]
    requested, succeeded = (await record.events())[1:]
    assert requested.data["preview"] == f"POST {server.url('/flags/promo-banner/disable')}"
    assert succeeded.kind == "action_succeeded"
    assert (succeeded.data["http_status"], succeeded.data["result"]) == (200, "HTTP 200 OK")


async def test_500_is_a_failure_with_the_body_excerpt(record: Record, server: HttpServer) -> None:
    server.routes["/switch"] = reply(500, "provider switch failed: contingency not configured\n")
    reg = Registry(config_actions([http("Switch SMS", server.url("/switch"), method="PUT")]))
    outcome = await record.dispatcher(reg).dispatch("config.switch-sms", Target.none())
    assert not outcome.ok and outcome.http_status == 500
    assert outcome.output == "provider switch failed: contingency not configured\n"
    failed = (await record.events())[-1]
    assert failed.kind == "action_failed" and failed.data["http_status"] == 500
    assert failed.text.startswith("Switch SMS: failed: HTTP 500 Internal Server Error (")


async def test_a_redirect_is_not_followed_and_is_a_failure(record: Record, server: HttpServer) -> None:
    def moved(h: Any) -> None:
        h.send_response(302)
        h.send_header("Location", "/login")
        h.send_header("Content-Length", "0")
        h.end_headers()

    server.routes["/flag"] = moved
    reg = Registry(config_actions([http("Flag", server.url("/flag"))]))
    outcome = await record.dispatcher(reg).dispatch("config.flag", Target.none())
    assert not outcome.ok and outcome.http_status == 302
    assert "→ /login (redirects are not followed)" in outcome.text
    assert [r.path for r in server.seen] == ["/flag"]


async def test_a_hanging_server_times_out(record: Record, server: HttpServer) -> None:
    server.routes["/hang"] = hang()
    reg = Registry(config_actions([http("Status page", server.url("/hang"), timeout_s=0.5)]))
    outcome = await record.dispatcher(reg).dispatch("config.status-page", Target.none())
    assert outcome.timed_out and not outcome.ok and outcome.http_status is None
    assert outcome.text.startswith("Status page: failed: no result in 0.5 s (")
    failed = (await record.events())[-1]
    assert failed.kind == "action_failed" and failed.data["timed_out"] is True


async def test_connection_refused_is_a_recorded_failure(record: Record) -> None:
    with refused() as port:
        reg = Registry(config_actions([http("Flag", f"http://127.0.0.1:{port}/x")]))
        outcome = await record.dispatcher(reg).dispatch("config.flag", Target.none())
    assert not outcome.ok and outcome.text.startswith("Flag: failed: connection refused (")
    assert await record.kinds() == ["declared", "action_requested", "action_failed"]


async def test_the_token_is_sent_and_never_recorded(
    record: Record, server: HttpServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "statuspage.token"
    token_file.write_text("sp-4c1d2e3f4a5b6c7d\n")
    # A careless API that echoes the request's headers back.
    server.routes["/incidents"] = json_reply({"echo": "Authorization: Bearer sp-4c1d2e3f4a5b6c7d", "id": 7})
    cfg = http(
        "Post status",
        server.url("/incidents"),
        token_file=str(token_file),
        headers={"X-Api-Key": "k-123456789", "X-Team": "payments"},
        body={"status": "investigating", "component": "{service}"},
        scope="service",
    )
    reg = Registry(config_actions([cfg]))
    outcome = await record.dispatcher(reg).dispatch("config.post-status", SERVICE)
    assert outcome.ok
    (seen,) = server.seen
    assert seen.headers["authorization"] == "Bearer sp-4c1d2e3f4a5b6c7d"
    assert seen.headers["x-api-key"] == "k-123456789" and seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"status": "investigating", "component": "notification-service"}
    requested = (await record.events())[1]
    assert requested.data["preview"] == (
        f"POST {server.url('/incidents')} · X-Api-Key: [redacted]; X-Team: payments; "
        f"Content-Type: application/json; Authorization: Bearer <token from {token_file}> · "
        'body {"status":"investigating","component":"notification-service"}'
    )
    everything = json.dumps([[e.text, e.data] for e in await record.events()])
    assert "sp-4c1d2e3f4a5b6c7d" not in everything and "k-123456789" not in everything
    assert "[redacted]" in outcome.output


async def test_an_unreadable_token_file_fails_without_sending(
    record: Record, server: HttpServer, tmp_path: Path
) -> None:
    server.routes["/x"] = reply(200)
    cfg = http("Flag", server.url("/x"), token_file=str(tmp_path / "missing.token"))
    outcome = await record.dispatcher(Registry(config_actions([cfg]))).dispatch("config.flag", Target.none())
    assert not outcome.ok and "missing.token" in outcome.text
    assert server.seen == []


async def test_placeholders_are_url_quoted_and_json_encoded(record: Record, server: HttpServer) -> None:
    server.routes["/x"] = reply(204)
    evil = Target.of_service('a/../admin?x=1#"', context="prod")
    cfg = http(
        "Flag",
        server.url("/flags/{service}/off?by={context}"),
        body={"service": "{service}", "note": "by warroom"},
        scope="service",
    )
    outcome = await record.dispatcher(Registry(config_actions([cfg]))).dispatch("config.flag", evil)
    assert outcome.http_status == 404  # the whole value stayed one path segment: no such route
    (seen,) = server.seen
    assert seen.target == "/flags/a%2F..%2Fadmin%3Fx%3D1%23%22/off?by=prod"
    assert json.loads(seen.body) == {"service": 'a/../admin?x=1#"', "note": "by warroom"}


async def test_a_string_body_is_a_template(record: Record, server: HttpServer) -> None:
    server.routes["/flag"] = reply(200, "ok")
    cfg = http(
        "Flag", server.url("/flag"), body="flag=promo&service={service}", method="PATCH", scope="service"
    )
    outcome = await record.dispatcher(Registry(config_actions([cfg]))).dispatch("config.flag", SERVICE)
    assert outcome.ok
    (seen,) = server.seen
    assert (seen.method, seen.body) == ("PATCH", b"flag=promo&service=notification-service")


async def test_a_large_body_keeps_its_start(record: Record, server: HttpServer) -> None:
    server.routes["/big"] = reply(503, "error: quota exceeded\n" + "x" * 200_000)
    outcome = await record.dispatcher(Registry(config_actions([http("Big", server.url("/big"))]))).dispatch(
        "config.big", Target.none()
    )
    assert not outcome.ok and outcome.http_status == 503
    assert outcome.output.startswith("error: quota exceeded\nxxx")
    assert outcome.output.endswith("x [… rest of the body not read]")
    assert len(outcome.output.encode()) == MAX_OUTPUT
