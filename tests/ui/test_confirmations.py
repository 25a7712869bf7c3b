"""A confirmation shows exactly what runs: what each dialog says (its "Will run" line, its
question, its dry run) compared with what the dispatcher then records and with what really ran:
the demo platform's Kubernetes calls, a real command's argv as the kernel saw it, a real HTTP
request as a real server received it."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import pytest
from textual.widgets import Button, Input

import tui.controllers.action_keys
from panels.modals import ConfirmScreen
from tests.servers.http import HttpServer, json_reply
from tests.ui.fakes import T0
from tests.ui.harness import NS, Room, room
from tui.app import WarroomApp
from tui.config.load import load_config
from tui.core.clock import FrozenClock
from tui.incident.events import Event
from tui.wiring import setup_for_config

WILL_RUN = "Will run "


async def _dialog(r: Room) -> ConfirmScreen:
    """The open confirmation, once its dry run (if any) has answered."""
    screen = r.app.screen
    assert isinstance(screen, ConfirmScreen)
    await r.wait(lambda: "asking…" not in screen.shown().get("dry-run", ""), "the dry run's answer")
    return screen


async def _confirm_and_read(r: Room, screen: ConfirmScreen) -> tuple[Event, Event]:
    """Run it; the action_requested and action_succeeded events it wrote."""
    before = len(await r.actions())
    await r.confirm()
    requested, finished = (await r.actions())[before:]
    assert (requested.kind, finished.kind) == ("action_requested", "action_succeeded")
    return requested, finished


async def test_the_scale_dialog_shows_and_dry_runs_the_count_as_it_is_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that keys typed in one go never get a dry run each, even on a loaded machine.
    monkeypatch.setattr(tui.controllers.action_keys, "DRY_RUN_DEBOUNCE_S", 1.0)
    async with room(tmp_path, "queue-backlog") as r:
        await r.declare("SMS reminders late", "SEV2")
        await r.select_pod(lambda p: p.workload == "celery-worker")
        await r.pilot.press("s")
        screen = await _dialog(r)
        field = screen.query_one("#field-replicas", Input)
        run = screen.query_one("#confirm", Button)
        kubectl = f"kubectl --context demo -n {NS} scale deployment/celery-worker"
        shown = screen.shown()
        assert shown["preview"] == f"{WILL_RUN}{kubectl} --replicas=4"
        assert (
            shown["dry-run"]
            == f"Dry run  dry run: deployment {NS}/celery-worker would be scaled from 4 to 4 replicas"
        )
        assert r.app.action_keys.dry_runs == 1
        # The focus starts in the field, and goes field → Cancel → Scale, as the hint says.
        assert screen.focused is field
        assert shown["hint"] == (
            "type the value · enter: on to Scale, enter again runs · tab: field → Cancel → Scale · "
            "esc cancels · recorded before it runs"
        )
        order = []
        for _ in range(3):
            await r.pilot.press("tab")
            order.append(screen.focused.id if screen.focused else None)
        assert order == ["cancel", "confirm", "field-replicas"]

        # Typed: the line follows at once, the dry run once typing pauses (not once per key).
        await r.pilot.press("backspace", "1", "2")
        shown = screen.shown()
        assert shown["preview"] == f"{WILL_RUN}{kubectl} --replicas=12"
        assert shown["dry-run"] == "Dry run  asking…"
        await r.wait(lambda: "from 4 to 12 replicas" in screen.shown()["dry-run"], "the dry run of 12")
        assert r.app.action_keys.dry_runs == 2  # neither "" nor "1" was asked

        # Not valid: said, the run button off, enter stays in the field, nothing asked.
        await r.pilot.press("0")
        shown = screen.shown()
        assert shown["error"] == "Replicas (now 4): expected 0–100, got 120"
        assert shown["preview"] == f"{WILL_RUN}nothing yet: Replicas (now 4): expected 0–100, got 120"
        assert shown["dry-run"] == "Dry run  not asked: Replicas (now 4): expected 0–100, got 120"
        assert run.disabled
        await r.pilot.press("enter")
        assert screen.focused is field and r.app.screen is screen
        await r.pilot.press("backspace", "backspace", "8")  # 18, after "1" (a valid 1, never asked)
        await r.wait(lambda: "from 4 to 18 replicas" in screen.shown()["dry-run"], "the dry run of 18")
        assert r.app.action_keys.dry_runs == 3
        assert not run.disabled and screen.shown()["error"] == ""

        # enter: on to Scale; enter again runs exactly what the dialog says.
        shown = screen.shown()
        await r.pilot.press("enter")
        assert screen.focused is run
        started = r.app.action_keys.started
        await r.pilot.press("enter")
        await r.ran(started)
        requested, finished = await r.actions()
        assert shown["preview"] == WILL_RUN + requested.data["preview"]
        assert requested.data["inputs"] == {"replicas": 18}
        assert "scaled from 4 to 18 replicas" in finished.text

        async def scaled() -> bool:
            found = next(d for d in (await r.cluster()).deployments if d.name == "celery-worker")
            return found.replicas == 18

        assert await r.until(120, scaled) is not None


async def test_every_kubernetes_and_demo_confirmation_shows_what_the_dispatcher_records_and_runs(
    tmp_path: Path,
) -> None:
    async with room(tmp_path, "api-gateway-crashloop") as r:
        await r.declare("Gateway crash loop")
        ran: list[tuple[str, str, str]] = []  # (key, what the dialog said would run, what was recorded)
        for key in ("r", "U", "x"):
            pod = await r.select_pod(lambda p: p.workload == "api-gateway")
            await r.pilot.press(key)
            screen = await _dialog(r)
            shown = screen.shown()
            assert not shown["dry-run"].startswith("Dry run  dry run failed"), shown
            verb = {"r": "Restart", "U": "Roll back", "x": "Delete"}[key]
            assert shown["hint"] == (
                f"tab to {verb}, enter runs it · enter on Cancel or esc cancels · recorded before it runs"
            )
            assert screen.focused is not None and screen.focused.id == "cancel"
            requested, finished = await _confirm_and_read(r, screen)
            ran.append((key, shown["preview"], WILL_RUN + requested.data["preview"]))
            # The subject the dialog names is the one the dispatcher recorded and acted on.
            assert requested.data["subject"] in shown["body"]
            if key == "x":
                assert shown["preview"].endswith(f"delete pod {pod.name}")
                assert pod.name in finished.text

                async def gone(name: str = pod.name) -> bool:
                    return name not in {p.name for p in (await r.cluster()).pods}

                assert await r.until(60, gone) is not None
            else:
                assert "api-gateway" in finished.text
        # The demo's own mitigation, from the menu.
        await r.pilot.press("5", "a")
        await r.pick("demo.kill-idle-db-connections")
        screen = await _dialog(r)
        shown = screen.shown()
        requested, finished = await _confirm_and_read(r, screen)
        ran.append(("a", shown["preview"], WILL_RUN + requested.data["preview"]))
        assert shown["question"] == requested.data["title"] + ": " + requested.data["subject"] + "?"
        for key, said, recorded in ran:
            assert said == recorded, key
        kubectl = f"{WILL_RUN}kubectl --context demo -n {NS}"
        assert [said for _, said, _ in ran[:2]] == [
            f"{kubectl} rollout restart deployment/api-gateway",
            f"{kubectl} rollout undo deployment/api-gateway",
        ]
        revision = next(d.revision for d in (await r.cluster()).deployments if d.name == "api-gateway")
        assert revision == 9  # restarted (7 → 8), then undone (a new revision 9 of the old template)


def _team_config(tmp_path: Path, server: HttpServer) -> Path:
    py = sys.executable
    out = tmp_path / "argv.json"
    shell_out = tmp_path / "shell.txt"
    # The argv as the kernel started the process: nothing of it comes from warroom's own idea.
    cmdline = "open('/proc/self/cmdline').read().split('\\0')[:-1]"
    dump = f"import json; json.dump({cmdline}, open({str(out)!r}, 'w'))"
    shell = f"tr '\\0' '\\n' < /proc/$$/cmdline > {shell_out}; echo \"service={{service}}\" >> {shell_out}"
    path = tmp_path / "warroom.toml"
    path.write_text(
        f"""
