"""`command` actions run as real processes through the dispatcher, recorded in a real store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from actions import MAX_OUTPUT, NotApplicableError, Registry, Target, config_actions
from actions.command import build_argv, shell_script
from tests.actions.conftest import PY, Record, command, touch_argv
from tests.processes import alive, all_gone

POD = Target.of_pod("prod", "shop", "web-0", deployment="web")


def registry(*configs: object) -> Registry:
    return Registry(config_actions(configs))  # type: ignore[arg-type]


async def _gone(pid: int) -> bool:
    """Whether `pid` has stopped running, allowing the kernel a moment to deliver the signal."""
    for _ in range(250):
        if not alive(pid):
            return True
        await asyncio.sleep(0.02)
    return False


async def test_success_is_recorded_with_exit_code_output_and_duration(record: Record) -> None:
    reg = registry(
        command("Print target", ["/bin/echo", "restarting {pod} of {deployment} in {namespace}"], scope="pod")
    )
    outcome = await record.dispatcher(reg).dispatch("config.print-target", POD)
    assert outcome.ok and outcome.exit_code == 0 and not outcome.timed_out
    assert outcome.output == "restarting web-0 of web in shop\n"
    assert outcome.text.startswith("Print target pod/web-0: exit 0 (")
    _declared, requested, succeeded = await record.events()
    assert (requested.kind, succeeded.kind) == ("action_requested", "action_succeeded")
    assert requested.actor == succeeded.actor == "alice@bastion-1 (ssh 10.0.0.5)"
    assert requested.data["action"] == "config.print-target"
    assert requested.data["preview"] == "/bin/echo 'restarting web-0 of web in shop'"
    assert requested.data["target"] == {
        "kind": "pod",
        "context": "prod",
        "namespace": "shop",
        "name": "web-0",
        "pod": "web-0",
        "deployment": "web",
    }
    assert succeeded.data["request"] == requested.id
    assert succeeded.data["exit_code"] == 0 and succeeded.data["http_status"] is None
    assert succeeded.data["output"] == "restarting web-0 of web in shop\n"
    assert succeeded.data["duration_s"] >= 0 and succeeded.data["timed_out"] is False


async def test_non_zero_exit_is_a_failure_with_its_output(record: Record) -> None:
    reg = registry(command("Fail", "echo 'psql: connection refused' >&2; exit 3"))
    outcome = await record.dispatcher(reg).dispatch("config.fail", Target.none())
    assert not outcome.ok and outcome.exit_code == 3
    assert outcome.output == "psql: connection refused\n"  # stderr is captured with stdout
    assert outcome.text.startswith("Fail: failed: exit 3 (")
    failed = (await record.events())[-1]
    assert failed.kind == "action_failed"
    assert (failed.data["exit_code"], failed.data["output"]) == (3, "psql: connection refused\n")


async def test_a_missing_program_is_a_recorded_failure(record: Record) -> None:
    reg = registry(command("Nope", ["warroom-no-such-program-here", "x"]))
    outcome = await record.dispatcher(reg).dispatch("config.nope", Target.none())
    assert not outcome.ok and outcome.text.startswith("Nope: failed: command not found: warroom-no-such")
    assert await record.kinds() == ["declared", "action_requested", "action_failed"]


async def test_timeout_kills_the_whole_process_group(record: Record, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    line = f"sleep 60 & echo $! > {pidfile}; echo started; wait"
    reg = registry(command("Hang", line, timeout_s=1.5))
    outcome = await record.dispatcher(reg).dispatch("config.hang", Target.none())
    assert outcome.timed_out and not outcome.ok
    assert outcome.text.startswith("Hang: failed: no result in 1.5 s; process group killed (")
    assert outcome.output == "started\n"  # what it printed before the timeout is kept
    assert pidfile.exists(), "the command did not start within its timeout"
    assert await _gone(int(pidfile.read_text())), "the background child outlived the timeout"
    failed = (await record.events())[-1]
    assert failed.kind == "action_failed" and failed.data["timed_out"] is True
    assert failed.data["exit_code"] is None


async def test_timeout_kills_a_group_that_ignores_sigterm(record: Record, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    # An ignored signal stays ignored across exec: the sleep ignores SIGTERM too.
    line = f"trap '' TERM; sleep 60 & echo $! > {pidfile}; wait; wait"
    reg = registry(command("Stubborn", line, timeout_s=1.5))
    outcome = await record.dispatcher(reg).dispatch("config.stubborn", Target.none())
    assert outcome.timed_out
    assert pidfile.exists(), "the command did not start within its timeout"
    assert await _gone(int(pidfile.read_text())), "SIGKILL did not follow the ignored SIGTERM"


async def test_output_is_bounded_and_secrets_are_redacted(record: Record, tmp_path: Path) -> None:
    token_file = tmp_path / "flags.token"
    token_file.write_text("tok-9f8e7d6c5b4a\n")
    script = (
        "import sys; print('x' * 100_000); "
        "print('Authorization: Bearer abc.def.ghi'); print('PGPASSWORD=hunter2 password=hunter3'); "
        "print(open(sys.argv[1]).read().strip()); print('done')"
    )
    reg = registry(command("Noisy", [PY, "-c", script, str(token_file)]))
    outcome = await record.dispatcher(reg, secret_files=[str(token_file)]).dispatch(
        "config.noisy", Target.none()
    )
    assert outcome.ok
    assert outcome.output.startswith("[… ")  # says that the start was cut
    assert len(outcome.output.encode()) < MAX_OUTPUT + 100
    assert outcome.output.endswith(
        "Authorization: [redacted]\nPGPASSWORD=[redacted] password=[redacted]\n[redacted]\ndone\n"
    )
    everything = json.dumps([[e.text, e.data] for e in await record.events()])
    for secret in ("abc.def.ghi", "hunter2", "hunter3", "tok-9f8e7d6c5b4a"):
        assert secret not in everything


@pytest.mark.parametrize(
    "value", ["x; touch {m}", "$(touch {m})", "`touch {m}`", "' ; touch {m}; '", "x && touch {m} #"]
)
async def test_placeholders_cannot_inject_shell(record: Record, tmp_path: Path, value: str) -> None:
    marker = tmp_path / "injected"
    pod = value.format(m=marker)
    target = Target.of_pod("prod", "shop", pod)
    reg = registry(
        command("Argv", ["/bin/echo", "{pod}"], scope="pod"),
        command("Shell", "echo {pod}", scope="pod"),
        command("Quoted", 'echo "pod: {pod}"', scope="pod"),
    )
    dispatcher = record.dispatcher(reg)
    argv = await dispatcher.dispatch("config.argv", target)
    shell = await dispatcher.dispatch("config.shell", target)
    assert (argv.output, shell.output) == (pod + "\n", pod + "\n")
    quoted = await dispatcher.dispatch("config.quoted", target)
    assert quoted.ok and not marker.exists()


async def test_placeholder_values_with_control_characters_or_options_are_refused(
    record: Record, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    reg = registry(command("Touch", [*touch_argv(marker), "{pod}"], scope="pod"))
    dispatcher = record.dispatcher(reg)
    for pod in ("web-0\nrm -rf /", "--force"):
        with pytest.raises(NotApplicableError):
            await dispatcher.dispatch("config.touch", Target.of_pod("prod", "shop", pod))
    assert not marker.exists()
    assert await record.kinds() == ["declared"]  # refused before anything was written


async def test_a_missing_placeholder_value_makes_the_action_not_apply(record: Record) -> None:
    reg = registry(command("Ctx", ["/bin/echo", "{context}"]))  # global, but needs a context
    action = reg.get("config.ctx")
    assert not action.applies_to(Target.none())
    assert reg.for_target(Target.none()) == ()
    assert reg.for_target(Target.none("prod")) == (action,)
    with pytest.raises(NotApplicableError, match="needs a context"):
        await record.dispatcher(reg).dispatch(action, Target.none())


async def test_the_command_gets_the_target_in_its_environment(record: Record) -> None:
    script = "import os; print(os.environ['WARROOM_POD'], os.environ['WARROOM_ACTION'])"
    reg = registry(command("Env", [PY, "-c", script], scope="pod"))
    outcome = await record.dispatcher(reg).dispatch("config.env", POD)
    assert outcome.output == "web-0 config.env\n"


def test_build_argv_leaves_other_braces_and_gives_the_shell_variables_not_values() -> None:
    values = {"pod": "a b'c"}
    assert build_argv(("jq", "{a: .b}", "{pod}"), False, values) == ["jq", "{a: .b}", "a b'c"]
    assert shell_script("echo {pod} {x}") == 'echo "${WARROOM_POD}" {x}'
    assert shell_script('echo "pod: {pod}" \'{pod}\' "\\"{pod}"') == (
        'echo "pod: ${WARROOM_POD}" \'{pod}\' "\\"${WARROOM_POD}"'
    )
    assert build_argv(("kubectl delete pod {pod}",), True, values) == [
        "/bin/sh",
        "-c",
        'kubectl delete pod "${WARROOM_POD}"',
    ]


def test_a_command_dies_with_a_warroom_killed_by_sigkill(tmp_path: Path) -> None:
    """kill -9 gives warroom no chance to stop its commands: the leash between them does, the
    whole group (here a shell and the sleep it started)."""
    import signal
    import subprocess
    import sys
    import time

    pids = tmp_path / "pids"
    script = (
        "import asyncio, sys\n"
        "from actions.command import run_command\n"
        "from actions.output import Output\n"
        "print('ready', flush=True)\n"
        f"asyncio.run(run_command(['sh', '-c', 'sleep 60 & echo $$ $! > {pids}; wait'], Output()))\n"
    )
    warroom = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert warroom.stdout is not None and warroom.stdout.readline() == "ready\n"
        for _ in range(500):
            if pids.exists() and len(pids.read_text().split()) == 2:
                break
            time.sleep(0.01)
        shell, sleeper = map(int, pids.read_text().split())
        warroom.send_signal(signal.SIGKILL)
        warroom.wait(timeout=10)

        assert all_gone(shell, sleeper), "the command outlived a killed warroom"
    finally:
        warroom.kill()