[[services]]
name = "checkout"
command = ["true"]
namespace = "shop"
deployment = "checkout"
interval_s = 60

[[actions]]
name = "Restart checkout"
key = "K"
scope = "service"
command = [{json.dumps(py)}, "-c", {json.dumps(dump)}, "{{service}}", "--namespace={{namespace}}"]
confirm = "Restart {{service}} in {{namespace}}?"

[[actions]]
name = "Drain checkout"
key = "J"
scope = "service"
shell = true
command = [{json.dumps(shell)}]
confirm = "Drain {{service}}?"

[[actions]]
name = "Page the owners"
key = "H"
scope = "service"
confirm = "Page the owners of {{service}} ({{namespace}})?"

[actions.http]
method = "POST"
url = "{server.url("/page/{service}")}"
headers = {{ X-Team = "{{namespace}}" }}
body = {{ service = "{{service}}", why = "checkout 5xx" }}
"""
    )
    return path


async def test_team_command_and_http_confirmations_show_the_argv_and_request_that_run(tmp_path: Path) -> None:
    with HttpServer() as server:
        server.routes["/page/checkout"] = json_reply({"paged": True})
        config = load_config(_team_config(tmp_path, server))
        args = argparse.Namespace(db=str(tmp_path / "incidents.db"), read_only=False, theme=None)
        setup = setup_for_config(config, args, FrozenClock(T0))
        setup.tick_s = 0
        app = WarroomApp(setup)
        async with app.run_test(size=(160, 50), notifications=True) as pilot:
            r = Room(app, pilot, setup.clock, tmp_path / "incidents.db")  # type: ignore[arg-type]
            await r.wait(
                lambda: app.timeline is not None and app.timeline.incidents is not None, "the record"
            )
            await r.wait(lambda: bool(getattr(app.panels["health"], "services", None)), "the services")
            await r.declare()
            said: dict[str, dict[str, str]] = {}
            recorded: dict[str, Event] = {}
            for key in ("K", "J", "H"):
                await r.select_service("checkout")
                await pilot.press(key)
                screen = await _dialog(r)
                said[key] = screen.shown()
                recorded[key], _ = await _confirm_and_read(r, screen)

        # The questions, filled with the selection's values: no "{service}" left.
        assert [said[k]["question"] for k in "KJH"] == [
            "Restart checkout in shop?",
            "Drain checkout?",
            "Page the owners of checkout (shop)?",
        ]
        for key in "KJH":
            assert said[key]["preview"] == WILL_RUN + recorded[key].data["preview"], key
        # The argv: the line shown, split as a shell would, is what the process was started with.
        argv = json.loads((tmp_path / "argv.json").read_text())
        assert shlex.split(said["K"]["preview"].removeprefix(WILL_RUN)) == argv
        assert argv[-2:] == ["checkout", "--namespace=shop"]
        # The shell action: the environment assignment shown, then exactly the shell's argv.
        lines = (tmp_path / "shell.txt").read_text().splitlines()
        shown = shlex.split(said["J"]["preview"].removeprefix(WILL_RUN))
        assert shown[0] == "WARROOM_SERVICE=checkout" and shown[1:] == lines[:-1]
        assert lines[-1] == "service=checkout"
        # The HTTP request: method, URL, the headers shown and the body, as the server got them.
        (seen,) = server.seen
        assert said["H"]["preview"] == (
            f"{WILL_RUN}POST {server.url('/page/checkout')} · X-Team: shop; Content-Type: application/json"
            f" · body {seen.body.decode()}"
        )
        assert (seen.method, seen.target, seen.headers["x-team"]) == ("POST", "/page/checkout", "shop")
        assert json.loads(seen.body) == {"service": "checkout", "why": "checkout 5xx"}
